"""The grid engine: lazy cartesian grids and samplers over any scenario field,
streamed through the model in bounded memory with mergeable reductions."""
