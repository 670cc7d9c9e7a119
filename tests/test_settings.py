"""``[tool.arazzo-gen]`` (issue 18, item 9): an unknown key or rule id is a located ``unknown-setting`` warning
with a "did you mean" (it was ignored in silence: ``pakage = "x"`` built ``arazzo_client``); a refused
``package`` is located at its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from arazzo_gen.cli import EXIT_ERRORS, EXIT_OK, EXIT_USAGE
from arazzo_gen.config import key_location

from .test_sources import WORKFLOW, api, flow, headlines, lay_out, run

API = "specs/openapi/pets.yml"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    lay_out(tmp_path, {WORKFLOW: flow("../openapi/pets.yml"), API: api()})
    return tmp_path


def configure(root: Path, text: str) -> None:
    lay_out(root, {"pyproject.toml": text})


def test_unknown_keys_and_rule_ids_are_located_warnings(project: Path) -> None:
    configure(project, """\
        [project]
        name = "demo"

        [tool.arazzo-gen]
        pakage = "pets_client"
        fetch_redirects = []

        [tool.arazzo-gen.rules]
        duplicate-key = "error"
        unresolved-refs = "off"
          "no-such-rule" = "off"

        [tool.arazzo-gen.fetch]
        deadline = 10
        """)  # fmt: skip
    result = run("check", "specs")
    assert result.exit_code == EXIT_OK, result.stderr
    assert headlines(result.stderr) == [
        ("pyproject.toml:5:1: warning[unknown-setting]: [tool.arazzo-gen] has no setting 'pakage'; it is ignored; "
         "did you mean 'package'?"),
        ("pyproject.toml:6:1: warning[unknown-setting]: [tool.arazzo-gen] has no setting 'fetch_redirects'; it is "
         "ignored; did you mean 'fetch-redirects'?"),
        ("pyproject.toml:10:1: warning[unknown-setting]: [tool.arazzo-gen.rules] 'unresolved-refs' is not a rule id "
         "of arazzo-gen; it is ignored; did you mean 'unresolved-ref'?"),
        ("pyproject.toml:11:3: warning[unknown-setting]: [tool.arazzo-gen.rules] 'no-such-rule' is not a rule id of "
         "arazzo-gen; it is ignored"),
        "pyproject.toml:13:18: warning[unknown-setting]: [tool.arazzo-gen] has no setting 'fetch'; it is ignored",
    ]
    assert "    5 | pakage = \"pets_client\"\n      | ^^^^^^" in result.stderr


def test_unknown_settings_follow_strict_and_rule_levels(project: Path) -> None:
    configure(project, '[tool.arazzo-gen]\npakage = "x"\n')
    assert run("check", "specs", "--strict").exit_code == EXIT_ERRORS
    configure(project, '[tool.arazzo-gen]\npakage = "x"\nrules = { unknown-setting = "off" }\n')
    result = run("build", "specs", "-o", "out", "--strict")
    assert result.exit_code == EXIT_OK, result.stderr
    assert headlines(result.stderr) == []


def test_known_settings_give_no_warning(project: Path) -> None:
    configure(project, """\
        [tool.arazzo-gen]
        package = "pets_client"
        version = "1.2.3"
        fetch-redirects = ["https://raw.example.org/specs/"]

        [tool.arazzo-gen.rules]
        unresolved-ref = "off"
        duplicate-key = "error"
        """)  # fmt: skip
    result = run("check", "specs")
    assert result.exit_code == EXIT_OK, result.stderr
    assert headlines(result.stderr) == []


@pytest.mark.parametrize("name", ["elementpath", "jsonpath_rfc9535"])
def test_a_refused_package_is_located_at_its_key(project: Path, name: str) -> None:
    configure(project, f'[tool.arazzo-gen]\nversion = "1"\n  package = "{name}"\n')
    result = run("build", "specs", "-o", "out")
    assert result.exit_code == EXIT_USAGE
    assert result.stderr == (
        f"error: pyproject.toml:3:3: [tool.arazzo-gen] package '{name}' cannot be the generated package's name: "
        f"it shadows '{name}', which the generated package imports\n"
    )


def test_key_location_reads_headers_dotted_and_quoted_keys() -> None:
    text = '[tool]\narazzo-gen.package = "a"\n[tool."arazzo-gen".rules]\n"x y" = "off"\n[[tool.arazzo-gen.sources.rewrite]]\n'
    at = {path[-1]: key_location(Path("p.toml"), text, path) for path in [
        ("tool", "arazzo-gen", "package"), ("tool", "arazzo-gen", "rules", "x y"),
        ("tool", "arazzo-gen", "sources"), ("tool", "arazzo-gen", "missing"),
    ]}  # fmt: skip
    assert {key: (loc.line, loc.col) for key, loc in at.items()} == {
        "package": (2, 12), "x y": (4, 1), "sources": (5, 19), "missing": (1, 1),
    }  # fmt: skip
