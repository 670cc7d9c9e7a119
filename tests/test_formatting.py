"""The style contract: every generated Python file is exactly what black produces (black is the oracle).

The build formats with ruff's black-compatible formatter for speed and falls back to black itself for the
constructs where the two differ (generator/arazzo_gen/write.py: format_python, may_differ_from_black)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import black
import pytest

from arazzo_gen.write import _ruff, black_mode, format_python, may_differ_from_black

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = sorted((ROOT / "tests" / "fixtures" / "golden").glob("*/expected"))

# The two deviations of ruff's formatter that generated code can reach, as ruff leaves them and as black does.
LONG_UNION_RUFF = '''\
def f(
    *,
    body: models.CreateSessionRequestCloud
    | models.CreateSessionRequestChannelPartner
    | Mapping[str, Any]
    | None = None,
) -> None:
    pass
'''
LONG_UNION_BLACK = '''\
def f(
    *,
    body: (
        models.CreateSessionRequestCloud
        | models.CreateSessionRequestChannelPartner
        | Mapping[str, Any]
        | None
    ) = None,
) -> None:
    pass
'''
TAIL = "- ``azure_quantum_data_plane``: Azure Quantum Workspace Services 2026-01-15-preview (openapi/azure-quantum.json)"
LONG_DOCSTRING_RUFF = f'def g() -> None:\n    """Doc.\n\n    {TAIL}"""\n'
LONG_DOCSTRING_BLACK = f'def g() -> None:\n    """Doc.\n\n    {TAIL}\n    """\n'
WIDE_DOCSTRING_RUFF = 'def h() -> None:\n    """Doc.\n\n    ' + "你" * 46 + '"""\n'  # 53 characters, 99 columns


@pytest.mark.parametrize("folder", [ROOT / "generated", *GOLDEN], ids=lambda p: str(p.relative_to(ROOT)))
def test_generated_code_is_exactly_what_black_produces(folder: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "black", "--check", "--quiet", "--line-length", "100", "--target-version", "py311",
         str(folder)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("ruff_output", "black_output"),
    [(LONG_UNION_RUFF, LONG_UNION_BLACK), (LONG_DOCSTRING_RUFF, LONG_DOCSTRING_BLACK)],
    ids=["long-union-annotation", "long-last-docstring-line"],
)
def test_known_deviations_are_detected_and_formatted_by_black(ruff_output: str, black_output: str) -> None:
    assert black.format_str(ruff_output, mode=black_mode()) == black_output  # the deviation is real
    assert may_differ_from_black(ruff_output)
    assert not may_differ_from_black(black_output)
    assert format_python(_ruff(), "m.py", ruff_output) == black_output


def test_docstring_length_counts_characters_not_display_width() -> None:
    """black moves the closing quotes by character count: 103 columns of wide characters stay."""
    wider = WIDE_DOCSTRING_RUFF.replace("你" * 46, "你" * 48)  # 55 characters, 103 columns
    assert black.format_str(wider, mode=black_mode()) == wider
    assert not may_differ_from_black(wider)
    longer = WIDE_DOCSTRING_RUFF.replace("你" * 46, "你" * 94)  # 101 characters
    assert black.format_str(longer, mode=black_mode()) != longer
    assert may_differ_from_black(longer)


def test_without_ruff_black_formats() -> None:
    source = "x = [1,\n  2]\n"
    assert format_python(None, "m.py", source) == black.format_str(source, mode=black_mode()) == "x = [1, 2]\n"


def test_a_long_one_line_docstring_is_no_deviation() -> None:
    """black leaves a one-line docstring over the limit as it is; so does ruff."""
    source = 'def f() -> None:\n    """' + "x" * 120 + '"""\n'
    assert black.format_str(source, mode=black_mode()) == source
    assert not may_differ_from_black(source)
