"""Validate stand-in responses against the public OpenAPI/Swagger documents.

IBM Qiskit Runtime documents (OpenAPI 3.0) are checked with openapi-core; the
Azure Quantum data-plane document (Swagger 2.0) is translated to a draft-4
JSON Schema registry and checked with jsonschema.

The public documents live outside the repository, in ``<repo>/../shared/specs/openapi``.
When that directory is absent the validator is disabled and says why in
``disabled_reason``; ``validate`` then reports nothing.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from jsonschema import Draft4Validator
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator
from referencing import Registry
from referencing.jsonschema import DRAFT4

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SPEC_DIR = REPO_ROOT / ".." / "shared" / "specs" / "openapi"

IBM_DOCUMENTS = (
    "ibm-quantum-runtime-sessions-openapi.yml",
    "ibm-quantum-runtime-jobs-openapi.yml",
)
AZURE_DOCUMENT = "azure-quantum-data-plane-openapi.json"
AZURE_REGISTRY_URI = "urn:standin:azure-quantum-data-plane"

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

# Statuses the stand-in must emit although the IBM documents do not list them
# for the operation (and the operation has no ``default`` response). Their
# bodies are checked against the document's ErrorContainer schema instead.
#   - delete_session_close documents only 204, yet the brief requires 401 for a
#     missing bearer/Service-CRN and 404 for an unknown session (the live
#     service answers 404 ``not_found`` there, too).
#   - update_session documents no 400, yet a body without a boolean
#     ``accepting_jobs`` has to be refused somehow.
IBM_DOCUMENTATION_GAPS: frozenset[tuple[str, int]] = frozenset(
    {
        ("delete_session_close", 401),
        ("delete_session_close", 404),
        ("update_session", 400),
    }
)
IBM_GAP_ERROR_SCHEMA = "#/components/schemas/ErrorContainer"

Validate = Callable[[str, str, int, Mapping[str, str], bytes], list[str]]


@dataclass(frozen=True)
class Operation:
    """A documented operation: where it lives and how to check its responses."""

    operation_id: str
    method: str
    template: str
    pattern: re.Pattern[str]
    validate: Validate


def template_pattern(template: str) -> re.Pattern[str]:
    """Compile a path template such as ``/sessions/{id}:close`` to a regex."""
    parts = re.split(r"(\{[^{}]+\})", template)
    regex = "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
    return re.compile(f"^{regex}$")


def _iter_operations(document: Mapping[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Yield ``(METHOD, path template, operation object)`` for every operation."""
    for template, item in document.get("paths", {}).items():
        for method in HTTP_METHODS:
            if isinstance(item.get(method), dict):
                yield method.upper(), template, item[method]


def _json_pointer_exists(document: Mapping[str, Any], ref: str) -> bool:
    """Tell whether a local ``#/a/b`` reference resolves inside ``document``."""
    if not ref.startswith("#/"):
        return True
    node: Any = document
    for token in ref[2:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or token not in node:
            return False
        node = node[token]
    return True


def _content_type(headers: Mapping[str, str]) -> str:
    """Return the lower-cased media type of a response (no parameters)."""
    for name, value in headers.items():
        if name.lower() == "content-type":
            return value.split(";")[0].strip().lower()
    return ""


def _describe(error: BaseException) -> str:
    """Flatten an openapi-core error chain into one line, schema errors first."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None:
        chain.append(current)
        current = current.__cause__
    for link in chain:
        schema_errors = getattr(link, "schema_errors", None)
        if schema_errors:
            details = "; ".join(_schema_error_text(e) for e in schema_errors)
            return f"{type(error).__name__}: {details}"
    return f"{type(chain[-1]).__name__}: {chain[-1]}"


def _schema_error_text(error: Any) -> str:
    """Render a jsonschema ValidationError with its location in the body."""
    location = "/".join(str(p) for p in error.absolute_path) or "<root>"
    return f"at {location}: {error.message}"


class _IbmDocument:
    """One IBM OpenAPI 3.0 document, patched in memory so openapi-core accepts it."""

    def __init__(self, path: Path) -> None:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.name = path.name
        self.document = patch_ibm_document(raw)
        server = urlsplit(self.document["servers"][0]["url"])
        self.host_url = f"{server.scheme}://{server.netloc}"
        self.base_path = server.path.rstrip("/")
        self.openapi = OpenAPI.from_dict(self.document, config=Config())
        self._gap_validator = OAS30Validator(
            {"$ref": IBM_GAP_ERROR_SCHEMA, "components": self.document["components"]}
        )

    def operations(self) -> list[Operation]:
        """List this document's operations with their validators."""
        return [
            Operation(
                operation_id=op.get("operationId", f"{method} {template}"),
                method=method,
                template=self.base_path + template,
                pattern=template_pattern(self.base_path + template),
                validate=self._validator_for(op),
            )
            for method, template, op in _iter_operations(self.document)
        ]

    def _validator_for(self, op: dict[str, Any]) -> Validate:
        """Bind a response validator to one operation object."""
        responses: dict[str, Any] = op.get("responses", {})
        op_id = op.get("operationId", "")

        def validate(
            method: str, path: str, status: int, headers: Mapping[str, str], body: bytes
        ) -> list[str]:
            if str(status) not in responses and "default" not in responses:
                if (op_id, status) in IBM_DOCUMENTATION_GAPS:
                    return self._validate_gap(body, headers)
                return [f"status {status} is not documented for {op_id} and it has no default"]
            documented = responses.get(str(status), responses.get("default", {}))
            if not documented.get("content") and body:
                return [f"{op_id} documents no body for status {status}, but one was sent"]
            return self._validate_with_openapi_core(method, path, status, headers, body)

        return validate

    def _validate_with_openapi_core(
        self, method: str, path: str, status: int, headers: Mapping[str, str], body: bytes
    ) -> list[str]:
        """Run openapi-core's response validation for one exchange."""
        request = MockRequest(self.host_url, method, path)
        response = MockResponse(
            data=body,
            status_code=status,
            headers=dict(headers),
            content_type=_content_type(headers),
        )
        return [_describe(e) for e in self.openapi.iter_response_errors(request, response)]

    def _validate_gap(self, body: bytes, headers: Mapping[str, str]) -> list[str]:
        """Check a documented-gap error response against ErrorContainer."""
        if _content_type(headers) != "application/json":
            return [f"error body must be application/json, got {_content_type(headers)!r}"]
        try:
            instance = json.loads(body)
        except ValueError as exc:
            return [f"error body is not JSON: {exc}"]
        return [_schema_error_text(e) for e in self._gap_validator.iter_errors(instance)]


def patch_ibm_document(document: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of an IBM document without its dangling references.

    The published IBM documents reference ``#/components/parameters/IBM-API-Version``
    and a few ``#/components/examples/...`` that they never define, and their
    operations name security schemes (``IBMCloudAPIKey``, ``IBMCloudAuth``) that
    are not declared. None of that affects response bodies, so the copy drops
    the dangling parameter/example references and the undeclared scheme names.
    """
    patched = copy.deepcopy(document)
    schemes = set(patched.get("components", {}).get("securitySchemes", {}))
    _drop_dangling(patched, patched)
    for _, _, op in _iter_operations(patched):
        if "security" in op:
            kept = [req for req in op["security"] if set(req) <= schemes]
            if kept:
                op["security"] = kept
            else:
                del op["security"]
    return patched


def _drop_dangling(node: Any, root: Mapping[str, Any]) -> None:
    """Remove dangling ``$ref`` entries from parameter lists and example maps."""
    if isinstance(node, dict):
        if isinstance(node.get("parameters"), list):
            node["parameters"] = [
                p for p in node["parameters"] if _json_pointer_exists(root, p.get("$ref", "#"))
            ]
        if isinstance(node.get("examples"), dict):
            node["examples"] = {
                k: v
                for k, v in node["examples"].items()
                if not isinstance(v, dict) or _json_pointer_exists(root, v.get("$ref", "#"))
            }
        for value in node.values():
            _drop_dangling(value, root)
    elif isinstance(node, list):
        for value in node:
            _drop_dangling(value, root)


def swagger2_to_json_schema(document: Mapping[str, Any]) -> dict[str, Any]:
    """Translate Swagger 2.0 ``definitions`` into a draft-4 JSON Schema resource.

    Swagger 2.0 schema objects are a draft-4 subset, so the translation only
    has to (a) keep ``#/definitions/...`` references resolvable, and (b) turn
    the AutoRest polymorphism markers into checks: a definition whose ``allOf``
    names a parent with a ``discriminator`` and which carries
    ``x-ms-discriminator-value`` must have that value in the discriminator
    property. ``readOnly`` needs no translation: draft 4 ignores it, so
    read-only properties are accepted in responses.
    """
    definitions = copy.deepcopy(dict(document.get("definitions", {})))
    for schema in definitions.values():
        value = schema.get("x-ms-discriminator-value")
        for parent_ref in schema.get("allOf", []):
            parent = definitions.get(parent_ref.get("$ref", "").rsplit("/", 1)[-1], {})
            discriminator = parent.get("discriminator")
            if value is not None and discriminator:
                schema["allOf"] = [
                    *schema["allOf"],
                    {"properties": {discriminator: {"enum": [value]}}},
                ]
                break
    return {"$schema": "http://json-schema.org/draft-04/schema#", "definitions": definitions}


class _AzureDocument:
    """The Azure Quantum Swagger 2.0 document, validated with jsonschema."""

    def __init__(self, path: Path) -> None:
        self.document = json.loads(path.read_text(encoding="utf-8"))
        resource = DRAFT4.create_resource(swagger2_to_json_schema(self.document))
        self.registry: Registry[Any] = Registry().with_resource(AZURE_REGISTRY_URI, resource)

    def operations(self) -> list[Operation]:
        """List the document's operations (served at the endpoint root)."""
        return [
            Operation(
                operation_id=op.get("operationId", f"{method} {template}"),
                method=method,
                template=template,
                pattern=template_pattern(template),
                validate=self._validator_for(op),
            )
            for method, template, op in _iter_operations(self.document)
        ]

    def schema_validator(self, schema: Mapping[str, Any]) -> Draft4Validator:
        """Build a draft-4 validator whose ``#/definitions`` refs hit the registry."""
        rebased = json.loads(
            json.dumps(schema).replace('"#/definitions/', f'"{AZURE_REGISTRY_URI}#/definitions/')
        )
        return Draft4Validator(
            rebased, registry=self.registry, format_checker=Draft4Validator.FORMAT_CHECKER
        )

    def _validator_for(self, op: dict[str, Any]) -> Validate:
        """Bind a response validator to one operation object."""
        responses: dict[str, Any] = op.get("responses", {})
        op_id = op.get("operationId", "")

        def validate(
            method: str, path: str, status: int, headers: Mapping[str, str], body: bytes
        ) -> list[str]:
            documented = responses.get(str(status), responses.get("default"))
            if documented is None:
                return [f"status {status} is not documented for {op_id} and it has no default"]
            if "schema" not in documented:
                return [f"{op_id} documents no body for status {status}"] if body else []
            if _content_type(headers) != "application/json":
                return [f"{op_id} body must be application/json, got {_content_type(headers)!r}"]
            try:
                instance = json.loads(body)
            except ValueError as exc:
                return [f"{op_id} body is not JSON: {exc}"]
            validator = self.schema_validator(documented["schema"])
            return [_schema_error_text(e) for e in validator.iter_errors(instance)]

        return validate


class ResponseValidator:
    """Check responses against the public IBM and Azure API documents."""

    def __init__(self, spec_dir: Path | None = None) -> None:
        self.spec_dir = (spec_dir or DEFAULT_SPEC_DIR).resolve()
        self.disabled_reason: str | None = None
        self.operations: list[Operation] = []
        if not self.spec_dir.is_dir():
            self.disabled_reason = (
                f"response validation disabled: public API documents not found at {self.spec_dir}"
            )
            return
        for name in IBM_DOCUMENTS:
            self.operations.extend(_IbmDocument(self.spec_dir / name).operations())
        self.operations.extend(_AzureDocument(self.spec_dir / AZURE_DOCUMENT).operations())

    @property
    def enabled(self) -> bool:
        """True when the public documents were found and loaded."""
        return self.disabled_reason is None

    def find_operation(self, method: str, path: str) -> Operation | None:
        """Find the documented operation for a method and concrete path."""
        matches = [
            op for op in self.operations if op.method == method.upper() and op.pattern.match(path)
        ]
        # Prefer the most literal template, as OpenAPI path matching does.
        return min(matches, key=lambda op: op.template.count("{"), default=None)

    def validate(
        self,
        method: str,
        path: str,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
    ) -> list[str]:
        """Return a list of problems with one response (empty when it conforms)."""
        if not self.enabled:
            return []
        operation = self.find_operation(method, path)
        if operation is None:
            return [f"no documented operation matches {method.upper()} {path}"]
        try:
            problems = operation.validate(method, path, status, headers, body)
        except Exception as exc:  # noqa: BLE001 - report, never crash the server
            return [f"validator crashed on {operation.operation_id}: {exc!r}"]
        return list(dict.fromkeys(problems))
