"""Coloured diagnostics on a terminal only: ``NO_COLOR`` and ``FORCE_COLOR`` are respected, and text that is
not a terminal stays plain (issue 7)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arazzo_gen.cli import EXIT_ERRORS, app
from arazzo_gen.diagnostics import use_colour

FIXTURES = Path(__file__).parent / "fixtures" / "bad"
HEADLINE = (
    "specs/arazzo/pets.arazzo.yml:18:22: error[unknown-operation]: operationId 'getPets' is not in petsApi "
    "(pets.yml); did you mean 'getPet'?"
)
COLOURED = (
    "\x1b[1mspecs/arazzo/pets.arazzo.yml:18:22:\x1b[0m \x1b[1;31merror\x1b[0m\x1b[1m[unknown-operation]\x1b[0m: "
    "operationId 'getPets' is not in petsApi (pets.yml); did you mean 'getPet'?"
)
SOURCE = "   18 |         operationId: getPets"
CARETS = "      |                      "


@pytest.fixture
def specs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    shutil.copytree(FIXTURES / "unknown_operation", tmp_path / "specs")
    return tmp_path / "specs"


def check(env: dict[str, str]) -> list[str]:
    result = CliRunner().invoke(app, ["check", "specs"], env=env)
    assert result.exit_code == EXIT_ERRORS
    return result.stderr.splitlines()


def test_not_a_terminal_is_plain(specs: Path) -> None:
    assert check({})[:3] == [HEADLINE, SOURCE, CARETS + "^" * 7]


def test_force_color_colours_the_location_severity_rule_and_carets(specs: Path) -> None:
    assert check({"FORCE_COLOR": "1"})[:3] == [COLOURED, SOURCE, CARETS + "\x1b[1;32m^^^^^^^\x1b[0m"]


def test_no_color_wins_over_force_color(specs: Path) -> None:
    lines = check({"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert lines[:3] == [HEADLINE, SOURCE, CARETS + "^" * 7]
    assert not any("\x1b" in line for line in lines)


def test_document_text_stays_escaped_in_colour(specs: Path) -> None:
    workflow = specs / "arazzo" / "pets.arazzo.yml"
    workflow.write_text(workflow.read_text().replace("operationId: getPets\n", 'operationId: "get\\e[2JPets"\n'))
    (headline, source, _) = check({"FORCE_COLOR": "1"})[:3]
    assert headline.endswith("\x1b[0m: operationId 'get\\x1b[2JPets' is not in petsApi (pets.yml); did you mean 'getPet'?")
    assert source == '   18 |         operationId: "get\\e[2JPets"'


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stream", "environ", "expected"),
    [
        (_Tty(), {}, True),
        (_Tty(), {"TERM": "dumb"}, False),
        (_Tty(), {"NO_COLOR": "1"}, False),
        (_Tty(), {"NO_COLOR": ""}, True),  # an empty NO_COLOR does not count (no-color.org)
        (io.StringIO(), {}, False),
        (io.StringIO(), {"FORCE_COLOR": "1"}, True),
        (io.StringIO(), {"FORCE_COLOR": ""}, False),
    ],
)
def test_use_colour(stream: io.StringIO, environ: dict[str, str], expected: bool) -> None:
    assert use_colour(stream, environ) is expected
