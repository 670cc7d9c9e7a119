"""Build-time checks of regex, JSONPath and XPath criteria: a query that cannot work is a located error.

Each checker returns problems as ``(message, offset)`` pairs, ``offset`` being the 0-based index into the
condition text of the character the problem is at, so the caller can point at the column.

* regex: Python's :mod:`re` compiles the pattern, and so does the ``regex`` module (the generated code runs
  ``regex.search``, which reads patterns as ``re`` does, with a time bound on server data).  Arazzo does not
  name a dialect; JSON Schema, which Arazzo's data types follow, uses ECMA-262.  ECMA-262 named groups
  ``(?<name>...)`` and ``\\k<name>`` are rewritten to Python's ``(?P<name>...)`` and ``(?P=name)``;
  constructs that Python reads differently from ECMA-262 are reported as ``regex-dialect`` warnings
  (docs/conformance.md lists every difference).
* jsonpath: parsed with ``jsonpath-rfc9535`` (the library the generated code evaluates with).
* xpath: parsed with ``elementpath``'s parser for the version of the Criterion Expression Type Object.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import elementpath
import jsonpath_rfc9535
import regex
from elementpath.xpath30 import XPath30Parser
from elementpath.xpath31 import XPath31Parser

from . import expressions as ex

__all__ = [
    "JSONPATH_VERSIONS",
    "JSONPATH_VERSIONS_1_1",
    "XPATH_VERSIONS",
    "XPATH_VERSIONS_1_1",
    "RegexCheck",
    "check_jsonpath",
    "check_regex",
    "check_xpath",
    "jsonpath_comparison",
    "python_regex",
    "xpath_regex_call",
]

# Criterion Expression Type Object ``version`` -> how the generated code evaluates it.
JSONPATH_VERSIONS = {"draft-goessner-dispatch-jsonpath-00": "draft-goessner-dispatch-jsonpath-00"}
XPATH_VERSIONS = {"xpath-10": "1.0", "xpath-20": "2.0", "xpath-30": "3.0"}
# Arazzo 1.1 adds ``rfc9535`` (the default, ``None``) and ``xpath-31`` (the default, 3.1)
JSONPATH_VERSIONS_1_1 = {"rfc9535": None, **JSONPATH_VERSIONS}
XPATH_VERSIONS_1_1 = {**XPATH_VERSIONS, "xpath-31": "3.1"}
DEFAULT_XPATH = "3.1"  # no type object: XML Path Language 3.1

_XPATH_PARSERS: dict[str, type[elementpath.XPath1Parser]] = {
    "1.0": elementpath.XPath1Parser,
    "2.0": elementpath.XPath2Parser,
    "3.0": XPath30Parser,
    "3.1": XPath31Parser,
}


@dataclass
class RegexCheck:
    pattern: str  # what Python's re compiles (ECMA-262 named groups rewritten)
    error: tuple[str, int] | None
    warnings: list[tuple[str, int]]


# ECMA-262 syntax Python spells differently: rewritten so the pattern means what the document says.
_ECMA_NAMED_GROUP = re.compile(r"(?<!\\)((?:\\\\)*)\(\?<(?![=!])")
_ECMA_BACKREF = re.compile(r"(?<!\\)((?:\\\\)*)\\k<([A-Za-z_][A-Za-z0-9_]*)>")

# Constructs Python's re accepts but ECMA-262 reads differently (or rejects): (regex, explanation).
_DIALECT = [
    (
        re.compile(r"\(\?P[<=>]"),
        (
            "'(?P...)' is Python syntax; ECMA-262 (the dialect of JSON Schema) writes named groups "
            "'(?<name>...)' and other tools reject this pattern"
        ),
    ),
    (
        re.compile(r"\(\?[aiLmsux-]+[):]"),
        (
            "inline flags such as '(?i)' are Python syntax; ECMA-262 has no inline flags and other tools "
            "reject this pattern"
        ),
    ),
    (
        re.compile(r"\\[AZ]"),
        "'\\A' and '\\Z' are anchors in Python but the letters 'A' and 'Z' in ECMA-262",
    ),
    (
        re.compile(r"\(\?>|[*+?}]\+"),
        "atomic groups and possessive quantifiers are Python syntax; ECMA-262 rejects them",
    ),
    (
        re.compile(r"\{,[0-9]+\}"),
        "'{,n}' is a quantifier in Python but literal text in ECMA-262; write '{0,n}'",
    ),
]


def _escaped(pattern: str, index: int) -> bool:
    backslashes = 0
    while index - backslashes - 1 >= 0 and pattern[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def python_regex(pattern: str) -> str:
    """``pattern`` with its ECMA-262 named groups ``(?<name>...)`` and ``\\k<name>`` written as Python's."""
    return _ECMA_BACKREF.sub(r"\1(?P=\2)", _ECMA_NAMED_GROUP.sub(r"\1(?P<", pattern))


def check_regex(pattern: str) -> RegexCheck:
    """Compile ``pattern`` as the generated code will (``regex.search``, read as ``re`` reads it), after
    rewriting ECMA-262 named groups; the error points into the original pattern."""
    python = python_regex(pattern)
    warnings: list[tuple[str, int]] = []
    for finder, explanation in _DIALECT:
        for match in finder.finditer(pattern):
            if not _escaped(pattern, match.start()):
                warnings.append((explanation, match.start()))
                break
    try:
        re.compile(python)
    except re.error as error:
        position = error.pos if error.pos is not None else len(python)
        # each rewrite adds one character ('(?<' -> '(?P<', '\\k<n>' -> '(?P=n)'): map back to the original
        rewrites = sorted(
            m.start() + len(m.group(1))
            for finder in (_ECMA_NAMED_GROUP, _ECMA_BACKREF)
            for m in finder.finditer(pattern)
        )
        added = 0
        for start in rewrites:
            if start + added < position:
                added += 1
        offset = min(max(position - added, 0), len(pattern))
        return RegexCheck(python, (f"invalid regular expression: {error.msg}", offset), warnings)
    except (RecursionError, OverflowError, ValueError) as error:
        return RegexCheck(python, (f"invalid regular expression: {error}", 0), warnings)
    try:
        regex.compile(python)
    except (regex.error, RecursionError, OverflowError, ValueError) as error:
        return RegexCheck(python, (f"invalid regular expression: {error}", 0), warnings)
    return RegexCheck(python, None, warnings)


def check_jsonpath(query: str) -> tuple[str, int] | None:
    """The syntax error of the RFC 9535 JSONPath ``query``, if any."""
    try:
        jsonpath_rfc9535.compile(query)
    except jsonpath_rfc9535.JSONPathError as error:
        token = getattr(error, "token", None)
        offset = getattr(token, "index", 0) if token is not None else 0
        message = re.sub(
            r", line \d+, column \d+$", "", str(error.args[0] if error.args else error)
        )
        return f"invalid JSONPath query (RFC 9535): {message}", max(0, min(int(offset), len(query)))
    except (RecursionError, ValueError) as error:
        return f"invalid JSONPath query (RFC 9535): {error}", 0
    return None


_XPATH_LOCATION = re.compile(r"^.*? at line (\d+), column (\d+): (?:\[err:\w+\] )?", re.DOTALL)


def check_xpath(query: str, version: str) -> tuple[str, int] | None:
    """The static error of the XPath ``query`` for ``version`` (1.0, 2.0, 3.0, 3.1), if any."""
    parser = _XPATH_PARSERS[version]()
    try:
        parser.parse(query)
    except elementpath.ElementPathError as error:
        text = str(error)
        match = _XPATH_LOCATION.match(text)
        offset = 0
        if match is not None:
            line, column = int(match.group(1)), int(match.group(2))
            lines = query.split("\n")
            offset = sum(len(item) + 1 for item in lines[: line - 1]) + max(column - 1, 0)
            text = text[match.end() :]
        return f"invalid XPath {version} expression: {text}", max(0, min(offset, len(query)))
    except (RecursionError, ValueError) as error:
        return f"invalid XPath {version} expression: {error}", 0
    return None


# The XPath functions whose regular expression elementpath runs with Python's ``re``, which has no time bound
# (a backtracking pattern over a response value would run for hours); and ``function-lookup``, which could
# reach them by a name computed at run time.
_XPATH_REGEX_FUNCTIONS = frozenset({"matches", "replace", "tokenize", "analyze-string"})


def _function_name(token: Any) -> str | None:
    """The local name a named function reference (``fn:matches#2``) refers to."""
    name = token[1] if token.symbol == ":" and len(token) > 1 else token
    return name.value if name.symbol == "(name)" and isinstance(name.value, str) else None


def xpath_regex_call(query: str, version: str) -> tuple[str, int] | None:
    """The first function of ``query`` that would run a regular expression without a time bound (``matches``,
    ``replace``, ``tokenize`` with a pattern, ``analyze-string``, a reference to one, or ``function-lookup``)
    and its offset; ``None`` when there is none (or the query does not parse: ``check_xpath`` says why)."""
    try:
        root = _XPATH_PARSERS[version]().parse(query)
    except (elementpath.ElementPathError, RecursionError, ValueError):
        return None
    for token in root.iter():
        if token.label == "function" and (
            token.symbol == "function-lookup"
            or (
                token.symbol in _XPATH_REGEX_FUNCTIONS
                and (token.symbol != "tokenize" or len(token) > 1)
            )
        ):
            return token.symbol, token.span[0]
        if (
            token.symbol == "#"
            and len(token) > 0
            and _function_name(token[0]) in _XPATH_REGEX_FUNCTIONS
        ):
            return str(_function_name(token[0])), min(child.span[0] for child in token[0].iter())
    return None


# ``$.a.b[0]['c']``: a singular JSONPath query (names and indexes only), where ``$`` is not a runtime
# expression's (``$inputs``, ``$steps``, ...).
_SINGULAR_QUERY = re.compile(
    r"\$(?![A-Za-z_{])((?:\.[A-Za-z_][A-Za-z0-9_-]*|\[[0-9]+\]|\['[^']*'\])*)"
)
_QUERY_SEGMENT = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[([0-9]+)\]|\['([^']*)'\]")


def jsonpath_comparison(text: str, context: ex.Expr) -> ex.Condition | None:
    """A jsonpath "condition" written as a comparison of values (``$.status == 'done'``, what other
    runners accept), as the simple condition with the same meaning over ``context``
    (``$response.body#/status == 'done'``); ``None`` when ``text`` is not such a comparison."""
    pieces: list[str] = []
    last = 0
    found = False
    for match in _SINGULAR_QUERY.finditer(text):
        tokens = tuple(
            next(group for group in segment.groups() if group is not None)
            for segment in _QUERY_SEGMENT.finditer(match.group(1))
        )
        try:
            target = ex.extend_path(context, tokens) if tokens else context
        except ex.ExpressionError:
            return None
        pieces.append(text[last : match.start()])
        pieces.append(ex.to_source(target))
        last = match.end()
        found = True
    if not found:
        return None
    pieces.append(text[last:])
    try:
        condition = ex.parse_condition("".join(pieces))
    except ex.ExpressionError:
        return None
    return condition if not isinstance(condition, ex.Truthy) else None
