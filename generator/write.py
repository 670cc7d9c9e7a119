"""Final stages: format the generated Python and write the tree atomically (or compare it, for --check)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import black

_BLACK_MODE = black.Mode(target_versions={black.TargetVersion.PY311}, line_length=100)
IGNORED_PARTS = {"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", "build", "dist"}


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


def format_tree(files: dict[str, str]) -> dict[str, str]:
    """Apply ruff's safe fixes (import order, modern annotations) and black to every Python file."""
    ruff = _ruff()
    formatted = {}
    for name, text in files.items():
        if name.endswith(".py"):
            if ruff is not None:
                text = _ruff_fix(ruff, name, text)
            text = black.format_str(text, mode=_BLACK_MODE)
        formatted[name] = text
    return formatted


def _ruff_fix(ruff: list[str], name: str, text: str) -> str:
    result = subprocess.run(
        [*ruff, "check", "--isolated", "--select", _MODELS_FIX_RULES if name.endswith("/models.py") else _FIX_RULES,
         "--fix-only", "--exit-zero", "--quiet",
         "--stdin-filename", name, "-"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout if result.returncode == 0 and result.stdout else text


def _is_ignored(relative: Path) -> bool:
    return any(part in IGNORED_PARTS or part.endswith(".egg-info") for part in relative.parts)


def existing_tree(out: Path) -> dict[str, bytes]:
    if not out.is_dir():
        return {}
    tree = {}
    for path in sorted(out.rglob("*")):
        relative = path.relative_to(out)
        if path.is_file() and not _is_ignored(relative):
            tree[relative.as_posix()] = path.read_bytes()
    return tree


def differences(out: Path, files: dict[str, str]) -> list[str]:
    """What differs between ``out`` and the fresh build: one line per file."""
    current = existing_tree(out)
    fresh = {name: text.encode("utf-8") for name, text in files.items()}
    lines = []
    for name in sorted(set(current) | set(fresh)):
        if name not in current:
            lines.append(f"missing   {name}")
        elif name not in fresh:
            lines.append(f"extra     {name}")
        elif current[name] != fresh[name]:
            lines.append(f"differs   {name}")
    return lines


def write_tree(out: Path, files: dict[str, str]) -> None:
    """Write ``files`` into a temporary folder beside ``out``, then swap it into place.

    Until the final renames nothing under ``out`` changes, so a failure leaves it exactly as it was.
    """
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        for name, text in files.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(text.encode("utf-8"))
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            old.rmdir()
            out.rename(old)
        try:
            staging.rename(out)
        except OSError:
            if old is not None:
                old.rename(out)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
