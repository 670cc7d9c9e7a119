"""The code shape of a workflow function, chosen from its flow graph.

* no success or failure actions: **straight line**, one block per step in document order;
* only ``retry`` actions without ``stepId``/``workflowId`` (a step runs again, then the next one): **straight
  line with local retry loops**, a ``while`` around each step that retries;
* one step whose actions only run it again (``goto`` itself, ``retry`` without ``stepId``/``workflowId``) or
  end the workflow: **a loop over one step** (a pagination or polling loop) -- a ``while`` without labels;
* anything else (a ``goto`` or ``retry`` that crosses steps, a workflow run by an action): **the label state
  machine**, a ``while`` over step labels.
"""

from __future__ import annotations

from ..ir.flow import applicable
from ..ir.model import Action, Workflow
from .nodes import Shape


def choose_shape(workflow: Workflow) -> Shape:
    """Decided from the steps' actions (workflow-level ones are inherited by every step); the IR's
    ``Workflow.controlled`` (whether the document writes any action) is not read here."""
    if not any(applicable(s.on_success) or applicable(s.on_failure) for s in workflow.steps):
        return Shape.STRAIGHT
    if len(workflow.steps) == 1:
        step = workflow.steps[0]
        actions = applicable(step.on_success) + applicable(step.on_failure)
        if all(_stays(action, step.step_id) for action in actions):
            return Shape.STEP_LOOP
    if all(
        not applicable(step.on_success)
        and all(_local_retry(action) for action in applicable(step.on_failure))
        for step in workflow.steps
    ):
        return Shape.LOCAL_RETRIES
    return Shape.STATE_MACHINE


def _local_retry(action: Action) -> bool:
    return action.kind == "retry" and action.step_id is None and action.workflow_id is None


def _stays(action: Action, step_id: str) -> bool:
    """Whether ``action`` ends the workflow or runs ``step_id`` again (and nothing else)."""
    if action.kind == "end":
        return True
    if action.kind == "goto":
        return action.step_id == step_id and action.workflow_id is None
    return _local_retry(action)
