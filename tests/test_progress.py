"""Partial progress on failure (issue 15 item 3): whatever ends a workflow run -- a failed step, a server that
went away, a cancellation -- carries ``progress``: the workflow, the step it was running and the outputs of
the steps that had succeeded. It survives pickling, is in the exception's notes and in the log, redacted."""

from __future__ import annotations

import asyncio
import logging
import pickle
import threading
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from .scripted import Recorded, Reply, ScriptedServer, build_package, import_package

API = """
openapi: 3.0.3
info: {title: Sessions, version: "1"}
servers: [{url: "http://127.0.0.1:1"}]
paths:
  /sessions:
    post:
      operationId: createSession
      responses:
        "201":
          description: created
          content:
            application/json:
              schema:
                type: object
                properties: {id: {type: string}, token: {type: string}}
  /sessions/{id}:
    delete:
      operationId: closeSession
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"204": {description: closed}}
  /sessions/{id}/jobs:
    post:
      operationId: runJob
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "201":
          description: queued
          content: {application/json: {schema: {type: object, properties: {job: {type: string}}}}}
"""

FLOW = """
arazzo: 1.0.1
info: {title: Sessions, version: "1"}
sourceDescriptions: [{name: sessions, url: ../openapi/sessions.yaml, type: openapi}]
workflows:
  - workflowId: runInSession
    steps:
      - stepId: create
        operationId: createSession
        successCriteria: [{condition: $statusCode == 201}]
        outputs: {sessionId: $response.body#/id, token: $response.body#/token}
      - stepId: runJob
        operationId: runJob
        parameters: [{name: id, in: path, value: $steps.create.outputs.sessionId}]
        successCriteria: [{condition: $statusCode == 201}]
        outputs: {job: $response.body#/job}
      - stepId: close
        operationId: closeSession
        parameters: [{name: id, in: path, value: $steps.create.outputs.sessionId}]
    outputs: {job: $steps.runJob.outputs.job, token: $steps.create.outputs.token}
"""

SECRET = "tok-secret-value-1"
CREATED = {"create": {"sessionId": "s-1", "token": SECRET}}


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    files = {"openapi/sessions.yaml": API, "arazzo/sessions.arazzo.yaml": FLOW}
    out, _ = build_package(tmp_path_factory.mktemp("progress"), files, "progress_pkg")
    return import_package(out, "progress_pkg")


def _run(package: ModuleType, url: str, run_async: bool) -> Any:
    module, clients = package.workflows.sessions, package.apis.sessions.client
    if run_async:

        async def go() -> Any:
            async with clients.AsyncClient(base_url=url) as client:
                return await module.run_in_session_async(sessions_api=client)

        return asyncio.run(go())
    with clients.Client(base_url=url) as client:
        return module.run_in_session(sessions_api=client)


def _check(error: BaseException, caplog: pytest.LogCaptureFixture, step: str = "runJob") -> None:
    progress = error.progress  # type: ignore[attr-defined]
    assert (progress.workflow, progress.step, progress.completed) == ("runInSession", step, CREATED)
    assert progress.outputs("create")["sessionId"] == "s-1"
    copy = pickle.loads(pickle.dumps(error))
    assert copy.progress == progress and copy.progress.completed == CREATED
    note = "workflow 'runInSession' stopped at step 'runJob'; completed: create(sessionId='s-1', token=***)"
    assert note in error.__notes__ and repr(progress) == note
    logged = [r.getMessage() for r in caplog.records if "stopped at step" in r.getMessage()]
    assert logged and "s-1" in logged[-1] and all(SECRET not in message for message in logged)


@pytest.mark.parametrize("run_async", [False, True])
def test_a_server_killed_after_the_first_step_leaves_the_session_id_in_the_error(
    package: ModuleType, run_async: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    holder: list[ScriptedServer] = []

    def script(request: Recorded) -> Reply:
        # the server answers the first request, then goes away: the next one finds nothing listening
        server = holder[0]._server
        assert server is not None
        server.shutdown()
        server.socket.close()
        return Reply(201, {"id": "s-1", "token": SECRET}, headers={"Connection": "close"})

    with ScriptedServer(script) as server:
        holder.append(server)
        with pytest.raises(package._runtime.ApiConnectionError) as caught:
            _run(package, server.url, run_async)
    assert [r.line for r in server.requests] == ["POST /sessions"]
    _check(caught.value, caplog)


@pytest.mark.parametrize("run_async", [False, True])
def test_a_failed_step_carries_the_outputs_of_the_steps_before_it_and_the_cleanup_pattern_works(
    package: ModuleType, run_async: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """The pattern the generated README shows: close the session a failed run opened, from its progress."""
    caplog.set_level(logging.WARNING)
    script = {
        ("POST", "/sessions"): [Reply(201, {"id": "s-1", "token": SECRET})],
        ("POST", "/sessions/s-1/jobs"): [Reply(500, {"error": "down"})],
        ("DELETE", "/sessions/s-1"): [Reply(204)],
    }
    with ScriptedServer(script) as server:
        with pytest.raises(package._runtime.StepFailed) as caught:
            _run(package, server.url, run_async)
        _check(caught.value, caplog)
        session = caught.value.progress.completed.get("create", {}).get("sessionId")
        with package.apis.sessions.client.Client(base_url=server.url) as client:
            client.close_session(id_=session)
    assert [r.line for r in server.requests] == ["POST /sessions", "POST /sessions/s-1/jobs", "DELETE /sessions/s-1"]


def test_a_cancelled_run_carries_its_progress(package: ModuleType, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    started = threading.Event()

    def script(request: Recorded) -> Reply:
        if request.path == "/sessions":
            return Reply(201, {"id": "s-1", "token": SECRET})
        started.set()
        time.sleep(2)  # the job request hangs: the caller cancels the run meanwhile
        return Reply(201, {"job": "j"})

    async def go(url: str) -> None:
        async with package.apis.sessions.client.AsyncClient(base_url=url) as client:
            task = asyncio.create_task(package.workflows.sessions.run_in_session_async(sessions_api=client))
            while not started.is_set():
                await asyncio.sleep(0.01)
            task.cancel()
            await task

    with ScriptedServer(script) as server:
        with pytest.raises(asyncio.CancelledError) as caught:
            asyncio.run(go(server.url))
    _check(caught.value, caplog)


def test_a_successful_run_attaches_nothing_and_logs_nothing(
    package: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    script = {
        ("POST", "/sessions"): [Reply(201, {"id": "s-1", "token": SECRET})],
        ("POST", "/sessions/s-1/jobs"): [Reply(201, {"job": "j-1"})],
        ("DELETE", "/sessions/s-1"): [Reply(204)],
    }
    with ScriptedServer(script) as server:
        outputs = _run(package, server.url, False)
    assert outputs.job == "j-1"
    assert not [r for r in caplog.records if "stopped at step" in r.getMessage()]


def test_the_runtime_progress_of_a_sub_workflow_is_nested() -> None:
    from arazzo_gen.runtime import _runtime as runtime

    with pytest.raises(runtime.ApiConnectionError) as caught:
        with runtime.WorkflowRun("outer", None) as outer:
            outer.step("a")
            outer.done("a", {"id": "1"})
            outer.step("sub")
            with runtime.WorkflowRun("inner", None) as inner:
                inner.step("x")
                raise runtime.ApiConnectionError("GET", "http://127.0.0.1:9/x?sig=abcdefgh", "refused")
    progress = caught.value.progress  # type: ignore[attr-defined]
    assert (progress.workflow, progress.step, progress.completed) == ("outer", "sub", {"a": {"id": "1"}})
    assert (progress.inner.workflow, progress.inner.step, progress.inner.completed) == ("inner", "x", {})
    assert len(caught.value.__notes__) == 1  # the outer note tells the inner one's too


def test_the_generated_readme_shows_the_cleanup_pattern() -> None:
    readme = (Path(__file__).resolve().parents[1] / "generated/README.md").read_text()
    assert "error.progress" in readme and ".completed" in readme


def test_a_server_issued_signature_in_a_completed_output_is_redacted_in_the_text_but_kept_in_the_value() -> None:
    from arazzo_gen.runtime import _runtime as runtime

    sas = "https://acct.blob.core.windows.net/c?sv=2020-10-02&sig=SECRETSIGNATURE123&se=2026-12-08"
    progress = runtime.Progress("wf", "next", {"getSasUri": {"sasUri": sas}})
    assert "SECRETSIGNATURE123" not in repr(progress) and "sig=***" in repr(progress)
    assert progress.completed["getSasUri"]["sasUri"] == sas


def test_credentials_nested_in_completed_outputs_are_hidden_in_the_text() -> None:
    """Review finding: an output holding a whole login body showed its accessToken and password in the notes
    and the log; members with credential-like names and Authorization-like values are hidden at any depth."""
    from arazzo_gen.runtime import _runtime as runtime

    value = {"session": {"accessToken": "SECRETA", "password": "SECRETB", "id": "s-1"}, "auth": "Bearer SECRETE"}
    text = repr(runtime.Progress("w", "s", {"login": {"body": value}}))
    assert not any(secret in text for secret in ("SECRETA", "SECRETB", "SECRETE")), text
    assert "'id': 's-1'" in text and "Bearer ***" in text


@pytest.mark.parametrize(
    "name", ["client_secret", "api-key", "subscription-key", "private_key", "passwd", "accessKey", "X-Goog-Signature"]
)
def test_common_credential_query_names_are_redacted_in_urls(name: str) -> None:
    from arazzo_gen.runtime import _runtime as runtime

    assert runtime.redact_text(f"https://h.example/p?{name}=SECRETVALUE&page=2") == (
        f"https://h.example/p?{name}=***&page=2"
    )
    assert not runtime.is_credential_name("monkey") and not runtime.is_credential_name("keyword")


def test_an_error_passing_through_nested_runs_carries_one_note_and_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Review finding: each run the error passed through added a note and a WARNING record, also when the
    caller recovered (a retry of the step running the workflow): the inner runs now log at DEBUG."""
    from arazzo_gen.runtime import _runtime as runtime

    caplog.set_level(logging.DEBUG)
    with runtime.WorkflowRun("caller", None) as caller:
        caller.step("sub")
        with pytest.raises(runtime.ApiConnectionError):
            with runtime.WorkflowRun("callee", None) as callee:
                callee.step("x")
                raise runtime.ApiConnectionError("GET", "http://127.0.0.1:9/x", "refused")
    assert [(r.levelno, r.getMessage()[:17]) for r in caplog.records if "stopped" in r.getMessage()] == [
        (logging.DEBUG, "workflow 'callee'")
    ]
    caplog.clear()
    with pytest.raises(runtime.ApiConnectionError) as caught:
        with runtime.WorkflowRun("outer", None) as outer:
            outer.step("sub")
            with runtime.WorkflowRun("inner", None) as inner:
                inner.step("x")
                raise runtime.ApiConnectionError("GET", "http://127.0.0.1:9/x", "refused")
    assert caught.value.__notes__ == [repr(caught.value.progress)]  # type: ignore[attr-defined]
    assert "inside workflow 'inner'" in caught.value.__notes__[0]
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 1 and warned[0].startswith("workflow 'outer'")


SELF_GOTO = """
arazzo: 1.0.1
info: {title: Again, version: "1"}
sourceDescriptions: [{name: sessions, url: ../openapi/sessions.yaml, type: openapi}]
workflows:
  - workflowId: main
    inputs: {type: object, properties: {main: {type: string}}}
    steps:
      - stepId: first
        operationId: createSession
        successCriteria: [{condition: $statusCode == 201}]
        onFailure: [{name: again, type: goto, workflowId: main, criteria: [{condition: $statusCode == 503}]}]
"""


def test_an_input_named_like_its_workflow_does_not_shadow_the_function_a_goto_runs_again(tmp_path: Path) -> None:
    """Review finding: the input `main` shadowed `main()` that the goto calls (TypeError at run time)."""
    out, _ = build_package(tmp_path, {"openapi/sessions.yaml": API, "arazzo/again.arazzo.yaml": SELF_GOTO}, "again_pkg")
    package = import_package(out, "again_pkg")
    script = {("POST", "/sessions"): [Reply(503, {"busy": True}), Reply(201, {"id": "s-2", "token": SECRET})]}
    with ScriptedServer(script) as server:
        with package.apis.sessions.client.Client(base_url=server.url) as client:
            package.workflows.again.main(main_2="x", sessions_api=client)
    assert [r.line for r in server.requests] == ["POST /sessions", "POST /sessions"]
