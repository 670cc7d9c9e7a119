"""docs/diagnostics.md documents every rule the source emits, each with what triggers it, what to do and an
example line, and documents no rule the source does not emit (issue 7)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
HEADLINE = re.compile(r"^(?P<path>\S+):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning)\[(?P<rule>[a-z0-9-]+)\]: \S")


def emitted() -> set[tuple[str, str]]:
    """(rule, severity) of every ``diagnostics.error("rule"``/``.warning("rule"`` call under generator/."""
    found = set()
    for source in (ROOT / "generator").rglob("*.py"):
        for match in re.finditer(r'\.(error|warning)\(\s*"([a-z0-9-]+)"', source.read_text(encoding="utf-8")):
            found.add((match.group(2), match.group(1)))
    assert len(found) > 50, "the scan of generator/ found too few rules"
    return found


def table_rows() -> list[list[str]]:
    rows = []
    for line in DOC.splitlines():
        if re.match(r"^\| `[a-z0-9-]+` \|", line):
            rows.append([cell.strip() for cell in line.strip().strip("|").split(" | ")])
    return rows


def examples() -> list[str]:
    section = DOC.split("\n## Examples\n", 1)[1]
    block = section.split("```\n", 2)[1]
    return block.splitlines()


def test_every_rule_row_says_what_triggers_it_and_what_to_do() -> None:
    for row in table_rows():
        assert len(row) == 4 and all(row), f"incomplete rule row: {row}"


def test_the_documented_rules_are_exactly_the_emitted_ones() -> None:
    documented = {(row[0].strip("`"), row[1]) for row in table_rows()}
    assert documented == emitted()


def test_every_rule_has_one_example_line_of_a_severity_it_is_emitted_with() -> None:
    lines = examples()
    matches = [HEADLINE.match(line) for line in lines]
    assert all(matches), [line for line, match in zip(lines, matches, strict=True) if match is None]
    rules = [match.group("rule") for match in matches if match]
    assert rules == sorted(set(rules)), "one example per rule, in rule order"
    assert set(rules) == {rule for rule, _ in emitted()}
    for match in matches:
        assert match is not None and (match.group("rule"), match.group("severity")) in emitted()
