"""The module-level names of the generated workflows modules: outputs classes, import aliases of the API
clients and models, and of other workflows modules a module calls into."""

from __future__ import annotations

from dataclasses import dataclass

from ..ir.model import ArazzoDocument, Program, Workflow
from ..naming import KEYWORDS, WORKFLOW_MODULE_RESERVED, Scope, pascal, snake
from .names import BASE_MODEL_MEMBERS, NameResolver


@dataclass(frozen=True)
class ApiAliases:
    """Module-level names under which one document's workflow module imports an API's clients and models."""

    client: str
    async_client: str
    models: str


@dataclass(frozen=True)
class ModulePlan:
    module: str
    aliases: dict[str, ApiAliases]  # API module -> import aliases
    workflow_modules: dict[str, str]  # other workflows module -> import alias


def outputs_classes(program: Program) -> dict[int, str]:
    """id(workflow) -> the name of its outputs class (named up front: a caller refers to it)."""
    bases = Scope(sep="")
    return {
        id(workflow): bases.claim(pascal(workflow.workflow_id)) + "Outputs"
        for document in program.documents
        for workflow in document.workflows
    }


def output_fields(workflow: Workflow) -> dict[str, str]:
    """The field names of a workflow's outputs class (also what a caller reads from it): never a keyword nor a
    member of ``BaseModel`` (``copy`` -> ``copy_``), never in pydantic's ``model_`` namespace."""
    names = NameResolver(avoid=KEYWORDS | BASE_MODEL_MEMBERS)
    return {
        name: names.claim(("output_" if base.startswith("model_") else "") + base)
        for name in workflow.outputs
        for base in (snake(name),)
    }


def module_plan(doc: ArazzoDocument) -> ModulePlan:
    aliases, modules = _api_aliases(doc)
    return ModulePlan(doc.module, aliases, modules)


def function_reserved(
    program: Program, module: ModulePlan, workflow: Workflow, classes: dict[int, str]
) -> set[str]:
    """Module-level names a workflow function's parameters and locals must not shadow: the import aliases
    (the body creates clients by alias), the module's other workflow functions and outputs classes (a step
    local named like one would shadow the function it calls)."""
    names = {n for a in module.aliases.values() for n in (a.client, a.async_client, a.models)}
    names |= set(module.workflow_modules.values())
    own = [
        wf
        for d in program.documents
        if d.module == module.module
        for wf in d.workflows
        if wf is not workflow
    ]
    names |= {name for wf in own for name in (wf.py_name, wf.async_name)}
    names |= {classes[id(wf)] for wf in own}
    return names


def _api_aliases(doc: ArazzoDocument) -> tuple[dict[str, ApiAliases], dict[str, str]]:
    """Import aliases per API module, named after the first source name that binds the API.

    They are allocated in the module scope: they avoid the module's other names and every parameter name of
    its workflow functions (which are named in the IR); two source names that snake-case alike (``a-b``,
    ``a_b``) for two APIs get distinct aliases, two source names for one API share them.
    """
    taken = set(WORKFLOW_MODULE_RESERVED)
    for wf in doc.workflows:
        taken.update(
            {
                wf.py_name,
                wf.async_name,
                *(i.py_name for i in wf.inputs),
                *(s.py_name for s in wf.sources),
            }
        )
    scope = Scope(taken)
    aliases: dict[str, ApiAliases] = {}
    for wf in doc.workflows:
        for binding in wf.sources:
            if binding.api.module in aliases:
                continue
            base = pascal(binding.name)
            base = base if base.endswith("Api") else base + "Api"
            candidate, counter = base, 2
            while f"{candidate}Client" in scope or f"Async{candidate}Client" in scope:
                candidate, counter = f"{base}{counter}", counter + 1
            client = f"{candidate}Client"
            scope.reserve(client, f"Async{client}")
            stem = snake(binding.name)
            models = scope.claim(stem + ("" if stem.endswith("api") else "_api") + "_models")
            aliases[binding.api.module] = ApiAliases(client, f"Async{client}", models)
    modules: dict[str, str] = {}  # workflows modules of other documents this one calls into
    for wf in doc.workflows:
        for call in wf.calls():
            if (
                call.target_module is not None
                and call.target_module != doc.module
                and call.target_module not in modules
            ):
                modules[call.target_module] = scope.claim(call.target_module + "_workflows")
    return aliases, modules
