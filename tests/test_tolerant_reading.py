"""Tolerant reading: the seed workflows, run through the installed generated package against a lenient server
on 127.0.0.1 that leaves out fields the API documents call required but that no step or criterion reads by
pointer; strict validation on request (per client and per call) names every failing field.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.standin.server import StandInServer, running_server

quantum_workflows = pytest.importorskip(
    "quantum_workflows", reason="install the generated package first: pip install ./generated"
)
from quantum_workflows import ResponseValidationError, StepOutputError
from quantum_workflows.apis import (
    azure_quantum_data_plane,
    ibm_quantum_runtime_jobs,
    ibm_quantum_runtime_sessions,
)
from quantum_workflows.workflows import (
    pause_session_and_confirm,
    pause_session_and_confirm_async,
    session_lifecycle,
    session_lifecycle_async,
    session_run_and_close,
    session_run_and_close_async,
)

# Required by the documents (ItemDetails, JobDetails, SessionDetails, JobSession, JobCreateResponse,
# SessionTimestamp); none is read by a step, a criterion or an output's pointer (those read id, status,
# value, sasUri, state and accepting_jobs).
OMITTED = frozenset(
    {"name", "providerId", "target", "itemType", "containerUri", "jobFailurePolicy", "backend_name", "mode",
     "backend", "timestamp"}
)  # fmt: skip
IBM_AUTH: dict[str, Any] = {"access_token": "test-token", "service_crn": "crn:v1:test", "api_version": "2026-03-15"}
IBM_HEADERS = {"Authorization": "Bearer t", "Service-CRN": "crn"}
WORKSPACE: dict[str, Any] = {
    "subscription_id": "00000000-1111-2222-3333-444444444444",
    "resource_group_name": "rg-quantum",
    "workspace_name": "ws-quantum",
    "api_version": "2026-01-15-preview",
}


@pytest.fixture(scope="module")
def lenient() -> Iterator[StandInServer]:
    with running_server(omit=OMITTED) as server:
        yield server


def azure_inputs() -> dict[str, Any]:
    return {
        **WORKSPACE, "auth_token": "azure-token", "session_id": str(uuid.uuid4()), "job_failure_policy": "Abort",
        "job_id": str(uuid.uuid4()), "container_name": "jobs", "quantum_item_count": 3,
    }  # fmt: skip


# -- the seed workflows run on a lenient server ------------------------------------------------------------
def test_azure_session_lifecycle_on_a_lenient_server(lenient: StandInServer) -> None:
    inputs = azure_inputs()
    with azure_quantum_data_plane.Client(endpoint=lenient.azure_endpoint) as data_plane:
        outputs = session_lifecycle(**inputs, data_plane_api=data_plane)
    assert [job.id for job in outputs.session_jobs] == [inputs["job_id"]]  # typed access to what is there
    assert outputs.session_jobs[0].session_id == inputs["session_id"]
    assert outputs.final_session_status is not None
    dumped = outputs.model_dump(by_alias=True)["sessionJobs"][0]
    assert dumped["id"] == inputs["job_id"] and "name" not in dumped  # kept as received: nothing invented
    assert lenient.validation_errors == []  # the full responses matched the documents before the omission


async def test_azure_session_lifecycle_async_on_a_lenient_server(lenient: StandInServer) -> None:
    inputs = azure_inputs()
    async with azure_quantum_data_plane.AsyncClient(endpoint=lenient.azure_endpoint) as data_plane:
        outputs = await session_lifecycle_async(**inputs, data_plane_api=data_plane)
    assert [job.id for job in outputs.session_jobs] == [inputs["job_id"]]


def test_ibm_workflows_on_a_lenient_server(lenient: StandInServer) -> None:
    with (
        ibm_quantum_runtime_sessions.Client(lenient.ibm_base_url) as sessions,
        ibm_quantum_runtime_jobs.Client(lenient.ibm_base_url) as jobs,
    ):
        ran = session_run_and_close(
            **IBM_AUTH, backend="b", mode="batch", program_id="p", params={}, sessions_api=sessions, jobs_api=jobs
        )
        created = sessions.create_session(body={"backend": "b", "mode": "batch"}, extra_headers=IBM_HEADERS)
        paused = pause_session_and_confirm(
            **IBM_AUTH, session_id=created.parsed.id, accepting_jobs=False, sessions_api=sessions
        )
    assert lenient.state.ibm_sessions[ran.session_id]["state"] == "closed"
    assert paused.final_accepting_jobs is False


async def test_ibm_workflows_async_on_a_lenient_server(lenient: StandInServer) -> None:
    async with (
        ibm_quantum_runtime_sessions.AsyncClient(lenient.ibm_base_url) as sessions,
        ibm_quantum_runtime_jobs.AsyncClient(lenient.ibm_base_url) as jobs,
    ):
        ran = await session_run_and_close_async(
            **IBM_AUTH, backend="b", mode="batch", program_id="p", params={}, sessions_api=sessions, jobs_api=jobs
        )
        created = await sessions.create_session(body={"backend": "b", "mode": "batch"}, extra_headers=IBM_HEADERS)
        paused = await pause_session_and_confirm_async(
            **IBM_AUTH, session_id=created.parsed.id, accepting_jobs=True, sessions_api=sessions
        )
    assert lenient.state.ibm_sessions[ran.session_id]["state"] == "closed"
    assert paused.final_accepting_jobs is True


# -- the client: tolerant by default, strict on request -----------------------------------------------------
def _one_session_job(data_plane: Any) -> dict[str, Any]:
    """Open a session with one job in it; the keyword arguments that list its jobs."""
    session_id, job_id = str(uuid.uuid4()), str(uuid.uuid4())
    auth = {"extra_headers": {"Authorization": "Bearer azure-token"}}
    data_plane.sessions_open(**WORKSPACE, session_id=session_id, body={"id": session_id, "jobFailurePolicy": "Abort"},
                             **auth)  # fmt: skip
    data_plane.jobs_create(
        **WORKSPACE, job_id=job_id, **auth,
        body={"id": job_id, "jobType": "QuantumComputing", "sessionId": session_id, "containerUri": "https://c.test/x",
              "quantumComputingData": {"count": 1}},
    )  # fmt: skip
    return {**WORKSPACE, "session_id": session_id, **auth, "job_id": job_id}


def test_parsed_body_is_a_model_despite_missing_required_fields(lenient: StandInServer) -> None:
    with azure_quantum_data_plane.Client(endpoint=lenient.azure_endpoint) as data_plane:
        listing = _one_session_job(data_plane)
        job_id = listing.pop("job_id")
        page = data_plane.sessions_jobs_list(**listing).parsed
    assert isinstance(page, azure_quantum_data_plane.models.PagedJobDetails)
    (job,) = page.value
    assert isinstance(job, azure_quantum_data_plane.models.JobDetails)
    assert job.id == job_id and job.session_id == listing["session_id"]
    assert job.quantum_computing_data is not None and job.quantum_computing_data.count == 1
    assert job.job_type is azure_quantum_data_plane.models.JobType.quantum_computing  # validated where it fits
    with pytest.raises(AttributeError):
        job.name  # noqa: B018 - missing from the body: no value is invented


def test_strict_validation_per_call_names_each_failing_field(lenient: StandInServer) -> None:
    with azure_quantum_data_plane.Client(endpoint=lenient.azure_endpoint) as data_plane:
        listing = _one_session_job(data_plane)
        listing.pop("job_id")
        response = data_plane.sessions_jobs_list(**listing, strict_validation=True)
        with pytest.raises(ResponseValidationError) as caught:
            response.parsed  # noqa: B018
    message = str(caught.value)
    for field in ("name", "providerId", "target", "itemType", "containerUri"):
        assert f"/value/0/{field}: missing" in message
    assert "is not list" not in message


def test_strict_client_fails_the_workflow_naming_each_field_and_what_was_received(lenient: StandInServer) -> None:
    with (
        azure_quantum_data_plane.Client(endpoint=lenient.azure_endpoint, strict_validation=True) as data_plane,
        pytest.raises(StepOutputError) as caught,
    ):
        session_lifecycle(**azure_inputs(), data_plane_api=data_plane)
    error = caught.value
    assert (error.step, error.pointer) == ("listSessionJobs", "/value")
    message = str(error)
    assert "$response.body#/value" in message and "is not list" not in message
    for field in ("name", "providerId", "target"):
        assert f"/value/0/{field}: missing" in message
