"""Every problem of a run is reported together, in one deterministic order (file, line, column, rule,
message), whatever the stage that found it and whatever the hash seed (issue 7)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.scripted import write_specs
from tests.test_flow import HEAD, JOBS_API

FIRST = HEAD + """
workflows:
  - workflowId: b
    steps:
      - stepId: read
        operationId: getJb
        parameters: [{name: id, in: path, value: $inputs.id}]
  - workflowId: a
    steps:
      - stepId: read
        operationId: getJob
        parameters: [{name: id, in: path, value: $inputs.nope}]
        successCriteria: [{condition: $statusCode = 200}]
"""

SECOND = HEAD + """
workflows:
  - workflowId: c
    steps:
      - stepId: create
        operationId: createJob
        parameters: [{name: X-Extra, in: header, value: 1}]
        outputs: {id: $steps.create.outputs.id}
"""

EXPECTED = [  # the lowering, the checks and the reader found these; sorted by line, not by stage
    (
        "specs/arazzo/a.arazzo.yaml:9:22: error[unknown-operation]: operationId 'getJb' is not in jobs (jobs.yaml); "
        "did you mean 'getJob'?"
    ),
    "specs/arazzo/a.arazzo.yaml:10:58: error[unknown-input]: '$inputs.id' is not declared in the inputs of workflow 'b'",
    (
        "specs/arazzo/a.arazzo.yaml:15:58: error[unknown-input]: '$inputs.nope' is not declared in the inputs of "
        "workflow 'a'"
    ),
    "specs/arazzo/a.arazzo.yaml:16:51: error[invalid-condition]: unexpected '='; did you mean '=='?",
    (
        "specs/arazzo/b.arazzo.yaml:10:29: warning[undeclared-parameter]: header 'X-Extra' is not a parameter of "
        "createJob; it is sent as an extra header"
    ),
    (
        "specs/arazzo/b.arazzo.yaml:11:23: error[forward-step-reference]: step 'create' reads its own output 'id', "
        "which is set only once the step has succeeded; take the value from the response ($response...) in its "
        "outputs, or from an earlier step"
    ),
    (
        "specs/broken.yaml:2:1: error[invalid-syntax]: invalid YAML: did not find expected ',' or ']' (while parsing "
        "a flow sequence)"
    ),
    "error: 6 error(s), 1 warning(s)",
]


def run_check(root: Path, seed: str) -> list[str]:
    env = {**os.environ, "PYTHONHASHSEED": seed, "NO_COLOR": "1"}
    env.pop("FORCE_COLOR", None)
    result = subprocess.run(
        [sys.executable, "-m", "arazzo_gen", "check", "specs"],
        cwd=root, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    return [line for line in result.stderr.splitlines() if not line.startswith(" ")]


def test_every_problem_is_reported_together_in_one_order_whatever_the_hash_seed(tmp_path: Path) -> None:
    write_specs(tmp_path, {
        "openapi/jobs.yaml": JOBS_API,
        "arazzo/a.arazzo.yaml": FIRST,
        "arazzo/b.arazzo.yaml": SECOND,
        "broken.yaml": "key: [unclosed\n",
    })  # fmt: skip
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    first = run_check(tmp_path, "1")
    assert first == EXPECTED
    assert run_check(tmp_path, "2") == first
