"""Stage 2: bind documents together.

A :class:`Workspace` reads each file once, normalises Swagger 2.0 API descriptions into the OpenAPI 3 shape
as they are loaded, and resolves ``$ref`` strings (same-document and relative-file, with JSON Pointer
fragments).  Resolution never follows a reference by itself, so cyclic schemas are safe: callers decide
when to step through a reference.

Every file it reads lies inside the :class:`SpecsRoot` (after resolving symlinks): a ``$ref`` (or a source
url, see :mod:`arazzo_gen.ir.program`) that leaves it is a located ``outside-root`` error, and the file is
never opened.  A path no file can have (see :func:`unusable_path`) is never looked up either: it is reported as
the reference that does not resolve.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ..diagnostics import Diagnostics, Loc, display_path
from ..read import Document, YList, YMap, read_document
from .swagger2 import is_swagger2, normalise_swagger2

ROOT_OPTION = "--root DIR"
# The limits of Linux (and most systems): a file name of at most NAME_MAX bytes, a path of at most PATH_MAX bytes
# with its terminating NUL.  A longer one makes every system call on it fail (ENAMETOOLONG).
NAME_MAX = 255
PATH_MAX = 4096


def unusable_path(path: str | Path) -> str | None:
    """Why no file can have the path ``path`` (a NUL character, a file name longer than NAME_MAX bytes, a path
    longer than PATH_MAX), or None; every path a document names is checked here before it is looked up."""
    text = str(path)
    if "\x00" in text:
        return "it contains a NUL character, which no path can hold"
    for name in text.split("/"):
        size = len(os.fsencode(name))
        if size > NAME_MAX:
            return f"the file name '{name[:40]}...' is {size:,} bytes long; a file name can have at most {NAME_MAX}"
    size = len(os.fsencode(text))
    if size >= PATH_MAX:
        return f"the path is {size:,} bytes long; a path can have at most {PATH_MAX - 1:,}"
    return None


def real_path(path: Path) -> Path:
    """``path`` made absolute with every symbolic link resolved, like :meth:`Path.resolve`, except that a link
    loop is left as it is (reading it then fails, and is reported) where ``Path.resolve`` raises RuntimeError."""
    return Path(os.path.realpath(path))


class UnusablePath(Exception):
    """A path from a document that no file can have (the message says why)."""


@dataclass(frozen=True)
class SpecsRoot:
    """The folders the compiler may read: the specs root, plus any folder given with ``--root``."""

    folders: tuple[Path, ...]
    stores: tuple[
        Path, ...
    ] = ()  # the downloaded sources (arazzo_gen.resolve.remote): readable, not described

    @classmethod
    def for_specs(
        cls, specs: Path, extra: list[Path] | None = None, stores: list[Path] | None = None
    ) -> SpecsRoot:
        folders = (default_root(specs), *(folder.resolve() for folder in extra or []))
        return cls(folders, tuple(folder.resolve() for folder in stores or []))

    def contains(self, path: Path) -> bool:
        """Whether ``path`` (resolved, so symlinks are followed first) lies inside one of the folders."""
        resolved = real_path(path)
        return any(
            resolved == folder or resolved.is_relative_to(folder)
            for folder in self.folders + self.stores
        )

    def locate(self, base: Path, reference: str) -> tuple[Path | None, str]:
        """The local file a relative (or ``file:``) reference from the document ``base`` names.

        Returns ``(path, "")`` inside the root, or ``(None, why)`` when it names something outside it: an
        absolute path, a ``../`` escape, a ``file://`` url or a symlink leaving the root.  Raises
        :class:`UnusablePath` when no file can have the path it names.
        """
        parts = urlsplit(reference)
        if parts.scheme == "file":
            if parts.netloc not in ("", "localhost"):
                return None, "names another host"
            relative = unquote(parts.path)
        else:
            relative = unquote(reference.partition("#")[0])
        problem = unusable_path(relative) or unusable_path(os.path.abspath(base.parent / relative))
        if problem is not None:
            raise UnusablePath(problem)
        path = real_path(base.parent / relative)
        if not self.contains(path):
            return None, f"leads outside the specs root ({self.describe()})"
        return path, ""

    def describe(self) -> str:
        return " and ".join(display_path(str(folder)) for folder in self.folders)


def default_root(specs: Path) -> Path:
    """SPECS itself when it is a folder; for one file, the nearest folder upwards holding a
    ``pyproject.toml``, else the file's folder."""
    specs = specs.resolve()
    if specs.is_dir():
        return specs
    for folder in specs.parents:
        if (folder / "pyproject.toml").is_file():
            return folder
    return specs.parent


def outside_root_message(what: str, problem: str) -> str:
    return f"{what} {problem}; it is not read - move the file inside the root, or widen the root with {ROOT_OPTION}"


@dataclass(frozen=True, slots=True)
class Target:
    """What a reference points at: the document, the JSON Pointer inside it and the node there."""

    path: Path
    pointer: str
    node: Any

    @property
    def key(self) -> str:
        """A stable identity for the target (file and pointer)."""
        return f"{self.path}#{self.pointer}"


class _Outside(Exception):
    """A reference names a file outside the root (internal to :class:`Workspace`)."""


class Workspace:
    def __init__(self, diagnostics: Diagnostics, root: SpecsRoot) -> None:
        self.diagnostics = diagnostics
        self.root = root
        self._documents: dict[Path, Document | None] = {}
        self._real_paths: dict[
            Path, Path
        ] = {}  # path as given -> resolved (resolving is a syscall per part)
        self._probed: set[Path] = (
            set()
        )  # files looked for (present or not) that decided what was read
        self.given: dict[
            Path, bytes
        ] = {}  # real path -> bytes already read and verified (a downloaded source)

    def document(self, path: Path) -> Document | None:
        """Read ``path`` once; API descriptions in Swagger 2.0 come back normalised to OpenAPI 3.

        A path outside the root is never read (callers report why, where the path came from).
        """
        path = self._real(path)
        if path in self._documents:  # only paths inside the root get here
            return self._documents[path]
        if not self.root.contains(path):
            return None
        if path not in self._documents:
            document = read_document(path, self.diagnostics, self.given.get(path))
            if document is not None and is_swagger2(document.root):
                document = Document(
                    path, normalise_swagger2(document.root, self.diagnostics), document.format
                )
            self._documents[path] = document
        return self._documents[path]

    def _real(self, path: Path) -> Path:
        real = self._real_paths.get(path)
        if real is None:
            real = self._real_paths[path] = real_path(path)
        return real

    def probe(self, path: Path) -> None:
        """Note that whether ``path`` exists decides the build (a rewrite's fallback candidate): a build
        cache entry is valid only while it stays as it was."""
        self._probed.add(self._real(path))

    def files_read(self) -> list[Path]:
        """Every file this workspace was asked to read (including ones that turned out missing or broken),
        and every file probed for."""
        return sorted(set(self._documents) | self._probed, key=lambda p: p.as_posix())

    def resolve(
        self, base: Path, ref: str, loc: Loc | None, *, report: bool = True
    ) -> Target | None:
        """Resolve ``ref`` found in the document at ``base``; report a located warning when it dangles."""
        try:
            target, problem = self._resolve(base, ref)
        except _Outside as outside:
            self.diagnostics.error(
                "outside-root", outside_root_message(f"$ref '{ref}'", str(outside)), loc
            )
            return None
        if target is None and report:
            self.diagnostics.warning(
                "unresolved-ref", f"$ref '{ref}' does not resolve: {problem}", loc
            )
        return target

    def _resolve(self, base: Path, ref: str) -> tuple[Target | None, str]:
        try:
            parts = urlsplit(ref)
        except ValueError as error:  # 'http://[x': a bracketed host that is not an IP address
            return None, f"it is not a valid URL ({error})"
        if parts.scheme in ("http", "https"):
            return None, "remote references are not fetched; save the document next to this one"
        if parts.scheme not in ("", "file"):
            return None, f"the scheme '{parts.scheme}:' is not supported; use a relative path"
        file_part, _, fragment = ref.partition("#")
        path = self._real(base)
        if file_part:
            try:
                located, problem = self.root.locate(base, file_part)
            except UnusablePath as unusable:
                return None, str(unusable)
            if located is None:
                raise _Outside(problem)
            path = located
        if file_part and not path.is_file():
            return None, f"file {file_part} not found"
        document = self.document(path)
        if document is None:
            return None, f"{file_part or path.name} cannot be read"
        pointer = unquote(fragment)
        node = document.root
        if pointer in ("", "/"):
            return Target(path, "", node), ""
        if not pointer.startswith("/"):
            return None, "the fragment must be a JSON Pointer starting with '/'"
        walked = "#"
        for raw in pointer[1:].split("/"):
            token = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, YMap | dict) and token in node:
                node = node[token]
            elif isinstance(node, YList | list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                document_name = f" of {file_part}" if file_part else ""
                return None, f"there is no '{token}' in '{walked}'{document_name}"
            walked += "/" + raw
        return Target(path, pointer, node), ""

    def follow(self, base: Path, node: Any, loc: Loc | None) -> tuple[Path, Any]:
        """Step through a chain of ``$ref`` objects (as for parameters and responses), cycle-safe.

        Returns the document and node finally reached; a dangling reference yields ``(base, None)``.
        """
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            here = node.at("$ref") if isinstance(node, YMap) else loc
            target = self.resolve(base, ref, here)
            if target is None:
                return base, None
            if target.key in seen:
                self.diagnostics.warning(
                    "ref-cycle", f"$ref '{ref}' refers to itself through a cycle", here
                )
                return base, None
            seen.add(target.key)
            base, node = target.path, target.node
        return base, node
