"""Control flow and step kinds (issue 6): end, goto, retry (retryAfter, retryLimit, Retry-After, a stepId or
workflowId run first), action criteria, workflow-level and component actions, the max_steps guard, steps that
run workflows (same document and a `type: arazzo` source), goto a workflow, and dependsOn.

Every workflow runs sync and async against a scripted server on 127.0.0.1; the tests assert the outputs, the
exact requests and the sleeps the workflow asked for (the sleep is injected: nothing really sleeps).
"""

from __future__ import annotations

import asyncio
import email.utils
import inspect
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from .scripted import Reply, ScriptedServer, build_package, compile_files, import_package, scripted

JOBS_API = """
openapi: 3.0.3
info: {title: Jobs, version: "1"}
servers: [{url: "http://127.0.0.1:9"}]
paths:
  /jobs:
    post:
      operationId: createJob
      parameters: [{name: Authorization, in: header, required: false, schema: {type: string}}]
      responses:
        "201":
          description: created
          content: {application/json: {schema: {$ref: "#/components/schemas/Job"}}}
  /jobs/{id}:
    get:
      operationId: getJob
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "200":
          description: ok
          content: {application/json: {schema: {$ref: "#/components/schemas/Job"}}}
  /jobs/{id}/cancel:
    post:
      operationId: cancelJob
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "204": {description: cancelled}
  /token:
    post:
      operationId: refreshToken
      responses:
        "200":
          description: ok
          content: {application/json: {schema: {type: object, properties: {token: {type: string}}}}}
components:
  schemas:
    Job:
      type: object
      required: [id, state]
      properties:
        id: {type: string}
        state: {type: string}
"""

HEAD = """
arazzo: 1.0.1
info: {title: Jobs, version: "1"}
sourceDescriptions: [{name: jobs, url: ../openapi/jobs.yaml, type: openapi}]
"""

CREATE_AND_POLL = (
    HEAD
    + """
workflows:
  - workflowId: runJob
    steps:
      - stepId: create
        operationId: createJob
        successCriteria: [{condition: $statusCode == 201}]
        outputs: {id: $response.body#/id}
        onFailure:
          - {name: busy, type: retry, retryAfter: 1.5, retryLimit: 3, criteria: [{condition: $statusCode == 503}]}
      - stepId: poll
        operationId: getJob
        parameters: [{name: id, in: path, value: $steps.create.outputs.id}]
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {state: $response.body#/state}
        onSuccess:
          - {name: again, type: goto, stepId: poll, criteria: [{condition: $response.body#/state == 'running'}]}
    outputs: {id: $steps.create.outputs.id, state: $steps.poll.outputs.state}
"""
)


class Run:
    """One built package: runs a workflow sync and async against the same script, recording sleeps."""

    def __init__(self, tmp_path: Path, flow: str, package: str, extra: dict[str, str] | None = None) -> None:
        files = {"openapi/jobs.yaml": JOBS_API, "arazzo/jobs.arazzo.yaml": flow, **(extra or {})}
        out, self.warnings = build_package(tmp_path, files, package)
        self.package = import_package(out, package)
        self.client_module: ModuleType = self.package.apis.jobs

    def module(self, name: str = "jobs") -> ModuleType:
        return getattr(self.package.workflows, name)

    def both(
        self, function: str, script: Any, module: str = "jobs", **kwargs: Any
    ) -> list[tuple[Any, list[str], list[float], ScriptedServer]]:
        """[(outputs or the exception, request lines, sleeps, server)] for the sync and the async function."""
        return [self.once(function, script, module, is_async, kwargs) for is_async in (False, True)]

    def once(
        self, function: str, script: Any, module: str, is_async: bool, kwargs: dict[str, Any]
    ) -> tuple[Any, list[str], list[float], ScriptedServer]:
        sleeps: list[float] = []
        fn = getattr(self.module(module), function + ("_async" if is_async else ""))
        extra: dict[str, Any] = dict(kwargs)

        async def fake_sleep(seconds: float) -> None:
            sleeps.append(seconds)

        if "sleep" in inspect.signature(fn).parameters:
            extra["sleep"] = fake_sleep if is_async else sleeps.append
        with scripted(dict(script)) as server:
            try:
                if is_async:

                    async def run() -> Any:
                        async with self.client_module.AsyncClient(server.url) as client:
                            return await fn(jobs_api=client, **extra)

                    result: Any = asyncio.run(run())
                else:
                    with self.client_module.Client(server.url) as client:
                        result = fn(jobs_api=client, **extra)
            except Exception as error:  # noqa: BLE001 - the tests assert on it
                result = error
        return result, [r.line for r in server.requests], sleeps, server


def job(state: str, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, {"id": "j1", "state": state}, headers=headers or {})


# -- retry ----------------------------------------------------------------------------------------------
def test_retry_waits_retry_after_and_succeeds_then_goto_polls_until_done(tmp_path: Path) -> None:
    run = Run(tmp_path, CREATE_AND_POLL, "flow_retry_pkg")
    script = {
        ("POST", "/jobs"): [Reply(503), Reply(503), job("queued", 201)],
        ("GET", "/jobs/j1"): [job("running"), job("running"), job("done")],
    }
    for result, lines, sleeps, _ in run.both("run_job", script):
        assert (result.id, result.state) == ("j1", "done")
        assert lines == ["POST /jobs"] * 3 + ["GET /jobs/j1"] * 3
        assert sleeps == [1.5, 1.5]


def test_retry_limit_exhausted_fails_the_step_with_the_last_response(tmp_path: Path) -> None:
    run = Run(tmp_path, CREATE_AND_POLL, "flow_exhaust_pkg")
    for result, lines, sleeps, _ in run.both("run_job", {("POST", "/jobs"): [Reply(503)]}):
        assert isinstance(result, run.package._runtime.StepFailed)
        assert (result.step, result.criterion, result.status_code) == ("create", "$statusCode == 201", 503)
        assert lines == ["POST /jobs"] * 4  # the first attempt and three retries
        assert sleeps == [1.5, 1.5, 1.5]


def test_retry_after_header_in_seconds_overrides_retry_after(tmp_path: Path) -> None:
    run = Run(tmp_path, CREATE_AND_POLL, "flow_header_pkg")
    script = {
        ("POST", "/jobs"): [Reply(503, headers={"Retry-After": "7"}), job("queued", 201)],
        ("GET", "/jobs/j1"): [job("done")],
    }
    for result, lines, sleeps, _ in run.both("run_job", script):
        assert result.state == "done"
        assert lines == ["POST /jobs", "POST /jobs", "GET /jobs/j1"]
        assert sleeps == [7.0]


def test_retry_after_header_as_http_date_and_invalid_values(tmp_path: Path) -> None:
    run = Run(tmp_path, CREATE_AND_POLL, "flow_date_pkg")
    runtime = run.package._runtime
    import httpx

    def response(value: str | None) -> Any:
        headers = {"Retry-After": value} if value is not None else {}
        return runtime.ApiResponse(httpx.Response(503, headers=headers), lambda r: None)

    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25.0 <= runtime.retry_after(response(future), 1.0) <= 30.0
    past = email.utils.formatdate(time.time() - 30, usegmt=True)
    assert runtime.retry_after(response(past), 1.0) == 0.0
    assert runtime.retry_after(response("soon"), 1.0) == 1.0
    assert runtime.retry_after(response("-3"), 2.0) == 2.0
    assert runtime.retry_after(response(None), 2.5) == 2.5


RETRY_DEFAULTS = (
    HEAD
    + """
workflows:
  - workflowId: createOnce
    steps:
      - stepId: create
        operationId: createJob
        successCriteria: [{condition: $statusCode == 201}]
        outputs: {id: $response.body#/id}
        onFailure:
          - {name: again, type: retry}
          - {name: cancel, type: goto, stepId: cancel}
      - stepId: finish
        operationId: getJob
        parameters: [{name: id, in: path, value: $steps.create.outputs.id}]
        onSuccess: [{name: stop, type: end}]
      - stepId: cancel
        operationId: cancelJob
        parameters: [{name: id, in: path, value: gone}]
    outputs: {id: $steps.create.outputs.id}
"""
)


def test_retry_limit_omitted_retries_once_then_the_next_failure_action_applies(tmp_path: Path) -> None:
    """retryLimit omitted: a single retry; retryAfter omitted: no delay; once the limit is exhausted the
    subsequent failure action (goto) runs. The workflow output of a step that did not succeed is None."""
    run = Run(tmp_path, RETRY_DEFAULTS, "flow_once_pkg")
    script = {("POST", "/jobs"): [Reply(500)], ("POST", "/jobs/gone/cancel"): [Reply(204)]}
    for result, lines, sleeps, _ in run.both("create_once", script):
        assert result.id is None
        assert lines == ["POST /jobs", "POST /jobs", "POST /jobs/gone/cancel"]
        assert sleeps == [0.0]
    script = {("POST", "/jobs"): [job("queued", 201)], ("GET", "/jobs/j1"): [job("done")]}
    for result, lines, sleeps, _ in run.both("create_once", script):
        assert result.id == "j1"  # `end` in finish: cancel does not run
        assert lines == ["POST /jobs", "GET /jobs/j1"]
        assert sleeps == []


# -- goto, end, the guard -----------------------------------------------------------------------------
def test_a_goto_loop_stops_at_max_steps_with_a_clear_error(tmp_path: Path) -> None:
    run = Run(tmp_path, CREATE_AND_POLL, "flow_guard_pkg")
    script = {("POST", "/jobs"): [job("queued", 201)], ("GET", "/jobs/j1"): [job("running")]}
    for result, lines, _, _ in run.both("run_job", script, max_steps=5):
        assert isinstance(result, run.package._runtime.MaxStepsExceeded)
        assert (result.workflow, result.max_steps) == ("runJob", 5)
        assert result.steps == ["create", "poll", "poll", "poll", "poll"]
        assert str(result) == (
            "workflow 'runJob' started 5 steps without finishing (max_steps=5); the last: create, poll, poll, "
            "poll, poll"
        )
        assert lines == ["POST /jobs"] + ["GET /jobs/j1"] * 4


END_FLOW = (
    HEAD
    + """
workflows:
  - workflowId: maybeCancel
    steps:
      - stepId: read
        operationId: getJob
        parameters: [{name: id, in: path, value: j1}]
        outputs: {state: $response.body#/state}
        onSuccess:
          - {name: finished, type: end, criteria: [{condition: $response.body#/state == 'done'}]}
          - {name: jump, type: goto, stepId: cancel, criteria: [{condition: $response.body#/state == 'stuck'}]}
      - stepId: create
        operationId: createJob
        outputs: {id: $response.body#/id}
      - stepId: cancel
        operationId: cancelJob
        parameters: [{name: id, in: path, value: j1}]
    outputs: {state: $steps.read.outputs.state, created: $steps.create.outputs.id}
"""
)


def test_end_and_goto_with_criteria_first_matching_action_wins(tmp_path: Path) -> None:
    run = Run(tmp_path, END_FLOW, "flow_end_pkg")
    module = run.module()
    assert module.MaybeCancelOutputs.model_fields["created"].annotation == (str | None)
    cases = [
        ("done", ["GET /jobs/j1"], None),
        ("stuck", ["GET /jobs/j1", "POST /jobs/j1/cancel"], None),
        ("queued", ["GET /jobs/j1", "POST /jobs", "POST /jobs/j1/cancel"], "j1"),  # no action matches: next
    ]
    for state, expected, created in cases:
        script = {
            ("GET", "/jobs/j1"): [job(state)],
            ("POST", "/jobs"): [job("queued", 201)],
            ("POST", "/jobs/j1/cancel"): [Reply(204)],
        }
        for result, lines, _, _ in run.both("maybe_cancel", script):
            assert (result.state, result.created) == (state, created)
            assert lines == expected


NO_ACTION = (
    HEAD
    + """
workflows:
  - workflowId: strict
    steps:
      - stepId: read
        operationId: getJob
        parameters: [{name: id, in: path, value: j1}]
        successCriteria: [{condition: $statusCode == 200}, {condition: $response.body#/state == 'done'}]
        onFailure:
          - {name: notFound, type: end, criteria: [{condition: $statusCode == 404}]}
"""
)


def test_a_failure_no_action_matches_raises_step_failed_naming_the_criterion(tmp_path: Path) -> None:
    run = Run(tmp_path, NO_ACTION, "flow_noaction_pkg")
    for result, lines, _, _ in run.both("strict", {("GET", "/jobs/j1"): [job("running")]}):
        assert isinstance(result, run.package._runtime.StepFailed)
        assert (result.step, result.criterion) == ("read", "$response.body#/state == 'done'")
        assert lines == ["GET /jobs/j1"]
    for result, lines, _, _ in run.both("strict", {("GET", "/jobs/j1"): [Reply(404, {"error": "x"})]}):
        assert not isinstance(result, Exception)  # the end action applied to the error response
        assert lines == ["GET /jobs/j1"]
    for result, _, _, _ in run.both("strict", {("GET", "/jobs/j1"): [Reply(500)]}):
        assert isinstance(result, run.package._runtime.StepFailed)
        assert isinstance(result.cause, run.package._runtime.InternalServerError)


# -- workflow-level and component actions, retry with a stepId -------------------------------------------
LEVELS = (
    HEAD
    + """
components:
  failureActions:
    slowDown: {name: slowDown, type: retry, retryAfter: 3, retryLimit: 1, criteria: [{condition: $statusCode == 429}]}
  successActions:
    stopWhenDone: {name: stopWhenDone, type: end, criteria: [{condition: $response.body#/state == 'done'}]}
workflows:
  - workflowId: levels
    successActions:
      - reference: $components.successActions.stopWhenDone
    failureActions:
      - reference: $components.failureActions.slowDown
      - {name: busy, type: retry, retryAfter: 1, retryLimit: 1, criteria: [{condition: $statusCode == 503}]}
    steps:
      - stepId: first
        operationId: getJob
        parameters: [{name: id, in: path, value: a}]
        onFailure:
          - {name: busy, type: retry, retryAfter: 9, retryLimit: 2, criteria: [{condition: $statusCode == 503}]}
      - stepId: second
        operationId: getJob
        parameters: [{name: id, in: path, value: b}]
"""
)


def test_workflow_level_and_component_actions_apply_to_every_step_and_a_step_overrides_by_name(
    tmp_path: Path,
) -> None:
    run = Run(tmp_path, LEVELS, "flow_levels_pkg")
    script = {
        ("GET", "/jobs/a"): [Reply(429), Reply(503), Reply(503), job("running")],
        ("GET", "/jobs/b"): [Reply(503), job("running")],
    }
    for result, lines, sleeps, _ in run.both("levels", script):
        assert not isinstance(result, Exception), result
        assert lines == ["GET /jobs/a"] * 4 + ["GET /jobs/b"] * 2
        assert sleeps == [3.0, 9.0, 9.0, 1.0]  # component 429 retry, the step's own busy (x2), workflow busy
    script = {("GET", "/jobs/a"): [job("done")], ("GET", "/jobs/b"): [job("done")]}
    for result, lines, sleeps, _ in run.both("levels", script):
        assert lines == ["GET /jobs/a"]  # the component success action `end` applies to the first step
        assert sleeps == []


RETRY_STEP = (
    HEAD
    + """
workflows:
  - workflowId: withToken
    inputs: {type: object, properties: {token: {type: string}}, required: [token]}
    steps:
      - stepId: create
        operationId: createJob
        parameters: [{name: Authorization, in: header, value: "Bearer {$inputs.token}"}]
        successCriteria: [{condition: $statusCode == 201}]
        outputs: {id: $response.body#/id}
        onFailure:
          - {name: refresh, type: retry, stepId: refresh, retryAfter: 0.5, criteria: [{condition: $statusCode == 401}]}
        onSuccess: [{name: done, type: end}]
      - stepId: refresh
        operationId: refreshToken
        successCriteria: [{condition: $statusCode == 200}]
    outputs: {id: $steps.create.outputs.id}
"""
)


def test_retry_with_a_step_id_runs_that_step_then_retries(tmp_path: Path) -> None:
    run = Run(tmp_path, RETRY_STEP, "flow_retrystep_pkg")
    script = {
        ("POST", "/jobs"): [Reply(401, {"error": "expired"}), job("queued", 201)],
        ("POST", "/token"): [Reply(200, {"token": "new"})],
    }
    for result, lines, sleeps, server in run.both("with_token", script, token="t0"):
        assert result.id == "j1"
        assert lines == ["POST /jobs", "POST /token", "POST /jobs"]
        assert sleeps == [0.5]
        assert server.requests[2].headers["authorization"] == "Bearer t0"


# -- step kinds -----------------------------------------------------------------------------------------
KINDS = (
    HEAD
    + """
workflows:
  - workflowId: kinds
    steps:
      - stepId: byQualifiedId
        operationId: $sourceDescriptions.jobs.getJob
        parameters: [{name: id, in: path, value: a}]
      - stepId: byPath
        operationPath: "{$sourceDescriptions.jobs.url}#/paths/~1jobs~1{id}~1cancel/post"
        parameters: [{name: id, in: path, value: a}]
"""
)


def test_operation_id_qualified_by_source_and_operation_path_with_pointer_escapes(tmp_path: Path) -> None:
    run = Run(tmp_path, KINDS, "flow_kinds_pkg")
    script = {("GET", "/jobs/a"): [job("done")], ("POST", "/jobs/a/cancel"): [Reply(204)]}
    for result, lines, _, _ in run.both("kinds", script):
        assert not isinstance(result, Exception), result
        assert lines == ["GET /jobs/a", "POST /jobs/a/cancel"]


# -- diagnostics ----------------------------------------------------------------------------------------
def _diagnostics(tmp_path: Path, flow: str) -> list[str]:
    _, headlines = compile_files(tmp_path, {"openapi/jobs.yaml": JOBS_API, "arazzo/jobs.arazzo.yaml": flow},
                                    "flow_bad_pkg")  # fmt: skip
    prefix = str(tmp_path / "specs") + "/"
    return [line.replace(prefix, "specs/") for line in headlines]


def _one_step(actions: str, extra: str = "") -> str:
    return (
        HEAD
        + extra
        + """
workflows:
  - workflowId: bad
    steps:
      - stepId: read
        operationId: getJob
        parameters: [{name: id, in: path, value: a}]
"""
        + actions
    )


@pytest.mark.parametrize(
    ("actions", "expected"),
    [
        (
            "        onSuccess: [{name: x, type: goto, stepId: raed}]\n",
            ("specs/arazzo/jobs.arazzo.yaml:11:21: error[unknown-step]: goto action 'x' names step 'raed', which "
            "is not a step of this workflow; did you mean 'read'?"),
        ),
        (
            "        onSuccess: [{name: x, type: retry}]\n",
            ("specs/arazzo/jobs.arazzo.yaml:11:37: error[invalid-action]: a success action has type end, goto, "
            "not 'retry'"),
        ),
        (
            "        onFailure: [{name: x, type: goto}]\n",
            ("specs/arazzo/jobs.arazzo.yaml:11:21: error[invalid-action]: goto action 'x' needs a stepId or a "
            "workflowId"),
        ),
        (
            "        onFailure: [{name: x, type: goto, workflowId: nope}]\n",
            ("specs/arazzo/jobs.arazzo.yaml:11:55: error[unknown-workflow]: 'nope' names no workflow of "
            "jobs.arazzo.yaml (workflows: bad)"),
        ),
        (
            "        onFailure: [{name: x, type: retry, retryLimit: -1}]\n",
            ("specs/arazzo/jobs.arazzo.yaml:11:56: error[invalid-type]: 'retryLimit' must be a non-negative "
            "integer, not a number"),
        ),
        (
            "        onFailure: [{name: x, type: end}, {name: x, type: end}]\n",
            ("specs/arazzo/jobs.arazzo.yaml:11:43: error[duplicate-action]: action name 'x' is already used in "
            "this list at line 11"),
        ),
        (
            "        onFailure: [{name: x, type: end, retryAfter: 1}]\n",
            ("specs/arazzo/jobs.arazzo.yaml:11:54: error[invalid-action]: 'retryAfter' only applies to retry "
            "actions, not to end"),
        ),
        (
            "        onFailure: [{reference: $components.failureActions.nope}]\n",
            ("specs/arazzo/jobs.arazzo.yaml:11:33: error[unresolved-reference]: components.failureActions has no "
            "'nope'"),
        ),
    ],
)
def test_action_mistakes_are_located_errors(tmp_path: Path, actions: str, expected: str) -> None:
    assert _diagnostics(tmp_path, _one_step(actions)) == [expected]


def test_a_step_output_read_where_its_step_may_not_have_succeeded_is_an_error(tmp_path: Path) -> None:
    flow = (
        HEAD
        + """
workflows:
  - workflowId: skip
    steps:
      - stepId: read
        operationId: getJob
        parameters: [{name: id, in: path, value: a}]
        onSuccess: [{name: skip, type: goto, stepId: use, criteria: [{condition: $statusCode == 200}]}]
      - stepId: create
        operationId: createJob
        outputs: {id: $response.body#/id}
      - stepId: use
        operationId: getJob
        parameters: [{name: id, in: path, value: $steps.create.outputs.id}]
"""
    )
    assert _diagnostics(tmp_path, flow) == [
        (
            "specs/arazzo/jobs.arazzo.yaml:17:50: error[unset-step-output]: '$steps.create.outputs.id' is used by "
            "step 'use', which a goto, end or retry path reaches without step 'create' having succeeded"
        )
    ]


def test_sleep_and_max_steps_are_keyword_parameters_only_of_workflows_with_actions(tmp_path: Path) -> None:
    run = Run(tmp_path, CREATE_AND_POLL + KINDS.split("workflows:")[1].replace("\n", "\n", 1), "flow_sig_pkg")
    module = run.module()
    signature = inspect.signature(module.run_job)
    assert signature.parameters["sleep"].default is time.sleep
    assert signature.parameters["max_steps"].default == 1000
    assert inspect.signature(module.run_job_async).parameters["sleep"].default is asyncio.sleep
    assert "sleep" not in inspect.signature(module.kinds).parameters
    assert "max_steps" not in inspect.signature(module.kinds).parameters
    assert "MaxStepsExceeded" in (module.run_job.__doc__ or "")

