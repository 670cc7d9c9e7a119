"""Hypothesis strategies: Arazzo + OpenAPI/Swagger documents, well-formed and mutated, with hostile names.

:func:`fuzz_cases` draws a :class:`FuzzCase`: a small specs tree (one or two Arazzo documents, one or two API
documents) as file bytes.  Two kinds of position get two kinds of string:

- *name* positions (schema keys, property names, enum values, operationIds, path parameters, parameter names,
  security scheme names, server variables, workflowIds, stepIds, inputs, outputs, source names, file names)
  get hostile names: keywords, soft keywords, builtins, dunders, ``self``, runtime helper names, NFKC
  look-alikes, digits-first, empty, very long, punctuation, control/bidi characters, code fragments, and
  small pools of names that collide after snake-casing;
- *text* positions (titles, descriptions, summaries, defaults, examples, server urls, path literals, payload
  literals, criteria literals, regexes) get hostile text around a unique sentinel ``QZX<n>Q``; the harness
  checks every sentinel in generated Python sits inside a string or comment token.

Every list is ordered so that hypothesis shrinks towards the benign first element: a shrunk failing example
keeps only the hostile values the failure needs.
"""

from __future__ import annotations

import json
import keyword
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import yaml
from hypothesis import strategies as st

SENTINEL = re.compile(r"QZX\d+Q")

# --- names ------------------------------------------------------------------------------------------------

PLAIN_NAMES = ["name", "id", "value", "itemId", "count", "petName", "status"]

KEYWORD_NAMES = sorted(keyword.kwlist) + sorted(keyword.softkwlist)
BUILTIN_NAMES = [
    "str", "bool", "int", "float", "list", "dict", "set", "frozenset", "bytes", "type", "object", "id", "len",
    "print", "super", "property", "isinstance", "getattr", "range", "open", "input", "format", "hash", "iter",
    "next", "vars", "min", "max", "any", "all", "Exception", "ValueError", "NotImplemented", "Ellipsis",
]  # fmt: skip
DUNDER_NAMES = ["__init__", "__class__", "__dict__", "__import__", "__name__", "__all__", "__getattr__", "_"]
RUNTIME_NAMES = [
    "self", "cls", "json_pointer", "base_url_for", "query", "headers", "cookies", "timeout", "http_client",
    "base_url", "run", "runAsync", "run_async", "model_config", "model_fields", "model_dump", "httpx",
    "pydantic", "typing", "json", "os", "re", "sys", "Client", "AsyncClient", "ApiError", "ApiStatusError",
    "StepFailed", "ApiResponse", "BaseClient", "BaseModel", "Field", "Any", "Optional", "Mapping", "models",
    "DEFAULT_TIMEOUT", "SERVER_URL", "annotations", "response", "request", "body", "url", "params", "Outputs",
]  # fmt: skip
LOOKALIKE_NAMES = ["ﬁeld", "field", "ｃｌａｓｓ", "ℌeader", "𝐱", "x", "ªb", "Ⅸ", "ǅx", "é", "日本", "ß", "İd"]
DIGIT_NAMES = ["1st", "123", "0x1", "1e5", "9-lives", "007"]
# Pairs and triples that collide after snake-casing, normalisation or case folding.
COLLIDING_NAMES = [
    "a-b", "a_b", "a.b", "a b", "aB", "AB", "a__b", "A-B", "camelCase", "camel_case", "camel-case",
    "CamelCase", "item", "Item", "ITEM", "item_", "_item", "item2", "item_2",
]  # fmt: skip
ODD_NAMES = [
    "", " ", "_", "__", "-", ".", "$", "$ref", "{x}", "{}", "a{b}c", "a/b", "a~b", "a#b", "a?b", "a%20b",
    "a\"b", "a'b", "a\\b", '"""', "'''", "a\nb", "a\r\nb", "a\rb", "a\x85b", "a\u2028b", "a\x00b", "a\x1bb",
    "a\u202eb", "a\u2066b", "\ufeffa", "a\tb", '__import__("os")', "x); import os; os.system('id'); (",
    "a" * 200, "x" * 64 + "Y" * 64, "#comment", "a:b", "a=b", "@decorator", "lambda: 0",
]  # fmt: skip

HOSTILE_NAMES = (
    PLAIN_NAMES + KEYWORD_NAMES + BUILTIN_NAMES + DUNDER_NAMES + RUNTIME_NAMES + LOOKALIKE_NAMES + DIGIT_NAMES
    + COLLIDING_NAMES + ODD_NAMES
)  # fmt: skip

# Names usable as file names (no separators, no NUL, not empty, not '.'/'..').
FILE_NAMES = ["api", "pets", "class", "self", "__init__", "str", "json", "a-b", "a_b", "1st", "日本", "ﬁle",
              "none", "None", "typing", "workflows", "apis", "_runtime", "models", "client", "x" * 80]


def names() -> st.SearchStrategy[str]:
    """A name for any name position: mostly from the hostile lists, sometimes arbitrary text."""
    return st.one_of(
        st.sampled_from(HOSTILE_NAMES),
        st.sampled_from(HOSTILE_NAMES),
        st.sampled_from(COLLIDING_NAMES + LOOKALIKE_NAMES),
        st.text(min_size=0, max_size=12),
        st.from_regex(r"[A-Za-z_][A-Za-z0-9_\-. ]{0,10}", fullmatch=True),
    )


def tame_names() -> st.SearchStrategy[str]:
    """A name likely to survive expression parsing (no spaces, dots or punctuation), still hostile to Python."""
    tame = [n for n in HOSTILE_NAMES if re.fullmatch(r"[A-Za-z0-9_\-\u00a0-\uffff]+", n) and n != "_"]
    colliding = [n for n in COLLIDING_NAMES + LOOKALIKE_NAMES if n in tame]
    return st.one_of(st.sampled_from(tame), st.sampled_from(colliding))


# --- text -------------------------------------------------------------------------------------------------

TEXT_FRAGMENTS = [
    "", "plain words", '"', "'", '"""', "'''", "\\", "\\n", "\\x41", "\\N{BULLET}", "\\u0041", "{", "}", "{}",
    "{x}", "{{x}}", "%s", "%(x)s", "$", "$inputs.x", "#", "# type: ignore",
    "\n", "\r\n", "\r", "\x85", "\u2028", "\u2029", "\t", "\x00", "\x07", "\x08", "\x0b", "\x0c", "\x1b[31m",
    "\x1b]0;title\x07", "\x7f", "\u202e", "\u2066", "\u200f", "\ufeff", "\u00a0", "café 日本語 🚀",
    '__import__("os").system("id")', '"); import os; os.system("id"); ("', "'''; import os; '''",
    '""" + __import__("os").getcwd() + """', "\\\n", " trailing backslash \\", "ends with quote\"",
    "x" * 300, "-->", "<!--", "*/", "]]>", "${{ x }}", "`id`", "\\\"", "\\'",
]  # fmt: skip


class _Gen:
    """Per-example drawing context: hands out unique sentinels."""

    def __init__(self, draw: Any) -> None:
        self.draw = draw
        self.count = 0
        self.sentinels: list[str] = []

    def sentinel(self) -> str:
        self.count += 1
        token = f"QZX{self.count}Q"
        self.sentinels.append(token)
        return token

    def text(self) -> str:
        """Hostile text carrying one sentinel."""
        before = self.draw(st.sampled_from(TEXT_FRAGMENTS))
        after = self.draw(st.sampled_from(TEXT_FRAGMENTS))
        return before + self.sentinel() + after

    def name(self) -> str:
        return str(self.draw(names()))

    def tame(self) -> str:
        return str(self.draw(tame_names()))

    def names(self, min_size: int = 0, max_size: int = 3, *, tame: bool = False) -> list[str]:
        strategy = tame_names() if tame else names()
        return list(self.draw(st.lists(strategy, min_size=min_size, max_size=max_size, unique=True)))

    def flag(self, p: float = 0.5) -> bool:
        # Shrinks towards False (integers shrink towards 0).
        return bool(self.draw(st.integers(0, 99)) >= 100 - int(p * 100))

    def pick(self, options: list[Any]) -> Any:
        return self.draw(st.sampled_from(options))


# --- OpenAPI ----------------------------------------------------------------------------------------------


@dataclass
class Op:
    operation_id: str
    path: str
    method: str
    params: list[tuple[str, str, bool]]  # (name, in, required)
    has_body: bool
    body_props: list[str]
    response_props: list[str]


@dataclass
class ApiDoc:
    filename: str
    doc: dict[str, Any]
    ops: list[Op] = field(default_factory=list)


def _pointer_ref(prefix: str, key: str) -> str:
    token = key.replace("~", "~0").replace("/", "~1")
    return prefix + urllib.parse.quote(token, safe="~!$&'()*+,;=:@")


PATTERNS = ["^[a-z]+$", "[[A-Z0-9]{1,18}", "^\\p{L}+$", "(?<name>x)", "\\d{3}", "a++", "(?i)x"]
FORMATS = ["date-time", "date", "uuid", "email", "uri", "int64", "binary", "byte", "ipv4", "password"]


def _scalar_schema(g: _Gen, schema_keys: list[str], depth: int) -> dict[str, Any]:
    kind = g.pick(["string", "integer", "boolean", "number", "enum", "array", "ref", "object", "free"])
    schema: dict[str, Any]
    if kind == "string":
        schema = {"type": "string"}
        if g.flag(0.3):
            schema["default"] = g.text()
        if g.flag(0.2):
            schema["format"] = g.pick(FORMATS)
        if g.flag(0.1):
            schema["pattern"] = g.pick(PATTERNS)
        if g.flag(0.2):
            schema["example"] = g.text()
    elif kind == "integer":
        schema = {"type": "integer"}
        if g.flag(0.3):
            schema["default"] = g.pick([0, -1, 2**70, 7])
    elif kind == "number":
        schema = {"type": "number", "minimum": g.pick([0, -1.5, 1e308])}
    elif kind == "boolean":
        schema = {"type": "boolean", "default": g.pick([True, False])} if g.flag(0.3) else {"type": "boolean"}
    elif kind == "enum":
        values = g.names(1, 5)
        schema = {"type": "string", "enum": values}
        if g.flag(0.3):
            schema["default"] = values[0]
    elif kind == "array":
        schema = {"type": "array", "items": _scalar_schema(g, schema_keys, depth + 1) if depth < 2 else {"type": "string"}}
    elif kind == "ref" and schema_keys:
        schema = {"$ref": _pointer_ref("#/components/schemas/", g.pick(schema_keys))}
    elif kind == "object" and depth < 2:
        schema = _object_schema(g, schema_keys, depth + 1)
    else:
        schema = {}
    if g.flag(0.3):
        schema["description"] = g.text()
    if g.flag(0.1):
        schema["nullable"] = True
    return schema


def _object_schema(g: _Gen, schema_keys: list[str], depth: int) -> dict[str, Any]:
    props = g.names(0, 3)
    schema: dict[str, Any] = {"type": "object", "properties": {p: _scalar_schema(g, schema_keys, depth) for p in props}}
    if props and g.flag(0.4):
        schema["required"] = props[: g.draw(st.integers(1, len(props)))]
    if g.flag(0.3):
        schema["description"] = g.text()
    if g.flag(0.1):
        schema["title"] = g.text()
    if g.flag(0.1):
        schema["additionalProperties"] = g.pick([False, True, {"type": "string"}])
    return schema


def _path_template(g: _Gen) -> tuple[str, list[str]]:
    segments: list[str] = []
    params: list[str] = []
    for _ in range(g.draw(st.integers(1, 3))):
        if g.flag(0.5):
            name = g.name()
            params.append(name)
            segments.append("{" + name + "}")
        else:
            segments.append(g.pick(["items", "v1", "a b", "a\"b", "a'b", "a\\b", "%7B", "a$b", "é"]) + g.sentinel())
    path = "/" + "/".join(segments)
    if g.flag(0.1):  # the S3 shape: a template after '?'
        name = g.name()
        params.append(name)
        path += "?" + g.pick(["partNumber", "x", "uploads"]) + "={" + name + "}"
    return path, params


def _parameter(g: _Gen, name: str, where: str, swagger: bool) -> dict[str, Any]:
    schema = g.pick([{"type": "string"}, {"type": "integer"}, {"type": "boolean"},
                     {"type": "array", "items": {"type": "string"}}, {"type": "string", "enum": g.names(1, 3)}])
    param: dict[str, Any] = {"name": name, "in": where}
    if where == "path" or g.flag(0.3):
        param["required"] = True
    if g.flag(0.3):
        param["description"] = g.text()
    if g.flag(0.2) and schema.get("type") == "string":
        schema = {**schema, "default": g.text()}
    if swagger:
        param.update(schema)
        if schema.get("type") == "array":
            param["collectionFormat"] = g.pick(["csv", "multi", "pipes"])
    else:
        param["schema"] = schema
    return param


def api_document(g: _Gen, filename: str) -> ApiDoc:
    swagger = g.flag(0.2)
    schema_keys = g.names(0, 2)
    schemas = {key: _object_schema(g, schema_keys, 0) for key in schema_keys}
    info: dict[str, Any] = {"title": g.text(), "version": g.text() if g.flag(0.3) else "1.0"}
    if g.flag(0.5):
        info["description"] = g.text()
    api = ApiDoc(filename, {})
    paths: dict[str, Any] = {}
    for _ in range(g.draw(st.integers(1, 2))):
        path, path_params = _path_template(g)
        method = g.pick(["get", "post", "put", "delete", "patch"])
        op_id = g.name()
        params = [_parameter(g, p, "path", swagger) for p in path_params]
        for name in g.names(0, 2):
            params.append(_parameter(g, name, g.pick(["query", "header", "cookie"]) if not swagger else
                                     g.pick(["query", "header"]), swagger))
        operation: dict[str, Any] = {"operationId": op_id, "responses": {}}
        if g.flag(0.5):
            operation["summary"] = g.text()
        if g.flag(0.3):
            operation["description"] = g.text()
        if params:
            operation["parameters"] = params
        body_props: list[str] = []
        if method in ("post", "put", "patch") and g.flag(0.7):
            body = _object_schema(g, schema_keys, 1)
            body_props = list(body["properties"])
            if swagger:
                params.append({"name": g.name(), "in": "body", "required": True, "schema": body})
                operation["parameters"] = params
            else:
                operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
        response_schema: dict[str, Any]
        response_props: list[str] = []
        if schema_keys and g.flag(0.5):
            key = g.pick(schema_keys)
            prefix = "#/definitions/" if swagger else "#/components/schemas/"
            response_schema = {"$ref": _pointer_ref(prefix, key)}
            response_props = list(schemas[key]["properties"])
        else:
            response_schema = _object_schema(g, schema_keys, 1)
            response_props = list(response_schema["properties"])
        ok: dict[str, Any] = {"description": g.text()}
        if swagger:
            ok["schema"] = response_schema
        else:
            ok["content"] = {"application/json": {"schema": response_schema}}
        if g.flag(0.3):
            ok["headers"] = {h: {"description": g.text(), "schema": {"type": "string"}} for h in g.names(1, 2)}
            if swagger:
                ok["headers"] = {h: {"type": "string"} for h in ok["headers"]}
        operation["responses"][g.pick(["200", "201", "2XX", "default"])] = ok
        if g.flag(0.3):
            operation["responses"][g.pick(["404", "400", "500", "4XX"])] = {"description": g.text()}
        paths.setdefault(path, {})[method] = operation
        api.ops.append(Op(op_id, path, method,
                          [(p["name"], p["in"], bool(p.get("required"))) for p in params if p["in"] != "body"],
                          bool(body_props) or "requestBody" in operation or any(p["in"] == "body" for p in params),
                          body_props, response_props))
    security_schemes: dict[str, Any] = {}
    for scheme in g.names(0, 3):
        kind = g.pick(["apiKey", "bearer", "basic", "oauth2"])
        if kind == "apiKey":
            security_schemes[scheme] = {"type": "apiKey", "in": g.pick(["header", "query", "cookie"]), "name": g.name()}
        elif kind == "oauth2":
            security_schemes[scheme] = {"type": "oauth2", "flows": {"clientCredentials": {
                "tokenUrl": "https://auth.example/" + g.sentinel(), "scopes": {}}}}
        elif swagger:
            security_schemes[scheme] = {"type": "basic"}
        else:
            security_schemes[scheme] = {"type": "http", "scheme": kind}
        if g.flag(0.3):
            security_schemes[scheme]["description"] = g.text()
    if swagger:
        doc: dict[str, Any] = {"swagger": "2.0", "info": info, "host": "api.example.com",
                               "basePath": "/" + g.sentinel(), "schemes": ["https"], "paths": paths}
        if schemas:
            doc["definitions"] = {k: _swaggerise(v) for k, v in schemas.items()}
            for item in paths.values():
                for operation in item.values():
                    _swaggerise(operation)
        if security_schemes:
            doc["securityDefinitions"] = {
                k: v if v["type"] != "oauth2" else {"type": "oauth2", "flow": "application",
                                                   "tokenUrl": v["flows"]["clientCredentials"]["tokenUrl"],
                                                   "scopes": {}}
                for k, v in security_schemes.items()
            }
    else:
        doc = {"openapi": g.pick(["3.0.3", "3.1.0"]), "info": info}
        if g.flag(0.8):
            doc["servers"] = [_server(g) for _ in range(g.draw(st.integers(1, 2)))]
        doc["paths"] = paths
        components: dict[str, Any] = {}
        if schemas:
            components["schemas"] = schemas
        if security_schemes:
            components["securitySchemes"] = security_schemes
        if components:
            doc["components"] = components
    if security_schemes:
        doc["security"] = [{name: []} for name in security_schemes]
    api.doc = doc
    return api


def _swaggerise(node: Any) -> Any:
    """Rewrite component refs for Swagger 2.0 in place."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                node[key] = value.replace("#/components/schemas/", "#/definitions/")
            else:
                _swaggerise(value)
        node.pop("nullable", None)
    elif isinstance(node, list):
        for item in node:
            _swaggerise(item)
    return node


def _server(g: _Gen) -> dict[str, Any]:
    variables = g.names(0, 2)
    url = g.pick(["https://api.example.com/", "http://127.0.0.1:8080/", "/relative/", "{scheme}://x/", ""])
    url += g.pick(["", "a\"b/", "a'b/", "a\\b/", "a b/", "%7B/"]) + g.sentinel()
    url += "".join("/{" + v + "}" for v in variables)
    server: dict[str, Any] = {"url": url}
    if g.flag(0.3):
        server["description"] = g.text()
    if variables:
        server["variables"] = {}
        for v in variables:
            variable: dict[str, Any] = {"default": g.text()}
            if g.flag(0.3):
                variable["enum"] = [variable["default"], g.text()]
            if g.flag(0.3):
                variable["description"] = g.text()
            server["variables"][v] = variable
    return server


# --- Arazzo -----------------------------------------------------------------------------------------------


def _json_pointer(prop: str) -> str:
    return "/" + prop.replace("~", "~0").replace("/", "~1")


def _literal(g: _Gen, input_names: list[str], depth: int = 0) -> Any:
    kind = g.pick(["text", "int", "bool", "null", "input", "object", "list", "template"])
    if kind == "text":
        return g.text()
    if kind == "int":
        return g.pick([0, -1, 2**64, 3])
    if kind == "bool":
        return g.pick([True, False])
    if kind == "null":
        return None
    if kind == "input" and input_names:
        return "$inputs." + g.pick(input_names)
    if kind == "template" and input_names:
        return g.text() + "{$inputs." + g.pick(input_names) + "}"
    if kind == "list" and depth < 2:
        return [_literal(g, input_names, depth + 1) for _ in range(g.draw(st.integers(0, 2)))]
    if depth < 2:
        return {k: _literal(g, input_names, depth + 1) for k in g.names(0, 3)}
    return g.text()


def arazzo_document(g: _Gen, apis: list[ApiDoc], api_dir: str, earlier: list[str]) -> dict[str, Any]:
    sources = g.names(len(apis), len(apis), tame=True)
    if len(sources) < len(apis):
        sources = [f"src{i}" for i in range(len(apis))]
    doc: dict[str, Any] = {
        "arazzo": g.pick(["1.0.1", "1.0.0"]),
        "info": {"title": g.text(), "version": g.text() if g.flag(0.2) else "1.0.0"},
        "sourceDescriptions": [
            {"name": name, "url": f"../{api_dir}/{api.filename}", "type": "openapi"}
            for name, api in zip(sources, apis, strict=True)
        ],
        "workflows": [],
    }
    if g.flag(0.4):
        doc["info"]["description"] = g.text()
    if g.flag(0.3):
        doc["info"]["summary"] = g.text()
    workflow_ids = g.names(1, 2, tame=g.flag(0.6))
    if earlier and g.flag(0.3):  # the same workflowId in two documents
        workflow_ids[0] = g.pick(earlier)
    for workflow_id in dict.fromkeys(workflow_ids):
        doc["workflows"].append(_workflow(g, workflow_id, apis, sources))
        earlier.append(workflow_id)
    return doc


def _workflow(g: _Gen, workflow_id: str, apis: list[ApiDoc], sources: list[str]) -> dict[str, Any]:
    input_names = g.names(0, 3, tame=not g.flag(0.15))
    workflow: dict[str, Any] = {"workflowId": workflow_id}
    if g.flag(0.5):
        workflow["summary"] = g.text()
    if g.flag(0.3):
        workflow["description"] = g.text()
    if input_names:
        properties: dict[str, Any] = {}
        for name in input_names:
            schema = g.pick([{"type": "string"}, {"type": "integer"}, {"type": "boolean"}, {"type": "number"},
                             {"type": "array", "items": {"type": "string"}}, {}])
            schema = dict(schema)
            if g.flag(0.3):
                schema["description"] = g.text()
            if g.flag(0.2) and schema.get("type") == "string":
                schema["default"] = g.text()
            properties[name] = schema
        workflow["inputs"] = {"type": "object", "properties": properties}
        if g.flag(0.5):
            workflow["inputs"]["required"] = input_names[:1]
    steps: list[dict[str, Any]] = []
    step_outputs: dict[str, list[str]] = {}
    for step_id in g.names(1, 3, tame=not g.flag(0.15)):
        api_index = g.draw(st.integers(0, len(apis) - 1))
        api, source = apis[api_index], sources[api_index]
        op = g.pick(api.ops)
        step: dict[str, Any] = {"stepId": step_id}
        if g.flag(0.3):
            step["description"] = g.text()
        how = g.pick(["id", "qualified", "path"] if len(apis) == 1 else ["qualified", "path", "id"])
        if how == "id":
            step["operationId"] = op.operation_id
        elif how == "qualified":
            step["operationId"] = f"$sourceDescriptions.{source}.{op.operation_id}"
        else:
            pointer = op.path.replace("~", "~0").replace("/", "~1")
            step["operationPath"] = "{$sourceDescriptions." + source + ".url}#/paths/" + pointer + "/" + op.method
        parameters = []
        for name, where, required in op.params:
            if required or g.flag(0.6):
                parameters.append({"name": name, "in": where, "value": _literal(g, input_names) if g.flag(0.5)
                                   else ("$inputs." + g.pick(input_names) if input_names else g.text())})
        if parameters:
            step["parameters"] = parameters
        if op.has_body or g.flag(0.05):
            payload = {p: _literal(g, input_names) for p in op.body_props}
            if g.flag(0.3):
                payload = _literal(g, input_names)
            step["requestBody"] = {"contentType": "application/json", "payload": payload}
        criteria: list[dict[str, Any]] = [{"condition": "$statusCode == " + g.pick(["200", "201", "204"])}]
        if op.response_props and g.flag(0.4):
            prop = g.pick(op.response_props)
            criteria.append({"condition": f"$response.body#{_json_pointer(prop)} == '{g.text()}'"})
        if g.flag(0.3):
            context = "$statusCode"
            if op.response_props:
                context = "$response.body#" + _json_pointer(g.pick(op.response_props))
            criteria.append({"context": context, "condition": g.pick(["^2", "^[a-z\"]+\\d$", "(", "\\"]) + g.sentinel(),
                             "type": "regex"})
        step["successCriteria"] = criteria
        outputs: dict[str, str] = {}
        for out in g.names(0, 2, tame=not g.flag(0.15)):
            if op.response_props and g.flag(0.7):
                outputs[out] = "$response.body#" + _json_pointer(g.pick(op.response_props))
            else:
                outputs[out] = g.pick(["$statusCode", "$response.body", "$response.header.X-Id", "$url", "$method"])
        if outputs:
            step["outputs"] = outputs
        step_outputs[step_id] = list(outputs)
        steps.append(step)
    workflow["steps"] = steps
    workflow_outputs: dict[str, str] = {}
    for out in g.names(0, 2, tame=not g.flag(0.15)):
        candidates = [(s, o) for s, outs in step_outputs.items() for o in outs]
        if candidates:
            s, o = g.pick(candidates)
            workflow_outputs[out] = f"$steps.{s}.outputs.{o}"
    if workflow_outputs:
        workflow["outputs"] = workflow_outputs
    return workflow


# --- mutation and serialisation ---------------------------------------------------------------------------


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_paths(value, (*prefix, index)))
    return found


def _mutate(g: _Gen, doc: dict[str, Any]) -> None:
    paths = _paths(doc)
    if not paths:
        return
    path = g.pick(paths)
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    how = g.pick(["delete", "null", "int", "list", "dict", "name", "text", "rename"])
    if how == "delete":
        del parent[last]
    elif how == "null":
        parent[last] = None
    elif how == "int":
        parent[last] = g.pick([0, -1, 1.5, 10**30])
    elif how == "list":
        parent[last] = [g.name()]
    elif how == "dict":
        parent[last] = {g.name(): g.text()}
    elif how == "name":
        parent[last] = g.name()
    elif how == "text":
        parent[last] = g.text()
    elif how == "rename" and isinstance(parent, dict):
        parent[g.name()] = parent.pop(last)


def _serialise(g: _Gen, doc: dict[str, Any], as_json: bool) -> bytes:
    if as_json:
        return json.dumps(doc, indent=2, ensure_ascii=g.flag(0.5)).encode("utf-8", "surrogatepass")
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=g.flag(0.5), width=g.pick([80, 10**6]))
    return text.encode("utf-8", "surrogatepass")


RAW_INSERTS = [b"\xff", b"\t", b": :", b"&a x", b"*nope", b"\xef\xbb\xbf", b"\x00", b"{", b"'", b"\r", b"- "]


class FuzzCase:
    """One specs tree; a plain class (not a dataclass) so hypothesis prints it with :meth:`__repr__`."""

    def __init__(self, files: dict[str, bytes], sentinels: list[str], mutated: bool) -> None:
        self.files = files  # path under SPECS -> bytes
        self.sentinels = sentinels
        self.mutated = mutated

    def __repr__(self) -> str:  # shown by hypothesis for a falsifying example: the documents themselves
        parts = [f"FuzzCase(mutated={self.mutated})"]
        for name, data in self.files.items():
            parts.append(f"--- {name}\n{data.decode('utf-8', 'backslashreplace')}")
        return "\n".join(parts)


@st.composite
def fuzz_cases(draw: Any) -> FuzzCase:
    g = _Gen(draw)
    api_dir = g.pick(["openapi", "apis", "a b"])
    api_names = g.draw(st.lists(st.sampled_from(FILE_NAMES), min_size=1, max_size=2, unique=True))
    apis = []
    for stem in api_names:
        ext = g.pick([".yaml", ".json", ".yml"])
        apis.append(api_document(g, stem + ext))
    documents: dict[str, dict[str, Any]] = {}
    arazzo_names = g.draw(st.lists(st.sampled_from(FILE_NAMES), min_size=1, max_size=2, unique=True))
    workflow_ids: list[str] = []
    for stem in arazzo_names:
        ext = g.pick([".arazzo.yaml", ".arazzo.json", ".yaml"])
        documents[f"arazzo/{stem}{ext}"] = arazzo_document(g, apis, api_dir, workflow_ids)
    for api in apis:
        documents[f"{api_dir}/{api.filename}"] = api.doc
    mutated = g.flag(0.4)
    if mutated:
        targets = sorted(documents)
        for _ in range(g.draw(st.integers(1, 3))):
            _mutate(g, documents[g.pick(targets)])
    files = {path: _serialise(g, doc, path.endswith(".json")) for path, doc in documents.items()}
    if g.flag(0.05):  # byte-level damage
        mutated = True
        path = g.pick(sorted(files))
        data = files[path]
        at = g.draw(st.integers(0, len(data)))
        files[path] = data[:at] + g.pick(RAW_INSERTS) + data[at:]
    return FuzzCase(files, g.sentinels, mutated)
