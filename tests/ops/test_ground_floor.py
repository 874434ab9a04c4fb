"""The ops app is a ground floor: it knows no domain, so nothing it imports reaches upward."""

import ast
from pathlib import Path

OPS = Path(__file__).resolve().parent.parent.parent / "handbook_review" / "ops"


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_ops_imports_neither_chapters_nor_comments():
    sources = list(OPS.rglob("*.py"))
    assert len(sources) > 5
    for source in sources:
        upward = {
            name
            for name in imported_modules(source)
            if name.split(".")[0] in {"chapters", "comments"}
            or name.startswith(("handbook_review.people", "handbook_review.notifications"))
        }
        assert not upward, f"{source.name} imports {upward}"
