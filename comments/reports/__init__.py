"""Reports over a handbook's review, one module a report:

- dashboard: the editors' dashboard (chapter × jurisdiction counts, blockers, participation chart);
- my_review: a counterpart's own review page;
- disposition: the disposition report (XLSX, CSV, PDF, DOCX), which the old resolution matrix
  became;
- places: where a thread stands (section, paragraph) and how a spreadsheet cell is written;
- common: what two of them use (the round rule, a thread's link, a suggestion's latest decision).

Everything here is read-only and built from a constant number of queries: counts come from one
grouped query over threads (`values(...).annotate(Count(...))`), sign-offs from one flat query,
and the per-chapter and per-jurisdiction figures are summed in Python from those rows, so a
handbook with forty chapters and eight jurisdictions costs what one with two chapters costs.

The names the views and tests use are re-exported here. `reports.dashboard` and
`reports.my_review` are the functions, not the modules of the same name: import from a module
with `from comments.reports.dashboard import ...`, never `import comments.reports.dashboard`.
"""

from comments.reports.common import default_round, time_left
from comments.reports.dashboard import (
    CHART_BAR_WIDTH,
    CHART_LABEL_WIDTH,
    chart,
    dashboard,
)
from comments.reports.my_review import my_review
from comments.reports.places import neutralise, section_at, sections

__all__ = [
    "CHART_BAR_WIDTH",
    "CHART_LABEL_WIDTH",
    "chart",
    "dashboard",
    "default_round",
    "my_review",
    "neutralise",
    "section_at",
    "sections",
    "time_left",
]
