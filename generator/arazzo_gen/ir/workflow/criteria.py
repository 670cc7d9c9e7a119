"""Criteria: simple conditions, regex, JSONPath and XPath, each checked where it is written."""

from __future__ import annotations

import re
from typing import Any

from ...diagnostics import Loc, kind_of
from ...read import YList, YMap
from ..criteria import (
    DEFAULT_XPATH,
    JSONPATH_VERSIONS,
    JSONPATH_VERSIONS_1_1,
    XPATH_VERSIONS,
    XPATH_VERSIONS_1_1,
    check_jsonpath,
    check_regex,
    check_xpath,
    jsonpath_comparison,
    python_regex,
    xpath_regex_call,
)
from ..expressions import (
    ExpressionError,
    Literal,
    Nonstandard,
    SelfRef,
    Template,
    Truthy,
    parse_condition,
    parse_expression,
    to_source,
)
from ..model import Criterion
from ..versions import V1_1
from .context import LoweringContext, Part, offset_loc
from .values import ValueLowering

_EMBEDDED = re.compile(r"\{\$[^{}]*\}")  # an embedded runtime expression, ``{$...}``


class CriteriaLowering(Part):
    """The success criteria of a step and the criteria of an action."""

    def __init__(self, ctx: LoweringContext, values: ValueLowering) -> None:
        super().__init__(ctx)
        self.values = values

    def lower(self, raw: Any, loc: Loc) -> list[Criterion]:
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
                if isinstance(context, SelfRef):
                    # (a context is a value of the run; '$self' is text the document fixes)
                    raise ExpressionError(
                        "a criterion's 'context' must be a value of the run ($response..., $inputs..., "
                        "$steps...), not '$self', the document's own URI",
                        raw_context.index("$self"),
                    )
            except ExpressionError as error:
                self.diagnostics.error(
                    "invalid-expression", error.message, offset_loc(context_loc, error.offset)
                )
                return None
            self.ctx.nonstandard(notes, context_loc)
        if kind == "simple":
            notes = []
            try:
                condition = parse_condition(text, notes)
            except ExpressionError as error:
                if self.v11:
                    return self._never(text, "simple", *self.ctx.explain(text, error, loc))
                self.diagnostics.error("invalid-condition", *self.ctx.explain(text, error, loc))
                return None
            self.ctx.nonstandard(notes, loc)
            return Criterion(
                text,
                "simple",
                self.values.fold_condition(condition, loc),
                context,
                loc,
                arazzo=self.ctx.version,
            )
        if context is None:
            self.diagnostics.error(
                "missing-field", f"a {kind} criterion needs a 'context' expression", item.loc
            )
            return None
        if self.v11 and "{$" in text:
            if kind == "xpath":
                # the literal text may not call XPath's unbounded regex functions (each embedded expression
                # read as a name, which parses where a value or a step goes); the query built at run time is
                # checked again then (xpath_matches(..., built=True))
                regex_call = xpath_regex_call(_EMBEDDED.sub("a", text), version or DEFAULT_XPATH)
                if regex_call is not None:
                    self._regex_refused((regex_call[0], _written_at(text, regex_call[1])), loc)
                    return None
            return self._substituted(text, kind, context, loc, version)
        if kind == "regex":
            checked = check_regex(text)
            for message, offset in checked.warnings:
                self.diagnostics.warning("regex-dialect", message, offset_loc(loc, offset))
            if checked.error is not None:
                message, offset = checked.error
                if self.v11:
                    return self._never(text, kind, message, offset_loc(loc, offset))
                self.diagnostics.error("invalid-regex", message, offset_loc(loc, offset))
                return None
            return Criterion(
                text, kind, None, context, loc, pattern=checked.pattern, arazzo=self.ctx.version
            )
        problem = (
            check_jsonpath(text)
            if kind == "jsonpath"
            else check_xpath(text, version or DEFAULT_XPATH)
        )
        if problem is not None and kind == "jsonpath" and not self.v11:
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
            if self.v11:
                return self._never(text, kind, message, offset_loc(loc, offset))
            if kind == "jsonpath":
                self.diagnostics.error("invalid-jsonpath", message, offset_loc(loc, offset))
            else:
                self.diagnostics.error("invalid-xpath", message, offset_loc(loc, offset))
            return None
        regex_call = xpath_regex_call(text, version or DEFAULT_XPATH) if kind == "xpath" else None
        if regex_call is not None:
            self._regex_refused(regex_call, loc)
            return None
        return Criterion(text, kind, None, context, loc, version=version, arazzo=self.ctx.version)

    def _regex_refused(self, regex_call: tuple[str, int], loc: Loc) -> None:
        function, offset = regex_call
        self.diagnostics.error(
            "xpath-regex",
            f"an xpath criterion may not call {function}(): XPath's regular expressions run without a time "
            "bound (a backtracking pattern over a response value would run for hours); test the value with "
            "a regex criterion, which is time-bounded",
            offset_loc(loc, offset),
        )

    def _substituted(
        self, text: str, kind: str, context: Any, loc: Loc, version: str | None
    ) -> Criterion:
        """Arazzo 1.1, Runtime Expressions in Conditions: "runtime expressions MUST be embedded within the
        condition string using {} curly braces [...] evaluated first, then substituted into the condition
        string": the condition is a template built at run time (``condition``), its text known only then, so
        a syntax error makes the criterion fail at run time (logged), as 1.1 says."""
        value = self.values.expression(text, loc)
        if kind == "regex":  # ECMA-262 named groups in the literal text, as for a whole pattern
            parts = value.parts if isinstance(value, Template) else (value,)
            value = Template(tuple(python_regex(p) if isinstance(p, str) else p for p in parts))
        return Criterion(text, kind, value, context, loc, version=version, arazzo=self.ctx.version)

    @property
    def v11(self) -> bool:
        return self.ctx.version == V1_1

    def _never(self, text: str, kind: str, message: str, loc: Loc) -> Criterion:
        """Arazzo 1.1, Condition Evaluation: "If a condition cannot be evaluated due to syntax errors in the
        expression [...] the condition MUST evaluate to fail, and implementations SHOULD log or report the
        error": a ``failing-criterion`` warning, and a criterion that never holds."""
        self.diagnostics.warning(
            "failing-criterion",
            f"{message}; in an Arazzo 1.1 document {'an' if kind == 'xpath' else 'a'} {kind} condition that "
            "cannot be evaluated fails, so this criterion never holds",
            loc,
        )
        return Criterion(text, "simple", Truthy(Literal(False)), None, loc, arazzo=self.ctx.version)

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
            versions: dict[str, str | None] = (
                {**(JSONPATH_VERSIONS_1_1 if kind == "jsonpath" else XPATH_VERSIONS_1_1)}
                if self.ctx.version == V1_1
                else {**(JSONPATH_VERSIONS if kind == "jsonpath" else XPATH_VERSIONS)}
            )
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


def _written_at(text: str, offset: int) -> int:
    """Where ``offset`` of ``text`` with each ``{$...}`` read as ``a`` is in ``text``."""
    shift = 0
    for match in _EMBEDDED.finditer(text):
        if match.start() - shift >= offset:
            break
        shift += len(match.group()) - 1
    return offset + shift
