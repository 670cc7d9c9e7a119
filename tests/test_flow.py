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
import pickle
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
      parameters: [{name: X-User, in: header, required: false, schema: {type: string}}]
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
        # a callable makes the script of each run (a scripted server's state starts afresh)
        with scripted(script() if callable(script) else dict(script)) as server:
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
        clone = pickle.loads(pickle.dumps(result))
        assert (type(clone), str(clone), clone.steps) == (type(result), str(result), result.steps)


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
          - {name: refresh, type: retry, stepId: refresh, retryAfter: 0.5, criteria: [{condition: $statusCode == 401 || $statusCode == 503}]}
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


def test_a_retry_whose_step_id_is_its_own_step_runs_it_then_retries_it_as_written(tmp_path: Path) -> None:
    """Arazzo 1.0.1 (Failure Action Object, type retry): "If a stepId or workflowId are specified, then the
    reference is executed and the context is returned, after which the current step is retried" -- with the
    failed step itself as the reference, it runs twice per retry. Compiled as written (a retry without stepId
    is the one-attempt-per-retry form); see docs/conformance.md."""
    flow = RETRY_STEP.replace("type: retry, stepId: refresh,", "type: retry, stepId: create,")
    run = Run(tmp_path, flow, "flow_retryself_pkg")
    script = {("POST", "/jobs"): [Reply(503, {"error": "busy"}), job("queued", 201), job("queued", 201)]}
    for result, lines, sleeps, _ in run.both("with_token", script.copy(), token="t0"):
        assert result.id == "j1"
        assert lines == ["POST /jobs", "POST /jobs", "POST /jobs"]
        assert sleeps == [0.5]


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
            ("specs/arazzo/jobs.arazzo.yaml:11:51: error[unknown-step]: goto action 'x' names step 'raed', which "
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


MAYBE_UNSET = (
    HEAD
    + """
workflows:
  - workflowId: skip
    steps:
      - stepId: read
        operationId: getJob
        parameters: [{name: id, in: path, value: a}]
        onSuccess: [{name: skip, type: goto, stepId: use, criteria: [{condition: $response.body#/state == 'done'}]}]
      - stepId: create
        operationId: createJob
        outputs: {id: $response.body#/id}
      - stepId: use
        operationId: refreshToken
        parameters: [{name: X-User, in: header, value: $steps.create.outputs.id}]
        outputs: {token: $response.body#/token}
    outputs: {token: $steps.use.outputs.token, created: $steps.create.outputs.id}
"""
)


def test_a_step_output_read_where_its_step_may_not_have_succeeded_is_a_warning_and_none(tmp_path: Path) -> None:
    run = Run(tmp_path, MAYBE_UNSET, "flow_maybe_unset_pkg")
    assert [w.replace(f"{tmp_path}/", "") for w in run.warnings] == [
        ("specs/arazzo/jobs.arazzo.yaml:17:56: warning[possibly-unset-step-output]: '$steps.create.outputs.id' is "
        "used by step 'use', which a goto, end or retry path reaches without step 'create' having succeeded; it is "
        "null (None) there")
    ]
    source = inspect.getsource(run.module())
    assert "    create_id: str | None = None\n" in source  # declared before the loop, so every path can read it
    token = Reply(200, {"token": "t"})
    skipped = {("GET", "/jobs/a"): [job("done")], ("POST", "/token"): [token]}
    for result, lines, _, server in run.both("skip", skipped):
        assert (result.token, result.created) == ("t", None)
        assert lines == ["GET /jobs/a", "POST /token"]
        assert "x-user" not in server.requests[1].headers  # None: the header is not sent
    created = {("GET", "/jobs/a"): [job("running")], ("POST", "/jobs"): [job("queued", 201)], ("POST", "/token"): [token]}
    for result, lines, _, server in run.both("skip", created):
        assert (result.token, result.created) == ("t", "j1")
        assert lines == ["GET /jobs/a", "POST /jobs", "POST /token"]
        assert server.requests[2].headers["x-user"] == "j1"


def test_a_step_output_read_where_its_step_never_succeeded_before_is_an_error(tmp_path: Path) -> None:
    flow = MAYBE_UNSET.replace("value: $steps.create.outputs.id}]", "value: $steps.use.outputs.token}]")
    assert _diagnostics(tmp_path, flow) == [
        (
            "specs/arazzo/jobs.arazzo.yaml:17:56: error[unset-step-output]: step 'use' reads its own output 'token', "
            "which is set only once the step has succeeded; take the value from the response ($response...) in its "
            "outputs, or from an earlier step"
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



# -- steps that run workflows ---------------------------------------------------------------------------
SUB_SAME = (
    HEAD
    + """
workflows:
  - workflowId: login
    inputs: {type: object, properties: {user: {type: string}}, required: [user]}
    steps:
      - stepId: token
        operationId: refreshToken
        parameters: [{name: X-User, in: header, value: $inputs.user}]
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {token: $response.body#/token}
    outputs: {token: $steps.token.outputs.token}
  - workflowId: createAsUser
    inputs: {type: object, properties: {user: {type: string}}, required: [user]}
    parameters:
      - {name: Authorization, in: header, value: ignored-by-the-callee}
    steps:
      - stepId: auth
        workflowId: login
        parameters: [{name: user, value: $inputs.user}]
      - stepId: create
        operationId: createJob
        parameters: [{name: Authorization, in: header, value: "Bearer {$steps.auth.outputs.token}"}]
        outputs: {id: $response.body#/id}
      - stepId: again
        workflowId: login
        parameters: [{name: user, value: second}]
        successCriteria: [{condition: $outputs.token == 'tok-2'}]
        outputs: {renewed: $outputs.token}
    outputs: {id: $steps.create.outputs.id, renewed: $steps.again.outputs.renewed}
"""
)


def test_a_step_runs_a_workflow_of_the_same_document_with_its_parameters_as_inputs(tmp_path: Path) -> None:
    run = Run(tmp_path, SUB_SAME, "flow_subsame_pkg")
    script = {
        ("POST", "/token"): [Reply(200, {"token": "tok-1"}), Reply(200, {"token": "tok-2"})],
        ("POST", "/jobs"): [job("queued", 201)],
    }
    for result, lines, _, server in run.both("create_as_user", script, user="ann"):
        assert (result.id, result.renewed) == ("j1", "tok-2")
        assert lines == ["POST /token", "POST /jobs", "POST /token"]
        assert server.requests[0].headers["x-user"] == "ann"
        assert server.requests[1].headers["authorization"] == "Bearer tok-1"
        assert server.requests[2].headers["x-user"] == "second"
    failing = {("POST", "/token"): [Reply(200, {"token": "tok-1"})], ("POST", "/jobs"): [job("queued", 201)]}
    for result, lines, _, _ in run.both("create_as_user", failing, user="ann"):
        assert isinstance(result, run.package._runtime.StepFailed)
        assert (result.workflow, result.step, result.criterion) == ("createAsUser", "again", "$outputs.token == 'tok-2'")
        assert lines == ["POST /token", "POST /jobs", "POST /token"]


OTHER_DOC = """
arazzo: 1.0.1
info: {title: Auth, version: "1"}
sourceDescriptions: [{name: authApi, url: ../openapi/jobs.yaml, type: openapi}]
workflows:
  - workflowId: fetchToken
    inputs: {type: object, properties: {user: {type: string}}, required: [user]}
    steps:
      - stepId: token
        operationId: refreshToken
        parameters: [{name: X-User, in: header, value: $inputs.user}]
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {token: $response.body#/token}
        onFailure:
          - {name: busy, type: retry, retryAfter: 4, criteria: [{condition: $statusCode == 503}]}
    outputs: {token: $steps.token.outputs.token}
"""

SUB_OTHER = """
arazzo: 1.0.1
info: {title: Jobs, version: "1"}
sourceDescriptions:
  - {name: jobs, url: ../openapi/jobs.yaml, type: openapi}
  - {name: auth, url: ../shared/auth.arazzo.yaml, type: arazzo}
workflows:
  - workflowId: createWithToken
    inputs: {type: object, properties: {user: {type: string}}, required: [user]}
    steps:
      - stepId: auth
        workflowId: $sourceDescriptions.auth.fetchToken
        parameters: [{name: user, value: $inputs.user}]
      - stepId: create
        operationId: createJob
        parameters: [{name: Authorization, in: header, value: "Bearer {$steps.auth.outputs.token}"}]
        outputs: {id: $response.body#/id}
    outputs: {id: $steps.create.outputs.id}
"""


def test_a_step_runs_a_workflow_of_a_type_arazzo_source_sharing_the_client_and_sleep(
    tmp_path: Path,
) -> None:
    """The called document lies outside SPECS' Arazzo folder but inside the root: it is compiled as a
    workflows module too. Both documents bind the same API document: one client serves both; the callee's
    retry makes the caller take `sleep` and pass it on (not `max_steps`: a retry alone is bounded by its
    limit)."""
    run = Run(tmp_path, SUB_OTHER, "flow_subother_pkg", extra={"shared/auth.arazzo.yaml": OTHER_DOC})
    assert run.warnings == []
    signature = inspect.signature(run.module().create_with_token)
    assert list(signature.parameters) == ["user", "jobs_api", "sleep", "deadline", "on_step"]
    script = {
        ("POST", "/token"): [Reply(503), Reply(200, {"token": "tok-1"})],
        ("POST", "/jobs"): [job("queued", 201)],
    }
    for result, lines, sleeps, server in run.both("create_with_token", script, user="ann"):
        assert result.id == "j1"
        assert lines == ["POST /token", "POST /token", "POST /jobs"]
        assert sleeps == [4.0]
        assert server.requests[2].headers["authorization"] == "Bearer tok-1"
    assert run.module("auth").fetch_token  # the source document is a module of the package


GOTO_WORKFLOW = (
    HEAD
    + """
workflows:
  - workflowId: cleanup
    inputs: {type: object, properties: {id: {type: string}}, required: [id]}
    steps:
      - stepId: cancel
        operationId: cancelJob
        parameters: [{name: id, in: path, value: $inputs.id}]
  - workflowId: check
    inputs: {type: object, properties: {id: {type: string}}, required: [id]}
    steps:
      - stepId: read
        operationId: getJob
        parameters: [{name: id, in: path, value: $inputs.id}]
        outputs: {state: $response.body#/state}
        onSuccess:
          - {name: stuck, type: goto, workflowId: cleanup, criteria: [{condition: $response.body#/state == 'stuck'}]}
        onFailure:
          - {name: relogin, type: retry, workflowId: cleanup, retryAfter: 2, criteria: [{condition: $statusCode == 401}]}
      - stepId: confirm
        operationId: getJob
        parameters: [{name: id, in: path, value: $inputs.id}]
    outputs: {state: $steps.read.outputs.state}
"""
)


def test_goto_a_workflow_runs_it_then_ends_and_retry_a_workflow_runs_it_then_retries(tmp_path: Path) -> None:
    run = Run(tmp_path, GOTO_WORKFLOW, "flow_gotowf_pkg")
    script = {("GET", "/jobs/j1"): [job("stuck")], ("POST", "/jobs/j1/cancel"): [Reply(204)]}
    for result, lines, sleeps, _ in run.both("check", script, id_="j1"):
        assert result.state == "stuck"
        assert lines == ["GET /jobs/j1", "POST /jobs/j1/cancel"]  # confirm does not run: control left
        assert sleeps == []
    script = {("GET", "/jobs/j1"): [Reply(401), job("queued"), job("queued")], ("POST", "/jobs/j1/cancel"): [Reply(204)]}
    for result, lines, sleeps, _ in run.both("check", script, id_="j1"):
        assert result.state == "queued"
        assert lines == ["GET /jobs/j1", "POST /jobs/j1/cancel", "GET /jobs/j1", "GET /jobs/j1"]
        assert sleeps == [2.0]


def test_workflow_call_mistakes_are_located_errors(tmp_path: Path) -> None:
    flow = (
        HEAD
        + """
workflows:
  - workflowId: callee
    inputs: {type: object, properties: {user: {type: string}}, required: [user]}
    steps:
      - stepId: read
        operationId: getJob
        parameters: [{name: id, in: path, value: $inputs.user}]
        outputs: {state: $response.body#/state}
    outputs: {state: $steps.read.outputs.state}
  - workflowId: caller
    steps:
      - stepId: a
        workflowId: calee
      - stepId: b
        workflowId: callee
        parameters: [{name: usr, value: x}]
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {s: $outputs.stat}
      - stepId: c
        operationId: getJob
        parameters: [{name: id, in: path, value: x}]
        onFailure: [{name: out, type: goto, workflowId: callee}]
"""
    )
    assert _diagnostics(tmp_path, flow) == [
        (
            "specs/arazzo/jobs.arazzo.yaml:17:21: error[unknown-workflow]: 'calee' names no workflow of "
            "jobs.arazzo.yaml (workflows: callee, caller); did you mean 'callee'?"
        ),
        (
            "specs/arazzo/jobs.arazzo.yaml:18:17: error[missing-parameter]: step 'b' does not pass the required input "
            "'user' of workflow 'callee'"
        ),
        (
            "specs/arazzo/jobs.arazzo.yaml:20:41: error[unknown-input]: workflow 'callee' has no input 'usr' (step "
            "'b' passes it); did you mean 'user'?"
        ),
        (
            "specs/arazzo/jobs.arazzo.yaml:21:39: error[response-in-workflow-step]: '$statusCode' refers to an HTTP "
            "request or response, but step 'b' runs a workflow; use $outputs.<name> of that workflow"
        ),
        (
            "specs/arazzo/jobs.arazzo.yaml:22:22: error[unknown-workflow-output]: workflow 'callee' has no output "
            "'stat'; did you mean 'state'?"
        ),
        (
            "specs/arazzo/jobs.arazzo.yaml:26:57: error[missing-input]: goto action 'out' runs workflow 'callee', "
            "which requires the input(s) 'user'; an action passes the inputs of workflow 'caller' with the same "
            "names, and it has none of that name"
        ),
    ]


# -- dependsOn ------------------------------------------------------------------------------------------
DEPENDS = (
    HEAD
    + """
workflows:
  - workflowId: login
    inputs: {type: object, properties: {user: {type: string}}, required: [user]}
    steps:
      - stepId: token
        operationId: refreshToken
        parameters: [{name: X-User, in: header, value: $inputs.user}]
        outputs: {token: $response.body#/token}
    outputs: {token: $steps.token.outputs.token}
  - workflowId: create
    dependsOn: [login]
    inputs: {type: object, properties: {user: {type: string}}, required: [user]}
    steps:
      - stepId: create
        operationId: createJob
        parameters: [{name: Authorization, in: header, value: "Bearer {$workflows.login.outputs.token}"}]
        outputs: {id: $response.body#/id}
    outputs: {id: $steps.create.outputs.id, token: $workflows.login.outputs.token}
  - workflowId: createWithoutUser
    dependsOn: [login]
    steps:
      - stepId: create
        operationId: createJob
        parameters: [{name: Authorization, in: header, value: "Bearer {$workflows.login.outputs.token}"}]
"""
)


def test_depends_on_runs_the_dependency_first_unless_its_outputs_are_passed(tmp_path: Path) -> None:
    run = Run(tmp_path, DEPENDS, "flow_depends_pkg")
    module = run.module()
    script = {("POST", "/token"): [Reply(200, {"token": "tok-1"})], ("POST", "/jobs"): [job("queued", 201)]}
    for result, lines, _, server in run.both("create", script, user="ann"):
        assert (result.id, result.token) == ("j1", "tok-1")
        assert lines == ["POST /token", "POST /jobs"]
        assert server.requests[0].headers["x-user"] == "ann"
        assert server.requests[1].headers["authorization"] == "Bearer tok-1"
    given = module.LoginOutputs(token="given")
    for result, lines, _, server in run.both("create", script, user="ann", login_outputs=given):
        assert result.token == "given"
        assert lines == ["POST /jobs"]
        assert server.requests[0].headers["authorization"] == "Bearer given"
    # the dependency needs `user`, which createWithoutUser does not have: its outputs are a required argument
    parameter = inspect.signature(module.create_without_user).parameters["login_outputs"]
    assert parameter.default is inspect.Parameter.empty
    assert inspect.signature(module.create).parameters["login_outputs"].default is None


def test_cyclic_depends_on_is_a_located_error(tmp_path: Path) -> None:
    flow = (
        HEAD
        + """
workflows:
  - workflowId: a
    dependsOn: [b]
    steps: [{stepId: s, operationId: refreshToken}]
  - workflowId: b
    dependsOn: [a]
    steps: [{stepId: s, operationId: refreshToken}]
  - workflowId: c
    dependsOn: [nope]
    steps: [{stepId: s, operationId: refreshToken}]
"""
    )
    assert _diagnostics(tmp_path, flow) == [
        (
            "specs/arazzo/jobs.arazzo.yaml:10:17: error[workflow-cycle]: dependsOn 'a' makes a cycle: a -> b -> a; a "
            "workflow cannot need itself"
        ),
        (
            "specs/arazzo/jobs.arazzo.yaml:13:17: error[unknown-workflow]: 'nope' names no workflow of "
            "jobs.arazzo.yaml (workflows: a, b, c)"
        ),
    ]


CALL_RETRY = (
    HEAD
    + """
workflows:
  - workflowId: readJob
    steps:
      - stepId: read
        operationId: getJob
        parameters: [{name: id, in: path, value: j1}]
        outputs: {state: $response.body#/state}
    outputs: {state: $steps.read.outputs.state}
  - workflowId: waitDone
    steps:
      - stepId: check
        workflowId: readJob
        successCriteria: [{condition: $outputs.state == 'done'}]
        onFailure:
          - {name: wait, type: retry, retryAfter: 5, retryLimit: 2, criteria: [{condition: $outputs.state == 'running'}]}
    outputs: {state: $steps.check.outputs.state}
"""
)


def test_a_workflow_step_retries_on_its_outputs(tmp_path: Path) -> None:
    run = Run(tmp_path, CALL_RETRY, "flow_callretry_pkg")
    script = {("GET", "/jobs/j1"): [job("running"), job("running"), job("done")]}
    for result, lines, sleeps, _ in run.both("wait_done", script):
        assert result.state == "done"
        assert lines == ["GET /jobs/j1"] * 3
        assert sleeps == [5.0, 5.0]
    script = {("GET", "/jobs/j1"): [job("running")]}
    for result, lines, sleeps, _ in run.both("wait_done", script):
        assert isinstance(result, run.package._runtime.StepFailed)
        assert (result.step, result.criterion, result.response) == ("check", "$outputs.state == 'done'", None)
        assert lines == ["GET /jobs/j1"] * 3
        assert sleeps == [5.0, 5.0]


CALLEE_FAILS = (
    CALL_RETRY
    + """  - workflowId: waitUp
    steps:
      - stepId: check
        workflowId: readJob
        onFailure:
          - {name: stuck, type: end, criteria: [{condition: $outputs.state == 'stuck'}]}
          - {name: down, type: retry, retryAfter: 2, retryLimit: 2}
    outputs: {state: $steps.check.outputs.state}
"""
)


def test_failure_actions_of_a_workflow_step_react_to_the_workflow_failing(tmp_path: Path) -> None:
    run = Run(tmp_path, CALLEE_FAILS, "flow_callee_fails_pkg")
    # readJob fails (503) twice: the step's retry runs it again; the action reading $outputs does not apply
    script = {("GET", "/jobs/j1"): [Reply(503), Reply(503), job("done")]}
    for result, lines, sleeps, _ in run.both("wait_up", script):
        assert not isinstance(result, Exception), result
        assert result.state == "done"
        assert lines == ["GET /jobs/j1"] * 3
        assert sleeps == [2.0, 2.0]
    # the retries exhausted, no action applies: readJob's own StepFailed propagates unchanged
    for result, lines, sleeps, _ in run.both("wait_up", {("GET", "/jobs/j1"): [Reply(503)]}):
        assert isinstance(result, run.package._runtime.StepFailed)
        assert (result.workflow, result.step, result.status_code) == ("readJob", "read", 503)
        assert lines == ["GET /jobs/j1"] * 3
        assert sleeps == [2.0, 2.0]


def test_a_possibly_unset_output_a_required_parameter_needs_fails_the_step_by_name(tmp_path: Path) -> None:
    flow = MAYBE_UNSET.replace(
        "        operationId: refreshToken\n        parameters: [{name: X-User, in: header, value: $steps.create.outputs.id}]\n"
        "        outputs: {token: $response.body#/token}\n",
        "        operationId: getJob\n        parameters: [{name: id, in: path, value: $steps.create.outputs.id}]\n"
        "        outputs: {token: $response.body#/state}\n",
    )
    run = Run(tmp_path, flow, "flow_unset_required_pkg")
    skipped = {("GET", "/jobs/a"): [job("done")]}
    for result, lines, _, _ in run.both("skip", skipped):
        assert isinstance(result, run.package._runtime.StepFailed)
        assert (result.workflow, result.step, result.criterion, result.response) == (
            "skip", "use", "$steps.create.outputs.id is set (its step has not succeeded on this run)", None,
        )
        assert lines == ["GET /jobs/a"]  # never GET /jobs/None
    created = {("GET", "/jobs/a"): [job("running")], ("POST", "/jobs"): [job("queued", 201)],
               ("GET", "/jobs/j1"): [job("done")]}  # fmt: skip
    for result, lines, _, _ in run.both("skip", created):
        assert (result.token, result.created) == ("done", "j1")
        assert lines == ["GET /jobs/a", "POST /jobs", "GET /jobs/j1"]


def test_an_input_named_like_a_workflow_function_it_calls_does_not_shadow_it(tmp_path: Path) -> None:
    flow = CALL_RETRY + """  - workflowId: caller
    inputs: {type: object, properties: {read_job: {type: string}}}
    steps:
      - stepId: run
        workflowId: readJob
    outputs: {state: $steps.run.outputs.state, given: $inputs.read_job}
"""
    run = Run(tmp_path, flow, "flow_input_shadow_pkg")
    parameters = list(inspect.signature(run.module().caller).parameters)
    assert parameters[0] != "read_job" and parameters[0].startswith("read_job")  # renamed: read_job() is called
    for result, lines, _, _ in run.both("caller", {("GET", "/jobs/j1"): [job("done")]}, **{parameters[0]: "x"}):
        assert not isinstance(result, Exception), result
        assert (result.state, result.given) == ("done", "x")
        assert lines == ["GET /jobs/j1"]
