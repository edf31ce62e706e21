"""Fused kernel sources of dcecon, shipped as package data (``dcecon.kernels``).

- ``dcecon_model.cuh``: the per-scenario model (``__host__ __device__``, float/double)
- ``dcecon_grid.cuh``: grid index decoding, parameter binding, sketch buckets
- ``dcecon_native.cpp``: the CPU backend (host C++ compiler, OpenMP), loaded with ctypes
- ``dcecon_cuda.cu``: the GPU grid kernels, built with CuPy's RawModule
"""
