"""Success and failure actions: end, goto and retry, their targets, and the workflow-level ones each step
inherits."""

from __future__ import annotations

import difflib
from dataclasses import replace
from typing import Any

from ...diagnostics import Loc
from ...read import YList, YMap
from ..model import Action, Step
from ..versions import V1_1
from .context import LoweringContext, Part
from .criteria import CriteriaLowering
from .parameters import ParameterLowering
from .targets import TargetLowering


class ActionLowering(Part):
    """The actions of a workflow and of its steps."""

    def __init__(
        self,
        ctx: LoweringContext,
        criteria: CriteriaLowering,
        targets: TargetLowering,
        parameters: ParameterLowering,
    ) -> None:
        super().__init__(ctx)
        self.criteria = criteria
        self.targets = targets
        self.parameters = parameters

    def bind(self, steps: list[Step], success: list[Action], failure: list[Action]) -> None:
        """Give every step the workflow-level actions it does not override (by name), after its own; check
        that goto/retry step targets exist."""
        ids = [step.step_id for step in steps]
        for action in success + failure:
            self._check_step_target(action, ids)
        for step in steps:
            for action in step.on_success + step.on_failure:
                self._check_step_target(action, ids)
            own_success = {a.name for a in step.on_success}
            own_failure = {a.name for a in step.on_failure}
            step.on_success = step.on_success + [
                _inherit(a) for a in success if a.name not in own_success
            ]
            step.on_failure = step.on_failure + [
                _inherit(a) for a in failure if a.name not in own_failure
            ]

    def _check_step_target(self, action: Action, ids: list[str]) -> None:
        if action.step_id is not None and action.step_id not in ids:
            hint = difflib.get_close_matches(action.step_id, ids, n=1)
            self.diagnostics.error(
                "unknown-step",
                f"{action.kind} action '{action.name}' names step '{action.step_id}', which is not a step of "
                "this workflow" + (f"; did you mean '{hint[0]}'?" if hint else ""),
                action.step_loc or action.loc,
            )
            action.step_id = None
            action.kind = "invalid"

    def lower(self, raw: Any, kind: str, where: Loc | None = None) -> list[Action]:
        """A list of Success/Failure Action Objects or Reusable Objects (``$components.<kind>.<name>``)."""
        actions: list[Action] = []
        if raw is None:
            return actions
        if not isinstance(raw, YList):
            self.ctx.wrong_type("an action list", "a list", raw, where)
            return actions
        names: dict[str, Loc] = {}
        for index, item in enumerate(raw):
            loc = raw.at(index)
            if isinstance(item, YMap) and "reference" in item:
                item = self.ctx.component(item["reference"], item.at("reference"), kind)
                if item is None:
                    continue  # reported by _component
            if not isinstance(item, YMap):
                self.ctx.wrong_type("an action", "a mapping", item, loc)
                continue
            action = self._action(item, kind, loc)
            if action is None:
                continue
            if action.name in names:
                self.diagnostics.error(
                    "duplicate-action",
                    f"action name '{action.name}' is already used in this list at line {names[action.name].line}",
                    loc,
                )
                continue
            names[action.name] = loc
            actions.append(action)
        return actions

    def _action(self, item: YMap, kind: str, loc: Loc) -> Action | None:
        action_type = self._action_type(item, kind, loc)
        if action_type is None:
            return None
        name = item.get("name")
        if not isinstance(name, str) or not name:
            self.diagnostics.error(
                "missing-field", f"a {action_type} action needs a 'name'", item.loc
            )
            return None
        goes_to = self._goes_to(item, action_type, name)
        if goes_to is None or not self._retry_fields_fit(item, action_type):
            return None
        step_id, workflow_id = goes_to
        call = (
            self.targets.workflow_call(workflow_id, item.at("workflowId"))
            if workflow_id is not None
            else None
        )
        if workflow_id is not None and call is None:
            return None
        if call is not None and "parameters" in item and self.ctx.version == V1_1:
            call.inputs = self._inputs(item, workflow_id)
        elif "parameters" in item and self.ctx.version == V1_1:
            self.diagnostics.error(
                "invalid-action",
                f"{action_type} action '{name}' has 'parameters' but no workflowId; an action's parameters are "
                "the inputs of the workflow it runs (Arazzo 1.1)",
                item.key_at("parameters"),
            )
        retry_after, retry_limit = item.get("retryAfter"), item.get("retryLimit")
        return Action(
            name=name,
            kind=action_type,
            step_id=step_id,
            workflow_id=workflow_id,
            retry_after=float(retry_after) if retry_after is not None else None,
            retry_limit=retry_limit,
            criteria=self.criteria.lower(item.get("criteria"), item.at("criteria")),
            loc=item.loc,
            step_loc=item.at("stepId") if step_id is not None else None,
            call=call,
        )

    def _inputs(self, item: YMap, workflow_id: str | None) -> dict[str, tuple[Any, Loc, bool]]:
        """An Arazzo 1.1 action's ``parameters``: the inputs of the workflow it runs, by ``name``, as a step
        that runs a workflow passes them; "The `in` field MUST NOT be used", and no duplicates."""
        raw = self.ctx.list_of(item, "parameters")
        self.parameters.check_duplicates(raw)
        for index, entry in enumerate(raw):
            if isinstance(entry, YMap) and "in" in entry:
                self.diagnostics.error(
                    "invalid-parameter",
                    f"an action's parameter takes no 'in' (Arazzo 1.1: \"The `in` field MUST NOT be used\"); it "
                    f"is an input of workflow '{workflow_id}'",
                    entry.key_at("in"),
                )
            elif isinstance(entry, YMap) and "reference" in entry:
                table = self.ctx.components.get("parameters")
                name = str(entry["reference"]).removeprefix("$components.parameters.")
                found = table.get(name) if isinstance(table, dict) else None
                if isinstance(found, YMap) and "in" in found:
                    self.diagnostics.error(
                        "invalid-parameter",
                        f"the parameter '{entry['reference']}' has 'in', which an action's parameter does not take "
                        f'(Arazzo 1.1: "The `in` field MUST NOT be used"); it is an input of workflow '
                        f"'{workflow_id}'",
                        raw.at(index),
                    )
        inputs, _ = self.parameters.call_inputs(YList(item.loc), item)
        return inputs

    def _action_type(self, item: YMap, kind: str, loc: Loc) -> str | None:
        """The action's type: end or goto, and retry for a failure action (else a located error)."""
        allowed = ("end", "goto", "retry") if kind == "failureActions" else ("end", "goto")
        action_type = item.get("type")
        if action_type in allowed:
            return str(action_type)
        where = "a failure action" if kind == "failureActions" else "a success action"
        self.diagnostics.error(
            "invalid-action",
            f"{where} has type end, goto"
            + (" or retry" if kind == "failureActions" else "")
            + f", not '{action_type}'",
            item.at("type") if "type" in item else loc,
        )
        return None

    def _goes_to(
        self, item: YMap, action_type: str, name: str
    ) -> tuple[str | None, str | None] | None:
        """The action's stepId and workflowId: strings, exclusive, given to a goto (and a retry) only; else
        ``None`` after a located error."""
        step_id, workflow_id = item.get("stepId"), item.get("workflowId")
        for key, value in (("stepId", step_id), ("workflowId", workflow_id)):
            if value is not None and (not isinstance(value, str) or not value):
                self.ctx.wrong_type(f"'{key}'", "a non-empty string", value, item.at(key))
                return None
        if step_id is not None and workflow_id is not None:
            self.diagnostics.error(
                "invalid-action",
                f"action '{name}' has both stepId and workflowId; they are exclusive",
                item.loc,
            )
            return None
        if action_type == "goto" and step_id is None and workflow_id is None:
            self.diagnostics.error(
                "invalid-action", f"goto action '{name}' needs a stepId or a workflowId", item.loc
            )
            return None
        if action_type == "end" and (step_id is not None or workflow_id is not None):
            self.diagnostics.error(
                "invalid-action",
                f"end action '{name}' has a {'stepId' if step_id is not None else 'workflowId'}; only goto and "
                "retry actions go somewhere",
                item.at("stepId" if step_id is not None else "workflowId"),
            )
            return None
        return step_id, workflow_id

    def _retry_fields_fit(self, item: YMap, action_type: str) -> bool:
        """Whether ``retryAfter`` and ``retryLimit`` are absent, or (on a retry action) a non-negative number
        of seconds and a non-negative integer; else a located error."""
        if action_type != "retry":
            for key in ("retryAfter", "retryLimit"):
                if key in item:
                    self.diagnostics.error(
                        "invalid-action",
                        f"'{key}' only applies to retry actions, not to {action_type}",
                        item.at(key),
                    )
                    return False
        retry_after, retry_limit = item.get("retryAfter"), item.get("retryLimit")
        if retry_after is not None and (
            isinstance(retry_after, bool)
            or not isinstance(retry_after, int | float)
            or retry_after < 0
        ):
            self.ctx.wrong_type(
                "'retryAfter'",
                "a non-negative number of seconds",
                retry_after,
                item.at("retryAfter"),
            )
            return False
        if retry_limit is not None and (
            isinstance(retry_limit, bool) or not isinstance(retry_limit, int) or retry_limit < 0
        ):
            self.ctx.wrong_type(
                "'retryLimit'", "a non-negative integer", retry_limit, item.at("retryLimit")
            )
            return False
        return True


def _inherit(action: Action) -> Action:
    return replace(action, inherited=True)
