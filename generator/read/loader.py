"""Read YAML and JSON documents into plain JSON-compatible data that remembers where every node came from.

Mappings become :class:`YMap` (a ``dict``) and sequences :class:`YList` (a ``list``); both carry the location
of the node itself and of each of their keys and values, so later stages can point diagnostics at the exact
line and column of any value.  Scalars follow JSON semantics (YAML 1.1 oddities such as ``yes``/``on`` as
booleans or unquoted dates as ``datetime`` are kept as strings), and mapping keys are always strings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..diagnostics import Diagnostics, Loc

try:  # the C composer is several times faster on large documents
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - libyaml missing
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


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
    def __init__(self, message: str, loc: Loc) -> None:
        super().__init__(message)
        self.message = message
        self.loc = loc


def read_document(path: Path, diagnostics: Diagnostics) -> Document | None:
    """Parse ``path``; report problems to ``diagnostics`` and return ``None`` when it cannot be read."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        diagnostics.error("file-not-found", f"file not found: {path}", Loc(file))
        return None
    except (OSError, UnicodeDecodeError) as error:
        diagnostics.error("unreadable-file", f"cannot read {path}: {error}", Loc(file))
        return None
    is_json = path.suffix.lower() == ".json" or text.lstrip().startswith(("{", "["))
    if is_json:
        # Tabs are insignificant white space in JSON but not allowed as indentation in YAML; a raw tab cannot
        # occur inside a JSON string, so replacing them keeps every position and the meaning intact.
        text = text.replace("\t", " ")
    if not text.strip():
        diagnostics.warning("empty-document", "the file is empty; it is skipped", Loc(file))
        return None
    try:
        root = parse_text(text, file, diagnostics)
    except ReadError as error:
        if is_json:
            root = _parse_json_fallback(text, file, diagnostics)
            if root is not None:
                return Document(path.resolve(), root, "json")
        diagnostics.error("invalid-syntax", error.message, error.loc)
        return None
    return Document(path.resolve(), root, "json" if is_json else "yaml")


def parse_text(text: str, file: str, diagnostics: Diagnostics | None = None) -> Any:
    """Compose ``text`` as YAML (a superset of JSON) and convert it to positioned data."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        loc = Loc(file, mark.line + 1, mark.column + 1, 1) if mark else Loc(file)
        problem = error.problem or error.context or "malformed document"
        context = f" ({error.context})" if error.context and error.problem else ""
        raise ReadError(f"invalid YAML: {problem}{context}", loc) from None
    except yaml.YAMLError as error:
        raise ReadError(f"invalid YAML: {error}", Loc(file)) from None
    if node is None:
        raise ReadError("the document is empty", Loc(file))
    return _Converter(file, diagnostics).convert(node)


class _Converter:
    def __init__(self, file: str, diagnostics: Diagnostics | None) -> None:
        self.file = file
        self.diagnostics = diagnostics
        self.memo: dict[int, Any] = {}

    def loc(self, node: yaml.Node) -> Loc:
        start, end = node.start_mark, node.end_mark
        length = end.column - start.column if end.line == start.line else 0
        return Loc(self.file, start.line + 1, start.column + 1, max(length, 0))

    def convert(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node)
        cached = self.memo.get(id(node))
        if cached is not None:  # a YAML alias: share the converted node (also stops recursive aliases)
            return cached
        if isinstance(node, yaml.SequenceNode):
            seq = YList(self.loc(node))
            self.memo[id(node)] = seq
            for item in node.value:
                seq.append(self.convert(item))
                seq.item_locs.append(self.loc(item))
            return seq
        mapping = YMap(self.loc(node))
        self.memo[id(node)] = mapping
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self._merge(mapping, value_node)
                continue
            raw_key = self.convert(key_node)
            key = _key_text(raw_key)
            key_loc = self.loc(key_node)
            if key in mapping and self.diagnostics is not None:
                first = mapping.key_locs[key]
                self.diagnostics.warning(
                    "duplicate-key",
                    f"key '{key}' appears twice in this mapping (first at line {first.line}); the last one wins",
                    key_loc,
                )
            mapping[key] = self.convert(value_node)
            mapping.key_locs[key] = key_loc
            mapping.value_locs[key] = self.loc(value_node)
        return mapping

    def _merge(self, mapping: YMap, value_node: yaml.Node) -> None:
        sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        for source_node in sources:
            source = self.convert(source_node)
            if isinstance(source, YMap):
                for key, value in source.items():
                    if key not in mapping:
                        mapping[key] = value
                        mapping.key_locs[key] = source.key_at(key)
                        mapping.value_locs[key] = source.at(key)


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


def _scalar(node: yaml.ScalarNode) -> Any:
    """JSON-compatible value of a scalar, with YAML 1.2 core-schema semantics."""
    value: str = node.value
    if node.style in ("'", '"', "|", ">"):
        return value
    tag = node.tag
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
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    diagnostics.warning(
        "json-without-positions",
        "this JSON could not be read with positions; locations inside it point at the start of the file",
        Loc(file),
    )
    return _wrap(data, Loc(file))


def _wrap(data: Any, loc: Loc) -> Any:
    if isinstance(data, dict):
        mapping = YMap(loc)
        for key, value in data.items():
            mapping[str(key)] = _wrap(value, loc)
        return mapping
    if isinstance(data, list):
        seq = YList(loc)
        for item in data:
            seq.append(_wrap(item, loc))
            seq.item_locs.append(loc)
        return seq
    return data
