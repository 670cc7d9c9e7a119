"""Compile Arazzo workflows into Python functions (the view model for ``templates/workflows.py.j2``).

A workflow without success or failure actions compiles to straight-line code: one block per step, in order.
A workflow with actions compiles to an explicit loop over step labels::

    step = "createJob"
    while True:
        if len(steps_run) == max_steps:          # the caller's guard against endless goto loops
            raise MaxStepsExceeded(...)
        steps_run.append(step)
        if step == "createJob":
            ...request, criteria...
            if unmet is None:                     # success: outputs, success actions, else the next step
                step = "poll"
                continue
            if <criteria> and create_job_retries < 3:   # a retry action
                create_job_retries += 1
                sleep(retry_after(create_job, 1.0))   # the Retry-After header overrides retryAfter
                continue
            raise StepFailed(...)                 # no failure action applies
        ...
    return Outputs(...)

``end`` and ``goto <workflowId>`` leave the loop (``break``); ``goto <stepId>`` sets the label.  A retry's
``stepId`` runs that step first (``resume`` brings control back), a retry's ``workflowId`` calls that workflow
first.  Steps that run workflows call their generated functions; ``dependsOn`` workflows run first unless the
caller passes their outputs.  See docs/conformance.md.

Every runtime expression becomes a Python expression over local variables: ``$inputs.x`` is a function
parameter, ``$steps.s.outputs.o`` a local assigned after step ``s``, ``$statusCode`` the response's
``status_code``, and ``$response.body#/a/b`` attribute access on the parsed response model when the path is
a chain of model fields (else a JSON Pointer lookup on the decoded body).  Types of step and workflow
outputs are inferred from the models the expressions point into.
"""

from __future__ import annotations

import ast
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from ..ir import expressions as ex
from ..ir.flow import FlowPlan
from ..ir.model import (
    Api,
    ArazzoDocument,
    Criterion,
    Input,
    Parameter,
    Program,
    Step,
    Workflow,
    WorkflowCall,
    ref_name,
)
from ..ir.refs import SelfInput, StepRun, resolve_workflow_ref
from ..naming import (
    KEYWORDS,
    Scope,
    snake,
)
from ..plan import nodes as plan_nodes
from ..plan.build import ProgramPlan
from ..plan.imports import Import, ImportTable
from ..plan.modules import ApiAliases
from .models import ModelIndex
from .runtime import module_of
from .text import comment, docstring, first_sentence, py_str
from .types import Annotation, TypeMapper, make_union, strip_annotated, union_members

_SIMPLE_CODE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
# Fields of an outputs model must not replace a BaseModel member (``model_dump``, ``copy``, ...) nor enter
# pydantic's protected ``model_`` namespace.
_OUTPUT_FIELD_RESERVED = KEYWORDS | set(dir(BaseModel))


@dataclass
class Typed:
    code: str
    annotation: Annotation


def _any() -> Annotation:
    return Annotation(ast.Name("Any"), {"typing": {"Any"}})


def _named(name: str) -> Annotation:
    return Annotation(ast.Name(name))


@dataclass
class SourceView:
    py_name: str
    name: str
    client_alias: str
    async_alias: str
    module: str
    title: str
    required: bool


@dataclass
class CallView:
    """A call of another workflow's generated function (``module.function(args)``, awaited when async)."""

    function: str  # including the module alias when it lives in another module
    async_function: str
    args: list[str]


@dataclass
class ActionView:
    comment: str
    condition: str | None  # the action's criteria as one Python condition; None: always
    kind: str  # end | goto | retry
    goto: str | None = None  # the label of a goto/retry step
    call: CallView | None = None  # the workflow a goto/retry runs
    counter: str | None = None  # retry: the local counting this action's retries
    limit: int = 1
    delay: str = "0.0"  # retryAfter; with ``response``: ``retry_after(response, retryAfter)``
    response: str | None = None
    again: bool = False  # a goto that runs the step of a one-step loop again: ``continue``


@dataclass
class StepView:
    step_id: str
    comment: str
    var: str | None
    client: str
    method: str
    call_args: list[str]
    criteria: list[tuple[str, str]]  # (python condition, criterion text literal)
    assignments: list[tuple[str, str]]
    call: CallView | None = None  # a step that runs a workflow
    success_actions: list[ActionView] = field(default_factory=list)
    failure_actions: list[ActionView] = field(default_factory=list)
    next_label: str | None = (
        None  # after success without an applicable action; None: leave the loop
    )
    always_acts: bool = False  # a success action without criteria: there is no default next step
    failure_always: bool = False  # a failure action without criteria (not a retry): no StepFailed
    counters: list[str] = field(default_factory=list)  # retry counters reset when the step succeeds
    resumes: bool = (
        False  # a retry action's stepId: on success, control goes back to the retried step
    )
    records_success: bool = (
        False  # its outputs may be unset when the workflow ends: ``succeeded`` notes it
    )
    catches: bool = (
        False  # a workflow step with failure actions: the callee's StepFailed is a failure
    )


@dataclass
class DependencyView:
    param: str
    annotation: str
    required: bool
    call: CallView
    workflow_id: str


@dataclass
class LoopView:
    """The names of the loop's locals (allocated like every other name)."""

    step: str | None  # the label (state machine only; None: a loop over one step)
    steps_run: str
    unmet: str
    cause: str
    first: str  # the label of the first step
    resume: str | None
    succeeded: str | None
    counters: list[str]
    failure: str | None = (
        None  # the StepFailed of a workflow a step ran (steps with failure actions)
    )


@dataclass
class OutputView:
    py_name: str
    alias: str
    annotation: str
    value: str
    doc: str


@dataclass
class ParamView:
    py_name: str
    annotation: str
    default: str | None
    doc: str


@dataclass
class WorkflowView:
    py_name: str
    async_name: str
    workflow_id: str
    workflow_id_text: str
    outputs_class: str
    docstring: str
    params: list[ParamView]
    sources: list[SourceView]
    steps: list[StepView]
    outputs: list[OutputView]
    loop: LoopView | None = None
    cause: str | None = (
        None  # straight line: the client's error for the current step, if its status is one
    )
    sleep: str | None = None
    max_steps: str | None = None
    run: str = "run"  # the RunDeadline of this run (its parameter is ``deadline``)
    dependencies: list[DependencyView] = field(default_factory=list)
    predeclared: list[tuple[str, str]] = field(
        default_factory=list
    )  # (local, annotation) before the loop


@dataclass
class DocumentView:
    module: str
    docstring: str
    workflows: list[WorkflowView]
    imports: ImportTable = field(default_factory=ImportTable)
    sources: list[SourceView] = field(default_factory=list)
    runtime_names: set[str] = field(default_factory=set)
    aliases: dict[str, ApiAliases] = field(default_factory=dict)  # API module -> import aliases
    workflow_modules: dict[str, str] = field(
        default_factory=dict
    )  # other workflows module -> import alias


class WorkflowCompiler:
    def __init__(self, program: Program, indexes: dict[str, ModelIndex], plan: ProgramPlan) -> None:
        self.program = program
        self.indexes = indexes
        self.plan = plan
        self.outputs_classes = plan.outputs_classes
        self.output_types: dict[
            int, dict[str, Annotation]
        ] = {}  # id(workflow) -> output name -> its type

    def document(self, doc: ArazzoDocument) -> DocumentView:
        view = DocumentView(doc.module, "", [])
        module = self.plan.modules[doc.module]
        view.aliases, view.workflow_modules = module.aliases, module.workflow_modules
        # a workflow another one of this document runs is built first, so that the caller knows the types of
        # its outputs; the module lists them in document order
        built = {
            id(workflow): _WorkflowBuilder(self, workflow, view).build()
            for workflow in _callees_first(doc)
        }
        view.workflows.extend(built[id(workflow)] for workflow in doc.workflows)
        view.imports.use(
            *(Import("pydantic", name) for name in ("BaseModel", "ConfigDict", "Field"))
        )
        view.imports.use(*(Import(".." + module_of(name), name) for name in view.runtime_names))
        if any(
            not s.required for wf in view.workflows for s in wf.sources
        ):  # the function owns clients
            view.imports.use(
                Import("contextlib", "ExitStack"), Import("contextlib", "AsyncExitStack")
            )
        seen: set[str] = set()
        for wf in view.workflows:
            for source in wf.sources:
                if source.client_alias not in seen:
                    seen.add(source.client_alias)
                    view.sources.append(source)
        paragraphs = [
            f"{doc.title or doc.path.name}" + (f" ({doc.version})" if doc.version else "")
        ]
        if doc.summary:
            paragraphs.append(doc.summary)
        if doc.description and doc.description != doc.summary:
            paragraphs.append(doc.description)
        listing = "\n".join(f"- ``{wf.py_name}`` / ``{wf.async_name}``" for wf in view.workflows)
        paragraphs.append("Workflows:\n" + listing)
        paragraphs.append(
            f"Compiled by arazzo-gen from {self.program.relative(doc.path)}; do not edit."
        )
        view.docstring = docstring(*paragraphs, indent=0)
        return view

    def mapper(self, api: Api, alias: str) -> TypeMapper:
        return TypeMapper(api, self.indexes[api.module], alias)


class _WorkflowBuilder:
    def __init__(self, compiler: WorkflowCompiler, workflow: Workflow, doc: DocumentView) -> None:
        self.compiler = compiler
        self.workflow = workflow
        self.doc = doc
        self.wp = compiler.plan[workflow]
        self.inputs: dict[str, tuple[Input, Annotation]] = {}
        self.step_outputs: dict[tuple[str, str], Typed] = {}
        self.sources: dict[str, SourceView] = {}
        self.mappers: dict[str, TypeMapper] = {}
        self.reads_body = (
            False  # some output reads a response body (read_output may raise StepOutputError)
        )
        # the kinds of criteria a library evaluates (which may raise CriterionError): regex, jsonpath, xpath
        self.evaluates: set[str] = set()
        self.input_fallbacks: dict[
            str, str
        ] = {}  # input name -> literal used when the argument is None
        self.plan: FlowPlan | None = self.wp.flow
        self.unset_reads = self.wp.unset_reads
        self.predeclared: list[
            tuple[str, str]
        ] = []  # (local, annotation): `local: T | None = None`
        self.position: int | None = None  # the step being compiled (None: the workflow's outputs)
        self.after = (
            False  # compiling what is read once that step succeeded (its outputs, success actions)
        )
        self.step_vars: dict[str, str] = {}  # step id -> the local holding its response or outputs
        self.loop: LoopView | None = None
        self.bindings = {id(b.api): b for b in workflow.sources}
        self.dependencies: dict[
            str, str
        ] = {}  # dependsOn workflowId -> the local holding its outputs

    def param(self, item: Input) -> str:
        """The parameter that takes input ``item`` (of this workflow)."""
        return self.wp.params[item.name]

    def need(self, *imports: Import) -> None:
        self.doc.imports.use(*imports)

    def writes(self, annotation: Annotation) -> Annotation:
        """``annotation`` is written into the module: what it names is imported (a models alias included)."""
        self.doc.imports.use_names(annotation.imports)
        for node in ast.walk(annotation.node):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                self.models_alias_used(node.value.id)
        return annotation

    def models_alias_used(self, alias: str) -> None:
        for module, aliases in self.doc.aliases.items():
            if aliases.models == alias:
                self.need(Import(f"..apis.{module}", "models", alias))

    def build(self) -> WorkflowView:
        wf = self.workflow
        params = []
        for item in sorted(wf.inputs, key=lambda i: not i.required or i.has_default):
            annotation = _input_annotation(item.schema)
            self.writes(annotation)
            doc = comment(item.description or f"workflow input {item.name}")
            if item.has_default:
                params.append(self.defaulted_input(item, annotation, doc))
                continue
            text = annotation.text if item.required else f"{annotation.text} | None"
            params.append(ParamView(self.param(item), text, None if item.required else "None", doc))
            self.inputs[item.name] = (item, annotation if item.required else _optional(annotation))
        for binding in wf.sources:
            api = binding.api
            aliases = self.doc.aliases[api.module]
            self.mappers[binding.name] = self.compiler.mapper(api, aliases.models)
            required = not _has_default_server(api)
            source = SourceView(binding.py_name, binding.name, aliases.client, aliases.async_client, api.module, api.title,
                                required)  # fmt: skip
            self.sources[binding.name] = source
            self.need(Import(f"..apis.{api.module}.client", "Client", source.client_alias),
                      Import(f"..apis.{api.module}.client", "AsyncClient", source.async_alias))  # fmt: skip
        self.run = self.wp.run  # RunDeadline(deadline): before any call reads it
        self.doc.runtime_names.add("RunDeadline")
        dependencies = [self.dependency(call) for call in wf.depends_on]
        if wf.sleep_name is not None:
            self.need(Import("collections.abc", "Awaitable"), Import("collections.abc", "Callable"))
            self.need(Import("time", "sleep", "_sleep"), Import("asyncio", "sleep", "_async_sleep"))
        locals_ = self.wp.loop
        if locals_ is not None:
            self.loop = LoopView(
                step=locals_.step,
                steps_run=locals_.steps_run,
                unmet=locals_.unmet,
                cause=locals_.cause,
                first=py_str(wf.steps[0].step_id),
                resume=locals_.resume,
                succeeded=locals_.succeeded,
                counters=[],
                failure=locals_.failure,
            )
            self.doc.runtime_names.add("MaxStepsExceeded")
        cause = self.wp.cause  # straight line: the client's error for a step whose status is one
        steps = [self.step(step) for step in wf.steps]
        outputs = self.outputs()
        outputs_class = self.compiler.outputs_classes[id(wf)]
        paragraphs = [wf.summary or wf.workflow_id]
        if wf.description and wf.description != wf.summary:
            paragraphs.append(wf.description)
        arg_docs = [f"{p.py_name}: {p.doc}" for p in params]
        for dep in dependencies:
            how = (
                "required: it needs inputs this workflow does not have"
                if dep.required
                else "when omitted, that workflow runs first with this workflow's inputs of the same names"
            )
            arg_docs.append(
                f"{dep.param}: the outputs of workflow '{dep.workflow_id}' (dependsOn); {how}."
            )
        for source in self.sources.values():
            how = (
                "required"
                if source.required
                else "a default client is created (and closed) when omitted"
            )
            arg_docs.append(
                f"{source.py_name}: client for source '{source.name}' ({source.title}); {how}."
            )
        if wf.sleep_name is not None:
            arg_docs.append(
                f"{wf.sleep_name}: called with the seconds to wait before each retry (default: time.sleep, "
                "asyncio.sleep in the async twin); the Retry-After header of the response overrides retryAfter."
            )
        if wf.max_steps_name is not None:
            arg_docs.append(
                f"{wf.max_steps_name}: the most steps one run may start (goto and retry loops), for this "
                "workflow and for each workflow it runs; MaxStepsExceeded is raised beyond it."
            )
        arg_docs.append(
            "deadline: seconds this whole run may take, its requests and the workflows it runs included "
            "(None, or inf: no limit; NaN: ValueError); each request gets the time left (or its client's deadline, if shorter), and "
            "the first one still running when it passes ends with ApiTimeoutError."
        )
        paragraphs.append("Args:\n" + "\n".join("    " + line for line in arg_docs))
        failed = "StepFailed: a step's response did not meet its success criteria"
        if any(step.body_replacements for step in wf.steps):
            failed += "; or a requestBody replacement target is not in the payload"
        raises = [
            failed
            + (
                " (and no failure action applied)."
                if wf.controlled
                else " (or its status is an error)."
            ),
            (
                "ApiConnectionError: a request could not be sent or no response arrived (ApiTimeoutError: in time, "
                "or within the deadline)."
            ),
        ]
        if self.reads_body:
            raises.append(
                "StepOutputError: a value an output reads from a response body is missing or not of its documented "
                "type (a StepFailed naming the workflow, step and pointer)."
            )
        if self.evaluates:
            reasons = {
                "regex": "a regex criterion ran past REGEX_TIMEOUT",
                "jsonpath": "a regex in a jsonpath criterion (match(), search()) ran past REGEX_TIMEOUT",
                "xpath": "an xpath criterion could not be evaluated on the body",
            }
            causes = [reason for kind, reason in reasons.items() if kind in self.evaluates]
            raises.append(
                f"CriterionError: {', or '.join(causes)} (a StepFailed naming the criterion; no failure action "
                "applies)."
            )
        if wf.max_steps_name is not None:
            raises.append(
                f"MaxStepsExceeded: more than {wf.max_steps_name} steps ran (a goto loop that does not end)."
            )
        paragraphs.append("Raises:\n" + "\n".join("    " + line for line in raises))
        self.doc.runtime_names.update({"StepFailed", "ApiStatusError"})
        return WorkflowView(
            py_name=wf.py_name,
            async_name=wf.async_name,
            workflow_id=py_str(wf.workflow_id),
            workflow_id_text=wf.workflow_id,
            outputs_class=outputs_class,
            docstring=docstring(*paragraphs, indent=4),
            params=params,
            sources=list(self.sources.values()),
            steps=steps,
            outputs=outputs,
            loop=self.loop,
            cause=cause,
            sleep=wf.sleep_name,
            max_steps=wf.max_steps_name,
            run=self.run,
            dependencies=dependencies,
            predeclared=self.predeclared,
        )

    def defaulted_input(self, item: Input, annotation: Annotation, doc: str) -> ParamView:
        """An input whose schema gives a ``default``: the parameter defaults to it, typed as the input.

        Scalars are the Python default itself; a list or object default (mutable) is ``None`` in the signature
        and the literal where the input is read (``(tags if tags is not None else ["a"])``).
        """
        literal = self.value(item.default, None)
        doc = f"{doc} (default {_json_text(item.default)})"
        if item.default is None:
            self.inputs[item.name] = (item, _optional(annotation))
            return ParamView(self.param(item), _optional(annotation).text, "None", doc)
        if isinstance(item.default, dict | list):
            self.inputs[item.name] = (item, annotation)
            self.input_fallbacks[item.name] = literal.code
            return ParamView(self.param(item), _optional(annotation).text, "None", doc)
        if annotation.name == "float" and isinstance(item.default, int):
            literal = Typed(repr(float(item.default)), annotation)
        self.inputs[item.name] = (item, annotation)
        return ParamView(self.param(item), annotation.text, literal.code, doc)

    # -- workflow calls ---------------------------------------------------------------------------------
    def call_view(self, call: WorkflowCall, args: list[str]) -> CallView:
        """The call of ``call``'s generated function with ``args`` (inputs), the shared clients and the
        caller's ``sleep``/``max_steps``."""
        callee = call.target
        assert callee is not None, "bound before emit"
        args = list(args)
        for binding in callee.sources:
            args.append(f"{binding.py_name}={self.bindings[id(binding.api)].py_name}")
        if callee.sleep_name is not None and self.workflow.sleep_name is not None:
            args.append(f"{callee.sleep_name}={self.workflow.sleep_name}")
        if callee.max_steps_name is not None and self.workflow.max_steps_name is not None:
            args.append(f"{callee.max_steps_name}={self.workflow.max_steps_name}")
        args.append(f"deadline={self.run}.left()")
        prefix = ""
        if call.target_module != self.doc.module:
            assert call.target_module is not None
            prefix = self.doc.workflow_modules[call.target_module] + "."
            self.need(
                Import(".", call.target_module, self.doc.workflow_modules[call.target_module])
            )
        return CallView(prefix + callee.py_name, prefix + callee.async_name, args)

    def shared_inputs(self, call: WorkflowCall) -> list[str]:
        """A goto/retry/dependsOn call passes this workflow's inputs of the same names."""
        assert call.target is not None
        return [
            f"{self.compiler.plan.param(call.target, item.name)}={self.param(item)}"
            for item in call.target.inputs
            if item.name in self.inputs
        ]

    def outputs_class(self, call: WorkflowCall) -> str:
        assert call.target is not None
        name = self.compiler.outputs_classes[id(call.target)]
        if call.target_module != self.doc.module:
            assert call.target_module is not None
            return self.doc.workflow_modules[call.target_module] + "." + name
        return name

    def dependency(self, call: WorkflowCall) -> DependencyView:
        assert call.param is not None and call.target is not None
        self.dependencies[
            call.workflow_id if call.document == self.workflow.document else call.text
        ] = call.param
        self.dependencies.setdefault(call.workflow_id, call.param)
        return DependencyView(
            call.param, self.outputs_class(call), call.param_required,
            self.call_view(call, self.shared_inputs(call)), call.target.workflow_id,
        )  # fmt: skip

    # -- control flow -----------------------------------------------------------------------------------
    def actions(
        self, actions: tuple[plan_nodes.Action, ...], context: _StepContext, *, after: bool
    ) -> list[ActionView]:
        """The views of a step's planned actions (loop shapes)."""
        assert self.loop is not None
        step = context.step
        views = []
        for action in actions:
            self.after = after
            try:
                codes = [self.criterion(c, context) for c in action.criteria]
            finally:
                self.after = False
            condition = (
                codes[0] if len(codes) == 1 else " and ".join(f"({c})" for c in codes)
            ) or None
            where = " (workflow-level)" if action.inherited else ""
            kind = action.kind
            if isinstance(kind, plan_nodes.Retry):
                self.loop.counters.append(kind.counter)
                delay = repr(kind.after)
                text = f"retry {action.name}{where}: retryLimit {kind.limit}, retryAfter {delay}"
                if kind.step_id is not None:
                    text += f", after step {kind.step_id}"
                if kind.call is not None:
                    text += f", after workflow {kind.call.workflow_id}"
                if step.call is None:
                    self.doc.runtime_names.add("retry_after")
                views.append(ActionView(
                    comment(text), condition, "retry",
                    goto=py_str(kind.step_id) if kind.step_id is not None else None,
                    call=self.call_view(kind.call, self.shared_inputs(kind.call)) if kind.call else None,
                    counter=kind.counter, limit=kind.limit,
                    delay=f"retry_after({context.var}, {delay})" if step.call is None and context.var else delay,
                ))  # fmt: skip
            elif isinstance(kind, plan_nodes.Goto):
                again = kind.again and self.loop.step is None  # a one-step loop: run it again
                views.append(ActionView(
                    comment(f"goto {action.name}{where}: {kind.step_id}"), condition, "goto",
                    goto=None if again else py_str(kind.step_id), again=again,
                ))  # fmt: skip
            elif isinstance(kind, plan_nodes.GotoWorkflow):
                views.append(ActionView(
                    comment(f"goto {action.name}{where}: workflow {kind.call.workflow_id}"), condition, "goto",
                    call=self.call_view(kind.call, self.shared_inputs(kind.call)),
                ))  # fmt: skip
            else:
                views.append(ActionView(comment(f"end {action.name}{where}"), condition, "end"))
        return views

    # -- steps ------------------------------------------------------------------------------------------
    def step(self, step: Step) -> StepView:
        if step.call is not None:
            return self.call_step(step)
        self.position = self.workflow.steps.index(step)
        op = step.operation
        assert op is not None and step.source is not None, "checked before emit"
        source = self.sources[step.source]
        mapper = self.mappers[step.source]
        node = self.wp.step(step.step_id)
        var = node.local
        context = _StepContext(step, var, mapper, self.compiler.indexes[mapper.api.module])
        call_args = []
        extra_headers: list[str] = []
        extra_query: list[str] = []
        for param in step.parameters:
            value = self.value(param.value, context)
            if param.target is not None:
                if (
                    param.target.required
                    and isinstance(param.value, ex.StepRef)
                    and ((param.value.step_id, param.value.name) in self.unset_reads)
                ):  # possibly unset (None) but required: fail the step by name instead of sending None
                    value = self.required_value(
                        value, step, param.value, "its step has not succeeded on this run"
                    )
                elif (
                    param.target.required
                    and not param.target.credential
                    and value.annotation.optional
                ):
                    # an optional input (or a nullable value) given to a required parameter: the step fails by
                    # name when it is None rather than sending None (and the call type-checks)
                    what = f"the required {param.target.location} parameter '{param.target.name}' of {op.operation_id}"
                    value = self.required_value(value, step, param.value, f"{what} needs a value")
                documented = mapper.schema(param.target.schema, loose_enums=True)
                target, have = documented.scalar, value.annotation.scalar
                member = self.enum_literal(
                    param.value, documented.node, context, joined=_comma_joined(param.target)
                )
                if (
                    member is not None
                ):  # 'HOTEL' for list[Kind], 2 for `ListType | str` (its value 2 or "2")
                    value = member
                elif documented.name == "str" and value.annotation.name in ("int", "float", "bool"):
                    value = Typed(self.as_text(value), _named("str"))
                elif (
                    target == "str" and have == "UUID"
                ):  # a format: uuid value given to a string parameter
                    value = self.unless_none(value, f"str({value.code})", _named("str"))
                elif (
                    target == "str"
                    and value.annotation.is_list
                    and param.target.location in ("header", "path")
                ):
                    # a list given to a string header or path parameter: its items joined by commas, as the
                    # simple style sends a list
                    self.doc.runtime_names.add("to_text")
                    value = self.unless_none(value, f"to_text({value.code})", _named("str"))
                elif target == "UUID" and isinstance(param.value, str) and _is_uuid(param.value):
                    self.need(Import("uuid", "UUID"))
                    value = Typed(f"UUID({py_str(param.value)})", _named("UUID"))
                elif target in _CONVERTIBLE and have in _SCALARS and have != target:
                    # a string input given to an integer or a format: uuid parameter ('7' -> 7): converted, or
                    # the step fails by name
                    if target == "UUID":
                        self.need(Import("uuid", "UUID"))
                    self.doc.runtime_names.add("converted")
                    what = f"the {param.target.location} parameter '{param.target.name}' of {op.operation_id}"
                    code = (
                        f"converted({value.code}, {target}, {py_str(self.workflow.workflow_id)}, "
                        f"{py_str(step.step_id)}, {py_str(_source_text(param.value))}, {py_str(what)})"
                    )
                    value = self.unless_none(value, code, _named(target))
                value = self.match_array(param.value, value, documented)
                call_args.append(f"{param.target.py_name}={value.code}")
            elif param.location == "header":
                extra_headers.append(f"{py_str(param.name)}: {self.as_text(value)}")
            elif param.location == "query":
                extra_query.append(f"{py_str(param.name)}: {value.code}")
        if step.has_body and op.body is not None:
            call_args.extend(self.request_body(step, context))
        elif op.body is not None and op.body.required:
            call_args.append(
                "body={}"
            )  # the warning missing-request-body: an empty object is a valid body
        if extra_headers:
            call_args.append("extra_headers={" + ", ".join(extra_headers) + "}")
        if extra_query:
            call_args.append("extra_query={" + ", ".join(extra_query) + "}")
        call_args.append(f"deadline={self.run}.left()")
        criteria = [(self.criterion(c, context), py_str(c.text)) for c in step.success_criteria]
        assignments = self.assignments(node.outputs, context)
        label = step.step_id + (f": {first_sentence(step.description)}" if step.description else "")
        view = StepView(
            step_id=py_str(step.step_id),
            comment=comment(label, limit=90),
            var=var,
            client=source.py_name,
            method=op.py_name,
            call_args=call_args,
            criteria=criteria,
            assignments=assignments,
        )
        self.control(view, node, context)
        return view

    def assignments(
        self, outputs: tuple[plan_nodes.Output, ...], context: _StepContext
    ) -> list[tuple[str, str]]:
        step = context.step
        assignments = []
        for output in outputs:
            self.after = True
            try:
                typed = self.expression(output.value, context)
            finally:
                self.after = False
            local = output.local
            if output.predeclared:  # declared before the loop, None until the step succeeds
                annotation = (
                    typed.annotation if typed.annotation.is_any else _optional(typed.annotation)
                )
                self.predeclared.append((local, self.writes(annotation).text))
                assignments.append((local, typed.code))
                self.step_outputs[(step.step_id, output.name)] = Typed(local, annotation)
                continue
            target = local
            if not typed.annotation.is_any and typed.code.startswith("read_output("):
                target = f"{local}: {self.writes(typed.annotation).text}"
            assignments.append((target, typed.code))
            self.step_outputs[(step.step_id, output.name)] = Typed(local, typed.annotation)
        return assignments

    def call_step(self, step: Step) -> StepView:
        """A step that runs another workflow: its parameters are the callee's inputs (by name); its outputs
        are the callee's outputs (``$outputs.<name>`` in the step's ``outputs``, or all of them)."""
        call = step.call
        assert call is not None and call.target is not None, "bound before emit"
        self.position = self.workflow.steps.index(step)
        inputs = {item.name: item for item in call.target.inputs}
        args = [
            f"{self.compiler.plan.param(call.target, name)}={self.call_input(step, inputs[name], value).code}"
            for name, (value, _, _) in step.call_inputs.items()
            if name in inputs
        ]
        node = self.wp.step(step.step_id)
        var = node.local
        if var is not None:
            self.step_vars[step.step_id] = var
        context = _StepContext(step, var, None, None)
        label = step.step_id + (f": {first_sentence(step.description)}" if step.description else "")
        view = StepView(
            step_id=py_str(step.step_id),
            comment=comment(label + f" (runs workflow {call.target.workflow_id})", limit=90),
            var=var,
            client="",
            method="",
            call_args=[],
            criteria=[(self.criterion(c, context), py_str(c.text)) for c in step.success_criteria],
            assignments=self.assignments(node.outputs, context),
            call=self.call_view(call, args),
        )
        self.control(view, node, context)
        return view

    def call_input(self, step: Step, item: Input, raw: Any) -> Typed:
        """The value a step gives to an input of the workflow it runs; a scalar of another type than the input's
        (``"2"`` for an integer input) is converted: a literal when the document is built, else ``converted``
        (the calling step fails by name when it cannot be)."""
        value = self.value(raw, None)
        target = _input_annotation(item.schema).name
        have = value.annotation.scalar
        if target not in _SCALARS or have not in _SCALARS or have == target:
            return value
        if target == "str":
            self.doc.runtime_names.add("to_text")
            return self.unless_none(value, f"to_text({value.code})", _named("str"))
        if isinstance(raw, str) and target == "int" and re.fullmatch(r"[+-]?[0-9]+", raw.strip()):
            return Typed(repr(int(raw)), _named("int"))
        assert step.call is not None and step.call.target is not None
        self.doc.runtime_names.add("converted")
        what = f"the input '{item.name}' of workflow '{step.call.target.workflow_id}'"
        code = (
            f"converted({value.code}, {target}, {py_str(self.workflow.workflow_id)}, {py_str(step.step_id)}, "
            f"{py_str(_source_text(raw))}, {py_str(what)})"
        )
        return self.unless_none(value, code, _named(target))

    def control(self, view: StepView, node: plan_nodes.StepNode, context: _StepContext) -> None:
        """The views of a step's planned success and failure actions (loop shapes)."""
        control = node.control
        if control is None:
            return
        assert self.loop is not None
        before = len(self.loop.counters)
        view.success_actions = self.actions(control.on_success, context, after=True)
        view.failure_actions = self.actions(control.on_failure, context, after=False)
        view.counters = self.loop.counters[before:]
        view.always_acts = control.always_acts
        view.failure_always = control.failure_always
        view.next_label = py_str(control.next_step) if control.next_step is not None else None
        view.resumes = control.resumes
        view.records_success = control.records_success
        if isinstance(node, plan_nodes.WorkflowStep) and node.catches:
            # the callee raised StepFailed: the failure actions apply; those whose criteria read the callee's
            # $outputs do not hold then (there are none)
            view.catches = True
            assert self.loop.failure is not None
            for view_action, action in zip(view.failure_actions, control.on_failure, strict=True):
                reads = any(
                    isinstance(ref, ex.OutputRef)
                    for c in action.criteria
                    for part in (c.condition, c.context)
                    if part is not None
                    for ref in ex.expressions_in(part)
                )
                if reads and view_action.condition is not None:
                    view_action.condition = (
                        f"{self.loop.failure} is None and ({view_action.condition})"
                    )

    def unless_none(self, value: Typed, code: str, annotation: Annotation) -> Typed:
        """``code`` (a conversion of ``value``) typed ``annotation``; ``None`` stays ``None`` when ``value`` may be
        ``None`` (an optional input given to an optional parameter: not sent)."""
        if not value.annotation.optional:
            return Typed(code, annotation)
        tested = value.code if _primary(value.code) else f"({value.code})"
        return Typed(f"None if {tested} is None else {code}", _optional(annotation))

    def enum_literal(
        self, raw: Any, wanted: ast.expr, context: _StepContext, *, joined: bool = False
    ) -> Typed | None:
        """A literal, or a list of literals, given to a parameter typed by an enum of the models that does not
        accept the literal's own type: the enum's member of that value (``Kind.hotel`` for ``'HOTEL'`` given to
        ``list[Kind]``, ``ListType.integer_2`` for ``2`` given to ``ListType | str``); a number given to
        ``Enum | str`` that is no member's value is its text.  ``joined``: a list parameter travels as its items
        joined by commas, so ``'a,b'`` given to it is the list of the members ``a`` and ``b`` (the same
        request).  None: the value is left as it is."""
        members = union_members(wanted)
        lists = [
            m for m in members if isinstance(m, ast.Subscript) and ast.unparse(m.value) == "list"
        ]
        if isinstance(raw, str) and joined and lists and "," in raw:
            parts = [self.enum_literal(part, lists[0].slice, context) for part in raw.split(",")]
            if all(part is not None and part.annotation.name != "str" for part in parts):
                return Typed(
                    "[" + ", ".join(part.code for part in parts if part is not None) + "]",
                    _list_any(),
                )
        if isinstance(raw, list):
            if not lists:
                return None
            fitted = [self.enum_literal(item, lists[0].slice, context) for item in raw]
            if all(item is None for item in fitted):
                return None
            codes = [
                item.code if item is not None else self.value(value, context).code
                for item, value in zip(fitted, raw, strict=True)
            ]
            return Typed("[" + ", ".join(codes) + "]", _list_any())
        if not isinstance(raw, str | int | float):  # bool is an int
            return None
        texts = {m.id for m in members if isinstance(m, ast.Name)}
        own = type(raw).__name__
        if own in texts or "Any" in texts or (own == "int" and "float" in texts):
            return None
        assert context.mapper is not None and context.index is not None
        alias = context.mapper.alias
        for member in members:
            if (
                isinstance(member, ast.Attribute)
                and isinstance(member.value, ast.Name)
                and member.value.id == alias
            ):
                info = context.index.classes.get(member.attr)
                attr = (
                    _enum_member(info.members, raw)
                    if info is not None and info.kind == "enum"
                    else None
                )
                if attr is not None:
                    self.models_alias_used(alias)
                    return Typed(f"{alias}.{member.attr}.{attr}", Annotation(member))
        for (
            member
        ) in lists:  # one member for an array parameter: sent as a one-item list (match_array)
            item = self.enum_literal(raw, member.slice, context)
            if item is not None:
                return item
        if "str" in texts and not isinstance(raw, str):
            return Typed(py_str(json.dumps(raw)), _named("str"))
        return None

    def match_array(self, raw: Any, value: Typed, wanted: Annotation) -> Typed:
        """A single value given to an array parameter is sent as a one-item list (serialised per the
        parameter's style); a literal list stays a list literal, so an enum-typed list type-checks."""
        if not wanted.is_list or isinstance(raw, list):
            return value
        if value.annotation.is_list or value.annotation.is_any:
            return value
        if value.annotation.optional:
            return Typed(f"None if {value.code} is None else [{value.code}]", value.annotation)
        return Typed(
            f"[{value.code}]", Annotation(ast.Subscript(ast.Name("list"), value.annotation.node))
        )

    def request_body(self, step: Step, context: _StepContext) -> list[str]:
        """The ``body=`` (and, when the step names another media type, ``content_type=``) arguments.

        A string payload for XML is a template whose inserted values are XML-escaped; for other text types
        the values are inserted as text.  Replacements left for run time wrap the payload.
        """
        op = step.operation
        assert op is not None and op.body is not None
        media = (step.body_content_type or op.body.content_type).split(";")[0].strip().lower()
        payload = step.body
        if isinstance(payload, ex.Template) and not _json_media(media):
            escape = "xml_text" if media.endswith("xml") else "to_text"
            self.doc.runtime_names.add(escape)
            parts = [py_str(p) if isinstance(p, str) else f"{escape}({self.expression(p, context).code})"
                     for p in payload.parts]  # fmt: skip
            code = " + ".join(parts)
        elif isinstance(payload, dict) and media.endswith(
            ("/xml", "+xml")
        ):  # {root: content}, see lowering
            self.doc.runtime_names.add("to_xml")
            code = f"to_xml({self.value(payload, context).code})"
        else:
            typed = self.value(payload, context)
            if op.body.required and typed.annotation.optional:
                typed = self.required_value(
                    typed, step, payload, f"the request body of {op.operation_id} needs a value"
                )
            code = typed.code
        if step.body_replacements:
            self.doc.runtime_names.add("with_replacements")
            pairs = [
                "(("
                + "".join(f"{py_str(t)}, " for t in tokens)
                + f"), {self.value(value, context).code})"
                for tokens, value in step.body_replacements
            ]
            code = f"with_replacements({code}, {', '.join(pairs)}, {self.where(context, keywords=True)})"
        args = [f"body={code}"]
        if step.body_content_type and step.body_content_type != op.body.content_type:
            args.append(f"content_type={py_str(step.body_content_type)}")
        return args

    def required_value(self, value: Typed, step: Step, source: Any, why: str) -> Typed:
        """``value`` (typed ``T | None``) where a ``T`` is needed: ``required_value`` raises ``StepFailed`` naming
        the expression and ``why`` when it is ``None``, and narrows the type for mypy."""
        self.doc.runtime_names.add("required_value")
        written = source if isinstance(source, str) else _source_text(source)
        code = (
            f"required_value({value.code}, {py_str(self.workflow.workflow_id)}, {py_str(step.step_id)}, "
            f"{py_str(written)}, {py_str(why)})"
        )
        members = [
            m
            for m in union_members(value.annotation.node)
            if not (isinstance(m, ast.Constant) and m.value is None)
        ]
        return Typed(
            code, Annotation(make_union(members), value.annotation.imports) if members else _any()
        )

    def as_text(self, value: Typed) -> str:
        if value.annotation.name == "str":
            return value.code
        self.doc.runtime_names.add("to_text")
        return f"to_text({value.code})"

    # -- values and expressions ----------------------------------------------------------------------
    def value(self, value: Any, context: _StepContext | None) -> Typed:
        if isinstance(value, dict):
            items = [f"{py_str(k)}: {self.value(v, context).code}" for k, v in value.items()]
            return Typed("{" + ", ".join(items) + "}", _dict_any())
        if isinstance(value, list):
            return Typed(
                "[" + ", ".join(self.value(v, context).code for v in value) + "]", _list_any()
            )
        if isinstance(value, ex.Template):
            return self.template(value, context)
        if isinstance(value, str):
            return Typed(py_str(value), _named("str"))
        if isinstance(value, bool) or value is None:
            return Typed(
                repr(value), _named("bool") if value is not None else Annotation(ast.Constant(None))
            )
        if isinstance(value, int | float):
            return Typed(repr(value), _named(type(value).__name__))
        return self.expression(value, context)

    def template(self, template: ex.Template, context: _StepContext | None) -> Typed:
        parts = [(p if isinstance(p, str) else self.expression(p, context)) for p in template.parts]
        if all(isinstance(p, str) or _SIMPLE_CODE.match(p.code) for p in parts):
            body = ""
            for part in parts:
                if isinstance(part, str):
                    body += py_str(part)[1:-1].replace("{", "{{").replace("}", "}}")
                else:
                    body += "{" + part.code + "}"
            return Typed(f'f"{body}"', _named("str"))
        pieces = [py_str(p) if isinstance(p, str) else f"str({p.code})" for p in parts]
        return Typed(" + ".join(pieces), _named("str"))

    def expression(self, expr: Any, context: _StepContext | None) -> Typed:
        if isinstance(expr, ex.Template):
            return self.template(expr, context)
        if isinstance(expr, str):
            return Typed(py_str(expr), _named("str"))
        if not isinstance(expr, (ex.Template, *_EXPR_TYPES)):
            return self.value(
                expr, context
            )  # a literal: number, boolean, null, string, object, array
        if isinstance(expr, ex.InputRef):
            item, annotation = self.inputs[expr.name]
            code = self.param(item)
            if expr.name in self.input_fallbacks:
                code = f"({code} if {code} is not None else {self.input_fallbacks[expr.name]})"
            if expr.path:
                return self.pointer(code, expr.path)
            return Typed(code, annotation)
        if isinstance(expr, ex.StepRef):
            typed = self.step_outputs[(expr.step_id, expr.name)]
            if expr.path:
                return self.pointer(typed.code, expr.path)
            return typed
        if isinstance(expr, ex.WorkflowRef):
            found = resolve_workflow_ref(
                self.workflow, expr, self.position, self.plan, after=self.after
            )
            if isinstance(found, SelfInput):
                return self.expression(ex.InputRef(found.name, expr.path), context)
            if isinstance(found, StepRun):
                return self.workflow_run(expr, found)
        if (
            isinstance(expr, ex.OutputRef) and self.position is None
        ):  # another output of this workflow
            typed = self.expression(self.workflow.outputs[expr.name], None)
            return self.pointer(typed.code, expr.path) if expr.path else typed
        if isinstance(expr, ex.WorkflowRef) and expr.workflow_id in self.dependencies:
            callee = next(
                c.target
                for c in self.workflow.depends_on
                if c.param == self.dependencies[expr.workflow_id]
            )
            assert callee is not None
            code = f"{self.dependencies[expr.workflow_id]}.{output_fields(callee)[expr.name]}"
            call = next(
                c
                for c in self.workflow.depends_on
                if c.param == self.dependencies[expr.workflow_id]
            )
            return (
                self.pointer(code, expr.path)
                if expr.path
                else Typed(code, self.output_type(call, expr.name))
            )
        if isinstance(expr, ex.OutputRef) and context is not None and context.step.call is not None:
            callee = context.step.call.target
            assert callee is not None and context.var is not None
            code = f"{context.var}.{output_fields(callee)[expr.name]}"
            call = context.step.call
            assert call is not None
            return (
                self.pointer(code, expr.path)
                if expr.path
                else Typed(code, self.output_type(call, expr.name))
            )
        if context is None or context.var is None:
            return Typed("None", Annotation(ast.Constant(None)))
        var = context.var
        if isinstance(expr, ex.StatusCode):
            return Typed(f"{var}.status_code", _named("int"))
        if isinstance(expr, ex.Url):
            return Typed(f"{var}.url", _named("str"))
        if isinstance(expr, ex.Method):
            return Typed(f"{var}.method", _named("str"))
        if isinstance(expr, ex.ResponseRef):
            if expr.source == "header":
                return Typed(f"{var}.headers.get({py_str(expr.name or '')})",
                             Annotation(ast.parse("str | None", mode="eval").body))  # fmt: skip
            return self.body(expr.pointer, context)
        if isinstance(expr, ex.RequestRef):
            return self.request(expr, context)
        return Typed("None", Annotation(ast.Constant(None)))

    def output_type(self, call: WorkflowCall, name: str) -> Annotation:
        """The type of output ``name`` of the workflow ``call`` runs: its field's type when the workflow is
        in this module (its type names are this module's); ``Any`` for another module's workflow (its names
        are that module's imports)."""
        types = (
            self.compiler.output_types.get(id(call.target))
            if call.target_module == self.doc.module
            else None
        )
        return types[name] if types is not None and name in types else _any()

    def workflow_run(self, expr: ex.WorkflowRef, found: StepRun) -> Typed:
        """``$workflows.<id>.outputs|inputs.<name>`` of the run of ``<id>`` by an earlier step: its outputs
        object, or the value the step passed (the callee's default, else None, when it passed none)."""
        step = self.workflow.steps[found.index]
        callee = found.call.target
        assert callee is not None
        if expr.field == "outputs":
            code = f"{self.step_vars[step.step_id]}.{output_fields(callee)[expr.name]}"
            typed = Typed(code, self.output_type(found.call, expr.name))
        elif expr.name in step.call_inputs:
            typed = self.value(step.call_inputs[expr.name][0], None)
        else:
            item = next(i for i in callee.inputs if i.name == expr.name)
            typed = self.value(item.default if item.has_default else None, None)
        return self.pointer(typed.code, expr.path) if expr.path else typed

    def pointer(self, code: str, tokens: tuple[str, ...]) -> Typed:
        self.doc.runtime_names.add("json_pointer")
        args = ", ".join(py_str(t) for t in tokens)
        return Typed(f"json_pointer({code}, {args})", _any())

    def request(self, expr: ex.RequestRef, context: _StepContext) -> Typed:
        """``$request.*``: read from the request the step sent (headers the client added included); a path
        parameter is the value the step put in the path."""
        step = context.step
        var = context.var
        if expr.source == "header":
            self.doc.runtime_names.add("request_header")
            return Typed(f"request_header({var}, {py_str(expr.name or '')})",
                         Annotation(ast.parse("str | None", mode="eval").body))  # fmt: skip
        if expr.source == "query":
            self.doc.runtime_names.add("request_query")
            return Typed(f"request_query({var}, {py_str(expr.name or '')})",
                         Annotation(ast.parse("str | None", mode="eval").body))  # fmt: skip
        if expr.source == "body":
            self.doc.runtime_names.add("request_json")
            if expr.pointer:
                return self.pointer(f"request_json({var})", expr.pointer)
            return Typed(f"request_json({var})", _any())
        for param in step.parameters:
            if param.location == "path" and param.name == expr.name:
                return self.value(param.value, None)
        return Typed("None", Annotation(ast.Constant(None)))

    def maybe_unset(self, expr: Any) -> list[str]:
        """The steps (ids) an output expression reads whose outputs may be unset when the workflow ends."""
        if self.plan is None:
            return []
        found: list[str] = []
        for ref in ex.expressions_in(expr) if not isinstance(expr, str) else ():
            if (
                isinstance(ref, ex.OutputRef) and ref.name in self.workflow.outputs
            ):  # acyclic: checked
                found.extend(
                    s for s in self.maybe_unset(self.workflow.outputs[ref.name]) if s not in found
                )
            if (
                isinstance(ref, ex.StepRef)
                and ref.step_id not in self.plan.set_at_exit
                and ref.step_id not in found
            ):
                found.append(ref.step_id)
        return found

    def body(self, tokens: tuple[str, ...], context: _StepContext) -> Typed:
        """``$response.body#/a/b``: the value at the pointer, read from the decoded body with ``read_output`` and
        validated as the type the models document for it (``Any`` where they do not say)."""
        start, _ = context.body_class()
        if start is None:
            return self.read_body(tokens, _any(), context)
        index = context.index
        node: ast.expr = ast.Name(start)
        pending = list(tokens)
        last_field: tuple[str, str] | None = (
            None  # (model class, attribute) when the pointer ends at a field
        )
        while pending:
            node = strip_annotated(node)
            members = union_members(node)
            present = [m for m in members if not (isinstance(m, ast.Constant) and m.value is None)]
            if len(present) != 1:
                node = ast.Name("Any")
                break
            current = present[0]
            if isinstance(current, ast.Name) and current.id in index.classes:
                info = index.classes[current.id]
                if info.kind == "root" and info.root is not None:
                    node = info.root
                    continue
                if info.kind != "model":
                    node = ast.Name("Any")
                    break
                token = pending.pop(0)
                found = index.field(current.id, token)
                if found is None:
                    node = ast.Name("Any")
                    break
                node = found.annotation
                last_field = (current.id, found.attr) if not pending else None
                continue
            if isinstance(current, ast.Subscript) and ast.unparse(current.value) in (
                "list",
                "dict",
            ):
                pending.pop(0)
                inner = current.slice
                node = inner.elts[-1] if isinstance(inner, ast.Tuple) else inner
                continue
            node = ast.Name("Any")
            break
        if pending:
            node = ast.Name("Any")
        # Only the value read is validated (read_output reports an absent or null value on the way), never the
        # whole body: see read_body.
        annotation = context.mapper.qualify(node)
        runtime_type = None
        if last_field is not None and annotation.mentions_any:
            # a field type the workflow module cannot name (``ipaddress.IPv4Address``): the model's own
            model = context.mapper.qualify(ast.Name(last_field[0])).text
            runtime_type = f"{model}.model_fields[{py_str(last_field[1])}].annotation"
            self.models_alias_used(context.mapper.alias)
        return self.read_body(tokens, annotation, context, runtime_type)

    def read_body(
        self,
        tokens: tuple[str, ...],
        annotation: Annotation,
        context: _StepContext,
        runtime_type: str | None = None,
    ) -> Typed:
        """Read one value from the decoded body, validated as ``annotation`` (tolerant of everything else)."""
        assert context.var is not None
        self.doc.runtime_names.add("read_output")
        self.reads_body = True
        self.writes(annotation)
        pointer = ex.pointer_text(tokens)
        args = [context.var, runtime_type or annotation.text, py_str(self.workflow.workflow_id), py_str(context.step.step_id),
                py_str(pointer)]  # fmt: skip
        return Typed(f"read_output({', '.join(args)})", annotation)

    # -- criteria ---------------------------------------------------------------------------------------
    # The interface other parts of the compiler use (success criteria here, action criteria in the control
    # flow): a Criterion in, the code of a Python ``bool`` expression out.
    def criterion(self, criterion: Criterion, context: _StepContext) -> str:
        if criterion.kind == "regex":
            assert criterion.context is not None
            self.doc.runtime_names.add("regex_matches")
            self.evaluates.add("regex")
            subject = self.condition_operand(criterion.context, context).code
            pattern = criterion.pattern if criterion.pattern is not None else criterion.text
            return f"regex_matches({py_str(pattern)}, {subject}, {self.where(context)})"
        if criterion.kind == "jsonpath":
            assert criterion.context is not None
            self.doc.runtime_names.add("jsonpath_matches")
            self.evaluates.add("jsonpath")
            subject = self.condition_operand(criterion.context, context).code
            return f"jsonpath_matches({py_str(criterion.text)}, {subject}, {self.where(context)})"
        if criterion.kind == "xpath":
            assert criterion.context is not None
            self.doc.runtime_names.add("xpath_matches")
            self.evaluates.add("xpath")
            subject = self.xml_operand(criterion.context, context)
            version = py_str(criterion.version or "3.1")
            return f"xpath_matches({py_str(criterion.text)}, {subject}, version={version}, {self.where(context, keywords=True)})"
        assert criterion.condition is not None
        return self.condition(criterion.condition, context)

    def where(self, context: _StepContext, *, keywords: bool = False) -> str:
        """The workflow and step arguments of a runtime check that may fail the step."""
        workflow, step = py_str(self.workflow.workflow_id), py_str(context.step.step_id)
        return f"workflow={workflow}, step={step}" if keywords else f"{workflow}, {step}"

    def condition(self, node: Any, context: _StepContext) -> str:
        if isinstance(node, ex.And):
            return f"({self.condition(node.left, context)}) and ({self.condition(node.right, context)})"
        if isinstance(node, ex.Or):
            return (
                f"({self.condition(node.left, context)}) or ({self.condition(node.right, context)})"
            )
        if isinstance(node, ex.Not):
            return f"not ({self.condition(node.operand, context)})"
        if isinstance(node, ex.Truthy):
            return f"bool({self.condition_operand(node.operand, context).code})"
        assert isinstance(node, ex.Compare)
        return self.comparison(node, context)

    def comparison(self, node: ex.Compare, context: _StepContext) -> str:
        """One comparison as plain Python where the types allow it.

        Strings compare case-insensitively (the specification: "String comparisons MUST be case
        insensitive"): a string literal is case-folded here and the other side at run time with
        ``fold_case``.  ``null``, ``true`` and ``false`` compare by identity.  An ordering of values whose
        types are not both known numbers goes through ``is_less``/... which are false, not an error, when
        the values cannot be ordered (a missing field, a number against a word).
        """
        op, left_node, right_node = node.op, node.left, node.right
        if isinstance(left_node, ex.Literal) and not isinstance(right_node, ex.Literal):
            left_node, right_node = right_node, left_node  # the literal on the right
            op = _MIRRORED[op]
        left = self.condition_operand(left_node, context)
        right = self.condition_operand(right_node, context)
        literal = right_node.value if isinstance(right_node, ex.Literal) else _NO_LITERAL
        if op in ("==", "!="):
            if literal is None or isinstance(literal, bool):
                return f"{left.code} {'is' if op == '==' else 'is not'} {right.code}"
            if isinstance(literal, str):
                self.doc.runtime_names.add("fold_case")
                return f"fold_case({left.code}) {op} {py_str(literal.casefold())}"
            if isinstance(literal, int | float):
                if left.annotation.name in ("int", "float", "bool"):
                    return f"{left.code} {op} {right.code}"
                self.doc.runtime_names.add("as_number")
                return f"as_number({left.code}) {op} {right.code}"
            if _numeric(left) and _numeric(right):
                return f"{left.code} {op} {right.code}"
            self.doc.runtime_names.add("fold_case")
            return f"fold_case({left.code}) {op} fold_case({right.code})"
        if _numeric(left) and _numeric(right):
            return f"{left.code} {op} {right.code}"
        helper = _ORDERING[op]
        self.doc.runtime_names.add(helper)
        return f"{helper}({left.code}, {right.code})"

    def condition_operand(self, node: Any, context: _StepContext) -> Typed:
        if isinstance(node, ex.Literal):
            value = node.value
            if isinstance(value, str):
                return Typed(py_str(value), _named("str"))
            if value is None:
                return Typed("None", Annotation(ast.Constant(None)))
            return Typed(repr(value), _named(type(value).__name__))
        if isinstance(node, ex.ResponseRef) and node.source == "body":
            # compare on the decoded JSON: values keep their JSON types, whatever the model makes of them
            self.doc.runtime_names.add("body_json")
            if node.pointer:
                return self.pointer(f"body_json({context.var})", node.pointer)
            return Typed(f"body_json({context.var})", _any())
        return self.expression(node, context)

    def xml_operand(self, node: Any, context: _StepContext) -> str:
        """The XML document an xpath criterion reads: the raw bytes for ``$response.body``."""
        if isinstance(node, ex.ResponseRef) and node.source == "body" and not node.pointer:
            return f"{context.var}.content"
        return self.condition_operand(node, context).code

    # -- outputs ----------------------------------------------------------------------------------------
    def outputs(self) -> list[OutputView]:
        self.position = None
        views = []
        fields = output_fields(self.workflow)
        for name, expr in self.workflow.outputs.items():
            typed = self.expression(expr, None)
            unset = self.maybe_unset(expr)
            if unset:
                assert self.loop is not None and self.loop.succeeded is not None
                held = " and ".join(f"{py_str(s)} in {self.loop.succeeded}" for s in unset)
                typed = Typed(f"{typed.code} if {held} else None", _optional(typed.annotation))
            self.writes(typed.annotation)
            source = _source_text(expr)
            views.append(
                OutputView(
                    fields[name],
                    py_str(name),
                    typed.annotation.text,
                    typed.code,
                    comment(f"`{source}`"),
                )
            )
            self.compiler.output_types.setdefault(id(self.workflow), {})[name] = typed.annotation
        return views


def output_fields(workflow: Workflow) -> dict[str, str]:
    """The field names of a workflow's outputs class (also what a caller reads from it)."""
    names = Scope(_OUTPUT_FIELD_RESERVED, forbidden=lambda name: name.startswith("model_"))
    return {name: names.claim(_field_base(snake(name))) for name in workflow.outputs}


class _StepContext:
    def __init__(self, step: Step, var: str | None, mapper: Any, index: Any) -> None:
        self.step = step
        self.var = var
        self.mapper = mapper
        self.index = index

    def known_status(self) -> str | None:
        for criterion in self.step.success_criteria:
            if criterion.condition is not None:
                status = _status_in(criterion.condition)
                if status is not None:
                    return status
        return None

    def body_class(self) -> tuple[str | None, bool]:
        """The model class of the response body the step's outputs read, and whether ``parsed`` has
        exactly that static type (so attribute access type-checks)."""
        op = self.step.operation
        assert op is not None
        success = [r for r in op.responses if r.status[:1] in "23"]
        status = self.known_status()
        chosen = None
        if status is not None:
            chosen = next((r for r in op.responses if r.status == status), None) or next(
                (r for r in op.responses if r.status.upper() == status[0] + "XX"), None
            )
        if chosen is None:
            chosen = next((r for r in success if r.schema is not None), None)
        if chosen is None or chosen.schema is None:
            return None, False
        name = ref_name(chosen.schema)
        if name is None or name not in self.index.classes:
            return None, False
        distinct = {
            (
                ref_name(r.schema)
                if r.schema is not None and (r.content_type or "").endswith("json")
                else None
            )
            for r in success
        }
        return name, distinct == {name}


_MIRRORED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_SCALARS = ("str", "int", "float", "bool")
_CONVERTIBLE = (
    *_SCALARS,
    "UUID",
)  # parameter types a scalar of another type is converted to (pydantic, lax)


def _comma_joined(param: Parameter) -> bool:
    """Whether an array value of ``param`` travels as one value, its items joined by commas."""
    if param.location in ("path", "header"):
        return param.style in (None, "simple")
    return param.style in (None, "form") and param.explode is False


def _primary(code: str) -> bool:
    """Whether ``code`` binds tighter than any operator (a name, attribute, call, subscript or literal)."""
    node = ast.parse(code, mode="eval").body
    return isinstance(
        node, ast.Name | ast.Attribute | ast.Call | ast.Subscript | ast.Constant | ast.JoinedStr
    )


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _enum_member(members: dict[str, Any], raw: str | float) -> str | None:
    """The member of an enum whose value is ``raw``, or whose value is the JSON text of the number or boolean
    ``raw`` (``"2"`` for ``2``, ``"true"`` for ``true``), or the number the text ``raw`` writes (``2`` for
    ``"2"``)."""
    for attr, value in members.items():
        if type(value) is type(raw) and value == raw:
            return attr
    for attr, value in members.items():
        if isinstance(value, str) and not isinstance(raw, str) and value == json.dumps(raw):
            return attr
        if isinstance(value, int | float) and isinstance(raw, str) and json.dumps(value) == raw:
            return attr
    return None


_ORDERING = {
    "<": "is_less",
    "<=": "is_less_or_equal",
    ">": "is_greater",
    ">=": "is_greater_or_equal",
}
_NO_LITERAL = object()


def _numeric(typed: Typed) -> bool:
    """Whether ``typed`` is statically a number (``bool`` excluded: JSON booleans are not numbers)."""
    return typed.annotation.name in ("int", "float")


def _status_in(condition: Any) -> str | None:
    if isinstance(condition, ex.Compare) and condition.op == "==":
        sides = (condition.left, condition.right)
        if any(isinstance(s, ex.StatusCode) for s in sides):
            for side in sides:
                if isinstance(side, ex.Literal) and isinstance(side.value, int):
                    return str(side.value)
    if isinstance(condition, ex.And):
        return _status_in(condition.left) or _status_in(condition.right)
    return None


def _callees_first(doc: ArazzoDocument) -> list[Workflow]:
    """The document's workflows, each after the workflows of this document it runs (steps, actions,
    dependsOn); a cycle is an error reported by the checks before emit."""
    order: list[Workflow] = []
    done: set[int] = set()

    def visit(workflow: Workflow) -> None:
        if id(workflow) in done:
            return
        done.add(id(workflow))
        calls = [step.call for step in workflow.steps] + list(workflow.depends_on)
        calls += [a.call for step in workflow.steps for a in step.on_success + step.on_failure]
        for call in calls:
            if call is not None and call.target is not None and call.target.document == doc.path:
                visit(call.target)
        order.append(workflow)

    for workflow in doc.workflows:
        visit(workflow)
    return order


_EXPR_TYPES = (
    ex.Url, ex.Method, ex.StatusCode, ex.RequestRef, ex.ResponseRef, ex.InputRef, ex.OutputRef, ex.StepRef,
    ex.WorkflowRef, ex.SourceRef, ex.ComponentRef,
)  # fmt: skip


def _json_media(media: str) -> bool:
    return media.endswith("json") or media in ("*/*", "")


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _source_text(value: Any) -> str:
    """How an output value is written in the document: the expression, or the literal as JSON."""
    if isinstance(value, (ex.Template, *_EXPR_TYPES)):
        return ex.to_source(value)
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return _json_text(_plain_value(value))
    return _json_text(value)


def _plain_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_value(v) for v in value]
    if isinstance(value, (ex.Template, *_EXPR_TYPES)):
        return ex.to_source(value)
    return value


def _field_base(name: str) -> str:
    return "output_" + name if name.startswith("model_") else name


def _optional(annotation: Annotation) -> Annotation:
    if annotation.optional or annotation.is_any:
        return annotation
    return Annotation(make_union([annotation.node, ast.Constant(None)]), annotation.imports)


def _dict_any() -> Annotation:
    return Annotation(ast.parse("dict[str, Any]", mode="eval").body, {"typing": {"Any"}})


def _list_any() -> Annotation:
    return Annotation(ast.parse("list[Any]", mode="eval").body, {"typing": {"Any"}})


def _input_annotation(schema: dict[str, Any]) -> Annotation:
    kind = schema.get("type")
    simple = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
    if isinstance(kind, str) and kind in simple:
        return _named(simple[kind])
    if kind == "array":
        raw_items = schema.get("items")
        items: dict[str, Any] = raw_items if isinstance(raw_items, dict) else {}
        inner = _input_annotation(items)
        return Annotation(ast.Subscript(ast.Name("list"), inner.node), inner.imports)
    if kind == "object":
        return _dict_any()
    return _any()


def _has_default_server(api: Api) -> bool:
    if not api.servers:
        return False
    server = api.servers[0]
    if "://" not in server.url and not server.variables:
        return False
    return all(v.default is not None for v in server.variables)
