"""Find the Arazzo documents under SPECS, bind their sources, and lower everything into a Program."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..diagnostics import Diagnostics, Loc, display_path
from ..naming import WORKFLOW_MODULE_RESERVED, Scope, module_name
from ..read import YList, YMap
from ..resolve import SpecsRoot, Workspace, outside_root_message
from ..resolve.discover import discover
from .lower_api import lower_api
from .lower_workflow import WorkflowLowering
from .model import Api, Program

_API_NOISE = re.compile(r"([._-]?(openapi|swagger|oas[23]?|spec|api[._-]?description))+$", re.IGNORECASE)
_ARAZZO_NOISE = re.compile(r"([._-]?(arazzo|workflows?))+$", re.IGNORECASE)


def is_arazzo(root: Any) -> bool:
    return isinstance(root, dict) and "arazzo" in root


def is_api(root: Any) -> bool:
    return isinstance(root, dict) and ("openapi" in root or "swagger" in root)


class ProgramBuilder:
    def __init__(self, diagnostics: Diagnostics, root: SpecsRoot) -> None:
        self.diagnostics = diagnostics
        self.root = root
        self.workspace = Workspace(diagnostics, root)
        self.apis: dict[Path, Api] = {}
        self.api_modules = Scope({"workflows", "runtime"})

    def build(self, specs: Path) -> Program:
        files = discover(specs, self.root, self.diagnostics)
        arazzo_files = []
        for path in files:
            document = self.workspace.document(path)
            if document is not None and is_arazzo(document.root):
                arazzo_files.append(path)
        if not arazzo_files and not self.diagnostics.has_errors:
            self.diagnostics.error(
                "no-workflows",
                f"no Arazzo document (a file with an 'arazzo' field) under {_shown(specs.resolve())}",
                Loc(str(specs.resolve())),
            )
        documents = []
        doc_modules = Scope({"apis"})
        modules = {
            path: doc_modules.claim(module_name(_ARAZZO_NOISE.sub("", path.stem) or path.stem))
            for path in arazzo_files
        }
        # workflows/__init__.py re-exports every workflow function (and imports every document module), so
        # the function names are allocated package-wide, each with its async twin.
        workflow_names = Scope(WORKFLOW_MODULE_RESERVED | set(modules.values()))
        for path in arazzo_files:
            document = self.workspace.document(path)
            assert document is not None
            root = document.root
            if not isinstance(root, YMap):
                continue
            sources = self._sources(path, root)
            lowering = WorkflowLowering(
                self.workspace, self.diagnostics, path, root, sources, modules[path], workflow_names
            )
            documents.append(lowering.lower())
        root_dir = specs.resolve() if specs.is_dir() else specs.resolve().parent
        return Program(
            apis=list(self.apis.values()),
            documents=documents,
            root=root_dir,
            inputs=tuple(self.workspace.files_read()),
        )

    def _sources(self, path: Path, root: YMap) -> dict[str, Api]:
        version = str(root.get("arazzo"))
        if not version.startswith("1."):
            self.diagnostics.warning(
                "arazzo-version", f"arazzo version '{version}' is not 1.x; reading it as 1.0", root.at("arazzo")
            )
        sources: dict[str, Api] = {}
        raw = root.get("sourceDescriptions")
        if not isinstance(raw, YList) or not raw:
            self.diagnostics.error(
                "missing-field", "an Arazzo document needs a non-empty 'sourceDescriptions' list", root.loc
            )
            return sources
        for index, item in enumerate(raw):
            if not isinstance(item, YMap):
                continue
            name, url = item.get("name"), item.get("url")
            if not isinstance(name, str) or not isinstance(url, str):
                self.diagnostics.error("missing-field", "a sourceDescription needs 'name' and 'url'", raw.at(index))
                continue
            if name in sources:
                self.diagnostics.error(
                    "duplicate-source", f"sourceDescription name '{name}' is used twice", item.at("name")
                )
                continue
            kind = item.get("type", "openapi")
            if kind == "arazzo":
                self.diagnostics.warning(
                    "unsupported-source",
                    f"source '{name}' is an Arazzo document; workflows of other documents are not bound yet",
                    item.at("type"),
                )
                continue
            api = self._api(path, url, item.at("url"))
            if api is not None:
                sources[name] = api
        return sources

    def _api(self, arazzo_path: Path, url: str, loc: Loc) -> Api | None:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https"):
            self.diagnostics.error(
                "unresolved-source",
                f"source url '{url}' is remote; arazzo-gen reads local files only - download it next to the "
                "workflow and use a relative url",
                loc,
            )
            return None
        if parts.scheme not in ("", "file"):
            self.diagnostics.error(
                "unresolved-source", f"source url '{url}' has the unsupported scheme '{parts.scheme}:'", loc
            )
            return None
        located, problem = self.root.locate(arazzo_path, url)
        if located is None:
            where = Loc(loc.file, loc.line, loc.col, len(url))
            self.diagnostics.error("outside-root", outside_root_message(f"source url '{url}'", problem), where)
            return None
        target = located
        if not target.is_file():
            self.diagnostics.error(
                "unresolved-source",
                f"source url '{url}' does not resolve: no file at {_shown(target)}",
                Loc(loc.file, loc.line, loc.col, len(url)),
            )
            return None
        if target in self.apis:
            return self.apis[target]
        document = self.workspace.document(target)
        if document is None:
            return None
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


def _shown(path: Path) -> str:
    return display_path(str(path))


def build_program(specs: Path, diagnostics: Diagnostics, roots: list[Path] | None = None) -> Program:
    """Lower every Arazzo document under ``specs``; files are read only inside the specs root (see
    :func:`~generator.resolve.workspace.default_root`) and the extra ``roots`` folders."""
    return ProgramBuilder(diagnostics, SpecsRoot.for_specs(specs, roots)).build(specs)
