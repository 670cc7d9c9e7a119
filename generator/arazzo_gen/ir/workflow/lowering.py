"""Lower Arazzo documents into :class:`~arazzo_gen.ir.model.ArazzoDocument` objects.

Structural problems (missing fields, unparsable expressions, unknown operations) are reported here with
the location of the offending value; semantic cross-checks live in :mod:`arazzo_gen.check`.
:class:`WorkflowLowering` walks the document's workflows and steps; its parts lower what a step holds:
values (:mod:`.values`), targets (:mod:`.targets`), parameters (:mod:`.parameters`), request bodies
(:mod:`.payloads`), criteria (:mod:`.criteria`), actions (:mod:`.actions`), inputs and outputs
(:mod:`.interface`).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from ...diagnostics import Diagnostics, Loc
from ...read import YList, YMap
from ...resolve import Workspace
from .. import expressions as ex
from ..model import Api, ArazzoDocument, Criterion, SourceBinding, Step, Workflow
from ..versions import V1_1
from .actions import ActionLowering
from .context import LoweringContext, text_of
from .criteria import CriteriaLowering
from .interface import InterfaceLowering
from .order import execution_order
from .parameters import ParameterLowering
from .payloads import PayloadLowering
from .targets import TargetLowering
from .values import ValueLowering

_ID_RE = re.compile(r"[A-Za-z0-9_\-]+")  # the form the specification gives stepIds and workflowIds


class WorkflowLowering:
    """One Arazzo document: its workflows, each with its steps, lowered by the parts."""

    def __init__(
        self,
        workspace: Workspace,
        diagnostics: Diagnostics,
        path: Path,
        root: YMap,
        sources: dict[str, Api],
        module: str,
        arazzo_sources: dict[str, Path] | None = None,
    ) -> None:
        self.ctx = ctx = LoweringContext(
            workspace, diagnostics, path, root, sources, arazzo_sources
        )
        self.diagnostics = diagnostics
        self.module = module
        self.values = ValueLowering(ctx)
        self.targets = TargetLowering(ctx)
        self.parameters = ParameterLowering(ctx, self.values)
        self.payloads = PayloadLowering(ctx, self.values)
        self.criteria = CriteriaLowering(ctx, self.values)
        self.actions = ActionLowering(ctx, self.criteria, self.targets, self.parameters)
        self.interface = InterfaceLowering(ctx, self.values)

    def lower(self) -> ArazzoDocument:
        # Arazzo 1.1 has the expression '$self' (folded into the document's $self: .values)
        token = ex.SELF_ROOT.set(self.ctx.version == V1_1)
        try:
            return self._lower()
        finally:
            ex.SELF_ROOT.reset(token)

    def _lower(self) -> ArazzoDocument:
        raw_info = self.ctx.root.get("info")
        info: dict[str, Any] = raw_info if isinstance(raw_info, dict) else {}
        workflows = []
        seen: dict[str, Loc] = {}
        raw_workflows = self.ctx.root.get("workflows")
        if not isinstance(raw_workflows, YList) or not raw_workflows:
            self.diagnostics.error(
                "missing-field",
                "an Arazzo document needs a non-empty 'workflows' list",
                self.ctx.root.loc,
            )
        for raw in (
            self.ctx.mappings(raw_workflows, "a workflow")
            if isinstance(raw_workflows, YList)
            else []
        ):
            workflow_id = raw.get("workflowId")
            if not isinstance(workflow_id, str) or not workflow_id:
                self.diagnostics.error("missing-field", "workflow has no 'workflowId'", raw.loc)
                continue
            if workflow_id in seen:
                self.diagnostics.error(
                    "duplicate-workflow-id",
                    f"workflowId '{workflow_id}' is already used at line {seen[workflow_id].line}",
                    raw.at("workflowId"),
                )
                continue
            seen[workflow_id] = raw.at("workflowId")
            workflows.append(self._workflow(raw, workflow_id))
        return ArazzoDocument(
            path=self.ctx.path,
            module=self.module,
            title=text_of(info.get("title")),
            summary=text_of(info.get("summary")),
            description=text_of(info.get("description")),
            version=str(info.get("version", "")),
            workflows=workflows,
        )

    def _workflow(self, raw: YMap, workflow_id: str) -> Workflow:
        controlled = _has_actions(raw)
        inputs = self.interface.inputs(raw)
        wf_params = self.ctx.list_of(raw, "parameters")
        self.parameters.check_duplicates(wf_params)
        steps: list[Step] = []
        step_ids: dict[str, Loc] = {}
        self.ctx.spaced_step_ids = self._nonconforming_step_ids(raw)
        self.parameters.reset()
        for raw_step in self.ctx.mappings(self.ctx.list_of(raw, "steps"), "a step"):
            step_id = raw_step.get("stepId")
            if not isinstance(step_id, str) or not step_id:
                self.diagnostics.error("missing-field", "step has no 'stepId'", raw_step.loc)
                continue
            if step_id in step_ids:
                self.diagnostics.error(
                    "duplicate-step-id",
                    f"stepId '{step_id}' is already used at line {step_ids[step_id].line}",
                    raw_step.at("stepId"),
                )
                continue
            step_ids[step_id] = raw_step.at("stepId")
            steps.append(self._step(raw_step, step_id, wf_params))
        self.parameters.report_unplaced(raw)
        if self.ctx.version == V1_1 and not controlled:
            # 1.1: steps run in an order that satisfies dependsOn and output references
            raw_steps = [item for item in self.ctx.list_of(raw, "steps") if isinstance(item, YMap)]
            steps = execution_order(steps, raw_steps, self.diagnostics)
        self._own_messages(steps)
        if not steps and isinstance(
            raw.get("steps"), YList | None
        ):  # a wrong type was reported already
            self.diagnostics.error(
                "missing-field", f"workflow '{workflow_id}' has no steps", raw.loc
            )
        used_sources = sorted(
            {s.source for s in steps if s.source}, key=list(self.ctx.sources).index
        )
        bindings = [SourceBinding(name, self.ctx.sources[name]) for name in used_sources]
        outputs, output_locs = self.interface.outputs(raw)
        success_actions = self.actions.lower(
            raw.get("successActions"), "successActions", raw.at("successActions")
        )
        failure_actions = self.actions.lower(
            raw.get("failureActions"), "failureActions", raw.at("failureActions")
        )
        self.actions.bind(steps, success_actions, failure_actions)
        _resolve_dotted_outputs(steps, outputs)
        workflow = Workflow(
            workflow_id=workflow_id,
            summary=text_of(raw.get("summary")),
            description=text_of(raw.get("description")),
            inputs=inputs,
            steps=steps,
            outputs=outputs,
            output_locs=output_locs,
            sources=bindings,
            loc=raw.at("workflowId"),
            success_actions=success_actions,
            failure_actions=failure_actions,
            depends_on=self.targets.depends_on(raw),
            document=self.ctx.path,
            controlled=controlled,
            arazzo=self.ctx.version,
        )
        return workflow

    def _own_messages(self, steps: list[Step]) -> None:
        """A receive step on a channel a send step of the same workflow sends to may take the workflow's own
        message (a warning: correlation does not tell them apart when the reply carries the same id)."""
        senders = {
            id(step.operation.channel): step.step_id
            for step in steps
            if step.action == "send" and step.operation is not None
        }
        for step in steps:
            if step.action == "receive" and step.operation is not None:
                sender = senders.get(id(step.operation.channel))
                if sender is not None and step.operation.channel is not None:
                    self.diagnostics.warning(
                        "receive-own-channel",
                        f"step '{step.step_id}' receives on channel '{step.operation.channel.key}', where step "
                        f"'{sender}' of this workflow sends: it may take that message, the workflow's own",
                        step.loc,
                    )

    def _nonconforming_step_ids(self, raw: YMap) -> list[str]:
        """The stepIds that do not match ``[A-Za-z0-9_\\-]+`` (a warning at each): a whole-value expression
        can still name them, a condition cannot."""
        found = []
        raw_steps = raw.get("steps")
        for item in raw_steps if isinstance(raw_steps, YList) else []:
            step_id = item.get("stepId") if isinstance(item, YMap) else None
            if isinstance(step_id, str) and step_id and not _ID_RE.fullmatch(step_id):
                self.diagnostics.warning(
                    "invalid-step-id",
                    f"stepId '{step_id}' does not match [A-Za-z0-9_\\-]+, the form the Arazzo specification "
                    "recommends; a condition cannot name it",
                    item.at("stepId"),
                )
                found.append(step_id)
        return sorted(found, key=len, reverse=True)

    def _step(self, raw: YMap, step_id: str, wf_params: YList) -> Step:
        self.parameters.check_duplicates(self.ctx.list_of(raw, "parameters"))
        call = self.targets.step_call(raw)
        source, api, operation = (
            self.targets.target(raw)
            if call is None and "workflowId" not in raw
            else (None, None, None)
        )
        parameters, broken = (
            self.parameters.step_parameters(wf_params, raw, operation)
            if "workflowId" not in raw
            else ([], set())
        )
        body, content_type, has_body, late = self.payloads.request_body(raw, operation)
        request_body = raw.get("requestBody")
        if (
            operation is not None
            and operation.channel is None  # a receive step's body is an error (_message_step)
            and has_body
            and (operation.body is None or operation.body.undocumented)
        ):
            self.payloads.undocumented_body(
                operation, content_type, step_id, raw.key_at("requestBody")
            )
        body_loc = request_body.at("payload") if isinstance(request_body, YMap) else None
        outputs, output_locs = self.interface.outputs(raw)
        call_inputs, call_broken = (
            self.parameters.call_inputs(wf_params, raw) if call is not None else ({}, set())
        )
        action, correlation = self._message_step(raw, api, operation, has_body, parameters)
        return Step(
            step_id=step_id,
            description=text_of(raw.get("description")),
            source=source,
            api=api,
            operation=operation,
            parameters=parameters,
            body=body,
            body_content_type=content_type,
            body_loc=body_loc,
            has_body=has_body,
            success_criteria=self.criteria.lower(
                raw.get("successCriteria"), raw.at("successCriteria")
            ),
            outputs=outputs,
            output_locs=output_locs,
            on_success=self.actions.lower(
                raw.get("onSuccess"), "successActions", raw.at("onSuccess")
            ),
            on_failure=self.actions.lower(
                raw.get("onFailure"), "failureActions", raw.at("onFailure")
            ),
            loc=raw.at("stepId"),
            body_replacements=late,
            depends_on=_step_depends_on(raw) if self.ctx.version == V1_1 else [],
            call=call,
            timeout=_timeout(raw) if self.ctx.version == V1_1 else None,
            call_inputs=call_inputs,
            body_locs=_leaf_locs(request_body.get("payload"), ())
            if isinstance(request_body, YMap)
            else {},
            broken_parameters=broken | call_broken,
            action=action,
            correlation=correlation,
            correlation_loc=raw.at("correlationId") if "correlationId" in raw else None,
        )

    def _message_step(
        self,
        raw: YMap,
        api: Api | None,
        operation: Any,
        has_body: bool,
        parameters: list[Any],
    ) -> tuple[str | None, Any]:
        """An AsyncAPI step's ``action`` and (a receive's) ``correlationId`` value, checked: a receive sends no
        payload and no parameters; parameters of a message are headers."""
        if api is None or api.kind != "asyncapi" or operation is None:
            return None, None
        action = raw.get("action")
        if action not in ("send", "receive"):
            return None, None
        if action == "receive":
            if has_body:
                self.diagnostics.error(
                    "invalid-step",
                    "a receive step has no 'requestBody': it receives a message, it sends none",
                    raw.key_at("requestBody"),
                )
            for param in parameters:
                self.diagnostics.error(
                    "invalid-parameter",
                    f"parameter '{param.name}' of a receive step: a receive step sends nothing; "
                    "match the message with 'correlationId' or 'successCriteria'",
                    param.name_loc or param.loc,
                )
        for param in parameters if action == "send" else []:
            if param.location != "header":
                self.diagnostics.error(
                    "invalid-parameter",
                    f"parameter '{param.name}' is 'in: {param.location}'; a message has only headers "
                    "('in: header')",
                    param.name_loc or param.loc,
                )
        correlation = None
        if "correlationId" in raw:
            correlation = self.values.value(raw["correlationId"], raw.at("correlationId"))
            if action == "receive" and not operation.channel.correlations:
                self.diagnostics.warning(
                    "correlation-id-unused",
                    f"channel '{operation.channel.key}' declares no correlationId location for its "
                    "messages, so 'correlationId' cannot be matched; every message is taken",
                    raw.at("correlationId"),
                )
        return action, correlation


def _timeout(raw: YMap) -> int | None:
    """A step's ``timeout`` in milliseconds (Arazzo 1.1; anything but an integer is ``invalid-type``)."""
    value = raw.get("timeout")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _leaf_locs(node: Any, path: tuple[str, ...]) -> dict[tuple[str, ...], Loc]:
    """The location of every value inside a positioned YAML/JSON tree, by its JSON Pointer tokens."""
    found: dict[tuple[str, ...], Loc] = {}
    items = (
        node.items()
        if isinstance(node, YMap)
        else enumerate(node)
        if isinstance(node, YList)
        else ()
    )
    for key, value in items:
        where = path + (str(key),)
        found[where] = node.at(key)
        found.update(_leaf_locs(value, where))
    return found


def _has_actions(raw: YMap) -> bool:
    """Whether a workflow has any success or failure action (it then compiles to a loop over step labels)."""
    if raw.get("successActions") or raw.get("failureActions"):
        return True
    steps = raw.get("steps")
    return isinstance(steps, list) and any(
        isinstance(step, dict) and (step.get("onSuccess") or step.get("onFailure"))
        for step in steps
    )


def _resolve_dotted_outputs(steps: list[Step], workflow_outputs: dict[str, Any]) -> None:
    """Output names may contain '.' (``^[a-zA-Z0-9.\\-_]+$``): ``$steps.s.outputs.a.b`` names the output
    ``a.b`` when step ``s`` has one (the parser read output ``a``, path ``b``).  Rewrites every such
    reference in place, the longest output name winning."""
    names = {step.step_id: set(step.outputs) for step in steps}

    def fix(node: Any) -> Any:
        if isinstance(node, ex.StepRef):
            known = names.get(node.step_id, set())
            if node.name not in known and node.path:
                for cut in range(len(node.path), 0, -1):
                    candidate = ".".join((node.name, *node.path[:cut]))
                    if candidate in known:
                        return ex.StepRef(node.step_id, candidate, node.path[cut:])
            return node
        if isinstance(node, ex.Template):
            return ex.Template(tuple(fix(part) for part in node.parts))
        if isinstance(node, ex.Compare):
            return ex.Compare(node.op, fix(node.left), fix(node.right))
        if isinstance(node, ex.And | ex.Or):
            return type(node)(fix(node.left), fix(node.right))
        if isinstance(node, ex.Not | ex.Truthy):
            return type(node)(fix(node.operand))
        if isinstance(node, ex.Select):
            return dataclasses.replace(node, context=fix(node.context))
        if isinstance(node, dict):
            return {key: fix(value) for key, value in node.items()}
        if isinstance(node, list):
            return [fix(value) for value in node]
        return node

    def fix_criteria(criteria: list[Criterion]) -> None:
        for criterion in criteria:
            criterion.condition = fix(criterion.condition)
            criterion.context = fix(criterion.context)

    for step in steps:
        for param in step.parameters:
            param.value = fix(param.value)
        step.body = fix(step.body)
        step.body_replacements = [(target, fix(value)) for target, value in step.body_replacements]
        step.outputs = {name: fix(value) for name, value in step.outputs.items()}
        fix_criteria(step.success_criteria)
        for action in step.on_success + step.on_failure:
            fix_criteria(action.criteria)
    for name, value in workflow_outputs.items():
        workflow_outputs[name] = fix(value)


__all__ = ["WorkflowLowering"]


def _step_depends_on(raw: YMap) -> list[tuple[str, Loc]]:
    """The stepIds of the same workflow a step's ``dependsOn`` names (Arazzo 1.1), with their locations; other
    entries are checked and refused in :mod:`..versions`."""
    depends = raw.get("dependsOn")
    if not isinstance(depends, YList):
        return []
    return [
        (entry, depends.at(index))
        for index, entry in enumerate(depends)
        if isinstance(entry, str) and not entry.startswith("$")
    ]
