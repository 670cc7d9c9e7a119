"""A tiny stateful stand-in for the IBM Qiskit Runtime and Azure Quantum APIs.

Only the operations used by the seed Arazzo workflows are served:

* IBM (under ``/api``): create_session, get_session, update_session,
  delete_session_close, create_job.
* Azure Quantum data plane (at the endpoint root): Sessions_Open,
  Storage_GetSasUri, Jobs_Create, SessionsJobs_List, Sessions_Close.

State lives in plain dictionaries on ``StandInState``. Every response can be
checked against the public documents by ``ResponseValidationMiddleware``.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any
from urllib.parse import quote, urlencode

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .validation import ResponseValidator

Handler = Callable[[Request], Awaitable[Response]]
Record = dict[str, Any]
Checks = dict[str, Callable[[Any], bool]]
WorkspaceKey = tuple[str, str, str]
ItemKey = tuple[WorkspaceKey, str]

IBM_PREFIX = "/api/v1"
IBM_MORE_INFO = "https://cloud.ibm.com/apidocs/quantum-computing#error-handling"
AZURE_WORKSPACE = (
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
    "/providers/Microsoft.Quantum/workspaces/{workspaceName}"
)
AZURE_SAS_HOST = "https://standinquantum.blob.core.windows.net"
AZURE_ITEM_ID = re.compile(r"^[a-fA-F0-9]{8}-([a-fA-F0-9]{4}-){3}[a-fA-F0-9]{12}$")
AZURE_CLOSED_STATUSES = frozenset({"Succeeded", "Failed", "Failure(s)", "TimedOut"})
INT32_MAX = 2_147_483_647


@dataclass
class StandInState:
    """In-memory state of both stand-in APIs."""

    ibm_sessions: dict[str, Record] = field(default_factory=dict)
    ibm_jobs: dict[str, Record] = field(default_factory=dict)
    azure_sessions: dict[ItemKey, Record] = field(default_factory=dict)
    azure_jobs: dict[ItemKey, Record] = field(default_factory=dict)
    azure_containers: set[tuple[WorkspaceKey, str]] = field(default_factory=set)

    def reset(self) -> None:
        """Forget every session, job and container."""
        self.ibm_sessions.clear()
        self.ibm_jobs.clear()
        self.azure_sessions.clear()
        self.azure_jobs.clear()
        self.azure_containers.clear()

    def ibm_session_jobs(self, session_id: str) -> list[Record]:
        """Jobs recorded in one IBM session, in submission order."""
        return [job for job in self.ibm_jobs.values() if job.get("session_id") == session_id]

    def azure_session_jobs(self, workspace: WorkspaceKey, session_id: str) -> list[Record]:
        """Jobs of one Azure session, in submission order."""
        return [
            job
            for (ws, _), job in self.azure_jobs.items()
            if ws == workspace and job.get("sessionId") == session_id
        ]


# --------------------------------------------------------------------------- helpers


def _now() -> str:
    """Current UTC time as an RFC 3339 timestamp."""
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _state(request: Request) -> StandInState:
    """The StandInState attached to the application."""
    state: StandInState = request.app.state.standin
    return state


def _has_bearer(request: Request) -> bool:
    """True when the request carries ``Authorization: Bearer <non-empty token>``."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip())


async def _json_object(request: Request) -> Record | None:
    """The request body as a JSON object, or None if it is missing or not an object."""
    try:
        body = json.loads(await request.body())
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_dict(value: Any) -> bool:
    return isinstance(value, dict)


def _one_of(*allowed: str) -> Callable[[Any], bool]:
    return lambda value: value in allowed


def _first_invalid(body: Record, checks: Checks) -> str | None:
    """Name of the first present field of ``body`` that fails its check."""
    return next((name for name, ok in checks.items() if name in body and not ok(body[name])), None)


# --------------------------------------------------------------------------- IBM


def ibm_error(status: int, code: str, message: str) -> JSONResponse:
    """An IBM ErrorContainer response."""
    body = {
        "trace": secrets.token_hex(10),
        "errors": [{"code": code, "message": message, "more_info": IBM_MORE_INFO}],
    }
    return JSONResponse(body, status_code=status)


def ibm_operation(handler: Handler) -> Handler:
    """Require a bearer token and a Service-CRN header (401 otherwise)."""

    @wraps(handler)
    async def guarded(request: Request) -> Response:
        if not _has_bearer(request):
            return ibm_error(401, "unauthorized", "A bearer token is required.")
        if not request.headers.get("service-crn", "").strip():
            return ibm_error(401, "unauthorized", "The Service-CRN header is required.")
        return await handler(request)

    return guarded


def _ibm_session_or_404(request: Request) -> Record | Response:
    """The session named by the ``id`` path parameter, or a 404 response."""
    session = _state(request).ibm_sessions.get(request.path_params["id"])
    return session if session is not None else ibm_error(404, "not_found", "unknown session")


@ibm_operation
async def create_session(request: Request) -> Response:
    """POST /v1/sessions: open a session bound to a backend."""
    body = await _json_object(request)
    if body is None:
        return ibm_error(400, "bad_request", "The body must be a JSON object.")
    if body.get("mode") not in ("batch", "dedicated"):
        return ibm_error(400, "bad_request", "mode must be 'batch' or 'dedicated'.")
    checks = {
        "backend": _is_str,
        "backend_name": _is_str,
        "max_ttl": lambda v: _is_int(v) and 1 <= v <= INT32_MAX,
    }
    if invalid := _first_invalid(body, checks):
        return ibm_error(400, "bad_request", f"Invalid value for {invalid}.")
    now = _now()
    session = {
        "id": secrets.token_hex(10),
        "backend_name": body.get("backend", body.get("backend_name")),
        "mode": body["mode"],
        "state": "open",
        "accepting_jobs": True,
        "max_ttl": body.get("max_ttl", 28800),
        "started_at": now,
        "timestamps": [{"status": "open", "timestamp": now}],
    }
    _state(request).ibm_sessions[session["id"]] = session
    return JSONResponse(session)


@ibm_operation
async def get_session(request: Request) -> Response:
    """GET /v1/sessions/{id}: read a session."""
    session = _ibm_session_or_404(request)
    return session if isinstance(session, Response) else JSONResponse(session)


@ibm_operation
async def update_session(request: Request) -> Response:
    """PATCH /v1/sessions/{id}: start or stop accepting jobs."""
    session = _ibm_session_or_404(request)
    if isinstance(session, Response):
        return session
    body = await _json_object(request)
    if body is None or not isinstance(body.get("accepting_jobs"), bool):
        return ibm_error(400, "bad_request", "accepting_jobs must be a boolean.")
    session["accepting_jobs"] = body["accepting_jobs"]
    return Response(status_code=204)


@ibm_operation
async def close_session(request: Request) -> Response:
    """DELETE /v1/sessions/{id}/close: stop accepting jobs and close the session."""
    session = _ibm_session_or_404(request)
    if isinstance(session, Response):
        return session
    if session["state"] != "closed":
        now = _now()
        session.update(state="closed", accepting_jobs=False, closed_at=now)
        session["timestamps"].append({"status": "closed", "timestamp": now})
    return Response(status_code=204)


def _ibm_session_refusal(state: StandInState, session_id: str) -> Response | None:
    """Why a job cannot join ``session_id`` (404 unknown, 400 closed/paused), if it cannot."""
    session = state.ibm_sessions.get(session_id)
    if session is None:
        return ibm_error(404, "not_found", "unknown session")
    if session["state"] == "closed":
        return ibm_error(400, "session_closed", "Session has been closed.")
    if not session["accepting_jobs"]:
        return ibm_error(400, "session_not_accepting_jobs", "Session is not accepting jobs.")
    return None


@ibm_operation
async def create_job(request: Request) -> Response:
    """POST /v1/jobs: submit a primitive job, optionally inside a session."""
    body = await _json_object(request)
    if body is None:
        return ibm_error(400, "bad_request", "The body must be a JSON object.")
    for name in ("program_id", "backend"):
        if not (_is_str(body.get(name)) and body[name]):
            return ibm_error(400, "bad_request", f"{name} is required.")
    checks = {"session_id": lambda v: _is_str(v) and 1 <= len(v) <= 36, "params": _is_dict}
    if invalid := _first_invalid(body, checks):
        return ibm_error(400, "bad_request", f"Invalid value for {invalid}.")
    state = _state(request)
    session_id = body.get("session_id")
    if session_id is not None and (refusal := _ibm_session_refusal(state, session_id)):
        return refusal
    job = {"id": secrets.token_hex(10), "backend": body["backend"]}
    if session_id is not None:
        job["session_id"] = session_id
    state.ibm_jobs[job["id"]] = {
        **job,
        "program_id": body["program_id"],
        "params": body.get("params"),
    }
    return JSONResponse(job)


# --------------------------------------------------------------------------- Azure


def azure_error(status: int, code: str, message: str) -> JSONResponse:
    """An Azure ErrorResponse (with the documented x-ms-error-code header)."""
    body = {"error": {"code": code, "message": message}}
    return JSONResponse(body, status_code=status, headers={"x-ms-error-code": code})


def azure_operation(handler: Handler) -> Handler:
    """Require a bearer token (401) and the api-version query parameter (400)."""

    @wraps(handler)
    async def guarded(request: Request) -> Response:
        if not _has_bearer(request):
            return azure_error(401, "Unauthorized", "A bearer token is required.")
        if not request.query_params.get("api-version"):
            return azure_error(
                400, "MissingApiVersionParameter", "The api-version query parameter is required."
            )
        for name in ("sessionId", "jobId"):
            item_id = request.path_params.get(name)
            if item_id is not None and not AZURE_ITEM_ID.match(item_id):
                return azure_error(400, "InvalidRequest", f"{name} must be a UUID.")
        return await handler(request)

    return guarded


def _workspace(request: Request) -> WorkspaceKey:
    """The (subscription, resource group, workspace) triple of a request."""
    p = request.path_params
    return (p["subscriptionId"], p["resourceGroupName"], p["workspaceName"])


def _azure_session_or_404(request: Request) -> Record | Response:
    """The session named by the ``sessionId`` path parameter, or a 404 response."""
    key = (_workspace(request), request.path_params["sessionId"])
    session = _state(request).azure_sessions.get(key)
    if session is None:
        return azure_error(404, "SessionNotFound", "The session does not exist.")
    return session


ITEM_CHECKS: Checks = {
    "name": _is_str,
    "providerId": _is_str,
    "target": _is_str,
    "priority": _one_of("Standard", "High"),
    "tags": lambda v: isinstance(v, list) and all(map(_is_str, v)),
}
SESSION_CHECKS: Checks = {**ITEM_CHECKS, "jobFailurePolicy": _one_of("Abort", "Continue")}
JOB_CHECKS: Checks = {
    **ITEM_CHECKS,
    "jobType": _one_of("Unknown", "QuantumComputing", "Optimization"),
    "sessionId": _is_str,
    "containerUri": _is_str,
    "inputDataUri": _is_str,
    "inputDataFormat": _is_str,
    "outputDataUri": _is_str,
    "outputDataFormat": _is_str,
    "inputParams": _is_dict,
    "metadata": _is_dict,
    "quantumComputingData": lambda v: _is_dict(v) and _is_int(v.get("count")),
}


def _item_body_problem(
    body: Record | None, item_id: str, item_type: str, checks: Checks
) -> str | None:
    """Why a PUT body for a workspace item is unacceptable, if it is."""
    if body is None:
        return "The body must be a JSON object."
    if body.get("id", item_id) != item_id:
        return "The body id must match the path id."
    if body.get("itemType", item_type) != item_type:
        return f"itemType must be {item_type}."
    if invalid := _first_invalid(body, checks):
        return f"Invalid value for {invalid}."
    return None


def _copy_fields(body: Record, checks: Checks) -> Record:
    """The client-settable fields of ``body`` (those listed in ``checks``)."""
    return {name: body[name] for name in checks if name in body}


@azure_operation
async def open_azure_session(request: Request) -> Response:
    """PUT .../sessions/{sessionId}: open a session."""
    session_id = request.path_params["sessionId"]
    body = await _json_object(request)
    if problem := _item_body_problem(body, session_id, "Session", SESSION_CHECKS):
        return azure_error(400, "InvalidRequest", problem)
    assert body is not None
    key = (_workspace(request), session_id)
    state = _state(request)
    if key in state.azure_sessions:
        return azure_error(409, "SessionAlreadyExists", "A session with this id already exists.")
    session = {
        "name": session_id,
        "providerId": "microsoft",
        "target": "microsoft.estimator",
        "jobFailurePolicy": "Abort",
        **_copy_fields(body, SESSION_CHECKS),
        "id": session_id,
        "itemType": "Session",
        "status": "Waiting",
        "creationTime": _now(),
    }
    state.azure_sessions[key] = session
    return JSONResponse(session)


@azure_operation
async def close_azure_session(request: Request) -> Response:
    """POST .../sessions/{sessionId}:close: close a session (terminal status)."""
    session = _azure_session_or_404(request)
    if isinstance(session, Response):
        return session
    if session["status"] not in AZURE_CLOSED_STATUSES:
        session.update(status="Succeeded", endExecutionTime=_now())
    return JSONResponse(session)


@azure_operation
async def list_azure_session_jobs(request: Request) -> Response:
    """GET .../sessions/{sessionId}/jobs: the jobs of one session."""
    session = _azure_session_or_404(request)
    if isinstance(session, Response):
        return session
    jobs = _state(request).azure_session_jobs(_workspace(request), session["id"])
    return JSONResponse({"value": jobs})


@azure_operation
async def get_sas_uri(request: Request) -> Response:
    """POST .../storage/sasUri: a (fake) SAS URL for a container or blob."""
    body = await _json_object(request)
    if body is None or not (_is_str(body.get("containerName")) and body["containerName"]):
        return azure_error(400, "InvalidRequest", "containerName is required.")
    if "blobName" in body and not _is_str(body["blobName"]):
        return azure_error(400, "InvalidRequest", "blobName must be a string.")
    container = body["containerName"]
    _state(request).azure_containers.add((_workspace(request), container))
    path = "/".join(quote(part, safe="") for part in (container, body.get("blobName")) if part)
    expiry = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    query = urlencode(
        {"sv": "2024-11-04", "sr": "c", "sp": "racwl", "se": expiry, "sig": "standin"}
    )
    return JSONResponse({"sasUri": f"{AZURE_SAS_HOST}/{path}?{query}"})


def _azure_session_refusal(
    state: StandInState, workspace: WorkspaceKey, session_id: str
) -> Response | None:
    """Why a job cannot join ``session_id`` (404 unknown, 409 closed), if it cannot."""
    session = state.azure_sessions.get((workspace, session_id))
    if session is None:
        return azure_error(404, "SessionNotFound", "The session does not exist.")
    if session["status"] in AZURE_CLOSED_STATUSES:
        return azure_error(409, "SessionClosed", "The session is closed and accepts no jobs.")
    return None


@azure_operation
async def create_azure_job(request: Request) -> Response:
    """PUT .../jobs/{jobId}: create a job, optionally inside a session."""
    job_id = request.path_params["jobId"]
    body = await _json_object(request)
    if problem := _item_body_problem(body, job_id, "Job", JOB_CHECKS):
        return azure_error(400, "InvalidRequest", problem)
    assert body is not None
    if "containerUri" not in body:
        return azure_error(400, "InvalidRequest", "containerUri is required.")
    state, workspace = _state(request), _workspace(request)
    if (workspace, job_id) in state.azure_jobs:
        return azure_error(409, "JobAlreadyExists", "A job with this id already exists.")
    session: Record = {}
    if "sessionId" in body:
        if refusal := _azure_session_refusal(state, workspace, body["sessionId"]):
            return refusal
        session = state.azure_sessions[(workspace, body["sessionId"])]
    job = {
        "name": job_id,
        "providerId": session.get("providerId", "microsoft"),
        "target": session.get("target", "microsoft.estimator"),
        **_copy_fields(body, JOB_CHECKS),
        "id": job_id,
        "itemType": "Job",
        "status": "Waiting",
        "creationTime": _now(),
    }
    state.azure_jobs[(workspace, job_id)] = job
    return JSONResponse(job)


# --------------------------------------------------------------------------- app


class ResponseValidationMiddleware:
    """Validate every HTTP response against the public documents before sending it.

    The response is buffered, checked, and only then forwarded, so a failure is
    recorded in ``errors`` before the client sees the response. Failures are
    recorded, never raised.
    """

    def __init__(self, app: ASGIApp, validator: ResponseValidator, errors: list[str]) -> None:
        self.app = app
        self.validator = validator
        self.errors = errors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.validator.enabled:
            await self.app(scope, receive, send)
            return
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    self._check(scope, start, b"".join(chunks))
                    await send(start)
                    await send({"type": "http.response.body", "body": b"".join(chunks)})
            else:
                await send(message)

        try:
            await self.app(scope, receive, capture)
        except Exception as exc:
            self.errors.append(f"{scope['method']} {scope['path']}: unhandled {exc!r}")
            raise

    def _check(self, scope: Scope, start: Message, body: bytes) -> None:
        """Validate one buffered response and record any problems."""
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in start.get("headers", [])}
        status = int(start.get("status", 0))
        problems = self.validator.validate(scope["method"], scope["path"], status, headers, body)
        self.errors.extend(f"{scope['method']} {scope['path']} -> {status}: {p}" for p in problems)


class OmittingMiddleware:
    """Drop the members named in ``omit`` from every JSON object of every response body, at any depth: a
    lenient server that leaves out fields its documents call required (outermost, so that the validation
    middleware still checks the complete response)."""

    def __init__(self, app: ASGIApp, omit: frozenset[str]) -> None:
        self.app = app
        self.omit = omit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message = {}
        chunks: list[bytes] = []

        async def rewrite(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    body = self._omitted(b"".join(chunks))
                    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
                    headers.append((b"content-length", str(len(body)).encode()))
                    await send({**start, "headers": headers})
                    await send({"type": "http.response.body", "body": body})
            else:
                await send(message)

        await self.app(scope, receive, rewrite)

    def _omitted(self, body: bytes) -> bytes:
        try:
            data = json.loads(body)
        except ValueError:
            return body
        return json.dumps(self._without(data)).encode()

    def _without(self, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: self._without(v) for k, v in data.items() if k not in self.omit}
        if isinstance(data, list):
            return [self._without(v) for v in data]
        return data


def _routes() -> list[Route]:
    """Routing table of both stand-in APIs."""
    ws = AZURE_WORKSPACE
    return [
        Route(f"{IBM_PREFIX}/sessions", create_session, methods=["POST"]),
        Route(f"{IBM_PREFIX}/sessions/{{id}}", get_session, methods=["GET"]),
        Route(f"{IBM_PREFIX}/sessions/{{id}}", update_session, methods=["PATCH"]),
        Route(f"{IBM_PREFIX}/sessions/{{id}}/close", close_session, methods=["DELETE"]),
        Route(f"{IBM_PREFIX}/jobs", create_job, methods=["POST"]),
        Route(f"{ws}/sessions/{{sessionId}}:close", close_azure_session, methods=["POST"]),
        Route(f"{ws}/sessions/{{sessionId}}/jobs", list_azure_session_jobs, methods=["GET"]),
        Route(f"{ws}/sessions/{{sessionId}}", open_azure_session, methods=["PUT"]),
        Route(f"{ws}/storage/sasUri", get_sas_uri, methods=["POST"]),
        Route(f"{ws}/jobs/{{jobId}}", create_azure_job, methods=["PUT"]),
    ]


def create_app(
    state: StandInState,
    *,
    validator: ResponseValidator | None = None,
    validation_errors: list[str] | None = None,
    omit: frozenset[str] = frozenset(),
) -> Starlette:
    """Build the stand-in application around ``state``.

    With a ``validator``, every response is checked and problems are appended
    to ``validation_errors``.  Members named in ``omit`` are then dropped from
    every JSON response (a lenient server, see ``OmittingMiddleware``).
    """
    middleware = []
    if omit:
        middleware.append(Middleware(OmittingMiddleware, omit=omit))
    if validator is not None:
        errors = validation_errors if validation_errors is not None else []
        middleware.append(
            Middleware(ResponseValidationMiddleware, validator=validator, errors=errors)
        )
    app = Starlette(routes=_routes(), middleware=middleware)
    app.state.standin = state
    return app
