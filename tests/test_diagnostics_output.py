"""Diagnostics never print document text raw to the terminal.

A document can hold ANSI/OSC escape sequences (``ESC ] 0 ; title BEL`` retitles the terminal, ``ESC [ 2 J``
clears it), bidi overrides (U+202E reverses what follows), U+0085/U+2028/U+2029 and newlines (which would
forge extra diagnostic lines).  The text report (``render_text``: headline and source snippet) shows each of
them as a visible escape (``\\x1b``, ``\\u202e``); the JSON report escapes every non-ASCII and control
character, and decodes back to the exact document text.
"""

from __future__ import annotations

import json
import shutil
import unicodedata
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arazzo_gen.cli import EXIT_ERRORS, app
from arazzo_gen.diagnostics import Diagnostic, Loc, Severity, remember_source, render_text, visible

FIXTURES = Path(__file__).parent / "fixtures" / "bad"
WORKFLOW = "specs/arazzo/pets.arazzo.yml"
UNSAFE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}

# ESC ] 0 ; pwned BEL (an OSC title sequence), a bidi override, NEL, LINE SEPARATOR, ESC [ 2 J, a newline
HOSTILE_YAML = r'"getPets\e]0;pwned\a\u202e\N\L\e[2J\nspecs/x.yml:1:1: error[fake]: forged"'
HOSTILE = "getPets\x1b]0;pwned\x07\u202e\x85\u2028\x1b[2J\nspecs/x.yml:1:1: error[fake]: forged"
HOSTILE_SHOWN = r"getPets\x1b]0;pwned\x07\u202e\x85\u2028\x1b[2J\x0aspecs/x.yml:1:1: error[fake]: forged"


def raw_unsafe(text: str) -> list[str]:
    """The unsafe characters of ``text`` (line breaks between report lines are the report's own)."""
    return [ch for ch in text if ch != "\n" and unicodedata.category(ch) in UNSAFE]


@pytest.fixture
def specs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The unknown_operation fixture in ``tmp_path/specs``, working from ``tmp_path``."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(FIXTURES / "unknown_operation", tmp_path / "specs")
    return tmp_path / "specs"


def set_operation_id(specs: Path, text: str) -> None:
    workflow = specs / "arazzo" / "pets.arazzo.yml"
    source = workflow.read_text(encoding="utf-8")
    assert "operationId: getPets\n" in source
    workflow.write_text(source.replace("operationId: getPets\n", f"operationId: {text}\n"), encoding="utf-8")


def build(*options: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["build", "specs", "-o", "out", *options])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_unknown_operation_id_with_escape_sequences_is_shown_escaped(specs: Path) -> None:
    set_operation_id(specs, HOSTILE_YAML)
    code, stdout, stderr = build()
    assert code == EXIT_ERRORS
    assert raw_unsafe(stderr) == []
    lines = stderr.splitlines()
    assert lines[0] == (
        f"{WORKFLOW}:18:22: error[unknown-operation]: operationId '{HOSTILE_SHOWN}' is not in petsApi (pets.yml)"
    )
    assert lines[1] == f"   18 |         operationId: {HOSTILE_YAML}"  # the document's own escapes, as written
    assert not any(line.startswith("specs/x.yml") for line in lines)  # no forged diagnostic line
    assert stdout == ""


def test_raw_bidi_characters_in_the_source_line_are_escaped_and_the_caret_follows(specs: Path) -> None:
    set_operation_id(specs, "get\u202ePets\u2066x\u2069   # note")
    code, _, stderr = build()
    assert code == EXIT_ERRORS
    assert raw_unsafe(stderr) == []
    assert stderr.splitlines()[:3] == [
        (
            rf"{WORKFLOW}:18:22: error[unknown-operation]: operationId 'get\u202ePets\u2066x\u2069' is not in "
            "petsApi (pets.yml); did you mean 'getPet'?"
        ),
        r"   18 |         operationId: get\u202ePets\u2066x\u2069   # note",
        "      |                      " + "^" * len(r"get\u202ePets\u2066x\u2069"),
    ]


def test_json_report_escapes_and_round_trips_the_document_text(specs: Path) -> None:
    set_operation_id(specs, HOSTILE_YAML)
    code, stdout, stderr = build("--format", "json")
    assert code == EXIT_ERRORS
    assert raw_unsafe(stdout) == [] and raw_unsafe(stderr) == []
    assert stdout.isascii()
    (row,) = json.loads(stdout)
    assert row["message"] == f"operationId '{HOSTILE}' is not in petsApi (pets.yml)"


def test_render_text_escapes_raw_controls_in_the_snippet(tmp_path: Path) -> None:
    """A located diagnostic on a line holding raw ESC/BEL/U+202E (the readers may locate one there)."""
    source = tmp_path / "doc.json"
    source.write_text('{\n  "title": "\x1b]0;pwned\x07\u202eabc", "x": 1\n}\n', encoding="utf-8")
    remember_source(str(source), source.read_text(encoding="utf-8"))  # snippets come only from files read
    col = source.read_text(encoding="utf-8").splitlines()[1].index('"x"') + 1
    diagnostic = Diagnostic(Severity.ERROR, "some-rule", "bad \x1b[31mred\x1b[0m", Loc(str(source), 2, col, 3))
    text = render_text(diagnostic)
    assert raw_unsafe(text) == []
    headline, line, caret = text.splitlines()
    assert headline.endswith(r"error[some-rule]: bad \x1b[31mred\x1b[0m")
    assert line == r'    2 |   "title": "\x1b]0;pwned\x07\u202eabc", "x": 1'
    assert caret.index("^") == line.index('"x"') and caret.count("^") == 3



@pytest.mark.parametrize(("col", "length"), [(10**13, 1), (3, 10**13), (10**13, 10**13)])
def test_render_text_never_draws_past_the_line_however_far_the_location_points(col: int, length: int) -> None:
    """A location replayed from a build cache entry can point anywhere: the snippet stays the line's size."""
    remember_source("/far/doc.yml", "title: abc\n")
    text = render_text(Diagnostic(Severity.WARNING, "some-rule", "m", Loc("/far/doc.yml", 1, col, length)))
    _, line, caret = text.splitlines()
    assert line == "    1 | title: abc"
    assert len(caret) <= len(line) + 1 and caret.endswith("^"), caret

def test_visible_leaves_ordinary_text_alone() -> None:
    assert visible("operationId 'créer_session' — ok ✓ 你好\t") == r"operationId 'créer_session' — ok ✓ 你好\x09"
    assert visible("a\u2029b\ufeffc\U000e0001d\ud800") == r"a\u2029b\ufeffc\U000e0001d\ud800"
