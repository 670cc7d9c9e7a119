"""Read YAML and JSON documents into plain JSON-compatible data that remembers where every node came from.

Mappings become :class:`YMap` (a ``dict``) and sequences :class:`YList` (a ``list``); both carry the location
of the node itself and of each of their keys and values, so later stages can point diagnostics at the exact
line and column of any value.  Scalars follow JSON semantics (YAML 1.1 oddities such as ``yes``/``on`` as
booleans or unquoted dates as ``datetime`` are kept as strings), and mapping keys are always strings.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..diagnostics import Diagnostics, Loc, display_path, kind_of, remember_source

try:  # the C composer is several times faster on large documents
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - libyaml missing
    from yaml import SafeLoader as _Loader  # type: ignore[assignment,unused-ignore]


class YMap(dict[str, Any]):
    """A mapping with source locations: ``loc`` for the mapping, ``key_locs``/``value_locs`` per key."""

    __slots__ = ("key_locs", "loc", "value_locs")

    def __init__(self, loc: Loc) -> None:
        super().__init__()
        self.loc = loc
        self.key_locs: dict[str, Loc] = {}
        self.value_locs: dict[str, Loc] = {}

    def at(self, key: str) -> Loc:
        """Location of the value under ``key`` (or of the mapping when the key is absent)."""
        return self.value_locs.get(key) or self.loc

    def key_at(self, key: str) -> Loc:
        return self.key_locs.get(key) or self.loc


class YList(list[Any]):
    """A sequence with source locations: ``loc`` for the sequence, ``item_locs`` per item."""

    __slots__ = ("item_locs", "loc")

    def __init__(self, loc: Loc) -> None:
        super().__init__()
        self.loc = loc
        self.item_locs: list[Loc] = []

    def at(self, index: int) -> Loc:
        return self.item_locs[index] if 0 <= index < len(self.item_locs) else self.loc


def loc_of(container: Any, key: str | int) -> Loc | None:
    """Location of ``container[key]`` when the container is positioned."""
    if isinstance(container, YMap) and isinstance(key, str):
        return container.at(key)
    if isinstance(container, YList) and isinstance(key, int):
        return container.at(key)
    return None


def typed_field(
    node: Any,
    key: str,
    kind: type | tuple[type, ...],
    shape: str,
    diagnostics: Diagnostics,
    what: str | None = None,
    then: str = "it is ignored",
) -> Any:
    """``node[key]`` when it is a ``kind``; None when it is absent or null.  A value of another YAML type is a
    located ``invalid-type`` warning (``<what> must be <shape>, not <its type>; <then>``) and None: a field of an
    API description that cannot be read as its specification defines is ignored."""
    value = node.get(key) if isinstance(node, dict) else None
    if value is None or isinstance(value, kind):
        return value
    label = what or f"'{key}'"
    diagnostics.warning(
        "invalid-type", f"{label} must be {shape}, not {kind_of(value)}; {then}", loc_of(node, key)
    )
    return None


def to_plain(value: Any) -> Any:
    """A copy of positioned data as plain dicts and lists (for output that must not carry positions)."""
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    return value


def node_loc(node: Any) -> Loc | None:
    return node.loc if isinstance(node, YMap | YList) else None


@dataclass(frozen=True)
class Document:
    """A parsed file: its absolute path, root node and format."""

    path: Path
    root: Any
    format: str  # "yaml" or "json"


class ReadError(Exception):
    def __init__(self, message: str, loc: Loc, rule: str = "invalid-syntax") -> None:
        super().__init__(message)
        self.message = message
        self.loc = loc
        self.rule = rule


# Limits that keep reading (and every later, recursive stage) bounded in time and memory.  Real API
# descriptions nest a few dozen levels and use few YAML aliases; hostile ones nest 10,000 levels (which would
# overflow the C stack of the YAML composer) or expand a 1 KB "billion laughs" document to 10^9 nodes.
MAX_DEPTH = 128
"""Deepest nesting of mappings and sequences accepted in a document."""
MAX_ALIAS_EXPANSION = 100_000
"""Most nodes that YAML aliases (and merge keys) may add to a document once expanded; a string counts one
node per 32 characters."""

_NON_FINITE_JSON = {"NaN", "Infinity", "-Infinity", "+Infinity"}


def read_document(
    path: Path, diagnostics: Diagnostics, data: bytes | None = None
) -> Document | None:
    """Parse ``path`` (or ``data``, its bytes when the caller has read and verified them already); report
    problems to ``diagnostics`` and return ``None`` when it cannot be read."""
    file = str(path)
    try:
        data = path.read_bytes() if data is None else data
    except FileNotFoundError:
        diagnostics.error("file-not-found", f"file not found: {display_path(file)}", Loc(file))
        return None
    except OSError as error:
        reason = error.strerror or str(
            error
        )  # without the file name, which str(error) repeats in full
        diagnostics.error(
            "unreadable-file", f"cannot read {display_path(file)}: {reason}", Loc(file)
        )
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        remember_source(file, data.decode("utf-8", errors="replace"))
        diagnostics.error("invalid-encoding", *_decode_problem(data, error, file))
        return None
    remember_source(file, text)
    is_json = path.suffix.lower() == ".json" or text.lstrip().startswith(("{", "["))
    if is_json:
        # Tabs are insignificant white space in JSON but not allowed as indentation in YAML; a raw tab cannot
        # occur inside a JSON string, so replacing them keeps every position and the meaning intact.
        text = text.replace("\t", " ")
    if not text.strip():
        diagnostics.warning("empty-document", "the file is empty; it is skipped", Loc(file))
        return None
    try:
        root = parse_text(text, file, diagnostics, json_document=is_json)
    except ReadError as error:
        if is_json and error.rule == "invalid-syntax":
            try:
                root = _parse_json_fallback(text, file, diagnostics)
            except ReadError as fallback_error:
                error = fallback_error
            else:
                if root is not None:
                    return Document(path.resolve(), root, "json")
        _report(diagnostics, error)
        return None
    return Document(path.resolve(), root, "json" if is_json else "yaml")


def _report(diagnostics: Diagnostics, error: ReadError) -> None:
    # Each rule is spelled out so that docs/diagnostics.md can be checked against the source.
    if error.rule == "too-deep":
        diagnostics.error("too-deep", error.message, error.loc)
    elif error.rule == "alias-expansion":
        diagnostics.error("alias-expansion", error.message, error.loc)
    elif error.rule == "invalid-encoding":
        diagnostics.error("invalid-encoding", error.message, error.loc)
    elif error.rule == "non-finite-number":
        diagnostics.error("non-finite-number", error.message, error.loc)
    else:
        diagnostics.error("invalid-syntax", error.message, error.loc)


def _decode_problem(data: bytes, error: UnicodeDecodeError, file: str) -> tuple[str, Loc]:
    line_start = data.rfind(b"\n", 0, error.start) + 1
    line = data.count(b"\n", 0, error.start) + 1
    col = len(data[line_start : error.start].decode("utf-8", errors="replace")) + 1
    shown = data[error.start : min(error.end, error.start + 4)].hex(" ")
    message = f"the file is not UTF-8: bytes {shown} at line {line} cannot be decoded; re-save the file as UTF-8"
    return message, Loc(file, line, col, 1)


def parse_text(
    text: str, file: str, diagnostics: Diagnostics | None = None, *, json_document: bool = False
) -> Any:
    """Parse ``text`` as YAML (a superset of JSON) into positioned data, within :data:`MAX_DEPTH` and
    :data:`MAX_ALIAS_EXPANSION`.

    The document is built from the parser's event stream with an explicit stack, never by recursion, so no
    nesting depth can overflow a stack; the first node beyond the limits stops reading with a located
    :class:`ReadError`.
    """
    try:
        return _run(_Loader(text), file, diagnostics, json_document)
    except yaml.MarkedYAMLError as error:
        if _Loader is not yaml.SafeLoader and "maximum nesting depth" in str(error.problem):
            # libyaml scans ahead and refuses a 1,001st open flow collection before the builder has seen the one
            # beyond MAX_DEPTH; the pure-Python parser streams, so the builder stops at the right node
            try:
                return _run(yaml.SafeLoader(text), file, diagnostics, json_document)
            except yaml.MarkedYAMLError as retry_error:
                error = retry_error
        mark = error.problem_mark or error.context_mark
        loc = Loc(file, mark.line + 1, mark.column + 1, 1) if mark else Loc(file)
        problem = error.problem or error.context or "malformed document"
        context = f" ({error.context})" if error.context and error.problem else ""
        raise ReadError(f"invalid YAML: {problem}{context}", loc) from None
    except yaml.YAMLError as error:
        raise ReadError(f"invalid YAML: {error}", Loc(file)) from None


def _run(loader: Any, file: str, diagnostics: Diagnostics | None, json_document: bool) -> Any:
    try:
        return _Builder(file, diagnostics, json_document).run(loader)
    finally:
        loader.dispose()


def _weight(value: Any) -> int:
    """How many nodes a scalar counts for when it is repeated by an alias."""
    return 1 + len(value) // 32 if isinstance(value, str) else 1


@dataclass
class _Anchor:
    value: Any
    loc: Loc
    size: int
    open: bool  # still being built: an alias to it now would make the document contain itself


class _Frame:
    __slots__ = ("anchor", "container", "key", "key_loc", "size", "start")

    def __init__(self, container: YMap | YList, start: yaml.Mark, anchor: str | None) -> None:
        self.container = container
        self.start = start
        self.anchor = anchor
        self.key: Any = _NO_KEY
        self.key_loc: Loc | None = None
        self.size = 1


_NO_KEY = object()


class _Builder:
    def __init__(self, file: str, diagnostics: Diagnostics | None, json_document: bool) -> None:
        self.file = file
        self.diagnostics = diagnostics
        self.json_document = json_document
        self.anchors: dict[str, _Anchor] = {}
        self.expansion = 0

    def loc(self, start: yaml.Mark, end: yaml.Mark) -> Loc:
        length = end.column - start.column if end.line == start.line else 0
        return Loc(self.file, start.line + 1, start.column + 1, max(length, 0))

    def mark_loc(self, mark: yaml.Mark) -> Loc:
        return Loc(self.file, mark.line + 1, mark.column + 1, 1)

    def run(self, loader: Any) -> Any:
        stack: list[_Frame] = []
        root: Any = _NO_KEY
        documents = 0
        while True:
            event = loader.get_event()
            if isinstance(event, yaml.StreamEndEvent):
                break
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise ReadError(
                        "invalid YAML: expected a single document in the stream, but found another document",
                        self.mark_loc(event.start_mark),
                    )
                continue
            if isinstance(event, yaml.StreamStartEvent | yaml.DocumentEndEvent):
                continue
            if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                if len(stack) >= MAX_DEPTH:
                    raise ReadError(
                        f"the document nests deeper than {MAX_DEPTH} levels; arazzo-gen stops reading here",
                        self.mark_loc(event.start_mark),
                        "too-deep",
                    )
                provisional = self.mark_loc(event.start_mark)
                container: YMap | YList = (
                    YMap(provisional)
                    if isinstance(event, yaml.MappingStartEvent)
                    else YList(provisional)
                )
                if event.anchor is not None:
                    self.anchors[event.anchor] = _Anchor(container, provisional, 0, True)
                stack.append(_Frame(container, event.start_mark, event.anchor))
                continue
            if isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                frame = stack.pop()
                loc = self.loc(frame.start, event.end_mark)
                frame.container.loc = loc
                if frame.anchor is not None:
                    self.anchors[frame.anchor] = _Anchor(frame.container, loc, frame.size, False)
                value, size = frame.container, frame.size
            elif isinstance(event, yaml.AliasEvent):
                anchor = self.anchors.get(event.anchor)
                if anchor is None:
                    raise ReadError(
                        f"invalid YAML: found undefined alias '{event.anchor}'",
                        self.mark_loc(event.start_mark),
                    )
                if anchor.open:
                    raise ReadError(
                        f"invalid YAML: the alias '*{event.anchor}' refers to a node that contains it (a recursive "
                        "alias); JSON data cannot be recursive",
                        self.loc(event.start_mark, event.end_mark),
                    )
                self.expansion += anchor.size
                if self.expansion > MAX_ALIAS_EXPANSION:
                    raise ReadError(
                        f"the alias '*{event.anchor}' expands the document beyond {MAX_ALIAS_EXPANSION:,} nodes "
                        "(a YAML alias bomb?); arazzo-gen stops reading here",
                        self.loc(event.start_mark, event.end_mark),
                        "alias-expansion",
                    )
                value, size, loc = anchor.value, anchor.size, anchor.loc
            elif isinstance(event, yaml.ScalarEvent):
                loc = self.loc(event.start_mark, event.end_mark)
                value = self.scalar(event, loc)
                size = _weight(value)
                if event.anchor is not None:
                    self.anchors[event.anchor] = _Anchor(value, loc, size, False)
            else:  # pragma: no cover - no other events exist
                continue
            if not stack:
                root = value
                continue
            self.add(stack[-1], value, size, loc, event)
        if root is _NO_KEY:
            raise ReadError("the document is empty", Loc(self.file))
        return root

    def scalar(self, event: yaml.ScalarEvent, loc: Loc) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            tag = _RESOLVER.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag == "tag:yaml.org,2002:merge":
            return _MERGE
        # A plain scalar that JSON cannot hold is refused, not made a string (quoted, it is a string).
        if not event.style and (
            (self.json_document and event.value in _NON_FINITE_JSON)
            or (
                tag == "tag:yaml.org,2002:float"
                and event.value.lstrip("+-").lower() in (".nan", ".inf")
            )
        ):
            raise ReadError(
                f"'{event.value}' is not a finite number; JSON (and so OpenAPI and Arazzo) has no NaN or "
                "Infinity - write a number, or quote it to make it a string",
                loc,
                "non-finite-number",
            )
        value = _scalar(event.value, event.style, tag)
        if isinstance(value, float) and not math.isfinite(value):
            raise ReadError(
                f"'{event.value}' overflows to infinity; JSON (and so OpenAPI and Arazzo) has no Infinity",
                loc,
                "non-finite-number",
            )
        return value

    def add(self, frame: _Frame, value: Any, size: int, loc: Loc, event: yaml.Event) -> None:
        container = frame.container
        frame.size += size
        if value is _MERGE and (isinstance(container, YList) or frame.key is not _NO_KEY):
            value = "<<"  # only a key merges
        if isinstance(container, YList):
            container.append(value)
            container.item_locs.append(loc)
            return
        if frame.key is _NO_KEY:
            frame.key = value
            frame.key_loc = loc
            return
        key, key_loc = frame.key, frame.key_loc
        frame.key, frame.key_loc = _NO_KEY, None
        assert key_loc is not None
        if key is _MERGE:
            self.merge(container, value)
            return
        text = _key_text(key)
        if text in container and self.diagnostics is not None:
            first = container.key_locs[text]
            self.diagnostics.warning(
                "duplicate-key",
                f"key '{text}' appears twice in this mapping (first at line {first.line}); the last one wins",
                key_loc,
            )
        container[text] = value
        container.key_locs[text] = key_loc
        container.value_locs[text] = loc

    @staticmethod
    def merge(mapping: YMap, value: Any) -> None:
        sources = value if isinstance(value, YList) else [value]
        for source in sources:
            if isinstance(source, YMap):
                for key, item in source.items():
                    if key not in mapping:
                        mapping[key] = item
                        mapping.key_locs[key] = source.key_at(key)
                        mapping.value_locs[key] = source.at(key)


class _Merge:
    """The ``<<`` merge key (a sentinel, so that it never collides with a real key)."""


_MERGE = _Merge()
_RESOLVER = yaml.resolver.Resolver()


def _key_text(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)


_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}


def _scalar(value: str, style: str | None, tag: str) -> Any:
    """JSON-compatible value of a scalar, with YAML 1.2 core-schema semantics."""
    if style in ("'", '"', "|", ">"):
        return value
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        return value  # YAML 1.1 yes/no/on/off stay strings
    if tag == "tag:yaml.org,2002:int":
        digits = value.replace("_", "")
        for base in (10, 0):
            try:
                return int(digits, base)
            except ValueError:
                continue
        return value
    if tag == "tag:yaml.org,2002:float":
        try:
            number = float(value.replace("_", ""))
        except ValueError:
            return value
        return number
    return value


def _parse_json_fallback(text: str, file: str, diagnostics: Diagnostics) -> Any | None:
    """Strict JSON that the YAML composer rejected: parse it without positions rather than fail."""

    def no_constant(name: str) -> Any:
        raise ReadError(
            f"'{name}' is not a finite number; JSON (and so OpenAPI and Arazzo) has no NaN or Infinity - write a "
            "number, or quote it to make it a string",
            Loc(file),
            "non-finite-number",
        )

    try:
        data = json.loads(text, parse_constant=no_constant)
    except json.JSONDecodeError:
        return None
    except RecursionError:
        raise ReadError(
            f"the document nests deeper than {MAX_DEPTH} levels; arazzo-gen stops reading here",
            Loc(file),
            "too-deep",
        ) from None
    surrogate = _lone_surrogate(text)
    if surrogate is not None:
        line, col = surrogate
        raise ReadError(
            "a lone UTF-16 surrogate escape (\\ud800-\\udfff without its pair) is not a character; remove it or "
            "write the whole surrogate pair",
            Loc(file, line, col, 6),
            "invalid-encoding",
        )
    diagnostics.warning(
        "json-without-positions",
        "this JSON could not be read with positions; locations inside it point at the start of the file",
        Loc(file),
    )
    return _wrap(data, Loc(file))


_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|.)", re.DOTALL)


def _lone_surrogate(text: str) -> tuple[int, int] | None:
    """Line and column of the first ``\\uXXXX`` escape that is half of a surrogate pair without the other."""
    pending: int | None = None  # offset of a high surrogate waiting for its low half
    previous_end = -1
    for match in _ESCAPE.finditer(text):
        code = int(match.group(1), 16) if match.group(1) else None
        adjacent = match.start() == previous_end
        if pending is not None and not (adjacent and code is not None and 0xDC00 <= code <= 0xDFFF):
            break
        if pending is not None:
            pending = None
        elif code is not None and 0xD800 <= code <= 0xDBFF:
            pending = match.start()
        elif code is not None and 0xDC00 <= code <= 0xDFFF:
            pending = match.start()
            break
        previous_end = match.end()
    if pending is None:
        return None
    line = text.count("\n", 0, pending) + 1
    return line, pending - (text.rfind("\n", 0, pending) + 1) + 1


def _wrap(data: Any, loc: Loc, depth: int = 0) -> Any:
    if isinstance(data, dict | list) and depth >= MAX_DEPTH:
        raise ReadError(
            f"the document nests deeper than {MAX_DEPTH} levels; arazzo-gen stops reading here",
            loc,
            "too-deep",
        )
    if isinstance(data, dict):
        mapping = YMap(loc)
        for key, value in data.items():
            mapping[str(key)] = _wrap(value, loc, depth + 1)
        return mapping
    if isinstance(data, list):
        seq = YList(loc)
        for item in data:
            seq.append(_wrap(item, loc, depth + 1))
            seq.item_locs.append(loc)
        return seq
    return data
