"""Fields an Arazzo 1.0.1 (or, for a 1.1 document, 1.1.0) object does not define (``unknown-field``, a warning
at the key).

The specification lists the fixed fields of every object and allows Specification Extensions (``x-...``);
the official JSON Schema rejects anything else (``unevaluatedProperties: false``).  arazzo-gen ignores such a
field, so a misspelt one (``sucessCriteria``) would silently change what a workflow does: each is reported,
with ``did you mean`` for a near miss.  A top-level ``$schema`` (an editor's hint of the document's JSON
Schema, which changes nothing) is accepted silently.  Workflow ``inputs`` and request payloads are the
user's JSON, never checked here.
"""

from __future__ import annotations

import difflib
from typing import Any

from ..diagnostics import Diagnostics
from ..read import YList, YMap

ROOT = ("arazzo", "info", "sourceDescriptions", "workflows", "components")
INFO = ("title", "summary", "description", "version")
SOURCE = ("name", "url", "type")
WORKFLOW = (
    "workflowId", "summary", "description", "inputs", "dependsOn", "steps", "successActions", "failureActions",
    "outputs", "parameters",
)  # fmt: skip
STEP = (
    "description", "stepId", "operationId", "operationPath", "workflowId", "parameters", "requestBody",
    "successCriteria", "onSuccess", "onFailure", "outputs",
)  # fmt: skip
PARAMETER = ("name", "in", "value")
SUCCESS_ACTION = ("name", "type", "workflowId", "stepId", "criteria")
FAILURE_ACTION = ("name", "type", "workflowId", "stepId", "retryAfter", "retryLimit", "criteria")
CRITERION = ("context", "condition", "type")
EXPRESSION_TYPE = ("type", "version")
REQUEST_BODY = ("contentType", "payload", "replacements")
REPLACEMENT = ("target", "value")
COMPONENTS = ("inputs", "parameters", "successActions", "failureActions")
REUSABLE = ("reference", "value")
SELECTOR = ("context", "selector", "type")

# The fields Arazzo 1.1.0 adds (``../shared/spec/arazzo-1.1.0.md``): known in a 1.1 document, where
# :mod:`.versions` refuses those arazzo-gen does not compile yet.
ROOT_1_1 = ("arazzo", "$self", "info", "sourceDescriptions", "workflows", "components")
STEP_1_1 = (*STEP[:4], "channelPath", *STEP[4:], "timeout", "correlationId", "action", "dependsOn")
SUCCESS_ACTION_1_1 = ("name", "type", "workflowId", "stepId", "parameters", "criteria")
FAILURE_ACTION_1_1 = (
    "name", "type", "workflowId", "stepId", "parameters", "retryAfter", "retryLimit", "criteria",
)  # fmt: skip
REPLACEMENT_1_1 = ("target", "targetSelectorType", "value")


def check_fields(root: YMap, diagnostics: Diagnostics, version: str = "1.0") -> None:
    """Report every field of the document's Arazzo objects that the specification (of ``version``, 1.0 or
    1.1) does not define."""
    v11 = version == "1.1"
    root_fields, step_fields = (ROOT_1_1, STEP_1_1) if v11 else (ROOT, STEP)
    success_action = SUCCESS_ACTION_1_1 if v11 else SUCCESS_ACTION
    failure_action = FAILURE_ACTION_1_1 if v11 else FAILURE_ACTION
    _fields(root, root_fields, "the Arazzo Object", diagnostics, allowed_extra=("$schema",))
    _object(root.get("info"), INFO, "the Info Object", diagnostics)
    for item in _items(root.get("sourceDescriptions")):
        _object(item, SOURCE, "a Source Description Object", diagnostics)
    for workflow in _items(root.get("workflows")):
        if not _object(workflow, WORKFLOW, "a Workflow Object", diagnostics):
            continue
        _parameters(workflow.get("parameters"), diagnostics)
        _actions(
            workflow.get("successActions"), success_action, "a Success Action Object", diagnostics
        )
        _actions(
            workflow.get("failureActions"), failure_action, "a Failure Action Object", diagnostics
        )
        for step in _items(workflow.get("steps")):
            if not _object(step, step_fields, "a Step Object", diagnostics):
                continue
            _parameters(step.get("parameters"), diagnostics)
            body = step.get("requestBody")
            if _object(body, REQUEST_BODY, "a Request Body Object", diagnostics):
                for replacement in _items(body.get("replacements")):
                    _object(
                        replacement, REPLACEMENT_1_1 if v11 else REPLACEMENT,
                        "a Payload Replacement Object", diagnostics,
                    )  # fmt: skip
            _criteria(step.get("successCriteria"), diagnostics)
            _actions(step.get("onSuccess"), success_action, "a Success Action Object", diagnostics)
            _actions(step.get("onFailure"), failure_action, "a Failure Action Object", diagnostics)
    components = root.get("components")
    if isinstance(components, YMap) and _object(
        components, COMPONENTS, "the Components Object", diagnostics
    ):
        for key, fields, what in (
            ("parameters", PARAMETER, "a Parameter Object"),
            ("successActions", success_action, "a Success Action Object"),
            ("failureActions", failure_action, "a Failure Action Object"),
        ):
            table = components.get(key)
            for item in table.values() if isinstance(table, YMap) else []:
                if _object(item, fields, what, diagnostics) and key != "parameters":
                    _criteria(item.get("criteria"), diagnostics)


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, YList) else []


def _object(value: Any, fields: tuple[str, ...], what: str, diagnostics: Diagnostics) -> bool:
    """Check ``value`` when it is a mapping (a wrong type is reported where the value is lowered)."""
    if not isinstance(value, YMap):
        return False
    _fields(value, fields, what, diagnostics)
    return True


def _fields(
    value: YMap,
    fields: tuple[str, ...],
    what: str,
    diagnostics: Diagnostics,
    allowed_extra: tuple[str, ...] = (),
) -> None:
    for key in value:
        if key in fields or key in allowed_extra or key.startswith("x-"):
            continue
        hint = difflib.get_close_matches(key, fields, n=1)
        diagnostics.warning(
            "unknown-field",
            f"'{key}' is not a field of {what}; it is ignored; "
            + (
                f"did you mean '{hint[0]}'?"
                if hint
                else f"its fields are {', '.join(fields)} and x- extensions"
            ),
            value.key_at(key),
        )


def _parameters(value: Any, diagnostics: Diagnostics) -> None:
    for item in _items(value):
        if isinstance(item, YMap) and "reference" in item:
            _fields(item, REUSABLE, "a Reusable Object", diagnostics)
        else:
            _object(item, PARAMETER, "a Parameter Object", diagnostics)


def _actions(value: Any, fields: tuple[str, ...], what: str, diagnostics: Diagnostics) -> None:
    for item in _items(value):
        if isinstance(item, YMap) and "reference" in item:
            _fields(item, REUSABLE, "a Reusable Object", diagnostics)
        elif _object(item, fields, what, diagnostics):
            _criteria(item.get("criteria"), diagnostics)


def _criteria(value: Any, diagnostics: Diagnostics) -> None:
    for item in _items(value):
        if _object(item, CRITERION, "a Criterion Object", diagnostics):
            _object(
                item.get("type"), EXPRESSION_TYPE, "a Criterion Expression Type Object", diagnostics
            )
