"""The three seed workflows, run through the installed generated package against the stand-in server.

The stand-in (tests/standin) is a real HTTP server on 127.0.0.1 with state; every response it sends is
validated against the public API documents, so the generated code is exercised against the real contracts.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.standin.server import StandInServer

quantum_workflows = pytest.importorskip(
    "quantum_workflows", reason="install the generated package first: pip install ./generated"
)
from quantum_workflows import AuthenticationError, NotFoundError, StepFailed
from quantum_workflows.apis import (
    azure_quantum_data_plane,
    ibm_quantum_runtime_jobs,
    ibm_quantum_runtime_sessions,
)
from quantum_workflows.apis.ibm_quantum_runtime_sessions.models import SessionState
from quantum_workflows.workflows import (
    PauseSessionAndConfirmOutputs,
    SessionLifecycleOutputs,
    SessionRunAndCloseOutputs,
    pause_session_and_confirm,
    pause_session_and_confirm_async,
    session_lifecycle,
    session_lifecycle_async,
    session_run_and_close,
    session_run_and_close_async,
)

IBM_AUTH: dict[str, Any] = {"access_token": "test-token", "service_crn": "crn:v1:test", "api_version": "2026-03-15"}
SUBSCRIPTION = "00000000-1111-2222-3333-444444444444"


@pytest.fixture
def ibm(standin: StandInServer) -> Iterator[dict[str, Any]]:
    with (
        ibm_quantum_runtime_sessions.Client(standin.ibm_base_url) as sessions,
        ibm_quantum_runtime_jobs.Client(standin.ibm_base_url) as jobs,
    ):
        yield {"sessions_api": sessions, "jobs_api": jobs}


def azure_inputs(**overrides: Any) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        "subscription_id": SUBSCRIPTION,
        "resource_group_name": "rg-quantum",
        "workspace_name": "ws-quantum",
        "api_version": "2026-01-15-preview",
        "auth_token": "azure-token",
        "session_id": str(uuid.uuid4()),
        "job_failure_policy": "Abort",
        "job_id": str(uuid.uuid4()),
        "container_name": "jobs",
        "quantum_item_count": 3,
    }
    inputs.update(overrides)
    return inputs


# -- IBM: session run and close --------------------------------------------------------------------------
def test_session_run_and_close(standin: StandInServer, ibm: dict[str, Any]) -> None:
    outputs = session_run_and_close(
        **IBM_AUTH, backend="ibm_torino", mode="batch", program_id="sampler", params={"pubs": []},
        sessions_api=ibm["sessions_api"], jobs_api=ibm["jobs_api"],
    )  # fmt: skip
    assert isinstance(outputs, SessionRunAndCloseOutputs)
    assert isinstance(outputs.session_id, str) and isinstance(outputs.job_id, str)
    session = standin.state.ibm_sessions[outputs.session_id]
    assert session["state"] == "closed" and session["accepting_jobs"] is False
    assert [job["id"] for job in standin.state.ibm_session_jobs(outputs.session_id)] == [outputs.job_id]
    assert outputs.model_dump(by_alias=True) == {"sessionId": outputs.session_id, "jobId": outputs.job_id}


async def test_session_run_and_close_async(standin: StandInServer) -> None:
    async with (
        ibm_quantum_runtime_sessions.AsyncClient(standin.ibm_base_url) as sessions,
        ibm_quantum_runtime_jobs.AsyncClient(standin.ibm_base_url) as jobs,
    ):
        outputs = await session_run_and_close_async(
            **IBM_AUTH, backend="ibm_torino", mode="dedicated", program_id="estimator", params={},
            sessions_api=sessions, jobs_api=jobs,
        )  # fmt: skip
    assert standin.state.ibm_sessions[outputs.session_id]["state"] == "closed"
    assert standin.state.ibm_jobs[outputs.job_id]["session_id"] == outputs.session_id


def test_default_clients_use_the_spec_server_and_a_custom_http_client(standin: StandInServer) -> None:
    """A caller can inject the httpx client (transport, base URL) of every source API."""
    with httpx.Client(timeout=5) as http:
        sessions = ibm_quantum_runtime_sessions.Client(standin.ibm_base_url, http_client=http, timeout=5)
        jobs = ibm_quantum_runtime_jobs.Client(standin.ibm_base_url, http_client=http)
        outputs = session_run_and_close(
            **IBM_AUTH, backend="b", mode="batch", program_id="p", params={}, sessions_api=sessions, jobs_api=jobs
        )
        assert not http.is_closed  # not owned by the generated clients
    assert outputs.job_id in standin.state.ibm_jobs
    assert ibm_quantum_runtime_sessions.SERVER_URL == "https://quantum.cloud.ibm.com/api"


def _drop_authorization(request: httpx.Request) -> None:
    request.headers.pop("Authorization", None)


def test_missing_token_fails_first_step_with_401(standin: StandInServer) -> None:
    """Requests that reach the server without a Bearer token get 401; the step error names the step."""
    with (
        httpx.Client(event_hooks={"request": [_drop_authorization]}) as http,
        ibm_quantum_runtime_sessions.Client(standin.ibm_base_url, http_client=http) as sessions,
        pytest.raises(StepFailed) as failure,
    ):
        session_run_and_close(
            **IBM_AUTH, backend="b", mode="batch", program_id="p", params={}, sessions_api=sessions,
            jobs_api=ibm_quantum_runtime_jobs.Client(standin.ibm_base_url, http_client=http),
        )  # fmt: skip
    error = failure.value
    assert (error.workflow, error.step, error.status_code) == ("session-run-and-close", "createSession", 401)
    assert error.criterion == "$statusCode == 200"
    assert isinstance(error.__cause__, AuthenticationError)
    assert "step 'createSession' failed: HTTP 401" in str(error)
    assert "test-token" not in str(error) and "Bearer" not in str(error)


class ClosingSessionsClient(ibm_quantum_runtime_sessions.Client):  # type: ignore[misc]
    """Closes each session right after creating it, so the workflow's job step meets a closed session."""

    def create_session(self, **kwargs: Any) -> Any:
        created = super().create_session(**kwargs)
        self.delete_session_close(id_=created.parsed.id, extra_headers=kwargs.get("extra_headers"))
        return created


def test_job_into_closed_session_fails_the_job_step(standin: StandInServer, ibm: dict[str, Any]) -> None:
    with ClosingSessionsClient(standin.ibm_base_url) as sessions, pytest.raises(StepFailed) as failure:
        session_run_and_close(
            **IBM_AUTH, backend="b", mode="batch", program_id="p", params={}, sessions_api=sessions,
            jobs_api=ibm["jobs_api"],
        )  # fmt: skip
    assert (failure.value.workflow, failure.value.step) == ("session-run-and-close", "runJobInSession")
    assert failure.value.status_code == 400
    assert standin.state.ibm_jobs == {}


def test_run_job_step_fails_when_session_stops_accepting(standin: StandInServer, ibm: dict[str, Any]) -> None:
    """Pause a session with the pause workflow, then the run workflow's job step must fail in it."""
    session = ibm["sessions_api"].create_session(
        body={"backend": "b", "mode": "batch"}, extra_headers={"Authorization": "Bearer t", "Service-CRN": "crn"}
    ).parsed
    pause_session_and_confirm(**IBM_AUTH, session_id=session.id, accepting_jobs=False, sessions_api=ibm["sessions_api"])

    class Reuse(ibm_quantum_runtime_sessions.Client):  # type: ignore[misc]
        """Answer create_session with the paused session, so runJobInSession targets it."""

        def create_session(self, **kwargs: Any) -> Any:
            return self.get_session(id_=session.id, extra_headers=kwargs.get("extra_headers"))

    with Reuse(standin.ibm_base_url) as sessions, pytest.raises(StepFailed) as failure:
        session_run_and_close(
            **IBM_AUTH, backend="b", mode="batch", program_id="p", params={}, sessions_api=sessions,
            jobs_api=ibm["jobs_api"],
        )  # fmt: skip
    assert failure.value.step == "runJobInSession"
    assert failure.value.status_code in (400, 409)


# -- IBM: pause session and confirm ----------------------------------------------------------------------
@pytest.mark.parametrize("accepting", [False, True])
def test_pause_session_and_confirm(standin: StandInServer, ibm: dict[str, Any], accepting: bool) -> None:
    created = ibm["sessions_api"].create_session(
        body={"backend": "ibm_torino", "mode": "batch"},
        extra_headers={"Authorization": "Bearer t", "Service-CRN": "crn"},
    )
    outputs = pause_session_and_confirm(
        **IBM_AUTH, session_id=created.parsed.id, accepting_jobs=accepting, sessions_api=ibm["sessions_api"]
    )
    assert isinstance(outputs, PauseSessionAndConfirmOutputs)
    assert outputs.final_accepting_jobs is accepting
    assert outputs.final_state is SessionState.open
    assert standin.state.ibm_sessions[created.parsed.id]["accepting_jobs"] is accepting


async def test_pause_session_and_confirm_async(standin: StandInServer) -> None:
    async with ibm_quantum_runtime_sessions.AsyncClient(standin.ibm_base_url) as sessions:
        created = await sessions.create_session(
            body={"backend": "b", "mode": "dedicated"},
            extra_headers={"Authorization": "Bearer t", "Service-CRN": "crn"},
        )
        outputs = await pause_session_and_confirm_async(
            **IBM_AUTH, session_id=created.parsed.id, accepting_jobs=False, sessions_api=sessions
        )
    assert outputs.final_accepting_jobs is False


def test_pause_unknown_session_fails_with_404(standin: StandInServer, ibm: dict[str, Any]) -> None:
    with pytest.raises(StepFailed) as failure:
        pause_session_and_confirm(
            **IBM_AUTH, session_id="no-such-session", accepting_jobs=False, sessions_api=ibm["sessions_api"]
        )
    assert (failure.value.step, failure.value.status_code) == ("getSession", 404)
    cause = failure.value.__cause__
    assert isinstance(cause, NotFoundError)
    assert isinstance(cause.body, ibm_quantum_runtime_sessions.models.ErrorContainer)  # parsed error body
    assert (cause.method, cause.status_code) == ("GET", 404)
    assert cause.url.endswith("/api/v1/sessions/no-such-session")


# -- Azure: session lifecycle ----------------------------------------------------------------------------
def test_session_lifecycle(standin: StandInServer) -> None:
    inputs = azure_inputs()
    with azure_quantum_data_plane.Client(endpoint=standin.azure_endpoint) as data_plane:
        outputs = session_lifecycle(**inputs, data_plane_api=data_plane)
    assert isinstance(outputs, SessionLifecycleOutputs)
    assert outputs.session_id == inputs["session_id"]
    assert outputs.job_id == inputs["job_id"]
    assert outputs.session_jobs is not None and [job.id for job in outputs.session_jobs] == [inputs["job_id"]]
    assert outputs.session_jobs[0].session_id == inputs["session_id"]
    assert outputs.final_session_status is not None
    assert outputs.final_session_status.value in ("Succeeded", "Failed", "Failure(s)", "TimedOut")


async def test_session_lifecycle_async(standin: StandInServer) -> None:
    inputs = azure_inputs()
    async with azure_quantum_data_plane.AsyncClient(endpoint=standin.azure_endpoint) as data_plane:
        outputs = await session_lifecycle_async(**inputs, data_plane_api=data_plane)
    assert outputs.job_id == inputs["job_id"]


def test_session_lifecycle_without_token_fails_with_401(standin: StandInServer) -> None:
    with (
        httpx.Client(event_hooks={"request": [_drop_authorization]}) as http,
        azure_quantum_data_plane.Client(standin.azure_endpoint, http_client=http) as data_plane,
        pytest.raises(StepFailed) as failure,
    ):
        session_lifecycle(**azure_inputs(), data_plane_api=data_plane)
    assert (failure.value.step, failure.value.status_code) == ("openSession", 401)


class ClosingDataPlaneClient(azure_quantum_data_plane.Client):  # type: ignore[misc]
    """Closes each session right after opening it, so the workflow's job step meets a closed session."""

    def sessions_open(self, **kwargs: Any) -> Any:
        opened = super().sessions_open(**kwargs)
        keys = ("api_version", "subscription_id", "resource_group_name", "workspace_name", "session_id")
        self.sessions_close(**{k: kwargs[k] for k in keys}, extra_headers=kwargs.get("extra_headers"))
        return opened


def test_job_into_closed_azure_session_fails_the_job_step(standin: StandInServer) -> None:
    with (
        ClosingDataPlaneClient(endpoint=standin.azure_endpoint) as data_plane,
        pytest.raises(StepFailed) as failure,
    ):
        session_lifecycle(**azure_inputs(), data_plane_api=data_plane)
    assert (failure.value.workflow, failure.value.step) == ("session-lifecycle", "createSessionJob")
    assert failure.value.status_code == 409


def test_reopening_an_azure_session_id_fails_the_open_step(standin: StandInServer) -> None:
    inputs = azure_inputs()
    with azure_quantum_data_plane.Client(standin.azure_endpoint) as data_plane:
        session_lifecycle(**inputs, data_plane_api=data_plane)
        with pytest.raises(StepFailed) as failure:
            session_lifecycle(**{**inputs, "job_id": str(uuid.uuid4())}, data_plane_api=data_plane)
    assert (failure.value.step, failure.value.status_code) == ("openSession", 409)


def test_azure_client_requires_endpoint() -> None:
    with pytest.raises(ValueError, match="endpoint"):
        azure_quantum_data_plane.Client()
