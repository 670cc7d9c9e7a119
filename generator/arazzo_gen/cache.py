"""A content-addressed build cache: it makes a rebuild of unchanged specs cost nothing and skips model
generation for API descriptions that did not change.

Every entry is keyed by a SHA-256 of everything that can change what it holds: the compiler's own code and
templates and the versions of the libraries it drives (:func:`fingerprint`), the options, and the content of
the inputs.  A stale entry is simply never looked up again.

What an entry holds is data, never trusted blindly: whoever can write the cache folder can write entries
(a restored CI cache, a shared runner).  :meth:`Cache.load` reads only a regular file (never a FIFO, device
or link), of bounded size, owned by the user and writable by nobody else (entries of other users are
ignored), carrying the SHA-256 of its payload and its own kind and key (an entry copied to another key is a
miss), and hands the value to the caller's parser, which validates every field (:func:`pipeline._record`,
:func:`emit.models._cached`); a bad entry is a miss and is removed, never an error.  ``build --check`` never
reads the cache.  docs/security.md states what remains trusted.

Entries are files ``<folder>/<kind>/<key[:2]>/<key>``, written atomically (a temporary file renamed into
place, mode 0600 in folders created 0700), so concurrent builds sharing a cache folder are safe.  The folder
defaults to ``$ARAZZO_GEN_CACHE_DIR``, else ``$XDG_CACHE_HOME/arazzo-gen``, else ``~/.cache/arazzo-gen``;
``--no-cache`` turns it off.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import json
import os
import stat
import sys
import tempfile
import zlib
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

_PACKAGE_ROOT = Path(__file__).resolve().parent
# inside an installed wheel, the templates are in the package (hashed with it); in a checkout, at its root
_TEMPLATES = _PACKAGE_ROOT.parent.parent / "templates"
# Libraries whose output becomes part of the generated package (or decides it).
_LIBRARIES = ("datamodel-code-generator", "black", "ruff", "pydantic", "jinja2", "pyyaml")
MAX_ENTRY = 64 * 1024 * 1024  # bytes of an entry file (compressed)
MAX_VALUE = 256 * 1024 * 1024  # bytes of its JSON, decompressed


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
        for path in sorted(
            p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts
        ):
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def key_of(*parts: Any) -> str:
    """The cache key of ``parts`` (JSON-serialisable), always including the compiler's fingerprint."""
    text = json.dumps([fingerprint(), *parts], sort_keys=True, ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


MAX_INPUT = 256 * 1024 * 1024  # bytes of one input file read for its digest


def file_digest(path: Path) -> str | None:
    """SHA-256 of a file's bytes; ``None`` when it does not exist (an absent file is an input too).

    Read as :func:`read_regular` reads (never a FIFO or device, bounded): anything else is ``"unreadable"``,
    which no later read matches, so a build recorded with it is never replayed.
    """
    try:
        return hashlib.sha256(read_regular(path, MAX_INPUT)).hexdigest()
    except FileNotFoundError:
        return None
    except OSError:
        return "unreadable"


def current_user() -> int | None:
    """The effective user id; ``None`` where there is none (Windows: no POSIX owners or modes to check)."""
    geteuid = getattr(os, "geteuid", None)
    return None if geteuid is None else int(geteuid())


# Flags of the safe opens: no link followed, never blocking on a FIFO, not inherited, binary (each only where
# the platform has it: on Windows, lstat has already refused links and there are no FIFOs).
_FLAGS = sum(getattr(os, name, 0) for name in ("O_NOFOLLOW", "O_CLOEXEC", "O_BINARY"))
READ_SAFELY = os.O_RDONLY | _FLAGS | getattr(os, "O_NONBLOCK", 0)
WRITE_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _FLAGS


def read_regular(path: Path, limit: int, *, private: bool = False) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them; :class:`OSError` otherwise
    (:class:`FileNotFoundError` when it is absent).

    A symbolic link is not followed, and a FIFO, device or socket is never read (opening is non-blocking and
    the open file must be regular), so no file can make a read hang.  ``private``: the file must also belong
    to the user and be writable by nobody else.
    """
    if not stat.S_ISREG(os.lstat(path).st_mode):
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    handle = os.open(path, READ_SAFELY)
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        me = current_user()
        if private and me is not None and (info.st_uid != me or info.st_mode & 0o022):
            raise OSError(errno.EPERM, "written by another user, or writable by others", str(path))
        chunks, size = [], 0
        while chunk := os.read(handle, min(1 << 20, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise OSError(errno.EFBIG, f"larger than {limit} bytes", str(path))
        return b"".join(chunks)
    finally:
        os.close(handle)


def others_can_write(folder: Path) -> tuple[Path, str] | None:
    """Where another user could change the entries of the cache ``folder``, and how; ``None``: nowhere.

    Like ssh's checks of ``~/.ssh``: the folder and each of its parents must belong to the user or root and
    be writable by neither group nor others; a sticky parent (``/tmp``) is fine, nobody else can rename or
    delete what the user owns in it.  A folder not created yet is skipped (the cache creates it 0700).
    """
    me = current_user()
    if me is None:
        return None  # no POSIX owners and modes to judge (Windows)
    real = Path(os.path.realpath(folder))
    for depth, path in enumerate([real, *real.parents]):
        try:
            info = os.stat(path)
        except OSError:
            continue
        if info.st_uid not in (me, 0):
            return path, "belongs to another user"
        if info.st_mode & 0o022 and not (depth and info.st_mode & stat.S_ISVTX):
            return path, "is writable by its group or by others"
    return None


class Cache:
    """The cache folder (``None``: caching is off and every lookup misses).

    ``read=False`` (``build --check``): nothing is read, results are still stored.
    """

    def __init__(self, folder: Path | None, *, read: bool = True) -> None:
        self.folder = folder
        self.read = read

    def _path(self, kind: str, key: str) -> Path:
        assert self.folder is not None
        return self.folder / kind / key[:2] / key

    def load(self, kind: str, key: str, parse: Callable[[Any], T | None]) -> T | None:
        """``parse`` of the JSON value stored under ``key``, or ``None``: absent, unreadable, not a regular file
        of the user's, too large, corrupted, stored under another key, or rejected by ``parse`` (which returns
        ``None`` or raises ValueError/TypeError/KeyError/IndexError for a value it does not accept).

        Every entry that is there but not accepted is removed.
        """
        if self.folder is None or not self.read:
            return None
        path = self._path(kind, key)
        try:
            raw = read_regular(path, MAX_ENTRY, private=True)
        except FileNotFoundError:
            return None
        except OSError:
            _remove(path)
            return None
        parsed = None
        digest, payload = raw[:32], raw[32:]
        if hashlib.sha256(payload).digest() == digest:
            try:
                inflate = zlib.decompressobj()
                text = inflate.decompress(payload, MAX_VALUE)
                if inflate.eof and not inflate.unconsumed_tail:
                    stored = json.loads(text)
                    if isinstance(stored, list) and len(stored) == 3 and stored[:2] == [kind, key]:
                        parsed = parse(stored[2])
            except (ValueError, TypeError, KeyError, IndexError, RecursionError, zlib.error):
                parsed = None
        if parsed is None:
            _remove(path)
        return parsed

    def store(self, kind: str, key: str, value: Any) -> None:
        """Store ``value`` (JSON-serialisable); a cache that cannot be written is silently skipped."""
        if self.folder is None:
            return
        text = json.dumps([kind, key, value], ensure_ascii=False).encode()
        payload = zlib.compress(text, 1)
        if len(text) > MAX_VALUE or len(payload) + 32 > MAX_ENTRY:
            return  # would never be read back
        path = self._path(kind, key)
        try:
            for folder in (self.folder, path.parent.parent, path.parent):
                if not folder.is_dir():
                    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(handle, "wb") as stream:
                stream.write(hashlib.sha256(payload).digest() + payload)
            os.replace(temporary, path)
        except OSError:
            return


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
