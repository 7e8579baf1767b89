"""The report stage: renders a finished plan, computing nothing but presentation.

:func:`render` writes ``report.html`` (self-contained: charts as PNG data URIs) and ``report.xlsx`` from the
run's tables and the results of the stages before it (:class:`wfm.costs.CostResult`,
:class:`wfm.service.ServiceProjection`, the forecast and its backtest). Parts: :mod:`.compose` (the page,
the workbook's Summary, the headline figures), :mod:`.sections` (tables laid out), :mod:`.charts`,
:mod:`.xlsx` and :mod:`.format`. Reading a run folder back and re-rendering it: :func:`wfm.runs.build_report`.
"""

from .charts import cost_chart, coverage_charts, forecast_chart, gap_heatmaps, gap_matrix
from .format import DAY_TYPE_LABEL, fmt_hm, fmt_num, fmt_pct
from .compose import REPORT_PAGES, headline_cards, headline_figures, render
from .sections import backtest_section, daily_table, forecast_section, queue_table
from .xlsx import excel_safe, put, write_workbook

__all__ = ["render", "REPORT_PAGES", "headline_figures", "headline_cards", "daily_table", "queue_table",
           "forecast_section", "backtest_section", "coverage_charts", "gap_matrix", "gap_heatmaps", "cost_chart",
           "forecast_chart", "write_workbook", "excel_safe", "put", "fmt_num", "fmt_pct", "fmt_hm", "DAY_TYPE_LABEL"]
