"""The whole compiler, stage by stage: read -> resolve -> IR -> check -> emit -> format.

With a :class:`~generator.cache.Cache`, a successful build is remembered by its options and by the content
of every file it read (and the list of files discovered under SPECS): when none of them changed, the
remembered tree and warnings are replayed without compiling anything.  Model generation is cached per API
description as well, so editing a workflow does not regenerate the models of unchanged APIs.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .cache import Cache, file_digest, key_of
from .config import PackageOptions
from .diagnostics import Diagnostic, Diagnostics, Loc, Severity, remember_source
from .resolve.discover import discover
from .resolve.remote import RemoteSources
from .resolve.sources import Rewrites
from .resolve.workspace import SpecsRoot


def compile_specs(
    specs: Path,
    options: PackageOptions,
    diagnostics: Diagnostics,
    roots: list[Path] | None = None,
    cache: Cache | None = None,
    rewrites: Rewrites | None = None,
    remote: RemoteSources | None = None,
) -> dict[str, str] | None:
    """The generated tree (relative path -> text), or ``None`` when the documents have errors.

    Only files inside the specs root (and the extra ``roots`` folders, from ``--root``) are read; source urls
    go through the configured ``rewrites``.
    """
    key = key_of(
        "build", str(specs.resolve()), sorted(str(r.resolve()) for r in roots or []), asdict(options),
        diagnostics.strict, sorted(diagnostics.rules.items()), (rewrites or Rewrites()).key(),
        None if remote is None else remote.key(),
    )  # fmt: skip
    discovered = _discovered(specs, roots) if cache is not None else None
    if cache is not None and discovered is not None:
        replayed = _replay(cache.load("build", key), discovered, diagnostics)
        if replayed is not None:
            return replayed
    # The stages are imported only now: a build the cache answers never loads them (nor jinja2, pydantic,
    # datamodel-code-generator), which is most of a no-op rebuild's time.
    from .check.checks import check_program
    from .emit.package import build_package
    from .ir.program import build_program
    from .write import format_tree

    program = build_program(specs, diagnostics, roots, rewrites, remote)
    if remote is not None:
        remote.save()  # pin what --fetch downloaded, even when the documents have errors
    check_program(program, diagnostics)
    if diagnostics.has_errors:
        return None
    files = build_package(program, options, diagnostics, cache)
    if diagnostics.has_errors:
        return None
    files = format_tree(files, cache)
    if cache is not None and discovered is not None:
        cache.store("build", key, {
            "discovered": discovered,
            "inputs": {str(path): file_digest(path) for path in program.inputs},
            "diagnostics": [_dump(d) for d in diagnostics.items],
            "files": files,
        })  # fmt: skip
    return files


def _discovered(specs: Path, roots: list[Path] | None) -> list[str] | None:
    """The documents under SPECS, as the build discovers them (``None`` if discovery reports anything)."""
    probe = Diagnostics()
    found = discover(specs, SpecsRoot.for_specs(specs, roots), probe)
    return None if probe.items else [str(path) for path in found]


def _replay(record: Any, discovered: list[str], diagnostics: Diagnostics) -> dict[str, str] | None:
    """The remembered tree when every input is unchanged (its warnings added to ``diagnostics``)."""
    if not isinstance(record, dict) or record.get("discovered") != discovered:
        return None
    inputs, files = record.get("inputs"), record.get("files")
    if not isinstance(inputs, dict) or not isinstance(files, dict):
        return None
    contents: dict[str, bytes] = {}  # each input read once: for its digest, then for the snippets
    for name, digest in inputs.items():
        try:
            data: bytes | None = Path(name).read_bytes()
        except FileNotFoundError:
            data = None  # an absent file is an input too (file_digest records it as None)
        except OSError:
            return None  # unreadable now: compile, which reports it
        if (None if data is None else hashlib.sha256(data).hexdigest()) != digest:
            return None
        if data is not None:
            contents[name] = data
    for item in record.get("diagnostics") or []:
        diagnostic = _load(item)
        if diagnostic.loc is not None and diagnostic.loc.file in contents:
            remember_source(diagnostic.loc.file, contents[diagnostic.loc.file].decode("utf-8", "replace"))
        diagnostics.items.append(diagnostic)
    return files


def _dump(diagnostic: Diagnostic) -> dict[str, Any]:
    loc = diagnostic.loc
    return {
        "severity": diagnostic.severity.value,
        "rule": diagnostic.rule,
        "message": diagnostic.message,
        "loc": None if loc is None else [loc.file, loc.line, loc.col, loc.length],
    }


def _load(item: dict[str, Any]) -> Diagnostic:
    loc = item["loc"]
    return Diagnostic(
        Severity(item["severity"]), item["rule"], item["message"], None if loc is None else Loc(*loc)
    )
