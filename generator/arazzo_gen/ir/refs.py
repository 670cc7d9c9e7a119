"""What ``$workflows.<id>.inputs|outputs.<name>`` and ``$outputs.<name>`` mean where they are written.

Arazzo 1.0.1 (Runtime Expressions) lists ``$workflows.foo.inputs.username`` beside ``$inputs.username`` and
``$workflows.foo.outputs.bar`` beside ``$outputs.bar``, without saying which run of ``foo`` is meant. A
compiled workflow knows exactly which runs of other workflows have happened before a value is read:

* ``<id>`` is the workflow itself: ``inputs`` are its own inputs (``$inputs.<name>``); its ``outputs`` do not
  exist before it ends, so they are an error (``undefined-expression``) - except in its ``outputs``, where
  ``$outputs.<name>`` names another of its outputs.
* ``<id>`` is a ``dependsOn`` entry: its outputs are that run's (the generated function holds them).
* a step of this workflow that runs before the read (in document order without actions; whose success
  dominates the read with actions) runs ``<id>``: that run's outputs, and the inputs the step passed to it
  (an input the step does not pass is its default, else null). The last such step counts.
* the inputs of a ``dependsOn`` entry no step runs are not known (the caller may pass its outputs in): an
  error.
* otherwise no run of ``<id>`` has happened: an error naming why.

The checks report the errors (:mod:`arazzo_gen.check.checks`); the emitter compiles the rest.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from ..diagnostics import Diagnostics, Loc
from ..read.positions import find_inside, inside
from . import expressions as ex
from .flow import FlowPlan
from .model import Workflow, WorkflowCall


@dataclass(frozen=True)
class SelfInput:
    name: str


@dataclass(frozen=True)
class Dependency:
    call: WorkflowCall


@dataclass(frozen=True)
class StepRun:
    index: int  # the step (of the reading workflow) that ran the workflow
    call: WorkflowCall


@dataclass(frozen=True)
class Undefined:
    message: str


@dataclass(frozen=True)
class Unbound:
    """A step runs the workflow but its ``workflowId`` did not bind (reported there): nothing more to say."""


Resolution = SelfInput | Dependency | StepRun | Undefined | Unbound


def resolve_workflow_ref(
    workflow: Workflow,
    ref: ex.WorkflowRef,
    position: int | None,
    flow: FlowPlan | None,
    *,
    after: bool = False,
) -> Resolution:
    """What ``ref`` reads in ``workflow`` at step ``position`` (``None``: in the workflow's outputs).

    ``after``: the value is read once step ``position`` has succeeded (its ``outputs`` and its success
    actions' criteria), so the run of ``<id>`` by that very step counts; its parameters are read before it."""
    text = ex.to_source(ref)
    if ref.workflow_id == workflow.workflow_id:
        if ref.field == "inputs":
            return SelfInput(ref.name)
        return Undefined(
            f"'{text}' reads the outputs of workflow '{workflow.workflow_id}' itself, which exist only when it "
            "ends" + ("; in its outputs write $outputs.<name>" if position is None else "")
        )
    dependency = next(
        (
            c
            for c in workflow.depends_on
            if c.target is not None and ref.workflow_id in (c.workflow_id, c.text)
        ),
        None,
    )
    if dependency is not None and ref.field == "outputs":
        return Dependency(dependency)
    runs = [
        index
        for index, step in enumerate(workflow.steps)
        if step.call is not None and step.call.target is not None and ref.workflow_id in (
            step.call.workflow_id, step.call.text)
    ]  # fmt: skip
    if position is None:
        before = [i for i in runs if flow is None or workflow.steps[i].step_id in flow.set_at_exit]
        where = f"the outputs of workflow '{workflow.workflow_id}'"
    else:
        reader = workflow.steps[position].step_id
        if flow is None:
            before = [i for i in runs if i < position]
        else:
            before = [
                i for i in runs if workflow.steps[i].step_id in flow.set_before.get(reader, set())
            ]
        if after and position in runs:
            before = [i for i in before if i != position] + [
                position
            ]  # its own run is the last one
        where = f"step '{reader}'"
    if before:
        step = workflow.steps[before[-1]]
        assert step.call is not None
        return StepRun(before[-1], step.call)
    if dependency is not None:
        return Undefined(
            f"'{text}' reads an input of workflow '{ref.workflow_id}', a dependsOn entry of workflow "
            f"'{workflow.workflow_id}' whose outputs the caller may pass in without its inputs; pass the value "
            "as an input of this workflow"
        )
    if any(
        step.call is not None
        and step.call.target is None
        and ref.workflow_id in (step.call.workflow_id, step.call.text)
        for step in workflow.steps
    ):
        return Unbound()
    if runs:
        named = ", ".join(f"'{workflow.steps[i].step_id}'" for i in runs)
        return Undefined(
            f"'{text}' is read by {where}, but the step running workflow '{ref.workflow_id}' ({named}) has not "
            "always succeeded before it"
        )
    return Undefined(
        f"'{text}' is read by {where}, but workflow '{ref.workflow_id}' is neither a dependsOn entry of workflow "
        f"'{workflow.workflow_id}' nor run by one of its steps, so no run of it has {ref.field} here"
    )


def output_cycle(workflow: Workflow, name: str) -> list[str] | None:
    """The names of a cycle of workflow outputs through ``$outputs.<name>`` starting at ``name``, if any."""

    def visit(current: str, path: list[str]) -> list[str] | None:
        if current in path:
            return path[path.index(current) :] + [current]
        value = workflow.outputs.get(current)
        for ref in _refs(value):
            if isinstance(ref, ex.OutputRef) and ref.name in workflow.outputs:
                found = visit(ref.name, [*path, current])
                if found:
                    return found
        return None

    return visit(name, [])


def _refs(value: object) -> list[object]:
    if isinstance(value, dict):
        return [r for item in value.values() for r in _refs(item)]
    if isinstance(value, list):
        return [r for item in value for r in _refs(item)]
    if value is None or isinstance(value, str | int | float | bool):
        return []
    return list(ex.expressions_in(value))  # type: ignore[arg-type]


def check_reference(
    workflow: Workflow,
    expr: object,
    loc: Loc,
    position: int | None,
    flow: FlowPlan | None,
    diagnostics: Diagnostics,
    *,
    after: bool = False,
) -> None:
    """The located errors of a ``$workflows.*``, ``$outputs.*`` (outside a step that runs a workflow),
    ``$sourceDescriptions.*`` or ``$components.*`` value that is left after lowering."""
    if isinstance(expr, ex.WorkflowRef):
        found = resolve_workflow_ref(workflow, expr, position, flow, after=after)
        if isinstance(found, Undefined):
            diagnostics.error("undefined-expression", found.message, loc)
        elif isinstance(found, Unbound):
            pass
        elif isinstance(found, SelfInput):
            if found.name not in {item.name for item in workflow.inputs}:
                names = [item.name for item in workflow.inputs]
                diagnostics.error(
                    "unknown-input",
                    f"'{ex.to_source(expr)}' is not declared in the inputs of workflow '{workflow.workflow_id}'"
                    + _hint(found.name, names),
                    loc,
                )
        else:
            target = found.call.target
            assert target is not None
            names = (
                list(target.outputs)
                if expr.field == "outputs"
                else [item.name for item in target.inputs]
            )
            message = (
                f"workflow '{target.workflow_id}' has no {expr.field[:-1]} '{expr.name}'"
                + _hint(expr.name, names)
            )
            if expr.name not in names and expr.field == "outputs":
                diagnostics.error("unknown-workflow-output", message, loc)
            elif expr.name not in names:
                diagnostics.error("unknown-workflow-input", message, loc)
    elif isinstance(expr, ex.OutputRef):
        if position is not None:
            diagnostics.error(
                "undefined-expression",
                f"'{ex.to_source(expr)}' in step '{workflow.steps[position].step_id}' names an output of workflow "
                f"'{workflow.workflow_id}', which exists only when it ends ($outputs names the outputs of the "
                "workflow a step runs, in a step with workflowId); use $steps.<stepId>.outputs.<name>",
                loc,
            )
        elif expr.name not in workflow.outputs:
            diagnostics.error(
                "unknown-workflow-output",
                f"workflow '{workflow.workflow_id}' has no output '{expr.name}'"
                + _hint(expr.name, list(workflow.outputs)),
                loc,
            )
        else:
            for name in workflow.outputs:
                cycle = output_cycle(workflow, name)
                if cycle and cycle[0] == expr.name:
                    shown = " -> ".join(cycle)
                    diagnostics.error(
                        "undefined-expression", f"the outputs refer to each other: {shown}", loc
                    )
                    break
    elif isinstance(expr, ex.SourceRef):
        if expr.rest in ("url", "name"):
            return  # left unfolded only when the source is not declared (or has no url): reported already
        prefix = f"$sourceDescriptions.{expr.name}."
        at = find_inside(loc, prefix + expr.rest)
        diagnostics.error(
            "undefined-expression",
            f"'{ex.to_source(expr)}': a source description's url, name and type are its values; "
            f"'{expr.rest}' is not one (an operationId or workflowId goes in a step's operationId/workflowId)",
            loc
            if at is None
            else inside(loc, at + len(prefix), len(expr.rest)) or loc,  # at the bad part
        )
    else:
        diagnostics.error(
            "undefined-expression",
            f"'{ex.to_source(expr)}' has no value where it is written",  # type: ignore[arg-type]
            loc,
        )


def _hint(name: str, choices: list[str]) -> str:
    match = difflib.get_close_matches(name, choices, n=1)
    return f"; did you mean '{match[0]}'?" if match else ""
