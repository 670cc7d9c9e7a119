"""Arazzo 1.0.x runtime expressions, embedded-expression strings and simple conditions.

Three entry points turn document text into an immutable AST:

* :func:`parse_expression` -- exactly one runtime expression (``$steps.create.outputs.id``);
* :func:`parse_value` -- a string value that may *contain* expressions, braced (``"{$inputs.x}"``) or
  unbraced (``"Bearer $inputs.accessToken"``);
* :func:`parse_condition` -- a Criterion ``condition`` in the simple syntax
  (``$statusCode == 200 && $response.body#/state != 'closed'``).

Every parse error is an :class:`ExpressionError` carrying a human sentence and the 0-based offset of the
offending character; no other exception escapes a parser, whatever the input.  :func:`to_source` renders any
node back to canonical Arazzo text, and parsing that text yields an equal node.

Names (input, output, step, workflow, header, query and path names, ...) are runs of ASCII letters, digits,
``_`` and ``-`` separated by ``.``.  A JSON-Pointer suffix (``#/a/b``) is stored as a tuple of unescaped
reference tokens.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from enum import Enum
from typing import TypeAlias

__all__ = [
    "SELF_ROOT",
    "And",
    "Compare",
    "ComponentRef",
    "Condition",
    "Expr",
    "ExpressionError",
    "InputRef",
    "Literal",
    "MessageRef",
    "Method",
    "Nonstandard",
    "Not",
    "Or",
    "OutputRef",
    "RequestRef",
    "ResponseRef",
    "SelfRef",
    "SourceRef",
    "StatusCode",
    "StepRef",
    "Template",
    "Truthy",
    "Url",
    "WorkflowRef",
    "expressions_in",
    "extend_path",
    "parse_condition",
    "parse_expression",
    "parse_value",
    "to_source",
]


class ExpressionError(Exception):
    """A malformed runtime expression, embedded-expression string or condition.

    ``message`` is a complete sentence; ``offset`` is the 0-based index into the parsed text of the
    character the problem is at (``len(text)`` when something is missing at the end).
    """

    message: str
    offset: int

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message, offset)
        self.message = message
        self.offset = offset

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class Nonstandard:
    """A form other runners accept that Arazzo 1.0.1 does not define, parsed to its standard meaning.

    ``offset`` is the 0-based index of the expression in the parsed text, ``written`` what the document
    says and ``standard`` the standard form with the same meaning.
    """

    offset: int
    written: str
    standard: str
    rule: str = "nonstandard-expression"  # or "unquoted-string": a bare word compared as a string

    @property
    def message(self) -> str:
        if self.rule == "unquoted-string":
            return (
                f"'{self.written}' is not quoted: string literals in conditions are written in single quotes; "
                f"write {self.standard}; it is compared as that string"
            )
        return f"'{self.written}' is not a standard runtime expression; write '{self.standard}'"


# -- AST: expressions ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Url:
    """``$url``"""


@dataclass(frozen=True, slots=True)
class Method:
    """``$method``"""


@dataclass(frozen=True, slots=True)
class StatusCode:
    """``$statusCode``"""


@dataclass(frozen=True, slots=True)
class RequestRef:
    """``$request.header.<name>``, ``$request.query.<name>``, ``$request.path.<name>``, ``$request.body#/p``.

    ``name`` is None for ``body``; ``pointer`` is only ever non-empty for ``body``.
    """

    source: str  # header | query | path | body
    name: str | None
    pointer: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ResponseRef:
    """``$response.header.<name>`` or ``$response.body#/p``."""

    source: str  # header | body
    name: str | None
    pointer: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MessageRef(ResponseRef):
    """``$message.header.<name>`` or ``$message.payload#/p`` (Arazzo 1.1): the message an AsyncAPI receive
    step received.  A received message is read as a response (``source`` ``header`` or ``body``, the payload),
    so everything that reads a response reads it; only its text is its own."""


@dataclass(frozen=True, slots=True)
class InputRef:
    """``$inputs.<name>`` with an optional ``.a.b`` / ``#/a/b`` path into the value."""

    name: str
    path: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OutputRef:
    """``$outputs.<name>`` with an optional path."""

    name: str
    path: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StepRef:
    """``$steps.<stepId>.outputs.<name>`` with an optional path."""

    step_id: str
    name: str
    path: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WorkflowRef:
    """``$workflows.<workflowId>.outputs.<name>`` (or ``.inputs.<name>``) with an optional path."""

    workflow_id: str
    name: str
    path: tuple[str, ...] = ()
    field: str = "outputs"  # outputs | inputs


@dataclass(frozen=True, slots=True)
class SourceRef:
    """``$sourceDescriptions.<name>.<rest>`` (``rest`` is e.g. ``url`` or an operationId/workflowId)."""

    name: str
    rest: str


@dataclass(frozen=True, slots=True)
class ComponentRef:
    """``$components.<kind>.<name>``; kind is inputs | parameters | successActions | failureActions."""

    kind: str
    name: str


@dataclass(frozen=True, slots=True)
class SelfRef:
    """``$self`` (Arazzo 1.1): "the canonical URI of the current Arazzo Description as defined by the `$self`
    field", known when the document is built (lowering folds it into that text)."""


SELF_ROOT: ContextVar[bool] = ContextVar("SELF_ROOT", default=False)
"""Whether ``$self`` is an expression root (an Arazzo 1.1 document is being read); else it is unknown."""

Expr: TypeAlias = (
    Url
    | Method
    | StatusCode
    | RequestRef
    | ResponseRef
    | InputRef
    | OutputRef
    | StepRef
    | WorkflowRef
    | SourceRef
    | ComponentRef
    | SelfRef
)

_EXPR_TYPES = (
    Url,
    Method,
    StatusCode,
    RequestRef,
    ResponseRef,
    InputRef,
    OutputRef,
    StepRef,
    WorkflowRef,
    SourceRef,
    ComponentRef,
    SelfRef,
)


@dataclass(frozen=True, slots=True)
class Template:
    """A string with embedded expressions; literal text is kept exactly (never empty, never adjacent)."""

    parts: tuple[str | Expr, ...]


@dataclass(frozen=True, slots=True)
class Select:
    """An Arazzo 1.1 Selector Object of type jsonpath or xpath (a jsonpointer one is its context with the
    pointer appended): ``query`` applied to the value of ``context`` at run time.  ``version``: for xpath, the
    XPath version (``1.0`` ... ``3.1``); ``singular``: a JSONPath query of names and indexes only (RFC 9535
    2.3.5.1), which selects at most one node; ``tokens``: for a JSONPath query of child segments with one
    selector each, its names, indexes and ``None`` for the selectors of any item (wildcard, slice, filter),
    ``None`` for another query (a descendant segment, several selectors in a segment)."""

    kind: str  # jsonpath | xpath
    query: str
    context: Expr
    version: str = ""
    singular: bool = False
    tokens: tuple[str | int | None, ...] | None = None


@dataclass(frozen=True, slots=True)
class Literal:
    """A literal operand of a condition."""

    value: None | bool | int | float | str


# -- AST: conditions ----------------------------------------------------------------------------------------
Operand: TypeAlias = Expr | Literal


@dataclass(frozen=True, slots=True)
class Compare:
    op: str  # == != < <= > >=
    left: Operand
    right: Operand


@dataclass(frozen=True, slots=True)
class And:
    left: Condition
    right: Condition


@dataclass(frozen=True, slots=True)
class Or:
    left: Condition
    right: Condition


@dataclass(frozen=True, slots=True)
class Not:
    operand: Condition


@dataclass(frozen=True, slots=True)
class Truthy:
    """A bare operand used as a condition (``$response.body#/ok``)."""

    operand: Operand


Condition: TypeAlias = Compare | And | Or | Not | Truthy

_CONDITION_TYPES = (Compare, And, Or, Not, Truthy)

# -- lexical helpers ----------------------------------------------------------------------------------------
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DIGITS = "0123456789"
_DIGIT_SET = frozenset(_DIGITS)
_IDENT_CHARS = frozenset(_LETTERS + _DIGITS + "_")
_NAME_CHARS = frozenset(_LETTERS + _DIGITS + "_-")
_NAME_RE = re.compile(r"[A-Za-z0-9_-]+")

_ROOTS = (
    "url",
    "method",
    "statusCode",
    "request",
    "response",
    "message",
    "inputs",
    "outputs",
    "steps",
    "workflows",
    "sourceDescriptions",
    "components",
)
ROOTS = _ROOTS  # the runtime expression roots, for near-miss hints outside this module
_BARE_ROOTS = frozenset({"url", "method", "statusCode"})
_DOTTED_ROOTS = frozenset(_ROOTS) - _BARE_ROOTS
_REQUEST_SOURCES = ("header", "query", "path", "body")
_RESPONSE_SOURCES = ("header", "body")
_MESSAGE_SOURCES = ("header", "payload")
_COMPONENT_KINDS = ("inputs", "parameters", "successActions", "failureActions")
_COMPARISON_OPS = ("==", "!=", "<=", ">=", "<", ">")

_MAX_DEPTH = 100  # nesting limit for conditions, keeps every recursive consumer of the AST safe


def _suggest(word: str, choices: tuple[str, ...]) -> str | None:
    """The choice closest to ``word`` (case-insensitive), if any is reasonably close."""
    lowered = {choice.lower(): choice for choice in choices}
    for choice in choices:
        if choice.lower() == word.lower():
            return choice
    match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


def _did_you_mean(word: str, choices: tuple[str, ...], prefix: str = "") -> str:
    best = _suggest(word, choices)
    return f"; did you mean '{prefix}{best}'?" if best is not None else ""


def _snippet(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Mode(Enum):
    WHOLE = "whole"  # the expression runs to the given end (parse_expression, braced embeddings)
    EMBED = "embed"  # unbraced inside a string: stops at the first character that cannot belong
    COND = "cond"  # an operand of a condition: stops at whitespace, an operator or ')'


def _unescape_pointer(pointer: str, offset: int) -> tuple[str, ...]:
    """Tokens of the JSON pointer ``pointer`` (the text after '#'), which starts at ``offset``."""
    if pointer in ("", "/"):
        return ()
    if pointer[0] != "/":
        raise ExpressionError(
            f"a JSON pointer must start with '/' after '#', got '#{_snippet(pointer)}'", offset
        )
    tokens: list[str] = []
    pos = 1
    for raw in pointer[1:].split("/"):
        tilde = raw.find("~")
        while tilde != -1:
            nxt = raw[tilde + 1 : tilde + 2]
            if nxt not in ("0", "1"):
                shown = f"~{nxt}" if nxt else "~"
                raise ExpressionError(
                    f"invalid escape '{shown}' in JSON pointer; use '~0' for '~' and '~1' for '/'",
                    offset + pos + tilde,
                )
            tilde = raw.find("~", tilde + 2)
        tokens.append(raw.replace("~1", "/").replace("~0", "~"))
        pos += len(raw) + 1
    return tuple(tokens)


class _ExprParser:
    """Parses one runtime expression starting at ``text[start] == '$'`` and ending at or before ``end``."""

    __slots__ = ("end", "mode", "notes", "start", "text")

    def __init__(
        self, text: str, start: int, end: int, mode: _Mode, notes: list[Nonstandard] | None = None
    ) -> None:
        self.text = text
        self.start = start
        self.end = end
        self.mode = mode
        self.notes = notes

    # -- small scanners -------------------------------------------------------------------------------------
    def _char(self, pos: int) -> str:
        return self.text[pos] if pos < self.end else ""

    def _scan(self, pos: int, chars: frozenset[str]) -> int:
        while pos < self.end and self.text[pos] in chars:
            pos += 1
        return pos

    def _so_far(self, pos: int) -> str:
        return self.text[self.start : pos]

    def _next_segment(self, pos: int) -> bool:
        """Whether a '.'-separated name segment starts at ``pos``."""
        if self._char(pos) != ".":
            return False
        if self._char(pos + 1) in _NAME_CHARS:
            return True
        if self.mode is _Mode.EMBED:  # "... is $inputs.x." -- the dot ends the sentence
            return False
        raise ExpressionError(f"expected a name after '{self._so_far(pos + 1)}'", pos + 1)

    def _required_segment(self, pos: int, form: str) -> tuple[str, int]:
        """A mandatory ``.<segment>`` at ``pos``; ``form`` shows the complete expression expected."""
        if self._char(pos) == "." and self._char(pos + 1) in _NAME_CHARS:
            stop = self._scan(pos + 1, _NAME_CHARS)
            return self.text[pos + 1 : stop], stop
        at = pos + 1 if self._char(pos) == "." else pos
        raise ExpressionError(
            f"incomplete runtime expression '{self._so_far(pos)}'; expected {form}", at
        )

    def _dotted(self, pos: int) -> tuple[str, int]:
        """More ``.segment``s after a segment that ended at ``pos``, joined with their dots."""
        stop = pos
        while self._next_segment(stop):
            stop = self._scan(stop + 1, _NAME_CHARS)
        return self.text[pos:stop], stop

    def _pointer(self, pos: int) -> tuple[tuple[str, ...], int] | None:
        """A ``#/json/pointer`` at ``pos`` (``text[pos] == '#'``), or None when it is not one (EMBED)."""
        text, end = self.text, self.end
        if self.mode is _Mode.WHOLE:
            stop = end
        elif self.mode is _Mode.EMBED:
            if self._char(pos + 1) != "/":
                return None  # '#' not followed by '/' is literal text after the expression
            stop = pos + 1
            while stop < end and not text[stop].isspace():
                stop += 1
        else:
            stop = pos + 1
            while stop < end:
                c = text[stop]
                if c.isspace() or c in "()<>[":
                    break
                if text[stop : stop + 2] in ("==", "!=", "&&", "||"):
                    break
                stop += 1
        return _unescape_pointer(text[pos + 1 : stop], pos + 1), stop

    def _path(self, pos: int) -> tuple[tuple[str, ...], int]:
        """An optional path after a name: ``.a.b`` segments and/or a ``#/json/pointer``."""
        tokens: list[str] = []
        while self._next_segment(pos):
            stop = self._scan(pos + 1, _NAME_CHARS)
            tokens.append(self.text[pos + 1 : stop])
            pos = stop
        if self._char(pos) == "#":
            found = self._pointer(pos)
            if found is not None:
                pointer, pos = found
                tokens.extend(pointer)
        return tuple(tokens), pos

    # -- the grammar ----------------------------------------------------------------------------------------
    def parse(self) -> tuple[Expr, int]:
        start = self.start
        root_end = self._scan(start + 1, _IDENT_CHARS)
        root = self.text[start + 1 : root_end]
        if root == "url":
            return Url(), root_end
        if root == "method":
            return Method(), root_end
        if root == "statusCode":
            return StatusCode(), root_end
        if root in ("request", "response", "message"):
            return self._message_ref(root, root_end)
        if root in ("inputs", "outputs"):
            name, pos = self._required_segment(root_end, f"'${root}.<name>'")
            path, pos = self._path(pos)
            return (InputRef(name, path) if root == "inputs" else OutputRef(name, path)), pos
        if root in ("steps", "workflows"):
            return self._outputs_ref(root, root_end)
        if root == "sourceDescriptions":
            name, pos = self._required_segment(root_end, "'$sourceDescriptions.<name>.<field>'")
            rest, pos = self._required_segment(pos, f"'{self._so_far(pos)}.<field>'")
            more, pos = self._dotted(pos)
            return SourceRef(name, rest + more), pos
        if root == "components":
            return self._component_ref(root_end)
        if root == "self" and SELF_ROOT.get():
            return SelfRef(), root_end
        expected = ", ".join(f"${r}" for r in _ROOTS)
        if not root:
            shown = self._char(start + 1)
            got = f" got '{shown}'" if shown else " got nothing"
            raise ExpressionError(
                f"expected an expression root after '$',{got}; expected one of {expected}",
                start + 1,
            )
        raise ExpressionError(
            f"unknown expression root '${root}'; expected one of {expected}"
            + _did_you_mean(root, _ROOTS, "$"),
            start,
        )

    def _message_ref(self, root: str, pos: int) -> tuple[Expr, int]:
        sources = {"request": _REQUEST_SOURCES, "response": _RESPONSE_SOURCES}.get(
            root, _MESSAGE_SOURCES
        )
        form = " or ".join(
            f"'${root}.{s}#/<pointer>'" if s in ("body", "payload") else f"'${root}.{s}.<name>'"
            for s in sources
        )
        source_at = pos + 1
        source, pos = self._required_segment(pos, form)
        plural = (
            source == "headers" and self.notes is not None
        )  # ``$response.headers.X``: other runners' form
        if plural:
            source = "header"
        if source not in sources:
            raise ExpressionError(
                f"unknown {root} source '{source}' in '{self._so_far(pos)}'; expected one of "
                + ", ".join(sources)
                + _did_you_mean(source, sources),
                source_at,
            )
        cls: type[RequestRef | ResponseRef] = (
            RequestRef if root == "request" else ResponseRef if root == "response" else MessageRef
        )
        if source == "payload":
            source = "body"  # a message's payload is read as a response body
        if source == "body":
            if (
                self._char(pos) == "."
                and self._char(pos + 1) in _NAME_CHARS
                and self.notes is not None
            ):
                # ``$response.body.a.b``: what other runners accept for ``$response.body#/a/b``
                tokens: list[str] = []
                while self._next_segment(pos):
                    stop = self._scan(pos + 1, _NAME_CHARS)
                    tokens.append(self.text[pos + 1 : stop])
                    pos = stop
                expr = cls(source, None, tuple(tokens))
                self.notes.append(Nonstandard(self.start, self._so_far(pos), _expr_source(expr)))
                return expr, pos
            if self._char(pos) == "." and self._char(pos + 1) in _NAME_CHARS:
                raise ExpressionError(
                    f"'{self._so_far(pos)}' is followed by a JSON pointer, not a '.' path; "
                    f"write '{self._so_far(pos)}#/...'",
                    pos,
                )
            pointer: tuple[str, ...] = ()
            if self._char(pos) == "#":
                found = self._pointer(pos)
                if found is not None:
                    pointer, pos = found
            return cls(source, None, pointer), pos
        first, pos = self._required_segment(pos, f"'{self._so_far(pos)}.<name>'")
        more, pos = self._dotted(pos)
        if self._char(pos) == "#" and self.mode is not _Mode.EMBED:
            raise ExpressionError(
                f"a JSON pointer is only allowed after '${root}.{'payload' if root == 'message' else 'body'}', not after "
                f"'{self._so_far(pos)}'",
                pos,
            )
        expr = cls(source, first + more, ())
        if plural and self.notes is not None:
            self.notes.append(Nonstandard(self.start, self._so_far(pos), _expr_source(expr)))
        return expr, pos

    def _owner(self, pos: int, root: str, kind: str) -> tuple[str, int]:
        """The stepId/workflowId after ``$steps``/``$workflows`` at ``pos``.

        An id SHOULD match ``[A-Za-z0-9_-]+``; when the expression is the whole value, any id without
        '.', '#', '{' or '}' is read (``$steps.get pet.outputs.x``), so that the checks can name the step.
        """
        fields = "outputs" if root == "steps" else "inputs|outputs"
        if self.mode is _Mode.WHOLE and self._char(pos) == ".":
            stop = pos + 1
            while stop < self.end and self.text[stop] not in ".#{}":
                stop += 1
            owner = self.text[pos + 1 : stop]
            if owner.strip() == owner and owner and not _NAME_RE.fullmatch(owner):
                return owner, stop
        owner, stop = self._required_segment(pos, f"'${root}.<{kind}>.{fields}.<name>'")
        rest = self.text[stop : self.end].lstrip()
        if self._char(stop).isspace() and self.mode is _Mode.COND and rest[:1] in _NAME_CHARS:
            raise ExpressionError(
                f"incomplete runtime expression '{self._so_far(stop)}'; expected "
                f"'{self._so_far(stop)}.{fields.split('|')[-1]}.<name>' (a {kind} containing spaces "
                "can only be used in a value that is a single runtime expression, not in a condition)",
                stop,
            )
        return owner, stop

    def _outputs_ref(self, root: str, pos: int) -> tuple[Expr, int]:
        kind = "stepId" if root == "steps" else "workflowId"
        fields = ("outputs",) if root == "steps" else ("inputs", "outputs")
        owner, pos = self._owner(pos, root, kind)
        field_at = pos + 1
        shown = "outputs" if root == "steps" else "inputs|outputs"
        field, pos = self._required_segment(pos, f"'{self._so_far(pos)}.{shown}.<name>'")
        if field not in fields:
            prefix = self._so_far(field_at)
            near = _suggest(field, ("outputs", "inputs"))
            if root == "steps" and self.notes is not None and near is None:
                # ``$steps.<id>.<name>``: what other runners accept for ``$steps.<id>.outputs.<name>``
                path, pos = self._path(pos)
                expr = StepRef(owner, field, path)
                self.notes.append(Nonstandard(self.start, self._so_far(pos), _expr_source(expr)))
                return expr, pos
            expected = " or ".join(f"'{prefix}{f}.<name>'" for f in fields)
            raise ExpressionError(
                f"unsupported reference '{self._so_far(pos)}'; expected {expected}", field_at
            )
        name, pos = self._required_segment(pos, f"'{self._so_far(pos)}.<name>'")
        path, pos = self._path(pos)
        if root == "steps":
            return StepRef(owner, name, path), pos
        return WorkflowRef(owner, name, path, field), pos

    def _component_ref(self, pos: int) -> tuple[Expr, int]:
        kind_at = pos + 1
        kind, pos = self._required_segment(pos, "'$components.<kind>.<name>'")
        if kind not in _COMPONENT_KINDS:
            raise ExpressionError(
                f"unknown component kind '{kind}' in '{self._so_far(pos)}'; expected one of "
                + ", ".join(_COMPONENT_KINDS)
                + _did_you_mean(kind, _COMPONENT_KINDS),
                kind_at,
            )
        first, pos = self._required_segment(pos, f"'{self._so_far(pos)}.<name>'")
        more, pos = self._dotted(pos)
        return ComponentRef(kind, first + more), pos


def _check_text(text: object) -> str:
    if not isinstance(text, str):
        raise ExpressionError(f"expected a string, got {type(text).__name__}", 0)
    return text


def _matching_brace(text: str, open_at: int) -> int:
    depth = 0
    for i in range(open_at, len(text)):
        c = text[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
    raise ExpressionError("unterminated '{': no matching '}' for the embedded expression", open_at)


def _parse_braced(
    text: str, open_at: int, notes: list[Nonstandard] | None = None
) -> tuple[Expr, int]:
    """``{$...}`` at ``open_at``; returns the expression and the index just past the '}'."""
    close = _matching_brace(text, open_at)
    expr, stop = _ExprParser(text, open_at + 1, close, _Mode.WHOLE, notes).parse()
    if stop != close:
        raise ExpressionError(
            f"unexpected '{_snippet(text[stop:close])}' after runtime expression "
            f"'{text[open_at + 1 : stop]}' inside braces",
            stop,
        )
    return expr, close + 1


# -- public parsers -----------------------------------------------------------------------------------------
def parse_expression(text: str, notes: list[Nonstandard] | None = None) -> Expr:
    """Parse ``text`` as exactly one runtime expression (surrounding whitespace and one pair of
    embedding braces, ``{$...}``, are allowed).  ``notes``: see :func:`parse_condition`."""
    text = _check_text(text)
    stripped = text.strip()
    begin = len(text) - len(text.lstrip())
    end = begin + len(stripped)
    if not stripped:
        raise ExpressionError("expected a runtime expression, got an empty string", begin)
    if stripped.startswith("{$"):
        expr, stop = _parse_braced(text, begin, notes)
        if stop != end:
            raise ExpressionError(
                f"unexpected '{_snippet(text[stop:end])}' after embedded expression", stop
            )
        return expr
    if stripped[0] != "$":
        raise ExpressionError(
            f"a runtime expression must start with '$', got '{_snippet(stripped)}'", begin
        )
    expr, stop = _ExprParser(text, begin, end, _Mode.WHOLE, notes).parse()
    if stop != end:
        raise ExpressionError(
            f"unexpected '{_snippet(text[stop:end])}' after runtime expression "
            f"'{text[begin:stop]}'",
            stop,
        )
    return expr


def _embedded_root_at(text: str, dollar: int) -> bool:
    """Whether the unbraced ``$`` at ``dollar`` starts a runtime expression."""
    stop = dollar + 1
    while stop < len(text) and text[stop] in _IDENT_CHARS:
        stop += 1
    root = text[dollar + 1 : stop]
    if root in _BARE_ROOTS or (root == "self" and SELF_ROOT.get()):
        return True
    return root in _DOTTED_ROOTS and text[stop : stop + 1] == "."


def parse_value(text: str, notes: list[Nonstandard] | None = None) -> Expr | Template | str:
    """Parse a string value that may contain runtime expressions.

    Returns the expression when the whole string is one (``"$inputs.x"`` or ``"{$inputs.x}"``), a
    :class:`Template` when expressions are embedded in literal text, and ``text`` itself otherwise.
    """
    text = _check_text(text)
    if text.startswith(("$steps.", "$workflows.")) and any(c.isspace() for c in text):
        # a whole value naming a step or workflow whose id has spaces: ``$steps.get pet.outputs.x``
        whole_notes: list[Nonstandard] = []
        try:
            whole = parse_expression(text, whole_notes if notes is not None else None)
        except ExpressionError:
            pass
        else:
            owner = (
                whole.step_id if isinstance(whole, StepRef) else getattr(whole, "workflow_id", "")
            )
            if not _NAME_RE.fullmatch(owner):
                if notes is not None:
                    notes.extend(whole_notes)
                return whole
    parts: list[str | Expr] = []
    literal_from = 0  # start of the pending literal text
    pos = 0
    n = len(text)
    while pos < n:
        c = text[pos]
        expr: Expr | None = None
        if c == "{" and text[pos + 1 : pos + 2] == "$":
            expr, stop = _parse_braced(text, pos, notes)
        elif c == "$" and _embedded_root_at(text, pos):
            expr, stop = _ExprParser(text, pos, n, _Mode.EMBED, notes).parse()
        if expr is None:
            pos += 1
            continue
        if literal_from < pos:
            parts.append(text[literal_from:pos])
        parts.append(expr)
        pos = literal_from = stop
    if not parts:
        return text
    if literal_from < n:
        parts.append(text[literal_from:])
    if len(parts) == 1 and not isinstance(parts[0], str):
        return parts[0]
    return Template(tuple(parts))


_NUMBER_RE = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_WORD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEYWORDS: dict[str, None | bool] = {"null": None, "true": True, "false": False}
_OPERATOR_CHARS = frozenset("=!<>&|()")

_Node: TypeAlias = Condition | Expr | Literal  # what a sub-parser yields before it is used


def _is_operand(node: _Node) -> bool:
    return isinstance(node, (Literal, *_EXPR_TYPES))


def _as_condition(node: _Node) -> Condition:
    if isinstance(node, _CONDITION_TYPES):
        return node
    assert isinstance(node, (Literal, *_EXPR_TYPES))
    return Truthy(node)


class _ConditionParser:
    """Recursive descent over ``or := and ('||' and)*; and := cmp ('&&' cmp)*;
    cmp := unary (op unary)?; unary := '!' unary | '(' or ')' | operand``."""

    def __init__(self, text: str, notes: list[Nonstandard] | None = None) -> None:
        self.text = text
        self.n = len(text)
        self.pos = 0
        self.nesting = 0
        self.notes = notes
        self.right_side = False  # parsing the right operand of a comparison

    def _skip_ws(self) -> None:
        while self.pos < self.n and self.text[self.pos].isspace():
            self.pos += 1

    def _at(self, token: str) -> bool:
        return self.text.startswith(token, self.pos)

    def _comparison_op(self) -> str | None:
        for op in _COMPARISON_OPS:
            if self._at(op):
                return op
        return None

    def _depth_check(self, depth: int, at: int) -> None:
        if depth > _MAX_DEPTH:
            raise ExpressionError(
                f"condition is too complex: more than {_MAX_DEPTH} nested operators or parentheses",
                at,
            )

    def parse(self) -> Condition:
        self._skip_ws()
        if self.pos >= self.n:
            raise ExpressionError("expected a condition, got an empty string", self.pos)
        node, _ = self._or()
        self._skip_ws()
        if self.pos < self.n:
            self._unexpected()
        return _as_condition(node)

    def _unexpected(self) -> None:
        c = self.text[self.pos]
        if c == ")":
            raise ExpressionError("unbalanced parenthesis: unexpected ')'", self.pos)
        hint = {"=": "==", "&": "&&", "|": "||"}.get(c)
        if hint is not None:
            raise ExpressionError(f"unexpected '{c}'; did you mean '{hint}'?", self.pos)
        raise ExpressionError(
            f"unexpected '{_snippet(self.text[self.pos :])}'; expected an operator "
            "(==, !=, <, <=, >, >=, &&, ||) or the end of the condition",
            self.pos,
        )

    def _or(self) -> tuple[_Node, int]:
        left, depth = self._and()
        self._skip_ws()
        while self._at("||"):
            at = self.pos
            self.pos += 2
            right, right_depth = self._and()
            depth = max(depth, right_depth) + 1
            self._depth_check(depth, at)
            left = Or(_as_condition(left), _as_condition(right))
            self._skip_ws()
        return left, depth

    def _and(self) -> tuple[_Node, int]:
        left, depth = self._comparison()
        self._skip_ws()
        while self._at("&&"):
            at = self.pos
            self.pos += 2
            right, right_depth = self._comparison()
            depth = max(depth, right_depth) + 1
            self._depth_check(depth, at)
            left = And(_as_condition(left), _as_condition(right))
            self._skip_ws()
        return left, depth

    def _comparison(self) -> tuple[_Node, int]:
        left, depth = self._unary()
        self._skip_ws()
        op = self._comparison_op()
        if op is None:
            return left, depth
        op_at = self.pos
        if not _is_operand(left):
            raise ExpressionError(
                f"the left side of '{op}' must be a runtime expression or a literal, not a "
                f"condition; to negate a comparison write '!(a {op} b)'",
                op_at,
            )
        self.pos += len(op)
        self._skip_ws()
        right_at = self.pos
        self.right_side = True
        try:
            right, _ = self._unary()
        finally:
            self.right_side = False
        if not _is_operand(right):
            raise ExpressionError(
                f"the right side of '{op}' must be a runtime expression or a literal, not a "
                "condition",
                right_at,
            )
        assert isinstance(left, (Literal, *_EXPR_TYPES))
        assert isinstance(right, (Literal, *_EXPR_TYPES))
        self._skip_ws()
        again = self._comparison_op()
        if again is not None:
            raise ExpressionError(
                f"comparisons cannot be chained ('{op}' then '{again}'); combine them with '&&'",
                self.pos,
            )
        return Compare(op, left, right), 1

    def _unary(self) -> tuple[_Node, int]:
        self._skip_ws()
        at = self.pos
        if self._at("!") and not self._at("!=") or self._at("("):
            self.right_side = False  # a condition, not an operand: its words are not strings
        if self._at("!") and not self._at("!="):
            self.nesting += 1
            self._depth_check(self.nesting, at)
            self.pos += 1
            operand, depth = self._unary()
            self.nesting -= 1
            depth += 1
            self._depth_check(depth, at)
            return Not(_as_condition(operand)), depth
        if self._at("("):
            self.nesting += 1
            self._depth_check(self.nesting, at)
            self.pos += 1
            self._skip_ws()
            if self._at(")"):
                raise ExpressionError("expected a condition inside '()'", self.pos)
            node, depth = self._or()
            self._skip_ws()
            if not self._at(")"):
                if self.pos >= self.n:
                    raise ExpressionError("unbalanced parenthesis: '(' is never closed", at)
                self._unexpected()
            self.pos += 1
            self.nesting -= 1
            return node, depth
        return self._operand(), 0

    def _operand(self) -> Expr | Literal:
        text, at = self.text, self.pos
        if at >= self.n:
            raise ExpressionError("expected an operand at the end of the condition", at)
        c = text[at]
        node: Expr | Literal
        if c == "$":
            node, self.pos = _ExprParser(text, at, self.n, _Mode.COND, self.notes).parse()
            node = self._postfix(node)
        elif c in "'\"":
            node = Literal(self._string(c))
        elif c in _DIGITS or (c == "-" and text[at + 1 : at + 2] in _DIGIT_SET):
            node = self._number()
        elif c in _LETTERS or c == "_":
            match = _WORD_RE.match(text, at)
            assert match is not None
            word = match.group()
            if word not in _KEYWORDS and self._bare_word_ok(match.end()):
                # the right side of a comparison (`$response.body#/state == completed`): a word that is not a
                # keyword can only mean that string; compiled so, with a warning (--strict refuses it)
                assert self.notes is not None
                self.notes.append(Nonstandard(at, word, f"'{word}'", "unquoted-string"))
                self.pos = match.end()
                self._operand_end(Literal(word), at)
                return Literal(word)
            if word not in _KEYWORDS:
                raise ExpressionError(
                    f"unknown word '{word}' in condition; operands are runtime expressions "
                    f"($...), numbers, true, false, null or quoted strings such as '{word}'",
                    at,
                )
            node = Literal(_KEYWORDS[word])
            self.pos = match.end()
        elif c == "{" and text[at + 1 : at + 2] == "$":
            raise ExpressionError(
                "braces are not used in conditions; write the runtime expression without '{}'", at
            )
        elif c == ")":
            raise ExpressionError("expected an operand before ')'", at)
        else:
            raise ExpressionError(
                f"unexpected '{c}'; expected a runtime expression, a literal, '!' or '('", at
            )
        self._operand_end(node, at)
        return node

    def _bare_word_ok(self, end: int) -> bool:
        """Whether a word ending at ``end`` may be read as an unquoted string: the right side of a comparison
        (non-standard forms allowed), followed by the end of the condition, ``&&``, ``||`` or ``)``."""
        if self.notes is None or not self.right_side:
            return False
        rest = self.text[end:].lstrip()
        return not rest or rest.startswith(("&&", "||", ")"))

    def _postfix(self, node: Expr) -> Expr:
        """``[0]``, ``['key']`` and ``.name`` after an operand: index and property access (Criterion
        operators ``[]`` and ``.``), added to the expression's path or JSON pointer."""
        tokens: list[str] = []
        text = self.text
        first = self.pos
        while self.pos < self.n:
            at = self.pos
            if text[at] == "[":
                match = _INDEX_RE.match(text, at)
                if match is None:
                    raise ExpressionError(
                        "expected an index such as [0] or ['name'] after '['", at + 1
                    )
                if match.group(1) is not None:
                    tokens.append(str(int(match.group(1))))
                else:
                    tokens.append(match.group(2).replace("''", "'"))
                self.pos = match.end()
            elif text[at] == "." and tokens and text[at + 1 : at + 2] in _NAME_CHARS:
                stop = at + 1
                while stop < self.n and text[stop] in _NAME_CHARS:
                    stop += 1
                tokens.append(text[at + 1 : stop])
                self.pos = stop
            else:
                break
        if not tokens:
            return node
        return _with_path(node, tuple(tokens), first)

    def _operand_end(self, node: Expr | Literal, at: int) -> None:
        pos = self.pos
        if pos >= self.n:
            return
        c = self.text[pos]
        if c.isspace() or c in _OPERATOR_CHARS:
            return
        what = "runtime expression" if not isinstance(node, Literal) else "literal"
        raise ExpressionError(f"unexpected '{c}' after {what} '{self.text[at:pos]}'", pos)

    def _string(self, quote: str) -> str:
        text, start = self.text, self.pos
        chunks: list[str] = []
        pos = start + 1
        while True:
            close = text.find(quote, pos)
            if close == -1:
                raise ExpressionError("unterminated string literal", start)
            chunks.append(text[pos:close])
            if text[close + 1 : close + 2] == quote:  # doubled quote: an escaped quote character
                chunks.append(quote)
                pos = close + 2
                continue
            self.pos = close + 1
            return "".join(chunks)

    def _number(self) -> Literal:
        match = _NUMBER_RE.match(self.text, self.pos)
        assert match is not None
        raw = match.group()
        value: int | float
        try:
            if match.group(1) is None and match.group(2) is None:
                value = int(raw)
            else:
                value = float(raw)
        except ValueError:  # int() refuses absurdly long digit strings
            raise ExpressionError(f"number '{_snippet(raw)}' is too long", self.pos) from None
        if isinstance(value, float) and not math.isfinite(value):
            raise ExpressionError(f"number '{_snippet(raw)}' is out of range", self.pos)
        self.pos = match.end()
        return Literal(value)


def _with_path(node: Expr, tokens: tuple[str, ...], at: int) -> Expr:
    """``node`` with ``tokens`` appended to its path (``$inputs``, ``$outputs``, ``$steps``,
    ``$workflows``) or body JSON pointer (``$request.body``, ``$response.body``)."""
    if isinstance(node, (InputRef, OutputRef, StepRef, WorkflowRef)):
        return dataclasses.replace(node, path=node.path + tokens)
    if isinstance(node, (RequestRef, ResponseRef)) and node.source == "body":
        return dataclasses.replace(node, pointer=node.pointer + tokens)
    raise ExpressionError(
        f"index or property access is not possible on '{_expr_source(node)}'; it is not a JSON value",
        at,
    )


def extend_path(node: Expr, tokens: tuple[str, ...]) -> Expr:
    """``node`` with more JSON-pointer tokens (see :func:`_with_path`); ExpressionError when ``node`` has
    no JSON value to index."""
    return _with_path(node, tokens, 0)


_INDEX_RE = re.compile(r"\[\s*(?:([0-9]+)|'((?:[^']|'')*)')\s*\]")


def parse_condition(text: str, notes: list[Nonstandard] | None = None) -> Condition:
    """Parse an Arazzo simple condition (``==  !=  <  <=  >  >=  &&  ||  !  ( )  [0]  .name``).

    Precedence, tightest first: index and property access, ``!``, comparisons, ``&&``, ``||``; ``&&``
    and ``||`` are left-associative and comparisons do not chain.  With ``notes``, the nonstandard
    forms other runners accept are parsed to their standard meaning and recorded there.
    """
    return _ConditionParser(_check_text(text), notes).parse()


# -- traversal and rendering --------------------------------------------------------------------------------
def expressions_in(node: Expr | Template | Condition | Literal | Select | str) -> tuple[Expr, ...]:
    """Every runtime expression inside ``node``, in source order."""
    return tuple(_walk(node))


def _walk(node: object) -> Iterator[Expr]:
    stack: list[object] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, _EXPR_TYPES):
            yield current
        elif isinstance(current, Template):
            stack.extend(reversed(current.parts))
        elif isinstance(current, (Compare, And, Or)):
            stack.append(current.right)
            stack.append(current.left)
        elif isinstance(current, (Not, Truthy)):
            stack.append(current.operand)
        elif isinstance(current, Select):
            stack.append(current.context)


def _escape_token(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def pointer_text(tokens: tuple[str, ...]) -> str:
    """The JSON Pointer (RFC 6901) of ``tokens``: ``("a/b", "c")`` -> ``/a~1b/c``."""
    return "".join("/" + _escape_token(t) for t in tokens)


def pointer_tokens(pointer: str) -> tuple[str, ...]:
    """The tokens of the JSON Pointer (RFC 6901) ``pointer``: ``/a~1b/c`` -> ``("a/b", "c")`` (``""``: none)."""
    return tuple(t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:])


def _pointer_source(tokens: tuple[str, ...]) -> str:
    return "#" + pointer_text(tokens) if tokens else ""


def _path_source(tokens: tuple[str, ...]) -> str:
    """``.a.b`` when every token is a plain, non-numeric name, else the ``#/json/pointer`` form."""
    if all(_NAME_RE.fullmatch(t) and not t.isdigit() for t in tokens):
        return "".join("." + t for t in tokens)
    return _pointer_source(tokens)


def _expr_source(expr: Expr) -> str:
    match expr:
        case Url():
            return "$url"
        case Method():
            return "$method"
        case StatusCode():
            return "$statusCode"
        case RequestRef(source, name, pointer):
            if source == "body" or name is None:
                return f"$request.{source}{_pointer_source(pointer)}"
            return f"$request.{source}.{name}{_pointer_source(pointer)}"
        case MessageRef(source, name, pointer):
            if source == "body" or name is None:
                return f"$message.payload{_pointer_source(pointer)}"
            return f"$message.{source}.{name}{_pointer_source(pointer)}"
        case ResponseRef(source, name, pointer):
            if source == "body" or name is None:
                return f"$response.{source}{_pointer_source(pointer)}"
            return f"$response.{source}.{name}{_pointer_source(pointer)}"
        case InputRef(name, path):
            return f"$inputs.{name}{_path_source(path)}"
        case OutputRef(name, path):
            return f"$outputs.{name}{_path_source(path)}"
        case StepRef(step_id, name, path):
            return f"$steps.{step_id}.outputs.{name}{_path_source(path)}"
        case WorkflowRef(workflow_id, name, path, field):
            return f"$workflows.{workflow_id}.{field}.{name}{_path_source(path)}"
        case SourceRef(name, rest):
            return f"$sourceDescriptions.{name}.{rest}" if rest else f"$sourceDescriptions.{name}"
        case ComponentRef(kind, name):
            return f"$components.{kind}.{name}"
        case SelfRef():
            return "$self"
    raise TypeError(f"not a runtime expression: {expr!r}")


def _literal_source(value: None | bool | float | str) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


def _braces_balanced(source: str) -> bool:
    depth = 0
    for c in source:
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _template_source(template: Template) -> str:
    chunks: list[str] = []
    for part in template.parts:
        if isinstance(part, str):
            chunks.append(part)
            continue
        source = _expr_source(part)
        # Braced is canonical; a pointer with an unbalanced brace came from an unbraced embedding
        # (which runs to whitespace) and can only be written back that way.
        chunks.append("{" + source + "}" if _braces_balanced(source) else source)
    return "".join(chunks)


_PRECEDENCE = {Or: 1, And: 2, Compare: 3, Not: 4, Truthy: 5}


def _condition_source(node: Condition) -> str:
    if isinstance(node, Truthy):
        return _operand_source(node.operand)
    if isinstance(node, Compare):
        return f"{_operand_source(node.left)} {node.op} {_operand_source(node.right)}"
    if isinstance(node, Not):
        inner = _condition_source(node.operand)
        if isinstance(node.operand, (Truthy, Not)):
            return "!" + inner
        return f"!({inner})"
    own = _PRECEDENCE[type(node)]
    left = _condition_source(node.left)
    right = _condition_source(node.right)
    # left-associative: a same-precedence left child needs no parentheses, a right one does
    if _PRECEDENCE[type(node.left)] < own:
        left = f"({left})"
    if _PRECEDENCE[type(node.right)] <= own:
        right = f"({right})"
    symbol = "&&" if isinstance(node, And) else "||"
    return f"{left} {symbol} {right}"


def _operand_source(operand: Expr | Literal) -> str:
    if isinstance(operand, Literal):
        return _literal_source(operand.value)
    return _expr_source(operand)


def to_source(node: Expr | Template | Condition | Literal | Select | str) -> str:
    """Canonical Arazzo text for ``node``: ``parse_expression``/``parse_value``/``parse_condition``
    of the result gives back an equal node.  Templates embed their expressions as ``{$...}``."""
    if isinstance(node, str):
        return node
    if isinstance(node, Template):
        return _template_source(node)
    if isinstance(node, Literal):
        return _literal_source(node.value)
    if isinstance(node, _CONDITION_TYPES):
        return _condition_source(node)
    if isinstance(node, Select):  # not an expression: how a reader knows it
        return f"{_expr_source(node.context)} {node.kind} {node.query}"
    return _expr_source(node)
