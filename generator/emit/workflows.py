"""Compile Arazzo workflows into straight-line Python (the view model for ``templates/workflows.py.j2``).

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
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from ..ir import expressions as ex
from ..ir.model import Api, ArazzoDocument, Criterion, Input, Program, Step, Workflow, ref_name
from ..naming import (
    KEYWORDS,
    WORKFLOW_FUNCTION_RESERVED,
    WORKFLOW_MODULE_RESERVED,
    Scope,
    pascal,
    snake,
)
from .models import ModelIndex
from .text import comment, docstring, first_sentence, py_str
from .types import Annotation, TypeMapper, make_union, merge_imports, strip_annotated, union_members

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
class StepView:
    step_id: str
    comment: str
    var: str | None
    client: str
    method: str
    call_args: list[str]
    criteria: list[tuple[str, str]]  # (python condition, criterion text literal)
    assignments: list[tuple[str, str]]
    notes: list[str]


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


@dataclass(frozen=True)
class ApiAliases:
    """Module-level names under which one document's workflow module imports an API's clients and models."""

    client: str
    async_client: str
    models: str


@dataclass
class DocumentView:
    module: str
    docstring: str
    workflows: list[WorkflowView]
    imports: dict[str, set[str]] = field(default_factory=dict)
    sources: list[SourceView] = field(default_factory=list)
    runtime_names: set[str] = field(default_factory=set)
    aliases: dict[str, ApiAliases] = field(default_factory=dict)  # API module -> import aliases


class WorkflowCompiler:
    def __init__(self, program: Program, indexes: dict[str, ModelIndex]) -> None:
        self.program = program
        self.indexes = indexes
        self.class_bases = Scope(sep="")

    def document(self, doc: ArazzoDocument) -> DocumentView:
        view = DocumentView(doc.module, "", [])
        view.aliases = _api_aliases(doc)
        for workflow in doc.workflows:
            view.workflows.append(_WorkflowBuilder(self, workflow, view).build())
        seen: set[str] = set()
        for wf in view.workflows:
            for source in wf.sources:
                if source.client_alias not in seen:
                    seen.add(source.client_alias)
                    view.sources.append(source)
        paragraphs = [f"{doc.title or doc.path.name}" + (f" ({doc.version})" if doc.version else "")]
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
        # Parameters and locals of the workflow function: besides what the body calls, the module-level import
        # aliases (the body creates clients by alias) are taken.
        module_names = {name for a in doc.aliases.values() for name in (a.client, a.async_client, a.models)}
        self.scope = Scope(WORKFLOW_FUNCTION_RESERVED | module_names)
        self.inputs: dict[str, tuple[Input, Annotation]] = {}
        self.step_outputs: dict[tuple[str, str], Typed] = {}
        self.sources: dict[str, SourceView] = {}
        self.mappers: dict[str, TypeMapper] = {}
        self.used_outputs = _referenced_step_outputs(workflow)
        self.reads_body = False  # some output reads a response body (read_output may raise StepOutputError)
        self.input_fallbacks: dict[str, str] = {}  # input name -> literal used when the argument is None

    def need(self, module: str, *names: str) -> None:
        self.doc.imports.setdefault(module, set()).update(names)

    def build(self) -> WorkflowView:
        wf = self.workflow
        params = []
        for item in sorted(wf.inputs, key=lambda i: not i.required or i.has_default):
            annotation = _input_annotation(item.schema)
            merge_imports(self.doc.imports, annotation.imports)
            claimed = self.scope.claim(item.py_name)
            assert claimed == item.py_name, "inputs are named in the IR with the same reserved names"
            doc = comment(item.description or f"workflow input {item.name}")
            if item.has_default:
                params.append(self.defaulted_input(item, annotation, doc))
                continue
            text = annotation.text if item.required else f"{annotation.text} | None"
            params.append(ParamView(item.py_name, text, None if item.required else "None", doc))
            self.inputs[item.name] = (item, annotation if item.required else _optional(annotation))
        for binding in wf.sources:
            api = binding.api
            aliases = self.doc.aliases[api.module]
            self.mappers[binding.name] = self.compiler.mapper(api, aliases.models)
            self.need(f"..apis.{api.module}", "models as " + aliases.models)
            required = not _has_default_server(api)
            py_name = self.scope.claim(binding.py_name)
            assert py_name == binding.py_name, "sources are named in the IR with the same reserved names"
            source = SourceView(py_name, binding.name, aliases.client, aliases.async_client, api.module, api.title,
                                required)  # fmt: skip
            self.sources[binding.name] = source
            self.need(f"..apis.{api.module}.client", f"Client as {source.client_alias}",
                      f"AsyncClient as {source.async_alias}")  # fmt: skip
        steps = [self.step(step) for step in wf.steps]
        outputs = self.outputs()
        outputs_class = self.compiler.class_bases.claim(pascal(wf.workflow_id)) + "Outputs"
        paragraphs = [wf.summary or wf.workflow_id]
        if wf.description and wf.description != wf.summary:
            paragraphs.append(wf.description)
        arg_docs = [f"{p.py_name}: {p.doc}" for p in params]
        for source in self.sources.values():
            how = "required" if source.required else "a default client is created (and closed) when omitted"
            arg_docs.append(f"{source.py_name}: client for source '{source.name}' ({source.title}); {how}.")
        paragraphs.append("Args:\n" + "\n".join("    " + line for line in arg_docs))
        raises = [
            "StepFailed: a step's response did not meet its success criteria (or its status is an error).",
            "ApiConnectionError: a request could not be sent or no response arrived (ApiTimeoutError: in time).",
        ]
        if self.reads_body:
            raises.append(
                "StepOutputError: a value an output reads from a response body is missing or not of its documented "
                "type (a StepFailed naming the workflow, step and pointer)."
            )
        if any(step.body_replacements for step in wf.steps):
            raises.append("ValueError: a requestBody replacement target is not in the payload.")
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
            return ParamView(item.py_name, _optional(annotation).text, "None", doc)
        if isinstance(item.default, dict | list):
            self.inputs[item.name] = (item, annotation)
            self.input_fallbacks[item.name] = literal.code
            return ParamView(item.py_name, _optional(annotation).text, "None", doc)
        if annotation.text == "float" and isinstance(item.default, int):
            literal = Typed(repr(float(item.default)), annotation)
        self.inputs[item.name] = (item, annotation)
        return ParamView(item.py_name, annotation.text, literal.code, doc)

    # -- steps ------------------------------------------------------------------------------------------
    def step(self, step: Step) -> StepView:
        op = step.operation
        assert op is not None and step.source is not None, "checked before emit"
        source = self.sources[step.source]
        mapper = self.mappers[step.source]
        wanted = [(name, expr) for name, expr in step.outputs.items() if (step.step_id, name) in self.used_outputs]
        unused = [name for name in step.outputs if (step.step_id, name) not in self.used_outputs]
        var = self.scope.claim(step.py_name) if (step.success_criteria or wanted) else None
        context = _StepContext(step, var, mapper, self.compiler.indexes[mapper.api.module])
        call_args = []
        extra_headers: list[str] = []
        extra_query: list[str] = []
        for param in step.parameters:
            value = self.value(param.value, context)
            if param.target is not None:
                wanted_type = mapper.schema(param.target.schema, loose_enums=True).text
                if wanted_type == "str" and value.annotation.text in ("int", "float", "bool"):
                    value = Typed(self.as_text(value), _named("str"))
                value = self.match_array(param.value, value, wanted_type)
                call_args.append(f"{param.target.py_name}={value.code}")
            elif param.location == "header":
                extra_headers.append(f"{py_str(param.name)}: {self.as_text(value)}")
            elif param.location == "query":
                extra_query.append(f"{py_str(param.name)}: {value.code}")
        if step.has_body and op.body is not None:
            call_args.extend(self.request_body(step, context))
        if extra_headers:
            call_args.append("extra_headers={" + ", ".join(extra_headers) + "}")
        if extra_query:
            call_args.append("extra_query={" + ", ".join(extra_query) + "}")
        criteria = [(self.criterion(c, context), py_str(c.text)) for c in step.success_criteria]
        assignments = []
        for name, expr in wanted:
            typed = self.expression(expr, context)
            local = self.scope.claim(snake(name)) if snake(name) not in self.scope.taken else self.scope.claim(
                f"{step.py_name}_{snake(name)}"
            )
            declared = local if typed.annotation.text == "Any" else f"{local}: {typed.annotation.text}"
            assignments.append((declared if typed.code.startswith("read_output(") else local, typed.code))
            self.step_outputs[(step.step_id, name)] = Typed(local, typed.annotation)
        notes = [
            f"output {name} ({_source_text(step.outputs[name])}) "
            "is not used by a later step or the workflow outputs"
            for name in unused
        ]
        label = step.step_id + (f": {first_sentence(step.description)}" if step.description else "")
        return StepView(
            step_id=py_str(step.step_id),
            comment=comment(label, limit=90),
            var=var,
            client=source.py_name,
            method=op.py_name,
            call_args=call_args,
            criteria=criteria,
            assignments=assignments,
            notes=[comment(n) for n in notes],
        )

    def match_array(self, raw: Any, value: Typed, wanted_type: str) -> Typed:
        """A single value given to an array parameter is sent as a one-item list (serialised per the
        parameter's style); a literal list stays a list literal, so an enum-typed list type-checks."""
        wanted = wanted_type.removesuffix(" | None")
        if not wanted.startswith("list[") or isinstance(raw, list):
            return value
        if value.annotation.text.startswith(("list[", "Any")):
            return value
        if value.annotation.optional:
            return Typed(f"None if {value.code} is None else [{value.code}]", value.annotation)
        return Typed(f"[{value.code}]", Annotation(ast.Subscript(ast.Name("list"), value.annotation.node)))

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
        else:
            code = self.value(payload, context).code
        if step.body_replacements:
            self.doc.runtime_names.add("with_replacements")
            pairs = [
                "((" + "".join(f"{py_str(t)}, " for t in tokens) + f"), {self.value(value, context).code})"
                for tokens, value in step.body_replacements
            ]
            code = f"with_replacements({code}, {', '.join(pairs)})"
        args = [f"body={code}"]
        if step.body_content_type and step.body_content_type != op.body.content_type:
            args.append(f"content_type={py_str(step.body_content_type)}")
        return args

    def as_text(self, value: Typed) -> str:
        if value.annotation.text == "str":
            return value.code
        self.doc.runtime_names.add("to_text")
        return f"to_text({value.code})"

    # -- values and expressions ----------------------------------------------------------------------
    def value(self, value: Any, context: _StepContext | None) -> Typed:
        if isinstance(value, dict):
            items = [f"{py_str(k)}: {self.value(v, context).code}" for k, v in value.items()]
            return Typed("{" + ", ".join(items) + "}", _dict_any())
        if isinstance(value, list):
            return Typed("[" + ", ".join(self.value(v, context).code for v in value) + "]", _list_any())
        if isinstance(value, ex.Template):
            return self.template(value, context)
        if isinstance(value, str):
            return Typed(py_str(value), _named("str"))
        if isinstance(value, bool) or value is None:
            return Typed(repr(value), _named("bool") if value is not None else Annotation(ast.Constant(None)))
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
            return self.value(expr, context)  # a literal: number, boolean, null, string, object, array
        if isinstance(expr, ex.InputRef):
            item, annotation = self.inputs[expr.name]
            code = item.py_name
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

    def body(self, tokens: tuple[str, ...], context: _StepContext) -> Typed:
        """``$response.body#/a/b``: model attribute access when possible, else a JSON Pointer lookup."""
        var = context.var
        assert var is not None
        start, single = context.body_class()
        if start is None:
            return self.read_body(tokens, _any(), context)
        index = context.index
        node: ast.expr = ast.Name(start)
        code = f"{var}.parsed"
        attr_chain = single
        optional = False
        pending = list(tokens)
        last_field: tuple[str, str] | None = None  # (model class, attribute) when the pointer ends at a field
        while pending:
            node = strip_annotated(node)
            members = union_members(node)
            present = [m for m in members if not (isinstance(m, ast.Constant) and m.value is None)]
            if len(present) != 1:
                node = ast.Name("Any")
                break
            if len(present) < len(members):  # a null on the way: read_output reports the value missing
                attr_chain = False
            current = present[0]
            if isinstance(current, ast.Name) and current.id in index.classes:
                info = index.classes[current.id]
                if info.kind == "root" and info.root is not None:
                    node = info.root
                    code += ".root"
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
                code += f".{found.attr}"
                last_field = (current.id, found.attr) if not pending else None
                continue
            if isinstance(current, ast.Subscript) and ast.unparse(current.value) in ("list", "dict"):
                pending.pop(0)
                inner = current.slice
                node = inner.elts[-1] if isinstance(inner, ast.Tuple) else inner
                # an absent index or key is reported by read_output
                attr_chain = False
                continue
            node = ast.Name("Any")
            break
        if pending:
            node = ast.Name("Any")
        annotation = context.mapper.qualify(node)
        if optional and not annotation.optional and annotation.text != "Any":
            annotation = _optional(annotation)
        del code, attr_chain  # the whole body is never validated: only the value read (see read_body)
        runtime_type = None
        if last_field is not None and "Any" in annotation.text:
            # a field type the workflow module cannot name (``ipaddress.IPv4Address``): the model's own
            model = context.mapper.qualify(ast.Name(last_field[0])).text
            runtime_type = f"{model}.model_fields[{py_str(last_field[1])}].annotation"
        return self.read_body(tokens, annotation, context, runtime_type)

    def read_body(
        self, tokens: tuple[str, ...], annotation: Annotation, context: _StepContext, runtime_type: str | None = None
    ) -> Typed:
        """Read one value from the decoded body, validated as ``annotation`` (tolerant of everything else)."""
        assert context.var is not None
        self.doc.runtime_names.add("read_output")
        self.reads_body = True
        merge_imports(self.doc.imports, annotation.imports)
        pointer = "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in tokens)
        args = [context.var, runtime_type or annotation.text, py_str(self.workflow.workflow_id), py_str(context.step.step_id),
                py_str(pointer)]  # fmt: skip
        return Typed(f"read_output({', '.join(args)})", annotation)

    # -- criteria ---------------------------------------------------------------------------------------
    # The interface other parts of the compiler use (success criteria here, action criteria in the control
    # flow): a Criterion in, the code of a Python ``bool`` expression out.
    def criterion(self, criterion: Criterion, context: _StepContext) -> str:
        if criterion.kind == "regex":
            assert criterion.context is not None
            self.need("re", "search as _re_search")
            subject = self.condition_operand(criterion.context, context).code
            pattern = criterion.pattern if criterion.pattern is not None else criterion.text
            return f"_re_search({py_str(pattern)}, str({subject})) is not None"
        if criterion.kind == "jsonpath":
            assert criterion.context is not None
            self.doc.runtime_names.add("jsonpath_matches")
            subject = self.condition_operand(criterion.context, context).code
            return f"jsonpath_matches({py_str(criterion.text)}, {subject})"
        if criterion.kind == "xpath":
            assert criterion.context is not None
            self.doc.runtime_names.add("xpath_matches")
            subject = self.xml_operand(criterion.context, context)
            version = py_str(criterion.version or "3.1")
            return f"xpath_matches({py_str(criterion.text)}, {subject}, version={version})"
        assert criterion.condition is not None
        return self.condition(criterion.condition, context)

    def condition(self, node: Any, context: _StepContext) -> str:
        if isinstance(node, ex.And):
            return f"({self.condition(node.left, context)}) and ({self.condition(node.right, context)})"
        if isinstance(node, ex.Or):
            return f"({self.condition(node.left, context)}) or ({self.condition(node.right, context)})"
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
                if left.annotation.text in ("int", "float", "bool"):
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
            if node.pointer:
                return self.pointer(f"{context.var}.json()", node.pointer)
            return Typed(f"{context.var}.json()", _any())
        return self.expression(node, context)

    def xml_operand(self, node: Any, context: _StepContext) -> str:
        """The XML document an xpath criterion reads: the raw bytes for ``$response.body``."""
        if isinstance(node, ex.ResponseRef) and node.source == "body" and not node.pointer:
            return f"{context.var}.content"
        return self.condition_operand(node, context).code

    # -- outputs ----------------------------------------------------------------------------------------
    def outputs(self) -> list[OutputView]:
        views = []
        names = Scope(_OUTPUT_FIELD_RESERVED, forbidden=lambda name: name.startswith("model_"))
        for name, expr in self.workflow.outputs.items():
            typed = self.expression(expr, None)
            merge_imports(self.doc.imports, typed.annotation.imports)
            source = _source_text(expr)
            views.append(
                OutputView(
                    names.claim(_field_base(snake(name))), py_str(name), typed.annotation.text, typed.code, comment(f"`{source}`")
                )
            )
        for typed in self.step_outputs.values():
            merge_imports(self.doc.imports, typed.annotation.imports)
        return views


class _StepContext:
    def __init__(self, step: Step, var: str | None, mapper: TypeMapper, index: ModelIndex) -> None:
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
            (ref_name(r.schema) if r.schema is not None and (r.content_type or "").endswith("json") else None)
            for r in success
        }
        return name, distinct == {name}


_MIRRORED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_ORDERING = {"<": "is_less", "<=": "is_less_or_equal", ">": "is_greater", ">=": "is_greater_or_equal"}
_NO_LITERAL = object()


def _numeric(typed: Typed) -> bool:
    """Whether ``typed`` is statically a number (``bool`` excluded: JSON booleans are not numbers)."""
    return typed.annotation.text in ("int", "float")


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


def _referenced_step_outputs(workflow: Workflow) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()

    def visit(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                visit(item)
        elif isinstance(value, list):
            for item in value:
                visit(item)
        elif isinstance(value, ex.StepRef):
            found.add((value.step_id, value.name))
        elif isinstance(value, ex.Template | ex.Compare | ex.And | ex.Or | ex.Not | ex.Truthy):
            for expr in ex.expressions_in(value):
                visit(expr)

    for step in workflow.steps:
        for param in step.parameters:
            visit(param.value)
        visit(step.body)
        for criterion in step.success_criteria:
            visit(criterion.condition)
            visit(criterion.context)
        for output in step.outputs.values():
            visit(output)
    for output in workflow.outputs.values():
        visit(output)
    return found


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


def _api_aliases(doc: ArazzoDocument) -> dict[str, ApiAliases]:
    """Import aliases per API module, named after the first source name that binds the API.

    They are allocated in the module scope: they avoid the module's other names and every parameter name of
    its workflow functions (which are named in the IR); two source names that snake-case alike (``a-b``,
    ``a_b``) for two APIs get distinct aliases, two source names for one API share them.
    """
    taken = set(WORKFLOW_MODULE_RESERVED)
    for wf in doc.workflows:
        taken.update({wf.py_name, wf.async_name, *(i.py_name for i in wf.inputs), *(s.py_name for s in wf.sources)})
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
    return aliases


def _optional(annotation: Annotation) -> Annotation:
    if annotation.optional or annotation.text == "Any":
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
