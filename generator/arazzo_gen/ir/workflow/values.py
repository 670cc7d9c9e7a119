"""Values of an Arazzo document: literals with runtime expressions parsed, build-time references folded."""

from __future__ import annotations

import difflib
import json
import re
from typing import Any, get_args

import jsonpath_rfc9535
from jsonpath_rfc9535.segments import JSONPathChildSegment
from jsonpath_rfc9535.selectors import IndexSelector, JSONPathSelector, NameSelector

from ...diagnostics import Loc
from ...read import YList, YMap, to_plain
from ...read.positions import find_inside
from .. import expressions as ex
from ..criteria import (
    DEFAULT_XPATH,
    XPATH_VERSIONS_1_1,
    check_jsonpath,
    check_xpath,
    xpath_regex_call,
)
from ..expressions import ExpressionError, Nonstandard, parse_value
from ..model import Value
from ..versions import V1_1, is_pointer_selector, is_query_selector, selector_kind
from .context import Part, offset_loc, part_loc

_EXPR_NODES = get_args(ex.Expr)  # the runtime expression node classes


def _token(selector: JSONPathSelector) -> str | int | None:
    """A JSONPath selector as a step of a path through the schema: a name, an index, or ``None`` for any item
    (a wildcard, a slice, a filter)."""
    if isinstance(selector, NameSelector):
        return selector.name
    if isinstance(selector, IndexSelector):
        return selector.index
    return None


_DOLLAR_WORD = re.compile(r"(?<![\w$])\$([A-Za-z][A-Za-z0-9_]*)")


class ValueLowering(Part):
    """Parameter, payload and output values; the build-time operands of conditions."""

    def value(self, node: Any, loc: Loc) -> Value:
        """A payload/parameter value: literals stay, strings with runtime expressions are parsed."""
        if self.ctx.version == V1_1 and is_pointer_selector(node):
            return self._pointer_selector(node, loc)
        if self.ctx.version == V1_1 and is_query_selector(node):
            return self._query_selector(node)
        if isinstance(node, YMap):
            return {key: self.value(value, node.at(key)) for key, value in node.items()}
        if isinstance(node, YList):
            return [self.value(value, node.at(index)) for index, value in enumerate(node)]
        if isinstance(node, str):
            return self.expression(node, loc)
        return node

    def _pointer_selector(self, node: YMap, loc: Loc) -> Any:
        """An Arazzo 1.1 Selector Object of type ``jsonpointer``: the value its ``selector`` (a JSON Pointer,
        RFC 6901) selects in its ``context``, i.e. the context expression with the pointer appended
        (``{context: $response.body, selector: /a/0}`` is ``$response.body#/a/0``), typed where the context's
        schema is known; a malformed one is reported by ir/versions.py."""
        context, selector = node.get("context"), node.get("selector")
        if not isinstance(context, str) or not isinstance(selector, str):
            return None
        base = self.expression(context, node.at("context"))
        if base is None:
            return None
        if isinstance(
            base, str | int | float | bool | ex.Template
        ):  # text, or a folded source field
            self.diagnostics.error(
                "invalid-selector",
                f"the context of a jsonpointer selector must be a runtime expression whose value is JSON, not "
                f"{context!r}",
                node.at("context"),
            )
            return None
        if selector and not selector.startswith("/"):
            self.diagnostics.error(
                "invalid-selector",
                f"a jsonpointer selector must be a JSON Pointer ('' or '/...'), not {selector!r}",
                node.at("selector"),
            )
            return None
        tokens = ex.pointer_tokens(selector)
        try:
            return ex.extend_path(base, tokens) if tokens else base
        except ExpressionError as error:
            self.diagnostics.error(
                "invalid-selector",
                f"the context of a jsonpointer selector must be a JSON value: {error.message}",
                node.at("context"),
            )
            return None

    def _query_selector(self, node: YMap) -> Any:
        """An Arazzo 1.1 Selector Object of type ``jsonpath`` or ``xpath``: its query, checked here (a query that
        does not parse is ``invalid-selector``; an XPath function that would run a regular expression without a
        time bound is ``xpath-regex``, as in a criterion), applied to its context's value at run time
        (:class:`~..expressions.Select`; the generated code calls ``jsonpath_value``/``jsonpath_values``/
        ``jsonpath_output`` or ``xpath_value``).  ``None`` (reported) for a malformed one."""
        context, selector = node.get("context"), node.get("selector")
        kind, version = selector_kind(node.get("type"))
        if not isinstance(context, str) or not isinstance(selector, str) or kind is None:
            return None  # reported by ir/versions.py
        if version == "draft-goessner-dispatch-jsonpath-00" and "?" in selector:
            return None  # a filter of the draft: refused (ir/versions.py)
        base = self.expression(context, node.at("context"))
        if base is None:
            return None
        if not isinstance(
            base, _EXPR_NODES
        ):  # text, a template, a folded source field or component
            self.diagnostics.error(
                "invalid-selector",
                f"the context of {'an' if kind == 'xpath' else 'a'} {kind} selector must be a runtime expression (its value the "
                f"{'JSON' if kind == 'jsonpath' else 'XML'} the selector reads), not {context!r}",
                node.at("context"),
            )
            return None
        xpath = XPATH_VERSIONS_1_1.get(version or "", DEFAULT_XPATH) if kind == "xpath" else ""
        if not self.query_checked(
            kind, selector, xpath, node.at("selector"), "selector", "response"
        ):
            return None
        if kind == "xpath":
            return ex.Select("xpath", selector, base, version=xpath)
        query = jsonpath_rfc9535.compile(selector)
        tokens: tuple[str | int | None, ...] | None = None
        if all(
            isinstance(segment, JSONPathChildSegment) and len(segment.selectors) == 1
            for segment in query.segments
        ):
            tokens = tuple(_token(segment.selectors[0]) for segment in query.segments)
        singular = bool(query.singular_query())
        return ex.Select("jsonpath", selector, base, singular=singular, tokens=tokens)

    def query_checked(
        self, kind: str, query: str, xpath: str, loc: Loc, what: str, over: str
    ) -> bool:
        """Whether the JSONPath (RFC 9535) or XPath (version ``xpath``) ``query`` of a selector or a target
        (``what``) can be compiled: a syntax error is ``invalid-selector``, a call of an XPath function that
        would run a regular expression without a time bound ``xpath-regex`` (as in a criterion), located in
        the query at ``loc``."""
        problem = check_jsonpath(query) if kind == "jsonpath" else check_xpath(query, xpath)
        if problem is not None:
            self.diagnostics.error("invalid-selector", problem[0], offset_loc(loc, problem[1]))
            return False
        regex_call = xpath_regex_call(query, xpath) if kind == "xpath" else None
        if regex_call is not None:
            self.diagnostics.error(
                "xpath-regex",
                f"an xpath {what} may not call {regex_call[0]}(): XPath's regular expressions run without a "
                f"time bound (a backtracking pattern over a {over} value would run for hours)",
                offset_loc(loc, regex_call[1]),
            )
            return False
        return True

    def expression(self, text: Any, loc: Loc) -> Any:
        if not isinstance(text, str):
            return text
        notes: list[Nonstandard] = []
        try:
            value = parse_value(text, notes)
        except ExpressionError as error:
            self.diagnostics.error("invalid-expression", *self.ctx.explain(text, error, loc))
            return None
        self.ctx.nonstandard(notes, loc)
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
        the text the document gives them; so are ``$components.<kind>.<name>`` (:meth:`_component_value`) and
        ``$self`` (:meth:`self_uri`)."""
        if isinstance(value, ex.SelfRef):
            return self.self_uri(loc)
        if isinstance(value, ex.SourceRef):
            text = self._source_field(value, loc)
            return text if text is not None else value
        if isinstance(value, ex.ComponentRef):
            return self._component_value(value, loc)
        if not isinstance(value, ex.Template):
            return value
        parts: list[Any] = []
        for part in value.parts:
            if isinstance(part, ex.SelfRef):
                part = self.self_uri(loc)
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
        table = self.ctx.components.get(ref.kind)
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
        return self.value(raw, item.at("value"))

    def fold_condition(self, node: Any, loc: Loc) -> Any:
        """A condition with its ``$sourceDescriptions.<name>.url|name|type`` and ``$components.*`` operands
        replaced by their (build-time) values, as literals."""
        if isinstance(node, ex.Compare):
            return ex.Compare(
                node.op, self.fold_condition(node.left, loc), self.fold_condition(node.right, loc)
            )
        if isinstance(node, ex.And | ex.Or):
            return type(node)(
                self.fold_condition(node.left, loc), self.fold_condition(node.right, loc)
            )
        if isinstance(node, ex.Not | ex.Truthy):
            return type(node)(self.fold_condition(node.operand, loc))
        if isinstance(node, ex.SelfRef):
            return ex.Literal(self.self_uri(loc))
        if isinstance(node, ex.SourceRef | ex.ComponentRef):
            folded = self._fold_sources(node, loc)
            if folded is None or isinstance(folded, bool | int | float | str):
                return ex.Literal(folded)
            return folded if isinstance(folded, _EXPR_NODES) else node
        return node

    def self_uri(self, loc: Loc) -> str:
        """The value of ``$self`` (Arazzo 1.1): "References the canonical URI of the current Arazzo Description
        as defined by the `$self` field": the field's text as the document writes it (a relative one is not
        resolved: its resolution depends on where the document was read, which generated code must not
        know).  Without the field the expression has no value: ``undefined-expression``."""
        value = self.ctx.root.get("$self")
        if isinstance(value, str):
            return value
        at = find_inside(loc, "$self")
        self.diagnostics.error(
            "undefined-expression",
            "'$self' has no value: the document has no '$self' field (Arazzo 1.1: it \"References the "
            'canonical URI of the current Arazzo Description as defined by the `$self` field")',
            loc if at is None else part_loc(loc, at, "$self"),
        )
        return ""

    def _source_field(self, ref: ex.SourceRef, loc: Loc) -> str | None:
        api = self.ctx.sources.get(ref.name)
        if (
            self.ctx.version == V1_1
            and api is not None
            and any(op.operation_id == ref.rest for op in api.operations)
        ):
            # 1.1: "If an operationId happens to conflict with a field name [...] the operationId takes precedence"
            self.diagnostics.error(
                "unsupported-feature",
                f"'$sourceDescriptions.{ref.name}.{ref.rest}' names operation '{ref.rest}' (Arazzo 1.1: an operationId "
                "takes precedence over a source field), which is not supported by arazzo-gen yet as a value; the "
                "document is not built rather than built with another meaning",
                loc,
            )
            return None
        declared = self.ctx.root.get("sourceDescriptions")
        for item in declared if isinstance(declared, list) else []:
            if isinstance(item, dict) and item.get("name") == ref.name:
                field = item.get(ref.rest)
                return (
                    field
                    if ref.rest in ("url", "name", "type") and isinstance(field, str)
                    else None
                )
        at = find_inside(loc, f"$sourceDescriptions.{ref.name}")
        self.ctx.unknown_source(
            ref.name,
            loc if at is None else part_loc(loc, at + len("$sourceDescriptions."), ref.name),
        )
        return None
