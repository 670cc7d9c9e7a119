"""Normalise a Swagger 2.0 document into the OpenAPI 3.0 shape the rest of the compiler reads.

The result reuses the positioned nodes of the original wherever a value is carried over unchanged, so
diagnostics still point into the Swagger file.  What changes:

* ``definitions``/``parameters``/``responses``/``securityDefinitions`` move under ``components`` and every
  local ``$ref`` is rewritten to match;
* ``in: body`` and ``in: formData`` parameters become a ``requestBody`` whose media types come from
  ``consumes``; response ``schema`` becomes ``content`` keyed by ``produces``;
* ``host``/``basePath``/``schemes`` or ``x-ms-parameterized-host`` become ``servers`` (URL template plus
  variables);
* schema dialect differences: ``discriminator`` strings become objects (with a ``mapping`` built from
  ``x-ms-discriminator-value``), ``x-nullable`` becomes ``nullable``, ``type: file`` becomes binary strings.
"""

from __future__ import annotations

from typing import Any

from ..diagnostics import Diagnostics, Loc
from ..read import YList, YMap, typed_field

_REF_PREFIXES = {
    "#/definitions/": "#/components/schemas/",
    "#/parameters/": "#/components/parameters/",
    "#/responses/": "#/components/responses/",
}
_SCHEMA_KEYS_ONE = ("items", "additionalProperties", "not")
_SCHEMA_KEYS_MANY = ("allOf", "anyOf", "oneOf")
_PARAM_SCHEMA_KEYS = (
    "type", "format", "items", "default", "enum", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "minLength", "maxLength", "pattern", "minItems", "maxItems", "uniqueItems",
    "multipleOf",
)  # fmt: skip
_COLLECTION_STYLE = {
    "csv": ("form", False),
    "ssv": ("spaceDelimited", False),
    "pipes": ("pipeDelimited", False),
}
_OAUTH_FLOWS = {
    "implicit": "implicit",
    "password": "password",
    "application": "clientCredentials",
    "accessCode": "authorizationCode",
}
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")


def is_swagger2(root: Any) -> bool:
    return isinstance(root, dict) and str(root.get("swagger", "")).startswith("2")


def rewrite_ref(ref: str) -> str:
    """Map a Swagger 2.0 reference (local or into another file) onto the OpenAPI 3 layout."""
    file_part, _, fragment = ref.partition("#")
    for old, new in _REF_PREFIXES.items():
        if ("#" + fragment).startswith(old):
            return file_part + new + fragment[len(old) - 1 :]
    return ref


def _new(like: Any, loc: Loc | None = None) -> YMap:
    return YMap(loc or (like.loc if isinstance(like, YMap | YList) else Loc("<generated>")))


def _put(
    target: YMap, key: str, value: Any, source: Any = None, source_key: str | None = None
) -> None:
    target[key] = value
    if isinstance(source, YMap) and source_key is not None:
        target.key_locs[key] = source.key_at(source_key)
        target.value_locs[key] = source.at(source_key)
    else:
        target.key_locs[key] = target.value_locs[key] = target.loc


class _Normaliser:
    def __init__(self, root: YMap, diagnostics: Diagnostics) -> None:
        self.root = root
        self.diagnostics = diagnostics
        self.parameters = (
            self._field(root, "parameters", YMap, "a mapping of names to parameters") or {}
        )
        self.consumes = self._media(root.get("consumes"), "application/json")
        self.produces = self._media(root.get("produces"), "application/json")
        self.discriminator_children = self._discriminator_children()

    def _field(self, node: YMap, key: str, kind: type, shape: str) -> Any:
        return typed_field(node, key, kind, shape, self.diagnostics)

    def _list(self, node: YMap, key: str) -> list[Any]:
        return self._field(node, key, YList, "a list") or []

    @staticmethod
    def _media(value: Any, default: str) -> list[str]:
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return list(value)
        return [default]

    def _discriminator_children(self) -> dict[str, YMap]:
        """Parent definition name -> {discriminator value: child $ref} from allOf + x-ms-discriminator-value; each
        entry located at the child's ``x-ms-discriminator-value`` (else at its name)."""
        children: dict[str, YMap] = {}
        definitions = self.root.get("definitions")
        if not isinstance(definitions, YMap):
            return children
        for name, schema in definitions.items():
            if not isinstance(schema, YMap) or not isinstance(schema.get("allOf"), list):
                continue
            for part in schema["allOf"]:
                ref = part.get("$ref") if isinstance(part, dict) else None
                if isinstance(ref, str) and ref.startswith("#/definitions/"):
                    parent = ref[len("#/definitions/") :].replace("~1", "/").replace("~0", "~")
                    value = str(schema.get("x-ms-discriminator-value", name))
                    where = (
                        schema.at("x-ms-discriminator-value")
                        if "x-ms-discriminator-value" in schema
                        else None
                    )
                    mapping = children.setdefault(parent, _new(schema))
                    mapping[value] = "#/components/schemas/" + name.replace("~", "~0").replace(
                        "/", "~1"
                    )
                    mapping.key_locs[value] = mapping.value_locs[value] = (
                        where or definitions.key_at(name)
                    )
        return children

    # -- schemas ---------------------------------------------------------------------------------------
    def schema(self, node: Any, name: str | None = None) -> Any:
        if isinstance(node, YList):
            out_list = YList(node.loc)
            for index, item in enumerate(node):
                out_list.append(self.schema(item))
                out_list.item_locs.append(node.at(index))
            return out_list
        if not isinstance(node, YMap):
            return node
        out = _new(node)
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                _put(out, key, rewrite_ref(value), node, key)
            elif key == "discriminator" and isinstance(value, str):
                discriminator = _new(node, node.at(key))
                _put(discriminator, "propertyName", value, node, key)
                mapping = self.discriminator_children.get(name or "")
                if mapping:
                    ordered = _new(mapping)
                    for tag in sorted(mapping):
                        _put(ordered, tag, mapping[tag], mapping, tag)
                    _put(discriminator, "mapping", ordered)
                _put(out, key, discriminator, node, key)
            elif key == "x-nullable":
                _put(out, "nullable", bool(value), node, key)
            elif key == "type" and value == "file":
                _put(out, "type", "string", node, key)
                _put(out, "format", "binary", node, key)
            elif key == "properties" and isinstance(value, YMap):
                props = _new(value)
                for prop, prop_schema in value.items():
                    _put(props, prop, self.schema(prop_schema), value, prop)
                _put(out, key, props, node, key)
            elif key in _SCHEMA_KEYS_ONE or key in _SCHEMA_KEYS_MANY:
                _put(out, key, self.schema(value), node, key)
            else:
                _put(out, key, value, node, key)
        return out

    # -- parameters, bodies, responses ---------------------------------------------------------------
    def resolve_param(self, param: Any) -> Any:
        ref = param.get("$ref") if isinstance(param, dict) else None
        if isinstance(ref, str) and ref.startswith("#/parameters/"):
            target = self.parameters.get(ref[len("#/parameters/") :])
            if target is None:
                self.diagnostics.warning(
                    "unresolved-ref",
                    f"$ref '{ref}' does not resolve: no such parameter",
                    param.at("$ref"),
                )
            return target
        return param

    def parameter(self, param: YMap) -> YMap:
        out = _new(param)
        schema = _new(param)
        for key, value in param.items():
            if key in _PARAM_SCHEMA_KEYS:
                _put(schema, key, self.schema(value) if key == "items" else value, param, key)
            elif key == "collectionFormat":
                style, explode = _COLLECTION_STYLE.get(str(value), ("form", value == "multi"))
                _put(out, "style", style, param, key)
                _put(out, "explode", explode, param, key)
            elif key == "allowEmptyValue" and param.get("in") != "query":
                continue
            else:
                _put(out, key, value, param, key)
        if (
            schema.get("type") == "array"
            and "collectionFormat" not in param
            and param.get("in") == "query"
        ):
            _put(out, "style", "form")
            _put(out, "explode", False)
        if schema.get("type") == "file":
            _put(schema, "type", "string")
            _put(schema, "format", "binary")
        _put(out, "schema", schema)
        return out

    def operation(self, op: YMap) -> YMap:
        out = _new(op)
        consumes = self._media(op.get("consumes"), "") if "consumes" in op else self.consumes
        produces = self._media(op.get("produces"), "") if "produces" in op else self.produces
        params = YList(op.at("parameters") if "parameters" in op else op.loc)
        body: YMap | None = None
        form = _new(op)
        form_required: list[str] = []
        for raw in self._list(op, "parameters"):
            param = self.resolve_param(raw)
            if not isinstance(param, YMap):
                continue
            where = param.get("in")
            if where == "body":
                body = _new(param)
                if "description" in param:
                    _put(body, "description", param["description"], param, "description")
                _put(body, "required", bool(param.get("required", False)), param, "required")
                content = _new(param)
                for media in consumes or ["application/json"]:
                    media_obj = _new(param)
                    _put(media_obj, "schema", self.schema(param.get("schema", {})), param, "schema")
                    _put(content, media, media_obj, param, "schema")
                _put(body, "content", content, param, "schema")
                _put(body, "x-body-name", param.get("name", "body"), param, "name")
            elif where == "formData":
                prop = self.parameter(param)["schema"]
                if "description" in param:
                    _put(prop, "description", param["description"], param, "description")
                _put(form, str(param.get("name")), prop, param, "name")
                if param.get("required"):
                    form_required.append(str(param.get("name")))
            else:
                params.append(self.parameter(param))
                params.item_locs.append(param.loc)
        if form:
            body = self._form_body(op, form, form_required, consumes)
        for key, value in op.items():
            if key == "parameters":
                _put(out, key, params, op, key)
            elif key == "responses" and isinstance(value, YMap):
                _put(out, key, self.responses(value, produces), op, key)
            elif key in ("consumes", "produces", "schemes"):
                continue
            else:
                _put(out, key, value, op, key)
        if body is not None:
            _put(out, "requestBody", body)
        return out

    def _form_body(self, op: YMap, form: YMap, required: list[str], consumes: list[str]) -> YMap:
        has_file = any(isinstance(p, dict) and p.get("format") == "binary" for p in form.values())
        media = (
            "multipart/form-data"
            if has_file or "multipart/form-data" in consumes
            else ("application/x-www-form-urlencoded")
        )
        schema = _new(op)
        _put(schema, "type", "object")
        _put(schema, "properties", form)
        if required:
            _put(schema, "required", required)
        media_obj = _new(op)
        _put(media_obj, "schema", schema)
        content = _new(op)
        _put(content, media, media_obj)
        body = _new(op)
        _put(body, "required", bool(required))
        _put(body, "content", content)
        return body

    def responses(self, responses: YMap, produces: list[str]) -> YMap:
        out = _new(responses)
        for status, response in responses.items():
            _put(out, status, self.response(response, produces), responses, status)
        return out

    def response(self, response: Any, produces: list[str]) -> Any:
        if not isinstance(response, YMap):
            return response
        if isinstance(response.get("$ref"), str):
            out_ref = _new(response)
            _put(out_ref, "$ref", rewrite_ref(response["$ref"]), response, "$ref")
            return out_ref
        out = _new(response)
        for key, value in response.items():
            if key == "schema":
                content = _new(response, response.at(key))
                for media in produces or ["application/json"]:
                    media_obj = _new(response, response.at(key))
                    _put(media_obj, "schema", self.schema(value), response, key)
                    _put(content, media, media_obj, response, key)
                _put(out, "content", content, response, key)
            elif key == "headers" and isinstance(value, YMap):
                headers = _new(value)
                for name, header in value.items():
                    if isinstance(header, YMap):
                        converted = self.parameter(header)
                        converted.pop("in", None)
                        _put(headers, name, converted, value, name)
                _put(out, key, headers, response, key)
            elif key == "examples":
                continue
            else:
                _put(out, key, value, response, key)
        return out

    # -- document --------------------------------------------------------------------------------------
    def servers(self) -> YList:
        root = self.root
        servers = YList(root.loc)
        listed = self._field(root, "schemes", YList, "a list of strings") or []
        schemes = [s for s in listed if isinstance(s, str)] or ["https"]
        scheme = "https" if "https" in schemes else schemes[0]
        base_path = str(root.get("basePath") or "").rstrip("/")
        server = _new(root)
        parameterized = root.get("x-ms-parameterized-host")
        if isinstance(parameterized, YMap):
            host = str(parameterized.get("hostTemplate", ""))
            use_scheme = parameterized.get("useSchemePrefix", True) is not False
            url = (f"{scheme}://" if use_scheme else "") + host + base_path
            variables = _new(parameterized)
            for raw in self._list(parameterized, "parameters"):
                param = self.resolve_param(raw)
                if not isinstance(param, YMap) or "name" not in param:
                    continue
                variable = _new(param)
                for key in ("description", "default", "enum"):
                    if key in param:
                        _put(variable, key, param[key], param, key)
                if param.get("format") == "uri":
                    _put(variable, "x-format", "uri", param, "format")
                _put(variables, str(param["name"]), variable, param, "name")
            _put(server, "url", url, parameterized, "hostTemplate")
            _put(server, "variables", variables, root, "x-ms-parameterized-host")
        elif root.get("host"):
            _put(server, "url", f"{scheme}://{root['host']}{base_path}", root, "host")
        else:
            _put(
                server,
                "url",
                base_path or "/",
                root,
                "basePath" if "basePath" in root else "swagger",
            )
        servers.append(server)
        servers.item_locs.append(server.loc)
        return servers

    def security_schemes(self, definitions: YMap) -> YMap:
        out = _new(definitions)
        for name, scheme in definitions.items():
            if not isinstance(scheme, YMap):
                continue
            kind = scheme.get("type")
            converted = _new(scheme)
            if kind == "basic":
                _put(converted, "type", "http", scheme, "type")
                _put(converted, "scheme", "basic", scheme, "type")
            elif kind == "oauth2":
                _put(converted, "type", "oauth2", scheme, "type")
                flow = _new(scheme)
                for key in ("authorizationUrl", "tokenUrl"):
                    if key in scheme:
                        _put(flow, key, scheme[key], scheme, key)
                _put(flow, "scopes", scheme.get("scopes") or {}, scheme, "scopes")
                flows = _new(scheme)
                _put(
                    flows,
                    _OAUTH_FLOWS.get(str(scheme.get("flow")), "implicit"),
                    flow,
                    scheme,
                    "flow",
                )
                _put(converted, "flows", flows, scheme, "flow")
            else:
                for key, value in scheme.items():
                    _put(converted, key, value, scheme, key)
            if "description" in scheme:
                _put(converted, "description", scheme["description"], scheme, "description")
            _put(out, name, converted, definitions, name)
        return out

    def document(self) -> YMap:
        root = self.root
        out = _new(root)
        _put(out, "openapi", "3.0.3", root, "swagger")
        _put(out, "x-original-format", "swagger-2.0", root, "swagger")
        for key in ("info", "tags", "externalDocs", "security"):
            if key in root:
                _put(out, key, root[key], root, key)
        _put(out, "servers", self.servers())
        paths = _new(root, root.at("paths") if "paths" in root else None)
        for path, item in (
            self._field(root, "paths", YMap, "a mapping of paths to path items") or {}
        ).items():
            if not isinstance(item, YMap):
                continue
            new_item = _new(item)
            path_params = YList(item.at("parameters") if "parameters" in item else item.loc)
            for raw in self._list(item, "parameters"):
                param = self.resolve_param(raw)
                if isinstance(param, YMap) and param.get("in") not in ("body", "formData"):
                    path_params.append(self.parameter(param))
                    path_params.item_locs.append(param.loc)
            if path_params:
                _put(new_item, "parameters", path_params, item, "parameters")
            for key, value in item.items():
                if key in _METHODS and isinstance(value, YMap):
                    merged = self._with_path_body_params(value, item)
                    _put(new_item, key, self.operation(merged), item, key)
                elif key.startswith("x-"):
                    _put(new_item, key, value, item, key)
            _put(paths, path, new_item, root["paths"], path)
        _put(out, "paths", paths, root, "paths" if "paths" in root else "swagger")
        components = _new(root)
        definitions = self._field(root, "definitions", YMap, "a mapping of names to schemas")
        if isinstance(definitions, YMap):
            schemas = _new(definitions)
            for name, schema in definitions.items():
                _put(schemas, name, self.schema(schema, name), definitions, name)
            _put(components, "schemas", schemas, root, "definitions")
        parameters = self.parameters
        if isinstance(parameters, YMap):
            params = _new(parameters)
            for name, param in parameters.items():
                if isinstance(param, YMap) and param.get("in") not in ("body", "formData"):
                    _put(params, name, self.parameter(param), parameters, name)
            _put(components, "parameters", params, root, "parameters")
        responses = self._field(root, "responses", YMap, "a mapping of names to responses")
        if isinstance(responses, YMap):
            _put(
                components, "responses", self.responses(responses, self.produces), root, "responses"
            )
        security = self._field(
            root, "securityDefinitions", YMap, "a mapping of names to security schemes"
        )
        if isinstance(security, YMap):
            _put(
                components,
                "securitySchemes",
                self.security_schemes(security),
                root,
                "securityDefinitions",
            )
        _put(out, "components", components)
        for key, value in root.items():
            if key.startswith("x-") and key != "x-ms-parameterized-host":
                _put(out, key, value, root, key)
        return out

    def _with_path_body_params(self, op: YMap, item: YMap) -> YMap:
        """Body/formData parameters declared on the path item apply to each operation under it."""
        extra = [
            p
            for p in (self.resolve_param(raw) for raw in self._list(item, "parameters"))
            if isinstance(p, YMap) and p.get("in") in ("body", "formData")
        ]
        if not extra:
            return op
        merged = _new(op)
        for key, value in op.items():
            _put(merged, key, value, op, key)
        params = YList(op.loc)
        for param in self._list(op, "parameters") + extra:
            params.append(param)
            params.item_locs.append(param.loc if isinstance(param, YMap) else op.loc)
        _put(merged, "parameters", params, op, "parameters" if "parameters" in op else None)
        return merged


def normalise_swagger2(root: YMap, diagnostics: Diagnostics) -> YMap:
    return _Normaliser(root, diagnostics).document()
