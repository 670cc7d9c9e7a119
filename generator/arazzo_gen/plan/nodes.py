"""The nodes of the step plan: frozen, fully resolved, one per workflow, step and action (sum types).

Criteria stay expression trees (:class:`~arazzo_gen.ir.model.Criterion`, whose conditions are
:mod:`arazzo_gen.ir.expressions` nodes): Python text is made from them only by emit.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from ..ir.expressions import WorkflowRef
from ..ir.flow import FlowPlan
from ..ir.model import Criterion, Response, Step, Workflow, WorkflowCall
from ..ir.refs import Resolution
from ..naming import NameResolver


class Shape(enum.Enum):
    """The code shape of a workflow function, chosen from its flow graph (see :mod:`.shape`)."""

    STRAIGHT = "straight"  # no actions: one block per step, in order
    FORWARD = "forward"  # straight line, ``end`` returns early, a step that retries itself loops on its own
    STEP_LOOP = (
        "step-loop"  # one step that runs again on its own success or failure: a ``while`` loop
    )
    STATE_MACHINE = "state-machine"  # gotos or retries across steps: a loop over step labels


# -- actions ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class End:
    """Leave the workflow: its outputs are returned."""

    # straight line with early exits: the workflow outputs that are None at this ``return`` (they read steps
    # that have not succeeded); None in the loop shapes, where ``end`` leaves the loop
    unset: frozenset[str] | None = None


@dataclass(frozen=True)
class Goto:
    step_id: str
    again: bool  # a loop over one step: run it again (``continue``)
    # straight line with early exits: the step right after, where control goes anyway
    follows: bool = False


@dataclass(frozen=True)
class GotoWorkflow:
    call: WorkflowCall
    unset: frozenset[str] | None = None  # as End's: this workflow returns once that one has run


@dataclass(frozen=True)
class Retry:
    limit: int
    after: float
    counter: str  # the local counting this action's retries
    step_id: str | None  # run this step first (a retry's ``stepId``)
    call: WorkflowCall | None  # run this workflow first (a retry's ``workflowId``)


ActionKind = End | Goto | GotoWorkflow | Retry


@dataclass(frozen=True)
class Action:
    name: str
    kind: ActionKind
    criteria: tuple[Criterion, ...]  # all must hold; none: always
    inherited: bool  # a workflow-level action


# -- steps -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Output:
    name: str
    local: str  # the local that holds it after the step succeeds
    value: Any  # an expression node, template or literal
    predeclared: bool  # read where its step may not have run: ``local: T | None = None`` first


@dataclass(frozen=True)
class Control:
    """What happens after a step (loop shapes; straight line with early exits: the steps with actions)."""

    on_success: tuple[Action, ...]
    on_failure: tuple[Action, ...]
    next_step: str | None  # after success when no action applies; None: leave the loop
    always_acts: bool  # a success action without criteria: no default next step
    failure_always: bool  # a failure action without criteria (not a retry): no StepFailed
    resumes: bool  # named by a retry's stepId: on success, back to the retried step
    records_success: bool  # outputs the workflow returns may be unset: ``succeeded`` notes the step
    runs_again: bool  # a path leads from its success back to it: its retry counters restart then
    own_loop: bool  # straight line with early exits: it retries itself, in a ``while`` of its own


@dataclass(frozen=True)
class OperationStep:
    step: Step
    local: str | None  # the local holding the response (None: nothing reads it)
    outputs: tuple[Output, ...]  # the outputs something reads, in document order
    control: Control | None
    body: Response | None  # the response whose body the outputs read (typed by its schema)


@dataclass(frozen=True)
class WorkflowStep:
    step: Step
    call: WorkflowCall
    local: str | None  # the local holding the callee's outputs
    outputs: tuple[Output, ...]
    control: Control | None
    catches: bool  # failure actions apply when the callee raises StepFailed


StepNode = OperationStep | WorkflowStep


@dataclass(frozen=True)
class LoopLocals:
    """The locals of the loop shapes (allocated like every other name)."""

    # the steps started (None: straight line with early exits, whose loops are bounded by retry limits)
    steps_run: str | None
    unmet: str | None  # None: no step judges its criteria before acting on failure
    step: str | None  # the label (state machine only)
    resume: str | None
    succeeded: str | None
    failure: str | None  # the StepFailed of a workflow a step ran
    timed_out: str | None = (
        None  # the StepFailed of a step whose request took longer than its ``timeout``
    )


@dataclass(frozen=True)
class WorkflowPlan:
    workflow: Workflow
    function: str  # the function's name (package-wide: workflows/__init__.py re-exports it)
    async_function: str  # its async twin
    shape: Shape
    params: dict[str, str]  # input name -> parameter name
    steps: tuple[StepNode, ...]
    loop: LoopLocals | None
    run: str  # the RunDeadline local
    flow: FlowPlan | None  # the step graph's facts (loop shapes)
    used_outputs: frozenset[tuple[str, str]]  # (step id, output) something reads
    unset_reads: frozenset[tuple[str, str]]  # read where their step may not have succeeded
    names: NameResolver  # the function scope (emit claims nothing else from it)
    # what each ``$workflows.<id>...`` reads where it is written: (ref, step index or None for the workflow's
    # outputs, whether read once that step succeeded) -> the run of <id> (or the input) it reads
    workflow_runs: dict[tuple[WorkflowRef, int | None, bool], Resolution]
    # workflow output -> the steps it reads whose outputs may be unset when the workflow ends (None then)
    unset_outputs: dict[str, tuple[str, ...]]
    # straight line with early exits: the workflow outputs some early ``return`` gives as None
    optional_outputs: frozenset[str]
    # the parameters taking the sleep function (a retry action waits, here or in a callee) and bounding the
    # steps one run starts (a goto may loop, here or in a callee)
    sleep: str | None
    max_steps: str | None
    sources: dict[str, str]  # source name -> the parameter taking its client
    dependencies: tuple[str, ...]  # the parameter taking each dependsOn entry's outputs, in order
    # AsyncAPI receive steps: step id -> the local holding the subscription made before the first step
    inboxes: dict[str, str] = field(default_factory=dict)

    def dependency(self, call: WorkflowCall) -> str:
        """The parameter taking the outputs of dependsOn entry ``call``."""
        return self.dependencies[
            next(i for i, c in enumerate(self.workflow.depends_on) if c is call)
        ]

    def step(self, step_id: str) -> StepNode:
        return next(node for node in self.steps if node.step.step_id == step_id)
