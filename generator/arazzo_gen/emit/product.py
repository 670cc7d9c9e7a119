"""What the generated package says about itself: the README's per-workflow and per-API sections and the table
of its command line (``python -m <package> list|run``), made from the views the modules are rendered from.

Nothing here decides what a workflow does; it describes the functions and clients as they were generated.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from ..ir.model import Api, Input, Workflow
from .clients import ClientView, MessagingView, environment_prefix
from .text import py_literal, py_str, visible
from .workflows import DocumentView, WorkflowView


@dataclass
class InputEntry:
    name: str  # as the Arazzo document names it (the key of inputs.json)
    param: str  # the function's keyword argument
    type: str
    required: bool
    default: str | None  # the JSON text of a schema default
    description: str
    example: Any  # a JSON value for the examples


@dataclass
class OutputEntry:
    name: str
    attribute: str
    type: str
    description: str


@dataclass
class ClientEntry:
    param: str
    module: str
    title: str
    required: bool  # no usable default server: a client (or --base-url) must be given
    variable: str = ""  # the environment variable of its base URL


@dataclass
class WorkflowEntry:
    workflow_id: str
    function: str
    async_function: str
    summary: str
    description: str
    outputs_class: str
    inputs: list[InputEntry]
    outputs: list[OutputEntry]
    raises: list[tuple[str, str]]
    clients: list[ClientEntry]
    needs: list[tuple[str, str]] = field(
        default_factory=list
    )  # required dependsOn: (parameter, workflowId)
    python_example: str = ""
    inputs_example: str = ""
    run_example: str = ""


@dataclass
class ApiEntry:
    module: str
    title: str
    version: str
    source: str
    operations: int
    server_url: str | None
    server_vars: list[tuple[str, str | None, str]]  # (keyword of Client, default, description)
    credentials: list[tuple[str, str, str]]  # (keyword of Client, what it is, environment variable)
    base_url_variable: str = ""  # the environment variable read for the base URL
    paged: list[tuple[str, str, str]] = field(
        default_factory=list
    )  # (operation, iter_, aiter_) methods
    channels: list[str] = field(default_factory=list)  # an AsyncAPI description's channel addresses


_PLACEHOLDER: dict[str, Any] = {
    "integer": 0,
    "number": 0.0,
    "boolean": False,
    "array": [],
    "object": {},
}


def _example(item: Input) -> Any:
    """A value for ``item`` in the examples: the schema's example, default, const or first enum member, else a
    placeholder of its type (``"..."`` for a string)."""
    schema = item.schema
    examples = schema.get("examples")
    for candidate in (
        schema.get("example"),
        examples[0] if isinstance(examples, list) and examples else None,
        schema.get("default"),
        schema.get("const"),
    ):
        if candidate is not None:
            return candidate
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[0]
    kind = schema.get("type")
    return _PLACEHOLDER.get(kind, "...") if isinstance(kind, str) else "..."


_RAISES = re.compile(r"^ {8}(\w+): (.*)$")


def _raises(docstring: str) -> list[tuple[str, str]]:
    """The ``Raises:`` section of a workflow function's docstring: (exception, when), its lines joined."""
    found: list[tuple[str, str]] = []
    inside = False
    for line in docstring.splitlines():
        if line.strip() == "Raises:":
            inside = True
            continue
        if not inside:
            continue
        match = _RAISES.match(line)
        if match:
            found.append((match.group(1), match.group(2)))
        elif line.startswith(" " * 12) and found:
            found[-1] = (found[-1][0], f"{found[-1][1]} {line.strip()}")
        else:
            break
    return found


def _plain_type(annotation: str, aliases: frozenset[str]) -> str:
    """An annotation without the module aliases of the models (``SessionState``, not ``api_models.SessionState``)."""
    return re.sub(r"\b(\w+)\.", lambda m: "" if m.group(1) in aliases else m.group(0), annotation)


def workflow_entry(
    package: str, workflow: Workflow, view: WorkflowView, aliases: frozenset[str] = frozenset()
) -> WorkflowEntry:
    params = {p.name: p for p in view.params}
    inputs = []
    for item in workflow.inputs:
        param = params.get(item.name)
        if param is None:  # pragma: no cover - every input is a parameter
            continue
        default = item.schema.get("default") if item.has_default else None
        inputs.append(
            InputEntry(
                name=item.name,
                param=param.py_name,
                type=_plain_type(param.annotation, aliases),
                required=item.required and not item.has_default,
                default=None if default is None else json.dumps(default, default=str),
                description=item.description,
                example=_example(item),
            )
        )
    outputs = [
        OutputEntry(ast.literal_eval(o.alias), o.py_name, _plain_type(o.annotation, aliases), o.doc)
        for o in view.outputs
    ]
    clients = [
        ClientEntry(
            s.py_name,
            s.module,
            s.title,
            s.required,
            environment_prefix(package, s.module) + "BASE_URL",
        )
        for s in view.sources
    ]
    entry = WorkflowEntry(
        workflow_id=workflow.workflow_id,
        function=view.py_name,
        async_function=view.async_name,
        summary=workflow.summary or workflow.workflow_id,
        description=workflow.description if workflow.description != workflow.summary else "",
        outputs_class=view.outputs_class,
        inputs=inputs,
        outputs=outputs,
        raises=_raises(view.docstring),
        clients=clients,
        needs=[(d.param, d.workflow_id) for d in view.dependencies if d.required],
    )
    entry.python_example = _python_example(package, entry)
    urls = [f"--base-url {c.module}=https://..." for c in clients if c.required]
    entry.run_example = visible(
        " ".join(
            [
                f"python -m {package} run",
                shlex.quote(workflow.workflow_id),
                "--inputs inputs.json",
                *urls,
            ]
        )
    )
    entry.inputs_example = json.dumps(
        {i.name: i.example for i in inputs if i.required}, indent=2, default=str
    )  # ASCII: \u escapes for every other character, so none is written raw
    return entry


def _python_example(package: str, entry: WorkflowEntry) -> str:
    """A call of the workflow function with a client per API (base URL shown for those without a default)."""
    classes = {
        c.module: "".join(part.title() for part in c.module.split("_")) + "Client"
        for c in entry.clients
    }
    lines = [
        f"from {package}.apis.{module} import Client as {name}"
        for module, name in sorted(classes.items())
    ]
    lines.append(f"from {package}.workflows import {entry.function}")
    lines.append("")
    indent = ""
    if entry.clients:
        base_url = 'base_url="https://..."'
        managers = [
            f"{classes[c.module]}({base_url if c.required else ''}) as {c.param}"
            for c in entry.clients
        ]
        lines.append(f"with {', '.join(managers)}:")
        indent = "    "
    arguments = [f"{i.param}={py_literal(i.example)}," for i in entry.inputs if i.required]
    arguments += [f"{c.param}={c.param}," for c in entry.clients]
    arguments += [
        f"{param}=...,  # the outputs of workflow {py_str(workflow_id)}"
        for param, workflow_id in entry.needs
    ]
    lines.append(f"{indent}outputs = {entry.function}(")
    lines.extend(f"{indent}    {argument}" for argument in arguments)
    lines.append(f"{indent})")
    lines.append("print(outputs.model_dump_json(by_alias=True, indent=2))")
    return "\n".join(lines)


def workflow_entries(
    package: str, documents: list[tuple[list[Workflow], DocumentView]]
) -> list[WorkflowEntry]:
    return [
        workflow_entry(
            package, workflow, view, frozenset(a.models for a in doc_view.aliases.values())
        )
        for workflows, doc_view in documents
        for workflow, view in zip(workflows, doc_view.workflows, strict=True)
    ]


def api_entry(api: Api, view: ClientView, source: str) -> ApiEntry:
    server = api.servers[0] if api.servers else None
    return ApiEntry(
        module=api.module,
        title=api.title,
        version=api.version,
        source=source,
        operations=len(api.operations),
        server_url=server.url if server is not None else None,
        server_vars=[
            (v.py_name, v.default, v.description) for v in (server.variables if server else [])
        ],
        credentials=[
            (c.py_name, c.doc, f"`{c.variable}`" + (" (`user:password`)" if c.basic else ""))
            for c in view.credentials
        ],
        base_url_variable=view.base_url_variable,
        paged=[
            (op.py_name, op.paging.iter_name, op.paging.aiter_name)
            for op in view.operations
            if op.paging is not None
        ],
    )


def messaging_entry(api: Api, view: MessagingView, source: str) -> ApiEntry:
    """The README's entry of an AsyncAPI description's messaging client."""
    return ApiEntry(
        module=api.module,
        title=api.title,
        version=api.version,
        source=source,
        operations=len(api.operations),
        server_url=next((url for _, url in view.servers), None),
        server_vars=[],
        credentials=[],
        base_url_variable=view.server_variable,
        channels=[channel.address for channel in api.channels],
    )
