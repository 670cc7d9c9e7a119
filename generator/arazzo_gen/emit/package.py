"""Assemble the generated package: render every module through the templates and format it with black.

The result is an in-memory tree (relative path -> text); writing it is the writer's job.
"""

from __future__ import annotations

import re

import jinja2

from ..cache import Cache
from ..config import PackageOptions
from ..diagnostics import Diagnostics
from ..ir.model import Program
from ..plan.build import ProgramPlan
from .clients import MODELS_ALIAS, build_client_view
from .dependencies import BASE_REQUIREMENTS, CRITERIA_REQUIREMENTS, templates_dir
from .models import ModelIndex, generate_models
from .text import doc_text, escape_source, md_text, py_str, raw_unsafe_chars, toml_str
from .types import TypeMapper
from .workflows import WorkflowCompiler

_STDLIB = {
    "typing",
    "re",
    "datetime",
    "uuid",
    "decimal",
    "collections.abc",
    "enum",
    "time",
    "asyncio",
}


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["pystr"] = py_str
    env.filters["doc"] = doc_text
    env.filters["tomlstr"] = toml_str
    env.filters["md"] = md_text
    return env


def _import_groups(imports: dict[str, set[str]]) -> list[tuple[str, list[str]]]:
    return [
        (module, sorted(names, key=lambda n: (n.split(" ")[0].lower(), n)))
        for module, names in sorted(imports.items())
    ]


def build_package(
    program: Program,
    plan: ProgramPlan,
    options: PackageOptions,
    diagnostics: Diagnostics,
    cache: Cache | None = None,
) -> dict[str, str]:
    env = environment()
    pkg = options.package
    files: dict[str, str] = {}
    indexes: dict[str, ModelIndex] = {}
    requirements: set[str] = set()

    files[f"{pkg}/py.typed"] = ""
    for api in program.apis:
        source = program.relative(api.path)
        models_text, index, needed = generate_models(api, source, diagnostics, cache)
        indexes[api.module] = index
        requirements |= needed
        view = build_client_view(api, TypeMapper(api, index, MODELS_ALIAS), source)
        imports = {k: v for k, v in view.imports.items() if k != "typing" or v}
        files[f"{pkg}/apis/{api.module}/models.py"] = models_text
        files[f"{pkg}/apis/{api.module}/client.py"] = env.get_template("client.py.j2").render(
            view=view,
            imports=_import_groups(imports),
            needs_basic=any(c.value.startswith("_basic_auth(") for c in view.credentials),
        )
        files[f"{pkg}/apis/{api.module}/__init__.py"] = env.get_template("api_init.py.j2").render(
            title=api.title
        )
    api_rows = [
        {"module": a.module, "title": a.title, "version": a.version, "source": program.relative(a.path),
         "operations": len(a.operations)}
        for a in program.apis
    ]  # fmt: skip
    files[f"{pkg}/apis/__init__.py"] = env.get_template("apis_init.py.j2").render(apis=api_rows)

    compiler = WorkflowCompiler(program, indexes, plan)
    doc_views = []
    for document in program.documents:
        doc_view = compiler.document(document)
        doc_views.append(doc_view)
        stdlib = {m: n for m, n in doc_view.imports.items() if m in _STDLIB}
        pydantic_imports = {m: n for m, n in doc_view.imports.items() if m == "pydantic"}
        local = {m: n for m, n in doc_view.imports.items() if m.startswith(".")}
        text = env.get_template("workflows.py.j2").render(
            view=doc_view,
            stdlib_imports=_import_groups(stdlib),
            pydantic_imports=_import_groups(pydantic_imports),
            local_imports=_import_groups(local),
            runtime_names=sorted(doc_view.runtime_names),
            needs_stack=any(not s.required for wf in doc_view.workflows for s in wf.sources),
        )
        files[f"{pkg}/workflows/{document.module}.py"] = _drop_unused_aliases(text)
    # criteria evaluated by a library at run time: the runtime imports it, the package depends on it
    uses = {name for doc_view in doc_views for name in doc_view.runtime_names}
    runtime_flags = {
        "uses_regex": "regex_matches" in uses,
        "uses_jsonpath": "jsonpath_matches" in uses,
        "uses_xpath": "xpath_matches" in uses,
    }
    for flag, packages in CRITERIA_REQUIREMENTS.items():
        if runtime_flags[flag]:
            requirements.update(packages)
    files[f"{pkg}/_runtime.py"] = env.get_template("runtime.py.j2").render(**runtime_flags)
    names = sorted(
        name
        for doc_view in doc_views
        for wf in doc_view.workflows
        for name in (wf.outputs_class, wf.py_name, wf.async_name)
    )
    files[f"{pkg}/workflows/__init__.py"] = env.get_template("workflows_init.py.j2").render(
        documents=doc_views, names=names
    )
    workflow_rows = [
        {
            "py_name": wf.py_name,
            "async_name": wf.async_name,
            "summary": wf.summary or wf.workflow_id,
        }
        for document in program.documents
        for wf in document.workflows
    ]
    package_doc = (
        f"{options.distribution}: typed clients and workflow functions generated by arazzo-gen."
    )
    files[f"{pkg}/__init__.py"] = env.get_template("package_init.py.j2").render(
        docstring=f'"""{doc_text(package_doc)}\n\nDo not edit: rebuild with ``arazzo-gen build``.\n"""'
    )
    files["pyproject.toml"] = env.get_template("pyproject.toml.j2").render(
        distribution=options.distribution,
        version=options.version,
        description=f"Typed API clients and Arazzo workflows generated by arazzo-gen from {options.specs_label}",
        package=pkg,
        requirements=[*BASE_REQUIREMENTS, *sorted(requirements)],
    )
    files["README.md"] = env.get_template("README.md.j2").render(
        distribution=options.distribution,
        package=pkg,
        specs=options.specs_label,
        documents=[{"workflows": workflow_rows}],
        apis=api_rows,
    )
    return {name: _guard_text(name, text) for name, text in sorted(files.items())}


def _guard_text(name: str, text: str) -> str:
    """Escape any non-printable character left in a Python module's literals or comments; anywhere else
    (README, pyproject, Python code outside literals) such a character is a bug of arazzo-gen."""
    if name.endswith(".py"):
        text = escape_source(text)
    for match in raw_unsafe_chars(text):
        number = text.count("\n", 0, match.start()) + 1
        raise AssertionError(
            f"{name}:{number}: raw U+{ord(match.group()):04X} would be written; this is a bug"
        )
    return text


_ALIAS_IMPORT = re.compile(r"^from \.\.apis\.\w+ import models as (\w+)\n", re.MULTILINE)


def _drop_unused_aliases(text: str) -> str:
    """Remove ``models as alias`` imports whose alias the module never uses."""

    def keep(match: re.Match[str]) -> str:
        alias = match.group(1)
        uses = len(re.findall(rf"\b{alias}\.", text))
        return match.group(0) if uses else ""

    return _ALIAS_IMPORT.sub(keep, text)
