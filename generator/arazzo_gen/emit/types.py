"""Python annotations for JSON Schemas and for fields of the generated models.

Annotations are built as :mod:`ast` expressions and printed with :func:`ast.unparse`, so a schema name can
only ever become an identifier the models module defines, never arbitrary code.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass, field
from typing import Any

from ..ir.model import Api, JsonSchema, ref_name
from .models import ModelIndex

# Names the models modules import that a workflow module must import too when it reuses an annotation.
KNOWN_IMPORTS = {
    "Any": "typing",
    "Literal": "typing",
    "AnyUrl": "pydantic",
    "AwareDatetime": "pydantic",
    "NaiveDatetime": "pydantic",
    "EmailStr": "pydantic",
    "datetime": "datetime",
    "date": "datetime",
    "time": "datetime",
    "timedelta": "datetime",
    "UUID": "uuid",
    "Decimal": "decimal",
}
_BUILTINS = {
    "str",
    "int",
    "float",
    "bool",
    "bytes",
    "list",
    "dict",
    "None",
    "set",
    "tuple",
    "object",
}


@dataclass
class Annotation:
    """An annotation expression plus the imports it needs (module -> names)."""

    node: ast.expr
    imports: dict[str, set[str]] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return ast.unparse(self.node)

    @property
    def optional(self) -> bool:
        return any(
            isinstance(m, ast.Constant) and m.value is None for m in union_members(self.node)
        )

    # Decisions on the type are made on the node, never on its text.
    @property
    def name(self) -> str | None:
        """The plain name the annotation is (``str``, ``Any``); None for a union, subscript or attribute."""
        return self.node.id if isinstance(self.node, ast.Name) else None

    @property
    def present(self) -> list[ast.expr]:
        """The members of the union besides ``None``."""
        return [
            m
            for m in union_members(self.node)
            if not (isinstance(m, ast.Constant) and m.value is None)
        ]

    @property
    def scalar(self) -> str | None:
        """The plain name the annotation is once ``None`` is left out (``str`` for ``str | None``)."""
        present = self.present
        return present[0].id if len(present) == 1 and isinstance(present[0], ast.Name) else None

    @property
    def is_list(self) -> bool:
        """Whether every member besides ``None`` is a ``list[...]``."""
        present = self.present
        return bool(present) and all(
            isinstance(m, ast.Subscript) and isinstance(m.value, ast.Name) and m.value.id == "list"
            for m in present
        )

    @property
    def is_any(self) -> bool:
        return self.name == "Any"

    @property
    def mentions_any(self) -> bool:
        return any(isinstance(n, ast.Name) and n.id == "Any" for n in ast.walk(self.node))


def union_members(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return union_members(node.left) + union_members(node.right)
    return [node]


def make_union(members: list[ast.expr]) -> ast.expr:
    unique: list[ast.expr] = []
    seen: set[str] = set()
    for member in members:
        text = ast.unparse(member)
        if text not in seen:
            seen.add(text)
            unique.append(member)
    if any(ast.unparse(m) == "Any" for m in unique):
        return ast.Name("Any")
    # None last, as people write it
    unique.sort(key=lambda m: isinstance(m, ast.Constant) and m.value is None)
    result = unique[0]
    for member in unique[1:]:
        result = ast.BinOp(result, ast.BitOr(), member)
    return result


def strip_annotated(node: ast.expr) -> ast.expr:
    """``Annotated[X, Field(...)]`` -> ``X`` (recursively inside unions and containers)."""
    if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "Annotated":
        inner = node.slice.elts[0] if isinstance(node.slice, ast.Tuple) else node.slice
        return strip_annotated(inner)
    if isinstance(node, ast.BinOp):
        return ast.BinOp(strip_annotated(node.left), node.op, strip_annotated(node.right))
    if isinstance(node, ast.Subscript):
        return ast.Subscript(node.value, strip_annotated(node.slice))
    if isinstance(node, ast.Tuple):
        return ast.Tuple([strip_annotated(e) for e in node.elts])
    return node


class TypeMapper:
    """Maps schemas of one API to annotations, referring to its models module as ``alias``."""

    def __init__(self, api: Api, index: ModelIndex, alias: str) -> None:
        self.api = api
        self.index = index
        self.alias = alias

    # -- qualified model annotations ----------------------------------------------------------------------
    def qualify(self, node: ast.expr) -> Annotation:
        """Rewrite a models-module annotation so it works outside that module (``models.X``, imports)."""
        imports: dict[str, set[str]] = {}
        node = strip_annotated(node)

        class Qualifier(ast.NodeTransformer):
            def visit_Name(inner, name: ast.Name) -> ast.expr:
                if self.index.is_class(name.id):
                    return ast.Attribute(ast.Name(self.alias), name.id)
                module = KNOWN_IMPORTS.get(name.id)
                if module is not None:
                    imports.setdefault(module, set()).add(name.id)
                elif name.id not in _BUILTINS:
                    imports.setdefault("typing", set()).add("Any")
                    return ast.Name("Any")
                return name

        qualified = Qualifier().visit(copy.deepcopy(node))  # a copy: the index keeps the original
        return Annotation(qualified, imports)

    # -- schema annotations ----------------------------------------------------------------------------
    def schema(self, schema: JsonSchema | None, *, loose_enums: bool = False) -> Annotation:
        imports: dict[str, set[str]] = {}
        node = self._schema(schema, imports, loose_enums, set())
        return Annotation(node, imports)

    def _schema(
        self, schema: Any, imports: dict[str, set[str]], loose: bool, seen: set[str]
    ) -> ast.expr:
        if not isinstance(schema, dict) or not schema:
            imports.setdefault("typing", set()).add("Any")
            return ast.Name("Any")
        name = ref_name(schema)
        if name is not None:
            return self._named(name, imports, loose, seen)
        nullable = schema.get("nullable") is True
        kinds = schema.get("type")
        if isinstance(kinds, list):
            nullable = nullable or "null" in kinds
            kinds = [k for k in kinds if k != "null"]
            members = [
                self._schema({**schema, "type": k, "nullable": False}, imports, loose, seen)
                for k in kinds
            ]
            node = make_union(members) if members else ast.Name("Any")
        elif "oneOf" in schema or "anyOf" in schema:
            parts = schema.get("oneOf") or schema.get("anyOf") or []
            node = (
                make_union([self._schema(p, imports, loose, seen) for p in parts])
                if parts
                else ast.Name("Any")
            )
        elif "allOf" in schema and len(schema["allOf"]) == 1:
            node = self._schema(schema["allOf"][0], imports, loose, seen)
        else:
            node = self._primitive(schema, imports, loose, seen)
        if isinstance(node, ast.Name) and node.id == "Any":
            imports.setdefault("typing", set()).add("Any")
            return node
        return make_union([node, ast.Constant(None)]) if nullable else node

    def _primitive(
        self, schema: JsonSchema, imports: dict[str, set[str]], loose: bool, seen: set[str]
    ) -> ast.expr:
        kind = schema.get("type")
        if kind == "string":
            return ast.Name("bytes" if schema.get("format") in ("binary",) else "str")
        if kind == "integer":
            return ast.Name("int")
        if kind == "number":
            return ast.Name("float")
        if kind == "boolean":
            return ast.Name("bool")
        if kind == "array":
            return ast.Subscript(
                ast.Name("list"), self._schema(schema.get("items"), imports, loose, seen)
            )
        if kind == "object" or "properties" in schema:
            imports.setdefault("typing", set()).add("Any")
            return ast.Subscript(ast.Name("dict"), ast.Tuple([ast.Name("str"), ast.Name("Any")]))
        imports.setdefault("typing", set()).add("Any")
        return ast.Name("Any")

    def _named(
        self, name: str, imports: dict[str, set[str]], loose: bool, seen: set[str]
    ) -> ast.expr:
        info = self.index.classes.get(name)
        if info is None or name in seen:
            target = self.api.schemas.get(name)
            if target is None or name in seen:
                imports.setdefault("typing", set()).add("Any")
                return ast.Name("Any")
            return self._schema(target, imports, loose, seen | {name})
        if info.kind == "root" and info.root is not None:
            return self._merge(self.qualify(info.root), imports).node
        node: ast.expr = ast.Attribute(ast.Name(self.alias), name)
        if info.kind == "enum" and loose:
            return make_union([node, ast.Name("str")])
        return node

    @staticmethod
    def _merge(annotation: Annotation, imports: dict[str, set[str]]) -> Annotation:
        for module, names in annotation.imports.items():
            imports.setdefault(module, set()).update(names)
        return annotation


def merge_imports(target: dict[str, set[str]], *sources: dict[str, set[str]]) -> None:
    for source in sources:
        for module, names in source.items():
            target.setdefault(module, set()).update(names)
