"""The code shape of a workflow function, chosen from its flow graph.

* no success or failure actions: **straight line**, one block per step in document order;
* every action goes forward only: ``end``, ``goto`` a workflow (which then ends this one), ``goto`` the step
  right after (a success action), ``retry`` without ``stepId``/``workflowId`` (a failure action): **straight
  line with early exits**, an ``end`` is a ``return`` and a step that retries itself loops on its own;
* one step whose actions run it again (``goto`` itself) or end the workflow: **a loop over one step** (a
  pagination or polling loop) -- a ``while`` without labels;
* anything else (a ``goto`` back or across steps, a ``retry`` that runs another step or workflow first, a
  failure action that goes on to another step): **the label state machine**, a ``while`` over step labels.
"""

from __future__ import annotations

from ..ir.flow import applicable
from ..ir.model import Action, Workflow
from .nodes import Shape


def choose_shape(workflow: Workflow) -> Shape:
    """Decided from the steps' actions (workflow-level ones are inherited by every step); the IR's
    ``Workflow.controlled`` (whether the document writes any action) is not read here."""
    steps = workflow.steps
    if not any(applicable(s.on_success) or applicable(s.on_failure) for s in steps):
        return Shape.STRAIGHT
    following = [s.step_id for s in steps[1:]] + [None]
    if all(
        all(_forward(action, after) for action in applicable(step.on_success))
        and all(_leaves(action) or local_retry(action) for action in applicable(step.on_failure))
        for step, after in zip(steps, following, strict=True)
    ):
        return Shape.FORWARD
    if len(steps) == 1:
        step = steps[0]
        actions = applicable(step.on_success) + applicable(step.on_failure)
        if all(_stays(action, step.step_id) for action in actions):
            return Shape.STEP_LOOP
    return Shape.STATE_MACHINE


def local_retry(action: Action) -> bool:
    """A ``retry`` that runs only its own step again."""
    return action.kind == "retry" and action.step_id is None and action.workflow_id is None


def follows(action: Action, next_step: str | None) -> bool:
    """A ``goto`` to the step right after the one that takes it (what happens without it, too)."""
    return action.kind == "goto" and next_step is not None and action.step_id == next_step


def _leaves(action: Action) -> bool:
    """``end``, or ``goto`` a workflow (this one ends when that one does)."""
    return action.kind == "end" or (action.kind == "goto" and action.step_id is None)


def _forward(action: Action, next_step: str | None) -> bool:
    return _leaves(action) or follows(action, next_step)


def _stays(action: Action, step_id: str) -> bool:
    """Whether ``action`` ends the workflow or runs ``step_id`` again (and nothing else)."""
    if action.kind == "end":
        return True
    if action.kind == "goto":
        return action.step_id == step_id and action.workflow_id is None
    return local_retry(action)
