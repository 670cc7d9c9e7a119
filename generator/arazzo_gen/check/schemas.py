"""Stage 4: what a workflow reads from responses and sends in requests, checked against the OpenAPI description.

A runner finds a misspelt ``$response.body#/statex`` when the value comes back empty; the compiler sees the
operation's documented responses first.  Each JSON Pointer a step reads from its response body (outputs,
success criteria, action criteria) or from its request body is walked through the documented schema:

- a member the schema does not document, where the schema is **closed** (``additionalProperties: false``, or
  every branch of a ``oneOf``/``anyOf`` is): ``unknown-response-field`` (error), with "did you mean";
- the same where the schema is **open** (other members are allowed, the OpenAPI default):
  ``undocumented-response-field`` (warning) — the value is read, but the description does not promise it;
- an index into something documented as an object, or a member of something documented as an array or a
  scalar: ``response-pointer-type`` (warning: bodies deviate from their descriptions; the read is tolerant).

Where the description says nothing (no schema, ``{}``, a ``$ref`` it cannot follow), nothing is reported.

It also checks success criteria against the documented statuses: ``$statusCode == N`` for a status the
operation never documents (``undocumented-status``, warning), and ``$statusCode == 200`` where the operation
documents another 2xx success as well (``narrow-success-status``, warning: the Azure seed's ``Sessions_Open``
answers 200 or 201), and the literal payloads a step sends against the request body schema
(``payload-missing-property``, ``payload-type``, warnings).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..diagnostics import Diagnostics, Loc, kind_of, source_line
from ..ir import expressions as ex
from ..ir.lower_api import is_json_media
from ..ir.model import Api, Body, Criterion, Input, Operation, Program, Response, Step

_REF_PREFIX = "#/components/schemas/"
_MAX_REF_DEPTH = 64


def check_schemas(program: Program, diagnostics: Diagnostics) -> None:
    for document in program.documents:
        for workflow in document.workflows:
            for step in workflow.steps:
                if step.operation is not None and step.api is not None:
                    _check_step(step, step.api, step.operation, diagnostics)
                    _check_input_payload(
                        step, step.api, step.operation, workflow.inputs, diagnostics
                    )


def _check_step(step: Step, api: Api, op: Operation, diagnostics: Diagnostics) -> None:
    statuses = _criteria_statuses(step.success_criteria)
    success = _success_schemas(op, statuses)
    for node, loc, failure in _reads(step):
        # a failure action sees the response the step failed with: the statuses its own criteria name, else
        # any documented one (an error status, or a success status whose body the criteria rejected)
        responses = (
            _failure_schemas(op, _criteria_statuses(failure)) if failure is not None else success
        )
        for expr in ex.expressions_in(node):
            if (
                isinstance(expr, ex.ResponseRef)
                and expr.source == "body"
                and expr.pointer
                and responses
            ):
                _check_pointer(api, responses, expr.pointer, "$response.body", loc, op, diagnostics)
            elif (
                isinstance(expr, ex.RequestRef) and expr.source == "body" and expr.pointer
                and op.body is not None and op.body.schema is not None
            ):  # fmt: skip
                _check_pointer(
                    api, [op.body.schema], expr.pointer, "$request.body", loc, op, diagnostics
                )
    _check_statuses(step, op, statuses, diagnostics)
    media = (
        (step.body_content_type or (op.body.content_type if op.body else ""))
        .split(";")[0]
        .strip()
        .lower()
    )
    if (
        op.body is not None
        and op.body.schema is not None
        and isinstance(step.body, dict)
        and not media.endswith("xml")
    ):
        # (an XML payload mapping is wrapped in its root element when it is lowered: not checked member-wise)
        _check_payload(
            api, op.body.schema, step.body, (), step.body_loc or step.loc, step, op, diagnostics
        )


def _check_input_payload(
    step: Step, api: Api, op: Operation, inputs: list[Input], diagnostics: Diagnostics
) -> None:
    """A whole payload that is a workflow input (``payload: $inputs.nodes``) whose declared type the request body
    schema does not allow: an array input sent where the body is an object (a payload-type warning)."""
    body = step.body
    if not isinstance(body, ex.InputRef) or body.path or op.body is None or op.body.schema is None:
        return
    declared = next((one.schema for one in inputs if one.name == body.name), None)
    wanted = _resolve(api, op.body.schema)
    if (
        not isinstance(declared, dict)
        or wanted is None
        or any(k in wanted for k in ("oneOf", "anyOf", "allOf"))
    ):
        return
    given, documented = _types(declared) - {"null"}, _types(wanted) - {"null"}
    compatible = given & documented or ("integer" in given and "number" in documented)
    if given and documented and not compatible:
        diagnostics.warning(
            "payload-type",
            f"step '{step.step_id}': the payload is '$inputs.{body.name}', declared {' or '.join(sorted(given))}, but "
            f"the request body of {op.operation_id} documents {' or '.join(sorted(documented))}",
            step.body_loc or step.loc,
        )


def _reads(step: Step) -> Iterator[tuple[Any, Loc, list[Criterion] | None]]:
    """Every node of ``step`` that may read its own request or response, with its location, and the criteria
    of the failure action it belongs to (``None``: it reads a response the step succeeded with)."""
    for name, output in step.outputs.items():
        for leaf in expression_leaves(output):
            yield leaf, step.output_locs[name], None
    for criterion in step.success_criteria:
        for node in (criterion.condition, criterion.context):
            if node is not None:
                yield node, criterion.loc, None
    for action in step.on_success + step.on_failure:
        if action.inherited:
            continue  # a workflow-level action: written for every step, not checked against this one
        failure = action.criteria if action in step.on_failure else None
        for criterion in action.criteria:
            for node in (criterion.condition, criterion.context):
                if node is not None:
                    yield node, criterion.loc, failure


def expression_leaves(value: Any) -> Iterator[Any]:
    """Every expression-bearing leaf of a payload, parameter or output value."""
    return (leaf for _, leaf in expression_leaves_at(value))


def expression_leaves_at(
    value: Any, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every expression-bearing leaf of a value with its JSON Pointer tokens (see ``Step.body_locs``)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from expression_leaves_at(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from expression_leaves_at(item, (*path, str(index)))
    elif value is not None and not isinstance(value, str | int | float | bool):
        yield path, value


# -- statuses -------------------------------------------------------------------------------------------------
def _criteria_statuses(criteria: list[Criterion]) -> list[tuple[int, Loc]]:
    """The statuses ``criteria`` require with ``$statusCode == N`` (joined by ``&&`` or alone)."""
    found = []
    for criterion in criteria:
        if criterion.kind != "simple" or criterion.condition is None:
            continue
        condition = criterion.condition
        conjuncts = [condition]
        while conjuncts:
            current = conjuncts.pop()
            if isinstance(current, ex.And):
                conjuncts.extend([current.left, current.right])
            elif isinstance(current, ex.Compare) and current.op == "==":
                for one, other in ((current.left, current.right), (current.right, current.left)):
                    if (
                        isinstance(one, ex.StatusCode) and isinstance(other, ex.Literal)
                        and isinstance(other.value, int) and not isinstance(other.value, bool)
                    ):  # fmt: skip
                        found.append((other.value, criterion.loc))
    return found


def _documents(op: Operation, status: int) -> bool:
    keys = {r.status.upper() for r in op.responses}
    return str(status) in keys or f"{status // 100}XX" in keys or "DEFAULT" in keys


def _check_statuses(
    step: Step, op: Operation, statuses: list[tuple[int, Loc]], diagnostics: Diagnostics
) -> None:
    documented = sorted(r.status for r in op.responses)
    for status, loc in statuses:
        if op.responses and not _documents(op, status):
            diagnostics.warning(
                "undocumented-status",
                f"step '{step.step_id}' succeeds only on status {status}, which {op.operation_id} does not "
                f"document (documented: {', '.join(documented)})",
                loc,
            )
        elif status == 200:
            others = [
                r.status
                for r in op.responses
                if r.status.isdigit() and r.status[0] == "2" and r.status != "200"
            ]
            if others:
                diagnostics.warning(
                    "narrow-success-status",
                    f"step '{step.step_id}' succeeds only on status 200, but {op.operation_id} also documents "
                    f"{', '.join(sorted(others))} as success; the step fails on those (write "
                    "'$statusCode >= 200 && $statusCode < 300' to accept any success)",
                    loc,
                )


def _success_schemas(op: Operation, statuses: list[tuple[int, Loc]]) -> list[Any]:
    """The body schemas of the responses the step can succeed with (the ones its criteria name, else the
    documented 2xx, else ``default``), or ``[]`` when one of them has no JSON schema (nothing is known then)."""
    wanted = {status for status, _ in statuses}
    chosen = (
        _with_status(op, wanted)
        if wanted
        else [r for r in op.responses if r.status.upper().startswith("2")]
    )
    return _json_schemas(chosen or ([] if wanted else _default(op)))


def _failure_schemas(op: Operation, statuses: list[tuple[int, Loc]]) -> list[Any]:
    """The body schemas of the responses a failure action whose criteria require ``statuses`` can see (any
    documented response when they require none; ``default`` for a required status nothing else documents),
    or ``[]`` when one of them has no JSON schema."""
    wanted = {status for status, _ in statuses}
    if not wanted:
        return _json_schemas(list(op.responses))
    return _json_schemas(_with_status(op, wanted) or _default(op))


def _with_status(op: Operation, wanted: set[int]) -> list[Response]:
    """The responses documented for one of the ``wanted`` statuses (exactly or by range)."""
    keys = {str(s) for s in wanted} | {f"{s // 100}XX" for s in wanted}
    return [r for r in op.responses if r.status.upper() in keys]


def _default(op: Operation) -> list[Response]:
    return [r for r in op.responses if r.status.upper() == "DEFAULT"]


def _json_schemas(chosen: list[Response]) -> list[Any]:
    """The schemas of ``chosen``, or ``[]`` when there is none or one has no JSON schema."""
    if not chosen or any(
        r.schema is None or r.content_type is None or not _is_json(r.content_type) for r in chosen
    ):
        return []
    return [r.schema for r in chosen]


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json") or media == "*/*"


# -- schemas --------------------------------------------------------------------------------------------------
@dataclass
class _Step:
    """What the schemas say about one pointer token."""

    children: list[Any] = field(default_factory=list)  # the schemas of the value the token selects
    unknown: bool = False  # some schema says nothing that can be checked: accept the token
    closed: bool = True  # every object schema forbids undocumented members
    names: set[str] = field(default_factory=set)  # documented member names (for "did you mean")
    kinds: set[str] = field(
        default_factory=set
    )  # what the schemas document instead (object, array, ...)


def _resolve(api: Api, schema: Any) -> Any:
    depth = 0
    while (
        isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and depth < _MAX_REF_DEPTH
    ):
        ref = schema["$ref"]
        if not ref.startswith(_REF_PREFIX):
            return None
        schema = api.schemas.get(ref[len(_REF_PREFIX) :])
        depth += 1
    return schema if isinstance(schema, dict) else None


def empty_object_body(body: Body, api: Api) -> bool:
    """Whether the empty JSON object is a valid body for a required request body: a JSON media type whose schema
    is absent or an object schema that requires no property (Cloudflare's DELETE operations declare such bodies;
    the workflows that call them send none)."""
    if not is_json_media(body.content_type):
        return False
    schema = _resolve(api, body.schema) if body.schema is not None else None
    if not schema:
        return True
    if any(key in schema for key in ("allOf", "anyOf", "oneOf", "not")):
        return False
    return (
        schema.get("type", "object") == "object"
        and not schema.get("required")
        and not schema.get("minProperties")
    )


def _select(api: Api, schemas: Iterable[Any], token: str) -> _Step:
    result = _Step()
    for schema in schemas:
        _select_one(api, schema, token, result, 0)
    return result


def _select_one(api: Api, schema: Any, token: str, result: _Step, depth: int) -> None:
    resolved = _resolve(api, schema)
    if resolved is None or depth > _MAX_REF_DEPTH:
        result.unknown = True
        return
    parts = resolved.get("allOf")
    alternatives = [*(resolved.get("oneOf") or []), *(resolved.get("anyOf") or [])]
    own = {k: v for k, v in resolved.items() if k not in ("allOf", "oneOf", "anyOf")}
    if isinstance(parts, list) and parts:
        # the members of every part are allowed together (how descriptions use allOf); the own keywords
        # are one more part
        merged = _Step()
        for part in [*parts, own] if _has_shape(own) else parts:
            _select_one(api, part, token, merged, depth + 1)
        _merge_all(result, merged)
        return
    if alternatives:
        for alternative in alternatives:
            _select_one(api, alternative, token, result, depth + 1)
        if _has_shape(own):
            _select_one(api, own, token, result, depth + 1)
        return
    _select_plain(resolved, token, result)


def _merge_all(result: _Step, merged: _Step) -> None:
    """An allOf: the token is documented if any part documents it; closed only if no part is open."""
    result.children.extend(merged.children)
    result.names |= merged.names
    result.kinds |= merged.kinds
    if merged.unknown:
        result.unknown = True
    if not merged.closed:
        result.closed = False


def _has_shape(schema: dict[str, Any]) -> bool:
    return any(
        key in schema
        for key in ("type", "properties", "items", "additionalProperties", "prefixItems")
    )


def _types(schema: dict[str, Any]) -> set[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return {t for t in declared if isinstance(t, str)}
    if "properties" in schema or "additionalProperties" in schema:
        return {"object"}
    if "items" in schema or "prefixItems" in schema:
        return {"array"}
    return set()


def _select_plain(schema: dict[str, Any], token: str, result: _Step) -> None:
    types = _types(schema) - {"null"}
    if not types:
        result.unknown = True
        return
    if "object" in types:
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        result.names |= set(properties)
        if token in properties:
            result.children.append(properties[token])
            return
        extra = schema.get("additionalProperties")
        patterns = schema.get("patternProperties")
        if isinstance(patterns, dict) and patterns:
            for pattern, sub in patterns.items():
                try:
                    if re.search(pattern, token):
                        result.children.append(sub)
                        return
                except re.error:
                    result.unknown = True
                    return
        if extra is False or schema.get("unevaluatedProperties") is False:
            result.kinds.add("object")
            return  # closed: stays closed
        result.closed = False
        if isinstance(extra, dict):
            result.children.append(extra)
        else:
            result.unknown = result.unknown or not properties  # a free-form object says nothing
        if properties:
            result.kinds.add("object")
        return
    if "array" in types:
        if token.isdigit():
            prefix = schema.get("prefixItems")
            index = int(token)
            if isinstance(prefix, list) and index < len(prefix):
                result.children.append(prefix[index])
            elif isinstance(schema.get("items"), dict):
                result.children.append(schema["items"])
            else:
                result.unknown = True
            return
        result.kinds.add("array")
        return
    result.kinds.add(min(types))


def _check_pointer(
    api: Api, schemas: list[Any], tokens: tuple[str, ...], base: str, loc: Loc, op: Operation,
    diagnostics: Diagnostics,
) -> None:  # fmt: skip
    current = schemas
    for index, token in enumerate(tokens):
        step = _select(api, current, token)
        if step.unknown:
            return  # some schema on the way says nothing checkable about this member
        if step.children:
            current = step.children
            continue
        where = "#" + ex.pointer_text(tokens[:index]) if index else "the body"
        written = f"{base}#{ex.pointer_text(tokens)}"
        at = _token_loc(loc, base, tokens, index)
        if step.names:
            hint = difflib.get_close_matches(token, sorted(step.names), n=1)
            suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
            documented = ", ".join(sorted(step.names)[:12]) + (
                ", ..." if len(step.names) > 12 else ""
            )
            closed = (
                f"'{written}': {where} of {op.operation_id} has no member '{token}' and allows no other "
                f"(documented: {documented}){suggestion}"
            )
            if step.closed and base == "$response.body":
                diagnostics.error("unknown-response-field", closed, at)
            elif step.closed:
                diagnostics.error("unknown-request-field", closed, at)
            elif base == "$response.body":
                diagnostics.warning(
                    "undocumented-response-field",
                    f"'{written}': {op.operation_id} does not document a member '{token}' in {where} "
                    f"(documented: {documented}), so it is read only if the API sends it anyway{suggestion}",
                    at,
                )
            else:
                diagnostics.warning(
                    "undocumented-request-field",
                    f"'{written}': the request body of {op.operation_id} does not document a member '{token}' in "
                    f"{where} (documented: {documented}){suggestion}",
                    at,
                )
        elif step.kinds:
            kind = " or ".join(sorted(step.kinds))
            what = f"index {token}" if token.isdigit() else f"member '{token}'"
            message = (
                f"'{written}': {where} of {op.operation_id} is documented as {_article(kind)}, which has no {what}; "
                "the value is read if the body has it anyway"
            )
            # a warning: mocks and real APIs send bodies their descriptions do not describe (issue 6: responses
            # are read tolerantly), and reading an absent value fails the step by name at run time
            if base == "$response.body":
                diagnostics.warning("response-pointer-type", message, at)
            else:
                diagnostics.warning("request-pointer-type", message, at)
        return


def _article(kind: str) -> str:
    return ("an " if kind[:1] in "aeiou" else "a ") + kind


def _token_loc(loc: Loc, base: str, tokens: tuple[str, ...], index: int) -> Loc:
    """The column of token ``index`` of the pointer where the expression is written on ``loc``'s line."""
    line = source_line(loc.file, loc.line)
    if line is None:
        return loc
    prefix = f"{base}#{ex.pointer_text(tokens[:index])}/"
    start = line.find(prefix, max(loc.col - 1, 0))
    if start < 0:
        return loc
    token_text = ex.pointer_text(tokens[index : index + 1])[1:]
    return Loc(loc.file, loc.line, start + len(prefix) + 1, len(token_text))


# -- payloads -------------------------------------------------------------------------------------------------
_JSON_TYPES = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,), "array": (list,),
    "object": (dict,), "null": (type(None),),
}  # fmt: skip


def _check_payload(
    api: Api, schema: Any, value: Any, path: tuple[str, ...], loc: Loc, step: Step, op: Operation,
    diagnostics: Diagnostics, depth: int = 0,
) -> None:  # fmt: skip
    """Literal members of a payload against the request body schema: required members missing, literal
    values of another type.  Values computed at run time (expressions) are not checked."""
    resolved = _resolve(api, schema)
    if resolved is None or depth > _MAX_REF_DEPTH:
        return
    if any(key in resolved for key in ("oneOf", "anyOf")):
        return  # which alternative is meant is not known
    parts = [_resolve(api, part) for part in resolved.get("allOf") or []]
    if any(part is None for part in parts):
        return
    schemas = [resolved, *[p for p in parts if p is not None]]
    where = "the payload" if not path else f"payload member '#{ex.pointer_text(path)}'"
    if isinstance(value, dict):
        required: list[str] = []
        properties: dict[str, Any] = {}
        for one in schemas:
            if isinstance(one.get("required"), list):
                required.extend(r for r in one["required"] if isinstance(r, str))
            if isinstance(one.get("properties"), dict):
                properties.update(one["properties"])
        missing = [name for name in dict.fromkeys(required) if name not in value]
        if missing:
            diagnostics.warning(
                "payload-missing-property",
                f"step '{step.step_id}': {where} lacks {', '.join(repr(m) for m in missing)}, required by the "
                f"request body of {op.operation_id}",
                loc,
            )
        for name, item in value.items():
            if name in properties:
                _check_payload(
                    api,
                    properties[name],
                    item,
                    (*path, name),
                    loc,
                    step,
                    op,
                    diagnostics,
                    depth + 1,
                )
        return
    if value is None or not isinstance(value, str | int | float | bool | list):
        return  # an expression or a template: its type is known at run time only
    declared: set[str] = set()
    for one in schemas:
        declared |= _types(one)
    if not declared or (isinstance(value, str) and value.startswith("$")):
        return
    allowed = tuple(t for name in declared for t in _JSON_TYPES.get(name, ()))
    ok = isinstance(value, allowed) and not (isinstance(value, bool) and bool not in allowed)
    if not ok and allowed:
        diagnostics.warning(
            "payload-type",
            f"step '{step.step_id}': {where} is {kind_of(value)}, but the request body of {op.operation_id} "
            f"documents {' or '.join(sorted(declared))}",
            loc,
        )
    elif isinstance(value, list) and isinstance(resolved.get("items"), dict):
        for index, item in enumerate(value):
            _check_payload(
                api,
                resolved["items"],
                item,
                (*path, str(index)),
                loc,
                step,
                op,
                diagnostics,
                depth + 1,
            )
