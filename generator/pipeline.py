"""The whole compiler, stage by stage: read -> resolve -> IR -> check -> emit -> format."""

from __future__ import annotations

from pathlib import Path

from .check.checks import check_program
from .diagnostics import Diagnostics
from .emit.package import PackageOptions, build_package
from .ir.program import build_program
from .write import format_tree


def compile_specs(
    specs: Path, options: PackageOptions, diagnostics: Diagnostics, roots: list[Path] | None = None
) -> dict[str, str] | None:
    """The generated tree (relative path -> text), or ``None`` when the documents have errors.

    Only files inside the specs root (and the extra ``roots`` folders, from ``--root``) are read.
    """
    program = build_program(specs, diagnostics, roots)
    check_program(program, diagnostics)
    if diagnostics.has_errors:
        return None
    files = build_package(program, options, diagnostics)
    if diagnostics.has_errors:
        return None
    return format_tree(files)
