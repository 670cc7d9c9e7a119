"""``build --keep-going``: build the sound workflows of SPECS and leave out the ones with errors.

Every stage runs on everything, as in a normal build, so every problem is reported.  Each error is then
charged to what it breaks:

* located inside a workflow of an Arazzo document (between its entry in ``workflows`` and the next one):
  that workflow;
* located elsewhere in an Arazzo document (``sourceDescriptions``, ``components``, ...): every workflow of
  the document;
* located in an API description the package is made from (a model that cannot be generated, say): every
  workflow with a step calling that API, and the API itself;
* anywhere else (a YAML file under SPECS no workflow uses): nothing the package is made from.

A workflow that runs, goes to or depends on a left-out workflow is left out too.  The package is then made
from what is left; should that report new errors, they are charged the same way, until none is left.  An
error without a location, or one charged to nothing while nothing was left out, fails the build as usual.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .cache import Cache
from .config import PackageOptions
from .diagnostics import Diagnostic, Diagnostics, Loc, Severity
from .ir.model import ArazzoDocument, Program, Workflow
from .progress import SILENT, Progress
from .read import YList, YMap, read_document
from .resolve.remote import RemoteSources
from .resolve.sources import Rewrites


@dataclass
class LeftOut:
    """What a ``--keep-going`` build left out, each with why (for the notes the command prints)."""

    workflows: list[tuple[str, str, str]] = field(
        default_factory=list
    )  # (document, workflowId, why)
    apis: list[tuple[str, str]] = field(default_factory=list)  # (API description, why)

    def __bool__(self) -> bool:
        return bool(self.workflows or self.apis)


def _position(loc: Loc) -> tuple[int, int]:
    return (loc.line, loc.col)


class _Extents:
    """Where each workflow of an Arazzo document starts and ends (line, column), read from the document."""

    def __init__(self, document: ArazzoDocument) -> None:
        self.spans: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {}
        parsed = read_document(document.path, Diagnostics())
        root = parsed.root if parsed is not None else None
        if not isinstance(root, YMap) or not isinstance(root.get("workflows"), YList):
            return
        items: YList = root["workflows"]
        starts = [_position(items.at(i)) for i in range(len(items))]
        after = [_position(root.key_at(key)) for key in root]
        for i, item in enumerate(items):
            if not isinstance(item, YMap) or not isinstance(item.get("workflowId"), str):
                continue
            later = [p for p in starts[i + 1 :] + after if p > starts[i]]
            end = min(later) if later else (10**9, 0)
            self.spans.setdefault(item["workflowId"], (starts[i], end))

    def workflow_at(self, loc: Loc) -> str | None:
        where = _position(loc)
        for workflow_id, (start, end) in self.spans.items():
            if start <= where < end:
                return workflow_id
        return None


def _charge(
    errors: list[Diagnostic], program: Program, extents: dict[str, _Extents], left: LeftOut
) -> tuple[set[tuple[str, str]], set[str], bool]:
    """The workflows (document, workflowId) and API files the errors break; False when one cannot be charged."""
    documents = {str(doc.path): doc for doc in program.documents}
    apis = {str(api.path) for api in program.apis}
    workflows: set[tuple[str, str]] = set()
    broken_apis: set[str] = set()
    for error in errors:
        if error.loc is None:
            return workflows, broken_apis, False
        file = error.loc.file
        if file in documents:
            document = documents[file]
            extent = extents.setdefault(file, _Extents(document))
            workflow_id = extent.workflow_at(error.loc)
            ids = (
                [workflow_id]
                if workflow_id is not None
                else [wf.workflow_id for wf in document.workflows]
            )
            why = (
                "it has errors"
                if workflow_id is not None
                else "its document has errors outside its workflows"
            )
            for one in ids:
                if (file, one) not in workflows:
                    workflows.add((file, one))
                    left.workflows.append((file, one, why))
        elif file in apis and file not in broken_apis:
            broken_apis.add(file)
            left.apis.append((file, "it has errors"))
    return workflows, broken_apis, True


def _uses_api(workflow: Workflow, api_files: set[str]) -> bool:
    return any(step.api is not None and str(step.api.path) in api_files for step in workflow.steps)


def leave_out(
    program: Program, errors: list[Diagnostic], left: LeftOut, extents: dict[str, _Extents]
) -> tuple[bool, bool]:
    """Remove from ``program`` what ``errors`` break, and what depends on it (recorded in ``left``).

    Returns (whether every error has a location, whether anything was removed).
    """
    workflows, broken_apis, charged = _charge(errors, program, extents, left)
    if not charged:
        return False, False
    gone: set[int] = set()
    for document in program.documents:
        for workflow in document.workflows:
            file = str(document.path)
            if (file, workflow.workflow_id) in workflows:
                gone.add(id(workflow))
            elif _uses_api(workflow, broken_apis):
                gone.add(id(workflow))
                left.workflows.append(
                    (file, workflow.workflow_id, "it calls an API description with errors")
                )
    changed = True
    while changed:  # callers of a left-out workflow go too
        changed = False
        for document in program.documents:
            for workflow in document.workflows:
                if id(workflow) in gone:
                    continue
                lost = next(
                    (c for c in workflow.calls() if c.target is not None and id(c.target) in gone),
                    None,
                )
                if lost is not None:
                    gone.add(id(workflow))
                    changed = True
                    why = f"it runs workflow '{lost.workflow_id}', which is left out"
                    left.workflows.append((str(document.path), workflow.workflow_id, why))
    for document in program.documents:
        document.workflows = [wf for wf in document.workflows if id(wf) not in gone]
    program.documents = [doc for doc in program.documents if doc.workflows]
    program.apis = [api for api in program.apis if str(api.path) not in broken_apis]
    return True, bool(gone or broken_apis)


def compile_sound(
    specs: Path,
    options: PackageOptions,
    diagnostics: Diagnostics,
    roots: list[Path] | None,
    cache: Cache | None,
    left: LeftOut,
    rewrites: Rewrites | None = None,
    remote: RemoteSources | None = None,
    progress: Progress = SILENT,
) -> dict[str, str] | None:
    """The package of the workflows without errors (what is left out is recorded in ``left``), or ``None``
    when nothing sound is left or an error cannot be charged to a workflow or an API.

    Every diagnostic goes to ``diagnostics``, as in a normal build.  The build cache keeps the models of
    each API as usual, but a partial build itself is never remembered.
    """
    from .check.checks import check_program
    from .emit.package import build_package
    from .ir.program import build_program
    from .plan.build import plan_program
    from .write import format_tree

    progress.stage("read")
    program = build_program(specs, diagnostics, roots, rewrites, remote)
    progress.stage("check")
    check_program(program, diagnostics)
    extents: dict[str, _Extents] = {}
    errors = [d for d in diagnostics.items if d.severity is Severity.ERROR]
    located, _ = leave_out(program, errors, left, extents)
    while located and program.documents:
        since = len(diagnostics.items)
        progress.stage("plan")
        plan = plan_program(program)
        files = build_package(program, plan, options, diagnostics, cache, progress)
        errors = [d for d in diagnostics.items[since:] if d.severity is Severity.ERROR]
        if not errors:
            progress.stage("format")
            return format_tree(files, cache)
        located, removed = leave_out(program, errors, left, extents)
        located = located and removed
    return None
