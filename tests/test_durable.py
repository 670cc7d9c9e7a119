"""The durable variant (``--durable``, DBOS Transact on SQLite): a run killed with SIGKILL resumes under the same
run id from its last completed exchange, and the server sees each completed step's request exactly once.

The workflows run in child processes through the generated command line (``python -m <package> run ...
--durable DB --run-id ID``), as a user runs them, against a stateful HTTP server on 127.0.0.1 that records every
request and can hold one until the test has killed the child.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.scripted import Recorded, Reply, ScriptedServer, build_package

pytest.importorskip("dbos", reason="the durable variant needs dbos: pip install -e '.[test]'")

API = """
openapi: 3.0.3
info: {title: Sessions, version: 1.0.0}
paths:
  /sessions:
    post:
      operationId: openSession
      parameters:
        - {name: Authorization, in: header, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, properties: {name: {type: string}}}
      responses:
        "201":
          description: opened
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Thing"}
  /sessions/{id}/job:
    put:
      operationId: putJob
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: the job
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Thing"}
        "503": {description: busy}
  /sessions/{id}/jobs:
    post:
      operationId: postJob
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: the job
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Thing"}
  /sessions/{id}:
    delete:
      operationId: closeSession
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "204": {description: closed}
components:
  schemas:
    Thing:
      type: object
      required: [id]
      properties: {id: {type: string}}
"""


def _flow(workflow_id: str, submit: str, retry: bool) -> str:
    on_failure = (
        """
        onFailure:
          - {name: busy, type: retry, retryAfter: 2, retryLimit: 3, criteria: [{condition: $statusCode == 503}]}"""
        if retry
        else ""
    )
    return f"""
  - workflowId: {workflow_id}
    inputs:
      type: object
      required: [name, token]
      properties:
        name: {{type: string}}
        token: {{type: string}}
    steps:
      - stepId: open
        operationId: openSession
        parameters:
          - {{name: Authorization, in: header, value: "Bearer {{$inputs.token}}"}}
        requestBody:
          payload: {{name: $inputs.name}}
        successCriteria: [{{condition: $statusCode == 201}}]
        outputs: {{sessionId: $response.body#/id}}
      - stepId: submit
        operationId: {submit}
        parameters:
          - {{name: id, in: path, value: $steps.open.outputs.sessionId}}
        successCriteria: [{{condition: $statusCode == 200}}]
        outputs: {{jobId: $response.body#/id}}{on_failure}
      - stepId: close
        operationId: closeSession
        parameters:
          - {{name: id, in: path, value: $steps.open.outputs.sessionId}}
        successCriteria: [{{condition: $statusCode == 204}}]
    outputs:
      sessionId: $steps.open.outputs.sessionId
      jobId: $steps.submit.outputs.jobId
"""


FLOW = (
    """
arazzo: 1.0.1
info: {title: Durable sessions, version: 1.0.0}
sourceDescriptions:
  - {name: sessionsApi, url: ../openapi/sessions.yaml, type: openapi}
workflows:"""
    + _flow("put-flow", "putJob", retry=True)
    + _flow("post-flow", "postJob", retry=False)
    + """
  - workflowId: outer-flow
    inputs:
      type: object
      required: [name, token]
      properties:
        name: {type: string}
        token: {type: string}
    steps:
      - stepId: provision
        workflowId: put-flow
        parameters:
          - {name: name, value: $inputs.name}
          - {name: token, value: $inputs.token}
        outputs: {jobId: $outputs.jobId}
    outputs:
      jobId: $steps.provision.outputs.jobId
"""
)
FILES = {"openapi/sessions.yaml": API, "arazzo/sessions.arazzo.yaml": FLOW}
INPUTS = {"name": "bell-pair", "token": "s3cret-token-value"}


class Sessions:
    """A stateful server: sessions and their jobs.  ``hold`` holds the first request of that line until
    :meth:`release`; ``busy`` answers the first request of that line 503."""

    def __init__(
        self, hold: str | None = None, busy: str | None = None, gzip: bool = False, refuse: str | None = None
    ) -> None:
        self.hold, self.busy, self.gzip, self.refuse = hold, busy, gzip, refuse
        self.sessions: dict[str, dict[str, Any]] = {}
        self.arrived = threading.Event()
        self.released = threading.Event()
        self.seen: dict[str, int] = {}
        self.replies: dict[str, Reply] = {}  # by Idempotency-Key
        self.lock = threading.Lock()

    def release(self) -> None:
        self.released.set()

    def __call__(self, request: Recorded) -> Reply:
        line = request.line
        with self.lock:
            count = self.seen[line] = self.seen.get(line, 0) + 1
        if line == self.hold and count == 1:
            self.arrived.set()
            self.released.wait(30)
        if line == self.busy and count == 1:
            self.arrived.set()
            return Reply(503, {"busy": True})
        if line == self.refuse and count == 1:
            return Reply(409, {"conflict": True})
        reply = self._keyed(request)
        if self.gzip and reply.json is not None:  # as real APIs answer a client that accepts gzip
            payload = gzip.compress(json.dumps(reply.json).encode())
            return Reply(reply.status, text=payload, content_type="application/json",
                         headers={"Content-Encoding": "gzip"})  # fmt: skip
        return reply

    def _keyed(self, request: Recorded) -> Reply:
        key = request.headers.get("idempotency-key")
        with self.lock:
            if (
                key is not None and key in self.replies
            ):  # a repeated request with its key: the same answer
                return self.replies[key]
            reply = self._answer(request)
            if key is not None:
                self.replies[key] = reply
            return reply

    def _answer(self, request: Recorded) -> Reply:
        line = request.line
        parts = request.path.strip("/").split("/")
        if line == "POST /sessions":
            session = f"s{len(self.sessions) + 1}"
            self.sessions[session] = {"name": request.json()["name"], "jobs": [], "open": True}
            return Reply(201, {"id": session})
        if len(parts) == 3 and parts[0] == "sessions" and parts[1] in self.sessions:
            jobs = self.sessions[parts[1]]["jobs"]
            if request.method == "POST" or not jobs:  # PUT sets the session's one job: idempotent
                jobs.append(f"j{len(jobs) + 1}")
            return Reply(200, {"id": jobs[-1]})
        if request.method == "DELETE" and len(parts) == 2 and parts[1] in self.sessions:
            self.sessions[parts[1]]["open"] = False
            return Reply(204)
        return Reply(404, {"missing": line})


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out, _ = build_package(tmp_path_factory.mktemp("durable"), FILES, "durable_pkg", durable=True)
    return out


def _command(out: Path, *arguments: str) -> list[str]:
    return [sys.executable, "-m", "durable_pkg", *arguments]


def _env(out: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(out), env.get("PYTHONPATH", "")])
    return env


def _run_args(workflow: str, db: Path, url: str, inputs: Path) -> list[str]:
    return ["run", workflow, "--durable", str(db), "--run-id", "run-1",
            "--base-url", f"sessions={url}", "--inputs", str(inputs)]  # fmt: skip


@pytest.fixture
def inputs_file(tmp_path: Path) -> Path:
    path = tmp_path / "inputs.json"
    path.write_text(json.dumps(INPUTS), encoding="utf-8")
    return path


def _start(out: Path, arguments: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        _command(out, *arguments), env=_env(out), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def _finish(out: Path, arguments: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _command(out, *arguments),
        env=_env(out),
        text=True,
        capture_output=True,
        timeout=120,
        check=False,
    )


def _kill_when(child: subprocess.Popen[str], event: threading.Event, after: float = 0.0) -> None:
    assert event.wait(60), "the child never reached the request: " + (
        child.stderr.read() if child.stderr else ""
    )
    time.sleep(after)
    child.send_signal(signal.SIGKILL)
    child.wait(30)
    assert child.returncode == -signal.SIGKILL


@pytest.fixture
def server_for() -> Iterator[Any]:
    servers: list[ScriptedServer] = []

    def make(state: Sessions) -> ScriptedServer:
        server = ScriptedServer(state).__enter__()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.__exit__(None, None, None)


def test_killed_in_flight_put_resumes_and_completed_steps_are_not_sent_again(
    package: Path, tmp_path: Path, inputs_file: Path, server_for: Any
) -> None:
    state = Sessions(hold="PUT /sessions/s1/job")
    server = server_for(state)
    arguments = _run_args("put-flow", tmp_path / "runs.sqlite", server.url, inputs_file)
    child = _start(package, arguments)
    _kill_when(child, state.arrived)  # SIGKILL while step 2 (submit) is in flight
    state.release()
    again = _finish(package, arguments)  # the same command resumes run-1
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {"sessionId": "s1", "jobId": "j1"}
    # open completed before the kill: not sent again; the PUT in flight is safe to repeat: sent again
    assert [r.line for r in server.requests] == [
        "POST /sessions", "PUT /sessions/s1/job", "PUT /sessions/s1/job", "DELETE /sessions/s1",
    ]  # fmt: skip
    assert state.sessions["s1"]["open"] is False and len(state.sessions) == 1
    # the same command once more: the run is complete, nothing is sent
    third = _finish(package, arguments)
    assert third.returncode == 0 and json.loads(third.stdout) == {"sessionId": "s1", "jobId": "j1"}
    assert len(server.requests) == 4


def test_killed_during_retry_after_sleep_resumes_the_sleep(
    package: Path, tmp_path: Path, inputs_file: Path, server_for: Any
) -> None:
    state = Sessions(busy="PUT /sessions/s1/job")  # 503 first: the retry action waits 2 s
    server = server_for(state)
    arguments = _run_args("put-flow", tmp_path / "runs.sqlite", server.url, inputs_file)
    child = _start(package, arguments)
    _kill_when(child, state.arrived, after=0.5)  # SIGKILL inside the durable sleep
    first_put = time.monotonic() - 0.5
    again = _finish(package, arguments)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {"sessionId": "s1", "jobId": "j1"}
    assert [r.line for r in server.requests] == [
        "POST /sessions", "PUT /sessions/s1/job", "PUT /sessions/s1/job", "DELETE /sessions/s1",
    ]  # fmt: skip
    assert time.monotonic() - first_put >= 2.0  # the wait of retryAfter was kept across the restart


def test_killed_in_flight_post_is_not_sent_again_until_an_operator_retries(
    package: Path, tmp_path: Path, inputs_file: Path, server_for: Any
) -> None:
    state = Sessions(hold="POST /sessions/s1/jobs")
    server = server_for(state)
    db = tmp_path / "runs.sqlite"
    arguments = _run_args("post-flow", db, server.url, inputs_file)
    child = _start(package, arguments)
    _kill_when(child, state.arrived)
    state.release()
    again = _finish(package, arguments)
    assert again.returncode == 1
    assert "error: StepInDoubt: run 'run-1': step 'post-flow/submit' sent POST" in again.stderr
    assert [r.line for r in server.requests] == ["POST /sessions", "POST /sessions/s1/jobs"]
    listed = _finish(package, ["runs", "list", "--durable", str(db)])
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split()[:4] == ["run-1", "post-flow", "ERROR", "step=submit"]
    retried = _finish(package, ["runs", "retry", "run-1", "--durable", str(db),
                                "--base-url", f"sessions={server.url}", "--inputs", str(inputs_file)])  # fmt: skip
    assert retried.returncode == 0, retried.stderr
    assert json.loads(retried.stdout) == {"sessionId": "s1", "jobId": "j2"}
    assert [r.line for r in server.requests] == [
        "POST /sessions", "POST /sessions/s1/jobs", "POST /sessions/s1/jobs", "DELETE /sessions/s1",
    ]  # fmt: skip


def test_credentials_are_not_stored_with_the_run(
    package: Path, tmp_path: Path, inputs_file: Path, server_for: Any
) -> None:
    state = Sessions()
    server = server_for(state)
    db = tmp_path / "runs.sqlite"
    done = _finish(package, _run_args("put-flow", db, server.url, inputs_file))
    assert done.returncode == 0, done.stderr
    assert server.requests[0].headers["authorization"] == "Bearer s3cret-token-value"
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("runs.sqlite*"))
    assert b"s3cret-token-value" not in stored
    import base64

    assert base64.b64encode(b"s3cret-token-value")[:12] not in stored


def test_cancel_prints_what_the_run_had_done(
    package: Path, tmp_path: Path, inputs_file: Path, server_for: Any
) -> None:
    state = Sessions(hold="PUT /sessions/s1/job")
    server = server_for(state)
    db = tmp_path / "runs.sqlite"
    child = _start(package, _run_args("put-flow", db, server.url, inputs_file))
    _kill_when(child, state.arrived)
    state.release()
    shown = _finish(package, ["runs", "show", "run-1", "--durable", str(db)])
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) == {
        "workflow": "put-flow",
        "step": "submit",
        "completed": {"open": {"sessionId": "s1"}},
    }
    cancelled = _finish(package, ["runs", "cancel", "run-1", "--durable", str(db)])
    assert cancelled.returncode == 0, cancelled.stderr
    assert json.loads(cancelled.stdout)["completed"] == {"open": {"sessionId": "s1"}}
    listed = _finish(package, ["runs", "list", "--all", "--durable", str(db)])
    assert "run-1  put-flow  CANCELLED" in listed.stdout
    assert len(server.requests) == 2  # nothing was sent by show, cancel or list
    # resumed, the cancelled run goes on from its last completed exchange
    resumed = _finish(package, ["runs", "resume", "run-1", "--durable", str(db),
                                "--base-url", f"sessions={server.url}", "--inputs", str(inputs_file)])  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout) == {"sessionId": "s1", "jobId": "j1"}
    assert [r.line for r in server.requests] == [
        "POST /sessions", "PUT /sessions/s1/job", "PUT /sessions/s1/job", "DELETE /sessions/s1",
    ]  # fmt: skip


# -- the seed workflows, durable, against the stand-in ----------------------------------------------------------
def test_the_seed_workflows_run_durably_and_a_finished_run_is_not_sent_again(
    standin: Any, tmp_path: Path
) -> None:
    """generated/ carries the durable variant of the seed workflows (the long quantum sessions it exists for):
    each runs on SQLite against the stand-in with the plain function's outputs, and the same run id again
    returns them without a request."""
    quantum = pytest.importorskip(
        "quantum_workflows", reason="install the generated package: pip install ./generated"
    )
    from quantum_workflows import durable
    from quantum_workflows.apis import (
        azure_quantum_data_plane,
        ibm_quantum_runtime_jobs,
        ibm_quantum_runtime_sessions,
    )

    sent: list[str] = []
    http = httpx.Client(
        event_hooks={
            "request": [lambda request: sent.append(f"{request.method} {request.url.path}")]
        }
    )
    clients = {
        "ibm_quantum_runtime_sessions": ibm_quantum_runtime_sessions.Client(
            standin.ibm_base_url, http_client=http
        ),
        "ibm_quantum_runtime_jobs": ibm_quantum_runtime_jobs.Client(
            standin.ibm_base_url, http_client=http
        ),
        "azure_quantum_data_plane": azure_quantum_data_plane.Client(
            endpoint=standin.azure_endpoint, http_client=http
        ),
    }
    ibm = {"access_token": "test-token", "service_crn": "crn:v1:test", "api_version": "2026-03-15"}
    azure = {
        "subscription_id": "00000000-1111-2222-3333-444444444444", "resource_group_name": "rg-quantum",
        "workspace_name": "ws-quantum", "api_version": "2026-01-15-preview", "auth_token": "azure-token",
        "session_id": "8d5f5c0e-0000-4000-8000-000000000001", "job_failure_policy": "Abort",
        "job_id": "8d5f5c0e-0000-4000-8000-000000000002", "container_name": "jobs", "quantum_item_count": 3,
    }  # fmt: skip
    with durable.Durable(str(tmp_path / "runs.sqlite"), clients=clients, worker="seeds") as runs:
        first = runs.run(durable.session_run_and_close, {**ibm, "backend": "ibm_torino", "mode": "batch",
                         "program_id": "sampler", "params": {"pubs": []}}, run_id="ibm-1")  # fmt: skip
        assert standin.state.ibm_sessions[first.session_id]["state"] == "closed"
        paused = runs.run(durable.pause_session_and_confirm, {**ibm, "session_id": first.session_id,
                          "accepting_jobs": False}, run_id="ibm-2")  # fmt: skip
        assert paused.final_accepting_jobs is False
        lifecycle = runs.run(durable.session_lifecycle, azure, run_id="azure-1")
        assert lifecycle.job_id == azure["job_id"] and lifecycle.session_id == azure["session_id"]
        assert isinstance(first, quantum.workflows.SessionRunAndCloseOutputs)
        count = len(sent)
        assert count >= 3 + 3 + 5
        assert runs.run(durable.session_run_and_close, {**ibm, "backend": "ibm_torino", "mode": "batch",
                        "program_id": "sampler", "params": {"pubs": []}}, run_id="ibm-1") == first  # fmt: skip
        assert runs.run(durable.session_lifecycle, azure, run_id="azure-1") == lifecycle
        assert len(sent) == count  # finished runs: their outputs, no request
    http.close()


def test_a_workflow_step_runs_as_a_child_run_that_resumes_where_it_was(
    package: Path, tmp_path: Path, inputs_file: Path, server_for: Any
) -> None:
    state = Sessions(hold="PUT /sessions/s1/job")
    server = server_for(state)
    db = tmp_path / "runs.sqlite"
    arguments = _run_args("outer-flow", db, server.url, inputs_file)
    child = _start(package, arguments)
    _kill_when(child, state.arrived)  # SIGKILL inside the child run's step 2
    state.release()
    again = _finish(package, arguments)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {"jobId": "j1"}
    assert [r.line for r in server.requests] == [
        "POST /sessions", "PUT /sessions/s1/job", "PUT /sessions/s1/job", "DELETE /sessions/s1",
    ]  # fmt: skip
    listed = _finish(package, ["runs", "list", "--all", "--durable", str(db)])
    lines = sorted(line.split()[:3] for line in listed.stdout.splitlines())
    assert lines == [["run-1", "outer-flow", "SUCCESS"], ["run-1.child-1", "put-flow", "SUCCESS"]]


def test_killed_in_flight_post_to_an_idempotent_api_is_sent_again_with_its_key(
    package: Path, tmp_path: Path, inputs_file: Path, server_for: Any
) -> None:
    state = Sessions(hold="POST /sessions/s1/jobs")
    server = server_for(state)
    arguments = [*_run_args("post-flow", tmp_path / "runs.sqlite", server.url, inputs_file),
                 "--idempotent-api", "sessions"]  # fmt: skip
    child = _start(package, arguments)
    _kill_when(child, state.arrived)
    state.release()
    again = _finish(package, arguments)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {"sessionId": "s1", "jobId": "j1"}  # the server knew the key
    lines = [(r.line, r.headers.get("idempotency-key")) for r in server.requests]
    assert lines == [
        ("POST /sessions", "run-1/1"), ("POST /sessions/s1/jobs", "run-1/2"), ("POST /sessions/s1/jobs", "run-1/2"),
        ("DELETE /sessions/s1", None),
    ]  # fmt: skip


def test_a_run_of_a_dead_worker_is_refused_by_another_and_taken_over_by_runs_resume(
    package: Path, tmp_path: Path, inputs_file: Path, server_for: Any
) -> None:
    state = Sessions(hold="PUT /sessions/s1/job")
    server = server_for(state)
    db = tmp_path / "runs.sqlite"
    child = _start(package, _run_args("put-flow", db, server.url, inputs_file))
    _kill_when(child, state.arrived)  # run-1 stays unfinished, owned by worker "run-run-1"
    state.release()
    joining = subprocess.run(
        [sys.executable, "-c", (
            "import sys\nfrom durable_pkg import durable\n"
            f"with durable.Durable({str(db)!r}, worker='other') as runs:\n"
            "    try:\n"
            "        runs.run(durable.WORKFLOWS['put-flow'], {'name': 'x', 'token': 't'}, run_id='run-1')\n"
            "    except durable.RunElsewhere as error:\n"
            "        print(error)\n"
        )],
        env=_env(package), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert joining.returncode == 0, joining.stderr
    assert "run 'run-1' is unfinished and belongs to worker 'run-run-1'" in joining.stdout
    resumed = _finish(package, ["runs", "resume", "run-1", "--durable", str(db),
                                "--base-url", f"sessions={server.url}", "--inputs", str(inputs_file)])  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout) == {"sessionId": "s1", "jobId": "j1"}
    assert [r.line for r in server.requests] == [
        "POST /sessions", "PUT /sessions/s1/job", "PUT /sessions/s1/job", "DELETE /sessions/s1",
    ]  # fmt: skip


def test_a_run_whose_responses_were_compressed_resumes(
    package: Path, tmp_path: Path, inputs_file: Path, server_for: Any
) -> None:
    """A gzip response is recorded decoded, without the headers that described it on the wire (review finding:
    it was replayed with Content-Encoding: gzip and failed to decode)."""
    state = Sessions(hold="PUT /sessions/s1/job", gzip=True)
    server = server_for(state)
    db = tmp_path / "runs.sqlite"
    arguments = _run_args("put-flow", db, server.url, inputs_file)
    child = _start(package, arguments)
    _kill_when(child, state.arrived)
    state.release()
    shown = _finish(package, ["runs", "show", "run-1", "--durable", str(db)])
    assert json.loads(shown.stdout)["completed"] == {"open": {"sessionId": "s1"}}, shown.stderr
    again = _finish(package, arguments)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {"sessionId": "s1", "jobId": "j1"}


def test_retry_of_a_run_whose_step_failed_its_criteria_sends_that_request_again(
    package: Path, tmp_path: Path, inputs_file: Path, server_for: Any
) -> None:
    state = Sessions(refuse="POST /sessions/s1/jobs")  # 409 first: the step fails its criteria
    server = server_for(state)
    db = tmp_path / "runs.sqlite"
    failed = _finish(package, _run_args("post-flow", db, server.url, inputs_file))
    assert failed.returncode == 1 and "StepFailed" in failed.stderr
    retried = _finish(package, ["runs", "retry", "run-1", "--durable", str(db),
                                "--base-url", f"sessions={server.url}", "--inputs", str(inputs_file)])  # fmt: skip
    assert retried.returncode == 0, retried.stderr
    assert json.loads(retried.stdout) == {"sessionId": "s1", "jobId": "j1"}
    assert [r.line for r in server.requests] == [
        "POST /sessions", "POST /sessions/s1/jobs", "POST /sessions/s1/jobs", "DELETE /sessions/s1",
    ]  # fmt: skip


def test_a_key_added_only_at_the_restart_does_not_make_an_unkeyed_post_safe(
    package: Path, tmp_path: Path, inputs_file: Path, server_for: Any
) -> None:
    state = Sessions(hold="POST /sessions/s1/jobs")
    server = server_for(state)
    db = tmp_path / "runs.sqlite"
    child = _start(package, _run_args("post-flow", db, server.url, inputs_file))  # no --idempotent-api
    _kill_when(child, state.arrived)
    state.release()
    again = _finish(package, [*_run_args("post-flow", db, server.url, inputs_file), "--idempotent-api", "sessions"])
    assert again.returncode == 1 and "StepInDoubt" in again.stderr
    assert [r.line for r in server.requests] == ["POST /sessions", "POST /sessions/s1/jobs"]


def test_looking_at_runs_never_takes_a_queued_run(package: Path, tmp_path: Path) -> None:
    db = tmp_path / "runs.sqlite"
    queued = subprocess.run(
        [sys.executable, "-c", (
            "from durable_pkg import durable\n"
            f"with durable.RunQueue({str(db)!r}) as queue:\n"
            "    print(queue.enqueue(durable.WORKFLOWS['put-flow'], {'name': 'x'}, run_id='queued-1'))\n"
        )],
        env=_env(package), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert queued.returncode == 0 and queued.stdout.strip() == "queued-1", queued.stderr
    for _ in range(2):
        listed = _finish(package, ["runs", "list", "--durable", str(db)])
        assert listed.returncode == 0, listed.stderr
        assert listed.stdout.split()[:3] == ["queued-1", "put-flow", "ENQUEUED"]
        time.sleep(0.5)


def test_credential_named_members_of_a_recorded_json_body_are_hidden() -> None:
    from arazzo_gen.runtime._durable import _without_secrets

    body = json.dumps({"user": "ann", "password": "pw-1", "nested": [{"apiKey": "k-1", "n": 1}]}).encode()
    assert json.loads(_without_secrets(body)) == {
        "user": "ann", "password": "***", "nested": [{"apiKey": "***", "n": 1}],
    }  # fmt: skip
    assert _without_secrets(b"password=pw-1") == b"password=pw-1"  # not JSON: as the redactor left it


def test_credential_named_fields_of_a_recorded_form_body_are_hidden_the_first_one_too() -> None:
    from arazzo_gen.runtime._durable import _hidden_body
    from arazzo_gen.runtime._runtime import Redactor

    assert _hidden_body(b"password=pw-1&user=ann&api_key=k-1", Redactor()) == b"password=***&user=ann&api_key=***"
    assert json.loads(_hidden_body(b'{"token": "t-1", "n": 1}', Redactor())) == {"token": "***", "n": 1}
