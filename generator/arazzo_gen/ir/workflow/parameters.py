"""Step parameters: those of an operation step (placed by ``in``) and the inputs of a workflow step."""

from __future__ import annotations

from typing import Any

from ...diagnostics import Loc
from ...read import YList, YMap
from ..model import Operation, StepParameter, Value
from ..versions import V1_1
from .context import LoweringContext, Part
from .values import ValueLowering

_PARAM_LOCATIONS = ("path", "query", "header", "cookie")


class ParameterLowering(Part):
    """The parameters of the steps of one workflow, its workflow-level ones merged in."""

    def __init__(self, ctx: LoweringContext, values: ValueLowering) -> None:
        super().__init__(ctx)
        self.values = values
        # workflow-level parameters without 'in' (by id): not placed at some operation step / placed at one
        self._unplaced: dict[int, tuple[str, Loc]] = {}
        self._left_unplaced = (
            False  # whether the last _parameter left its (workflow-level) item unplaced
        )
        self._placed: set[int] = set()

    def reset(self) -> None:
        """Forget the workflow-level parameters of the previous workflow."""
        self._unplaced, self._placed = {}, set()

    def report_unplaced(self, raw: YMap) -> None:
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

    def call_inputs(
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
                    resolved = self.ctx.component(
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
                    self.values.value(value_node["value"], value_loc),
                    value_loc,
                    inherited,
                )
        return found, broken

    def step_parameters(
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

    def check_duplicates(self, items: YList) -> None:
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
            item = self.ctx.component(item["reference"], item.at("reference"), "parameters")
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
        # Arazzo 1.1 (OpenAPI 3.2): 'querystring', the whole query string as one value
        locations = _PARAM_LOCATIONS + (("querystring",) if self.ctx.version == V1_1 else ())
        if location not in locations:
            self.diagnostics.error(
                "invalid-parameter",
                f"parameter '{name}' needs 'in' to be one of {', '.join(locations)}",
                item.at("in") if "in" in item else item.loc,
            )
            return None
        if "value" not in item and override is None:
            self.diagnostics.error("missing-field", f"parameter '{name}' has no 'value'", item.loc)
            return None
        raw_value, value_loc = (
            override if override is not None else (item["value"], item.at("value"))
        )
        value = self.values.value(raw_value, value_loc)
        target = operation.parameter(name, str(location)) if operation else None
        if location == "querystring" and operation is not None and target is None:
            # the whole query string has nowhere to go but an operation's querystring parameter
            declared = [p.name for p in operation.parameters if p.location == "querystring"]
            self.diagnostics.error(
                "invalid-parameter",
                f"{operation.operation_id or 'the operation'} declares no querystring parameter '{name}'"
                + (f" (its querystring parameter is '{declared[0]}')" if declared else ""),
                item.at("name"),
            )
            return None
        return StepParameter(name, str(location), value, value_loc, target, item.at("name"))
