"""Compile Arazzo workflows into Python functions (the view model for ``templates/workflows.py.j2``).

The step plan (:mod:`arazzo_gen.plan`) has decided the code shape, the names and what each step does after
success or failure; this module turns plan nodes into views.  A straight-line workflow is one block per step,
in order; a workflow with one step that runs again (a pagination or polling loop) is a ``while`` loop over
that step; anything else is an explicit loop over step labels::

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
caller passes their outputs.  See docs/conformance.md.  Values, expressions and criteria: :mod:`.values`.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any

from ..ir import expressions as ex
from ..ir.model import (
    Api,
    ArazzoDocument,
    Input,
    Parameter,
    Program,
    Step,
    StepParameter,
    Workflow,
    WorkflowCall,
)
from ..plan import nodes as plan_nodes
from ..plan.build import ProgramPlan
from ..plan.imports import Import, ImportTable
from ..plan.modules import ApiAliases, output_fields
from . import docstrings
from .clients import server_url
from .models import ModelIndex
from .runtime import module_of
from .text import comment, docstring, first_sentence, py_str
from .types import Annotation, TypeMapper
from .values import (
    _CONVERTIBLE,
    _SCALARS,
    Typed,
    ValueCompiler,
    _any,
    _dict_any,
    _is_uuid,
    _json_text,
    _named,
    _optional,
    _source_text,
    _StepContext,
)


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
    run: str = "run"  # the caller's WorkflowRun: a sync call goes through ``run.call`` (a durable run's child)
    # a step's ``timeout`` in seconds (Arazzo 1.1): ``run.timeout(...)`` around the call; what it waits for
    timeout: str | None = None
    awaited: str = ""


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
    # a goto to the next step in a straight line: the later actions apply unless it does
    follows: bool = False
    # end / goto a workflow in a straight line: ``return Outputs(...)`` with these (field, value); None: break
    returns: list[tuple[str, str]] | None = None


@dataclass
class StepView:
    step_id: str
    comment: str | None  # None: the label says it all
    var: str | None
    client: str
    method: str
    call_args: list[str]
    criteria: list[tuple[str, str]]  # (python condition, criterion text literal)
    assignments: list[tuple[str, str]]
    # what the run records once the step succeeded: (output name literal, the local holding it)
    recorded: list[tuple[str, str]] = field(default_factory=list)
    # (python condition that the step failed, criterion text literal): straight-line operation steps
    failures: list[tuple[str, str]] = field(default_factory=list)
    call: CallView | None = None  # a step that runs a workflow
    success_actions: list[ActionView] = field(default_factory=list)
    failure_actions: list[ActionView] = field(default_factory=list)
    next_label: str | None = (
        None  # after success without an applicable action; None: leave the loop
    )
    always_acts: bool = False  # a success action without criteria: there is no default next step
    failure_always: bool = False  # a failure action without criteria (not a retry): no StepFailed
    counters: list[str] = field(default_factory=list)  # retry counters reset when the step succeeds
    looped: bool = False  # straight line with early exits: the step retries in a loop of its own
    controlled: bool = False  # straight line with early exits: it has actions
    declares: list[str] = field(
        default_factory=list
    )  # its retry counters, set to 0 before that loop
    resumes: bool = (
        False  # a retry action's stepId: on success, control goes back to the retried step
    )
    records_success: bool = (
        False  # its outputs may be unset when the workflow ends: ``succeeded`` notes it
    )
    catches: bool = (
        False  # a workflow step with failure actions: the callee's StepFailed is a failure
    )
    timeout: str | None = (
        None  # its ``timeout`` in seconds (Arazzo 1.1): ``run.timeout(...)`` around the call
    )
    # with failure actions: the local holding the StepFailed of a call that took longer (None: it did not)
    timed_out: str | None = None
    # what the step's timeout waits for, when not a response (literal): an AsyncAPI receive step's message
    awaited: str | None = None


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
    steps_run: str | None  # None: straight line with early exits
    unmet: str | None
    first: str  # the label of the first step
    resume: str | None
    succeeded: str | None
    counters: list[str]
    failure: str | None = (
        None  # the StepFailed of a workflow a step ran (steps with failure actions)
    )
    timed_out: str | None = None  # the StepFailed of a step that took longer than its timeout


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
    name: str  # the input's name in the document


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
    shape: str = "straight"  # see arazzo_gen.plan.nodes.Shape
    sleep: str | None = None
    max_steps: str | None = None
    run: str = "run"  # the WorkflowRun of this run (deadline, owned clients, progress)
    dependencies: list[DependencyView] = field(default_factory=list)
    predeclared: list[tuple[str, str]] = field(
        default_factory=list
    )  # (local, annotation) before the loop
    # AsyncAPI receive steps: (local, client parameter, subscribe method), subscribed before the first step
    inboxes: list[tuple[str, str, str]] = field(default_factory=list)


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
        view.imports.use(Import("pydantic", "BaseModel"), Import("pydantic", "ConfigDict"))
        # an outputs class without fields needs no Field
        if any(wf.outputs for wf in view.workflows):
            view.imports.use(Import("pydantic", "Field"))
        view.imports.use(*(Import(".." + module_of(name), name) for name in view.runtime_names))
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


class _WorkflowBuilder(ValueCompiler):
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
        # dependsOn workflowId (or as written) -> its entry
        self.dependencies: dict[str, WorkflowCall] = {}
        # straight line with early exits: each ``return`` before the end, and the outputs that are None there
        self.exits: list[tuple[ActionView, frozenset[str]]] = []

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
            default = None if item.required else "None"
            params.append(ParamView(self.param(item), text, default, doc, item.name))
            self.inputs[item.name] = (item, annotation if item.required else _optional(annotation))
        for binding in wf.sources:
            api = binding.api
            aliases = self.doc.aliases[api.module]
            self.mappers[binding.name] = self.compiler.mapper(api, aliases.models)
            required = not _has_default_server(api)
            source = SourceView(self.wp.sources[binding.name], binding.name, aliases.client, aliases.async_client, api.module, api.title,
                                required)  # fmt: skip
            self.sources[binding.name] = source
            self.need(Import(f"..apis.{api.module}.client", "Client", source.client_alias),
                      Import(f"..apis.{api.module}.client", "AsyncClient", source.async_alias))  # fmt: skip
        self.run = self.wp.run  # the WorkflowRun: its deadline, clients and progress
        self.doc.runtime_names.update({"WorkflowRun", "AsyncWorkflowRun", "StepHook"})
        dependencies = [self.dependency(call) for call in wf.depends_on]
        if self.wp.sleep is not None:
            self.need(Import("collections.abc", "Awaitable"), Import("collections.abc", "Callable"))
            self.need(Import("time", "sleep", "_sleep"), Import("asyncio", "sleep", "_async_sleep"))
        locals_ = self.wp.loop
        if locals_ is not None:
            self.loop = LoopView(
                step=locals_.step,
                steps_run=locals_.steps_run,
                unmet=locals_.unmet,
                first=py_str(wf.steps[0].step_id),
                resume=locals_.resume,
                succeeded=locals_.succeeded,
                counters=[],
                failure=locals_.failure,
                timed_out=locals_.timed_out,
            )
            if locals_.steps_run is not None:
                self.doc.runtime_names.add("MaxStepsExceeded")
        steps = [self.step(step) for step in wf.steps]
        outputs = self.outputs()
        values = {out.py_name: out.value for out in outputs}
        fields = output_fields(wf)
        for view, unset in self.exits:
            view.returns = [
                (fields[n], "None" if n in unset else values[fields[n]]) for n in wf.outputs
            ]
        outputs_class = self.compiler.plan.outputs_class(wf)
        paragraphs = [wf.summary or wf.workflow_id]
        if wf.description and wf.description != wf.summary:
            paragraphs.append(wf.description)
        paragraphs.append(
            "Args:\n" + "\n".join("    " + line for line in self.args_doc(params, dependencies))
        )
        paragraphs.append("Raises:\n" + "\n".join("    " + line for line in self.raises_doc()))
        paragraphs.append(
            "Whatever ends a run (these, a cancellation, Ctrl-C) carries ``progress`` (Progress): the step it "
            "was running and the outputs of the steps that had succeeded, by step id."
        )
        self.doc.runtime_names.add("StepFailed")
        return WorkflowView(
            py_name=self.wp.function,
            async_name=self.wp.async_function,
            workflow_id=py_str(wf.workflow_id),
            workflow_id_text=wf.workflow_id,
            outputs_class=outputs_class,
            docstring=docstring(*paragraphs, indent=4),
            params=params,
            sources=list(self.sources.values()),
            steps=steps,
            outputs=outputs,
            loop=self.loop,
            shape=self.wp.shape.value,
            sleep=self.wp.sleep,
            max_steps=self.wp.max_steps,
            run=self.run,
            dependencies=dependencies,
            predeclared=self.predeclared,
            inboxes=self.inboxes(),
        )

    def inboxes(self) -> list[tuple[str, str, str]]:
        """The subscription of each AsyncAPI receive step, made before the first step (so that a reply sent
        before the step runs is not lost): (local, client parameter, subscribe method)."""
        found = []
        for step in self.workflow.steps:
            if step.action != "receive" or step.operation is None or step.source is None:
                continue
            channel = step.operation.channel
            assert channel is not None and channel.receive is not None
            entry = (
                self.wp.inboxes[step.step_id],
                self.sources[step.source].py_name,
                channel.subscribe,
            )
            if entry not in found:  # receive steps on one channel share its subscription
                found.append(entry)
        return found

    def args_doc(self, params: list[ParamView], dependencies: list[DependencyView]) -> list[str]:
        """The ``Args:`` lines of the function's docstring."""
        return docstrings.args_lines(
            [(p.py_name, p.doc) for p in params],
            [(d.param, d.workflow_id, d.required) for d in dependencies],
            [(s.py_name, s.name, s.title, s.required) for s in self.sources.values()],
            self.wp.sleep,
            self.wp.max_steps,
        )

    def raises_doc(self) -> list[str]:
        """The ``Raises:`` lines of the function's docstring."""
        return docstrings.raises_lines(
            any(step.body_replacements for step in self.workflow.steps),
            self.loop is not None,
            self.reads_body,
            self.evaluates,
            self.wp.max_steps,
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
            return ParamView(self.param(item), _optional(annotation).text, "None", doc, item.name)
        if isinstance(item.default, dict | list):
            self.inputs[item.name] = (item, annotation)
            self.input_fallbacks[item.name] = literal.code
            return ParamView(self.param(item), _optional(annotation).text, "None", doc, item.name)
        if annotation.name == "float" and isinstance(item.default, int):
            literal = Typed(repr(float(item.default)), annotation)
        self.inputs[item.name] = (item, annotation)
        return ParamView(self.param(item), annotation.text, literal.code, doc, item.name)

    # -- workflow calls ---------------------------------------------------------------------------------
    def call_view(
        self, call: WorkflowCall, args: list[str], timeout: int | None = None
    ) -> CallView:
        """The call of ``call``'s generated function with ``args`` (inputs), the shared clients and the
        caller's ``sleep``/``max_steps``; a step's ``timeout`` (milliseconds) bounds the whole run of it."""
        callee = call.target
        assert callee is not None, "bound before emit"
        args = list(args)
        theirs = self.compiler.plan[callee]
        for binding in callee.sources:
            mine = self.wp.sources[self.bindings[id(binding.api)].name]
            args.append(f"{theirs.sources[binding.name]}={mine}")
        if theirs.sleep is not None and self.wp.sleep is not None:
            args.append(f"{theirs.sleep}={self.wp.sleep}")
        if theirs.max_steps is not None and self.wp.max_steps is not None:
            args.append(f"{theirs.max_steps}={self.wp.max_steps}")
        seconds = repr(timeout / 1000) if timeout is not None else None
        args.append(f"deadline={self.run}.left({seconds or ''})")
        prefix = ""
        if call.target_module != self.doc.module:
            assert call.target_module is not None
            prefix = self.doc.workflow_modules[call.target_module] + "."
            self.need(
                Import(".", call.target_module, self.doc.workflow_modules[call.target_module])
            )
        awaited = py_str(f"workflow '{callee.workflow_id}' to finish")
        return CallView(prefix + theirs.function, prefix + theirs.async_function, args, self.run,
                        seconds, awaited)  # fmt: skip

    def action_inputs(self, call: WorkflowCall, context: _StepContext, after: bool) -> list[str]:
        """The inputs a goto/retry action passes: its ``parameters`` (Arazzo 1.1), read where its criteria
        are (``after``: once the step succeeded); without them, this workflow's inputs of the same names."""
        callee = call.target
        if call.inputs is None or callee is None:
            return self.shared_inputs(call)
        inputs = {item.name: item for item in callee.inputs}
        args = []
        self.after = after
        try:
            for name, (value, _, _) in call.inputs.items():
                if name in inputs:
                    code = self.call_input(context.step, callee, inputs[name], value, context).code
                    args.append(f"{self.compiler.plan.param(callee, name)}={code}")
        finally:
            self.after = False
        return args

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
        name = self.compiler.plan.outputs_class(call.target)
        if call.target_module != self.doc.module:
            assert call.target_module is not None
            return self.doc.workflow_modules[call.target_module] + "." + name
        return name

    def dependency(self, call: WorkflowCall) -> DependencyView:
        assert call.target is not None
        self.dependencies[
            call.workflow_id if call.document == self.workflow.document else call.text
        ] = call
        self.dependencies.setdefault(call.workflow_id, call)
        return DependencyView(
            self.wp.dependency(call), self.outputs_class(call), call.param_required,
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
                    call=self.call_view(kind.call, self.action_inputs(kind.call, context, after)) if kind.call else None,
                    counter=kind.counter, limit=kind.limit,
                    delay=f"retry_after({context.var}, {delay})" if step.call is None and context.var else delay,
                ))  # fmt: skip
            elif isinstance(kind, plan_nodes.Goto) and kind.follows:
                text = (
                    f"goto {action.name}{where}: {kind.step_id}, the next step; unless it applies:"
                )
                views.append(ActionView(comment(text), condition, "goto", follows=True))
            elif isinstance(kind, plan_nodes.Goto):
                again = kind.again
                views.append(ActionView(
                    comment(f"goto {action.name}{where}: {kind.step_id}"), condition, "goto",
                    goto=None if again else py_str(kind.step_id), again=again,
                ))  # fmt: skip
            elif isinstance(kind, plan_nodes.GotoWorkflow):
                views.append(ActionView(
                    comment(f"goto {action.name}{where}: workflow {kind.call.workflow_id}"), condition, "goto",
                    call=self.call_view(kind.call, self.action_inputs(kind.call, context, after)),
                ))  # fmt: skip
            else:
                views.append(ActionView(comment(f"end {action.name}{where}"), condition, "end"))
            if (
                isinstance(kind, plan_nodes.End | plan_nodes.GotoWorkflow)
                and kind.unset is not None
            ):
                self.exits.append((views[-1], kind.unset))
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
        assert isinstance(node, plan_nodes.OperationStep)
        index = self.compiler.indexes[mapper.api.module]
        context = _StepContext(step, var, mapper, index, node.body)
        call_args = []
        extra_headers: list[str] = []
        extra_query: list[str] = []
        for param in step.parameters:
            value = self.value(param.value, context)
            if param.target is not None and param.target.location == "querystring":
                # Arazzo 1.1: the value "MUST resolve to a string representing the complete query string"
                call_args.append(f"{param.target.py_name}={self.as_text(value)}")
            elif param.target is not None:
                value = self.argument(param, param.target, value, context)
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
        if step.action == "receive":
            call_args.append(f"inbox={self.wp.inboxes[step.step_id]}")
            if step.correlation is not None:
                # "only messages matching the correlation identifier are considered": a value that is None
                # fails the step by name rather than taking any message
                correlation = self.value(step.correlation, None)
                if correlation.annotation.optional or correlation.annotation.is_any:
                    correlation = self.required_value(
                        correlation,
                        step,
                        step.correlation,
                        "the step's correlationId needs a value",
                    )
                call_args.append(f"correlation_id={correlation.code}")
        if extra_query:
            call_args.append("extra_query={" + ", ".join(extra_query) + "}")
        timeout = repr(step.timeout / 1000) if step.timeout is not None else None
        call_args.append(f"deadline={self.run}.left({timeout or ''})")
        # the criteria judge the response whatever its status; without criteria, an error status fails the step
        assert var is not None, "the plan gives every operation step a local"
        criteria = [(self.criterion(c, context), py_str(c.text)) for c in step.success_criteria]
        failures = [(f"not ({condition})", text) for condition, text in criteria]
        if not criteria:
            status = py_str("a documented success status")
            criteria = [(f"{var}.status_error is None", status)]
            failures = [(f"{var}.status_error is not None", status)]
        self.doc.runtime_names.add("any_status")
        assignments = self.assignments(node.outputs, context)
        label = step.step_id + (f": {first_sentence(step.description)}" if step.description else "")
        view = StepView(
            step_id=py_str(step.step_id),
            # under its label (`if step == "read":`) a step without a description needs no comment
            comment=comment(label, limit=90)
            if step.description or self.loop is None or self.loop.step is None
            else None,
            var=var,
            client=source.py_name,
            method=op.py_name,
            call_args=call_args,
            criteria=criteria,
            failures=failures,
            assignments=assignments,
            recorded=[(py_str(o.name), o.local) for o in node.outputs],
            timeout=timeout,
            awaited=py_str("a matching message") if step.action == "receive" else None,
        )
        self.control(view, node, context)
        return view

    def argument(
        self, param: StepParameter, target_param: Parameter, value: Typed, context: _StepContext
    ) -> Typed:
        """The value given to a documented parameter, as its type wants it: a required one that may be None
        fails the step by name, an enum member for a literal, a scalar converted to the documented scalar."""
        step, op, mapper = context.step, context.step.operation, context.mapper
        assert op is not None
        if (
            target_param.required
            and isinstance(param.value, ex.StepRef)
            and ((param.value.step_id, param.value.name) in self.unset_reads)
        ):  # possibly unset (None) but required: fail the step by name instead of sending None
            value = self.required_value(
                value, step, param.value, "its step has not succeeded on this run"
            )
        elif target_param.required and not target_param.credential and value.annotation.optional:
            # an optional input (or a nullable value) given to a required parameter: the step fails by
            # name when it is None rather than sending None (and the call type-checks)
            what = f"the required {target_param.location} parameter '{target_param.name}' of {op.operation_id}"
            value = self.required_value(value, step, param.value, f"{what} needs a value")
        documented = mapper.schema(target_param.schema, loose_enums=True)
        target, have = documented.scalar, value.annotation.scalar
        member = self.enum_literal(
            param.value, documented.node, context, joined=_comma_joined(target_param)
        )
        if (
            member is not None
        ):  # 'HOTEL' for list[Kind], 2 for `ListType | str` (its value 2 or "2")
            value = member
        elif documented.name == "str" and value.annotation.name in ("int", "float", "bool"):
            value = Typed(self.as_text(value), _named("str"))
        elif target == "str" and have == "UUID":  # a format: uuid value given to a string parameter
            value = self.unless_none(value, f"str({value.code})", _named("str"))
        elif (
            target == "str"
            and value.annotation.is_list
            and target_param.location in ("header", "path")
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
            what = (
                f"the {target_param.location} parameter '{target_param.name}' of {op.operation_id}"
            )
            code = (
                f"converted({value.code}, {target}, {py_str(self.workflow.workflow_id)}, "
                f"{py_str(step.step_id)}, {py_str(_source_text(param.value))}, {py_str(what)})"
            )
            value = self.unless_none(value, code, _named(target))
        return self.match_array(param.value, value, documented)

    def assignments(
        self, outputs: tuple[plan_nodes.Output, ...], context: _StepContext
    ) -> list[tuple[str, str]]:
        step = context.step
        assignments: list[tuple[str, str]] = []
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
            f"{self.compiler.plan.param(call.target, name)}={self.call_input(step, call.target, inputs[name], value, None).code}"
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
            recorded=[(py_str(o.name), o.local) for o in node.outputs],
            call=self.call_view(call, args, step.timeout),
        )
        self.control(view, node, context)
        return view

    def call_input(
        self, step: Step, callee: Workflow, item: Input, raw: Any, context: _StepContext | None
    ) -> Typed:
        """The value a step (or its action, reading in ``context``) gives to an input of the workflow it runs; a
        scalar of another type than the input's (``"2"`` for an integer input) is converted: a literal when the
        document is built, else ``converted`` (the calling step fails by name when it cannot be)."""
        value = self.value(raw, context)
        target = _input_annotation(item.schema).name
        have = value.annotation.scalar
        if target not in _SCALARS or have not in _SCALARS or have == target:
            return value
        if target == "str":
            self.doc.runtime_names.add("to_text")
            return self.unless_none(value, f"to_text({value.code})", _named("str"))
        if isinstance(raw, str) and target == "int" and re.fullmatch(r"[+-]?[0-9]+", raw.strip()):
            return Typed(repr(int(raw)), _named("int"))
        self.doc.runtime_names.add("converted")
        what = f"the input '{item.name}' of workflow '{callee.workflow_id}'"
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
        # its retry counters restart when it succeeds, if it can run again
        view.counters = self.loop.counters[before:] if control.runs_again else []
        if self.wp.shape is plan_nodes.Shape.FORWARD:
            # the step runs once, then the next one: its counters start before its loop, never reset
            view.controlled, view.looped = True, control.own_loop
            view.declares, view.counters = self.loop.counters[before:], []
            del self.loop.counters[before:]
        view.always_acts = control.always_acts
        view.failure_always = control.failure_always
        view.next_label = py_str(control.next_step) if control.next_step is not None else None
        view.resumes = control.resumes
        view.records_success = control.records_success
        if view.timeout is not None and control.on_failure:
            self.timed_failures(view, control.on_failure, context)
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

    def timed_failures(
        self, view: StepView, actions: tuple[plan_nodes.Action, ...], context: _StepContext
    ) -> None:
        """A step whose request took longer than its ``timeout`` failed without a response: its failure
        actions apply, but one that reads the response (``$statusCode``, ``$response.*``, ``$request.*``,
        ``$url``, ``$method``, in its criteria or parameters) does not hold then (they are undefined; Arazzo
        1.1: a condition over a null or undefined value fails); a retry waits its ``retryAfter``."""
        assert self.loop is not None and self.loop.timed_out is not None
        timed_out = view.timed_out = self.loop.timed_out
        for view_action, action in zip(view.failure_actions, actions, strict=True):
            kind = action.kind
            call = (
                kind.call if isinstance(kind, plan_nodes.Retry | plan_nodes.GotoWorkflow) else None
            )
            values: list[Any] = [part for c in action.criteria for part in (c.condition, c.context)]
            values += [
                value for value, _, _ in ((call.inputs or {}) if call is not None else {}).values()
            ]
            reads = any(_reads_response(value) for value in values)
            if reads:
                held = f"{timed_out} is None"
                view_action.condition = (
                    f"{held} and ({view_action.condition})" if view_action.condition else held
                )
            if view_action.kind == "retry" and view_action.delay.startswith("retry_after("):
                assert isinstance(kind, plan_nodes.Retry)
                view_action.delay = (
                    f"{kind.after!r} if {timed_out} is not None else {view_action.delay}"
                )

    # -- outputs ----------------------------------------------------------------------------------------
    def outputs(self) -> list[OutputView]:
        self.position = None
        views = []
        fields = output_fields(self.workflow)
        for name, expr in self.workflow.outputs.items():
            typed = self.expression(expr, None)
            if name in self.wp.optional_outputs:  # None where a ``return`` comes before its step
                typed = Typed(typed.code, _optional(typed.annotation))
            unset = self.wp.unset_outputs.get(name, ())
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


_RESPONSE_READS = (ex.StatusCode, ex.ResponseRef, ex.RequestRef, ex.Url, ex.Method)


def _reads_response(value: Any) -> bool:
    """Whether a condition, context or value (a literal tree with expressions inside) reads the response."""
    if isinstance(value, dict):
        return any(_reads_response(item) for item in value.values())
    if isinstance(value, list):
        return any(_reads_response(item) for item in value)
    if value is None or isinstance(value, str | int | float | bool):
        return False
    return any(isinstance(ref, _RESPONSE_READS) for ref in ex.expressions_in(value))


def _comma_joined(param: Parameter) -> bool:
    """Whether an array value of ``param`` travels as one value, its items joined by commas."""
    if param.location in ("path", "header"):
        return param.style in (None, "simple")
    return param.style in (None, "form") and param.explode is False


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
    if api.kind == "asyncapi":  # a server a transport speaks to (MQTT, AMQP)
        return any(server_url(s.protocol, s.host, s.pathname) for s in api.message_servers)
    if not api.servers:
        return False
    server = api.servers[0]
    if "://" not in server.url and not server.variables:
        return False
    return all(v.default is not None for v in server.variables)
