"""docs/conformance.md names, for every row, the test that proves it: each named test must exist (issue 6's
"every row of docs/conformance.md is proven by a passing test"; the suite running them proves they pass)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "conformance.md").read_text(encoding="utf-8")


def defined_tests() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_"):
                names.add(node.name)
    return names


def rows() -> list[str]:
    return [line for line in DOC.splitlines() if line.startswith("| ") and not line.startswith("| feature")]


def test_every_row_names_a_test() -> None:
    missing = [row[:80] for row in rows() if not set(row.split("|")[-2].split()) - {"", "-"}]
    assert missing == []


def test_every_test_the_rows_name_exists() -> None:
    named = set()
    for row in rows():
        last = row.rstrip().rstrip("|").rsplit("|", 1)[-1]
        # test functions (``test_x``, ``test_x*``), not modules (``test_x.py``)
        named |= set(re.findall(r"\b(test_[A-Za-z0-9_]+)(?![A-Za-z0-9_]|\.py)", last))
    defined = defined_tests()
    unknown = sorted(
        name for name in named if name not in defined and not any(d.startswith(name) for d in defined)
    )
    assert unknown == []
