"""Contract tests for the IBM Qiskit Runtime / Azure Quantum stand-in server.

Each test talks plain HTTP (httpx) to the running stand-in. The ``standin``
fixture also fails a test when any response the server sent does not
validate against the public API documents.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.standin.server import StandInServer
from tests.standin.validation import ResponseValidator

SPEC_DIR = Path(__file__).resolve().parent.parent / ".." / "shared" / "specs" / "openapi"
requires_documents = pytest.mark.skipif(
    not SPEC_DIR.is_dir(),
    reason=f"public API documents not found at {SPEC_DIR.resolve()} (../shared/specs/openapi)",
)

IBM_HEADERS = {
    "Authorization": "Bearer test-iam-token",
    "Service-CRN": "crn:v1:bluemix:public:quantum-computing:us-east:a/0123:4567::",
    "IBM-API-Version": "2026-03-15",
}
AZURE_AUTH = {"Authorization": "Bearer test-entra-token"}
AZURE_QUERY = {"api-version": "2026-01-15-preview"}
AZURE_WORKSPACE = (
    "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg-quantum"
    "/providers/Microsoft.Quantum/workspaces/ws-quantum"
)
JSON = {"content-type": "application/json"}


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    """A plain HTTP client."""
    with httpx.Client(timeout=10) as client:
        yield client


# --------------------------------------------------------------------------- helpers


def ibm(
    http: httpx.Client, server: StandInServer, method: str, path: str, **kwargs: Any
) -> httpx.Response:
    """Call the IBM API with valid credentials unless ``headers`` overrides them."""
    headers = kwargs.pop("headers", IBM_HEADERS)
    return http.request(method, f"{server.ibm_base_url}{path}", headers=headers, **kwargs)


def azure(
    http: httpx.Client, server: StandInServer, method: str, path: str, **kwargs: Any
) -> httpx.Response:
    """Call the Azure data plane with a bearer token and api-version by default."""
    headers = kwargs.pop("headers", AZURE_AUTH)
    params = kwargs.pop("params", AZURE_QUERY)
    url = f"{server.azure_endpoint}{AZURE_WORKSPACE}{path}"
    return http.request(method, url, headers=headers, params=params, **kwargs)


def ibm_session(http: httpx.Client, server: StandInServer) -> str:
    """Create an IBM session and return its id."""
    response = ibm(
        http, server, "POST", "/v1/sessions", json={"backend": "ibm_fez", "mode": "batch"}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def ibm_job(http: httpx.Client, server: StandInServer, session_id: str) -> httpx.Response:
    """Submit a sampler job into ``session_id``."""
    payload = {
        "program_id": "sampler",
        "backend": "ibm_fez",
        "session_id": session_id,
        "params": {"pubs": [["OPENQASM 3.0; qubit[1] q;"]], "version": 2},
    }
    return ibm(http, server, "POST", "/v1/jobs", json=payload)


def azure_session(http: httpx.Client, server: StandInServer) -> str:
    """Open an Azure session and return its id."""
    session_id = str(uuid.uuid4())
    body = {"id": session_id, "jobFailurePolicy": "Continue"}
    response = azure(http, server, "PUT", f"/sessions/{session_id}", json=body)
    assert response.status_code == 200, response.text
    return session_id


def azure_job(http: httpx.Client, server: StandInServer, session_id: str) -> httpx.Response:
    """Create an Azure job in ``session_id``."""
    job_id = str(uuid.uuid4())
    body = {
        "id": job_id,
        "jobType": "QuantumComputing",
        "sessionId": session_id,
        "containerUri": "https://example.blob.core.windows.net/jobs?sig=x",
        "quantumComputingData": {"count": 3},
    }
    return azure(http, server, "PUT", f"/jobs/{job_id}", json=body)


def assert_ibm_error(response: httpx.Response, status: int, code: str | None = None) -> None:
    """Assert an IBM ErrorContainer response with ``status`` (and error ``code``)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["trace"] and body["errors"][0]["message"]
    if code is not None:
        assert body["errors"][0]["code"] == code


def assert_azure_error(response: httpx.Response, status: int, code: str | None = None) -> None:
    """Assert an Azure ErrorResponse with ``status`` (and error ``code``)."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"]
    assert response.headers["x-ms-error-code"] == error["code"]
    if code is not None:
        assert error["code"] == code


# --------------------------------------------------------------------------- workflows


def test_ibm_session_run_and_close(http: httpx.Client, standin: StandInServer) -> None:
    """create_session -> create_job (in session) -> delete_session_close."""
    created = ibm(
        http, standin, "POST", "/v1/sessions", json={"backend": "ibm_fez", "mode": "dedicated"}
    )
    assert created.status_code == 200
    session = created.json()
    assert session["state"] == "open" and session["accepting_jobs"] is True
    assert session["backend_name"] == "ibm_fez" and session["mode"] == "dedicated"

    job = ibm_job(http, standin, session["id"])
    assert job.status_code == 200
    assert job.json()["id"] and job.json()["backend"] == "ibm_fez"
    assert job.json()["session_id"] == session["id"]
    assert [j["id"] for j in standin.state.ibm_session_jobs(session["id"])] == [job.json()["id"]]

    closed = ibm(http, standin, "DELETE", f"/v1/sessions/{session['id']}/close")
    assert closed.status_code == 204 and closed.content == b""

    after = ibm(http, standin, "GET", f"/v1/sessions/{session['id']}").json()
    assert after["state"] == "closed" and after["accepting_jobs"] is False


def test_ibm_pause_session_and_confirm(http: httpx.Client, standin: StandInServer) -> None:
    """get_session -> update_session(accepting_jobs) -> get_session, both ways."""
    session_id = ibm_session(http, standin)
    before = ibm(http, standin, "GET", f"/v1/sessions/{session_id}")
    assert before.status_code == 200 and before.json()["accepting_jobs"] is True

    for flag in (False, True):
        update = ibm(
            http, standin, "PATCH", f"/v1/sessions/{session_id}", json={"accepting_jobs": flag}
        )
        assert update.status_code == 204 and update.content == b""
        confirm = ibm(http, standin, "GET", f"/v1/sessions/{session_id}")
        assert confirm.status_code == 200
        assert confirm.json()["accepting_jobs"] is flag
        assert confirm.json()["state"] == "open"


def test_azure_session_lifecycle(http: httpx.Client, standin: StandInServer) -> None:
    """Sessions_Open -> Storage_GetSasUri -> Jobs_Create -> SessionsJobs_List -> Sessions_Close."""
    session_id = str(uuid.uuid4())
    opened = azure(
        http,
        standin,
        "PUT",
        f"/sessions/{session_id}",
        json={"id": session_id, "jobFailurePolicy": "Abort"},
    )
    assert opened.status_code == 200
    assert opened.json()["id"] == session_id and opened.json()["status"] == "Waiting"
    assert opened.json()["jobFailurePolicy"] == "Abort" and opened.json()["itemType"] == "Session"

    sas = azure(http, standin, "POST", "/storage/sasUri", json={"containerName": "job-data"})
    assert sas.status_code == 200
    sas_uri = sas.json()["sasUri"]
    assert sas_uri.startswith("https://") and "/job-data?" in sas_uri and "sig=" in sas_uri

    job_id = str(uuid.uuid4())
    created = azure(
        http,
        standin,
        "PUT",
        f"/jobs/{job_id}",
        json={
            "id": job_id,
            "jobType": "QuantumComputing",
            "sessionId": session_id,
            "containerUri": sas_uri,
            "quantumComputingData": {"count": 2},
        },
    )
    assert created.status_code == 200
    job = created.json()
    assert job["id"] == job_id and job["status"] == "Waiting" and job["itemType"] == "Job"
    assert job["sessionId"] == session_id and job["containerUri"] == sas_uri
    assert job["jobType"] == "QuantumComputing" and job["quantumComputingData"] == {"count": 2}

    listed = azure(http, standin, "GET", f"/sessions/{session_id}/jobs")
    assert listed.status_code == 200
    assert [j["id"] for j in listed.json()["value"]] == [job_id]

    closed = azure(http, standin, "POST", f"/sessions/{session_id}:close")
    assert closed.status_code == 200
    assert closed.json()["id"] == session_id and closed.json()["status"] == "Succeeded"


# --------------------------------------------------------------------------- failures


@pytest.mark.parametrize("authorization", [None, "Bearer", "Basic dXNlcjpwYXNz"])
def test_ibm_requires_bearer_token(
    http: httpx.Client, standin: StandInServer, authorization: str | None
) -> None:
    """No (or a non-bearer) Authorization header -> 401 ErrorContainer."""
    headers = {k: v for k, v in IBM_HEADERS.items() if k != "Authorization"}
    if authorization is not None:
        headers["Authorization"] = authorization
    body = {"backend": "ibm_fez", "mode": "batch"}
    assert_ibm_error(ibm(http, standin, "POST", "/v1/sessions", json=body, headers=headers), 401)
    closing = ibm(http, standin, "DELETE", "/v1/sessions/any/close", headers=headers)
    assert_ibm_error(closing, 401)


def test_ibm_requires_service_crn(http: httpx.Client, standin: StandInServer) -> None:
    """A bearer token without Service-CRN -> 401 ErrorContainer."""
    headers = {k: v for k, v in IBM_HEADERS.items() if k != "Service-CRN"}
    body = {"backend": "ibm_fez", "mode": "batch"}
    assert_ibm_error(ibm(http, standin, "POST", "/v1/sessions", json=body, headers=headers), 401)


def test_azure_requires_bearer_token(http: httpx.Client, standin: StandInServer) -> None:
    """No Authorization header -> 401 ErrorResponse."""
    session_id = str(uuid.uuid4())
    response = azure(
        http,
        standin,
        "PUT",
        f"/sessions/{session_id}",
        json={"id": session_id, "jobFailurePolicy": "Abort"},
        headers={},
    )
    assert_azure_error(response, 401, "Unauthorized")
    assert standin.state.azure_sessions == {}


def test_ibm_unknown_session_is_404(http: httpx.Client, standin: StandInServer) -> None:
    """get/update/close of an unknown session, or a job naming it -> 404."""
    assert_ibm_error(ibm(http, standin, "GET", "/v1/sessions/nope"), 404, "not_found")
    patch = ibm(http, standin, "PATCH", "/v1/sessions/nope", json={"accepting_jobs": False})
    assert_ibm_error(patch, 404, "not_found")
    assert_ibm_error(ibm(http, standin, "DELETE", "/v1/sessions/nope/close"), 404, "not_found")
    assert_ibm_error(ibm_job(http, standin, "nope"), 404, "not_found")


def test_azure_unknown_session_is_404(http: httpx.Client, standin: StandInServer) -> None:
    """List/close of an unknown session, or a job naming it -> 404."""
    unknown = str(uuid.uuid4())
    assert_azure_error(
        azure(http, standin, "GET", f"/sessions/{unknown}/jobs"), 404, "SessionNotFound"
    )
    assert_azure_error(
        azure(http, standin, "POST", f"/sessions/{unknown}:close"), 404, "SessionNotFound"
    )
    assert_azure_error(azure_job(http, standin, unknown), 404, "SessionNotFound")
    assert standin.state.azure_jobs == {}


def test_ibm_job_into_closed_session_fails(http: httpx.Client, standin: StandInServer) -> None:
    """create_job into a closed session -> 400 session_closed."""
    session_id = ibm_session(http, standin)
    assert ibm(http, standin, "DELETE", f"/v1/sessions/{session_id}/close").status_code == 204
    assert_ibm_error(ibm_job(http, standin, session_id), 400, "session_closed")
    assert standin.state.ibm_jobs == {}


def test_ibm_job_into_paused_session_fails(http: httpx.Client, standin: StandInServer) -> None:
    """create_job into a session with accepting_jobs false -> 400."""
    session_id = ibm_session(http, standin)
    paused = ibm(
        http, standin, "PATCH", f"/v1/sessions/{session_id}", json={"accepting_jobs": False}
    )
    assert paused.status_code == 204
    assert_ibm_error(ibm_job(http, standin, session_id), 400, "session_not_accepting_jobs")


def test_azure_job_into_closed_session_fails(http: httpx.Client, standin: StandInServer) -> None:
    """Jobs_Create into a closed session -> 409 SessionClosed."""
    session_id = azure_session(http, standin)
    assert azure(http, standin, "POST", f"/sessions/{session_id}:close").status_code == 200
    assert_azure_error(azure_job(http, standin, session_id), 409, "SessionClosed")
    listed = azure(http, standin, "GET", f"/sessions/{session_id}/jobs")
    assert listed.status_code == 200 and listed.json() == {"value": []}


def test_azure_requires_api_version(http: httpx.Client, standin: StandInServer) -> None:
    """No api-version query parameter -> 400 MissingApiVersionParameter."""
    session_id = str(uuid.uuid4())
    response = azure(
        http,
        standin,
        "PUT",
        f"/sessions/{session_id}",
        json={"id": session_id, "jobFailurePolicy": "Abort"},
        params={},
    )
    assert_azure_error(response, 400, "MissingApiVersionParameter")


def test_bad_request_bodies_are_rejected(http: httpx.Client, standin: StandInServer) -> None:
    """Malformed bodies -> 400 with the API's error body."""
    bad_mode = ibm(http, standin, "POST", "/v1/sessions", json={"backend": "ibm_fez", "mode": "x"})
    assert_ibm_error(bad_mode, 400)
    session_id = ibm_session(http, standin)
    not_bool = ibm(
        http, standin, "PATCH", f"/v1/sessions/{session_id}", json={"accepting_jobs": "no"}
    )
    assert_ibm_error(not_bool, 400)
    no_program = ibm(http, standin, "POST", "/v1/jobs", json={"backend": "ibm_fez"})
    assert_ibm_error(no_program, 400)
    assert_azure_error(azure(http, standin, "POST", "/storage/sasUri", json={}), 400)
    assert_azure_error(azure(http, standin, "PUT", "/sessions/not-a-uuid", json={}), 400)


# --------------------------------------------------------------------------- validator


@requires_documents
def test_validator_rejects_job_session_missing_required_field() -> None:
    """A JobSession without the required backend_name is reported."""
    validator = ResponseValidator()
    body = json.dumps({"id": "s1", "mode": "batch", "state": "open"}).encode()
    problems = validator.validate("GET", "/api/v1/sessions/s1", 200, JSON, body)
    assert any("backend_name" in p for p in problems), problems
    good = json.dumps({"id": "s1", "mode": "batch", "backend_name": None}).encode()
    assert validator.validate("GET", "/api/v1/sessions/s1", 200, JSON, good) == []


@requires_documents
def test_validator_rejects_wrong_azure_bodies_and_statuses() -> None:
    """Azure schema violations and undocumented IBM statuses are reported."""
    validator = ResponseValidator()
    session_id = str(uuid.uuid4())
    path = f"{AZURE_WORKSPACE}/sessions/{session_id}"
    wrong = {
        "id": session_id,
        "name": "s",
        "providerId": "p",
        "target": "t",
        "itemType": "Job",
        "jobFailurePolicy": "Sometimes",
    }
    problems = validator.validate("PUT", path, 200, JSON, json.dumps(wrong).encode())
    assert any("itemType" in p for p in problems) and any("jobFailurePolicy" in p for p in problems)
    problems = validator.validate("GET", "/api/v1/sessions/s1", 409, JSON, b"{}")
    assert problems == ["status 409 is not documented for get_session and it has no default"]


@requires_documents
def test_middleware_records_undocumented_responses(
    http: httpx.Client, standin_server: StandInServer
) -> None:
    """A response no document describes is recorded, not raised."""
    standin_server.reset()
    response = http.get(f"{standin_server.ibm_base_url}/v1/unknown", headers=IBM_HEADERS)
    assert response.status_code == 404
    errors = list(standin_server.validation_errors)
    standin_server.reset()
    assert len(errors) == 1 and "no documented operation matches GET /api/v1/unknown" in errors[0]


def test_validator_is_disabled_without_documents(tmp_path: Path) -> None:
    """Without the public documents the validator is disabled and says why."""
    validator = ResponseValidator(tmp_path / "missing")
    assert not validator.enabled
    assert validator.disabled_reason is not None and "not found" in validator.disabled_reason
    assert validator.validate("GET", "/api/v1/sessions/s1", 200, JSON, b"{}") == []
