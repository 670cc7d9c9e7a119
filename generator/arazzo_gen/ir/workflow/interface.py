"""A workflow's interface: its inputs (a JSON Schema object) and its outputs (also a step's outputs)."""

from __future__ import annotations

from typing import Any

from ...diagnostics import Loc, Severity, kind_of
from ...read import YMap, loc_of, to_plain
from ..model import Input
from .context import LoweringContext, Part, text_of
from .values import ValueLowering


class InterfaceLowering(Part):
    """Inputs and outputs."""

    def __init__(self, ctx: LoweringContext, values: ValueLowering) -> None:
        super().__init__(ctx)
        self.values = values

    def inputs(self, raw: YMap) -> list[Input]:
        schema = raw.get("inputs")
        if schema is None:
            return []
        _, node = self.ctx.follow(schema, raw.at("inputs"))
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
            self.ctx.wrong_type(
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
            _, prop_node = self.ctx.follow(
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
                    schema=prop_schema,
                    required=name in required,
                    description=text_of(prop_schema.get("description")),
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
            loc_of(node, "default") or self.ctx.root.loc,
        )
        return False

    def outputs(self, raw: YMap) -> tuple[dict[str, Any], dict[str, Loc]]:
        outputs: dict[str, Any] = {}
        locs: dict[str, Loc] = {}
        raw_outputs = raw.get("outputs")
        if not isinstance(raw_outputs, YMap):
            if raw_outputs is not None:
                self.ctx.wrong_type(
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
            parsed = self.values.value(
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
