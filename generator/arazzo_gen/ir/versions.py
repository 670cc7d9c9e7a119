"""Which Arazzo version a document is written in, and the Arazzo 1.1 features arazzo-gen does not compile yet.

The ``arazzo`` field decides (the specification: "The `arazzo` field MUST be used by tooling to interpret the
Arazzo Description"): ``1.1.x`` is read as Arazzo 1.1.0, everything else as Arazzo 1.0.1 (``arazzo-version``
warns about what is neither 1.0.x nor 1.1.x).  A 1.1 document knows its 1.1 fields (no ``unknown-field``), and
every 1.1 feature whose 1.1 meaning arazzo-gen does not compile yet is a located ``unsupported-feature``
**error** naming the feature, so that no 1.1 document is built with another meaning (issue 17):
a step ``dependsOn`` in a workflow with actions that a path reaches before the steps it names, and a
``draft-goessner-dispatch-jsonpath-00`` query with a filter (in a criterion, a Selector Object or a replacement
target).  AsyncAPI sources and steps are compiled (:mod:`.lower_asyncapi`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from ..diagnostics import Diagnostics, Loc
from ..read import YList, YMap

ARAZZO_1_0 = re.compile(r"1\.0\.\d+(-.+)?")  # the versions the Arazzo 1.0 JSON Schema accepts
ARAZZO_1_1 = re.compile(r"1\.1\.\d+(-.+)?")  # the versions the Arazzo 1.1 JSON Schema accepts

Refuse = Callable[..., None]  # refuse(feature, loc): an unsupported-feature error

V1_0 = "1.0"
V1_1 = "1.1"


_SELECTOR_FIELDS = {"context", "selector", "type"}


def version_of(root: Any) -> str:
    """``"1.1"`` for a document whose ``arazzo`` field is a 1.1.x version string, else ``"1.0"``."""
    version = root.get("arazzo") if isinstance(root, YMap | dict) else None
    return V1_1 if isinstance(version, str) and ARAZZO_1_1.fullmatch(version) else V1_0


def is_selector(value: Any) -> bool:
    """Whether a payload member is written as an Arazzo 1.1 Selector Object: a mapping with ``context`` and
    ``selector`` and no other field but ``type`` and extensions (a payload may hold objects of its own with a
    ``selector`` member; outputs, parameter values and replacement values are Selector Objects whenever they
    are objects)."""
    return (
        isinstance(value, YMap)
        and "selector" in value
        and "context" in value
        and all(key in _SELECTOR_FIELDS or key.startswith("x-") for key in value)
    )


def is_pointer_selector(value: Any) -> bool:
    """Whether ``value`` is a Selector Object of type ``jsonpointer`` (compiled: :mod:`.workflow.values`)."""
    return is_selector(value) and is_json_pointer_type(value.get("type"))


def selector_kind(value: Any) -> tuple[str | None, str | None]:
    """The kind (``jsonpath``, ``xpath``, ``jsonpointer``) and version (``None``: the default) a Selector
    Object's ``type`` or a ``targetSelectorType`` names; ``(None, None)`` for what is neither (reported by
    :func:`check_structure`)."""
    if isinstance(value, YMap):
        kind, version = value.get("type"), value.get("version")
        if kind in _EXPRESSION_VERSIONS and version in _EXPRESSION_VERSIONS[kind]:
            return kind, version
        return None, None
    return (value, None) if value in _EXPRESSION_VERSIONS else (None, None)


def is_query_selector(value: Any) -> bool:
    """Whether ``value`` is a Selector Object of type ``jsonpath`` or ``xpath`` (compiled: :mod:`.workflow.values`)."""
    return is_selector(value) and selector_kind(value.get("type"))[0] in ("jsonpath", "xpath")


def is_json_pointer_type(value: Any) -> bool:
    """Whether a Selector Object's ``type`` says JSON Pointer (``jsonpointer``, or its Expression Type Object
    with ``rfc6901``)."""
    if isinstance(value, YMap):
        return value.get("type") == "jsonpointer" and value.get("version") == "rfc6901"
    return bool(value == "jsonpointer")


def check_unsupported(root: YMap, diagnostics: Diagnostics) -> None:
    """Report every Arazzo 1.1 feature of the 1.1 document ``root`` that arazzo-gen does not compile yet."""

    def refuse(feature: str, loc: Loc) -> None:
        diagnostics.error(
            "unsupported-feature",
            f"{feature} (Arazzo 1.1) is not supported by arazzo-gen yet; the document is not built rather "
            "than built with another meaning",
            loc,
        )

    for workflow in _items(root.get("workflows")):
        if not isinstance(workflow, YMap):
            continue
        _parameters(workflow.get("parameters"), refuse)
        _outputs(workflow.get("outputs"), refuse)
        for key in ("successActions", "failureActions"):
            _actions(workflow.get(key), refuse)
        steps = [step for step in _items(workflow.get("steps")) if isinstance(step, YMap)]
        for step in steps:
            _depends_on(step, steps, refuse, diagnostics)
            _parameters(step.get("parameters"), refuse)
            _outputs(step.get("outputs"), refuse)
            body = step.get("requestBody")
            if isinstance(body, YMap):
                if "payload" in body:
                    for loc, found in _payload_selectors(body.get("payload"), body.at("payload")):
                        _goessner_filter(found.get("type"), found.get("selector"), found.at("selector")
                                         if "selector" in found else loc, refuse)  # fmt: skip
                for replacement in _items(body.get("replacements")):
                    if not isinstance(replacement, YMap):
                        continue
                    _goessner_filter(replacement.get("targetSelectorType"), replacement.get("target"),
                                     replacement.at("target") if "target" in replacement else replacement.loc,
                                     refuse)  # fmt: skip
                    _selector_value(replacement.get("value"), replacement.at("value"), refuse)
            _criteria(step.get("successCriteria"), refuse)
            for key in ("onSuccess", "onFailure"):
                _actions(step.get(key), refuse)
    components = root.get("components")
    if isinstance(components, YMap):
        parameters = components.get("parameters")
        if isinstance(parameters, YMap):
            for item in parameters.values():
                _parameter(item, refuse)
        for key in ("successActions", "failureActions"):
            table = components.get(key)
            if isinstance(table, YMap):
                for item in table.values():
                    _action(item, refuse)


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, YList) else []


def _depends_on(step: YMap, steps: list[YMap], refuse: Refuse, diagnostics: Diagnostics) -> None:
    """A step-level ``dependsOn`` (1.1: "Tools supporting only sequential execution MUST execute steps in an
    order that satisfies both explicit (dependsOn) and implicit (output reference) dependencies").  In a
    workflow without actions the steps are ordered to satisfy it (:mod:`.workflow.order`); in one with actions,
    it is compiled where every path to the step passes the success of the steps it names
    (:mod:`arazzo_gen.check.checks`).  An entry naming a step of another workflow is refused."""
    depends = step.get("dependsOn")
    if "dependsOn" not in step or not isinstance(depends, YList):
        return
    known = {other.get("stepId") for other in steps}
    for index, entry in enumerate(depends):
        if not isinstance(entry, str) or entry.startswith("$"):
            if isinstance(entry, str):
                refuse("a step-level 'dependsOn' on a step of another workflow", depends.at(index))
            continue
        if entry not in known:
            diagnostics.error(
                "unknown-step",
                f"'dependsOn' names step '{entry}', which is not a step of this workflow",
                depends.at(index),
            )
        elif entry == step.get("stepId"):
            diagnostics.error(
                "invalid-step", f"step '{entry}' cannot depend on itself", depends.at(index)
            )


def _parameters(value: Any, refuse: Refuse) -> None:
    for item in _items(value):
        _parameter(item, refuse)


def _actions(value: Any, refuse: Refuse) -> None:
    for item in _items(value):
        _action(item, refuse)


def _parameter(item: Any, refuse: Refuse) -> None:
    if not isinstance(item, YMap):
        return
    _selector_value(item.get("value"), item.at("value") if "value" in item else item.loc, refuse)


def _outputs(value: Any, refuse: Refuse) -> None:
    if isinstance(value, YMap):
        for name, output in value.items():
            _selector_value(output, value.at(name), refuse)


def _selector_value(value: Any, loc: Loc, refuse: Refuse) -> None:
    """An object where 1.1 allows an expression or a Selector Object (an output, a parameter value, a
    replacement value) is a Selector Object: jsonpointer, jsonpath and xpath ones are compiled, but for a
    ``draft-goessner-dispatch-jsonpath-00`` query with a filter."""
    if isinstance(value, YMap):
        selector = value.get("selector")
        _goessner_filter(value.get("type"), selector, value.at("selector") if "selector" in value else loc,
                         refuse)  # fmt: skip


def _goessner_filter(kind: Any, query: Any, loc: Loc, refuse: Refuse) -> None:
    """1.1: "implementations MUST apply the semantics defined in that version's specification"; the draft's
    filters compare as JavaScript does and apply to arrays only, RFC 9535's do not: refused."""
    if (
        isinstance(kind, YMap)
        and kind.get("version") == "draft-goessner-dispatch-jsonpath-00"
        and "?" in str(query)
    ):
        refuse("a filter '?(...)' in a draft-goessner-dispatch-jsonpath-00 query", loc)


def _action(item: Any, refuse: Refuse) -> None:
    if not isinstance(item, YMap):
        return
    if (
        "reference" not in item
    ):  # its parameters are compiled (ir/workflow/actions.py), not every value yet
        for parameter in _items(item.get("parameters")):
            if isinstance(parameter, YMap):
                _selector_value(parameter.get("value"), parameter.loc, refuse)
    _criteria(item.get("criteria"), refuse)


def _criteria(value: Any, refuse: Refuse) -> None:
    for item in _items(value):
        if isinstance(item, YMap):
            _goessner_filter(item.get("type"), item.get("condition"),
                             item.at("condition") if "condition" in item else item.loc, refuse)  # fmt: skip


# -- the structure of the 1.1 objects (what the published 1.1 JSON Schema checks) -----------------------------
_EXPRESSION_VERSIONS = {
    "jsonpath": ("rfc9535", "draft-goessner-dispatch-jsonpath-00"),
    "xpath": ("xpath-10", "xpath-20", "xpath-30", "xpath-31"),
    "jsonpointer": ("rfc6901",),
}
_STEP_REFERENCE = re.compile(
    r"[^$].*|\$workflows\.[^.]+\.steps\.[^.]+|\$sourceDescriptions\.[^.]+\.[^.]+\.steps\.[^.]+",
    re.DOTALL,
)


def check_structure(root: YMap, diagnostics: Diagnostics) -> None:
    """The structural rules of Arazzo 1.1 objects that 1.0 does not have, for the 1.1 document ``root``:
    ``$self`` (a URI reference without a fragment), AsyncAPI step fields (``action`` send or receive,
    ``channelPath`` with an ``action``, ``correlationId`` only on a receive, none of them on a step that runs a
    workflow), step ``dependsOn`` (a non-empty list of distinct stepIds or step references), ``timeout`` (an
    integer), non-empty ``successCriteria`` and action ``criteria``, and Selector Objects."""
    self_uri = root.get("$self")
    if "$self" in root and (not isinstance(self_uri, str) or "#" in self_uri):
        diagnostics.error(
            "invalid-self",
            "'$self' must be a URI reference without a fragment ('#...')"
            if isinstance(self_uri, str)
            else "'$self' must be a string (a URI reference)",
            root.at("$self"),
        )
    for workflow in _items(root.get("workflows")):
        if not isinstance(workflow, YMap):
            continue
        _selector_slots(workflow, diagnostics)
        for key in ("successActions", "failureActions"):
            _action_criteria(workflow.get(key), diagnostics)
        for step in _items(workflow.get("steps")):
            if isinstance(step, YMap):
                _step(step, diagnostics)
    components = root.get("components")
    if isinstance(components, YMap):
        parameters = components.get("parameters")
        for item in parameters.values() if isinstance(parameters, YMap) else []:
            if isinstance(item, YMap) and isinstance(item.get("value"), YMap):
                _selector(item["value"], item.at("value"), diagnostics)
        for key in ("successActions", "failureActions"):
            table = components.get(key)
            _action_criteria(list(table.values()) if isinstance(table, YMap) else None, diagnostics)


def _step(step: YMap, diagnostics: Diagnostics) -> None:
    def invalid(message: str, key: str) -> None:
        diagnostics.error("invalid-step", message, step.at(key))

    action = step.get("action")
    if "action" in step and action not in ("send", "receive"):
        invalid(f"'action' must be send or receive, not {action!r}", "action")
    if "workflowId" in step:
        for key in ("action", "correlationId", "channelPath"):
            if key in step:
                invalid(
                    f"'{key}' belongs to an AsyncAPI step, not to a step that runs a workflow", key
                )
    elif "channelPath" in step and "action" not in step:
        invalid("a 'channelPath' step needs an 'action' (send or receive)", "channelPath")
    if "correlationId" in step and "workflowId" not in step and action != "receive":
        invalid("'correlationId' applies only to a step with 'action: receive'", "correlationId")
    if "timeout" in step and (
        not isinstance(step["timeout"], int) or isinstance(step["timeout"], bool)
    ):
        diagnostics.error(
            "invalid-type", "'timeout' must be an integer (milliseconds)", step.at("timeout")
        )
    if "dependsOn" in step:
        depends = step["dependsOn"]
        if not isinstance(depends, YList) or not depends:
            invalid("a step's 'dependsOn' must be a non-empty list of stepIds", "dependsOn")
        else:
            seen: set[Any] = set()
            for index, item in enumerate(depends):
                if not isinstance(item, str) or not _STEP_REFERENCE.fullmatch(item):
                    diagnostics.error(
                        "invalid-step",
                        f"a 'dependsOn' entry must be a stepId, '$workflows.<workflowId>.steps.<stepId>' or "
                        f"'$sourceDescriptions.<name>.<workflowId>.steps.<stepId>', not {item!r}",
                        depends.at(index),
                    )
                elif item in seen:
                    diagnostics.error(
                        "invalid-step", f"'dependsOn' lists '{item}' twice", depends.at(index)
                    )
                seen.add(item)
    criteria = step.get("successCriteria")
    if isinstance(criteria, YList) and not criteria:
        diagnostics.error(
            "invalid-criteria",
            "'successCriteria' must hold at least one criterion (Arazzo 1.1); leave it out for none",
            step.at("successCriteria"),
        )
    for key in ("onSuccess", "onFailure"):
        _action_criteria(step.get(key), diagnostics)
    _selector_slots(step, diagnostics)
    body = step.get("requestBody")
    if isinstance(body, YMap):
        if "payload" in body:
            for loc, value in _payload_selectors(body.get("payload"), body.at("payload")):
                _selector(value, loc, diagnostics)
        for replacement in _items(body.get("replacements")):
            if not isinstance(replacement, YMap):
                continue
            if isinstance(replacement.get("value"), YMap):
                _selector(replacement["value"], replacement.at("value"), diagnostics)
            if "targetSelectorType" in replacement:
                _selector_type(replacement["targetSelectorType"], replacement.at("targetSelectorType"),
                               diagnostics, "targetSelectorType")  # fmt: skip


def _selector_slots(owner: YMap, diagnostics: Diagnostics) -> None:
    """The Selector Objects of ``owner``'s outputs and parameter values (an object there is one in 1.1)."""
    outputs = owner.get("outputs")
    if isinstance(outputs, YMap):
        for name, output in outputs.items():
            if isinstance(output, YMap):
                _selector(output, outputs.at(name), diagnostics)
    for item in _items(owner.get("parameters")):
        if (
            isinstance(item, YMap)
            and "reference" not in item
            and isinstance(item.get("value"), YMap)
        ):
            _selector(item["value"], item.at("value"), diagnostics)


def _action_criteria(value: Any, diagnostics: Diagnostics) -> None:
    """Non-empty action ``criteria``, and the Selector Objects of the actions' parameter values."""
    for item in value if isinstance(value, list) else []:
        if isinstance(item, YMap):
            _selector_slots(item, diagnostics)
        if (
            isinstance(item, YMap)
            and isinstance(item.get("criteria"), YList)
            and not item["criteria"]
        ):
            diagnostics.error(
                "invalid-criteria",
                "an action's 'criteria' must hold at least one criterion (Arazzo 1.1); leave it out for none",
                item.at("criteria"),
            )


def _payload_selectors(value: Any, loc: Loc) -> Iterator[tuple[Loc, YMap]]:
    if is_selector(value):
        yield loc, value
    elif isinstance(value, YMap):
        for key, item in value.items():
            yield from _payload_selectors(item, value.at(key))
    elif isinstance(value, YList):
        for index, item in enumerate(value):
            yield from _payload_selectors(item, value.at(index))


def _selector(value: YMap, loc: Loc, diagnostics: Diagnostics) -> None:
    """A Selector Object: ``context`` and ``selector`` strings and a ``type``, nothing else but extensions."""
    for key in value:
        if key not in _SELECTOR_FIELDS and not key.startswith("x-"):
            diagnostics.error(
                "invalid-selector",
                f"'{key}' is not a field of a Selector Object (its fields are context, selector, type and x- "
                "extensions)",
                value.key_at(key),
            )
    for key in ("context", "selector", "type"):
        if key not in value:
            diagnostics.error("invalid-selector", f"a Selector Object needs '{key}'", loc)
        elif key != "type" and not isinstance(value[key], str):
            diagnostics.error(
                "invalid-selector", f"a Selector Object's '{key}' must be a string", value.at(key)
            )
    if "type" in value:
        _selector_type(value["type"], value.at("type"), diagnostics, "a Selector Object's 'type'")


def _selector_type(value: Any, loc: Loc, diagnostics: Diagnostics, what: str) -> None:
    """``jsonpath``, ``xpath``, ``jsonpointer`` or an Expression Type Object with a version of its type."""
    if isinstance(value, str):
        if value not in _EXPRESSION_VERSIONS:
            diagnostics.error(
                "invalid-selector",
                f"{what} must be jsonpath, xpath or jsonpointer, not {value!r}",
                loc,
            )
        return
    if not isinstance(value, YMap):
        diagnostics.error(
            "invalid-selector", f"{what} must be a string or an Expression Type Object", loc
        )
        return
    kind, version = value.get("type"), value.get("version")
    if kind not in _EXPRESSION_VERSIONS:
        diagnostics.error(
            "invalid-selector", f"an Expression Type Object's 'type' must be jsonpath, xpath or jsonpointer, not "
            f"{kind!r}", value.at("type") if "type" in value else loc,
        )  # fmt: skip
    elif version not in _EXPRESSION_VERSIONS[kind]:
        diagnostics.error(
            "invalid-selector",
            f"{kind} 'version' must be {', '.join(_EXPRESSION_VERSIONS[kind])}, not {version!r}",
            value.at("version") if "version" in value else loc,
        )
