"""Cells for spreadsheets that other people open: text that cannot run as a formula."""

# OWASP's list: a spreadsheet reads a cell starting with these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """Keep a spreadsheet from running text as a formula (CSV/formula injection)."""
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
