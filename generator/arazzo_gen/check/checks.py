"""Stage 4: semantic checks over the IR. Errors here stop the build before anything is emitted."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from ..diagnostics import Diagnostics, Loc
from ..ir import expressions as ex
from ..ir.flow import plan
from ..ir.model import Api, Program, Step, Workflow
from ..ir.refs import check_reference
from ..read.positions import find_inside, inside
from .flow import check_flow
from .schemas import check_schemas, empty_object_body, expression_leaves, expression_leaves_at

_CREDENTIAL_HEADERS = {"authorization", "proxy-authorization"}
# set by a step, they are the HTTP headers they mean (an OpenAPI 3 description's own are ignored, as it says)
_MEDIA_HEADERS = {"accept", "content-type"}


def check_program(program: Program, diagnostics: Diagnostics) -> None:
    for document in program.documents:
        for workflow in document.workflows:
            _check_workflow(workflow, diagnostics)
            check_flow(workflow, diagnostics)
    check_schemas(program, diagnostics)


def _hint(name: str, choices: Iterable[str]) -> str:
    match = difflib.get_close_matches(name, list(choices), n=1)
    return f"; did you mean '{match[0]}'?" if match else ""


def _at_expression(expr: Any, loc: Loc) -> tuple[Loc, int | None]:
    """Where ``expr`` is written in the string value at ``loc`` (inside a template, on its line of a
    ``payload: |`` block), and its offset in that value; ``(loc, None)`` when it is not written there as its
    source text or its position is not exact."""
    text = ex.to_source(expr)
    offset = find_inside(loc, text)
    found = inside(loc, offset, len(text)) if offset is not None else None
    return (found, offset) if found is not None else (loc, None)


def _part(loc: Loc, offset: int | None, skip: int, part: str) -> Loc:
    """The location of ``part``, ``skip`` characters into the expression written at ``offset`` of the value at
    ``loc`` (the bad name in ``$inputs.nmae``); the expression's location where that is not exact."""
    if offset is None:
        return loc
    return inside(loc, offset + skip, len(part)) or loc


def _check_workflow(workflow: Workflow, diagnostics: Diagnostics) -> None:
    inputs = {item.name for item in workflow.inputs}
    outputs_by_step = {step.step_id: set(step.outputs) for step in workflow.steps}
    order = {step.step_id: index for index, step in enumerate(workflow.steps)}
    flow = plan(workflow) if workflow.controlled else None

    own_outputs = False  # success-action criteria may read the outputs of their own step

    after_step = (
        False  # the value is read once its step succeeded: its outputs, its success actions
    )

    def check_expressions(
        node: Any,
        loc: Loc,
        position: int | None,
        *,
        request: bool = False,
        own: bool = False,
        after: bool = False,
    ) -> None:
        nonlocal own_outputs, after_step
        own_outputs = own
        after_step = after or own
        for expr in ex.expressions_in(node):
            if request and isinstance(
                expr, ex.StatusCode | ex.ResponseRef | ex.RequestRef | ex.Url | ex.Method
            ):
                diagnostics.error(
                    "response-in-request",
                    f"'{ex.to_source(expr)}' is used to build the request of the same step, before there is "
                    "a request or response; take the value from an earlier step's outputs",
                    _at_expression(expr, loc)[0],
                )
                continue
            _check_expression(expr, loc, position)

    def _check_workflow_output(target: Workflow, name: str, loc: Loc) -> None:
        if name not in target.outputs:
            diagnostics.error(
                "unknown-workflow-output",
                f"workflow '{target.workflow_id}' has no output '{name}'"
                + _hint(name, target.outputs),
                loc,
            )

    def _check_expression(expr: Any, value_loc: Loc, position: int | None) -> None:
        loc, offset = _at_expression(expr, value_loc)
        if isinstance(expr, ex.InputRef):
            if expr.name not in inputs:
                diagnostics.error(
                    "unknown-input",
                    f"'$inputs.{expr.name}' is not declared in the inputs of workflow '{workflow.workflow_id}'"
                    + _hint(expr.name, inputs),
                    _part(value_loc, offset, len("$inputs."), expr.name),
                )
        elif isinstance(expr, ex.StepRef):
            if expr.step_id not in order:
                diagnostics.error(
                    "unknown-step",
                    f"'$steps.{expr.step_id}' names no step of workflow '{workflow.workflow_id}'"
                    + _hint(expr.step_id, order),
                    _part(value_loc, offset, len("$steps."), expr.step_id),
                )
            elif (
                position is not None
                and expr.step_id == workflow.steps[position].step_id
                and not own_outputs
            ):
                _own_output(workflow.steps[position], expr.name, flow is not None, loc, diagnostics)
            elif (
                flow is not None
                and position is not None
                and expr.step_id not in flow.set_before[workflow.steps[position].step_id]
                and not (expr.step_id == workflow.steps[position].step_id and own_outputs)
            ):
                reader = workflow.steps[position].step_id
                if expr.step_id in flow.may_set_before.get(reader, set()):
                    diagnostics.warning(
                        "possibly-unset-step-output",
                        f"'$steps.{expr.step_id}.outputs.{expr.name}' is used by step '{reader}', which a goto, end "
                        f"or retry path reaches without step '{expr.step_id}' having succeeded; it is null (None) "
                        "there",
                        loc,
                    )
                else:
                    diagnostics.error(
                        "unset-step-output",
                        f"'$steps.{expr.step_id}.outputs.{expr.name}' is used by step '{reader}', which no path "
                        f"reaches after step '{expr.step_id}' has succeeded",
                        loc,
                    )
            elif flow is None and position is not None and order[expr.step_id] >= position:
                diagnostics.error(
                    "forward-step-reference",
                    f"'$steps.{expr.step_id}.outputs.{expr.name}' is used before step '{expr.step_id}' has run",
                    loc,
                )
            elif expr.name not in outputs_by_step[expr.step_id]:
                diagnostics.error(
                    "unknown-step-output",
                    f"step '{expr.step_id}' has no output '{expr.name}'"
                    + (
                        _callee_hint(workflow.steps[order[expr.step_id]], expr.name)
                        or _hint(expr.name, outputs_by_step[expr.step_id])
                    ),
                    _part(value_loc, offset, len(f"$steps.{expr.step_id}.outputs."), expr.name),
                )
        elif isinstance(expr, ex.WorkflowRef | ex.SourceRef | ex.ComponentRef) or (
            isinstance(expr, ex.OutputRef)
            and (position is None or workflow.steps[position].call is None)
        ):
            check_reference(
                workflow, expr, loc, position, flow, diagnostics, after=after_step
            )  # what each means: ir/refs.py
        elif (
            isinstance(expr, ex.OutputRef)
            and position is not None
            and workflow.steps[position].call is not None
        ):
            call = workflow.steps[position].call
            if call is not None and call.target is not None:
                _check_workflow_output(call.target, expr.name, loc)
        elif isinstance(expr, ex.MessageRef) and (
            position is None
            or (
                workflow.steps[position].action != "receive"
                # a step that names no operation was reported already
                and workflow.steps[position].operation is not None
            )
        ):
            where = (
                f"step '{workflow.steps[position].step_id}' receives no message"
                if position is not None
                else "the workflow's outputs are read after its steps"
            )
            diagnostics.error(
                "message-outside-receive",
                f"'{ex.to_source(expr)}' reads the message an AsyncAPI step with 'action: receive' received, "
                f"but {where}; expose it as an output of the receive step and use $steps.<id>.outputs.<name>",
                loc,
            )
        elif isinstance(expr, ex.StatusCode | ex.ResponseRef | ex.RequestRef | ex.Url | ex.Method):
            if position is not None and workflow.steps[position].call is not None:
                diagnostics.error(
                    "response-in-workflow-step",
                    f"'{ex.to_source(expr)}' refers to an HTTP request or response, but step "
                    f"'{workflow.steps[position].step_id}' runs a workflow; use $outputs.<name> of that workflow",
                    loc,
                )
            elif position is None:
                diagnostics.error(
                    "response-outside-step",
                    f"'{ex.to_source(expr)}' refers to a request or response, which only exists inside a step; "
                    "expose it as a step output and use $steps.<id>.outputs.<name>",
                    loc,
                )

    for position, step in enumerate(workflow.steps):
        _check_step(step, diagnostics)
        if flow is not None:
            succeeded = flow.set_before.get(step.step_id, set())
            _check_depends_on(step, set(order), succeeded, diagnostics)
        for param in step.parameters:
            for value in expression_leaves(param.value):
                check_expressions(value, param.loc, position, request=True)
        if step.correlation is not None:  # known before the message is received
            for value in expression_leaves(step.correlation):
                check_expressions(value, step.correlation_loc or step.loc, position, request=True)
        for path, value in expression_leaves_at(step.body):
            check_expressions(
                value, step.body_locs.get(path) or step.body_loc or step.loc, position, request=True
            )
        for _, replacement in step.body_replacements:  # those applied when the request is built
            for value in expression_leaves(replacement):
                check_expressions(value, step.body_loc or step.loc, position, request=True)
        for criterion in step.success_criteria:
            if criterion.condition is not None:
                check_expressions(criterion.condition, criterion.loc, position)
            if criterion.context is not None:
                check_expressions(criterion.context, criterion.loc, position)
        for name, output in step.outputs.items():
            for value in expression_leaves(
                output
            ):  # an object/array literal output: every expression inside it
                check_expressions(value, step.output_locs[name], position, after=True)
        for action in step.on_success + step.on_failure:
            own = action in step.on_success
            for criterion in action.criteria:
                if criterion.condition is not None:
                    check_expressions(criterion.condition, criterion.loc, position, own=own)
                if criterion.context is not None:
                    check_expressions(criterion.context, criterion.loc, position, own=own)
            passed = action.call.inputs if action.call is not None else None
            for value, loc, _ in (
                passed or {}
            ).values():  # a 1.1 action's parameters: read as its criteria
                for leaf in expression_leaves(value):
                    check_expressions(leaf, loc, position, own=own)
        for value, loc, _ in step.call_inputs.values():
            for leaf in expression_leaves(value):
                check_expressions(leaf, loc, position, request=True)
    for name, output in workflow.outputs.items():
        for value in expression_leaves(output):
            check_expressions(value, workflow.output_locs[name], None)


def _check_depends_on(
    step: Step, known: set[str], succeeded: set[str], diagnostics: Diagnostics
) -> None:
    """Arazzo 1.1 step-level ``dependsOn`` in a workflow with actions (its steps run in the order of the
    document and its actions; arazzo-gen never reorders them): compiled where every path to the step passes
    the success of each step it names (``succeeded``: the steps whose success dominates its attempt); else
    refused, since a path would run the step first."""
    for name, loc in step.depends_on:
        # (an unknown step, or the step itself, is reported in ir/versions.py)
        if name in known and name != step.step_id and name not in succeeded:
            diagnostics.error(
                "unsupported-feature",
                f"a step-level 'dependsOn' on step '{name}', which a path of the workflow's actions (or the "
                f"document's order) reaches step '{step.step_id}' without (Arazzo 1.1) is not supported by "
                "arazzo-gen yet; the document is not built rather than built with another meaning",
                loc,
            )


def _callee_hint(step: Step, name: str) -> str:
    """For a step that runs a workflow with an output ``name`` the step does not declare: how to expose it."""
    callee = step.call.target if step.call is not None else None
    if callee is None or name not in callee.outputs:
        return ""
    return (
        f"; the workflow it runs, '{callee.workflow_id}', has one: declare '{name}: $outputs.{name}' in the step's "
        "outputs, or remove the step's outputs to expose all of the workflow's"
    )


def _own_output(
    step: Step, name: str, controlled: bool, loc: Loc, diagnostics: Diagnostics
) -> None:
    """``$steps.<id>.outputs.<name>`` inside step ``<id>`` itself (not in its success-action criteria)."""
    callee = step.call.target if step.call is not None else None
    if callee is not None and name in callee.outputs:
        hint = f"the output '{name}' of the workflow it runs is '$outputs.{name}'"
    else:
        hint = "take the value from the response ($response...) in its outputs, or from an earlier step"
    message = f"step '{step.step_id}' reads its own output '{name}', which is set only once the step has succeeded; "
    if controlled:
        diagnostics.error("unset-step-output", message + hint, loc)
    else:
        diagnostics.error("forward-step-reference", message + hint, loc)


def _check_step(step: Step, diagnostics: Diagnostics) -> None:
    op, api = step.operation, step.api
    if op is None or api is None:
        return
    credential_headers = _credential_headers(api)
    for param in step.parameters:
        if param.target is not None:
            continue
        if param.location == "header":
            if (
                param.name.lower() not in credential_headers
                and param.name.lower() not in _MEDIA_HEADERS
            ):
                diagnostics.warning(
                    "undeclared-parameter",
                    f"header '{param.name}' is not a parameter of {op.operation_id}; it is sent as an extra header",
                    param.name_loc or param.loc,
                )
        elif param.location == "query":
            diagnostics.warning(
                "undeclared-parameter",
                f"query parameter '{param.name}' is not a parameter of {op.operation_id}; it is sent as an extra "
                "query parameter",
                param.name_loc or param.loc,
            )
        else:
            names = [p.name for p in op.parameters if p.location == param.location]
            diagnostics.error(
                "unknown-parameter",
                f"{op.operation_id} has no {param.location} parameter '{param.name}'"
                + _hint(param.name, names),
                param.name_loc or param.loc,
            )
    given = {
        (p.name.lower() if p.location == "header" else p.name, p.location) for p in step.parameters
    }
    for declared in op.parameters:
        key = (
            declared.name.lower() if declared.location == "header" else declared.name,
            declared.location,
        )
        if declared.required and key not in given and declared.credential:
            configure = {"header": "headers", "query": "query", "cookie": "cookies"}[
                declared.location
            ]
            diagnostics.warning(
                "missing-credential-parameter",
                f"step '{step.step_id}' does not set the required {declared.location} parameter "
                f"'{declared.name}' of {op.operation_id}, a credential: configure it on the client "
                f"({configure}={{'{declared.name}': ...}}), which sends it with every request",
                step.loc,
            )
        elif declared.required and key not in given and op.channel is not None:
            # a message header its schema requires: the client takes it as an optional argument (a broker does
            # not refuse the message; the application receiving it may)
            diagnostics.warning(
                "missing-message-header",
                f"step '{step.step_id}' does not set the header '{declared.name}' the messages of channel "
                f"'{op.channel.key}' require; the message is sent without it",
                step.loc,
            )
        elif (
            declared.required
            and key not in given
            and declared.fallback is None
            and not {None, declared.name} & step.broken_parameters  # reported already
        ):
            diagnostics.error(
                "missing-parameter",
                f"step '{step.step_id}' does not set the required {declared.location} parameter "
                f"'{declared.name}' of {op.operation_id}",
                step.loc,
            )
    if op.body is not None and op.body.required and not step.has_body:
        message = f"{op.operation_id} requires a request body but step '{step.step_id}' has no requestBody payload"
        if empty_object_body(op.body, api):
            diagnostics.warning(
                "missing-request-body", message + "; an empty JSON object ({}) is sent", step.loc
            )
        else:
            diagnostics.error("missing-request-body", message, step.loc)


def _credential_headers(api: Api) -> set[str]:
    names = set(_CREDENTIAL_HEADERS)
    for scheme in api.security_schemes:
        if scheme.kind == "apiKey" and scheme.location == "header" and scheme.param_name:
            names.add(scheme.param_name.lower())
    return names
