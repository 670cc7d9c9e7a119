"""Which files a build reads first: every YAML/JSON file under SPECS (kept light: the build cache walks it
before deciding whether to compile anything)."""

from __future__ import annotations

import os
from pathlib import Path

from ..diagnostics import Diagnostics, Loc, display_path
from .workspace import SpecsRoot, outside_root_message, real_path, unusable_path

SPEC_SUFFIXES = (".yaml", ".yml", ".json")


def discover(specs: Path, root: SpecsRoot, diagnostics: Diagnostics) -> list[Path]:
    """Every YAML/JSON file under ``specs`` (or ``specs`` itself), in a stable order.

    Symlinks are followed only while they stay inside ``root``: a link (to a file or a folder) that leaves it
    is an ``outside-root`` error located at the link, and what it points to is never read.  An entry that
    cannot be read (a path longer than PATH_MAX, a folder that cannot be listed) is an ``unreadable-file``
    error located at it, and nothing under it is read.
    """
    found: set[Path] = set()
    pending = [specs]
    visited: set[Path] = set()
    while pending:
        entry = pending.pop()
        problem = unusable_path(os.path.abspath(entry))
        if problem is not None:
            diagnostics.error(
                "unreadable-file", f"cannot read {_shown(entry)}: {problem}", Loc(str(entry))
            )
            continue
        try:
            _visit(entry, root, diagnostics, found, visited, pending)
        except OSError as error:
            reason = error.strerror or str(error)
            diagnostics.error(
                "unreadable-file", f"cannot read {_shown(entry)}: {reason}", Loc(str(entry))
            )
    return sorted(found, key=lambda p: p.as_posix())


def _visit(
    entry: Path,
    root: SpecsRoot,
    diagnostics: Diagnostics,
    found: set[Path],
    visited: set[Path],
    pending: list[Path],
) -> None:
    if not root.contains(entry):
        link = f"the symbolic link {_shown(entry)} to a {'folder' if entry.is_dir() else 'file'}"
        problem = f"leads outside the specs root ({root.describe()})"
        diagnostics.error("outside-root", outside_root_message(link, problem), Loc(str(entry)))
        return
    if entry.is_dir():
        folder = real_path(entry)
        if folder in visited:
            return
        visited.add(folder)
        pending.extend(sorted(entry.iterdir(), reverse=True))
    elif entry.suffix.lower() in SPEC_SUFFIXES and entry.is_file():
        found.add(real_path(entry))


def _shown(path: Path) -> str:
    return display_path(str(path))
