"""What the parts of :class:`~arazzo_gen.ir.workflow.lowering.WorkflowLowering` share: the document being
lowered (its sources and components), the diagnostics, and the checks of structure every part reports."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from ...diagnostics import Diagnostics, Loc, kind_of, source_line
from ...read import YList, YMap
from ...read.positions import inside
from ...resolve import Workspace
from ..expressions import ExpressionError, Nonstandard
from ..model import Api
from ..versions import version_of


def text_of(value: Any) -> str:
    return value if isinstance(value, str) else ""


def offset_loc(loc: Loc, offset: int) -> Loc:
    """The location ``offset`` characters into the string value at ``loc`` (inside quotes, on the lines of a
    ``|`` block); the scalar's own location where that position is not exact (see :mod:`...read.positions`)."""
    found = inside(loc, offset)
    if found is not None:
        return Loc(found.file, found.line, found.col, 1)
    if source_line(loc.file, loc.line) is None:
        return Loc(loc.file, loc.line, loc.col + offset, 1)
    return Loc(loc.file, loc.line, loc.col, 1)


def part_loc(loc: Loc, offset: int, part: str) -> Loc:
    """The location of ``part``, written ``offset`` characters into the string value at ``loc``; ``loc``
    itself where that position is not exact."""
    return inside(loc, offset, len(part)) or loc


class LoweringContext:
    """One Arazzo document being lowered: its sources, its components, and the stepIds of the workflow
    being lowered that a condition cannot name."""

    def __init__(
        self,
        workspace: Workspace,
        diagnostics: Diagnostics,
        path: Path,
        root: YMap,
        sources: dict[str, Api],
        arazzo_sources: dict[str, Path] | None = None,
    ) -> None:
        self.workspace = workspace
        self.diagnostics = diagnostics
        self.path = path
        self.root = root
        self.version = version_of(
            root
        )  # "1.0" or "1.1": the Arazzo version the document is read as
        self.sources = sources  # sourceDescriptions name -> Api (only those that resolved)
        self.arazzo_sources = arazzo_sources or {}  # the `type: arazzo` sources: name -> document
        declared = root.get("sourceDescriptions")
        self.declared_sources = [
            item["name"] for item in declared if isinstance(item, dict) and isinstance(item.get("name"), str)
        ] if isinstance(declared, list) else []  # fmt: skip
        self.spaced_step_ids: list[
            str
        ] = []  # of the workflow being lowered: see _nonconforming_step_ids
        components = root.get("components")
        self.components: dict[str, Any] = components if isinstance(components, dict) else {}

    def explain(self, text: str, error: ExpressionError, loc: Loc) -> tuple[str, Loc]:
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

    def follow(self, node: Any, loc: Loc | None) -> tuple[Path, Any]:
        """Resolve a JSON-Schema ``$ref`` (``#/components/inputs/x``) inside the Arazzo document."""
        return self.workspace.follow(self.path, node, loc)

    def wrong_type(self, what: str, expected: str, found: Any, loc: Loc | None) -> None:
        self.diagnostics.error(
            "invalid-type",
            f"{what} must be {expected}, not {kind_of(found)}",
            loc or self.root.loc,
        )

    def list_of(self, raw: YMap, key: str) -> YList:
        """``raw[key]`` when it is a list; an absent key is an empty list, anything else an error."""
        value = raw.get(key)
        if isinstance(value, YList):
            return value
        if value is not None:
            self.wrong_type(f"'{key}'", "a list", value, raw.at(key))
        return YList(raw.at(key))

    def mappings(self, items: YList, what: str) -> list[YMap]:
        """The entries of ``items`` that are mappings; every other entry is a located error."""
        found = []
        for index, item in enumerate(items):
            if isinstance(item, YMap):
                found.append(item)
            else:
                self.wrong_type(what, "a mapping", item, items.at(index))
        return found

    def unknown_source(self, name: str, loc: Loc) -> None:
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

    def component(self, reference: Any, loc: Loc, kind: str) -> Any:
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

    def nonstandard(self, notes: list[Nonstandard], loc: Loc) -> None:
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


class Part:
    """A part of the lowering of one document: reads the shared :class:`LoweringContext`."""

    def __init__(self, ctx: LoweringContext) -> None:
        self.ctx = ctx
        self.diagnostics = ctx.diagnostics
