"""Smoke test of the benchmark (bench/run.py --quick): it runs end to end and its table has every row.

Benchmarks are not timed tests: nothing here compares a time or a size with a threshold.  The quick mode
uses tiny sizes, 15 workflow runs per variant and no peers (those rows read "not run"): about 35 s of CPU,
nine small arazzo-gen builds and the runtime variants, so about 40 s on an idle 2-core machine.  The generous
timeout is for a machine shared with other jobs, where the same work has taken several minutes.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAKE_BIG_SPEC = ROOT.parent / "shared" / "tools" / "make_big_spec.py"

EXPECTED_ROWS = [
    ("1", "specs/ cold build — arazzo-gen"),
    ("2", "big spec cold build — arazzo-gen"),
    ("2", "big spec — datamodel-codegen (models only, same options)"),
    ("2", "big spec — openapi-python-client generate (clients only)"),
    ("3", "scaling 0.25× — arazzo-gen"),
    ("3", "scaling 0.5× — arazzo-gen"),
    ("3", "scaling 1× — arazzo-gen"),
    ("3", "scaling 2× — arazzo-gen"),
    ("4", "no-op rebuild: --check of an up-to-date OUT"),
    ("4", "no-op rebuild: full build into the existing OUT"),
    ("4", "rebuild after editing one workflow"),
] + [
    ("5", f"{transport}: {variant}")
    for transport in ("over HTTP to the stand-in", "in-process transport")
    for variant in (
        "generated sync, shared client",
        "generated sync, default path (no client passed)",
        "generated async, shared client",
        "hand-written httpx sync, one connection",
        "hand-written httpx async, one connection",
        "arazzo-runner (PyPI) interpreting the document",
    )
]


@pytest.mark.timeout(900)
@pytest.mark.skipif(not MAKE_BIG_SPEC.exists(), reason=f"{MAKE_BIG_SPEC} not found (../shared is absent)")
@pytest.mark.skipif(
    importlib.util.find_spec("quantum_workflows") is None,
    reason="install the generated package first: pip install ./generated",
)
def test_quick_benchmark_prints_every_row(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--results", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=880, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    table = [line for line in result.stdout.splitlines() if line.startswith("| ")][1:]
    rows = [tuple(cell.strip() for cell in line.strip("|").split("|")) for line in table]
    assert [(section, name) for section, name, *_ in rows] == EXPECTED_ROWS
    assert (tmp_path / "latest.md").read_text().count("\n| ") == len(EXPECTED_ROWS) + 1

    by_name = {name: cells for _, name, *cells in rows}
    # every arazzo-gen build succeeded and reported a time and a peak RSS
    for section, name in EXPECTED_ROWS[:11]:
        time_cell, rss_cell, *_ = by_name[name]
        if "datamodel-codegen" in name or "openapi-python-client" in name:
            assert time_cell == "not run", name  # --quick runs no peers
        else:
            assert time_cell.endswith(" s") and rss_cell.endswith(" MB"), (section, name, time_cell)
    # every runtime variant of the generated package and of httpx ran; arazzo-runner is a peer
    for _, name in EXPECTED_ROWS[11:]:
        time_cell = by_name[name][0]
        expected_suffix = "not run" if "arazzo-runner" in name else " ms/run"
        assert time_cell.endswith(expected_suffix), (name, time_cell)

    raw = json.loads((tmp_path / "latest.json").read_text())
    assert raw["machine"]["nproc"] and raw["runtime"]["generated"]["runs"] == 15
    assert not (tmp_path / "work").exists()  # scratch builds are removed


@pytest.mark.timeout(300)
def test_the_durable_benchmark_runs_and_reports_both_transports() -> None:
    """bench/durable.py --quick (issue 16's cost per step): end to end, both rows, every column a number."""
    pytest.importorskip("dbos", reason="the durable variant needs dbos")
    pytest.importorskip("quantum_workflows.durable", reason="install the generated package: pip install ./generated")
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "durable.py"), "--quick"],
        cwd=ROOT, capture_output=True, text=True, timeout=280, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    data = json.loads(result.stdout[: result.stdout.index("\n}\n") + 2])
    assert set(data) == {"over HTTP (stand-in server)", "in process (MockTransport)"}
    for row in data.values():
        assert set(row) == {"plain", "durable", "floor", "per_step", "floor_per_step", "ratio"}
        assert all(isinstance(value, float) and value > 0 for key, value in row.items() if key != "per_step")
