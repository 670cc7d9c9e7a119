"""The whole compiler, stage by stage: read -> resolve -> IR -> check -> plan -> emit -> format.

With a :class:`~arazzo_gen.cache.Cache`, a successful build is remembered by its options and by the content
of every file it read (and the list of files discovered under SPECS): when none of them changed, the
remembered tree and warnings are replayed without compiling anything.  Model generation is cached per API
description as well, so editing a workflow does not regenerate the models of unchanged APIs.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from .cache import MAX_INPUT, Cache, file_digest, key_of, read_regular
from .config import PackageOptions
from .diagnostics import Diagnostic, Diagnostics, Loc, Severity, remember_source
from .progress import SILENT, Progress
from .resolve.discover import discover
from .resolve.remote import RemoteSources
from .resolve.sources import Rewrites
from .resolve.workspace import SpecsRoot
from .write import unsafe_name


def compile_specs(
    specs: Path,
    options: PackageOptions,
    diagnostics: Diagnostics,
    roots: list[Path] | None = None,
    cache: Cache | None = None,
    rewrites: Rewrites | None = None,
    remote: RemoteSources | None = None,
    progress: Progress = SILENT,
) -> dict[str, str] | None:
    """The generated tree (relative path -> text), or ``None`` when the documents have errors.

    Only files inside the specs root (and the extra ``roots`` folders, from ``--root``) are read; source urls
    go through the configured ``rewrites``.  Each stage is announced to ``progress`` as it starts.
    """
    key = key_of(
        "build", str(specs.resolve()), sorted(str(r.resolve()) for r in roots or []), asdict(options),
        diagnostics.strict, sorted(diagnostics.rules.items()), (rewrites or Rewrites()).key(),
        None if remote is None else remote.key(),
    )  # fmt: skip
    discovered = _discovered(specs, roots) if cache is not None else None
    if cache is not None and discovered is not None:
        replayed = _replay(
            cache.load("build", key, partial(_record, package=options.package)),
            discovered,
            diagnostics,
        )
        if replayed is not None:
            return replayed
    # The stages are imported only now: a build the cache answers never loads them (nor jinja2, pydantic,
    # datamodel-code-generator), which is most of a no-op rebuild's time.
    from .check.checks import check_program
    from .emit.package import build_package
    from .ir.program import build_program
    from .plan.build import plan_program
    from .write import format_tree

    progress.stage("read")
    program = build_program(specs, diagnostics, roots, rewrites, remote)
    if remote is not None:
        remote.save()  # pin what --fetch downloaded, even when the documents have errors
    progress.stage("check")
    check_program(program, diagnostics)
    if diagnostics.has_errors:
        return None
    progress.stage("plan")
    plan = plan_program(program)
    files = build_package(program, plan, options, diagnostics, cache, progress)
    if diagnostics.has_errors:
        return None
    progress.stage("format")
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


class _Record(NamedTuple):
    """A remembered build: what discovery found, every input file's digest, its warnings and its tree."""

    discovered: list[str]
    inputs: dict[str, str | None]
    diagnostics: list[Diagnostic]
    files: dict[str, str]


_RULE = re.compile(
    r"[a-z0-9][a-z0-9-]*"
)  # printed as is; messages and files are escaped when printed


def _record(value: Any, package: str) -> _Record | None:
    """A "build" cache entry, every field checked (see :meth:`Cache.load`): only absolute input names, only
    warnings (a remembered build had no errors) with a rule id and a well-formed location, and only
    file names a build writes (:func:`~arazzo_gen.write.unsafe_name`, and ``README.md``, ``pyproject.toml`` or
    a Python module or ``py.typed`` inside the package)."""
    if not isinstance(value, dict) or value.keys() != {
        "discovered",
        "inputs",
        "diagnostics",
        "files",
    }:
        return None
    discovered, inputs, items, files = (
        value["discovered"],
        value["inputs"],
        value["diagnostics"],
        value["files"],
    )
    if not isinstance(discovered, list) or not all(isinstance(name, str) for name in discovered):
        return None
    if not isinstance(inputs, dict) or not all(
        os.path.isabs(name) and "\0" not in name and (digest is None or isinstance(digest, str))
        for name, digest in inputs.items()
    ):
        return None
    if not isinstance(items, list) or not isinstance(files, dict):
        return None
    diagnostics = [_warning(item) for item in items]
    generated = re.compile(
        rf"README\.md|pyproject\.toml|{re.escape(package)}(/[A-Za-z_]\w*)*/(\w+\.py|py\.typed)",
        re.ASCII,
    )
    if None in diagnostics or not all(
        unsafe_name(name) is None and generated.fullmatch(name) and isinstance(text, str)
        for name, text in files.items()
    ):
        return None
    return _Record(discovered, inputs, [d for d in diagnostics if d is not None], files)


def _warning(item: Any) -> Diagnostic | None:
    """A remembered warning, or ``None`` when ``item`` is not one :func:`_dump` wrote."""
    if not isinstance(item, dict) or item.keys() != {"severity", "rule", "message", "loc"}:
        return None
    rule, message, loc = item["rule"], item["message"], item["loc"]
    if (
        item["severity"] != Severity.WARNING.value
        or not isinstance(rule, str)
        or not _RULE.fullmatch(rule)
    ):
        return None
    if not isinstance(message, str):
        return None
    if loc is None:
        return Diagnostic(Severity.WARNING, rule, message)
    if not (isinstance(loc, list) and len(loc) == 4 and isinstance(loc[0], str)):
        return None
    if not all(type(number) is int and 0 <= number <= MAX_INPUT for number in loc[1:]):
        return None  # no line, column or token of an input read within MAX_INPUT bytes lies further
    return Diagnostic(Severity.WARNING, rule, message, Loc(*loc))


def _replay(
    record: _Record | None, discovered: list[str], diagnostics: Diagnostics
) -> dict[str, str] | None:
    """The remembered tree when every input is unchanged (its warnings added to ``diagnostics``).

    Input files are read as the cache reads entries (:func:`read_regular`: never a FIFO or device, bounded).
    """
    if record is None or record.discovered != discovered:
        return None
    contents: dict[str, bytes] = {}  # each input read once: for its digest, then for the snippets
    for name, digest in record.inputs.items():
        try:
            data: bytes | None = read_regular(Path(name), MAX_INPUT)
        except FileNotFoundError:
            data = None  # an absent file is an input too (file_digest records it as None)
        except OSError:
            return None  # unreadable now: compile, which reports it
        if (None if data is None else hashlib.sha256(data).hexdigest()) != digest:
            return None
        if data is not None:
            contents[name] = data
    for diagnostic in record.diagnostics:
        if diagnostic.loc is not None and diagnostic.loc.file in contents:
            remember_source(
                diagnostic.loc.file, contents[diagnostic.loc.file].decode("utf-8", "replace")
            )
        diagnostics.items.append(diagnostic)
    return record.files


def _dump(diagnostic: Diagnostic) -> dict[str, Any]:
    loc = diagnostic.loc
    return {
        "severity": diagnostic.severity.value,
        "rule": diagnostic.rule,
        "message": diagnostic.message,
        "loc": None if loc is None else [loc.file, loc.line, loc.col, loc.length],
    }
