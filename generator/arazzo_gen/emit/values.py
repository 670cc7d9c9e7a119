"""Values, expressions and criteria of a workflow as Python code (the half of the workflow emitter that turns
expression nodes into code; :mod:`.workflows` assembles steps from them).

Every runtime expression becomes a Python expression over local variables: ``$inputs.x`` is a function
parameter, ``$steps.s.outputs.o`` a local assigned after step ``s``, ``$statusCode`` the response's
``status_code``, and ``$response.body#/a/b`` a value read from the decoded body, validated as the type the
models document for it.  Types are :class:`~.types.Annotation` nodes: every decision on a type reads the node.
"""

from __future__ import annotations

import ast
import json
import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..ir import expressions as ex
from ..ir.model import (
    Criterion,
    Input,
    Response,
    SelectorTarget,
    Step,
    Workflow,
    WorkflowCall,
    ref_name,
)
from ..ir.refs import SelfInput, StepRun
from ..plan.imports import Import
from ..plan.modules import output_fields
from ..plan.nodes import WorkflowPlan
from .text import py_str
from .types import Annotation, make_union, strip_annotated, union_members

if TYPE_CHECKING:
    from .workflows import DocumentView, LoopView, WorkflowCompiler


@dataclass
class Typed:
    code: str
    annotation: Annotation


def _any() -> Annotation:
    return Annotation(ast.Name("Any"), {"typing": {"Any"}})


def _named(name: str) -> Annotation:
    return Annotation(ast.Name(name))


class _StepContext:
    def __init__(
        self, step: Step, var: str | None, mapper: Any, index: Any, body: Response | None = None
    ) -> None:
        self.step = step
        self.var = var
        self.mapper = mapper
        self.index = index
        self.body = body  # the response whose body the outputs read (chosen by the plan)

    def body_class(self) -> str | None:
        """The model class of the response body the step's outputs read, if the models define one."""
        if self.body is None or self.body.schema is None:
            return None
        name = ref_name(self.body.schema)
        return name if name is not None and name in self.index.classes else None


_MIRRORED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


_SCALARS = ("str", "int", "float", "bool")


_CONVERTIBLE = (
    *_SCALARS,
    "UUID",
)  # parameter types a scalar of another type is converted to (pydantic, lax)


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
    if isinstance(value, (ex.Template, ex.Select, *_EXPR_TYPES)):
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
    if isinstance(value, (ex.Template, ex.Select, *_EXPR_TYPES)):
        return ex.to_source(value)
    return value


def _optional(annotation: Annotation) -> Annotation:
    if annotation.optional or annotation.is_any:
        return annotation
    return Annotation(make_union([annotation.node, ast.Constant(None)]), annotation.imports)


def _dict_any() -> Annotation:
    return Annotation(ast.parse("dict[str, Any]", mode="eval").body, {"typing": {"Any"}})


def _list_any() -> Annotation:
    return Annotation(ast.parse("list[Any]", mode="eval").body, {"typing": {"Any"}})


_SIMPLE_CODE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_ANY_ITEM = "\x00*"  # a path step that is any item of a list (no member of a model is named so)


class ValueCompiler:
    """Compiles the values, expressions and criteria of one workflow (a base of its builder, which sets the
    attributes below)."""

    workflow: Workflow
    wp: WorkflowPlan
    doc: DocumentView
    compiler: WorkflowCompiler
    inputs: dict[str, tuple[Input, Annotation]]
    step_outputs: dict[tuple[str, str], Typed]
    input_fallbacks: dict[str, str]
    position: int | None
    after: bool
    dependencies: dict[str, WorkflowCall]
    evaluates: set[str]
    reads_body: bool
    step_vars: dict[str, str]
    loop: LoopView | None

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
            parts = [py_str(p) if isinstance(p, str) else f"{escape}({self.embedded(self.expression(p, context))})"
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
            code = self.replaced(code, step, context)
        args = [f"body={code}"]
        if step.body_content_type and step.body_content_type != op.body.content_type:
            args.append(f"content_type={py_str(step.body_content_type)}")
        return args

    def replaced(self, code: str, step: Step, context: _StepContext) -> str:
        """``code`` (the payload) with the replacements left for run time applied in order: consecutive JSON
        Pointer targets by one ``with_replacements``, an Arazzo 1.1 jsonpath target by ``jsonpath_replaced``,
        an xpath target (of an XML payload's text) by ``xpath_replaced``."""
        pending: list[str] = []

        def flush(code: str) -> str:
            if not pending:
                return code
            self.doc.runtime_names.add("with_replacements")
            joined = ", ".join(pending)
            pending.clear()
            return f"with_replacements({code}, {joined}, {self.where(context, keywords=True)})"

        for target, value in step.body_replacements:
            value_code = self.value(value, context).code
            if isinstance(target, SelectorTarget):
                code = flush(code)
                query = py_str(target.query)
                if target.kind == "jsonpath":
                    self.doc.runtime_names.add("jsonpath_replaced")
                    code = (
                        f"jsonpath_replaced({code}, {query}, {value_code}, {self.where(context)})"
                    )
                else:
                    self.doc.runtime_names.add("xpath_replaced")
                    typed = self.value(value, context)
                    text = self.embedded(typed)
                    if typed.annotation.name != "str" and text == typed.code:
                        text = f"str({text})"  # an int: its text
                    code = (
                        f"xpath_replaced({code}, {query}, {text}, version={py_str(target.version)}, "
                        f"{self.where(context, keywords=True)})"
                    )
                continue
            pending.append("((" + "".join(f"{py_str(t)}, " for t in target) + f"), {value_code})")
        return flush(code)

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

    def embedded(self, value: Typed) -> str:
        """The code of a value embedded in a string: as it is in a 1.0 document (its Python text); in a 1.1
        document a value that may not be a string goes through ``embedded_text`` (JSON text for objects,
        arrays, booleans and null, as Arazzo 1.1's Runtime Expressions say)."""
        if self.workflow.arazzo == "1.0" or value.annotation.name in ("str", "int"):
            return value.code
        self.doc.runtime_names.add("embedded_text")
        return f"embedded_text({value.code})"

    def template(self, template: ex.Template, context: _StepContext | None) -> Typed:
        parts = [
            (p if isinstance(p, str) else self._embedded_part(self.expression(p, context)))
            for p in template.parts
        ]
        if all(isinstance(p, str) or _SIMPLE_CODE.match(p.code) for p in parts):
            body = ""
            for part in parts:
                if isinstance(part, str):
                    body += py_str(part)[1:-1].replace("{", "{{").replace("}", "}}")
                else:
                    body += "{" + part.code + "}"
            return Typed(f'f"{body}"', _named("str"))
        pieces = [
            py_str(p)
            if isinstance(p, str)
            else p.code
            if p.code.startswith("embedded_text(")  # a str already
            else f"str({p.code})"
            for p in parts
        ]
        return Typed(" + ".join(pieces), _named("str"))

    def _embedded_part(self, value: Typed) -> Typed:
        code = self.embedded(value)
        return value if code == value.code else Typed(code, _named("str"))

    def expression(self, expr: Any, context: _StepContext | None) -> Typed:
        if isinstance(expr, ex.Template):
            return self.template(expr, context)
        if isinstance(expr, ex.Select):
            return self.selected(expr, context)
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
            found = self.wp.workflow_runs[(expr, self.position, self.after)]
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
            call = self.dependencies[expr.workflow_id]
            assert call.target is not None
            code = f"{self.wp.dependency(call)}.{output_fields(call.target)[expr.name]}"
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

    def selected(self, select: ex.Select, context: _StepContext | None) -> Typed:
        """An Arazzo 1.1 Selector Object of type jsonpath or xpath: its query applied to its context's value by
        a runtime helper.  A singular JSONPath query (names and indexes) is the value of the node it selects
        (``None`` when none; over ``$response.body`` read and typed as an output pointer is, ``StepOutputError``
        when none), any other JSONPath query the list of its nodes' values; an XPath query what
        ``xpath_value`` makes of its result sequence (``None``, one value, or a list)."""
        workflow = py_str(self.workflow.workflow_id)
        step = py_str(context.step.step_id) if context is not None else '""'
        where = f"workflow={workflow}, step={step}"
        query = py_str(select.query)
        whole_body = (
            isinstance(select.context, ex.ResponseRef)
            and select.context.source == "body"
            and not select.context.pointer
            and context is not None
            and context.var is not None
        )
        if select.kind == "xpath":
            self.doc.runtime_names.add("xpath_value")
            if whole_body:
                assert context is not None
                subject = f"{context.var}.content"
            else:
                subject = self.selector_context(select.context, context)
            return Typed(
                f"xpath_value({query}, {subject}, version={py_str(select.version)}, {where})",
                _any(),
            )
        if whole_body and select.tokens is not None:
            assert context is not None
            # the type the models document for the nodes (a wildcard, slice or filter: any item of a list)
            path = tuple(_ANY_ITEM if t is None else str(t) for t in select.tokens)
            annotation, runtime_type = self.body_type(path, context)
            if select.singular or not annotation.is_any:
                helper = "jsonpath_output" if select.singular else "jsonpath_outputs"
                self.doc.runtime_names.add(helper)
                self.reads_body = True
                self.writes(annotation)
                args = [str(context.var), runtime_type or annotation.text, workflow, step, query]
                if not select.singular:
                    node = ast.Subscript(ast.Name("list"), annotation.node)
                    annotation = Annotation(node, annotation.imports)
                return Typed(f"{helper}({', '.join(args)})", annotation)
        subject = self.selector_context(select.context, context)
        if select.singular:
            self.doc.runtime_names.add("jsonpath_value")
            return Typed(f"jsonpath_value({query}, {subject}, {workflow}, {step})", _any())
        self.doc.runtime_names.add("jsonpath_values")
        return Typed(f"jsonpath_values({query}, {subject}, {workflow}, {step})", _list_any())

    def selector_context(self, node: ex.Expr, context: _StepContext | None) -> str:
        """The code of the value a selector reads: the decoded JSON for ``$response.body`` (as a criterion
        reads it), else the expression's value."""
        if context is not None and context.var is not None:
            return self.condition_operand(node, context).code
        return self.expression(node, context).code

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
        """``$response.body#/a/b``: the value at the pointer, read from the decoded body with ``read_output`` and
        validated as the type the models document for it (``Any`` where they do not say)."""
        annotation, runtime_type = self.body_type(tokens, context)
        return self.read_body(tokens, annotation, context, runtime_type)

    def body_type(
        self, tokens: tuple[str, ...], context: _StepContext
    ) -> tuple[Annotation, str | None]:
        """The type the models document for the value at ``tokens`` in the response body (``Any`` where they
        do not say), and the runtime type that validates it when the module cannot name it."""
        start = context.body_class()
        if start is None:
            return _any(), None
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
        return annotation, runtime_type

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
            text = self.substituted(criterion, context) or py_str(pattern)
            return f"regex_matches({text}, {subject}, {self.where(context)}{_arazzo(criterion)})"
        if criterion.kind == "jsonpath":
            assert criterion.context is not None
            self.doc.runtime_names.add("jsonpath_matches")
            self.evaluates.add("jsonpath")
            subject = self.condition_operand(criterion.context, context).code
            text = self.substituted(criterion, context) or py_str(criterion.text)
            return f"jsonpath_matches({text}, {subject}, {self.where(context)}{_arazzo(criterion)})"
        if criterion.kind == "xpath":
            assert criterion.context is not None
            self.doc.runtime_names.add("xpath_matches")
            self.evaluates.add("xpath")
            subject = self.xml_operand(criterion.context, context)
            version = py_str(criterion.version or "3.1")
            # Arazzo 1.1 '{$...}': the query is built at run time, and checked then (built=True)
            built = self.substituted(criterion, context)
            text, more = (
                (built, ", built=True") if built is not None else (py_str(criterion.text), "")
            )
            return f"xpath_matches({text}, {subject}, version={version}, {self.where(context, keywords=True)}{_arazzo(criterion)}{more})"
        assert criterion.condition is not None
        return self.condition(criterion.condition, context)

    def substituted(self, criterion: Criterion, context: _StepContext) -> str | None:
        """The code of the text of a regex or jsonpath condition with runtime expressions substituted (an
        Arazzo 1.1 ``{$...}`` condition, lowered as a template); ``None`` for a condition written out."""
        node = criterion.condition
        if node is None:
            return None
        if isinstance(node, ex.Template):
            return self.template(node, context).code
        return self.embedded(self.expression(node, context))

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
            if isinstance(
                node.operand, ex.Literal
            ):  # a bare `true`, `false` or `null` (and `0`, `'text'`)
                return repr(bool(node.operand.value))
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
        if self.workflow.arazzo != "1.0" and not isinstance(right_node, ex.Literal):
            # 1.1: "Numeric strings SHOULD be coerced to numbers when compared with numeric operators" (two
            # values read at run time; against a literal, is_less & co. already read text as a number)
            self.doc.runtime_names.add("as_number")
            left_code, right_code = (
                code if _numeric(typed) else f"as_number({code})"
                for typed, code in ((left, left.code), (right, right.code))
            )
            return f"{helper}({left_code}, {right_code})"
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


def _arazzo(criterion: Criterion) -> str:
    """The ``arazzo=`` argument of a regex, jsonpath or xpath criterion of an Arazzo 1.1 document (its
    Condition Evaluation: a null context and an evaluation error fail the criterion); nothing for 1.0."""
    return f", arazzo={py_str(criterion.arazzo)}" if criterion.arazzo != "1.0" else ""
