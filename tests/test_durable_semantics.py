"""The project's behaviour tests, run again through the durable variant (issue 16 item 3: Arazzo semantics
unchanged).

With ``ARAZZO_GEN_DURABLE=1`` (tests/scripted.py), every package those tests build carries the durable variant,
and every call of a sync workflow function runs as a durable run on DBOS Transact (SQLite) with the same
arguments: each exchange a checkpoint, retry waits through the durable sleep path, goto, end, retry, criteria,
outputs and dependsOn exactly as the tests assert them for the plain functions.

CI runs the control-flow modules below (a bounded slice); the whole set is a documented command:

    ARAZZO_GEN_DURABLE=1 .venv/bin/python -m pytest -q -n 2 tests/test_step_semantics.py tests/test_flow.py \\
        tests/test_progress.py tests/test_scripted.py tests/test_criteria.py tests/test_values.py \\
        tests/test_forgiving.py tests/test_tolerant_reading.py
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("dbos", reason="the durable variant needs dbos: pip install -e '.[test]'")

ROOT = Path(__file__).resolve().parent.parent
MODULES = ["tests/test_step_semantics.py", "tests/test_flow.py", "tests/test_progress.py"]


@pytest.mark.timeout(900)
def test_the_control_flow_behaviour_tests_pass_through_the_durable_variant(tmp_path: Path) -> None:
    env = {**os.environ, "ARAZZO_GEN_DURABLE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "t"),
         *MODULES],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=880, check=False,
    )  # fmt: skip
    tail = "\n".join(result.stdout.splitlines()[-40:])
    assert result.returncode == 0, tail + result.stderr[-2000:]
    assert " passed" in tail and "skipped" not in tail.splitlines()[-1], tail
