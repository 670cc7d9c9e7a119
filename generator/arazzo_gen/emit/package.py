"""Assemble the generated package: render every module through the templates and format it with black, and
copy the runtime modules it uses (:mod:`.runtime`).

The result is an in-memory tree (relative path -> text); writing it is the writer's job.
"""

from __future__ import annotations

import jinja2

from ..cache import Cache
from ..config import PackageOptions
from ..diagnostics import Diagnostics
from ..ir.model import Program
from ..plan.build import ProgramPlan
from ..progress import SILENT, Progress
from .clients import (
    MESSAGING_MODULES,
    MODELS_ALIAS,
    PROTOCOL_REQUIREMENTS,
    build_client_view,
    build_messaging_view,
    messaging_requirements,
)
from .dependencies import (
    BASE_REQUIREMENTS,
    CRITERIA_REQUIREMENTS,
    DURABLE_MODULE,
    DURABLE_REQUIREMENT,
    OTEL_REQUIREMENT,
    templates_dir,
)
from .models import ModelIndex, generate_models
from .product import ApiEntry, api_entry, messaging_entry, workflow_entries
from .runtime import needed_modules, runtime_source
from .text import doc_text, escape_source, md_text, py_str, raw_unsafe_chars, toml_str
from .types import TypeMapper
from .workflows import WorkflowCompiler


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
    progress: Progress = SILENT,
) -> dict[str, str]:
    env = environment()
    pkg = options.package
    files: dict[str, str] = {}
    indexes: dict[str, ModelIndex] = {}
    requirements: set[str] = set()
    api_entries: list[ApiEntry] = []
    messaging_modules: set[str] = (
        set()
    )  # the messaging runtime, when some source is an AsyncAPI one

    files[f"{pkg}/py.typed"] = ""
    for number, api in enumerate(program.apis, start=1):
        progress.stage("models", f"{api.module} ({number}/{len(program.apis)})")
        source = program.relative(api.path)
        models_text, index, needed = generate_models(api, source, diagnostics, cache)
        indexes[api.module] = index
        requirements |= needed
        files[f"{pkg}/apis/{api.module}/models.py"] = models_text
        if api.kind == "asyncapi":
            messaging = build_messaging_view(api, TypeMapper(api, index, MODELS_ALIAS), source, pkg)
            api_entries.append(messaging_entry(api, messaging, source))
            imports = {k: v for k, v in messaging.imports.items() if k != "typing" or v}
            files[f"{pkg}/apis/{api.module}/client.py"] = env.get_template(
                "messaging_client.py.j2"
            ).render(view=messaging, imports=_import_groups(imports))
            messaging_modules.update(MESSAGING_MODULES)
            requirements |= messaging_requirements(api)
        else:
            view = build_client_view(api, TypeMapper(api, index, MODELS_ALIAS), source, pkg)
            api_entries.append(api_entry(api, view, source))
            imports = {k: v for k, v in view.imports.items() if k != "typing" or v}
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

    progress.stage("render")
    compiler = WorkflowCompiler(program, indexes, plan)
    doc_views = []
    for document in program.documents:
        doc_view = compiler.document(document)
        doc_views.append(doc_view)
        text = env.get_template("workflows.py.j2").render(
            view=doc_view, imports=doc_view.imports.lines()
        )
        files[f"{pkg}/workflows/{document.module}.py"] = text
    # the runtime modules the workflows use, copied unchanged; criteria evaluated by a library at run time
    # have a module of their own, which imports it: the package depends on it only then
    uses = {name for doc_view in doc_views for name in doc_view.runtime_names}
    for module in needed_modules(uses, messaging_modules):
        files[f"{pkg}/{module}.py"] = runtime_source(module)
        requirements.update(CRITERIA_REQUIREMENTS.get(module, ()))
    names = sorted(
        name
        for doc_view in doc_views
        for wf in doc_view.workflows
        for name in (wf.outputs_class, wf.py_name, wf.async_name)
    )
    files[f"{pkg}/workflows/__init__.py"] = env.get_template("workflows_init.py.j2").render(
        documents=doc_views, names=names
    )
    entries = workflow_entries(
        pkg,
        [
            (document.workflows, view)
            for document, view in zip(program.documents, doc_views, strict=True)
        ],
    )
    if options.durable:
        files[f"{pkg}/{DURABLE_MODULE}.py"] = runtime_source(DURABLE_MODULE)
        files[f"{pkg}/durable.py"] = env.get_template("durable.py.j2").render(
            package=pkg, distribution=options.distribution, workflows=entries
        )
        requirements.add(DURABLE_REQUIREMENT)
    description = options.description or (
        f"Typed API clients and Arazzo workflows generated by arazzo-gen from {options.specs_label}"
    )
    package_doc = f"{options.distribution}: {description}"
    files[f"{pkg}/__init__.py"] = env.get_template("package_init.py.j2").render(
        docstring=f'"""{doc_text(package_doc)}\n\nDo not edit: rebuild with ``arazzo-gen build``.\n"""',
        version=options.version,
    )
    files[f"{pkg}/__main__.py"] = env.get_template("main.py.j2").render(
        package=pkg,
        distribution=options.distribution,
        workflows=entries,
        modules=sorted({client.module for entry in entries for client in entry.clients}),
        durable=options.durable,
    )
    files["pyproject.toml"] = env.get_template("pyproject.toml.j2").render(
        distribution=options.distribution,
        version=options.version,
        description=description,
        package=pkg,
        requirements=[*BASE_REQUIREMENTS, *sorted(requirements)],
        otel_requirement=OTEL_REQUIREMENT,
        # a package with AsyncAPI sources: each transport's libraries as an extra (whatever its servers say)
        messaging_extras=sorted(PROTOCOL_REQUIREMENTS.items()) if messaging_modules else [],
    )
    files["README.md"] = env.get_template("README.md.j2").render(
        distribution=options.distribution,
        version=options.version,
        description=description,
        package=pkg,
        specs=options.specs_label,
        workflows=entries,
        apis=api_entries,
        durable=options.durable,
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
