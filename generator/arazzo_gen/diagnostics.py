"""Compiler diagnostics: located, rule-tagged messages collected across a whole run.

Every stage reports problems into a :class:`Diagnostics` collector instead of raising, so one run shows
every problem it can find.  A diagnostic renders like a compiler message::

    specs/arazzo/typo.yml:64:18: error[unknown-operation]: operationId 'create_sesion' is not in ...
       64 |     operationId: create_sesion
          |                  ^^^^^^^^^^^^^
"""

from __future__ import annotations

import functools
import json
import os
import re
import unicodedata
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from urllib.parse import quote


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True, order=True)
class Loc:
    """A 1-based position in a source file; ``length`` is the width of the located token (0 if unknown)."""

    file: str
    line: int = 1
    col: int = 1
    length: int = 0

    def __str__(self) -> str:
        return f"{display_path(self.file)}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: Severity
    rule: str
    message: str
    loc: Loc | None = None

    def headline(self) -> str:
        where = f"{self.loc}: " if self.loc else ""
        return f"{where}{self.severity}[{self.rule}]: {self.message}"

    def sort_key(self) -> tuple[str, int, int, str, str]:
        if self.loc is None:
            return ("", 0, 0, self.rule, self.message)
        return (self.loc.file, self.loc.line, self.loc.col, self.rule, self.message)


def display_path(path: str) -> str:
    """Show ``path`` relative to the working directory when it lies below it, else as given."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


@functools.cache
def rule_ids() -> frozenset[str]:
    """Every rule id arazzo-gen reports: the first argument of each ``.error("...")`` and ``.warning("...")``
    call in its own source (as tests/test_rule_docs.py finds them)."""
    call = re.compile(r'\.(?:error|warning)\(\s*"([a-z0-9-]+)"')
    return frozenset(
        match.group(1)
        for source in Path(__file__).resolve().parent.rglob("*.py")
        for match in call.finditer(source.read_text(encoding="utf-8"))
    )


# Rules an API description can repeat thousands of times for one cause (Cloudflare's description: the same
# missing schema $ref'd 104 times, the same undefined security scheme named by 524 operations): one diagnostic
# per message and file, at its first place, saying how many more places there are.
FOLDED = frozenset({"unresolved-ref", "undefined-security-scheme"})


@dataclass
class Diagnostics:
    """Collects diagnostics from every stage; ``strict`` turns warnings into errors.

    ``rules`` maps a rule id to ``"off"`` (its warnings are dropped), ``"warning"`` (the default) or ``"error"``
    (its warnings become errors), like a compiler's warning flags; errors stay errors whatever it says.
    """

    strict: bool = False
    items: list[Diagnostic] = field(default_factory=list)
    rules: dict[str, str] = field(default_factory=dict)
    _seen: set[tuple[str, str, Loc | None]] = field(default_factory=set)
    # FOLDED rules: (rule, message, file) -> [index in items, how many more places said the same]
    _folded: dict[tuple[str, str, str | None], list[int]] = field(default_factory=dict)

    def error(self, rule: str, message: str, loc: Loc | None = None) -> None:
        self._add(Diagnostic(Severity.ERROR, rule, message, loc))

    def warning(self, rule: str, message: str, loc: Loc | None = None) -> None:
        level = self.rules.get(rule, "warning")
        if level == "off":
            return
        severity = Severity.ERROR if self.strict or level == "error" else Severity.WARNING
        self._add(Diagnostic(severity, rule, message, loc))

    def _add(self, diagnostic: Diagnostic) -> None:
        key = (diagnostic.rule, diagnostic.message, diagnostic.loc)
        if key in self._seen:
            return
        self._seen.add(key)
        if diagnostic.rule in FOLDED:
            fold = (
                diagnostic.rule,
                diagnostic.message,
                diagnostic.loc.file if diagnostic.loc else None,
            )
            entry = self._folded.get(fold)
            if (
                entry is not None
            ):  # reported once per file, at its first place, with the count of the others
                index, more = entry[0], entry[1] + 1
                entry[1] = more
                first = self.items[index]
                if (
                    first.loc is not None
                    and diagnostic.loc is not None
                    and diagnostic.loc < first.loc
                ):
                    first = diagnostic
                places = "place" if more == 1 else "places"
                message = f"{diagnostic.message} (and {more} more {places} in this file)"
                self.items[index] = replace(first, message=message)
                return
            self._folded[fold] = [len(self.items), 0]
        self.items.append(diagnostic)

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=Diagnostic.sort_key)

    def count(self, severity: Severity) -> int:
        return sum(1 for d in self.items if d.severity is severity)


# Characters a terminal must not receive raw from a document: controls (ESC starts ANSI/OSC sequences, BEL
# ends OSC ones; line breaks would forge extra diagnostic lines), format characters (bidi overrides such as
# U+202E, zero-width characters), line/paragraph separators (U+2028/U+2029), surrogates, private-use and
# unassigned code points.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def visible(text: str) -> str:
    """``text`` safe to print: every unsafe character as a visible escape (``\\x1b``, ``\\u202e``)."""
    if text.isprintable():
        return text
    return "".join(
        _escape(ch) if unicodedata.category(ch) in _UNSAFE_CATEGORIES else ch for ch in text
    )


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


# SGR colours of a terminal report (like a C compiler's): the location bold, the severity and the carets.
_BOLD, _RESET = "\x1b[1m", "\x1b[0m"
_SEVERITY_COLOURS = {Severity.ERROR: "\x1b[1;31m", Severity.WARNING: "\x1b[1;35m"}
_CARET_COLOUR = "\x1b[1;32m"


def use_colour(stream: object, environ: dict[str, str] | None = None) -> bool:
    """Whether a report to ``stream`` is coloured: never with ``NO_COLOR`` set (not empty), always with
    ``FORCE_COLOR`` set (not empty), else only on a terminal that is not ``TERM=dumb``."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty()) and env.get("TERM") != "dumb"


def _headline(diagnostic: Diagnostic, colour: bool) -> str:
    if not colour:
        return visible(diagnostic.headline())
    where = f"{_BOLD}{visible(str(diagnostic.loc))}:{_RESET} " if diagnostic.loc else ""
    severity = f"{_SEVERITY_COLOURS[diagnostic.severity]}{diagnostic.severity}{_RESET}"
    return f"{where}{severity}{_BOLD}[{diagnostic.rule}]{_RESET}: {visible(diagnostic.message)}"


def render_text(diagnostic: Diagnostic, *, snippet: bool = True, colour: bool = False) -> str:
    """Render one diagnostic with, when the file can be read, the source line and a caret underline.

    Document text (in the message, the path and the source line) is shown through :func:`visible`, so a
    document cannot send escape sequences or bidi overrides to the terminal; the caret is measured on the
    escaped line.  With ``colour``, the report's own SGR sequences colour the location, severity and carets.
    """
    text = _headline(diagnostic, colour)
    loc = diagnostic.loc
    if not snippet or loc is None:
        return text
    line = source_line(loc.file, loc.line)
    if line is None:
        return text
    # the carets stay within the line and one column past its end, wherever the location points (a location
    # replayed from a build cache entry is data: it may name any column and length)
    start = min(max(loc.col - 1, 0), len(line))
    width = min(max(1, loc.length), max(1, len(line) - start))
    token = line[start : start + width]
    pad = len(visible(line[:start]))
    carets = len(visible(token)) + width - len(token)  # the column past the line's end counts as is
    gutter = f"{loc.line:>5} | "
    marks = f"{_CARET_COLOUR}{'^' * carets}{_RESET}" if colour else "^" * carets
    caret = " " * (len(gutter) - 2) + "| " + " " * pad + marks
    return f"{text}\n{gutter}{visible(line)}\n{caret}"


def render_json(diagnostics: list[Diagnostic]) -> str:
    rows = [
        {
            "severity": str(d.severity),
            "rule": d.rule,
            "message": d.message,
            "file": display_path(d.loc.file) if d.loc else None,
            "line": d.loc.line if d.loc else None,
            "column": d.loc.col if d.loc else None,
        }
        for d in diagnostics
    ]
    return json.dumps(
        rows, indent=2, ensure_ascii=True
    )  # ASCII: no document character reaches the terminal raw


_LINES: dict[str, list[str]] = {}


def remember_source(file: str, text: str) -> None:
    """Keep the text of a file the compiler read, for the snippets of diagnostics located in it."""
    _LINES[file] = text.splitlines()


def source_line(file: str, line: int) -> str | None:
    """Line ``line`` of ``file`` as the compiler read it; ``None`` for a file it never read.

    Snippets never read the disk themselves: a location can name a file that was refused (outside the specs
    root, say), and its content must not be printed.
    """
    lines = _LINES.get(file, [])
    if 1 <= line <= len(lines):
        return lines[line - 1].expandtabs(1)
    return None


SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)


def render_sarif(diagnostics: list[Diagnostic], version: str) -> str:
    """The diagnostics as a SARIF 2.1.0 log (one run), for code-scanning UIs."""
    rule_ids = sorted({d.rule for d in diagnostics})
    results = []
    for d in diagnostics:
        result: dict[str, object] = {
            "ruleId": d.rule,
            "ruleIndex": rule_ids.index(d.rule),
            "level": "error" if d.severity is Severity.ERROR else "warning",
            "message": {"text": d.message},
        }
        if d.loc is not None:
            region: dict[str, int] = {"startLine": d.loc.line, "startColumn": d.loc.col}
            if d.loc.length:
                region["endColumn"] = d.loc.col + d.loc.length
            shown = display_path(d.loc.file)
            uri = (
                Path(shown).as_uri() if Path(shown).is_absolute() else quote(shown)
            )  # a URI, percent-encoded
            result["locations"] = [
                {"physicalLocation": {"artifactLocation": {"uri": uri}, "region": region}}
            ]
        results.append(result)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "arazzo-gen",
                "version": version,
                "informationUri": "https://spec.openapis.org/arazzo/latest.html",
                "rules": [{"id": rule} for rule in rule_ids],
            }},
            "results": results,
        }],
    }  # fmt: skip
    return json.dumps(log, indent=2, ensure_ascii=True)


def kind_of(value: object) -> str:
    """How a YAML/JSON value is named in a diagnostic ("a string", "a mapping", ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "a mapping"
