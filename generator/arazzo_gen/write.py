"""Final stages: format the generated Python and write the tree atomically (or compare it, for --check).

The output folder belongs to the user until proven otherwise.  :func:`prepare_output` refuses every folder
that is not absent, empty, or marked as arazzo-gen's own by the manifest a previous build left in it
(:data:`MANIFEST`, listing every file it wrote), and every path that could reach the user's work (the
specs, the working directory, the home folder, the filesystem root, anything through a symbolic link).
:func:`write_tree` writes the new tree into a staging folder beside OUT and swaps it in with one atomic
``renameat2(RENAME_EXCHANGE)``; where the kernel lacks it, two renames whose interruption the next build
repairs (:func:`recover_output`).
"""

from __future__ import annotations

import ctypes
import errno
import functools
import json
import os
import re
import secrets
import shutil
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Self

from .cache import READ_SAFELY, WRITE_NEW, Cache, current_user, key_of, read_regular

try:
    import fcntl
except ImportError:  # Windows: no flock (see _lock)
    fcntl = None  # type: ignore[assignment]

LINE_LENGTH = 100


@functools.cache
def black_mode() -> Any:
    """black's mode for generated code (black is imported only when a file needs it: it is slow to load)."""
    import black
    from black.mode import TargetVersion

    return black.Mode(target_versions={TargetVersion.PY311}, line_length=LINE_LENGTH)


# Only cosmetic rewrites (import order, modern annotation syntax, sorted __all__, escaped control characters).  Unused imports (F401) are
# removed only from the models modules, whose imports datamodel-code-generator chooses: in the templated
# modules a removed import would mean a generated name shadows it, a bug the type checker must see.
_FIX_RULES = "I,UP,PYI016,RUF022,PLE251"
_MODELS_FIX_RULES = _FIX_RULES + ",F401"


def _ruff() -> list[str] | None:
    try:
        from ruff.__main__ import find_ruff_bin
    except ImportError:
        return None
    return [os.fsdecode(find_ruff_bin())]


def format_tree(files: dict[str, str], cache: Cache | None = None) -> dict[str, str]:
    """Apply ruff's safe fixes (import order, modern annotations) and black's style to every Python file.

    With a cache, each file's result is remembered by its unformatted text (and the fix rules, which depend
    on its name): a rebuild formats only the modules whose text changed.
    """
    ruff = _ruff()
    formatted = {}
    for name, text in files.items():
        if name.endswith(".py"):
            rules = _MODELS_FIX_RULES if name.endswith("/models.py") else _FIX_RULES
            key = key_of("format", ruff is not None, rules, text) if cache is not None else ""
            done = cache.load("format", key, _text) if cache is not None else None
            if done is not None:
                text = done
            else:
                if ruff is not None:
                    text = _ruff_fix(ruff, name, text)
                text = format_python(ruff, name, text)
                if cache is not None:
                    cache.store("format", key, text)
        formatted[name] = text
    return formatted


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def format_python(ruff: list[str] | None, name: str, text: str) -> str:
    """``text`` in black's style, exactly as ``black.format_str`` gives it.

    black takes tens of seconds on a megabyte of code; ruff's formatter, written to match black, takes a
    fraction of a second and gives the same bytes on what arazzo-gen emits, except for the two constructs of
    :func:`may_differ_from_black` (ruff's documented deviations that generated code can reach).  A file with
    one of them, and every file when ruff is missing or fails, is formatted by black itself.  The test suite
    runs black as the oracle over every generated file (tests/test_formatting.py).
    """
    if ruff is not None:
        result = subprocess.run(
            [*ruff, "format", "--isolated", "--line-length", str(LINE_LENGTH),
             "--target-version", "py311", "--stdin-filename", name, "-"],
            input=text, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode == 0 and result.stdout and not may_differ_from_black(result.stdout):
            return result.stdout
    import black

    return black.format_str(text, mode=black_mode())


_ANNOTATION_LINE = re.compile(r"^(\s+)[A-Za-z_]\w*: ")


def may_differ_from_black(formatted: str) -> bool:
    """Whether ruff's output may hold one of the constructs where black formats differently:

    - a line over the limit that ends a docstring: black moves the closing quotes to a line of their own;
    - a long annotation split at ``|`` without parentheses (``name: A`` then ``| B`` at the same indent):
      black wraps the annotation in parentheses and indents the operands.
    """
    limit = LINE_LENGTH
    lines = formatted.splitlines()
    for index, line in enumerate(lines):
        # the closing quotes of a multi-line docstring (black counts characters here, not display width)
        if line.endswith('"""') and line.count('"""') == 1 and len(line) > limit:
            return True
        if index and line.lstrip().startswith("| "):
            head = _ANNOTATION_LINE.match(lines[index - 1])
            if head and line.startswith(head.group(1) + "| "):
                return True
    return False


def _ruff_fix(ruff: list[str], name: str, text: str) -> str:
    result = subprocess.run(
        [
            *ruff,
            "check",
            "--isolated",
            "--select",
            _MODELS_FIX_RULES if name.endswith("/models.py") else _FIX_RULES,
            "--fix-only",
            "--exit-zero",
            "--quiet",
            "--stdin-filename",
            name,
            "-",
        ],
        input=text,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout if result.returncode == 0 and result.stdout else text


MANIFEST = ".arazzo-gen-manifest.json"
MAX_MANIFEST = (
    64 * 1024 * 1024
)  # bytes of a manifest that is read; a larger one is no valid manifest
# Caches that tools create inside a generated package; regenerable, so a rebuild drops them and --check
# ignores them.  Anything else arazzo-gen did not write is the user's.
_DISPOSABLE = {"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
_LEFTOVER = ".arazzo-gen-"  # .OUT.arazzo-gen-staging-<16 hex> beside OUT (see LEFTOVER_MARKER)


class OutputRefused(Exception):
    """OUT may not be written; the message says why and what to do."""


def with_manifest(files: dict[str, str]) -> dict[str, str]:
    """``files`` plus the manifest that marks the folder as arazzo-gen's and lists what it wrote."""
    listed = sorted(name for name in files if name != MANIFEST)
    manifest = {
        "generator": "arazzo-gen",
        "note": "Written by arazzo-gen. A rebuild replaces this folder only while it holds nothing but these files.",
        "files": listed,
    }
    return {**files, MANIFEST: json.dumps(manifest, indent=2) + "\n"}


_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}")
MAX_NAME = 1024


def unsafe_name(name: object) -> str | None:
    """Why ``name`` cannot be a file of a generated tree, or ``None``: it must be a relative posix path of
    plain segments (letters, digits, ``_``, ``.``, ``-``; no ``..``, ``/`` first, backslash, NUL or control
    character), at most :data:`MAX_NAME` characters, neither the manifest nor in a regenerable cache."""
    if not isinstance(name, str):
        return "it is not a string"
    if not name or len(name) > MAX_NAME:
        return "it is empty or too long"
    parts = name.split("/")
    if not all(_SEGMENT.fullmatch(part) for part in parts):  # a segment never starts with "."
        return "it is not a plain relative path inside the output folder"
    if name == MANIFEST or _is_disposable(Path(name)):
        return "arazzo-gen never writes it"
    return None


# -- which folders may be written ---------------------------------------------------------------------------
def prepare_output(
    out_arg: str,
    specs: Path,
    *,
    roots: list[Path] | None = None,
    force: bool = False,
    check: bool = False,
    notes: list[str] | None = None,
) -> Path:
    """Validate OUT before anything is compiled and return its absolute path; raise :class:`OutputRefused`.

    Unless ``check`` (which writes nothing), a previous build interrupted mid-swap is repaired first; what
    was done is appended to ``notes``.
    """
    if not out_arg.strip():
        raise OutputRefused(
            "refusing to write to '': the output folder is '' (an unset variable?); name a folder, e.g. -o generated/"
        )
    out = _walk_without_symlinks(out_arg)
    shown = out_arg.rstrip("/") or out_arg
    if out.exists() and not out.is_dir():
        raise OutputRefused(
            f"refusing to write to {shown}: {shown} is a file, not a folder; choose another -o"
        )
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputRefused(
                    f"refusing to write to {shown}: {_shown(parent)} is a file, so {shown} cannot be created"
                )
            break
    real = out.resolve()
    home = Path.home().resolve()
    cwd = Path.cwd().resolve()
    specs_dir = specs.resolve() if specs.is_dir() else specs.resolve().parent
    for reason, hit in (
        ("it is the filesystem root", real == Path(real.anchor)),
        ("it is your home folder", real == home),
        ("it contains your home folder", home.is_relative_to(real)),
        ("it is the working directory", real == cwd),
        ("it contains the working directory", cwd.is_relative_to(real)),
        ("it is the specs folder", real == specs_dir),
        ("it contains the specs folder", specs_dir.is_relative_to(real)),
        ("it contains a --root folder", any(r.resolve().is_relative_to(real) for r in roots or ())),
    ):
        if hit:
            raise OutputRefused(
                f"refusing to write to {shown}: {reason}, and a build replaces the whole folder; "
                "choose a folder of its own, e.g. -o generated/"
            )
    if check:
        interrupted = _saved_trees(_leftovers(out)["dead"]) if not out.exists() else []
        if interrupted and notes is not None:
            notes.append(
                f"an interrupted build left {shown} at {_shown(interrupted[0] / 'old')}; the next build restores it"
            )
        return out
    found: list[str] = []
    restored = recover_output(out, found)
    if notes is not None:
        if restored is not None:
            notes.append(f"restored {shown} from an interrupted build ({_shown(restored / 'old')})")
        notes.extend(found)
    check_owned(out, shown, force=force)
    return out


def _walk_without_symlinks(out_arg: str) -> Path:
    """The absolute path of ``out_arg``, walked component by component; any symbolic link is refused.

    ``..`` is applied to the real folder reached so far (never lexically past a link), so no path can leave
    through a link.
    """
    path = Path(out_arg)
    current = Path.cwd().resolve() if not path.is_absolute() else Path(path.anchor)
    for part in path.parts[1:] if path.is_absolute() else path.parts:
        current = current.parent if part == ".." else current / part
        if current.is_symlink():
            raise OutputRefused(
                f"refusing to write to {out_arg}: {_shown(current)} is a symbolic link; arazzo-gen writes only to "
                f"real paths, so that a build cannot replace a folder elsewhere - pass the real path "
                f"({current.resolve()}) if that is what you mean"
            )
    return current


def check_owned(out: Path, shown: str, *, force: bool = False) -> None:
    """Refuse a non-empty ``out`` that arazzo-gen did not write, or that holds files it did not write."""
    if not out.is_dir() or not any(out.iterdir()):
        return
    listed = read_manifest(out)
    if listed is None:
        raise OutputRefused(
            f"refusing to write to {shown}: {shown} is not empty and was not written by arazzo-gen (it has no "
            f"valid {MANIFEST}); a build replaces the whole folder, so choose a new or empty folder, or move "
            "its files away yourself"
        )
    foreign = sorted(set(_tree_files(out)) - listed - {MANIFEST})
    if foreign and not force:
        names = ", ".join(foreign[:20]) + (
            f", ... ({len(foreign) - 20} more)" if len(foreign) > 20 else ""
        )
        raise OutputRefused(
            f"refusing to write to {shown}: {shown} holds {len(foreign)} file(s) that arazzo-gen did not write: "
            f"{names}; move them out of the generated folder, or pass --force to replace it anyway (they will "
            "be deleted)"
        )


def read_manifest(out: Path) -> set[str] | None:
    """The files the manifest in ``out`` lists, or ``None`` when there is no valid manifest."""
    try:  # a regular file only (never a FIFO, device or link: no read can hang), bounded
        data = json.loads(read_regular(out / MANIFEST, MAX_MANIFEST).decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    files = (
        data.get("files")
        if isinstance(data, dict) and data.get("generator") == "arazzo-gen"
        else None
    )
    if not isinstance(files, list) or not all(isinstance(name, str) for name in files):
        return None
    return set(files)


def _shown(path: Path) -> str:
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def _is_disposable(relative: Path) -> bool:
    return any(part in _DISPOSABLE or part.endswith(".egg-info") for part in relative.parts)


def _tree_files(out: Path) -> Iterator[str]:
    """Every file and link below ``out`` (relative, posix), regenerable caches left out; links not followed."""
    for folder, dirs, names in os.walk(out):
        base = Path(folder)
        for name in list(dirs):
            if (base / name).is_symlink():
                names.append(name)  # a link to a folder is an entry of its own, never walked into
                dirs.remove(name)
        for name in names:
            relative = (base / name).relative_to(out)
            if not _is_disposable(relative):
                yield relative.as_posix()


# -- --check --------------------------------------------------------------------------------------------------
def existing_tree(out: Path) -> dict[str, bytes]:
    if not out.is_dir() or out.is_symlink():
        return {}
    return {
        name: (out / name).read_bytes() if (out / name).is_file() else b""
        for name in sorted(_tree_files(out))
    }


def differences(out: Path, files: dict[str, str]) -> list[str]:
    """What differs between ``out`` and the fresh build (manifest included): one line per file."""
    current = existing_tree(out)
    fresh = {name: text.encode("utf-8") for name, text in with_manifest(files).items()}
    listed = read_manifest(out) or set()
    lines = []
    for name in sorted(set(current) | set(fresh)):
        if name not in current:
            lines.append(f"missing   {name}")
        elif name not in fresh:
            mine = "" if name in listed else " (not written by arazzo-gen)"
            lines.append(f"extra     {name}{mine}")
        elif current[name] != fresh[name]:
            lines.append(f"differs   {name}")
    return lines


def is_current(out: Path, files: dict[str, str]) -> bool:
    """Whether ``out`` already holds exactly this build (manifest included) and nothing else, not even the
    regenerable caches a rebuild drops: writing it again would change nothing."""
    if differences(out, files):
        return False
    for folder, dirs, names in os.walk(out):
        relative = Path(folder).relative_to(out)
        if any(_is_disposable(relative / name) for name in [*dirs, *names]):
            return False
    return True


# -- the atomic swap ------------------------------------------------------------------------------------------
def write_tree(out: Path, files: dict[str, str], *, force: bool = False) -> None:
    """Write ``files`` (and the manifest) into a staging folder beside ``out``, then swap it into place.

    Until the swap nothing under ``out`` changes, so a failure leaves it exactly as it was.  ``out`` must
    already have passed :func:`prepare_output`; ownership is checked again here, just before the swap.  Every
    name must be a plain relative path (:func:`unsafe_name`): whatever its origin, nothing is written outside
    ``out``.
    """
    out = Path(os.path.abspath(out))
    for name in files:
        problem = unsafe_name(name)
        if problem is not None:
            raise OutputRefused(
                f"refusing to write {name!r} into {out}: {problem} (a bug of arazzo-gen: please report it)"
            )
    out.parent.mkdir(parents=True, exist_ok=True)
    recover_output(out)
    check_owned(out, str(out), force=force)
    with _Leftover(out) as leftover:
        new = leftover.folder / "new"
        new.mkdir()  # mode 0o777 less the umask, like any folder the user makes (mkdtemp's 0o700 is not)
        for name, text in with_manifest(files).items():
            target = new / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text.encode("utf-8"))
        if not out.exists():
            _rename(new, out)
            return
        try:
            _exchange(new, out)  # atomic: OUT is the old tree, then the new one, never missing
        except OSError as error:
            if error.errno not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EPERM):
                raise
            _swap_by_renames(leftover.folder, out)


def _swap_by_renames(folder: Path, out: Path) -> None:
    """Two renames: OUT into the marked ``folder`` as ``old``, ``folder/new`` in.  Interrupted between them
    (an error, Ctrl-C), :meth:`_Leftover.__exit__` puts ``old`` back; killed, :func:`recover_output` does."""
    _rename(out, folder / "old")
    _rename(folder / "new", out)


# Leftovers.  Each build works in one folder beside OUT, ``.OUT.arazzo-gen-staging-<16 hex>``, mode 0700,
# holding a marker (:data:`LEFTOVER_MARKER`: OUT's real path and the folder's token), then ``new/`` (the tree
# being written) and, during a two-rename swap, ``old/`` (OUT set aside).  The folder is made as
# ``.OUT.arazzo-gen-pending-<token>``, and renamed to its staging name only once its marker is written and
# locked (an exclusive ``flock``, held until the build ends): a folder with the staging name always has a
# marker, locked while its build runs, so no concurrent build can take a starting build's folder for a dead
# one.  The next build touches a folder beside OUT only when it proves it is a dead build's of this OUT: our
# exact name, a real folder owned by the user, a marker naming this OUT and this token, and no live build
# holding the lock.  Only then is OUT restored from its ``old/`` or the folder deleted (never while it holds
# the only copy of OUT).  A pending folder that is empty (or holds an empty marker) is removed only when it
# is older than :data:`PENDING_AGE`; a staging one left so by an earlier version at once.  Where the marker
# cannot be locked (a network file system without locks, Windows), a build runs without the lock, and its
# folder, if left behind, cannot be told from a live one: it is left alone, with a note.  Any other folder,
# whatever its name, is the user's: left alone (one with our exact name gets a note).
LEFTOVER_MARKER = ".arazzo-gen-leftover.json"
PENDING_AGE = (
    600.0  # seconds after which an empty pending folder cannot be a build that is starting
)
_TOKEN_BYTES = 8


class _Leftover:
    """The marked working folder of one :func:`write_tree` (removed on exit, unless it holds the only copy of
    OUT: then it stays, marked, for the next build to restore OUT from)."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.token = secrets.token_hex(_TOKEN_BYTES)
        self.folder = _leftover_name(out, "pending", self.token)
        self.lock = -1

    def __enter__(self) -> Self:
        os.mkdir(self.folder, 0o700)
        try:
            self.lock = os.open(self.folder / LEFTOVER_MARKER, WRITE_NEW, 0o600)
            locked = _lock(self.lock)
            os.write(self.lock, json.dumps(_marker(self.out, self.token)).encode())
            if (
                not locked
            ):  # nothing to hold: closed, so that the folder can be renamed on any platform
                os.close(self.lock)
                self.lock = -1
            staging = _leftover_name(self.out, "staging", self.token)
            _publish(self.folder, staging)
            self.folder = staging
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        try:
            old = self.folder / "old"
            if os.path.lexists(old) and not os.path.lexists(
                self.out
            ):  # between the two renames of a swap
                try:
                    _rename(old, self.out)
                except OSError:
                    return  # kept, marked: the next build restores OUT from it
            _remove_tree(self.folder)
        finally:
            if self.lock >= 0:
                os.close(self.lock)
                self.lock = -1


def _leftover_name(out: Path, stage: str, token: str) -> Path:
    return out.parent / f".{out.name}{_LEFTOVER}{stage}-{token}"


def _publish(pending: Path, staging: Path) -> None:
    os.rename(pending, staging)


def _lock(handle: int) -> bool:
    """Take the exclusive lock of a build's own marker; ``False`` where there is none to take: no ``flock``
    (Windows), or a file system that refuses it (ENOLCK, EOPNOTSUPP on some network file systems)."""
    if fcntl is None:
        return False
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
    except OSError:
        return False
    return True


def _probe_lock(handle: int) -> str:
    """``free`` (the lock was taken: no build holds it), ``held`` (a live build does) or ``unknown``."""
    if fcntl is None:
        return "unknown"
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return "held"
    except OSError:
        return "unknown"
    return "free"


def _marker(out: Path, token: str) -> dict[str, str]:
    """What a leftover's marker holds: OUT's identity (its real path) and the folder's token."""
    return {
        "generator": "arazzo-gen",
        "out": str(Path(os.path.realpath(out.parent)) / out.name),
        "token": token,
    }


def recover_output(out: Path, notes: list[str] | None = None) -> Path | None:
    """Repair what an interrupted build of ``out`` left beside it: restore a missing OUT, remove its leftovers.

    Returns the folder OUT was restored from, if it was; folders only named like leftovers are noted.
    """
    found = _leftovers(out)
    restored = None
    saved = _saved_trees(found["dead"])
    if not out.exists() and saved:
        try:
            _rename(saved[0] / "old", out)
            restored = saved[0]
        except OSError:
            pass  # another build restored it meanwhile, or cannot now: the folder stays
    for leftover in found["dead"]:
        if not (
            os.path.lexists(leftover / "old") and not os.path.lexists(out)
        ):  # never the only copy of OUT
            _remove_tree(leftover)
    for leftover in found["empty"]:
        _remove_empty(leftover)
    if notes is not None:
        notes.extend(_unproven_note(out, folder) for folder in found["foreign"])
        notes.extend(_unlockable_note(out, folder) for folder in found["unlockable"])
    return restored


def _unproven_note(out: Path, folder: Path) -> str:
    return (
        f"left {_shown(folder)} alone: it is named like a leftover of an interrupted build of {_shown(out)} but "
        f"does not carry its marker ({LEFTOVER_MARKER}); delete it yourself if it is not yours"
    )


def _unlockable_note(out: Path, folder: Path) -> str:
    saved = (
        f" (if {_shown(out)} is missing, its old/ holds it)" if (folder / "old").is_dir() else ""
    )
    return (
        f"left {_shown(folder)} alone: it is a build's folder of {_shown(out)}, but its marker cannot be locked "
        f"here (no file locks on this file system or platform), so whether that build still runs is unknown; "
        f"delete it yourself once no build of {_shown(out)} runs{saved}"
    )


def _leftovers(out: Path) -> dict[str, list[Path]]:
    """The folders beside ``out`` with a leftover's exact name, by :func:`_leftover_verdict`."""
    pattern = re.compile(
        rf"\.{re.escape(out.name)}{re.escape(_LEFTOVER)}(staging|pending)-([0-9a-f]{{{2 * _TOKEN_BYTES}}})"
    )
    found: dict[str, list[Path]] = {
        "dead": [],
        "empty": [],
        "live": [],
        "foreign": [],
        "unlockable": [],
    }
    try:
        names = sorted(os.listdir(out.parent))
    except OSError:
        return found
    for name in names:
        match = pattern.fullmatch(name)
        if match is not None:
            verdict = _leftover_verdict(out, out.parent / name, match.group(2))
            if (
                verdict == "empty"
                and match.group(1) == "pending"
                and not _older(out.parent / name, PENDING_AGE)
            ):
                verdict = "live"  # perhaps a build that is starting right now
            found[verdict].append(out.parent / name)
    return found


def _older(folder: Path, seconds: float) -> bool:
    try:
        return time.time() - os.lstat(folder).st_mtime > seconds
    except OSError:
        return False


def _leftover_verdict(out: Path, folder: Path, token: str) -> str:
    """``dead``: a dead build of ``out`` made ``folder`` (its marker proves it); ``empty``: a build killed before
    writing its marker did; ``live``: a running build holds its marker; ``unlockable``: its marker proves it
    a build's, but cannot be locked to learn whether that build runs; ``foreign``: unproven, the user's."""
    me = current_user()
    try:
        info = os.lstat(folder)
        if not stat.S_ISDIR(info.st_mode) or (me is not None and info.st_uid != me):
            return "foreign"
        marker = os.open(folder / LEFTOVER_MARKER, READ_SAFELY)
    except FileNotFoundError:
        return "empty" if _is_empty(folder) else "foreign"
    except OSError:
        return "foreign"
    try:
        held = os.fstat(marker)
        if (
            not stat.S_ISREG(held.st_mode)
            or (me is not None and held.st_uid != me)
            or held.st_size > 4096
        ):
            return "foreign"
        lock = _probe_lock(marker)
        if lock == "held":
            return "live"
        if held.st_size == 0:  # killed between creating the marker and writing it
            return "empty" if lock == "free" and _is_empty(folder, LEFTOVER_MARKER) else "foreign"
        if _read_marker(os.read(marker, 4097)) != _marker(out, token):
            return "foreign"
        return "dead" if lock == "free" else "unlockable"
    except OSError:
        return "foreign"
    finally:
        os.close(marker)


def _read_marker(data: bytes) -> dict[str, str] | None:
    """The marker ``data`` holds: a JSON object of strings, or ``None`` (whatever else it is, however deep)."""
    try:
        marker = json.loads(data)
    except (ValueError, RecursionError):
        return None
    if not isinstance(marker, dict) or not all(isinstance(value, str) for value in marker.values()):
        return None
    return marker


def _is_empty(folder: Path, *allowed: str) -> bool:
    try:
        return all(name in allowed for name in os.listdir(folder))
    except OSError:
        return False


def _remove_empty(folder: Path) -> None:
    """Remove an empty leftover (with its empty marker): ``rmdir`` refuses if anything appeared meanwhile."""
    try:
        (folder / LEFTOVER_MARKER).unlink(missing_ok=True)
        folder.rmdir()
    except OSError:
        pass


def _saved_trees(proven: list[Path]) -> list[Path]:
    """The proven leftovers holding OUT set aside by an interrupted two-rename swap, newest first."""
    saved = [p for p in proven if (p / "old").is_dir() and not (p / "old").is_symlink()]
    return sorted(saved, key=lambda p: p.stat().st_mtime_ns, reverse=True)


def _rename(source: Path, target: Path) -> None:
    os.rename(source, target)


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(source: Path, target: Path) -> None:
    """Atomically swap two paths (Linux ``renameat2(RENAME_EXCHANGE)``); OSError(ENOSYS) elsewhere."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (
        AttributeError,
        OSError,
        TypeError,
    ):  # TypeError: Windows, where CDLL needs a library name
        raise OSError(errno.ENOSYS, "renameat2 is not available") from None
    result = renameat2(
        _AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), _RENAME_EXCHANGE
    )
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(source))
