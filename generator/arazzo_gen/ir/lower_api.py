"""Lower a resolved (OpenAPI 3 shaped) API document into an :class:`~arazzo_gen.ir.model.Api`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from ..diagnostics import Diagnostics, Loc, kind_of
from ..naming import (
    BUILTIN_NAMES,
    CLIENT_INIT_RESERVED,
    CLIENT_MEMBER_RESERVED,
    OPERATION_PARAM_RESERVED,
    NameResolver,
    pascal,
    snake,
)
from ..read import YList, YMap, to_plain, typed_field
from ..resolve import Workspace
from .model import (
    CREDENTIAL_PARAMETER_NAMES,
    SCHEMA_REF_PREFIX,
    Api,
    Body,
    JsonSchema,
    Operation,
    Paging,
    Parameter,
    Response,
    SecurityScheme,
    Server,
    ServerVariable,
    ref_name,
    schema_ref,
)

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# JSON Schema keywords that name other documents by URI.  datamodel-code-generator would resolve (and so fetch)
# them; the schema table rewrites every $ref to a local name, drops these, and so nothing is ever fetched.
_DYNAMIC_REFS = ("$dynamicRef", "$recursiveRef")
_URI_KEYWORDS = {"$id", "$schema", "$anchor", "$dynamicAnchor", "$recursiveAnchor", "$vocabulary"}
_JSON_MEDIA = re.compile(r"^application/([\w.+-]+\+)?json(;.*)?$|^\*/\*$|^application/\*$")


def is_json_media(media: str) -> bool:
    return bool(_JSON_MEDIA.match(media.strip().lower()))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _at(node: Any, key: str) -> Loc | None:
    return node.at(key) if isinstance(node, YMap) else None


def _loc(node: Any, fallback: Loc) -> Loc:
    return node.loc if isinstance(node, YMap | YList) else fallback


class SchemaTable:
    """Collects the schemas of one API into a flat, named table and rewrites every ``$ref`` into it.

    Components keep their key as the class name (made a valid, unique Python class name); schemas that are
    referenced from elsewhere (another file, or a pointer into a property) and inline request/response
    schemas are hoisted under a name derived from where they are.  References are never inlined, so cycles
    need no special care.  A ``$ref`` that does not resolve becomes ``{}`` (any value) after a warning.
    """

    def __init__(self, workspace: Workspace, path: Path, root: YMap) -> None:
        self.workspace = workspace
        self.path = path
        self.schemas: dict[str, JsonSchema] = {}
        self.names: dict[str, str] = {}  # target key (file#pointer) -> class name
        self.scope = NameResolver(sep="")
        self._pending: list[tuple[str, Path, Any]] = []
        self.pattern_locs: dict[
            str, list[Loc]
        ] = {}  # regex (`pattern`, `patternProperties` key) -> where
        self.origins: dict[
            str, tuple[str, Loc | None]
        ] = {}  # class name -> (schema key, where it is written)
        self._in_table = (
            False  # converting the table's own schemas (the ones the models are made from)
        )
        components = root.get("components")
        component_schemas = components.get("schemas") if isinstance(components, dict) else None
        if isinstance(component_schemas, dict):
            self._register_components(path, component_schemas)

    def _register_components(self, path: Path, schemas: dict[str, Any]) -> None:
        last = [key.rsplit(".", 1)[-1] for key in schemas]
        for key, short in zip(schemas, last, strict=True):
            preferred = pascal(short if last.count(short) == 1 else key)
            key_loc = schemas.key_at(key) if isinstance(schemas, YMap) else None
            self._name_for(
                f"{path}#/components/schemas/{_escape(key)}", preferred, path, schemas[key], key_loc
            )

    def _name_for(
        self, target_key: str, preferred: str, path: Path, node: Any, loc: Loc | None = None
    ) -> str:
        name = self.names.get(target_key)
        if name is None:
            name = self.scope.claim(preferred)
            self.names[target_key] = name
            self._pending.append((name, path, node))
            _, _, pointer = target_key.partition("#")
            label = preferred if pointer.startswith("inline:") else pointer.rsplit("/", 1)[-1]
            label = label.replace("~1", "/").replace("~0", "~")
            self.origins[name] = (label, loc or (node.loc if isinstance(node, YMap) else None))
        return name

    def hoist(self, node: Any, path: Path, preferred: str) -> JsonSchema:
        """A reference for ``node`` (a schema found at an operation): a ref stays a ref, an inline object
        schema gets a table entry named ``preferred``, a simple inline schema is converted in place."""
        if isinstance(node, dict) and isinstance(node.get("$ref"), str) and len(node) == 1:
            return self.convert(node, path)
        if _is_structured(node):
            key = f"{path}#inline:{preferred}:{id(node)}"
            return schema_ref(self._name_for(key, pascal(preferred), path, node))
        return self.convert(node, path)

    def finish(self) -> dict[str, JsonSchema]:
        self._in_table = True
        while self._pending:
            name, path, node = self._pending.pop(0)
            self.schemas[name] = self.convert(node, path)
        self._in_table = False
        self._break_allof_cycles()
        return dict(sorted(self.schemas.items()))

    def _break_allof_cycles(self) -> None:
        """A schema that inherits from itself through ``allOf`` (``X: {allOf: [$ref X, {...}]}``, or X -> Y -> X)
        adds nothing by that reference: X's constraints are the rest of its ``allOf``. No Python class can
        inherit from itself, so the reference closing the cycle is dropped, with a warning at the schema."""
        done: set[str] = set()

        def parents(name: str) -> list[str]:
            items = self.schemas.get(name, {}).get("allOf")
            found = [ref_name(item) for item in items] if isinstance(items, list) else []
            return [parent for parent in found if parent is not None and parent in self.schemas]

        for start in list(self.schemas):
            if start in done:
                continue
            path = [start]  # depth-first without recursion: allOf chains may be long
            pending = [iter(parents(start))]
            while pending:
                parent = next(pending[-1], None)
                if parent is None:
                    done.add(path.pop())
                    pending.pop()
                    continue
                if parent in path:
                    self._drop_allof_ref(path[-1], parent, path[path.index(parent) :] + [parent])
                elif parent not in done:
                    path.append(parent)
                    pending.append(iter(parents(parent)))

    def _drop_allof_ref(self, name: str, parent: str, cycle: list[str]) -> None:
        labels = " -> ".join(f"'{self.origins.get(n, (n, None))[0]}'" for n in cycle)
        key, loc = self.origins.get(name, (name, None))
        self.workspace.diagnostics.warning(
            "allof-cycle",
            f"schema '{key}' inherits from itself through allOf ({labels}); the reference closing the cycle "
            "is dropped",
            loc,
        )
        kept = [item for item in self.schemas[name]["allOf"] if ref_name(item) != parent]
        if kept:
            self.schemas[name]["allOf"] = kept
        else:
            del self.schemas[name]["allOf"]

    def convert(self, node: Any, path: Path) -> JsonSchema:
        converted = self._convert(node, path)
        return converted if isinstance(converted, dict) else {}

    def _convert(self, node: Any, path: Path) -> Any:
        if isinstance(node, list):
            return [self._convert(item, path) for item in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key.startswith("x-") or key in _URI_KEYWORDS:
                continue
            value = self._shaped(node, key, value)
            if value is _DROP:
                continue
            if key in _DYNAMIC_REFS:
                self.workspace.diagnostics.warning(
                    "dynamic-ref",
                    f"{key} {_short(value)} is not followed (dynamic references are not supported, and nothing is "
                    "fetched); the schema accepts any value here",
                    _at(node, key),
                )
                continue
            if key == "$ref" and isinstance(value, str):
                out[key] = self._rewrite(value, path, _at(node, key))
            elif key == "discriminator" and isinstance(value, dict):
                out[key] = self._discriminator(value, path)
            elif key in ("pattern", "patternProperties"):
                out[key] = self._patterns(node, key, value, path)
            elif key in ("properties", "definitions", "$defs", "dependentSchemas"):
                out[key] = (
                    {k: self._convert(v, path) for k, v in value.items()}
                    if isinstance(value, dict)
                    else value
                )
            elif key in ("example", "examples", "default", "enum", "const", "required"):
                out[key] = to_plain(value)
            else:
                out[key] = self._convert(value, path)
        if "$ref" in out and not out["$ref"]:
            return {k: v for k, v in out.items() if k != "$ref"}
        return out

    def _shaped(self, node: Any, key: str, value: Any) -> Any:
        """``value`` when it has the shape JSON Schema gives keyword ``key``; otherwise a located
        ``invalid-schema`` warning and what is left of it (``_DROP`` for nothing), so that model generation
        never fails on it: a non-schema where a schema goes, a ``type``/``enum``/``required`` of the wrong kind."""
        where = _at(node, key)

        def wrong(
            what: str, found: Any, at: Loc | None, then: str, shape: str | None = None
        ) -> None:
            shape = shape or _SHAPES.get(key, "a schema")
            self.workspace.diagnostics.warning(
                "invalid-schema", f"{what} must be {shape}, not {kind_of(found)}; {then}", at
            )

        if (
            key in _ONE_SCHEMA
            and not isinstance(value, dict | bool)
            and not (key == "items" and isinstance(value, list))
        ):
            wrong(f"'{key}'", value, where, "it is ignored")
            return _DROP
        if key in _SCHEMA_LISTS:
            if not isinstance(value, list):
                wrong(f"'{key}'", value, where, "it is ignored")
                return _DROP
            kept = [item for item in value if isinstance(item, dict | bool)]
            for index, item in enumerate(value):
                if not isinstance(item, dict | bool):
                    at = value.at(index) if isinstance(value, YList) else where
                    wrong(f"an entry of '{key}'", item, at, "it is ignored", "a schema")
            return kept if len(kept) < len(value) else value
        if key in _SCHEMA_MAPS:
            if not isinstance(value, dict):
                wrong(f"'{key}'", value, where, "it is ignored")
                return _DROP
            bad = [name for name, item in value.items() if not isinstance(item, dict | bool)]
            for name in bad:
                at = value.at(name) if isinstance(value, YMap) else where
                self.workspace.diagnostics.warning(
                    "invalid-schema",
                    f"'{key}' entry '{name}' must be a schema, not {kind_of(value[name])}; it accepts any value"
                    + (
                        "; a list of required properties goes next to 'properties', not in it"
                        if key == "properties"
                        and name == "required"
                        and isinstance(value[name], list)
                        else ""
                    ),
                    at,
                )
            return (
                {name: ({} if name in bad else item) for name, item in value.items()}
                if bad
                else value
            )
        if key == "type" and not (
            isinstance(value, str)
            or (isinstance(value, list) and all(isinstance(t, str) for t in value))
        ):
            wrong("'type'", value, where, "it is ignored")
            return _DROP
        if key == "enum" and not isinstance(value, list):
            wrong("'enum'", value, where, "it is ignored")
            return _DROP
        if key == "required" and not (
            isinstance(value, list) and all(isinstance(n, str) for n in value)
        ):
            wrong("'required'", value, where, "it is ignored")
            return _DROP
        return value

    def _patterns(self, node: Any, key: str, value: Any, path: Path) -> Any:
        """Note where each regular expression of the models is written, for the emit stage's regex check."""
        if key == "pattern":
            if self._in_table and isinstance(value, str) and (loc := _at(node, key)) is not None:
                self.pattern_locs.setdefault(value, []).append(loc)
            return self._convert(value, path)
        if not isinstance(value, dict):
            return self._convert(value, path)
        for pattern in value:
            if self._in_table and isinstance(value, YMap):
                self.pattern_locs.setdefault(pattern, []).append(value.key_at(pattern))
        return {k: self._convert(v, path) for k, v in value.items()}

    def _discriminator(self, value: dict[str, Any], path: Path) -> dict[str, Any]:
        out: dict[str, Any] = {"propertyName": value.get("propertyName")}
        mapping = value.get("mapping")
        if isinstance(mapping, dict):
            rewritten = {}
            for tag, ref in mapping.items():
                target = self._rewrite(str(ref), path, _at(mapping, tag))
                if target:
                    rewritten[tag] = target
            out["mapping"] = rewritten
        return out

    def _rewrite(self, ref: str, path: Path, loc: Loc | None) -> str:
        target = self.workspace.resolve(path, ref, loc)
        if target is None:
            return ""
        match = re.fullmatch(r"/components/schemas/([^/]+)", target.pointer)
        if match:
            key = match.group(1).replace("~1", "/").replace("~0", "~")
            preferred = pascal(key.rsplit(".", 1)[-1])
        else:
            tokens = [
                t for t in target.pointer.split("/") if t and t not in ("properties", "items")
            ]
            preferred = pascal(tokens[-1] if tokens else target.path.stem)
        name = self._name_for(target.key, preferred, target.path, target.node)
        return SCHEMA_REF_PREFIX + name


_DROP = object()  # what _shaped returns for a keyword to leave out
_ONE_SCHEMA = frozenset({
    "items", "additionalProperties", "not", "additionalItems", "contains", "propertyNames", "if", "then", "else",
    "unevaluatedItems", "unevaluatedProperties",
})  # fmt: skip
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SCHEMA_MAPS = frozenset(
    {"properties", "patternProperties", "definitions", "$defs", "dependentSchemas"}
)
_SHAPES = {
    **{key: "a list of schemas" for key in _SCHEMA_LISTS},
    **{key: "a mapping of names to schemas" for key in _SCHEMA_MAPS},
    "type": "a type name or a list of them",
    "enum": "a list of values",
    "required": "a list of property names",
}


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return repr(text if len(text) <= 80 else text[:77] + "...")


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _is_structured(node: Any) -> bool:
    if not isinstance(node, dict):
        return False
    if any(
        key in node
        for key in ("properties", "allOf", "oneOf", "anyOf", "enum", "additionalProperties")
    ):
        return True
    if node.get("type") == "object":
        return True
    if node.get("type") == "array":
        return _is_structured(node.get("items"))
    return False


class ApiLowering:
    def __init__(
        self, workspace: Workspace, diagnostics: Diagnostics, path: Path, root: YMap
    ) -> None:
        self.workspace = workspace
        self.diagnostics = diagnostics
        self.path = path
        self.root = root
        self.table = SchemaTable(workspace, path, root)
        components = self._typed(root, "components", YMap, "a mapping")
        self.components: YMap = components if components is not None else YMap(root.loc)
        self.scheme_keys = set(self._mapping(self.components.get("securitySchemes")))
        # One scope for the keyword arguments of Client(): the first server's variables and the credentials.
        self.init_names = NameResolver(CLIENT_INIT_RESERVED, avoid=BUILTIN_NAMES)

    @staticmethod
    def _mapping(value: Any) -> dict[str, Any]:
        return value if isinstance(value, dict) else {}

    def _typed(
        self,
        node: Any,
        key: str,
        kind: type | tuple[type, ...],
        shape: str,
        what: str | None = None,
        then: str = "it is ignored",
    ) -> Any:
        return typed_field(node, key, kind, shape, self.diagnostics, what, then)

    def lower(self, module: str) -> Api:
        info = self._typed(self.root, "info", dict, "a mapping") or {}
        operations = self._operations()
        security = self._security(
            self._typed(self.root, "security", list, "a list of requirements"), self.root
        )
        original = str(self.root.get("x-original-format") or "")
        if not original:
            version = str(self.root.get("openapi", "3.0"))
            original = "openapi-3.1" if version.startswith("3.1") else "openapi-3.0"
        api = Api(
            path=self.path,
            module=module,
            title=_text(info.get("title")) or self.path.stem,
            version=str(info.get("version", "")),
            description=_text(info.get("description")),
            servers=self._servers(),
            operations=operations,
            schemas=self.table.finish(),
            pattern_locs=self.table.pattern_locs,
            schema_origins=self.table.origins,
            security_schemes=self._security_schemes(),
            security=security or [],
            original_format=original,
            loc=self.root.loc,
        )
        _mark_credentials(api)
        _documented_paging(api)
        return api

    # -- servers and security ---------------------------------------------------------------------------
    def _servers(self) -> list[Server]:
        servers: list[Server] = []
        for raw in self._typed(self.root, "servers", list, "a list of servers") or []:
            if not isinstance(raw, dict) or not isinstance(raw.get("url"), str):
                continue
            variables = []
            # only the first server's variables become keyword arguments of Client()
            scope = (
                self.init_names
                if not servers
                else NameResolver(CLIENT_INIT_RESERVED, avoid=BUILTIN_NAMES)
            )
            for name, var in self._mapping(raw.get("variables")).items():
                var = self._mapping(var)
                default = var.get("default")
                variables.append(
                    ServerVariable(
                        name=name,
                        py_name=scope.claim(snake(name)),
                        default=str(default) if default is not None else None,
                        enum=[
                            str(v) for v in self._typed(var, "enum", list, "a list of values") or []
                        ],
                        description=_text(var.get("description")),
                    )
                )
            servers.append(Server(raw["url"], _text(raw.get("description")), variables))
        return servers

    def _security_schemes(self) -> list[SecurityScheme]:
        schemes = []
        scope = self.init_names
        for key, raw in self._mapping(self.components.get("securitySchemes")).items():
            _, node = self.workspace.follow(self.path, raw, _at(self.components, "securitySchemes"))
            node = self._mapping(node)
            kind = str(node.get("type", ""))
            location = param_name = None
            if kind == "apiKey":
                then = "the scheme is ignored"
                location = self._typed(
                    node, "in", str, "a string", f"'in' of security scheme '{key}'", then
                )
                param_name = self._typed(
                    node, "name", str, "a string", f"'name' of security scheme '{key}'", then
                )
                if location is None or param_name is None:
                    location = param_name = None
            schemes.append(
                SecurityScheme(
                    key=key,
                    kind=kind,
                    py_name=scope.claim(snake(key)),
                    location=location,
                    param_name=param_name,
                    scheme=str(node.get("scheme", "")).lower() if kind == "http" else None,
                    description=_text(node.get("description")),
                )
            )
        return schemes

    def _security(self, value: Any, owner: Any) -> list[list[str]] | None:
        if not isinstance(value, list):
            return None
        requirements = []
        for requirement in value:
            if not isinstance(requirement, YMap):
                continue
            for name in requirement:
                if name not in self.scheme_keys:
                    known = ", ".join(sorted(self.scheme_keys)) or "none"
                    self.diagnostics.warning(
                        "undefined-security-scheme",
                        f"security requirement names '{name}', which is not in components.securitySchemes "
                        f"(defined: {known}); the requirement is ignored",
                        requirement.key_at(name),
                    )
            names = [name for name in requirement if name in self.scheme_keys]
            if names or not requirement:
                requirements.append(names)
        return requirements

    # -- operations ---------------------------------------------------------------------------------------
    def _operations(self) -> list[Operation]:
        operations: list[Operation] = []
        scope = NameResolver(CLIENT_MEMBER_RESERVED)
        ids: dict[str, Loc] = {}
        paths = self._typed(self.root, "paths", YMap, "a mapping of paths to path items")
        if paths is None:
            return operations
        for path, item in paths.items():
            if not isinstance(item, YMap):
                continue
            _, item_node = self.workspace.follow(self.path, item, item.loc)
            if not isinstance(item_node, dict):
                continue
            for method in METHODS:
                op = item_node.get(method)
                if not isinstance(op, YMap):
                    continue
                operation_id = op.get("operationId")
                if not isinstance(operation_id, str) or not operation_id:
                    operation_id = method + "_" + "_".join(re.findall(r"[A-Za-z0-9]+", path))
                    self.diagnostics.warning(
                        "missing-operation-id",
                        f"{method.upper()} {path} has no operationId; its client method is named "
                        f"'{snake(operation_id)}'",
                        op.loc,
                    )
                elif operation_id in ids:
                    self.diagnostics.warning(
                        "duplicate-operation-id",
                        f"operationId '{operation_id}' is also used at line {ids[operation_id].line}",
                        op.at("operationId"),
                    )
                ids.setdefault(operation_id, op.at("operationId"))
                operations.append(self._operation(method, path, item_node, op, operation_id, scope))
        return operations

    def _operation(
        self, method: str, path: str, item: Any, op: YMap, operation_id: str, scope: NameResolver
    ) -> Operation:
        py_name = scope.claim(snake(operation_id))
        names = NameResolver(OPERATION_PARAM_RESERVED, avoid=BUILTIN_NAMES)
        parameters = self._parameters(
            self._typed(item, "parameters", list, "a list of parameters"),
            self._typed(op, "parameters", list, "a list of parameters"),
            py_name,
            names,
        )
        template, fixed_query = self._path_key(path, operation_id, op, parameters, names)
        security = self._security(self._typed(op, "security", list, "a list of requirements"), op)
        return Operation(
            operation_id=operation_id,
            py_name=py_name,
            method=method.upper(),
            path=path,
            summary=_text(op.get("summary")),
            description=_text(op.get("description")),
            parameters=_ordered(parameters),
            body=self._body(op.get("requestBody"), op, py_name),
            responses=self._responses(
                self._typed(op, "responses", dict, "a mapping of statuses to responses"),
                op,
                py_name,
            ),
            security=security,
            deprecated=op.get("deprecated") is True,
            loc=op.at("operationId") if "operationId" in op else op.loc,
            tags=[str(t) for t in self._typed(op, "tags", list, "a list of names") or []],
            path_template=template,
            fixed_query=fixed_query,
            paging=_paging(op),
        )

    def _path_key(
        self,
        path: str,
        operation_id: str,
        op: YMap,
        parameters: list[Parameter],
        names: NameResolver,
    ) -> tuple[str, list[tuple[str, str]]]:
        """Split a path key at ``?`` (the Amazon S3 description: ``/{Bucket}/{Key+}?partNumber={partNumber}``).

        The template before ``?`` holds the path parameters; ``{name+}`` is the declared ``name`` expanded
        greedily.  After ``?``: ``key={name}`` is the declared query parameter ``key`` (added as a required
        string when undeclared); ``key`` and ``key=value`` are literal query pairs sent with every call, or,
        when ``key`` is also a declared query parameter, the value sent when the caller leaves it unset.
        Every placeholder that names no declared parameter is added as a required string, after a warning.
        """
        template, _, query = path.partition("?")
        where = op.at("operationId") if "operationId" in op else op.loc
        for name in dict.fromkeys(re.findall(r"{([^}]+)}", template)):
            bare = name.removesuffix("+")
            declared = next(
                (p for p in parameters if p.location == "path" and p.name in (name, bare)), None
            )
            if declared is not None:
                declared.greedy = declared.greedy or name != bare  # declared as `Key` or `Key+`
                continue
            self.diagnostics.warning(
                "missing-path-parameter",
                f"path template '{path}' uses {{{name}}} but {operation_id} declares no such path parameter; "
                "the client takes it as a required string",
                where,
            )
            added = Parameter(
                bare, "path", names.claim(snake(bare)), True, {"type": "string"}, "", op.loc
            )
            added.greedy = name != bare
            parameters.append(added)
        fixed: list[tuple[str, str]] = []
        for pair in filter(None, query.split("&")):
            key, _, value = (unquote(part) for part in pair.partition("="))
            placeholder = re.fullmatch(r"{([^}]+)}", value)
            declared = next(
                (p for p in parameters if p.location == "query" and p.name == key), None
            )
            if placeholder is None and declared is not None:
                declared.path_key_value = value  # sent when the caller does not set the parameter
                continue
            if placeholder is None:
                fixed.append((key, value))
                continue
            if any(p.location == "query" and p.name == key for p in parameters):
                continue
            self.diagnostics.warning(
                "missing-path-parameter",
                f"path key '{path}' uses {key}={{{placeholder.group(1)}}} but {operation_id} declares no query "
                f"parameter '{key}'; the client takes it as a required string",
                where,
            )
            parameters.append(
                Parameter(
                    key, "query", names.claim(snake(key)), True, {"type": "string"}, "", op.loc
                )
            )
        return template, fixed

    def _parameters(
        self, path_level: Any, op_level: Any, op_name: str, names: NameResolver
    ) -> list[Parameter]:
        merged: dict[tuple[str, str], Parameter] = {}
        for raw_list in (path_level, op_level):
            if not isinstance(raw_list, YList):
                continue
            for index, raw in enumerate(raw_list):
                base, node = self.workspace.follow(self.path, raw, raw_list.at(index))
                if not isinstance(node, dict) or "name" not in node or "in" not in node:
                    continue
                if self._ignored_header(node):
                    continue
                param = self._parameter(node, base, raw_list.at(index), op_name)
                key = (
                    param.name.lower() if param.location == "header" else param.name,
                    param.location,
                )
                merged[key] = param
        for param in merged.values():
            param.py_name = names.claim(param.py_name)
        return list(merged.values())

    def _ignored_header(self, node: dict[str, Any]) -> bool:
        """OpenAPI 3.x: a header parameter named ``Accept`` or ``Content-Type`` "SHALL be ignored" (the media
        types of the request body and responses say them). ``Authorization`` is kept as a parameter: documents
        use it for credentials their security schemes do not describe."""
        if "openapi" not in self.root or "x-original-format" in self.root:
            return False  # Swagger 2.0 has no such rule
        return node.get("in") == "header" and str(node.get("name")).lower() in {
            "accept",
            "content-type",
        }

    def _parameter(self, node: dict[str, Any], base: Path, loc: Loc, op_name: str) -> Parameter:
        location = str(node["in"])
        schema_node = node.get("schema")
        if schema_node is None and isinstance(node.get("content"), dict) and node["content"]:
            first = next(iter(node["content"].values()))
            schema_node = first.get("schema") if isinstance(first, dict) else None
        name = str(node["name"])
        schema = (
            self.table.hoist(schema_node or {}, base, f"{op_name}_{name}") if schema_node else {}
        )
        required = location == "path" or node.get("required") is True
        return Parameter(
            name=name,
            location=location,
            py_name=snake(name.lstrip("$")),
            required=required,
            fallback=self._fallback(schema_node, base, loc)
            if required and location != "path"
            else None,
            schema=schema,
            description=_text(node.get("description")),
            loc=node.loc if isinstance(node, YMap) else loc,
            style=node.get("style") if isinstance(node.get("style"), str) else None,
            explode=node.get("explode") if isinstance(node.get("explode"), bool) else None,
            deprecated=node.get("deprecated") is True,
            media=node.get("schema") is None and isinstance(node.get("content"), dict),
            content_type=next(iter(node["content"]), None)
            if isinstance(node.get("content"), dict) and node["content"]
            else None,
        )

    def _fallback(self, schema_node: Any, base: Path, loc: Loc) -> str | int | float | bool | None:
        """The one value a parameter schema allows or defaults to (a scalar ``default``, ``const`` or a
        one-member ``enum``), sent when the caller omits the required parameter; else None."""
        if isinstance(schema_node, dict) and isinstance(schema_node.get("$ref"), str):
            _, schema_node = self.workspace.follow(base, schema_node, loc)
        if not isinstance(schema_node, dict):
            return None
        enum = schema_node.get("enum")
        candidates = [schema_node.get("const"), schema_node.get("default")]
        if isinstance(enum, list) and len(enum) == 1:
            candidates.insert(0, enum[0])
        kinds: dict[Any, tuple[type, ...]] = {
            "string": (str,),
            "boolean": (bool,),
            "integer": (int,),
            "number": (int, float),
        }
        kind = schema_node.get("type")
        allowed = (
            kinds.get(kind, ()) if isinstance(kind, str) else ()
        )  # (a 3.1 list of types: no fallback)
        for value in candidates:
            if value is None or isinstance(value, bool) != (allowed == (bool,)):
                continue  # a bool is an int to Python: only a boolean schema takes one
            if isinstance(value, allowed) and isinstance(
                value, str | int | float
            ):  # (no NaN: the reader refuses it)
                # an enum's client argument is typed `TheEnum | str`: a number or boolean is given as its JSON text
                return (
                    json.dumps(value)
                    if "enum" in schema_node and not isinstance(value, str)
                    else value
                )
        return None

    def _body(self, raw: Any, op: YMap, op_name: str) -> Body | None:
        if raw is None:
            return None
        base, node = self.workspace.follow(self.path, raw, op.at("requestBody"))
        if not isinstance(node, dict):
            return None
        content = self._mapping(node.get("content"))
        if not content:
            return None
        media_types = list(content)
        chosen = next((m for m in media_types if is_json_media(m)), media_types[0])
        media = self._mapping(content[chosen])
        schema_node = media.get("schema")
        schema = (
            self.table.hoist(schema_node, base, f"{op_name}_request")
            if schema_node is not None
            else None
        )
        xml_roots: dict[str, tuple[str, str | None]] = {}
        for name in media_types:
            raw_schema = self._mapping(content[name]).get("schema")
            if name.split(";")[0].strip().lower().endswith(("/xml", "+xml")) and isinstance(
                raw_schema, dict
            ):
                ref = raw_schema.get("$ref")
                found = (
                    self.workspace.resolve(base, ref, None, report=False)
                    if isinstance(ref, str)
                    else None
                )
                target = found.node if found is not None else raw_schema
                xml = self._mapping(target.get("xml")) if isinstance(target, dict) else {}
                root = xml.get("name") if isinstance(xml.get("name"), str) else None
                if root is None and isinstance(ref, str) and "/" in ref:
                    root = ref.rsplit("/", 1)[1]
                if root:
                    namespace = (
                        xml.get("namespace") if isinstance(xml.get("namespace"), str) else None
                    )
                    xml_roots[name.split(";")[0].strip().lower()] = (root, namespace)
        return Body(
            content_type=chosen,
            schema=schema,
            required=node.get("required") is True,
            description=_text(node.get("description")),
            content_types=media_types,
            xml_roots=xml_roots,
        )

    def _responses(self, raw: Any, op: YMap, op_name: str) -> list[Response]:
        responses: list[Response] = []
        statuses = self._mapping(raw)
        success = [s for s in statuses if s.startswith("2")]
        for status, value in statuses.items():
            base, node = self.workspace.follow(
                self.path, value, statuses.at(status) if isinstance(statuses, YMap) else None
            )
            if not isinstance(node, dict):
                continue
            content = self._mapping(node.get("content"))
            content_type = None
            schema = None
            if content:
                content_type = next((m for m in content if is_json_media(m)), next(iter(content)))
                schema_node = self._mapping(content[content_type]).get("schema")
                if schema_node is not None:
                    suffix = "response" if success[:1] == [status] else f"response_{status}"
                    schema = self.table.hoist(schema_node, base, f"{op_name}_{suffix}")
            headers = [str(name).lower() for name in self._mapping(node.get("headers"))]
            responses.append(
                Response(status, _text(node.get("description")), content_type, schema, headers)
            )
        return responses


def _ordered(parameters: list[Parameter]) -> list[Parameter]:
    """Path parameters first (in template order is kept by declaration), then required, then optional."""
    order = {"path": 0, "query": 1, "header": 2, "cookie": 3}
    return sorted(parameters, key=lambda p: (not p.required, order.get(p.location, 4)))


def lower_api(
    workspace: Workspace, diagnostics: Diagnostics, path: Path, root: YMap, module: str
) -> Api:
    return ApiLowering(workspace, diagnostics, path, root).lower(module)


def _mark_credentials(api: Api) -> None:
    """Flag the parameters that carry a credential: by name, or named like one of the API's apiKey schemes."""
    scheme_names = {
        (scheme.param_name.lower(), scheme.location)
        for scheme in api.security_schemes
        if scheme.kind == "apiKey" and scheme.param_name
    }
    for op in api.operations:
        for param in op.parameters:
            if param.location == "path":
                continue
            lowered = param.name.lower()
            param.credential = (
                lowered in CREDENTIAL_PARAMETER_NAMES or (lowered, param.location) in scheme_names
            )


def _paging(op: Any) -> Paging | None:
    """The operation's paging as ``x-ms-pageable`` declares it: a ``nextLinkName`` (``null``: all results come
    in one page, nothing to follow) and an ``itemName`` (default ``value``)."""
    pageable = to_plain(op.get("x-ms-pageable"))
    if not isinstance(pageable, dict):
        return None
    next_member, item_member = pageable.get("nextLinkName"), pageable.get("itemName", "value")
    if not isinstance(next_member, str) or not next_member or not isinstance(item_member, str):
        return None
    return Paging(next_member, item_member)


# Members that hold the link to the next page when a page documents one (and one list of items).
_NEXT_MEMBERS = ("nextLink", "next_link", "next", "@odata.nextLink")


def _documented_paging(api: Api) -> None:
    """Paging for the operations without ``x-ms-pageable`` whose first success response documents it: a
    ``Link`` header (the next page's link is its ``rel="next"``; the items are the body, a list, or the one
    list member of an object), or an object with a string member named like a next link and exactly one list
    member (the items)."""
    for op in api.operations:
        success = next((r for r in op.responses if r.status.startswith("2")), None)
        if op.paging is not None or success is None or op.method != "GET":
            continue
        schema = api.resolved(success.schema)
        properties = schema.get("properties") if schema is not None else None
        properties = properties if isinstance(properties, dict) else {}
        lists = [
            name for name, member in properties.items() if "array" in _types(api.resolved(member))
        ]
        if "link" in success.headers:
            if schema is not None and schema.get("type") == "array":
                op.paging = Paging(None, None)
            elif len(lists) == 1:
                op.paging = Paging(None, lists[0])
            continue
        for name in _NEXT_MEMBERS:
            if "string" in _types(api.resolved(properties.get(name))) and len(lists) == 1:
                op.paging = Paging(name, lists[0])
                break


def _types(schema: JsonSchema | None) -> list[str]:
    kind = (schema or {}).get("type")
    return [kind] if isinstance(kind, str) else [k for k in kind or [] if isinstance(k, str)]
