"""A content-addressed build cache: it makes a rebuild of unchanged specs cost nothing and skips model
generation for API descriptions that did not change.

Every entry is keyed by a SHA-256 of everything that can change what it holds: the compiler's own code and
templates and the versions of the libraries it drives (:func:`fingerprint`), the options, and the content of
the inputs.  The cache can therefore never make the output differ from a clean build; a stale entry is simply
never looked up again.  Each entry carries the SHA-256 of its payload: a truncated or corrupted file is a miss
(and is removed), never an error.

Entries are files ``<folder>/<kind>/<key[:2]>/<key>``, written atomically (a temporary file renamed into
place), so concurrent builds sharing a cache folder are safe.  The folder defaults to
``$ARAZZO_GEN_CACHE_DIR``, else ``$XDG_CACHE_HOME/arazzo-gen``, else ``~/.cache/arazzo-gen``; ``--no-cache``
turns it off.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
import tempfile
import zlib
from importlib import metadata
from pathlib import Path
from typing import Any

_PACKAGE_ROOT = Path(__file__).resolve().parent
_TEMPLATES = _PACKAGE_ROOT.parent / "templates"
# Libraries whose output becomes part of the generated package (or decides it).
_LIBRARIES = ("datamodel-code-generator", "black", "ruff", "pydantic", "jinja2", "pyyaml")


def default_folder() -> Path:
    explicit = os.environ.get("ARAZZO_GEN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "arazzo-gen"


@functools.cache
def fingerprint() -> str:
    """A digest of the compiler itself: its source, its templates, the Python and library versions."""
    digest = hashlib.sha256()
    digest.update(sys.version.encode())
    for name in _LIBRARIES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{name}={version}\n".encode())
    for folder in (_PACKAGE_ROOT, _TEMPLATES):
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def key_of(*parts: Any) -> str:
    """The cache key of ``parts`` (JSON-serialisable), always including the compiler's fingerprint."""
    text = json.dumps([fingerprint(), *parts], sort_keys=True, ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def file_digest(path: Path) -> str | None:
    """SHA-256 of a file's bytes; ``None`` when it does not exist (an absent file is an input too)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None
    except OSError:
        return "unreadable"


class Cache:
    """The cache folder (``None``: caching is off and every lookup misses)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def _path(self, kind: str, key: str) -> Path:
        assert self.folder is not None
        return self.folder / kind / key[:2] / key

    def load(self, kind: str, key: str) -> Any:
        """The JSON value stored under ``key``, or ``None`` (absent, unreadable or corrupted)."""
        if self.folder is None:
            return None
        path = self._path(kind, key)
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        digest, payload = raw[:32], raw[32:]
        try:
            if hashlib.sha256(payload).digest() != digest:
                raise ValueError("checksum")
            return json.loads(zlib.decompress(payload))
        except (ValueError, zlib.error):
            path.unlink(missing_ok=True)
            return None

    def store(self, kind: str, key: str, value: Any) -> None:
        """Store ``value`` (JSON-serialisable); a cache that cannot be written is silently skipped."""
        if self.folder is None:
            return
        payload = zlib.compress(json.dumps(value, ensure_ascii=False).encode(), 1)
        path = self._path(kind, key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(handle, "wb") as stream:
                stream.write(hashlib.sha256(payload).digest() + payload)
            os.replace(temporary, path)
        except OSError:
            return
