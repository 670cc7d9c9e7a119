"""Lower Arazzo documents into :class:`~arazzo_gen.ir.model.ArazzoDocument` objects.

Structural problems (missing fields, unparsable expressions, unknown operations) are reported here with
the location of the offending value; semantic cross-checks live in :mod:`arazzo_gen.check`.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, get_args
from urllib.parse import unquote_plus

from ..diagnostics import Diagnostics, Loc, Severity, kind_of, source_line
from ..naming import WORKFLOW_FUNCTION_RESERVED, WORKFLOW_MODULE_RESERVED, Scope, snake
from ..read import YList, YMap, loc_of, to_plain
from ..read.positions import find_inside, inside, opaque
from ..resolve import Workspace
from . import expressions as ex
from .criteria import (
    DEFAULT_XPATH,
    JSONPATH_VERSIONS,
    XPATH_VERSIONS,
    check_jsonpath,
    check_regex,
    check_xpath,
    jsonpath_comparison,
    xpath_regex_call,
)
from .expressions import (
    ExpressionError,
    Nonstandard,
    parse_condition,
    parse_expression,
    parse_value,
    to_source,
)
from .model import (
    Action,
    Api,
    ArazzoDocument,
    Body,
    Criterion,
    Input,
    Operation,
    SourceBinding,
    Step,
    StepParameter,
    Value,
    Workflow,
    WorkflowCall,
)

_PARAM_LOCATIONS = ("path", "query", "header", "cookie")
_EXPR_NODES = get_args(ex.Expr)  # the runtime expression node classes
_DOLLAR_WORD = re.compile(r"(?<![\w$])\$([A-Za-z][A-Za-z0-9_]*)")
_ID_RE = re.compile(r"[A-Za-z0-9_\-]+")  # the form the specification gives stepIds and workflowIds


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def offset_loc(loc: Loc, offset: int) -> Loc:
    """The location ``offset`` characters into the string value at ``loc`` (inside quotes, on the lines of a
    ``|`` block); the scalar's own location where that position is not exact (see :mod:`..read.positions`)."""
    found = inside(loc, offset)
    if found is not None:
        return Loc(found.file, found.line, found.col, 1)
    if source_line(loc.file, loc.line) is None:
        return Loc(loc.file, loc.line, loc.col + offset, 1)
    return Loc(loc.file, loc.line, loc.col, 1)


def _part_loc(loc: Loc, offset: int, part: str) -> Loc:
    """The location of ``part``, written ``offset`` characters into the string value at ``loc``; ``loc``
    itself where that position is not exact."""
    return inside(loc, offset, len(part)) or loc


class WorkflowLowering:
    def __init__(
        self,
        workspace: Workspace,
        diagnostics: Diagnostics,
        path: Path,
        root: YMap,
        sources: dict[str, Api],
        module: str,
        function_names: Scope | None = None,
        arazzo_sources: dict[str, Path] | None = None,
    ) -> None:
        self.workspace = workspace
        self.diagnostics = diagnostics
        self.path = path
        self.root = root
        self.sources = sources  # sourceDescriptions name -> Api (only those that resolved)
        self.arazzo_sources = arazzo_sources or {}  # the `type: arazzo` sources: name -> document
        declared = root.get("sourceDescriptions")
        self.declared_sources = [
            item["name"] for item in declared if isinstance(item, dict) and isinstance(item.get("name"), str)
        ] if isinstance(declared, list) else []  # fmt: skip
        self.module = module
        self.spaced_step_ids: list[
            str
        ] = []  # of the workflow being lowered: see _nonconforming_step_ids
        # workflow-level parameters without 'in' (by id): not placed at some operation step / placed at one
        self._unplaced: dict[int, tuple[str, Loc]] = {}
        self._left_unplaced = (
            False  # whether the last _parameter left its (workflow-level) item unplaced
        )
        self._placed: set[int] = set()
        self.function_names = (
            function_names if function_names is not None else Scope(WORKFLOW_MODULE_RESERVED)
        )
        components = root.get("components")
        self.components: dict[str, Any] = components if isinstance(components, dict) else {}

    def lower(self) -> ArazzoDocument:
        raw_info = self.root.get("info")
        info: dict[str, Any] = raw_info if isinstance(raw_info, dict) else {}
        workflows = []
        seen: dict[str, Loc] = {}
        raw_workflows = self.root.get("workflows")
        if not isinstance(raw_workflows, YList) or not raw_workflows:
            self.diagnostics.error(
                "missing-field",
                "an Arazzo document needs a non-empty 'workflows' list",
                self.root.loc,
            )
        # the function names first, so that an input is not named like a workflow function it calls
        self.function_pairs: dict[str, tuple[str, str]] = {}
        for raw in raw_workflows if isinstance(raw_workflows, YList) else []:
            workflow_id = raw.get("workflowId") if isinstance(raw, YMap) else None
            if (
                isinstance(workflow_id, str)
                and workflow_id
                and workflow_id not in self.function_pairs
            ):
                self.function_pairs[workflow_id] = self.function_names.claim_pair(
                    snake(workflow_id)
                )
        for raw in (
            self._mappings(raw_workflows, "a workflow") if isinstance(raw_workflows, YList) else []
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
            workflows.append(self._workflow(raw, workflow_id, *self.function_pairs[workflow_id]))
        return ArazzoDocument(
            path=self.path,
            module=self.module,
            title=_text(info.get("title")),
            summary=_text(info.get("summary")),
            description=_text(info.get("description")),
            version=str(info.get("version", "")),
            workflows=workflows,
        )

    # -- workflow -------------------------------------------------------------------------------------
    def _workflow(self, raw: YMap, workflow_id: str, py_name: str, async_name: str) -> Workflow:
        controlled = _has_actions(raw)
        called = {
            self.function_pairs[w] for w in _called_workflow_ids(raw) if w in self.function_pairs
        }
        names = Scope(WORKFLOW_FUNCTION_RESERVED | (_CONTROL_PARAMETERS if controlled else set())
                      | {name for pair in called for name in pair})  # fmt: skip
        inputs = self._inputs(raw, names)
        wf_params = self._list(raw, "parameters")
        self._duplicate_parameters(wf_params)
        steps: list[Step] = []
        step_ids: dict[str, Loc] = {}
        step_scope = Scope()
        self.spaced_step_ids = self._nonconforming_step_ids(raw)
        self._unplaced, self._placed = {}, set()
        for raw_step in self._mappings(self._list(raw, "steps"), "a step"):
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
            steps.append(self._step(raw_step, step_id, step_scope.claim(snake(step_id)), wf_params))
        self._unplaced_parameters(raw)
        if not steps and isinstance(
            raw.get("steps"), YList | None
        ):  # a wrong type was reported already
            self.diagnostics.error(
                "missing-field", f"workflow '{workflow_id}' has no steps", raw.loc
            )
        used_sources = sorted({s.source for s in steps if s.source}, key=list(self.sources).index)
        bindings = [
            SourceBinding(name, names.claim(snake(name) if snake(name).endswith("api") else snake(name) + "_api"),
                          self.sources[name])
            for name in used_sources
        ]  # fmt: skip
        outputs, output_locs = self._outputs(raw)
        success_actions = self._actions(
            raw.get("successActions"), "successActions", raw.at("successActions")
        )
        failure_actions = self._actions(
            raw.get("failureActions"), "failureActions", raw.at("failureActions")
        )
        self._bind_actions(steps, success_actions, failure_actions)
        _resolve_dotted_outputs(steps, outputs)
        workflow = Workflow(
            workflow_id=workflow_id,
            py_name=py_name,
            async_name=async_name,
            summary=_text(raw.get("summary")),
            description=_text(raw.get("description")),
            inputs=inputs,
            steps=steps,
            outputs=outputs,
            output_locs=output_locs,
            sources=bindings,
            loc=raw.at("workflowId"),
            success_actions=success_actions,
            failure_actions=failure_actions,
            depends_on=self._depends_on(raw),
            document=self.path,
            names=names,
            controlled=controlled,
        )
        return workflow

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

    def _unplaced_parameters(self, raw: YMap) -> None:
        """A workflow-level parameter without 'in' that no operation step declares, in a workflow without steps
        that run workflows, applies to nothing: the located error a step-level one gets."""
        raw_steps = raw.get("steps")
        items = raw_steps if isinstance(raw_steps, YList) else []
        if any(isinstance(item, YMap) and "workflowId" in item for item in items):
            return
        for key, (name, loc) in self._unplaced.items():
            if key not in self._placed:
                self.diagnostics.error(
                    "invalid-parameter",
                    f"parameter '{name}' needs 'in' to be one of path, query, header, cookie: no operation of the "
                    "workflow's steps declares it, and no step runs a workflow",
                    loc,
                )

    def _explain(self, text: str, error: ExpressionError, loc: Loc) -> tuple[str, Loc]:
        """The message and location of a malformed expression: its bad part; when the cause is a stepId that
        does not match the pattern (``$steps.create job...`` in a condition), that stepId, named."""
        for step_id in self.spaced_step_ids:
            start = text.find(f"$steps.{step_id}")
            if start != -1 and start <= error.offset <= start + len("$steps.") + len(step_id):
                message = (
                    f"'$steps.{step_id}' cannot be read here: stepId '{step_id}' does not match [A-Za-z0-9_\\-]+, "
                    "so only a value that is a single runtime expression can name it; rename the step"
                )
                return message, offset_loc(loc, start + len("$steps."))
        return error.message, offset_loc(loc, error.offset)

    # -- control flow -----------------------------------------------------------------------------------
    def _bind_actions(
        self, steps: list[Step], success: list[Action], failure: list[Action]
    ) -> None:
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

    def _depends_on(self, raw: YMap) -> list[WorkflowCall]:
        found: list[WorkflowCall] = []
        items = self._list(raw, "dependsOn")
        for index, item in enumerate(items):
            loc = items.at(index)
            if not isinstance(item, str) or not item:
                self._wrong_type("a dependsOn entry", "a workflowId", item, loc)
                continue
            call = self._workflow_call(item, loc)
            if call is not None:
                found.append(call)
        return found

    def _workflow_call(self, text: str, loc: Loc) -> WorkflowCall | None:
        """``wfId`` (this document) or ``$sourceDescriptions.<name>.<wfId>`` (a ``type: arazzo`` source)."""
        if text.startswith("$sourceDescriptions."):
            name, _, workflow_id = text[len("$sourceDescriptions.") :].partition(".")
            if name in self.arazzo_sources:
                if (
                    workflow_id.startswith("workflows.")
                    and "." not in workflow_id[len("workflows.") :]
                ):
                    # Redocly's form '$sourceDescriptions.<name>.workflows.<workflowId>'
                    workflow_id = workflow_id[len("workflows.") :]
                    self._nonstandard(
                        [Nonstandard(0, text, f"$sourceDescriptions.{name}.{workflow_id}")], loc
                    )
                return WorkflowCall(text, self.arazzo_sources[name], workflow_id, loc)
            if name in self.sources:
                self.diagnostics.error(
                    "unknown-workflow",
                    f"'{text}': source '{name}' is an API description, not an Arazzo document (type: arazzo)",
                    loc,
                )
                return None
            self._unknown_source(name, _part_loc(loc, len("$sourceDescriptions."), name))
            return None
        return WorkflowCall(text, self.path, text, loc)

    def _inputs(self, raw: YMap, names: Scope) -> list[Input]:
        schema = raw.get("inputs")
        if schema is None:
            return []
        _, node = self._follow(schema, raw.at("inputs"))
        if not isinstance(node, dict):
            return []
        if node.get("type") not in (None, "object"):
            self.diagnostics.error(
                "invalid-inputs", "workflow 'inputs' must be an object schema", raw.at("inputs")
            )
            return []
        raw_required = node.get("required")
        if raw_required is not None and not (
            isinstance(raw_required, list) and all(isinstance(name, str) for name in raw_required)
        ):
            self._wrong_type(
                "'required'",
                "a list of property names",
                raw_required,
                loc_of(node, "required"),
            )
            raw_required = []
        required = set(raw_required or [])
        raw_properties = node.get("properties")
        properties: dict[str, Any] = raw_properties if isinstance(raw_properties, dict) else {}
        inputs = []
        for name, prop in properties.items():
            _, prop_node = self._follow(
                prop, properties.at(name) if isinstance(properties, YMap) else None
            )
            prop_schema = to_plain(prop_node) if isinstance(prop_node, dict) else {}
            if isinstance(
                prop_schema.get("required"), bool
            ):  # a Swagger 2.0 habit; JSON Schema has a list
                self.diagnostics.warning(
                    "invalid-schema",
                    f"'required' of input '{name}' must be a list of property names, not a boolean; it is ignored; "
                    "list the input in the 'required' list of 'inputs' to make it required",
                    loc_of(prop_node, "required"),
                )
            has_default = "default" in prop_schema and self._default_fits(name, prop_node)
            inputs.append(
                Input(
                    name=name,
                    py_name=names.claim(snake(name)),
                    schema=prop_schema,
                    required=name in required,
                    description=_text(prop_schema.get("description")),
                    has_default=has_default,
                    default=prop_schema.get("default") if has_default else None,
                )
            )
        return inputs

    def _default_fits(self, name: str, node: Any) -> bool:
        """Whether an input's ``default`` has the input's JSON type (else a located ``invalid-default``)."""
        default = node.get("default")
        kind = node.get("type")
        kinds = (
            [kind]
            if isinstance(kind, str)
            else [k for k in kind if isinstance(k, str)]
            if isinstance(kind, list)
            else []
        )
        if not kinds or _json_type_fits(default, kinds):
            return True
        self.diagnostics.error(
            "invalid-default",
            f"the default of input '{name}' is {kind_of(default)}, but the input's type is {' or '.join(kinds)}",
            loc_of(node, "default") or self.root.loc,
        )
        return False

    def _follow(self, node: Any, loc: Loc | None) -> tuple[Path, Any]:
        """Resolve a JSON-Schema ``$ref`` (``#/components/inputs/x``) inside the Arazzo document."""
        return self.workspace.follow(self.path, node, loc)

    def _outputs(self, raw: YMap) -> tuple[dict[str, Any], dict[str, Loc]]:
        outputs: dict[str, Any] = {}
        locs: dict[str, Loc] = {}
        raw_outputs = raw.get("outputs")
        if not isinstance(raw_outputs, YMap):
            if raw_outputs is not None:
                self._wrong_type(
                    "'outputs'",
                    "a mapping of names to expressions",
                    raw_outputs,
                    raw.at("outputs"),
                )
            return outputs, locs
        for name, value in raw_outputs.items():
            loc = raw_outputs.at(name)
            errors = self.diagnostics.count(
                Severity.ERROR
            )  # warnings (nonstandard forms) keep the output
            parsed = self._value(
                value, loc
            )  # an expression, a template or a literal (null included)
            if self.diagnostics.count(Severity.ERROR) == errors:
                outputs[name] = parsed
                locs[name] = loc
            else:
                # malformed and reported: the output still exists, so uses of it are not reported again
                outputs[name] = None
                locs[name] = loc
        return outputs, locs

    # -- structure ------------------------------------------------------------------------------------
    def _wrong_type(self, what: str, expected: str, found: Any, loc: Loc | None) -> None:
        self.diagnostics.error(
            "invalid-type",
            f"{what} must be {expected}, not {kind_of(found)}",
            loc or self.root.loc,
        )

    def _list(self, raw: YMap, key: str) -> YList:
        """``raw[key]`` when it is a list; an absent key is an empty list, anything else an error."""
        value = raw.get(key)
        if isinstance(value, YList):
            return value
        if value is not None:
            self._wrong_type(f"'{key}'", "a list", value, raw.at(key))
        return YList(raw.at(key))

    def _mappings(self, items: YList, what: str) -> list[YMap]:
        """The entries of ``items`` that are mappings; every other entry is a located error."""
        found = []
        for index, item in enumerate(items):
            if isinstance(item, YMap):
                found.append(item)
            else:
                self._wrong_type(what, "a mapping", item, items.at(index))
        return found

    # -- steps ----------------------------------------------------------------------------------------
    def _step(self, raw: YMap, step_id: str, py_name: str, wf_params: YList) -> Step:
        self._duplicate_parameters(self._list(raw, "parameters"))
        call = self._step_call(raw)
        source, api, operation = (
            self._target(raw) if call is None and "workflowId" not in raw else (None, None, None)
        )
        parameters, broken = (
            self._parameters(wf_params, raw, operation) if "workflowId" not in raw else ([], set())
        )
        body, content_type, has_body, late = self._request_body(raw, operation)
        request_body = raw.get("requestBody")
        if (
            operation is not None
            and has_body
            and (operation.body is None or operation.body.undocumented)
        ):
            self._undocumented_body(operation, content_type, step_id, raw.key_at("requestBody"))
        body_loc = request_body.at("payload") if isinstance(request_body, YMap) else None
        outputs, output_locs = self._outputs(raw)
        call_inputs, call_broken = (
            self._call_inputs(wf_params, raw) if call is not None else ({}, set())
        )
        return Step(
            step_id=step_id,
            py_name=py_name,
            description=_text(raw.get("description")),
            source=source,
            api=api,
            operation=operation,
            parameters=parameters,
            body=body,
            body_content_type=content_type,
            body_loc=body_loc,
            has_body=has_body,
            success_criteria=self._criteria(raw.get("successCriteria"), raw.at("successCriteria")),
            outputs=outputs,
            output_locs=output_locs,
            on_success=self._actions(raw.get("onSuccess"), "successActions", raw.at("onSuccess")),
            on_failure=self._actions(raw.get("onFailure"), "failureActions", raw.at("onFailure")),
            loc=raw.at("stepId"),
            body_replacements=late,
            call=call,
            call_inputs=call_inputs,
            body_locs=_leaf_locs(request_body.get("payload"), ())
            if isinstance(request_body, YMap)
            else {},
            broken_parameters=broken | call_broken,
        )

    def _step_call(self, raw: YMap) -> WorkflowCall | None:
        """The workflow a ``workflowId`` step runs (checked for exclusivity by :meth:`_target`)."""
        kinds = [key for key in ("operationId", "operationPath", "workflowId") if key in raw]
        if kinds != ["workflowId"]:
            if "workflowId" in raw:
                self._target(raw)  # reports the conflict
            return None
        value = raw["workflowId"]
        if not isinstance(value, str) or not value:
            self.diagnostics.error(
                "invalid-step", "workflowId must be a string", raw.at("workflowId")
            )
            return None
        return self._workflow_call(value, raw.at("workflowId"))

    def _call_inputs(
        self, wf_params: YList, raw: YMap
    ) -> tuple[dict[str, tuple[Value, Loc, bool]], set[str | None]]:
        """Parameters of a ``workflowId`` step: every one maps to the callee's input of the same name (``in``
        is not needed); the workflow-level parameters apply first and the step's own override them."""
        found: dict[str, tuple[Value, Loc, bool]] = {}
        broken: set[str | None] = (
            set()
        )  # the names of the entries reported as broken (None: name unknown)
        for container in (wf_params, raw.get("parameters")):
            if not isinstance(container, YList):
                continue
            inherited = container is wf_params
            for index, item in enumerate(container):
                loc = container.at(index)
                if isinstance(item, YMap) and "reference" in item:
                    resolved = self._component(
                        item["reference"], item.at("reference"), "parameters"
                    )
                    if resolved is None:
                        broken.add(None)
                        continue
                    value_node = item if "value" in item else resolved
                    item = resolved
                else:
                    value_node = item
                if not isinstance(item, YMap) or not isinstance(item.get("name"), str):
                    self.diagnostics.error("invalid-parameter", "a parameter needs a 'name'", loc)
                    broken.add(None)
                    continue
                if "value" not in value_node:
                    self.diagnostics.error(
                        "missing-field", f"parameter '{item['name']}' has no 'value'", item.loc
                    )
                    broken.add(item["name"])
                    continue
                value_loc = value_node.at("value")
                found[item["name"]] = (
                    self._value(value_node["value"], value_loc),
                    value_loc,
                    inherited,
                )
        return found, broken

    def _target(self, raw: YMap) -> tuple[str | None, Api | None, Operation | None]:
        kinds = [key for key in ("operationId", "operationPath", "workflowId") if key in raw]
        if len(kinds) != 1:
            self.diagnostics.error(
                "invalid-step",
                "a step needs exactly one of operationId, operationPath or workflowId"
                + (f" (found {', '.join(kinds)})" if kinds else ""),
                raw.at("stepId"),
            )
            return None, None, None
        kind = kinds[0]
        value = raw[kind]
        loc = raw.at(kind)
        if not isinstance(value, str):
            self.diagnostics.error("invalid-step", f"{kind} must be a string", loc)
            return None, None, None
        if kind == "operationPath":
            return self._by_path(value, loc)
        return self._by_id(value, loc)

    def _by_id(self, value: str, loc: Loc) -> tuple[str | None, Api | None, Operation | None]:
        candidates = self.sources
        operation_id = value
        if value.startswith("$sourceDescriptions."):
            name, _, operation_id = value[len("$sourceDescriptions.") :].partition(".")
            if name not in self.sources:
                self._not_an_api(
                    name, value, loc, _part_loc(loc, len("$sourceDescriptions."), name)
                )
                return None, None, None
            candidates = {name: self.sources[name]}
        found = [(name, api, api.operation(operation_id)) for name, api in candidates.items()]
        hits = [(name, api, op) for name, api, op in found if op is not None]
        if len(hits) == 1:
            return hits[0]
        if len({id(api) for _, api, _ in hits}) == 1 and hits:
            return hits[0]  # several source names for one document
        if hits:
            names = ", ".join(name for name, _, _ in hits)
            self.diagnostics.error(
                "ambiguous-operation",
                f"operationId '{operation_id}' exists in several sources ({names}); write "
                f"'$sourceDescriptions.<name>.{operation_id}' to pick one",
                loc,
            )
            return None, None, None
        if not self.sources:
            self._no_api_sources(value, loc)
            return None, None, None
        source, _, qualified = value.partition(".")
        named = (
            self.sources[source].operation(qualified)
            if qualified and source in self.sources
            else None
        )
        if named is not None:
            # '<source name>.<operationId>' (Redocly's museum example): the source's operation
            self._nonstandard(
                [Nonstandard(0, value, f"$sourceDescriptions.{source}.{qualified}")], loc
            )
            return source, self.sources[source], named
        folded = [
            (name, api, op)
            for name, api in candidates.items()
            for op in api.operations
            if op.operation_id.lower() == operation_id.lower()
        ]
        if len({id(op) for _, _, op in folded}) == 1:
            # operationIds are case-sensitive (OpenAPI), but a sole match ignoring case is unambiguous
            name, api, op = folded[0]
            self.diagnostics.warning(
                "operation-id-case",
                f"operationId '{operation_id}' is not in {name} ({api.path.name}) with that case; its only "
                f"match ignoring case, '{op.operation_id}', is used: write '{op.operation_id}'",
                Loc(loc.file, loc.line, loc.col, len(value)),
            )
            return folded[0]
        all_ids = [op.operation_id for api in candidates.values() for op in api.operations]
        where = ", ".join(f"{name} ({api.path.name})" for name, api in candidates.items())
        # operationIds are case-sensitive (OpenAPI); a match ignoring case is the likeliest intent
        hint = [i for i in all_ids if i.lower() == operation_id.lower()][
            :1
        ] or difflib.get_close_matches(operation_id, all_ids, n=1)
        self.diagnostics.error(
            "unknown-operation",
            f"operationId '{operation_id}' is not in {where}"
            + (f"; did you mean '{hint[0]}'?" if hint else ""),
            Loc(loc.file, loc.line, loc.col, len(value)),
        )
        return None, None, None

    def _by_path(self, value: str, loc: Loc) -> tuple[str | None, Api | None, Operation | None]:
        # {$sourceDescriptions.name.url}#/paths/~1pets~1{id}/get
        head, _, pointer = value.partition("#")
        name = head.strip("{}").removeprefix("$sourceDescriptions.").removesuffix(".url")
        api = self.sources.get(name)
        if api is None:
            at = value.find(f"$sourceDescriptions.{name}")
            where = _part_loc(loc, at + len("$sourceDescriptions.") if at != -1 else 0, name)
            self._not_an_api(name, value, loc, where)
            return None, None, None
        tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
        if len(tokens) == 3 and tokens[0] == "paths":
            for op in api.operations:
                if op.path == tokens[1] and op.method.lower() == tokens[2].lower():
                    return name, api, op
        if len(tokens) == 2 and tokens[0] == "paths":
            # a pointer to a Path Item (the OAI LoginAndRetrievePets example): unambiguous when it has one operation
            ops = [op for op in api.operations if op.path == tokens[1]]
            if len(ops) == 1:
                self.diagnostics.warning(
                    "operation-path-to-path-item",
                    f"operationPath '{value}' points to a path item, not an operation; its only operation "
                    f"({ops[0].method.lower()}, {ops[0].operation_id}) is used: write '{value}/{ops[0].method.lower()}'",
                    loc,
                )
                return name, api, ops[0]
            if ops:
                methods = ", ".join(op.method.lower() for op in ops)
                self.diagnostics.error(
                    "unknown-operation",
                    f"operationPath '{value}' points to a path item, not an operation; append one of its "
                    f"methods ({methods}), e.g. '{value}/{ops[0].method.lower()}'",
                    loc,
                )
                return None, None, None
        self.diagnostics.error(
            "unknown-operation",
            f"operationPath '{value}' does not name an operation in {name}",
            loc,
        )
        return None, None, None

    def _not_an_api(self, name: str, value: str, loc: Loc, name_loc: Loc) -> None:
        """A step names the operation of a source that is not a resolved API description."""
        if name in self.arazzo_sources:
            self.diagnostics.error(
                "unknown-operation",
                f"'{value}': source '{name}' is an Arazzo document (type: arazzo), not an API description",
                loc,
            )
        else:
            self._unknown_source(name, name_loc)

    def _no_api_sources(self, value: str, loc: Loc) -> None:
        """A step names an operation, and no API description resolved: silent when that was reported already
        (a source that did not resolve, or no sources at all), an error when every source is an Arazzo one."""
        unresolved = [name for name in self.declared_sources if name not in self.arazzo_sources]
        if unresolved or not self.declared_sources:
            return
        self.diagnostics.error(
            "unknown-operation",
            f"operationId '{value}' is in no API description: every sourceDescription of this document is an "
            f"Arazzo document (type: arazzo): {', '.join(dict.fromkeys(self.declared_sources))}",
            Loc(loc.file, loc.line, loc.col, len(value)),
        )

    def _unknown_source(self, name: str, loc: Loc) -> None:
        if name in self.declared_sources:
            return  # declared but unresolved: reported where it is declared
        declared = list(dict.fromkeys(self.declared_sources))
        unresolved = [
            source
            for source in declared
            if source not in self.sources and source not in self.arazzo_sources
        ]
        if not declared:
            known = "no sourceDescriptions are declared"
        elif len(unresolved) == len(declared):
            known = f"declared: {', '.join(declared)}; none of them resolved"
        else:
            known = f"declared: {', '.join(declared)}" + (
                f"; {', '.join(repr(s) for s in unresolved)} did not resolve" if unresolved else ""
            )
        hint = difflib.get_close_matches(name, declared, n=1)
        self.diagnostics.error(
            "unknown-source",
            f"no sourceDescription named '{name}' ({known})"
            + (f"; did you mean '{hint[0]}'?" if hint else ""),
            loc,
        )

    def _parameters(
        self, wf_params: YList, raw: YMap, operation: Operation | None
    ) -> tuple[list[StepParameter], set[str | None]]:
        """The step's parameters, and the names of the entries reported as broken (None: name unknown)."""
        merged: dict[tuple[str, str], StepParameter] = {}
        broken: set[str | None] = set()
        for container in (wf_params, raw.get("parameters")):
            if not isinstance(container, YList):
                continue
            for index, item in enumerate(container):
                self._left_unplaced = False
                param = self._parameter(
                    item, container.at(index), operation, inherited=container is wf_params
                )
                if param is not None:
                    key = (
                        param.name.lower() if param.location == "header" else param.name,
                        param.location,
                    )
                    merged[key] = param
                elif (
                    not self._left_unplaced
                ):  # a workflow-level parameter for other steps is not broken
                    named = (
                        isinstance(item, YMap)
                        and "reference" not in item
                        and isinstance(item.get("name"), str)
                    )
                    broken.add(item["name"] if named else None)
        return list(merged.values()), broken

    def _duplicate_parameters(self, items: YList) -> None:
        """The specification: a parameter list "MUST NOT include duplicate parameters" (the same name and
        ``in``; the same ``reference``).  The later one would silently replace the earlier."""
        seen: dict[tuple[str, str], int] = {}
        for index, item in enumerate(items):
            if not isinstance(item, YMap):
                continue
            if "reference" in item:
                key, shown = (
                    ("reference", str(item["reference"])),
                    f"reference '{item['reference']}'",
                )
            elif isinstance(item.get("name"), str):
                where = item.get("in")
                key = (item["name"].lower() if where == "header" else item["name"], str(where))
                shown = f"parameter '{item['name']}'" + (
                    f" in {where}" if where is not None else ""
                )
            else:
                continue
            if key in seen:
                self.diagnostics.error(
                    "duplicate-parameter",
                    f"{shown} is already in this list at line {items.at(seen[key]).line}",
                    items.at(index),
                )
            else:
                seen[key] = index

    def _parameter(
        self, item: Any, loc: Loc, operation: Operation | None, *, inherited: bool = False
    ) -> StepParameter | None:
        override: tuple[Any, Loc] | None = None
        if isinstance(item, YMap) and "reference" in item:
            if (
                "value" in item
            ):  # a Reusable Object's value replaces the component parameter's own value
                override = (item["value"], item.at("value"))
            item = self._component(item["reference"], item.at("reference"), "parameters")
            if item is None:
                return None
        if not isinstance(item, YMap):
            self.diagnostics.error("invalid-parameter", "a parameter must be a mapping", loc)
            return None
        name, location = item.get("name"), item.get("in")
        if not isinstance(name, str):
            self.diagnostics.error("missing-field", "parameter has no 'name'", item.loc)
            return None
        if location is None and operation is not None:
            matches = [p for p in operation.parameters if p.name == name]
            location = matches[0].location if len(matches) == 1 else None
            if location is not None and not inherited:
                # the specification: "the in field MUST be specified" for a step that calls an operation
                self.diagnostics.warning(
                    "missing-parameter-in",
                    f"parameter '{name}' has no 'in', which a step calling an operation must give; "
                    f"{operation.operation_id or 'the operation'} declares '{name}' only in {location}, so it is "
                    f"sent there: write 'in: {location}'",
                    item.loc,
                )
        if inherited and "in" not in item:
            # a workflow-level parameter without 'in' applies to the operations that declare it and to the
            # steps that run workflows; one that applies to no step is reported by _unplaced_parameters
            if location is None:
                self._unplaced.setdefault(id(item), (name, item.loc))
                self._left_unplaced = True
                return None
            self._placed.add(id(item))
        if location not in _PARAM_LOCATIONS:
            self.diagnostics.error(
                "invalid-parameter",
                f"parameter '{name}' needs 'in' to be one of path, query, header, cookie",
                item.at("in") if "in" in item else item.loc,
            )
            return None
        if "value" not in item and override is None:
            self.diagnostics.error("missing-field", f"parameter '{name}' has no 'value'", item.loc)
            return None
        raw_value, value_loc = (
            override if override is not None else (item["value"], item.at("value"))
        )
        value = self._value(raw_value, value_loc)
        target = operation.parameter(name, str(location)) if operation else None
        return StepParameter(name, str(location), value, value_loc, target, item.at("name"))

    def _component(self, reference: Any, loc: Loc, kind: str) -> Any:
        text = str(reference)
        prefix = f"$components.{kind}."
        if not text.startswith(prefix):
            self.diagnostics.error(
                "invalid-reference", f"expected a '{prefix}<name>' reference", loc
            )
            return None
        name = text[len(prefix) :]
        table = self.components.get(kind)
        if not isinstance(table, dict) or name not in table:
            self.diagnostics.error(
                "unresolved-reference", f"components.{kind} has no '{name}'", loc
            )
            return None
        return table[name]

    def _undocumented_body(
        self, operation: Operation, content_type: str | None, step_id: str, loc: Loc
    ) -> None:
        """A step sends a request body that its operation does not declare: the description is incomplete (a
        warning), and the operation gets an optional body of any value, sent as the step gives it."""
        media = content_type or (
            operation.body.content_type if operation.body else "application/json"
        )
        self.diagnostics.warning(
            "unexpected-request-body",
            f"step '{step_id}' sends a requestBody but {operation.operation_id} declares none; it is sent "
            f"as written ({media}), unchecked",
            loc,
        )
        if operation.body is None:
            operation.body = Body(
                content_type=media,
                schema={} if _is_json_media(media.split(";")[0].strip().lower()) else None,
                required=False,
                description="Not declared by the API description; a workflow step sends one.",
                content_types=[media],
                undocumented=True,
            )
        elif media not in operation.body.content_types:
            operation.body.content_types.append(media)

    def _request_body(
        self, raw: YMap, operation: Operation | None
    ) -> tuple[Value | None, str | None, bool, list[tuple[tuple[str, ...], Value]]]:
        """The payload (literal tree with parsed expressions), its content type, whether there is one, and the
        replacements left for run time (when the payload is a single runtime expression)."""
        body = raw.get("requestBody")
        if not isinstance(body, YMap):
            return None, None, False, []
        content_type = body.get("contentType") if isinstance(body.get("contentType"), str) else None
        media = (
            content_type or (operation.body.content_type if operation and operation.body else "")
        ).lower()
        media = media.split(";")[0].strip()
        if content_type and operation is not None and operation.body is not None:
            accepted = [m.split(";")[0].strip().lower() for m in operation.body.content_types]
            if accepted and media not in accepted:
                self.diagnostics.warning(
                    "undeclared-content-type",
                    f"{operation.operation_id} does not declare the request content type '{content_type}' "
                    f"(it accepts {', '.join(operation.body.content_types)}); it is sent as written",
                    body.at("contentType"),
                )
        payload_loc = body.at("payload")
        raw_payload = body.get("payload")
        if isinstance(raw_payload, str) and _is_json_media(media):
            payload = self._json_text_payload(raw_payload, payload_loc)
        elif isinstance(raw_payload, str) and media == "application/x-www-form-urlencoded":
            payload = self._form_text_payload(raw_payload, payload_loc)
        else:
            payload = self._value(raw_payload, payload_loc) if "payload" in body else None
        late: list[tuple[tuple[str, ...], Value]] = []
        replacements = self._list(body, "replacements")
        for index, replacement in enumerate(replacements):
            loc = replacements.at(index)
            if (
                not isinstance(replacement, YMap)
                or "target" not in replacement
                or "value" not in replacement
            ):
                self.diagnostics.error(
                    "invalid-replacement", "a replacement needs 'target' and 'value'", loc
                )
                continue
            value = self._value(replacement.get("value"), replacement.at("value"))
            target, target_loc = str(replacement["target"]), replacement.at("target")
            if not isinstance(payload, dict | list) and target.startswith("/"):
                late.append((_pointer_tokens(target), value))  # the payload exists only at run time
                continue
            payload = _replace(payload, target, value, self.diagnostics, target_loc)
        if isinstance(payload, dict) and media.lower().endswith(("/xml", "+xml")):
            payload = self._xml_payload(payload, media, operation, payload_loc)
        return payload, content_type, "payload" in body, late

    def _xml_payload(
        self, payload: dict[str, Any], media: str, operation: Operation | None, loc: Loc
    ) -> Value:
        """An XML payload written as a mapping: ``{root: content}``, serialised when the request is made
        (``to_xml``). The root element is the body schema's ``xml.name`` (else its component name, with
        ``xml.namespace`` as ``xmlns``) and the mapping its content; without a schema name the mapping's one
        member is the root."""
        known = (
            operation.body.xml_roots.get(media.lower())
            if operation is not None and operation.body
            else None
        )
        if known is not None:
            root, namespace = known
            content = payload[root] if list(payload) == [root] else payload
            if namespace and isinstance(content, dict) and "@xmlns" not in content:
                content = {"@xmlns": namespace, **content}
            return {root: content}
        if len(payload) != 1:
            self.diagnostics.error(
                "invalid-payload",
                f"an XML payload written as a mapping needs exactly one member, the root element, when the "
                f"request body schema names none (it has {len(payload)}: {', '.join(payload) or 'none'})",
                loc,
            )
            return None
        return payload

    def _json_text_payload(self, text: str, loc: Loc) -> Value:
        """A string payload for a JSON media type is the JSON text of the body (the specification's "JSON
        Templated Example"): it is parsed here; ``{$...}`` inside JSON strings stay templates, and a bare
        ``{$...}`` where a JSON value goes is that value, typed.  Text that is not JSON is a located error."""
        marked, found = _mark_bare_expressions(text)
        try:
            document = json.loads(marked)
        except json.JSONDecodeError as error:
            if not text.lstrip().startswith(("{", "[")):
                return self._value(text, loc)  # a JSON string value (``payload: hello``)
            self.diagnostics.error(
                "invalid-payload",
                f"the payload is a string for a JSON content type but is not JSON text ({error.msg} on line "
                f"{error.lineno} of the payload)",
                _json_error_loc(text, marked, error, loc),
            )
            return None
        cursor = 0

        def located(written: str) -> Loc:
            """Where ``written`` (a JSON string or a bare ``{$...}``) is in the payload, searching on from the
            previous one; a location with no positions inside when it is not found."""
            nonlocal cursor
            at = find_inside(loc, written, start=cursor)
            where = inside(loc, at, len(written)) if at is not None else None
            line = source_line(where.file, where.line) if where is not None else None
            if at is None or where is None or line is None or line[where.col - 1] != written[0]:
                return opaque(
                    loc
                )  # written with escapes, or the payload's own positions are not exact
            cursor = at + len(written)
            return where

        def convert(node: Any) -> Value:
            if isinstance(node, dict):
                converted: dict[str, Value] = {}
                for key, value in node.items():
                    located(json.dumps(key, ensure_ascii=False))
                    converted[key] = convert(value)
                return converted
            if isinstance(node, list):
                return [convert(value) for value in node]
            if isinstance(node, str):
                if node in found:
                    return self._expression(found[node], located(found[node]))
                return self._expression(node, located(json.dumps(node, ensure_ascii=False)))
            return node

        return convert(document)

    def _form_text_payload(self, text: str, loc: Loc) -> Value:
        """``a={$inputs.x}&b=literal`` for a form content type: the fields, each value a template, so that
        the client encodes the values (a value holding ``&`` or ``=`` stays one value)."""
        fields: dict[str, Value] = {}
        start = 0
        for pair in text.split("&"):
            name, _, value = pair.partition("=")
            at = start + len(name) + 1  # where the value is written in the payload
            start += len(pair) + 1
            if not pair:
                continue
            where = inside(loc, at, len(value)) if unquote_plus(value) == value and value else None
            line = source_line(where.file, where.line) if where is not None else None
            written = (
                line[where.col - 1 : where.col - 1 + len(value)]
                if where is not None and line
                else None
            )
            if where is None or written != value or value[0] in "'\"|>!&*":
                where = opaque(
                    loc
                )  # written with escapes, or the payload's own positions are not exact
            fields[unquote_plus(name)] = self._expression(unquote_plus(value), where)
        return fields

    def _value(self, node: Any, loc: Loc) -> Value:
        """A payload/parameter value: literals stay, strings with runtime expressions are parsed."""
        if isinstance(node, YMap):
            return {key: self._value(value, node.at(key)) for key, value in node.items()}
        if isinstance(node, YList):
            return [self._value(value, node.at(index)) for index, value in enumerate(node)]
        if isinstance(node, str):
            return self._expression(node, loc)
        return node

    def _expression(self, text: Any, loc: Loc) -> Any:
        if not isinstance(text, str):
            return text
        notes: list[Nonstandard] = []
        try:
            value = parse_value(text, notes)
        except ExpressionError as error:
            self.diagnostics.error("invalid-expression", *self._explain(text, error, loc))
            return None
        self._nonstandard(notes, loc)
        if isinstance(value, str):
            self._near_expressions(value, loc)
        return self._fold_sources(value, loc)

    def _near_expressions(self, text: str, loc: Loc) -> None:
        """A warning at each ``$word`` of a literal that is a near miss of an expression root (``$inputz``,
        ``$statusCod``, ``$Inputs``): it is sent as the text it is, which is rarely what was meant."""
        for match in _DOLLAR_WORD.finditer(text):
            word = match.group(1).lower()
            close = difflib.get_close_matches(
                word, [root.lower() for root in ex.ROOTS], n=1, cutoff=0.8
            )
            if close:
                root = next(root for root in ex.ROOTS if root.lower() == close[0])
                self.diagnostics.warning(
                    "literal-expression",
                    f"'${match.group(1)}' is sent as text: it is not a runtime expression; did you mean '${root}'?",
                    offset_loc(loc, match.start()),
                )

    def _fold_sources(self, value: Any, loc: Loc) -> Any:
        """``$sourceDescriptions.<name>.url`` (and ``.name``, ``.type``) are known at build time: they become
        the text the document gives them; so are ``$components.<kind>.<name>`` (:meth:`_component_value`)."""
        if isinstance(value, ex.SourceRef):
            text = self._source_field(value, loc)
            return text if text is not None else value
        if isinstance(value, ex.ComponentRef):
            return self._component_value(value, loc)
        if not isinstance(value, ex.Template):
            return value
        parts: list[Any] = []
        for part in value.parts:
            if isinstance(part, ex.SourceRef):
                text = self._source_field(part, loc)
                part = text if text is not None else part
            if isinstance(
                part, ex.ComponentRef
            ):  # embedded: its value as text (JSON text unless a string)
                folded = self._component_value(part, loc)
                if isinstance(folded, ex.Template):
                    for inner in folded.parts:
                        if isinstance(inner, str) and parts and isinstance(parts[-1], str):
                            parts[-1] += inner
                        elif inner != "":
                            parts.append(inner)
                    continue
                part = folded if isinstance(folded, (str, *_EXPR_NODES)) else json.dumps(folded)  # type: ignore[assignment]
            if isinstance(part, str) and parts and isinstance(parts[-1], str):
                parts[-1] += part
            elif part != "":
                parts.append(part)
        if all(isinstance(part, str) for part in parts):
            return "".join(parts)
        return ex.Template(tuple(parts))

    def _component_value(
        self, ref: ex.ComponentRef, loc: Loc, seen: frozenset[str] = frozenset()
    ) -> Any:
        """``$components.<kind>.<name>`` used as a value (not as a ``reference``): known at build time.

        ``$components.parameters.<name>`` is that parameter's ``value`` (its expressions stay expressions, read
        where it is used); the other kinds (``inputs``, ``successActions``, ``failureActions``) are the component
        as written, a JSON literal. An unknown component is ``unresolved-reference``; a parameter whose value
        refers to itself is ``invalid-reference``."""
        table = self.components.get(ref.kind)
        if not isinstance(table, dict) or ref.name not in table:
            self.diagnostics.error(
                "unresolved-reference", f"components.{ref.kind} has no '{ref.name}'", loc
            )
            return None
        item = table[ref.name]
        if ref.kind != "parameters":
            return to_plain(item)
        key = f"{ref.kind}.{ref.name}"
        if key in seen:
            self.diagnostics.error(
                "invalid-reference", f"components.{key} refers to itself through its value", loc
            )
            return None
        if not isinstance(item, YMap) or "value" not in item:
            self.diagnostics.error("missing-field", f"components.{key} has no 'value'", loc)
            return None
        raw = item["value"]
        if isinstance(raw, str):
            notes: list[Nonstandard] = []
            try:
                parsed = parse_value(raw, notes)
            except ExpressionError:
                return raw  # reported where the parameter is used as a parameter, if it is
            if isinstance(parsed, ex.ComponentRef):
                return self._component_value(parsed, item.at("value"), seen | {key})
            return self._fold_sources(parsed, item.at("value"))
        return self._value(raw, item.at("value"))

    def _fold_condition(self, node: Any, loc: Loc) -> Any:
        """A condition with its ``$sourceDescriptions.<name>.url|name|type`` and ``$components.*`` operands
        replaced by their (build-time) values, as literals."""
        if isinstance(node, ex.Compare):
            return ex.Compare(
                node.op, self._fold_condition(node.left, loc), self._fold_condition(node.right, loc)
            )
        if isinstance(node, ex.And | ex.Or):
            return type(node)(
                self._fold_condition(node.left, loc), self._fold_condition(node.right, loc)
            )
        if isinstance(node, ex.Not | ex.Truthy):
            return type(node)(self._fold_condition(node.operand, loc))
        if isinstance(node, ex.SourceRef | ex.ComponentRef):
            folded = self._fold_sources(node, loc)
            if folded is None or isinstance(folded, bool | int | float | str):
                return ex.Literal(folded)
            return folded if isinstance(folded, _EXPR_NODES) else node
        return node

    def _source_field(self, ref: ex.SourceRef, loc: Loc) -> str | None:
        declared = self.root.get("sourceDescriptions")
        for item in declared if isinstance(declared, list) else []:
            if isinstance(item, dict) and item.get("name") == ref.name:
                field = item.get(ref.rest)
                return (
                    field
                    if ref.rest in ("url", "name", "type") and isinstance(field, str)
                    else None
                )
        at = find_inside(loc, f"$sourceDescriptions.{ref.name}")
        self._unknown_source(
            ref.name,
            loc if at is None else _part_loc(loc, at + len("$sourceDescriptions."), ref.name),
        )
        return None

    def _nonstandard(self, notes: list[Nonstandard], loc: Loc) -> None:
        """A located ``nonstandard-expression`` warning for each form only other runners define."""
        for note in notes:
            if note.rule == "unquoted-string":
                self.diagnostics.warning(
                    "unquoted-string", note.message, offset_loc(loc, note.offset)
                )
            else:
                message = f"{note.message}; it is compiled with that meaning"
                self.diagnostics.warning(
                    "nonstandard-expression", message, offset_loc(loc, note.offset)
                )

    # -- criteria and actions -------------------------------------------------------------------------
    def _criteria(self, raw: Any, loc: Loc) -> list[Criterion]:
        criteria: list[Criterion] = []
        if raw is None:
            return criteria
        if not isinstance(raw, YList):
            self.diagnostics.error("invalid-criteria", "criteria must be a list", loc)
            return criteria
        for index, item in enumerate(raw):
            item_loc = raw.at(index)
            if not isinstance(item, YMap) or not isinstance(item.get("condition"), str):
                self.diagnostics.error(
                    "invalid-criteria", "a criterion needs a 'condition' string", item_loc
                )
                continue
            criterion = self._criterion(item)
            if criterion is not None:
                criteria.append(criterion)
        return criteria

    def _criterion(self, item: YMap) -> Criterion | None:
        text = item["condition"]
        loc = item.at("condition")
        found = self._criterion_type(item)
        if found is None:
            return None
        kind, version = found
        context = None
        if "context" in item:
            raw_context = item["context"]
            context_loc = item.at("context")
            notes: list[Nonstandard] = []
            try:
                if not isinstance(raw_context, str):
                    raise ExpressionError(
                        f"'context' must be a runtime expression string, not {kind_of(raw_context)}",
                        0,
                    )
                context = parse_expression(raw_context, notes)
            except ExpressionError as error:
                self.diagnostics.error(
                    "invalid-expression", error.message, offset_loc(context_loc, error.offset)
                )
                return None
            self._nonstandard(notes, context_loc)
        if kind == "simple":
            notes = []
            try:
                condition = parse_condition(text, notes)
            except ExpressionError as error:
                self.diagnostics.error("invalid-condition", *self._explain(text, error, loc))
                return None
            self._nonstandard(notes, loc)
            return Criterion(text, "simple", self._fold_condition(condition, loc), context, loc)
        if context is None:
            self.diagnostics.error(
                "missing-field", f"a {kind} criterion needs a 'context' expression", item.loc
            )
            return None
        if kind == "regex":
            checked = check_regex(text)
            for message, offset in checked.warnings:
                self.diagnostics.warning("regex-dialect", message, offset_loc(loc, offset))
            if checked.error is not None:
                message, offset = checked.error
                self.diagnostics.error("invalid-regex", message, offset_loc(loc, offset))
                return None
            return Criterion(text, kind, None, context, loc, pattern=checked.pattern)
        problem = (
            check_jsonpath(text)
            if kind == "jsonpath"
            else check_xpath(text, version or DEFAULT_XPATH)
        )
        if problem is not None and kind == "jsonpath":
            # ``$.status == 'done'``: a value comparison, not a JSONPath query; other runners accept it
            comparison = jsonpath_comparison(text, context)
            if comparison is not None:
                standard = to_source(comparison)
                self.diagnostics.warning(
                    "nonstandard-expression",
                    f"'{text}' is not a JSONPath query (a jsonpath criterion holds when its query selects "
                    f"nodes) but a comparison of values; write the simple condition '{standard}'; it is "
                    "compiled with that meaning",
                    offset_loc(loc, 0),
                )
                return Criterion(text, "simple", comparison, context, loc)
        if problem is not None:
            message, offset = problem
            if version == "draft-goessner-dispatch-jsonpath-00":
                message += (
                    "; draft-goessner-dispatch-jsonpath-00 queries are read as RFC 9535 JSONPath, "
                    "without the draft's script expressions '(...)'"
                )
            if kind == "jsonpath":
                self.diagnostics.error("invalid-jsonpath", message, offset_loc(loc, offset))
            else:
                self.diagnostics.error("invalid-xpath", message, offset_loc(loc, offset))
            return None
        regex_call = xpath_regex_call(text, version or DEFAULT_XPATH) if kind == "xpath" else None
        if regex_call is not None:
            function, offset = regex_call
            self.diagnostics.error(
                "xpath-regex",
                f"an xpath criterion may not call {function}(): XPath's regular expressions run without a time "
                "bound (a backtracking pattern over a response value would run for hours); test the value with "
                "a regex criterion, which is time-bounded",
                offset_loc(loc, offset),
            )
            return None
        return Criterion(text, kind, None, context, loc, version=version)

    def _criterion_type(self, item: YMap) -> tuple[str, str | None] | None:
        """The criterion's kind and, for jsonpath/xpath, the version its Criterion Expression Type Object
        names (``None``: RFC 9535 JSONPath, XPath 3.1); a located error and ``None`` when invalid."""
        raw = item.get("type", "simple")
        loc = item.at("type") if "type" in item else item.loc
        if isinstance(raw, YMap):
            kind, version = raw.get("type"), raw.get("version")
            if kind not in ("jsonpath", "xpath"):
                self.diagnostics.error(
                    "invalid-criteria",
                    f"the 'type' of a Criterion Expression Type Object must be jsonpath or xpath, not "
                    f"{kind!r}"
                    if kind is not None
                    else "a Criterion Expression Type Object needs 'type'",
                    raw.at("type") if "type" in raw else raw.loc,
                )
                return None
            versions = JSONPATH_VERSIONS if kind == "jsonpath" else XPATH_VERSIONS
            if version not in versions:
                allowed = ", ".join(versions)
                self.diagnostics.error(
                    "invalid-criteria",
                    f"{kind} 'version' must be {allowed}, not {version!r}"
                    if version is not None
                    else f"a Criterion Expression Type Object needs 'version' ({allowed})",
                    raw.at("version") if "version" in raw else raw.loc,
                )
                return None
            return str(kind), versions[str(version)]
        if raw not in ("simple", "regex", "jsonpath", "xpath"):
            self.diagnostics.error(
                "invalid-criteria",
                f"unknown criterion type {raw!r}; expected simple, regex, jsonpath, xpath or a Criterion "
                "Expression Type Object",
                loc,
            )
            return None
        return str(raw), None

    def _actions(self, raw: Any, kind: str, where: Loc | None = None) -> list[Action]:
        """A list of Success/Failure Action Objects or Reusable Objects (``$components.<kind>.<name>``)."""
        actions: list[Action] = []
        if raw is None:
            return actions
        if not isinstance(raw, YList):
            self._wrong_type("an action list", "a list", raw, where)
            return actions
        names: dict[str, Loc] = {}
        for index, item in enumerate(raw):
            loc = raw.at(index)
            if isinstance(item, YMap) and "reference" in item:
                item = self._component(item["reference"], item.at("reference"), kind)
                if item is None:
                    continue  # reported by _component
            if not isinstance(item, YMap):
                self._wrong_type("an action", "a mapping", item, loc)
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
        allowed = ("end", "goto", "retry") if kind == "failureActions" else ("end", "goto")
        action_type = item.get("type")
        if action_type not in allowed:
            where = "a failure action" if kind == "failureActions" else "a success action"
            self.diagnostics.error(
                "invalid-action",
                f"{where} has type end, goto"
                + (" or retry" if kind == "failureActions" else "")
                + f", not '{action_type}'",
                item.at("type") if "type" in item else loc,
            )
            return None
        name = item.get("name")
        if not isinstance(name, str) or not name:
            self.diagnostics.error(
                "missing-field", f"a {action_type} action needs a 'name'", item.loc
            )
            return None
        step_id, workflow_id = item.get("stepId"), item.get("workflowId")
        for key, value in (("stepId", step_id), ("workflowId", workflow_id)):
            if value is not None and (not isinstance(value, str) or not value):
                self._wrong_type(f"'{key}'", "a non-empty string", value, item.at(key))
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
        retry_after, retry_limit = item.get("retryAfter"), item.get("retryLimit")
        if action_type != "retry":
            for key in ("retryAfter", "retryLimit"):
                if key in item:
                    self.diagnostics.error(
                        "invalid-action",
                        f"'{key}' only applies to retry actions, not to {action_type}",
                        item.at(key),
                    )
                    return None
        if retry_after is not None and (
            isinstance(retry_after, bool)
            or not isinstance(retry_after, int | float)
            or retry_after < 0
        ):
            self._wrong_type(
                "'retryAfter'",
                "a non-negative number of seconds",
                retry_after,
                item.at("retryAfter"),
            )
            return None
        if retry_limit is not None and (
            isinstance(retry_limit, bool) or not isinstance(retry_limit, int) or retry_limit < 0
        ):
            self._wrong_type(
                "'retryLimit'", "a non-negative integer", retry_limit, item.at("retryLimit")
            )
            return None
        call = (
            self._workflow_call(workflow_id, item.at("workflowId"))
            if workflow_id is not None
            else None
        )
        if workflow_id is not None and call is None:
            return None
        return Action(
            name=name,
            kind=str(action_type),
            step_id=step_id,
            workflow_id=workflow_id,
            retry_after=float(retry_after) if retry_after is not None else None,
            retry_limit=retry_limit,
            criteria=self._criteria(item.get("criteria"), item.at("criteria")),
            loc=item.loc,
            step_loc=item.at("stepId") if step_id is not None else None,
            call=call,
        )


_CONTROL_PARAMETERS = {"sleep", "max_steps"}


def _called_workflow_ids(raw: YMap) -> set[str]:
    """The workflowIds (of this document: written bare) a workflow runs: steps, their and the workflow's
    actions, dependsOn."""
    found: set[str] = set()
    depends = raw.get("dependsOn")
    if isinstance(depends, list):
        found.update(item for item in depends if isinstance(item, str))
    holders: list[Any] = [raw]
    steps = raw.get("steps")
    holders += [step for step in steps if isinstance(step, dict)] if isinstance(steps, list) else []
    for holder in holders:
        if holder is not raw and isinstance(holder.get("workflowId"), str):
            found.add(holder["workflowId"])
        for key in ("successActions", "failureActions", "onSuccess", "onFailure"):
            actions = holder.get(key)
            for action in actions if isinstance(actions, list) else []:
                if isinstance(action, dict) and isinstance(action.get("workflowId"), str):
                    found.add(action["workflowId"])
    return found


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


def _inherit(action: Action) -> Action:
    return replace(action, inherited=True)


def _is_json_media(media: str) -> bool:
    return media == "application/json" or media.endswith("+json") or media == "*/*" or media == ""


def _pointer_tokens(target: str) -> tuple[str, ...]:
    return tuple(t.replace("~1", "/").replace("~0", "~") for t in target.split("/")[1:])


def _json_error_loc(text: str, marked: str, error: json.JSONDecodeError, loc: Loc) -> Loc:
    """Where a payload's JSON error is in the file: its line and column when that line of ``text`` is not
    changed by marking its bare ``{$...}`` (else the line's first character), inside the scalar at ``loc``."""
    lines, marked_lines = text.split("\n"), marked.split("\n")
    if len(lines) != len(marked_lines) or not 0 < error.lineno <= len(lines):
        return loc
    line = lines[error.lineno - 1]
    col = (
        error.colno
        if line == marked_lines[error.lineno - 1]
        else len(line) - len(line.lstrip()) + 1
    )
    offset = sum(len(before) + 1 for before in lines[: error.lineno - 1]) + col - 1
    return inside(loc, offset) or loc


def _mark_bare_expressions(text: str) -> tuple[str, dict[str, str]]:
    """Replace each ``{$...}`` that stands where a JSON value goes (outside JSON strings) with a unique JSON
    string, so the text parses; returns the text and marker -> ``{$...}``."""
    out: list[str] = []
    found: dict[str, str] = {}
    pos, in_string = 0, False
    while pos < len(text):
        char = text[pos]
        if in_string:
            out.append(char)
            if char == "\\":
                out.append(text[pos + 1 : pos + 2])
                pos += 2
                continue
            if char == '"':
                in_string = False
            pos += 1
            continue
        if char == '"':
            in_string = True
        elif char == "{" and text[pos + 1 : pos + 2] == "$":
            end = text.find("}", pos)
            if end != -1:
                marker = f"\u0000arazzo-expression-{len(found)}\u0000"
                found[marker] = text[pos : end + 1]
                out.append(json.dumps(marker))
                pos = end + 1
                continue
        out.append(char)
        pos += 1
    return "".join(out), found


def _json_type_fits(value: Any, kinds: list[str]) -> bool:
    for kind in kinds:
        if kind == "null" and value is None:
            return True
        if kind == "boolean" and isinstance(value, bool):
            return True
        if kind == "integer" and isinstance(value, int) and not isinstance(value, bool):
            return True
        if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
            return True
        if kind == "string" and isinstance(value, str):
            return True
        if kind == "array" and isinstance(value, list):
            return True
        if kind == "object" and isinstance(value, dict):
            return True
    return False


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
        step.outputs = {name: fix(value) for name, value in step.outputs.items()}
        fix_criteria(step.success_criteria)
        for action in step.on_success + step.on_failure:
            fix_criteria(action.criteria)
    for name, value in workflow_outputs.items():
        workflow_outputs[name] = fix(value)


def _replace(
    payload: Value, target: str, value: Value, diagnostics: Diagnostics, loc: Loc
) -> Value:
    """Apply a ``replacements`` entry (JSON Pointer target) to a literal payload tree."""
    if not target.startswith("/"):
        diagnostics.error("invalid-replacement", "a replacement target must be a JSON Pointer", loc)
        return payload
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in target.split("/")[1:]]
    node = payload
    for token in tokens[:-1]:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            diagnostics.error(
                "invalid-replacement", f"replacement target '{target}' is not in the payload", loc
            )
            return payload
    last = tokens[-1] if tokens else ""
    if isinstance(node, dict):
        node[last] = value
    elif isinstance(node, list) and last.isdigit() and int(last) < len(node):
        node[int(last)] = value
    else:
        diagnostics.error(
            "invalid-replacement", f"replacement target '{target}' is not in the payload", loc
        )
    return payload


__all__ = ["WorkflowLowering", "offset_loc"]
