"""Build the step plan of every workflow from the IR (after the checks, before emit)."""

from __future__ import annotations

from typing import Any

from ..ir import expressions as ex
from ..ir.flow import FlowPlan, always_applies, applicable, plan
from ..ir.model import Action as IrAction
from ..ir.model import ArazzoDocument, Program, Response, Step, Workflow
from ..ir.refs import Resolution, resolve_workflow_ref
from ..naming import snake
from .modules import FunctionNames, PackageNames
from .nodes import (
    Action,
    ActionKind,
    Control,
    End,
    Goto,
    GotoWorkflow,
    LoopLocals,
    OperationStep,
    Output,
    Retry,
    Shape,
    StepNode,
    WorkflowPlan,
    WorkflowStep,
)
from .shape import choose_shape


class ProgramPlan:
    """The plan of every workflow of a program, looked up by workflow, and of every workflows module."""

    def __init__(self, program: Program) -> None:
        self._plans: dict[int, WorkflowPlan] = {}
        workflows = [wf for document in program.documents for wf in document.workflows]
        shapes = {id(workflow): choose_shape(workflow) for workflow in workflows}
        self.shapes = shapes
        self.names = PackageNames(program, *control_parameters(workflows, shapes))
        self.modules = self.names.modules

    def add(self, workflow: Workflow, item: WorkflowPlan) -> None:
        self._plans[id(workflow)] = item

    def __getitem__(self, workflow: Workflow) -> WorkflowPlan:
        return self._plans[id(workflow)]

    def param(self, workflow: Workflow, input_name: str) -> str:
        """The parameter of ``workflow``'s function that takes input ``input_name`` (for its callers)."""
        return self[workflow].params[input_name]

    def outputs_class(self, workflow: Workflow) -> str:
        return self.names[workflow].outputs_class


def plan_program(program: Program) -> ProgramPlan:
    result = ProgramPlan(program)
    for document in program.documents:
        for workflow in document.workflows:
            planner = _WorkflowPlanner(
                workflow, document, result.names[workflow], result.shapes[id(workflow)]
            )
            result.add(workflow, planner.build())
    return result


def control_parameters(
    workflows: list[Workflow], shapes: dict[int, Shape]
) -> tuple[set[int], set[int]]:
    """The workflows (ids) whose functions take ``sleep`` (a retry action waits) and ``max_steps`` (a goto
    loop may not end): theirs, or those of a workflow they run, which they pass on."""
    sleeps = {
        id(wf)
        for wf in workflows
        if any(a.kind == "retry" for step in wf.steps for a in applicable(step.on_failure))
    }
    loops = {id(wf) for wf in workflows if shapes[id(wf)] in (Shape.STEP_LOOP, Shape.STATE_MACHINE)}
    changed = True
    while changed:
        changed = False
        for wf in workflows:
            for call in wf.calls():
                for found in (sleeps, loops):
                    if call.target is not None and id(call.target) in found and id(wf) not in found:
                        found.add(id(wf))
                        changed = True
    return sleeps, loops


class _WorkflowPlanner:
    def __init__(
        self,
        workflow: Workflow,
        document: ArazzoDocument,
        function: FunctionNames,
        shape: Shape,
    ) -> None:
        self.workflow = workflow
        self.document = document
        self.function = function
        self.names = (
            function.scope
        )  # the function scope: its parameters are named, the locals follow
        self.shape = shape
        self.flow: FlowPlan | None = plan(workflow) if self.shape is not Shape.STRAIGHT else None
        self.used = referenced_step_outputs(workflow)
        self.unset = possibly_unset_reads(workflow, self.flow) if self.flow is not None else set()
        self.run_ids = {ref.workflow_id for ref in workflow_refs(workflow)}

    def build(self) -> WorkflowPlan:
        wf, names = self.workflow, self.function
        run = self.names.claim("run")
        # an AsyncAPI receive step subscribes before the first step: the local holding its subscription
        # (receive steps on one channel of one source share it: a message one of them takes is taken)
        inboxes: dict[str, str] = {}
        shared: dict[tuple[str | None, str], str] = {}
        for step in wf.steps:
            if step.action == "receive" and step.operation is not None:
                channel = step.operation.channel
                key = (step.source, channel.key if channel is not None else step.step_id)
                if key not in shared:
                    shared[key] = self.names.claim(snake(step.step_id) + "_inbox")
                inboxes[step.step_id] = shared[key]
        loop = self.loop_locals()
        steps = tuple(self.step(step, loop) for step in wf.steps)
        forward = self.shape is Shape.FORWARD
        optional = frozenset(
            name
            for node in steps
            if node.control is not None
            for action in node.control.on_success + node.control.on_failure
            if isinstance(action.kind, End | GotoWorkflow) and action.kind.unset
            for name in action.kind.unset
        )
        return WorkflowPlan(
            workflow=wf, function=names.function, async_function=names.async_function,
            shape=self.shape, params=names.params, steps=steps, loop=loop, run=run,
            flow=self.flow, used_outputs=frozenset(self.used), unset_reads=frozenset(self.unset),
            names=self.names, workflow_runs=workflow_runs(wf, self.flow),
            unset_outputs={} if forward else unset_outputs(wf, self.flow),
            optional_outputs=optional, sleep=names.sleep, max_steps=names.max_steps,
            sources=names.sources, dependencies=names.dependencies, inboxes=inboxes,
        )  # fmt: skip

    def loop_locals(self) -> LoopLocals | None:
        if self.flow is None:
            return None
        wf, flow = self.workflow, self.flow
        forward = self.shape is Shape.FORWARD
        needs_succeeded = not forward and any(
            step.step_id not in flow.set_at_exit
            and any((step.step_id, name) in self.used for name in step.outputs)
            for step in wf.steps
        )
        labels = self.shape is Shape.STATE_MACHINE
        judged = not forward or any(applicable(step.on_failure) for step in wf.steps)
        return LoopLocals(
            step=self.names.claim("step") if labels else None,
            steps_run=None if forward else self.names.claim("steps_run"),
            unmet=self.names.claim("unmet") if judged else None,
            resume=self.names.claim("resume") if flow.resumes else None,
            succeeded=self.names.claim("succeeded") if needs_succeeded else None,
            failure=self.names.claim("callee_failure")
            if any(step.call is not None and applicable(step.on_failure) for step in wf.steps)
            else None,
            timed_out=self.names.claim("timed_out")
            if any(
                step.timeout is not None and step.call is None and applicable(step.on_failure)
                for step in wf.steps
            )
            else None,
        )

    def step(self, step: Step, loop: LoopLocals | None) -> StepNode:
        wanted = [name for name in step.outputs if (step.step_id, name) in self.used]
        call = step.call
        reads_run = call is not None and (
            call.workflow_id in self.run_ids or call.text in self.run_ids
        )
        acts = loop is not None and bool(applicable(step.on_success) or applicable(step.on_failure))
        controlled = acts if self.shape is Shape.FORWARD else loop is not None
        # an operation step's response is always judged (by its criteria, else by its status)
        local = (
            self.names.claim(snake(step.step_id))
            if call is None or step.success_criteria or wanted or controlled or reads_run
            else None
        )
        outputs = tuple(self.output(step, name, local) for name in wanted)
        control = self.control(step) if controlled else None
        if call is not None:
            catches = control is not None and bool(control.on_failure)
            return WorkflowStep(step, call, local, outputs, control, catches)
        return OperationStep(step, local, outputs, control, body_response(step))

    def output(self, step: Step, name: str, step_local: str | None) -> Output:
        """The local of an output: its name, else prefixed by its step's local (``fetch_thing_2_class_``)."""
        base = snake(name)
        prefix = step_local or snake(step.step_id)
        local = self.names.claim(base if base not in self.names else f"{prefix}_{base}")
        predeclared = (step.step_id, name) in self.unset
        return Output(name, local, step.outputs[name], predeclared)

    def control(self, step: Step) -> Control:
        assert self.flow is not None
        wf = self.workflow
        forward = self.shape is Shape.FORWARD
        position = wf.steps.index(step)
        following = wf.steps[position + 1 : position + 2]
        next_step = following[0].step_id if following else None
        retries = sum(1 for action in applicable(step.on_failure) if action.kind == "retry")
        on_success = tuple(
            self.action(step, a, retries, next_step, position + 1)
            for a in applicable(step.on_success)
        )
        on_failure = tuple(
            self.action(step, a, retries, next_step, position) for a in applicable(step.on_failure)
        )
        always_acts = always_applies(step.on_success)
        if next_step is None:
            # an ``end`` last among the success actions of the last step does what the step does anyway: leave
            # the loop, or return every output
            while on_success and isinstance(on_success[-1].kind, End):
                on_success = on_success[:-1]
                always_acts = False
        if forward:
            next_step = None  # straight line: the next step follows
        records = (
            self.shape is not Shape.FORWARD
            and step.step_id not in self.flow.set_at_exit
            and any((step.step_id, name) in self.used for name in step.outputs)
        )
        return Control(
            on_success=on_success, on_failure=on_failure, next_step=next_step, always_acts=always_acts,
            failure_always=always_applies(step.on_failure), resumes=step.step_id in self.flow.resumes,
            records_success=records,
            runs_again=step.step_id in self.flow.may_set_before.get(step.step_id, set()),
            own_loop=forward and any(isinstance(a.kind, Retry) for a in on_failure),
        )  # fmt: skip

    def action(
        self, step: Step, action: IrAction, retries: int, next_step: str | None, done: int
    ) -> Action:
        """``done``: how many steps (in order) have succeeded when the action runs; a straight line with early
        exits returns then, its outputs that read a later step None."""
        kind: ActionKind
        unset = self.unset_at(done) if self.shape is Shape.FORWARD else None
        if action.kind == "retry":
            stem = snake(step.step_id)
            base = f"{stem}_retries" if retries == 1 else f"{stem}_{snake(action.name)}_retries"
            kind = Retry(action.limit, float(action.retry_after or 0.0), self.names.claim(base),
                         action.step_id, action.call)  # fmt: skip
        elif action.kind == "goto" and action.step_id is not None:
            again = self.shape is Shape.STEP_LOOP and action.step_id == step.step_id
            follows = self.shape is Shape.FORWARD and action.step_id == next_step
            kind = Goto(action.step_id, again, follows)
        elif action.kind == "goto":
            assert action.call is not None, "bound before the plan"
            kind = GotoWorkflow(action.call, unset)
        else:
            kind = End(unset)
        return Action(action.name, kind, tuple(action.criteria), action.inherited)

    def unset_at(self, done: int) -> frozenset[str]:
        """The workflow outputs that read a step after the first ``done`` ones."""
        order = {step.step_id: index for index, step in enumerate(self.workflow.steps)}
        return frozenset(
            name
            for name, steps in output_steps(self.workflow).items()
            if any(order.get(s, done) >= done for s in steps)
        )


def body_response(step: Step) -> Response | None:
    """The response whose body a step's outputs read (typed by its schema), ``None`` when it is not known:

    * the criteria require one status (``$statusCode == 404``, alone or in a conjunction): its response, else
      its range's (``4XX``), else ``default`` -- the one the client parses that status with;
    * the criteria accept statuses in another way (``||``, ``!``, ``!=``): not known (the value is read as
      received);
    * otherwise (no status in the criteria, or ranges with ``&&``): the first documented success with a schema.
    """
    op = step.operation
    if op is None:
        return None
    conditions = [c.condition for c in step.success_criteria if c.condition is not None]
    status = next((s for s in map(_status_in, conditions) if s is not None), None)
    if status is not None:
        return (
            next((r for r in op.responses if r.status == status), None)
            or next((r for r in op.responses if r.status.upper() == status[0] + "XX"), None)
            or next((r for r in op.responses if r.status.lower() == "default"), None)
        )
    if any(_status_loosely(condition) for condition in conditions):
        return None
    success = [r for r in op.responses if r.status[:1] in "23"]
    return next((r for r in success if r.schema is not None), None)


def _status_loosely(condition: Any, loose: bool = False) -> bool:
    """Whether ``$statusCode`` is compared under ``||`` or ``!``, or with ``!=``: several statuses may pass."""
    if isinstance(condition, ex.Or | ex.Not):
        parts = (
            (condition.left, condition.right)
            if isinstance(condition, ex.Or)
            else (condition.operand,)
        )
        return any(_status_loosely(part, True) for part in parts)
    if isinstance(condition, ex.And):
        return _status_loosely(condition.left, loose) or _status_loosely(condition.right, loose)
    if isinstance(condition, ex.Compare):
        on_status = any(
            isinstance(side, ex.StatusCode) for side in (condition.left, condition.right)
        )
        return on_status and (loose or condition.op == "!=")
    return False


def _status_in(condition: Any) -> str | None:
    """The status a condition requires: ``$statusCode == 200`` (alone or in a conjunction)."""
    if isinstance(condition, ex.Compare) and condition.op == "==":
        sides = (condition.left, condition.right)
        if any(isinstance(s, ex.StatusCode) for s in sides):
            for side in sides:
                if isinstance(side, ex.Literal) and isinstance(side.value, int):
                    return str(side.value)
    if isinstance(condition, ex.And):
        return _status_in(condition.left) or _status_in(condition.right)
    return None


# -- what a workflow reads ------------------------------------------------------------------------------
def output_steps(workflow: Workflow) -> dict[str, tuple[str, ...]]:
    """For each workflow output, the steps (ids) whose outputs it reads, directly or through another output."""

    def steps_of(expr: Any) -> list[str]:
        found: list[str] = []
        for ref in ex.expressions_in(expr) if not isinstance(expr, str) else ():
            if isinstance(ref, ex.OutputRef) and ref.name in workflow.outputs:  # acyclic: checked
                found += [s for s in steps_of(workflow.outputs[ref.name]) if s not in found]
            if isinstance(ref, ex.StepRef) and ref.step_id not in found:
                found.append(ref.step_id)
        return found

    return {name: tuple(steps_of(expr)) for name, expr in workflow.outputs.items()}


def unset_outputs(workflow: Workflow, flow: FlowPlan | None) -> dict[str, tuple[str, ...]]:
    """For each workflow output, the steps (ids) it reads, directly or through another output, whose success
    does not dominate the end of the workflow: their outputs may be unset then."""
    if flow is None:
        return {}
    return {
        name: tuple(s for s in steps if s not in flow.set_at_exit)
        for name, steps in output_steps(workflow).items()
    }


def workflow_runs(
    workflow: Workflow, flow: FlowPlan | None
) -> dict[tuple[ex.WorkflowRef, int | None, bool], Resolution]:
    """What every ``$workflows.<id>...`` of ``workflow`` reads at every place it may be compiled: in each step
    (a value a step passed to a workflow it ran is compiled where that run is read), before the step ran (its
    request, criteria) and once it succeeded (its outputs, success actions); in the workflow's outputs."""
    refs = set(workflow_refs(workflow))
    positions: list[int | None] = [None, *range(len(workflow.steps))]
    return {
        (ref, position, after): resolve_workflow_ref(workflow, ref, position, flow, after=after)
        for ref in sorted(refs, key=repr)
        for position in positions
        for after in (False, True)
    }


def referenced_step_outputs(workflow: Workflow) -> set[tuple[str, str]]:
    """(step id, output) pairs some step, criterion or workflow output reads."""
    found: set[tuple[str, str]] = set()
    for value in _values(workflow):
        for leaf in _leaves(value):
            for ref in ex.expressions_in(leaf) if not isinstance(leaf, str) else ():
                if isinstance(ref, ex.StepRef):
                    found.add((ref.step_id, ref.name))
    return found


def workflow_refs(workflow: Workflow) -> list[ex.WorkflowRef]:
    """Every ``$workflows.<id>...`` expression of ``workflow``."""
    return [
        ref
        for value in _values(workflow)
        for leaf in _leaves(value)
        for ref in (ex.expressions_in(leaf) if not isinstance(leaf, str) else ())
        if isinstance(ref, ex.WorkflowRef)
    ]


def _values(workflow: Workflow) -> list[Any]:
    values: list[Any] = [workflow.outputs]
    for step in workflow.steps:
        values += _step_values(step, step.success_criteria)
        values += _action_values(step.on_success) + _action_values(step.on_failure)
    return values


def _action_values(actions: list[IrAction]) -> list[Any]:
    """What ``actions`` read: their criteria's conditions and contexts, and the values of the parameters
    (Arazzo 1.1) they pass to the workflow they run."""
    values: list[Any] = [x for a in actions for c in a.criteria for x in (c.condition, c.context)]
    for action in actions:
        if action.call is not None and action.call.inputs:
            values += [value for value, _, _ in action.call.inputs.values()]
    return values


def _step_values(step: Step, criteria: list[Any]) -> list[Any]:
    values: list[Any] = [p.value for p in step.parameters]
    values += [v for v, _, _ in step.call_inputs.values()]
    values += [step.body, *(value for _, value in step.body_replacements), *step.outputs.values()]
    values += [x for c in criteria for x in (c.condition, c.context)]
    return values


def possibly_unset_reads(workflow: Workflow, flow: FlowPlan) -> set[tuple[str, str]]:
    """(step id, output) pairs some step reads where the output's step may not have succeeded (the
    ``possibly-unset-step-output`` warning): their locals are declared ``T | None = None`` before the loop."""
    found: set[tuple[str, str]] = set()
    for step in workflow.steps:
        sound = flow.set_before.get(step.step_id, set())
        values = _step_values(step, step.success_criteria) + _action_values(step.on_failure)
        own_values = _action_values(step.on_success)
        for value, own_ok in [(v, False) for v in values] + [(v, True) for v in own_values]:
            for leaf in _leaves(value):
                for ref in ex.expressions_in(leaf) if not isinstance(leaf, str) else ():
                    if not isinstance(ref, ex.StepRef) or ref.step_id in sound:
                        continue
                    if own_ok and ref.step_id == step.step_id:
                        continue
                    found.add((ref.step_id, ref.name))
    return found


def _leaves(value: Any) -> Any:
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif value is not None and not isinstance(value, bool | int | float):
        yield value
