"""Azure Quantum Session Lifecycle (1.0.0)

Open a session, submit a job into it, list its jobs, then close the session.

Sessions group related jobs so they execute against the same target with a shared failure policy.
This workflow opens a session with Sessions_Open, creates a job that references the session id,
lists the session's jobs with SessionsJobs_List, and finally closes the session with Sessions_Close.
Each step spells out its request inline, including the inline Authorization bearer token and the
required api-version query parameter.

Workflows:
- ``session_lifecycle`` / ``session_lifecycle_async``

Compiled by arazzo-gen from arazzo/microsoft-quantum-session-lifecycle-workflow.yml; do not edit.
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
from ..apis.azure_quantum_data_plane import models as data_plane_api_models
from ..apis.azure_quantum_data_plane.client import (
    AsyncClient as AsyncDataPlaneApiClient,
)
from ..apis.azure_quantum_data_plane.client import Client as DataPlaneApiClient


class SessionLifecycleOutputs(BaseModel):
    """Outputs of workflow ``session-lifecycle``."""

    model_config = ConfigDict(frozen=True)

    session_id: str = Field(serialization_alias="sessionId")
    """`$steps.openSession.outputs.openedSessionId`"""

    job_id: str = Field(serialization_alias="jobId")
    """`$steps.createSessionJob.outputs.createdJobId`"""

    session_jobs: list[data_plane_api_models.JobDetails] = Field(serialization_alias="sessionJobs")
    """`$steps.listSessionJobs.outputs.sessionJobs`"""

    final_session_status: data_plane_api_models.SessionStatus | None = Field(
        serialization_alias="finalSessionStatus"
    )
    """`$steps.closeSession.outputs.closedStatus`"""


def session_lifecycle(
    *,
    subscription_id: str,
    resource_group_name: str,
    workspace_name: str,
    api_version: str,
    auth_token: str,
    session_id: str,
    job_failure_policy: str,
    job_id: str,
    container_name: str,
    quantum_item_count: int,
    data_plane_api: DataPlaneApiClient,
    deadline: float | None = None,
    on_step: StepHook | None = None,
) -> SessionLifecycleOutputs:
    """Open a session, submit a job into it, enumerate its jobs, and close it.

    Opens a session with a job failure policy, stages a container SAS URI, creates a job bound to
    the session id, lists the jobs that belong to the session, and closes the session returning its
    final status.

    Args:
        subscription_id: The Azure subscription identifier that owns the workspace.
        resource_group_name: The resource group containing the Quantum workspace.
        workspace_name: The name of the Azure Quantum workspace.
        api_version: The data-plane api-version, e.g. 2026-01-15-preview.
        auth_token: The Azure AD bearer token (without the "Bearer " prefix).
        session_id: A client-generated unique identifier for the session.
        job_failure_policy: Policy controlling session behavior when a job fails (e.g. Abort or
            Continue).
        job_id: A client-generated unique identifier for the job created in the session.
        container_name: The storage container name used to host job data.
        quantum_item_count: The number of quantum computing items in the job.
        data_plane_api: client for source 'dataPlaneApi' (Azure Quantum Workspace Services);
            required.
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
    with WorkflowRun("session-lifecycle", deadline, on_step) as run:
        # openSession: Open a new session with the supplied id and job failure policy.
        run.step("openSession")
        with any_status():
            open_session = data_plane_api.sessions_open(
                api_version=api_version,
                subscription_id=subscription_id,
                resource_group_name=resource_group_name,
                workspace_name=workspace_name,
                session_id=session_id,
                body={"id": session_id, "jobFailurePolicy": job_failure_policy},
                extra_headers={"Authorization": f"Bearer {auth_token}"},
                deadline=run.left(),
            )
        if not (open_session.status_code == 200):
            raise StepFailed("session-lifecycle", "openSession", "$statusCode == 200", open_session)
        opened_session_id: str = read_output(
            open_session, str, "session-lifecycle", "openSession", "/id"
        )
        run.done("openSession", {"openedSessionId": opened_session_id})

        # getSasUri: Request a container SAS URI to stage input data for the session's job.
        run.step("getSasUri")
        with any_status():
            get_sas_uri = data_plane_api.storage_get_sas_uri(
                api_version=api_version,
                subscription_id=subscription_id,
                resource_group_name=resource_group_name,
                workspace_name=workspace_name,
                body={"containerName": container_name},
                extra_headers={"Authorization": f"Bearer {auth_token}"},
                deadline=run.left(),
            )
        if not (get_sas_uri.status_code == 200):
            raise StepFailed("session-lifecycle", "getSasUri", "$statusCode == 200", get_sas_uri)
        sas_uri: str = read_output(get_sas_uri, str, "session-lifecycle", "getSasUri", "/sasUri")
        run.done("getSasUri", {"sasUri": sas_uri})

        # createSessionJob: Create a job that references the open session id so it runs as part o...
        run.step("createSessionJob")
        with any_status():
            create_session_job = data_plane_api.jobs_create(
                api_version=api_version,
                subscription_id=subscription_id,
                resource_group_name=resource_group_name,
                workspace_name=workspace_name,
                job_id=job_id,
                body={
                    "id": job_id,
                    "jobType": "QuantumComputing",
                    "sessionId": opened_session_id,
                    "containerUri": sas_uri,
                    "quantumComputingData": {"count": quantum_item_count},
                },
                extra_headers={"Authorization": f"Bearer {auth_token}"},
                deadline=run.left(),
            )
        if not (create_session_job.status_code == 200):
            raise StepFailed(
                "session-lifecycle", "createSessionJob", "$statusCode == 200", create_session_job
            )
        created_job_id: str = read_output(
            create_session_job, str, "session-lifecycle", "createSessionJob", "/id"
        )
        run.done("createSessionJob", {"createdJobId": created_job_id})

        # listSessionJobs: List the jobs that belong to the session to confirm the job was attached.
        run.step("listSessionJobs")
        with any_status():
            list_session_jobs = data_plane_api.sessions_jobs_list(
                api_version=api_version,
                subscription_id=subscription_id,
                resource_group_name=resource_group_name,
                workspace_name=workspace_name,
                session_id=session_id,
                extra_headers={"Authorization": f"Bearer {auth_token}"},
                deadline=run.left(),
            )
        if not (list_session_jobs.status_code == 200):
            raise StepFailed(
                "session-lifecycle", "listSessionJobs", "$statusCode == 200", list_session_jobs
            )
        session_jobs: list[data_plane_api_models.JobDetails] = read_output(
            list_session_jobs,
            list[data_plane_api_models.JobDetails],
            "session-lifecycle",
            "listSessionJobs",
            "/value",
        )
        run.done("listSessionJobs", {"sessionJobs": session_jobs})

        # closeSession: Close the session now that its job has been submitted and enumerated.
        run.step("closeSession")
        with any_status():
            close_session = data_plane_api.sessions_close(
                api_version=api_version,
                subscription_id=subscription_id,
                resource_group_name=resource_group_name,
                workspace_name=workspace_name,
                session_id=session_id,
                extra_headers={"Authorization": f"Bearer {auth_token}"},
                deadline=run.left(),
            )
        if not (close_session.status_code == 200):
            raise StepFailed(
                "session-lifecycle", "closeSession", "$statusCode == 200", close_session
            )
        closed_status: data_plane_api_models.SessionStatus | None = read_output(
            close_session,
            data_plane_api_models.SessionStatus | None,
            "session-lifecycle",
            "closeSession",
            "/status",
        )
        run.done("closeSession", {"closedStatus": closed_status})

        return SessionLifecycleOutputs(
            session_id=opened_session_id,
            job_id=created_job_id,
            session_jobs=session_jobs,
            final_session_status=closed_status,
        )


async def session_lifecycle_async(
    *,
    subscription_id: str,
    resource_group_name: str,
    workspace_name: str,
    api_version: str,
    auth_token: str,
    session_id: str,
    job_failure_policy: str,
    job_id: str,
    container_name: str,
    quantum_item_count: int,
    data_plane_api: AsyncDataPlaneApiClient,
    deadline: float | None = None,
    on_step: StepHook | None = None,
) -> SessionLifecycleOutputs:
    """Open a session, submit a job into it, enumerate its jobs, and close it.

    Opens a session with a job failure policy, stages a container SAS URI, creates a job bound to
    the session id, lists the jobs that belong to the session, and closes the session returning its
    final status.

    Args:
        subscription_id: The Azure subscription identifier that owns the workspace.
        resource_group_name: The resource group containing the Quantum workspace.
        workspace_name: The name of the Azure Quantum workspace.
        api_version: The data-plane api-version, e.g. 2026-01-15-preview.
        auth_token: The Azure AD bearer token (without the "Bearer " prefix).
        session_id: A client-generated unique identifier for the session.
        job_failure_policy: Policy controlling session behavior when a job fails (e.g. Abort or
            Continue).
        job_id: A client-generated unique identifier for the job created in the session.
        container_name: The storage container name used to host job data.
        quantum_item_count: The number of quantum computing items in the job.
        data_plane_api: client for source 'dataPlaneApi' (Azure Quantum Workspace Services);
            required.
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
    async with AsyncWorkflowRun("session-lifecycle", deadline, on_step) as run:
        # openSession: Open a new session with the supplied id and job failure policy.
        run.step("openSession")
        with any_status():
            open_session = await data_plane_api.sessions_open(
                api_version=api_version,
                subscription_id=subscription_id,
                resource_group_name=resource_group_name,
                workspace_name=workspace_name,
                session_id=session_id,
                body={"id": session_id, "jobFailurePolicy": job_failure_policy},
                extra_headers={"Authorization": f"Bearer {auth_token}"},
                deadline=run.left(),
            )
        if not (open_session.status_code == 200):
            raise StepFailed("session-lifecycle", "openSession", "$statusCode == 200", open_session)
        opened_session_id: str = read_output(
            open_session, str, "session-lifecycle", "openSession", "/id"
        )
        run.done("openSession", {"openedSessionId": opened_session_id})

        # getSasUri: Request a container SAS URI to stage input data for the session's job.
        run.step("getSasUri")
        with any_status():
            get_sas_uri = await data_plane_api.storage_get_sas_uri(
                api_version=api_version,
                subscription_id=subscription_id,
                resource_group_name=resource_group_name,
                workspace_name=workspace_name,
                body={"containerName": container_name},
                extra_headers={"Authorization": f"Bearer {auth_token}"},
                deadline=run.left(),
            )
        if not (get_sas_uri.status_code == 200):
            raise StepFailed("session-lifecycle", "getSasUri", "$statusCode == 200", get_sas_uri)
        sas_uri: str = read_output(get_sas_uri, str, "session-lifecycle", "getSasUri", "/sasUri")
        run.done("getSasUri", {"sasUri": sas_uri})

        # createSessionJob: Create a job that references the open session id so it runs as part o...
        run.step("createSessionJob")
        with any_status():
            create_session_job = await data_plane_api.jobs_create(
                api_version=api_version,
                subscription_id=subscription_id,
                resource_group_name=resource_group_name,
                workspace_name=workspace_name,
                job_id=job_id,
                body={
                    "id": job_id,
                    "jobType": "QuantumComputing",
                    "sessionId": opened_session_id,
                    "containerUri": sas_uri,
                    "quantumComputingData": {"count": quantum_item_count},
                },
                extra_headers={"Authorization": f"Bearer {auth_token}"},
                deadline=run.left(),
            )
        if not (create_session_job.status_code == 200):
            raise StepFailed(
                "session-lifecycle", "createSessionJob", "$statusCode == 200", create_session_job
            )
        created_job_id: str = read_output(
            create_session_job, str, "session-lifecycle", "createSessionJob", "/id"
        )
        run.done("createSessionJob", {"createdJobId": created_job_id})

        # listSessionJobs: List the jobs that belong to the session to confirm the job was attached.
        run.step("listSessionJobs")
        with any_status():
            list_session_jobs = await data_plane_api.sessions_jobs_list(
                api_version=api_version,
                subscription_id=subscription_id,
                resource_group_name=resource_group_name,
                workspace_name=workspace_name,
                session_id=session_id,
                extra_headers={"Authorization": f"Bearer {auth_token}"},
                deadline=run.left(),
            )
        if not (list_session_jobs.status_code == 200):
            raise StepFailed(
                "session-lifecycle", "listSessionJobs", "$statusCode == 200", list_session_jobs
            )
        session_jobs: list[data_plane_api_models.JobDetails] = read_output(
            list_session_jobs,
            list[data_plane_api_models.JobDetails],
            "session-lifecycle",
            "listSessionJobs",
            "/value",
        )
        run.done("listSessionJobs", {"sessionJobs": session_jobs})

        # closeSession: Close the session now that its job has been submitted and enumerated.
        run.step("closeSession")
        with any_status():
            close_session = await data_plane_api.sessions_close(
                api_version=api_version,
                subscription_id=subscription_id,
                resource_group_name=resource_group_name,
                workspace_name=workspace_name,
                session_id=session_id,
                extra_headers={"Authorization": f"Bearer {auth_token}"},
                deadline=run.left(),
            )
        if not (close_session.status_code == 200):
            raise StepFailed(
                "session-lifecycle", "closeSession", "$statusCode == 200", close_session
            )
        closed_status: data_plane_api_models.SessionStatus | None = read_output(
            close_session,
            data_plane_api_models.SessionStatus | None,
            "session-lifecycle",
            "closeSession",
            "/status",
        )
        run.done("closeSession", {"closedStatus": closed_status})

        return SessionLifecycleOutputs(
            session_id=opened_session_id,
            job_id=created_job_id,
            session_jobs=session_jobs,
            final_session_status=closed_status,
        )
