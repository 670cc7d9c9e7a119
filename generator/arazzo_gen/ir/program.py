"""Find the Arazzo documents under SPECS, bind their sources, and lower everything into a Program."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from ..diagnostics import Diagnostics, Loc, display_path, kind_of
from ..naming import NameResolver, module_name
from ..read import YList, YMap
from ..resolve import SpecsRoot, UnusablePath, Workspace, outside_root_message, unusable_path
from ..resolve.discover import discover
from ..resolve.remote import RemoteError, RemoteSources
from ..resolve.sources import REWRITE_TABLE, Rewrites
from .expressions import OutputRef
from .lower_api import lower_api
from .lower_asyncapi import is_asyncapi, lower_asyncapi
from .model import Api, ArazzoDocument, Program, SourceBinding, Workflow, WorkflowCall
from .structure import check_fields
from .versions import ARAZZO_1_0, ARAZZO_1_1, V1_1, check_structure, check_unsupported, version_of
from .workflow import WorkflowLowering

_API_NOISE = re.compile(
    r"([._-]?(openapi|asyncapi|swagger|oas[23]?|spec|api[._-]?description))+$", re.IGNORECASE
)
_SOURCE_NAME = re.compile(r"[A-Za-z0-9_\-]+")  # what the specification recommends
_ARAZZO_NOISE = re.compile(r"([._-]?(arazzo|workflows?))+$", re.IGNORECASE)


def is_arazzo(root: Any) -> bool:
    return isinstance(root, dict) and "arazzo" in root


def is_api(root: Any) -> bool:
    return isinstance(root, dict) and ("openapi" in root or "swagger" in root)


class ProgramBuilder:
    def __init__(
        self,
        diagnostics: Diagnostics,
        root: SpecsRoot,
        rewrites: Rewrites | None = None,
        remote: RemoteSources | None = None,
    ) -> None:
        self.diagnostics = diagnostics
        self.root = root
        self.rewrites = rewrites or Rewrites()
        self.remote = remote
        self.workspace = Workspace(diagnostics, root)
        self.apis: dict[Path, Api] = {}
        self.api_modules = NameResolver({"workflows", "runtime"})
        # the local documents by identity: the absolute URI of their `$self` (Arazzo 1.1, OpenAPI 3.2)
        self.identities: dict[str, Path] = {}

    def build(self, specs: Path) -> Program:
        files = discover(specs, self.root, self.diagnostics)
        arazzo_files = []
        for path in files:
            document = self.workspace.document(path)
            if document is not None and is_arazzo(document.root):
                arazzo_files.append(path)
            if document is not None and isinstance(document.root, YMap):
                self._identify(path, document.root)
        if not arazzo_files and not self.diagnostics.has_errors:
            self.diagnostics.error(
                "no-workflows",
                f"no Arazzo document (a file with an 'arazzo' field) under {_shown(specs.resolve())}",
                Loc(str(specs.resolve())),
            )
        documents = []
        doc_modules = NameResolver({"apis"})
        modules = {
            path: doc_modules.claim(module_name(_ARAZZO_NOISE.sub("", path.stem) or path.stem))
            for path in arazzo_files
        }
        pending = list(
            arazzo_files
        )  # grows with Arazzo documents outside SPECS named by `type: arazzo` sources
        lowered: set[Path] = set()
        while pending:
            path = pending.pop(0)
            if path in lowered:
                continue
            lowered.add(path)
            if path not in modules:
                modules[path] = doc_modules.claim(
                    module_name(_ARAZZO_NOISE.sub("", path.stem) or path.stem)
                )
            document = self.workspace.document(path)
            assert document is not None
            root = document.root
            if not isinstance(root, YMap):
                continue
            sources, arazzo_sources = self._sources(path, root)
            pending.extend(
                p for p in arazzo_sources.values() if p not in lowered and p not in pending
            )
            lowering = WorkflowLowering(
                self.workspace,
                self.diagnostics,
                path,
                root,
                sources,
                modules[path],
                arazzo_sources,
            )
            documents.append(lowering.lower())
        bind_calls(documents, self.diagnostics)
        root_dir = specs.resolve() if specs.is_dir() else specs.resolve().parent
        return Program(
            apis=list(self.apis.values()),
            documents=documents,
            root=root_dir,
            inputs=tuple(self.workspace.files_read()),
        )

    def _identify(self, path: Path, root: YMap) -> None:
        """Arazzo 1.1, Identity-Based Referencing: the `$self` of a local Arazzo 1.1 or OpenAPI 3.2 document (a
        relative one resolved against where it was read) identifies it: a source url equal to it names that
        document, wherever it lies, without fetching anything."""
        uri = root.get("$self")
        if not isinstance(uri, str) or "#" in uri:
            return  # (a fragment is invalid-self: ir/versions.py)
        if is_arazzo(root) and version_of(root) != V1_1:
            return
        if not is_arazzo(root) and not (
            is_api(root) and str(root.get("openapi")).startswith("3.2")
        ):
            return
        try:
            identity = urljoin(path.as_uri(), uri)
        except ValueError:
            return
        other = self.identities.setdefault(identity, path)
        if other != path:
            self.diagnostics.error(
                "invalid-self",
                f"'$self' {uri!r} is also the identity of {_shown(other)}: two documents cannot have one "
                "'$self'; references to it name the first",
                root.at("$self"),
            )

    def _identified(self, path: Path, root: YMap, url: str) -> tuple[str, Path | None]:
        """The url a source names, resolved against the document's base URI (Arazzo 1.1, Establishing the Base
        URI: its `$self`, itself resolved against where the document was read when relative; without it, the
        url as written, relative to the file), and the local document whose `$self` it is, if any."""
        self_uri = root.get("$self") if version_of(root) == V1_1 else None
        try:
            if isinstance(self_uri, str) and "#" not in self_uri:
                url = urljoin(urljoin(path.as_uri(), self_uri), url)
            absolute = urljoin(path.as_uri(), url)
        except ValueError:
            return url, None
        return url, self.identities.get(absolute)

    def _sources(self, path: Path, root: YMap) -> tuple[dict[str, Api], dict[str, Path]]:
        """The OpenAPI sources (lowered into APIs) and the ``type: arazzo`` sources (their files)."""
        version = root.get("arazzo")
        if not isinstance(version, str):
            self.diagnostics.warning(
                "arazzo-version",
                f"'arazzo' must be a version string such as '1.0.1', not {kind_of(version)}; reading it as 1.0",
                root.at("arazzo"),
            )
        elif not version.startswith("1."):
            self.diagnostics.warning(
                "arazzo-version",
                f"arazzo version '{version}' is not 1.x; reading it as 1.0",
                root.at("arazzo"),
            )
        elif not ARAZZO_1_0.fullmatch(version) and not ARAZZO_1_1.fullmatch(version):
            self.diagnostics.warning(
                "arazzo-version",
                f"arazzo version '{version}' is neither 1.0.x nor 1.1.x: arazzo-gen implements Arazzo 1.0.1 and "
                "1.1.0 and reads it as 1.0 (fields of other versions are ignored)",
                root.at("arazzo"),
            )
        arazzo_version = version_of(root)
        check_fields(root, self.diagnostics, arazzo_version)
        if arazzo_version == V1_1:
            check_structure(root, self.diagnostics)
            check_unsupported(root, self.diagnostics)
        sources: dict[str, Api] = {}
        arazzo: dict[str, Path] = {}
        raw = root.get("sourceDescriptions")
        if not isinstance(raw, YList) or not raw:
            self.diagnostics.error(
                "missing-field",
                "an Arazzo document needs a non-empty 'sourceDescriptions' list",
                root.loc,
            )
            return sources, arazzo
        for index, item in enumerate(raw):
            if not isinstance(item, YMap):
                self.diagnostics.error(
                    "invalid-type",
                    f"a sourceDescription must be a mapping, not {kind_of(item)}",
                    raw.at(index),
                )
                continue
            name, url = item.get("name"), item.get("url")
            if not isinstance(name, str) or not isinstance(url, str):
                self.diagnostics.error(
                    "missing-field", "a sourceDescription needs 'name' and 'url'", raw.at(index)
                )
                continue
            if not _SOURCE_NAME.fullmatch(name):
                self.diagnostics.warning(
                    "invalid-source-name",
                    f"sourceDescription name '{name}' does not match [A-Za-z0-9_\\-]+, the form the Arazzo "
                    "specification recommends; '$sourceDescriptions.<name>' expressions cannot name it",
                    item.at("name"),
                )
            if name in sources or name in arazzo:
                self.diagnostics.error(
                    "duplicate-source",
                    f"sourceDescription name '{name}' is used twice",
                    item.at("name"),
                )
                continue
            kind = item.get("type", "openapi")
            if kind not in ("openapi", "arazzo") and not (
                kind == "asyncapi" and arazzo_version == V1_1
            ):
                self.diagnostics.error(
                    "invalid-source-type",
                    f"sourceDescription type {_quoted(kind)} is not one Arazzo 1.0 defines (openapi, arazzo); "
                    f"source '{name}' is not read",
                    item.at("type"),
                )
                continue
            written = url
            url, identified = self._identified(path, root, url)
            if kind == "asyncapi":
                api = self._api(path, url, item.at("url"), identified, written, asyncapi=True)
                if api is not None:
                    sources[name] = api
                continue
            if kind == "arazzo":
                other = self._arazzo(path, url, item.at("url"), identified, written)
                if other is not None:
                    arazzo[name] = other
                continue
            api = self._api(path, url, item.at("url"), identified, written)
            if api is not None:
                sources[name] = api
        return sources, arazzo

    def _locate(
        self, arazzo_path: Path, url: str, loc: Loc, remote_hint: str, written: str | None = None
    ) -> Path | None:
        """The existing local file a source url names, through the configured rewrites; else a located error.

        A url that a rewrite matches is read from the rewrite's candidates only (the first existing one wins);
        any other is read relative to the Arazzo file.  Either way, only inside the specs root.  ``url`` is
        resolved against the document's `$self` when it has one; ``written`` is the url as written.
        """
        where = Loc(loc.file, loc.line, loc.col, len(written or url))
        rewritten = self.rewrites.matching(url)
        if rewritten:
            tried = []
            for rewrite, candidate in rewritten:
                problem = unusable_path(candidate)
                if problem is not None:
                    self.diagnostics.error(
                        "unresolved-source",
                        f"source url '{url}' (rewritten by the prefix '{rewrite.prefix}') does not resolve: {problem}",
                        where,
                    )
                    return None
                if not self.root.contains(candidate):
                    problem = f"leads outside the specs root ({self.root.describe()})"
                    what = f"source url '{url}' (rewritten by the prefix '{rewrite.prefix}' to {_shown(candidate)})"
                    self.diagnostics.error(
                        "outside-root", outside_root_message(what, problem), where
                    )
                    return None
                self.workspace.probe(candidate)
                if candidate.is_file():
                    return candidate.resolve()
                tried.append(f"{_shown(candidate)} (prefix '{rewrite.prefix}')")
            self.diagnostics.error(
                "unresolved-source",
                f"source url '{url}' does not resolve: no file at any rewrite of it: {', '.join(tried)}",
                where,
            )
            return None
        try:
            parts = urlsplit(url)
        except ValueError as error:  # 'http://[x': a bracketed host that is not an IP address
            self.diagnostics.error(
                "unresolved-source", f"source url '{url}' is not a valid URL ({error})", where
            )
            return None
        if parts.scheme in ("http", "https") and self.remote is not None:
            self.workspace.probe(self.remote.lock_path)
            try:
                stored = self.remote.locate(url)
                self.workspace.given[stored] = self.remote.contents[
                    stored
                ]  # parsed as verified, not read again
                return stored
            except RemoteError as error:
                hint = (
                    self._rewrite_hint(True)
                    if not self.remote.fetch or url not in self.remote.pins
                    else ""
                )
                self.diagnostics.error(
                    "unresolved-source", f"source url '{url}' {error}{hint}", where
                )
                return None
        if parts.scheme in ("http", "https"):
            self.diagnostics.error(
                "unresolved-source",
                f"source url '{url}' is remote; {remote_hint}{self._rewrite_hint(True)}",
                loc,
            )
            return None
        if parts.scheme not in ("", "file"):
            self.diagnostics.error(
                "unresolved-source",
                f"source url '{url}' has the unsupported scheme '{parts.scheme}:'",
                loc,
            )
            return None
        try:
            located, problem = self.root.locate(arazzo_path, url)
        except UnusablePath as unusable:
            self.diagnostics.error(
                "unresolved-source", f"source url '{url}' does not resolve: {unusable}", where
            )
            return None
        if located is None:
            self.diagnostics.error(
                "outside-root", outside_root_message(f"source url '{url}'", problem), where
            )
            return None
        self.workspace.probe(located)
        if not located.is_file():
            self.diagnostics.error(
                "unresolved-source",
                f"source url '{url}' does not resolve: no file at {_shown(located)}{self._rewrite_hint(False)}",
                where,
            )
            return None
        return located

    def _rewrite_hint(self, remote: bool) -> str:
        """What the configured rewrites did with a url none of them matches (and how to add one)."""
        if self.rewrites:
            return f" (no {REWRITE_TABLE} prefix matches it)"
        return f"; or map its prefix to a local folder with {REWRITE_TABLE}" if remote else ""

    def _arazzo(
        self,
        arazzo_path: Path,
        url: str,
        loc: Loc,
        identified: Path | None = None,
        written: str | None = None,
    ) -> Path | None:
        """The Arazzo document a ``type: arazzo`` source names (compiled into a workflows module too): the local
        document whose `$self` it is, else the file it locates."""
        located = identified or self._locate(
            arazzo_path, url, loc, "arazzo-gen reads local files only", written
        )
        if located is None:
            return None
        where = Loc(loc.file, loc.line, loc.col, len(written or url))
        document = self.workspace.document(located)
        if document is None:
            return None
        if not is_arazzo(document.root):
            self.diagnostics.error(
                "unresolved-source",
                f"source url '{url}' is not an Arazzo document (no 'arazzo' field)",
                where,
            )
            return None
        return located

    def _api(
        self,
        arazzo_path: Path,
        url: str,
        loc: Loc,
        identified: Path | None = None,
        written: str | None = None,
        asyncapi: bool = False,
    ) -> Api | None:
        hint = "arazzo-gen reads local files only - download it next to the workflow and use a relative url"
        target = identified or self._locate(arazzo_path, url, loc, hint, written)
        if target is None:
            return None
        if target in self.apis:
            return self.apis[target]
        document = self.workspace.document(target)
        if document is None:
            return None
        if asyncapi:
            if not is_asyncapi(document.root) or not isinstance(document.root, YMap):
                self.diagnostics.error(
                    "unresolved-source",
                    f"source url '{url}' is not an AsyncAPI document (no 'asyncapi' field)",
                    loc,
                )
                return None
            module = self.api_modules.claim(
                module_name(_API_NOISE.sub("", target.stem) or target.stem)
            )
            api = lower_asyncapi(self.workspace, self.diagnostics, target, document.root, module)
            self.apis[target] = api
            return api
        if not is_api(document.root) or not isinstance(document.root, YMap):
            self.diagnostics.error(
                "unresolved-source",
                f"source url '{url}' is not an OpenAPI or Swagger document (no 'openapi'/'swagger' field)",
                loc,
            )
            return None
        module = self.api_modules.claim(module_name(_API_NOISE.sub("", target.stem) or target.stem))
        api = lower_api(self.workspace, self.diagnostics, target, document.root, module)
        self.apis[target] = api
        return api


# -- workflow calls ---------------------------------------------------------------------------------------
def bind_calls(documents: list[ArazzoDocument], diagnostics: Diagnostics) -> None:
    """Bind every workflow reference (step ``workflowId``, goto/retry ``workflowId``, ``dependsOn``) to its
    workflow, check the inputs a step passes, reject cycles of steps and dependsOn, and give each workflow
    the client parameters, ``sleep`` and ``max_steps`` of the workflows it runs."""
    by_doc = {doc.path: doc for doc in documents}
    for doc in documents:
        for workflow in doc.workflows:
            for call in workflow.calls():
                _bind(call, by_doc, diagnostics)
            for step in workflow.steps:
                if step.call is not None and step.call.target is not None:
                    _check_call_inputs(step, step.call.target, diagnostics)
                    if not step.outputs:
                        step.outputs = {name: OutputRef(name) for name in step.call.target.outputs}
                        step.output_locs = {name: step.loc for name in step.outputs}
    _reject_cycles(documents, diagnostics)
    for doc in documents:
        for workflow in doc.workflows:
            _bind_dependencies(workflow)
            for step in workflow.steps:
                for action in step.on_success + step.on_failure:
                    if (
                        action.call is not None
                        and action.call.target is not None
                        and not action.inherited
                    ):
                        _check_shared_inputs(
                            workflow,
                            action.call,
                            f"{action.kind} action '{action.name}'",
                            diagnostics,
                        )
            for action in workflow.success_actions + workflow.failure_actions:
                if action.call is not None and action.call.target is not None:
                    _check_shared_inputs(
                        workflow, action.call, f"{action.kind} action '{action.name}'", diagnostics
                    )
    workflows = [wf for doc in documents for wf in doc.workflows]
    changed = True
    while changed:  # what a workflow runs, it needs the clients of
        changed = False
        for workflow in workflows:
            for call in workflow.calls():
                callee = call.target
                if callee is None or callee is workflow:
                    continue
                bound = {id(b.api) for b in workflow.sources}
                for binding in callee.sources:
                    if id(binding.api) not in bound:
                        workflow.sources.append(SourceBinding(binding.name, binding.api))
                        bound.add(id(binding.api))
                        changed = True


def _bind_dependencies(workflow: Workflow) -> None:
    """dependsOn: the function takes each dependency's outputs (a parameter the plan names); it runs the
    dependency itself (with its own inputs of the same names) when the caller passes none, unless the
    dependency needs an input this workflow does not have: then the parameter is required."""
    own = {item.name for item in workflow.inputs}
    for call in workflow.depends_on:
        if call.target is None:
            continue
        call.param_required = any(i.required and i.name not in own for i in call.target.inputs)


def _check_shared_inputs(
    workflow: Workflow, call: WorkflowCall, what: str, diagnostics: Diagnostics
) -> None:
    """A goto/retry action runs its workflow with the current workflow's inputs of the same names; with
    ``parameters`` (Arazzo 1.1), with those."""
    assert call.target is not None
    if call.inputs is not None:
        _check_inputs(call.inputs, call.target, what, call.loc, set(), diagnostics)
        return
    own = {item.name for item in workflow.inputs}
    missing = [i.name for i in call.target.inputs if i.required and i.name not in own]
    if missing:
        diagnostics.error(
            "missing-input",
            f"{what} runs workflow '{call.target.workflow_id}', which requires the input(s) "
            f"{', '.join(repr(m) for m in missing)}; an action passes the inputs of workflow "
            f"'{workflow.workflow_id}' with the same names, and it has none of that name",
            call.loc,
        )
        call.target = None


def _bind(call: WorkflowCall, by_doc: dict[Path, ArazzoDocument], diagnostics: Diagnostics) -> None:
    doc = by_doc.get(call.document)
    if doc is None:
        return  # the document did not load; reported where it is read
    for workflow in doc.workflows:
        if workflow.workflow_id == call.workflow_id:
            call.target = workflow
            call.target_module = doc.module
            return
    known = [wf.workflow_id for wf in doc.workflows]
    hint = difflib.get_close_matches(call.workflow_id, known, n=1)
    root = call.text.split(".", 1)[0]
    if root.startswith("$") and root != "$sourceDescriptions" and call.text.count(".") == 2:
        # '$sourceDescription.src.wf' (a misspelt root) reads as one bare workflowId: say what it is
        near = difflib.get_close_matches(root, ["$sourceDescriptions"], n=1, cutoff=0.6)
        if near:
            hint = [call.text.replace(root, near[0], 1)]
    diagnostics.error(
        "unknown-workflow",
        f"'{call.text}' names no workflow of {doc.path.name} (workflows: {', '.join(known) or 'none'})"
        + (f"; did you mean '{hint[0]}'?" if hint else ""),
        call.loc,
    )


def _check_call_inputs(step: Any, callee: Workflow, diagnostics: Diagnostics) -> None:
    _check_inputs(step.call_inputs, callee, f"step '{step.step_id}'", step.loc, step.broken_parameters,
                  diagnostics)  # fmt: skip


def _check_inputs(
    given: dict[str, Any],
    callee: Workflow,
    who: str,
    loc: Loc,
    broken: set[str | None],
    diagnostics: Diagnostics,
) -> None:
    """The inputs a step or a (1.1) action passes by name: each one the callee's, every required one given."""
    declared = {item.name: item for item in callee.inputs}
    for name, (_, where, inherited) in list(given.items()):
        if name not in declared:
            if (
                inherited
            ):  # a workflow-level parameter the callee does not take: it applies to the others
                del given[name]
                continue
            hint = difflib.get_close_matches(name, list(declared), n=1)
            diagnostics.error(
                "unknown-input",
                f"workflow '{callee.workflow_id}' has no input '{name}' ({who} passes it)"
                + (f"; did you mean '{hint[0]}'?" if hint else ""),
                where,
            )
    for item in callee.inputs:
        if item.required and item.name not in given and not {None, item.name} & broken:
            diagnostics.error(
                "missing-parameter",
                f"{who} does not pass the required input '{item.name}' of workflow "
                f"'{callee.workflow_id}'",
                loc,
            )


def _reject_cycles(documents: list[ArazzoDocument], diagnostics: Diagnostics) -> None:
    """A workflow that (through step calls and dependsOn) needs itself can never finish: a located error."""
    edges: dict[int, list[tuple[Workflow, WorkflowCall]]] = {}
    workflows = [wf for doc in documents for wf in doc.workflows]
    for workflow in workflows:
        calls = list(workflow.depends_on) + [s.call for s in workflow.steps if s.call is not None]
        edges[id(workflow)] = [(c.target, c) for c in calls if c.target is not None]
    state: dict[int, int] = {}  # 1 visiting, 2 done

    def visit(workflow: Workflow, path: list[str]) -> None:
        state[id(workflow)] = 1
        for target, call in edges.get(id(workflow), []):
            if state.get(id(target)) == 1:
                cycle = (
                    path[path.index(target.workflow_id) :] + [target.workflow_id]
                    if target.workflow_id in path
                    else [workflow.workflow_id, target.workflow_id]
                )
                kind = "dependsOn" if call in workflow.depends_on else "step"
                diagnostics.error(
                    "workflow-cycle",
                    f"{kind} '{call.text}' makes a cycle: {' -> '.join(cycle)}; a workflow cannot need itself",
                    call.loc,
                )
                call.target = None
            elif state.get(id(target)) is None:
                visit(target, path + [target.workflow_id])
        state[id(workflow)] = 2

    for workflow in workflows:
        if id(workflow) not in state:
            visit(workflow, [workflow.workflow_id])


def _quoted(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else kind_of(value)


def _shown(path: Path) -> str:
    return display_path(str(path))


def build_program(
    specs: Path,
    diagnostics: Diagnostics,
    roots: list[Path] | None = None,
    rewrites: Rewrites | None = None,
    remote: RemoteSources | None = None,
) -> Program:
    """Lower every Arazzo document under ``specs``; files are read only inside the specs root (see
    :func:`~arazzo_gen.resolve.workspace.default_root`) and the extra ``roots`` folders (and the store of
    downloaded sources); source urls go through the configured ``rewrites``, then ``remote``."""
    root = SpecsRoot.for_specs(specs, roots, [remote.store] if remote is not None else None)
    return ProgramBuilder(diagnostics, root, rewrites, remote).build(specs)
