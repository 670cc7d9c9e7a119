"""`arazzo-gen check` (every check, nothing written), SARIF 2.1.0 output, and per-rule severities from
``[tool.arazzo-gen.rules]`` (issue 7)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pydantic
import pytest
import sarif_pydantic
from typer.testing import CliRunner

from arazzo_gen.cli import EXIT_ERRORS, EXIT_OK, EXIT_USAGE, app

ROOT = Path(__file__).resolve().parent.parent
BAD = ROOT / "tests" / "fixtures" / "bad"
UNRESOLVED_REF = "warning[unresolved-ref]"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    return tmp_path


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def test_check_reports_every_diagnostic_and_writes_nothing(project: Path, isolated_build_cache: Path) -> None:
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    result = run("check", "specs")
    assert result.exit_code == EXIT_OK, result.stderr
    assert result.stderr.count(UNRESOLVED_REF) == 2 and "specs: no errors, 10 warning(s)" in result.stderr
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before
    assert not any(isolated_build_cache.iterdir())  # not even the cache


def test_check_exits_1_with_the_located_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copytree(BAD / "unknown_operation", tmp_path / "specs")
    result = run("check", "specs")
    assert result.exit_code == EXIT_ERRORS
    assert "error[unknown-operation]" in result.stderr and "error: 1 error(s), 0 warning(s)" in result.stderr


def _no_unknown_keys(value: Any, where: str = "$") -> list[str]:
    """Keys the SARIF object model does not define (sarif-pydantic allows extras; the schema does not)."""
    found = []
    if isinstance(value, pydantic.BaseModel):
        if value.model_extra and type(value).__name__ != "PropertyBag":
            found += [f"{where}.{key}" for key in value.model_extra]
        for name in type(value).model_fields:
            found += _no_unknown_keys(getattr(value, name), f"{where}.{name}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _no_unknown_keys(item, f"{where}[{index}]")
    return found


@pytest.mark.parametrize("command", ["check", "build"])
def test_sarif_output_is_a_valid_sarif_2_1_0_log(project: Path, command: str) -> None:
    args = ["check", "specs"] if command == "check" else ["build", "specs", "-o", "out"]
    result = run(*args, "--format", "sarif")
    assert result.exit_code == EXIT_OK, result.stderr
    raw = json.loads(result.stdout)
    log = sarif_pydantic.Sarif.model_validate(raw)
    assert _no_unknown_keys(log) == []
    assert raw["version"] == "2.1.0" and raw["$schema"].endswith("sarif-schema-2.1.0.json")
    (run_,) = raw["runs"]
    rules = [rule["id"] for rule in run_["tool"]["driver"]["rules"]]
    assert rules == ["narrow-success-status", "payload-missing-property", "undefined-security-scheme", "unresolved-ref"]
    results = run_["results"]
    assert len(results) == 10 and {r["level"] for r in results} == {"warning"}
    first = next(r for r in results if r["ruleId"] == "unresolved-ref")
    assert rules[first["ruleIndex"]] == "unresolved-ref"
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "specs/openapi/ibm-quantum-runtime-jobs-openapi.yml"
    assert location["region"] == {"startLine": 93, "startColumn": 13, "endColumn": 54}


def _configure(project: Path, rules: str) -> None:
    (project / "pyproject.toml").write_text(
        f'[tool.arazzo-gen]\npackage = "quantum_workflows"\n\n[tool.arazzo-gen.rules]\n{rules}\n', encoding="utf-8"
    )


def test_a_rule_can_be_silenced(project: Path) -> None:
    _configure(project, '"unresolved-ref" = "off"')
    result = run("check", "specs")
    assert result.exit_code == EXIT_OK
    assert UNRESOLVED_REF not in result.stderr and "8 warning(s)" in result.stderr


def test_a_rule_can_be_raised_to_an_error(project: Path) -> None:
    _configure(project, '"unresolved-ref" = "error"')
    result = run("build", "specs", "-o", "out")
    assert result.exit_code == EXIT_ERRORS
    assert result.stderr.count("error[unresolved-ref]") == 2 and "warning[undefined-security-scheme]" in result.stderr
    assert not (project / "out").exists()


def test_an_unknown_level_is_a_usage_error(project: Path) -> None:
    _configure(project, '"unresolved-ref" = "ignore"')
    result = run("check", "specs")
    assert result.exit_code == EXIT_USAGE
    assert '[tool.arazzo-gen.rules] unresolved-ref = \'ignore\': the level must be one of "off", "warning", "error"' in result.stderr
