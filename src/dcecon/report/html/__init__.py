"""Self-contained HTML: the ``--html FILE`` report (:func:`report_html`) and the tables and charts the notebook
display (:mod:`dcecon.report.notebook`) shares with it. See docs/html.md."""

from dcecon.report.html.document import report_html

__all__ = ["report_html"]
