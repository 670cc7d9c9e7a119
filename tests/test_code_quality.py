"""The compiler's own code meets the bar it sets for generated code: ruff clean, one formatter, mypy --strict."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_generator_is_ruff_clean() -> None:
    result = _run("ruff", "check", "generator")
    assert result.returncode == 0, result.stdout + result.stderr


def test_generator_is_formatted_by_its_one_formatter() -> None:
    """`ruff format generator` (configured in pyproject.toml [tool.ruff.format]) leaves the compiler unchanged."""
    result = _run("ruff", "format", "--check", "generator")
    assert result.returncode == 0, result.stdout + result.stderr


def test_generator_type_checks_strictly() -> None:
    result = _run("mypy", "--strict", "--ignore-missing-imports", "generator")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout, result.stdout
