"""IBM Quantum Session Run and Close (1.0.0)

Open a Qiskit Runtime session, run a job inside it, then close the session.

The session lifecycle pattern for iterative workloads. The workflow opens a runtime session bound to
a backend, submits a primitive job that references the session id so it inherits the session's
priority, confirms the job was accepted, and finally closes the session so it stops accepting new
jobs. Each request inlines its bearer token, Service-CRN, and IBM-API-Version headers so the flow
can be read and executed without opening the underlying OpenAPI descriptions.

Workflows:
- ``session_run_and_close`` / ``session_run_and_close_async``

Compiled by arazzo-gen from arazzo/ibm-quantum-session-run-and-close-workflow.yml; do not edit.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .._runtime import (
    AsyncWorkflowRun,
    StepFailed,
    StepHook,
    WorkflowRun,
    any_status,
    read_output,
)
from ..apis.ibm_quantum_runtime_jobs.client import AsyncClient as AsyncJobsApiClient
from ..apis.ibm_quantum_runtime_jobs.client import Client as JobsApiClient
from ..apis.ibm_quantum_runtime_sessions.client import (
    AsyncClient as AsyncSessionsApiClient,
)
from ..apis.ibm_quantum_runtime_sessions.client import Client as SessionsApiClient


class SessionRunAndCloseOutputs(BaseModel):
    """Outputs of workflow ``session-run-and-close``."""

    model_config = ConfigDict(frozen=True)

    session_id: str = Field(serialization_alias="sessionId")
    """`$steps.createSession.outputs.sessionId`"""

    job_id: str = Field(serialization_alias="jobId")
    """`$steps.runJobInSession.outputs.jobId`"""


def session_run_and_close(
    *,
    access_token: str,
    service_crn: str,
    api_version: str,
    backend: str,
    mode: str,
    program_id: str,
    params: dict[str, Any],
    sessions_api: SessionsApiClient | None = None,
    jobs_api: JobsApiClient | None = None,
    deadline: float | None = None,
    on_step: StepHook | None = None,
) -> SessionRunAndCloseOutputs:
    """Create a session, run a job within it, and close it when done.

    Opens a session, submits a job bound to the session, and closes the session once the job is
    queued.

    Args:
        access_token: IBM Cloud IAM bearer token used in the Authorization header.
        service_crn: IBM Cloud Service CRN identifying the Qiskit Runtime instance.
        api_version: API version date sent in the IBM-API-Version header (e.g. 2026-03-15).
        backend: Name of the backend the session will run on.
        mode: Execution mode for the session, either batch or dedicated.
        program_id: ID of the primitive program to execute in the session.
        params: The primitive input params object.
        sessions_api: client for source 'sessionsApi' (Qiskit Runtime Sessions API); a default
            client is created (and closed) when omitted.
        jobs_api: client for source 'jobsApi' (Qiskit Runtime Jobs API); a default client is created
            (and closed) when omitted.
        deadline: seconds this whole run may take, its requests and the workflows it runs included
            (None, or inf: no limit; NaN: ValueError); each request gets the time left (or its
            client's deadline, if shorter), and the first one still running when it passes ends with
            ApiTimeoutError.
        on_step: called with a StepEvent as each call of this run starts and ends, the calls of the
            workflows it runs included (workflow and step ids, attempt, method, URL template,
            status, duration); a hook that raises is logged, never breaks the run.

    Raises:
        StepFailed: a step's response did not meet its success criteria (without criteria: its
            status is not a documented success).
        ApiConnectionError: a request could not be sent or no response arrived (ApiTimeoutError: in
            time, or within the deadline).
        StepOutputError: a value an output reads from a response body is missing or not of its
            documented type (a StepFailed naming the workflow, step and pointer).

    Whatever ends a run (these, a cancellation, Ctrl-C) carries ``progress`` (Progress): the step it
    was running and the outputs of the steps that had succeeded, by step id.
    """
    with WorkflowRun("session-run-and-close", deadline, on_step) as run:
        if sessions_api is None:
            sessions_api = run.enter_context(SessionsApiClient())
        if jobs_api is None:
            jobs_api = run.enter_context(JobsApiClient())

        # createSession: Open a runtime session bound to the chosen backend and execution mode, a...
        run.step("createSession")
        with any_status():
            create_session = sessions_api.create_session(
                body={"backend": backend, "mode": mode},
                extra_headers={
                    "Authorization": f"Bearer {access_token}",
                    "Service-CRN": service_crn,
                    "IBM-API-Version": api_version,
                },
                deadline=run.left(),
            )
        if not (create_session.status_code == 200):
            raise StepFailed(
                "session-run-and-close", "createSession", "$statusCode == 200", create_session
            )
        session_id: str = read_output(
            create_session, str, "session-run-and-close", "createSession", "/id"
        )
        run.done("createSession", {"sessionId": session_id})

        # runJobInSession: Submit a primitive job that references the session id so it runs with...
        run.step("runJobInSession")
        with any_status():
            run_job_in_session = jobs_api.create_job(
                body={
                    "program_id": program_id,
                    "backend": backend,
                    "session_id": session_id,
                    "params": params,
                },
                extra_headers={
                    "Authorization": f"Bearer {access_token}",
                    "Service-CRN": service_crn,
                    "IBM-API-Version": api_version,
                },
                deadline=run.left(),
            )
        if not (run_job_in_session.status_code == 200):
            raise StepFailed(
                "session-run-and-close", "runJobInSession", "$statusCode == 200", run_job_in_session
            )
        job_id: str = read_output(
            run_job_in_session, str, "session-run-and-close", "runJobInSession", "/id"
        )
        run.done("runJobInSession", {"jobId": job_id})

        # closeSession: Close the runtime session so it stops accepting new jobs; any running job...
        run.step("closeSession")
        with any_status():
            close_session = sessions_api.delete_session_close(
                id_=session_id,
                extra_headers={
                    "Authorization": f"Bearer {access_token}",
                    "Service-CRN": service_crn,
                    "IBM-API-Version": api_version,
                },
                deadline=run.left(),
            )
        if not (close_session.status_code == 204):
            raise StepFailed(
                "session-run-and-close", "closeSession", "$statusCode == 204", close_session
            )
        run.done("closeSession")

        return SessionRunAndCloseOutputs(
            session_id=session_id,
            job_id=job_id,
        )


async def session_run_and_close_async(
    *,
    access_token: str,
    service_crn: str,
    api_version: str,
    backend: str,
    mode: str,
    program_id: str,
    params: dict[str, Any],
    sessions_api: AsyncSessionsApiClient | None = None,
    jobs_api: AsyncJobsApiClient | None = None,
    deadline: float | None = None,
    on_step: StepHook | None = None,
) -> SessionRunAndCloseOutputs:
    """Create a session, run a job within it, and close it when done.

    Opens a session, submits a job bound to the session, and closes the session once the job is
    queued.

    Args:
        access_token: IBM Cloud IAM bearer token used in the Authorization header.
        service_crn: IBM Cloud Service CRN identifying the Qiskit Runtime instance.
        api_version: API version date sent in the IBM-API-Version header (e.g. 2026-03-15).
        backend: Name of the backend the session will run on.
        mode: Execution mode for the session, either batch or dedicated.
        program_id: ID of the primitive program to execute in the session.
        params: The primitive input params object.
        sessions_api: client for source 'sessionsApi' (Qiskit Runtime Sessions API); a default
            client is created (and closed) when omitted.
        jobs_api: client for source 'jobsApi' (Qiskit Runtime Jobs API); a default client is created
            (and closed) when omitted.
        deadline: seconds this whole run may take, its requests and the workflows it runs included
            (None, or inf: no limit; NaN: ValueError); each request gets the time left (or its
            client's deadline, if shorter), and the first one still running when it passes ends with
            ApiTimeoutError.
        on_step: called with a StepEvent as each call of this run starts and ends, the calls of the
            workflows it runs included (workflow and step ids, attempt, method, URL template,
            status, duration); a hook that raises is logged, never breaks the run.

    Raises:
        StepFailed: a step's response did not meet its success criteria (without criteria: its
            status is not a documented success).
        ApiConnectionError: a request could not be sent or no response arrived (ApiTimeoutError: in
            time, or within the deadline).
        StepOutputError: a value an output reads from a response body is missing or not of its
            documented type (a StepFailed naming the workflow, step and pointer).

    Whatever ends a run (these, a cancellation, Ctrl-C) carries ``progress`` (Progress): the step it
    was running and the outputs of the steps that had succeeded, by step id.
    """
    async with AsyncWorkflowRun("session-run-and-close", deadline, on_step) as run:
        if sessions_api is None:
            sessions_api = await run.enter_async_context(AsyncSessionsApiClient())
        if jobs_api is None:
            jobs_api = await run.enter_async_context(AsyncJobsApiClient())

        # createSession: Open a runtime session bound to the chosen backend and execution mode, a...
        run.step("createSession")
        with any_status():
            create_session = await sessions_api.create_session(
                body={"backend": backend, "mode": mode},
                extra_headers={
                    "Authorization": f"Bearer {access_token}",
                    "Service-CRN": service_crn,
                    "IBM-API-Version": api_version,
                },
                deadline=run.left(),
            )
        if not (create_session.status_code == 200):
            raise StepFailed(
                "session-run-and-close", "createSession", "$statusCode == 200", create_session
            )
        session_id: str = read_output(
            create_session, str, "session-run-and-close", "createSession", "/id"
        )
        run.done("createSession", {"sessionId": session_id})

        # runJobInSession: Submit a primitive job that references the session id so it runs with...
        run.step("runJobInSession")
        with any_status():
            run_job_in_session = await jobs_api.create_job(
                body={
                    "program_id": program_id,
                    "backend": backend,
                    "session_id": session_id,
                    "params": params,
                },
                extra_headers={
                    "Authorization": f"Bearer {access_token}",
                    "Service-CRN": service_crn,
                    "IBM-API-Version": api_version,
                },
                deadline=run.left(),
            )
        if not (run_job_in_session.status_code == 200):
            raise StepFailed(
                "session-run-and-close", "runJobInSession", "$statusCode == 200", run_job_in_session
            )
        job_id: str = read_output(
            run_job_in_session, str, "session-run-and-close", "runJobInSession", "/id"
        )
        run.done("runJobInSession", {"jobId": job_id})

        # closeSession: Close the runtime session so it stops accepting new jobs; any running job...
        run.step("closeSession")
        with any_status():
            close_session = await sessions_api.delete_session_close(
                id_=session_id,
                extra_headers={
                    "Authorization": f"Bearer {access_token}",
                    "Service-CRN": service_crn,
                    "IBM-API-Version": api_version,
                },
                deadline=run.left(),
            )
        if not (close_session.status_code == 204):
            raise StepFailed(
                "session-run-and-close", "closeSession", "$statusCode == 204", close_session
            )
        run.done("closeSession")

        return SessionRunAndCloseOutputs(
            session_id=session_id,
            job_id=job_id,
        )
