"""Reports over a handbook's review, one module a report:

- dashboard: the editors' dashboard (chapter × jurisdiction counts, blockers, participation chart);
- my_review: a counterpart's own review page;
- matrix: the comment resolution matrix (CSV and XLSX);
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
from comments.reports.matrix import (
    matrix_csv,
    matrix_rows,
    matrix_threads,
    matrix_title,
    matrix_xlsx,
    neutralise,
    section_at,
    sections,
)
from comments.reports.my_review import my_review

__all__ = [
    "CHART_BAR_WIDTH",
    "CHART_LABEL_WIDTH",
    "chart",
    "dashboard",
    "default_round",
    "matrix_csv",
    "matrix_rows",
    "matrix_threads",
    "matrix_title",
    "matrix_xlsx",
    "my_review",
    "neutralise",
    "section_at",
    "sections",
    "time_left",
]
