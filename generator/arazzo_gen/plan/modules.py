"""The names of the generated workflows package, allocated once, by one resolver per scope:

* the package (``workflows/__init__.py`` re-exports every workflow function and outputs class): each
  workflow's function with its async twin, and its outputs class;
* each function, inside the package scope: its parameters (inputs, clients, dependsOn outputs, ``sleep``,
  ``max_steps``: the interface callers see, named first so that they keep the document's names);
* each module (one per Arazzo document), inside the package scope and avoiding every parameter of its
  functions: the import aliases of the API clients and models, and of other workflows modules it calls
  into; then each function's scope takes the module's names too, and :mod:`.build` claims its locals.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..ir.model import ArazzoDocument, Program, Workflow
from ..naming import (
    BUILTIN_NAMES,
    KEYWORDS,
    WORKFLOW_FUNCTION_RESERVED,
    WORKFLOW_MODULE_RESERVED,
    NameResolver,
    pascal,
    snake,
)
from .names import BASE_MODEL_MEMBERS, function_scope


@dataclass(frozen=True)
class ApiAliases:
    """Module-level names under which one document's workflow module imports an API's clients and models."""

    client: str
    async_client: str
    models: str


@dataclass(frozen=True)
class FunctionNames:
    """The names of one workflow: package-level, and its function's parameters."""

    function: str
    async_function: str
    outputs_class: str
    params: dict[str, str]  # input name -> parameter
    sources: dict[str, str]  # source name -> the parameter taking its client
    dependencies: tuple[str, ...]  # the parameter taking each dependsOn entry's outputs, in order
    sleep: str | None
    max_steps: str | None
    scope: NameResolver  # the function scope: its locals are claimed here


@dataclass(frozen=True)
class ModulePlan:
    module: str
    aliases: dict[str, ApiAliases]  # API module -> import aliases
    workflow_modules: dict[str, str]  # other workflows module -> import alias
    names: NameResolver  # the module scope: every name bound at its top level


class PackageNames:
    """The names of the workflows package: its functions and outputs classes, then each module's."""

    def __init__(self, program: Program, sleeps: set[int], loops: set[int]) -> None:
        """``sleeps``, ``loops``: the workflows (ids) whose functions take ``sleep`` and ``max_steps``."""
        # the helpers a workflows module imports, and the document modules workflows/__init__.py imports;
        # a function is never named like a builtin (``def id_``)
        self.scope = NameResolver(
            WORKFLOW_MODULE_RESERVED | {doc.module for doc in program.documents},
            avoid=BUILTIN_NAMES,
        )
        self.functions: dict[int, FunctionNames] = {}
        pairs = {
            id(workflow): self.scope.claim_pair(snake(workflow.workflow_id))
            for document in program.documents
            for workflow in document.workflows
        }
        classes = {
            id(workflow): self._outputs_class(workflow)
            for document in program.documents
            for workflow in document.workflows
        }
        for document in program.documents:
            for workflow in document.workflows:
                key = id(workflow)
                self.functions[key] = self._function(
                    workflow, *pairs[key], classes[key], key in sleeps, key in loops
                )
        self.modules = {doc.module: self._module(doc) for doc in program.documents}

    def __getitem__(self, workflow: Workflow) -> FunctionNames:
        return self.functions[id(workflow)]

    def _outputs_class(self, workflow: Workflow) -> str:
        base = pascal(workflow.workflow_id)
        candidate, counter = base + "Outputs", 2
        while candidate in self.scope:
            candidate, counter = f"{base}{counter}Outputs", counter + 1
        self.scope.reserve(candidate)
        return candidate

    def _function(
        self,
        workflow: Workflow,
        function: str,
        async_function: str,
        outputs_class: str,
        sleeps: bool,
        loops: bool,
    ) -> FunctionNames:
        """The parameters, in the order of the signature: inputs, clients, dependsOn outputs, sleep, max_steps
        (never a keyword, a builtin, or a name the package binds; the function's own name is free unless an
        action runs the workflow again from its body)."""
        own = {function, async_function}
        if any(call.target is workflow for call in workflow.calls()):  # a goto/retry runs it again
            own = set()
        scope = function_scope((self.scope.taken - own) | WORKFLOW_FUNCTION_RESERVED)
        return FunctionNames(
            function=function,
            async_function=async_function,
            outputs_class=outputs_class,
            params={item.name: scope.claim(snake(item.name)) for item in workflow.inputs},
            sources={b.name: scope.claim(source_param(b.name)) for b in workflow.sources},
            dependencies=tuple(
                scope.claim(snake(call.workflow_id) + "_outputs") for call in workflow.depends_on
            ),
            sleep=scope.claim("sleep") if sleeps else None,
            max_steps=scope.claim("max_steps") if loops else None,
            scope=scope,
        )

    def _module(self, doc: ArazzoDocument) -> ModulePlan:
        """Import aliases per API module, named after the first source name that binds the API (two source
        names that snake-case alike, ``a-b`` and ``a_b``, for two APIs get distinct aliases, two source names
        for one API share them), then the aliases of the other workflows modules this one calls into. They
        avoid every parameter of the module's functions (a function body refers to them), and each function
        scope takes them (its locals avoid them)."""
        scope = self.scope.child()
        functions = [self.functions[id(wf)] for wf in doc.workflows]
        for names in functions:
            scope.reserve(*names.scope.taken)
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
        modules: dict[str, str] = {}
        for wf in doc.workflows:
            for call in wf.calls():
                if (
                    call.target_module is not None
                    and call.target_module != doc.module
                    and call.target_module not in modules
                ):
                    modules[call.target_module] = scope.claim(call.target_module + "_workflows")
        bound = [n for a in aliases.values() for n in (a.client, a.async_client, a.models)]
        for names in functions:
            names.scope.reserve(*bound, *modules.values())
        return ModulePlan(doc.module, aliases, modules, scope)


def output_fields(workflow: Workflow) -> dict[str, str]:
    """The field names of a workflow's outputs class (also what a caller reads from it): never a keyword nor a
    member of ``BaseModel`` (``copy`` -> ``copy_``), never in pydantic's ``model_`` namespace."""
    names = NameResolver(avoid=KEYWORDS | BASE_MODEL_MEMBERS)
    return {
        name: names.claim(("output_" if base.startswith("model_") else "") + base)
        for name in workflow.outputs
        for base in (snake(name),)
    }


def source_param(name: str) -> str:
    """The base of the parameter taking the client of source ``name`` (``jobs`` -> ``jobs_api``)."""
    stem = snake(name)
    return stem if stem.endswith("api") else stem + "_api"
