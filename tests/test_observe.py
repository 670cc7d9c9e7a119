"""Observability (issue 15 item 4): an ``on_step`` hook sees each call of a workflow step start and end (workflow,
step, attempt, method, URL template, status, duration), OpenTelemetry spans per workflow run and per step when
``opentelemetry-api`` is installed (and nothing needed when it is not), and redacted ``DEBUG`` records on the
package's logger. Run against a server on 127.0.0.1, a step retried by an Arazzo ``retry`` action included."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from .scripted import Reply, ScriptedServer, build_package, import_package

API = """
openapi: 3.0.3
info: {title: Sessions, version: "1"}
servers: [{url: "http://127.0.0.1:1"}]
paths:
  /sessions:
    post:
      operationId: createSession
      parameters: [{name: api_key, in: query, required: true, schema: {type: string}}]
      responses:
        "201":
          description: created
          content: {application/json: {schema: {type: object, properties: {id: {type: string}}}}}
  /sessions/{id}:
    get:
      operationId: getSession
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "200":
          description: the session
          content: {application/json: {schema: {type: object, properties: {state: {type: string}}}}}
    delete:
      operationId: closeSession
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"204": {description: closed}}
"""

FLOW = """
arazzo: 1.0.1
info: {title: Sessions, version: "1"}
sourceDescriptions: [{name: sessions, url: ../openapi/sessions.yaml, type: openapi}]
workflows:
  - workflowId: runInSession
    inputs: {type: object, properties: {key: {type: string}}}
    steps:
      - stepId: create
        operationId: createSession
        parameters: [{name: api_key, in: query, value: $inputs.key}]
        successCriteria: [{condition: $statusCode == 201}]
        outputs: {sessionId: $response.body#/id}
      - stepId: poll
        operationId: getSession
        parameters: [{name: id, in: path, value: $steps.create.outputs.sessionId}]
        successCriteria: [{condition: $statusCode == 200}]
        onFailure:
          - {name: busy, type: retry, retryAfter: 0, retryLimit: 2, criteria: [{condition: $statusCode == 503}]}
        outputs: {state: $response.body#/state}
      - stepId: close
        operationId: closeSession
        parameters: [{name: id, in: path, value: $steps.create.outputs.sessionId}]
    outputs: {state: $steps.poll.outputs.state}
  - workflowId: outer
    inputs: {type: object, properties: {key: {type: string}}}
    steps:
      - stepId: inner
        workflowId: runInSession
        parameters: [{name: key, value: $inputs.key}]
    outputs: {state: $steps.inner.outputs.state}
"""

KEY = "key-secret-value-1"
GOOD = {
    ("POST", "/sessions"): [Reply(201, {"id": "s-1"})],
    ("GET", "/sessions/s-1"): [Reply(503, {"error": "busy"}), Reply(200, {"state": "ready"})],
    ("DELETE", "/sessions/s-1"): [Reply(204)],
}
BAD = {**GOOD, ("GET", "/sessions/s-1"): [Reply(503, {"error": "busy"}), Reply(500, {"error": "down"})]}
CALLS = [  # (step, attempt, method, URL template, status) of each call of a good run
    ("create", 1, "POST", "/sessions", 201),
    ("poll", 1, "GET", "/sessions/{id}", 503),
    ("poll", 2, "GET", "/sessions/{id}", 200),
    ("close", 1, "DELETE", "/sessions/{id}", 204),
]


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    files = {"openapi/sessions.yaml": API, "arazzo/sessions.arazzo.yaml": FLOW}
    out, _ = build_package(tmp_path_factory.mktemp("observe"), files, "observe_pkg")
    return import_package(out, "observe_pkg")


def _run(package: ModuleType, url: str, run_async: bool, on_step: Any = None) -> Any:
    module, clients = package.workflows.sessions, package.apis.sessions.client
    if run_async:

        async def go() -> Any:
            async with clients.AsyncClient(base_url=url, on_step=on_step) as client:
                return await module.run_in_session_async(key=KEY, sessions_api=client)

        return asyncio.run(go())
    with clients.Client(base_url=url, on_step=on_step) as client:
        return module.run_in_session(key=KEY, sessions_api=client)


def _expected(package: ModuleType, calls: list[tuple[str, int, str, str, int]]) -> list[Any]:
    event = package.StepEvent
    return [
        e
        for step, attempt, method, template, status in calls
        for e in (
            event("start", "runInSession", step, attempt, method, template),
            event("end", "runInSession", step, attempt, method, template, status_code=status),
        )
    ]


def _timeless(events: list[Any]) -> list[Any]:
    """The events without their durations (checked here: an end's is a positive number, a start's None)."""
    for event in events:
        assert (event.duration is None) == (event.phase == "start")
        assert event.phase == "start" or 0 < event.duration < 5
    return [dataclasses.replace(event, duration=None) for event in events]


@pytest.mark.parametrize("run_async", [False, True])
def test_a_client_hook_sees_each_call_of_each_step_with_its_attempt(package: ModuleType, run_async: bool) -> None:
    events: list[Any] = []
    with ScriptedServer(GOOD) as server:
        outputs = _run(package, server.url, run_async, events.append)
    assert outputs.state == "ready"
    assert _timeless(events) == _expected(package, CALLS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        events[0].step_id = "other"


def test_observe_hooks_every_client_within_the_block_and_an_async_hook_is_awaited(package: ModuleType) -> None:
    seen: list[Any] = []

    async def hook(event: Any) -> None:
        await asyncio.sleep(0)
        seen.append((event.phase, event.step_id, event.attempt, event.status_code))

    async def go(url: str) -> None:
        with package.observe(hook):
            async with package.apis.sessions.client.AsyncClient(base_url=url) as client:
                await package.workflows.sessions.run_in_session_async(key=KEY, sessions_api=client)
        async with package.apis.sessions.client.AsyncClient(base_url=url) as client:  # outside: not seen
            await client.close_session(id_="s-1")

    with ScriptedServer(GOOD) as server:
        asyncio.run(go(server.url))
    assert seen == [
        (phase, step, attempt, status if phase == "end" else None)
        for step, attempt, _, _, status in CALLS
        for phase in ("start", "end")
    ]


def test_a_hook_that_raises_is_logged_and_the_workflow_goes_on(
    package: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="observe_pkg")

    def broken(event: Any) -> None:
        raise RuntimeError(f"hook saw {event.url_template}")

    with ScriptedServer(GOOD) as server:
        assert _run(package, server.url, False, broken).state == "ready"
    warnings = [r.getMessage() for r in caplog.records if r.name == "observe_pkg"]
    assert len(warnings) == 8
    assert warnings[0] == "on_step hook test_a_hook_that_raises_is_logged_and_the_workflow_goes_on.<locals>.broken raised RuntimeError: hook saw /sessions (ignored)"


def test_a_call_without_a_response_ends_with_its_error_and_no_status(package: ModuleType) -> None:
    events: list[Any] = []
    with ScriptedServer(GOOD) as server:
        url = server.url
    with pytest.raises(package.ApiConnectionError):  # nothing listens there any more
        _run(package, url, False, events.append)
    start, end = events
    assert (start.phase, start.step_id, end.phase, end.status_code) == ("start", "create", "end", None)
    assert isinstance(end.error, package.ApiConnectionError) and KEY not in str(end.error)


def test_calls_outside_a_workflow_have_no_step(package: ModuleType) -> None:
    events: list[Any] = []
    with ScriptedServer(GOOD) as server:
        with package.apis.sessions.client.Client(base_url=server.url, on_step=events.append) as client:
            client.close_session(id_="s-1")
    assert _timeless(events) == [
        package.StepEvent("start", None, None, 1, "DELETE", "/sessions/{id}"),
        package.StepEvent("end", None, None, 1, "DELETE", "/sessions/{id}", status_code=204),
    ]


def test_debug_records_on_the_package_logger_are_redacted(
    package: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="observe_pkg")
    with ScriptedServer(BAD) as server:
        with pytest.raises(package.StepFailed):
            _run(package, server.url, False)
    records = [r for r in caplog.records if r.name == "observe_pkg" and r.levelno == logging.DEBUG]
    messages = [r.getMessage().split(" in ")[0] for r in records]
    where = "workflow 'runInSession' step"
    assert messages == [
        f"{where} 'create' attempt 1: POST /sessions starts",
        f"{where} 'create' attempt 1: POST /sessions ended: HTTP 201",
        f"{where} 'poll' attempt 1: GET /sessions/{{id}} starts",
        f"{where} 'poll' attempt 1: GET /sessions/{{id}} ended: HTTP 503",
        f"{where} 'poll' attempt 2: GET /sessions/{{id}} starts",
        f"{where} 'poll' attempt 2: GET /sessions/{{id}} ended: HTTP 500",
    ]
    assert KEY not in caplog.text


def test_the_debug_record_of_a_failed_call_redacts_its_error(
    package: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="observe_pkg")
    with ScriptedServer(GOOD) as server:
        url = server.url.replace("http://", f"http://user:{KEY}@")  # a password in the URL, quoted by the error
    with pytest.raises(package.ApiConnectionError):
        with package.apis.sessions.client.Client(base_url=url) as client:
            client.create_session(api_key=KEY)
    (ended,) = [r.getMessage() for r in caplog.records if r.name == "observe_pkg" and "ended" in r.getMessage()]
    assert ended.startswith("call: POST /sessions ended: no response in ")
    assert "(ApiConnectionError: POST http://user:***@127.0.0.1:" in ended and KEY not in caplog.text


# -- OpenTelemetry ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def spans() -> Any:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


def _tree(exporter: Any) -> list[tuple[Any, ...]]:
    """(name, parent name, status, attributes) of each finished span, in the order they started."""
    finished = sorted(exporter.get_finished_spans(), key=lambda span: span.start_time)
    names = {span.context.span_id: span.name for span in finished}
    return [
        (
            span.name,
            names.get(span.parent.span_id) if span.parent is not None else None,
            span.status.status_code.name,
            dict(span.attributes),
        )
        for span in finished
    ]


def _step(step: str, attempt: int, method: str, template: str, status: int) -> dict[str, Any]:
    return {
        "arazzo.workflow.id": "runInSession",
        "arazzo.step.id": step,
        "arazzo.step.attempt": attempt,
        "http.request.method": method,
        "url.template": template,
        "http.response.status_code": status,
    }


@pytest.mark.parametrize("run_async", [False, True])
def test_one_span_per_run_and_one_child_per_step_attempt(package: ModuleType, spans: Any, run_async: bool) -> None:
    spans.clear()
    with ScriptedServer(GOOD) as server:
        _run(package, server.url, run_async)
    workflow = ("workflow runInSession", None, "UNSET", {"arazzo.workflow.id": "runInSession"})
    assert _tree(spans) == [
        workflow,
        ("step create", "workflow runInSession", "UNSET", _step(*CALLS[0])),
        ("step poll", "workflow runInSession", "ERROR", _step(*CALLS[1])),  # retried: it did not succeed
        ("step poll", "workflow runInSession", "UNSET", _step(*CALLS[2])),
        ("step close", "workflow runInSession", "UNSET", _step(*CALLS[3])),
    ]


def test_a_failed_step_and_its_run_have_error_spans(package: ModuleType, spans: Any) -> None:
    spans.clear()
    with ScriptedServer(BAD) as server:
        with pytest.raises(package.StepFailed):
            _run(package, server.url, False)
    tree = _tree(spans)
    assert [(name, parent, status) for name, parent, status, _ in tree] == [
        ("workflow runInSession", None, "ERROR"),
        ("step create", "workflow runInSession", "UNSET"),
        ("step poll", "workflow runInSession", "ERROR"),
        ("step poll", "workflow runInSession", "ERROR"),
    ]
    assert tree[3][3] == _step("poll", 2, "GET", "/sessions/{id}", 500) | {"error.type": "StepFailed"}
    assert tree[0][3] == {"arazzo.workflow.id": "runInSession", "error.type": "StepFailed"}
    failed = sorted(spans.get_finished_spans(), key=lambda span: span.start_time)
    assert failed[3].status.description.startswith("StepFailed: workflow 'runInSession' step 'poll' failed")


def test_without_opentelemetry_the_package_runs_and_does_not_require_it(package: ModuleType) -> None:
    root = Path(package.__file__).parent
    project = tomllib.loads((root.parent / "pyproject.toml").read_text())["project"]
    assert not [r for r in project["dependencies"] if "opentelemetry" in r]
    assert project["optional-dependencies"] == {"opentelemetry": ["opentelemetry-api>=1.27"]}
    script = (
        "import sys; sys.modules['opentelemetry'] = None\n"  # as if opentelemetry-api were not installed
        "import observe_pkg, observe_pkg._runtime as runtime\n"
        "assert runtime._OTEL is None\n"
        "events = []\n"
        "with observe_pkg.observe(events.append), runtime.WorkflowRun('w', None) as run:\n"
        "    run.step('s')\n"
        "    run.done('s')\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=root.parent, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.stdout == "ok\n", result.stderr


def test_a_workflow_a_step_runs_is_a_child_of_that_step(package: ModuleType, spans: Any) -> None:
    spans.clear()
    events: list[Any] = []
    with ScriptedServer(GOOD) as server, package.observe(events.append):
        with package.apis.sessions.client.Client(base_url=server.url) as client:
            assert package.workflows.sessions.outer(key=KEY, sessions_api=client).state == "ready"
    inner = "workflow runInSession"
    assert _tree(spans) == [
        ("workflow outer", None, "UNSET", {"arazzo.workflow.id": "outer"}),
        ("step inner", "workflow outer", "UNSET", {"arazzo.workflow.id": "outer", "arazzo.step.id": "inner", "arazzo.step.attempt": 1}),
        (inner, "step inner", "UNSET", {"arazzo.workflow.id": "runInSession"}),
        ("step create", inner, "UNSET", _step(*CALLS[0])),
        ("step poll", inner, "ERROR", _step(*CALLS[1])),
        ("step poll", inner, "UNSET", _step(*CALLS[2])),
        ("step close", inner, "UNSET", _step(*CALLS[3])),
    ]
    assert _timeless(events) == _expected(package, CALLS)  # the calls are the inner workflow's steps'


@pytest.mark.parametrize("run_async", [False, True])
def test_a_workflow_call_takes_its_own_hook_for_its_calls_and_those_of_the_workflows_it_runs(
    package: ModuleType, run_async: bool
) -> None:
    events: list[Any] = []
    module, clients = package.workflows.sessions, package.apis.sessions.client
    with ScriptedServer(GOOD) as server:
        if run_async:

            async def go() -> Any:
                async with clients.AsyncClient(base_url=server.url) as client:
                    return await module.outer_async(key=KEY, sessions_api=client, on_step=events.append)

            asyncio.run(go())
        else:
            with clients.Client(base_url=server.url) as client:
                module.outer(key=KEY, sessions_api=client, on_step=events.append)
            with clients.Client(base_url=server.url) as client:  # after the run: not reported
                client.close_session(id_="s-1")
    assert _timeless(events) == _expected(package, CALLS)
