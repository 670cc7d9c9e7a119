"""IBM Quantum Pause Session and Confirm (1.0.0)

Read a session's state, toggle whether it accepts new jobs, and confirm the change.

A session-control flow. The workflow reads a session's current state and accepting-jobs flag,
updates the session to start or stop accepting new jobs based on the supplied flag, and re-reads the
session to confirm the change took effect. Each request inlines its bearer token, Service-CRN, and
IBM-API-Version headers so the flow can be read and executed without opening the underlying OpenAPI
descriptions.

Workflows:
- ``pause_session_and_confirm`` / ``pause_session_and_confirm_async``

Compiled by arazzo-gen from arazzo/ibm-quantum-pause-session-and-confirm-workflow.yml; do not edit.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from .._runtime import (
    AsyncWorkflowRun,
    StepFailed,
    StepHook,
    WorkflowRun,
    any_status,
    read_output,
)
from ..apis.ibm_quantum_runtime_sessions import models as sessions_api_models
from ..apis.ibm_quantum_runtime_sessions.client import (
    AsyncClient as AsyncSessionsApiClient,
)
from ..apis.ibm_quantum_runtime_sessions.client import Client as SessionsApiClient


class PauseSessionAndConfirmOutputs(BaseModel):
    """Outputs of workflow ``pause-session-and-confirm``."""

    model_config = ConfigDict(frozen=True)

    final_accepting_jobs: bool | None = Field(serialization_alias="finalAcceptingJobs")
    """`$steps.confirmSession.outputs.finalAcceptingJobs`"""

    final_state: sessions_api_models.SessionState | None = Field(serialization_alias="finalState")
    """`$steps.confirmSession.outputs.finalState`"""


def pause_session_and_confirm(
    *,
    access_token: str,
    service_crn: str,
    api_version: str,
    session_id: str,
    accepting_jobs: bool,
    sessions_api: SessionsApiClient | None = None,
    deadline: float | None = None,
    on_step: StepHook | None = None,
) -> PauseSessionAndConfirmOutputs:
    """Toggle a session's accepting-jobs flag and confirm the new state.

    Reads a session, updates its accepting-jobs flag, and reads it back to confirm.

    Args:
        access_token: IBM Cloud IAM bearer token used in the Authorization header.
        service_crn: IBM Cloud Service CRN identifying the Qiskit Runtime instance.
        api_version: API version date sent in the IBM-API-Version header (e.g. 2026-03-15).
        session_id: Identifier of the session to inspect and update.
        accepting_jobs: Whether the session should accept new jobs (true) or stop accepting them
            (false).
        sessions_api: client for source 'sessionsApi' (Qiskit Runtime Sessions API); a default
            client is created (and closed) when omitted.
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
    with WorkflowRun("pause-session-and-confirm", deadline, on_step) as run:
        if sessions_api is None:
            sessions_api = run.enter_context(SessionsApiClient())

        # getSession: Read the session's current state and accepting-jobs flag before changing it.
        run.step("getSession")
        with any_status():
            get_session = sessions_api.get_session(
                id_=session_id,
                extra_headers={
                    "Authorization": f"Bearer {access_token}",
                    "Service-CRN": service_crn,
                    "IBM-API-Version": api_version,
                },
                deadline=run.left(),
            )
        if not (get_session.status_code == 200):
            raise StepFailed(
                "pause-session-and-confirm", "getSession", "$statusCode == 200", get_session
            )
        run.done("getSession")

        # updateSession: Update the session to start or stop accepting new jobs based on the supp...
        run.step("updateSession")
        with any_status():
            update_session = sessions_api.update_session(
                id_=session_id,
                body={"accepting_jobs": accepting_jobs},
                extra_headers={
                    "Authorization": f"Bearer {access_token}",
                    "Service-CRN": service_crn,
                    "IBM-API-Version": api_version,
                },
                deadline=run.left(),
            )
        if not (update_session.status_code == 204):
            raise StepFailed(
                "pause-session-and-confirm", "updateSession", "$statusCode == 204", update_session
            )
        run.done("updateSession")

        # confirmSession: Re-read the session to confirm its accepting-jobs flag now matches the...
        run.step("confirmSession")
        with any_status():
            confirm_session = sessions_api.get_session(
                id_=session_id,
                extra_headers={
                    "Authorization": f"Bearer {access_token}",
                    "Service-CRN": service_crn,
                    "IBM-API-Version": api_version,
                },
                deadline=run.left(),
            )
        if not (confirm_session.status_code == 200):
            raise StepFailed(
                "pause-session-and-confirm", "confirmSession", "$statusCode == 200", confirm_session
            )
        final_accepting_jobs: bool | None = read_output(
            confirm_session,
            bool | None,
            "pause-session-and-confirm",
            "confirmSession",
            "/accepting_jobs",
        )
        final_state: sessions_api_models.SessionState | None = read_output(
            confirm_session,
            sessions_api_models.SessionState | None,
            "pause-session-and-confirm",
            "confirmSession",
            "/state",
        )
        run.done(
            "confirmSession",
            {"finalAcceptingJobs": final_accepting_jobs, "finalState": final_state},
        )

        return PauseSessionAndConfirmOutputs(
            final_accepting_jobs=final_accepting_jobs,
            final_state=final_state,
        )


async def pause_session_and_confirm_async(
    *,
    access_token: str,
    service_crn: str,
    api_version: str,
    session_id: str,
    accepting_jobs: bool,
    sessions_api: AsyncSessionsApiClient | None = None,
    deadline: float | None = None,
    on_step: StepHook | None = None,
) -> PauseSessionAndConfirmOutputs:
    """Toggle a session's accepting-jobs flag and confirm the new state.

    Reads a session, updates its accepting-jobs flag, and reads it back to confirm.

    Args:
        access_token: IBM Cloud IAM bearer token used in the Authorization header.
        service_crn: IBM Cloud Service CRN identifying the Qiskit Runtime instance.
        api_version: API version date sent in the IBM-API-Version header (e.g. 2026-03-15).
        session_id: Identifier of the session to inspect and update.
        accepting_jobs: Whether the session should accept new jobs (true) or stop accepting them
            (false).
        sessions_api: client for source 'sessionsApi' (Qiskit Runtime Sessions API); a default
            client is created (and closed) when omitted.
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
    async with AsyncWorkflowRun("pause-session-and-confirm", deadline, on_step) as run:
        if sessions_api is None:
            sessions_api = await run.enter_async_context(AsyncSessionsApiClient())

        # getSession: Read the session's current state and accepting-jobs flag before changing it.
        run.step("getSession")
        with any_status():
            get_session = await sessions_api.get_session(
                id_=session_id,
                extra_headers={
                    "Authorization": f"Bearer {access_token}",
                    "Service-CRN": service_crn,
                    "IBM-API-Version": api_version,
                },
                deadline=run.left(),
            )
        if not (get_session.status_code == 200):
            raise StepFailed(
                "pause-session-and-confirm", "getSession", "$statusCode == 200", get_session
            )
        run.done("getSession")

        # updateSession: Update the session to start or stop accepting new jobs based on the supp...
        run.step("updateSession")
        with any_status():
            update_session = await sessions_api.update_session(
                id_=session_id,
                body={"accepting_jobs": accepting_jobs},
                extra_headers={
                    "Authorization": f"Bearer {access_token}",
                    "Service-CRN": service_crn,
                    "IBM-API-Version": api_version,
                },
                deadline=run.left(),
            )
        if not (update_session.status_code == 204):
            raise StepFailed(
                "pause-session-and-confirm", "updateSession", "$statusCode == 204", update_session
            )
        run.done("updateSession")

        # confirmSession: Re-read the session to confirm its accepting-jobs flag now matches the...
        run.step("confirmSession")
        with any_status():
            confirm_session = await sessions_api.get_session(
                id_=session_id,
                extra_headers={
                    "Authorization": f"Bearer {access_token}",
                    "Service-CRN": service_crn,
                    "IBM-API-Version": api_version,
                },
                deadline=run.left(),
            )
        if not (confirm_session.status_code == 200):
            raise StepFailed(
                "pause-session-and-confirm", "confirmSession", "$statusCode == 200", confirm_session
            )
        final_accepting_jobs: bool | None = read_output(
            confirm_session,
            bool | None,
            "pause-session-and-confirm",
            "confirmSession",
            "/accepting_jobs",
        )
        final_state: sessions_api_models.SessionState | None = read_output(
            confirm_session,
            sessions_api_models.SessionState | None,
            "pause-session-and-confirm",
            "confirmSession",
            "/state",
        )
        run.done(
            "confirmSession",
            {"finalAcceptingJobs": final_accepting_jobs, "finalState": final_state},
        )

        return PauseSessionAndConfirmOutputs(
            final_accepting_jobs=final_accepting_jobs,
            final_state=final_state,
        )
