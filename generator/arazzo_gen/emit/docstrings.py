"""The ``Args:`` and ``Raises:`` sections of a workflow function's docstring (text only: the names and facts
come from the plan and from what the compiled steps do)."""

from __future__ import annotations


def args_lines(
    params: list[tuple[str, str]],
    dependencies: list[tuple[str, str, bool]],
    sources: list[tuple[str, str, str, bool]],
    sleep: str | None,
    max_steps: str | None,
) -> list[str]:
    """``params``: (parameter, text); ``dependencies``: (parameter, workflow id, required); ``sources``:
    (parameter, source name, API title, required); ``sleep``/``max_steps``: their parameters, if any."""
    lines = [f"{name}: {text}" for name, text in params]
    for param, workflow_id, required in dependencies:
        how = (
            "required: it needs inputs this workflow does not have"
            if required
            else "when omitted, that workflow runs first with this workflow's inputs of the same names"
        )
        lines.append(f"{param}: the outputs of workflow '{workflow_id}' (dependsOn); {how}.")
    for param, name, title, required in sources:
        how = "required" if required else "a default client is created (and closed) when omitted"
        lines.append(f"{param}: client for source '{name}' ({title}); {how}.")
    if sleep is not None:
        lines.append(
            f"{sleep}: called with the seconds to wait before each retry (default: time.sleep, "
            "asyncio.sleep in the async twin); the Retry-After header of the response overrides retryAfter."
        )
    if max_steps is not None:
        lines.append(
            f"{max_steps}: the most steps one run may start (goto and retry loops), for this "
            "workflow and for each workflow it runs; MaxStepsExceeded is raised beyond it."
        )
    lines.append(
        "deadline: seconds this whole run may take, its requests and the workflows it runs included "
        "(None, or inf: no limit; NaN: ValueError); each request gets the time left (or its client's deadline, "
        "if shorter), and the first one still running when it passes ends with ApiTimeoutError."
    )
    lines.append(
        "on_step: called with a StepEvent as each call of this run starts and ends, the calls of "
        "the workflows it runs included (workflow and step ids, attempt, method, URL template, "
        "status, duration); a hook that raises is logged, never breaks the run."
    )
    return lines


_CRITERION_ERRORS = {
    "regex": "a regex criterion ran past REGEX_TIMEOUT",
    "jsonpath": "a regex in a jsonpath criterion (match(), search()) ran past REGEX_TIMEOUT",
    "xpath": "an xpath criterion could not be evaluated on the body",
}


def raises_lines(
    replaces: bool, acts: bool, reads_body: bool, evaluates: set[str], max_steps: str | None
) -> list[str]:
    """``replaces``: a step has requestBody replacements; ``acts``: the workflow has actions; ``reads_body``:
    an output reads a response body; ``evaluates``: the kinds of criteria a library evaluates."""
    failed = "StepFailed: a step's response did not meet its success criteria"
    if replaces:
        failed += "; or a requestBody replacement target is not in the payload"
    lines = [
        failed
        + (
            " (and no failure action applied)."
            if acts
            else " (without criteria: its status is not a documented success)."
        ),
        (
            "ApiConnectionError: a request could not be sent or no response arrived (ApiTimeoutError: in time, "
            "or within the deadline)."
        ),
    ]
    if reads_body:
        lines.append(
            "StepOutputError: a value an output reads from a response body is missing or not of its documented "
            "type (a StepFailed naming the workflow, step and pointer)."
        )
    if evaluates:
        causes = [reason for kind, reason in _CRITERION_ERRORS.items() if kind in evaluates]
        lines.append(
            f"CriterionError: {', or '.join(causes)} (a StepFailed naming the criterion; no failure action "
            "applies)."
        )
    if max_steps is not None:
        lines.append(
            f"MaxStepsExceeded: more than {max_steps} steps ran (a goto loop that does not end)."
        )
    return lines
