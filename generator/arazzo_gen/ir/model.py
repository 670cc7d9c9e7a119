"""The typed intermediate representation every later stage works from.

Nothing here refers to YAML/JSON nodes: schemas are plain JSON-Schema dicts whose ``$ref``s all point into
the owning :class:`Api`'s own schema table (``#/components/schemas/<ClassName>``), runtime expressions are
parsed ASTs, and every element keeps the :class:`~arazzo_gen.diagnostics.Loc` it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..diagnostics import Loc
from .expressions import Condition, Expr, Template

JsonSchema = dict[str, Any]
SCHEMA_REF_PREFIX = "#/components/schemas/"


def schema_ref(name: str) -> JsonSchema:
    return {"$ref": SCHEMA_REF_PREFIX + name}


def ref_name(schema: Any) -> str | None:
    """The schema-table name a ``{"$ref": ...}`` schema points at, if it is one."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMA_REF_PREFIX):
            return ref[len(SCHEMA_REF_PREFIX) :]
    return None


# -- APIs -------------------------------------------------------------------------------------------------
@dataclass
class ServerVariable:
    name: str
    py_name: str
    default: str | None
    enum: list[str]
    description: str


@dataclass
class Server:
    url: str  # may contain {variable} templates
    description: str
    variables: list[ServerVariable]


@dataclass
class SecurityScheme:
    key: str
    kind: str  # apiKey | http | oauth2 | openIdConnect | mutualTLS
    py_name: str
    location: str | None = None  # header | query | cookie (apiKey)
    param_name: str | None = None  # header/query/cookie name (apiKey)
    scheme: str | None = None  # bearer | basic | ... (http)
    description: str = ""


@dataclass
class Parameter:
    name: str
    # path | query | querystring (OpenAPI 3.2: the whole query string) | header | cookie
    location: str
    py_name: str
    required: bool
    schema: JsonSchema
    description: str
    loc: Loc
    style: str | None = None
    explode: bool | None = None
    deprecated: bool = False
    greedy: bool = False  # a path parameter written ``{name+}``: expanded with its ``/`` kept
    path_key_value: str | None = (
        None  # a query parameter the path key also fixes (``?list-type=2``): its value
    )
    media: bool = False  # described by ``content`` (a media type: the value is sent as its JSON text), not ``schema``
    # the media type of ``content`` (how a 3.2 ``querystring`` is serialised)
    content_type: str | None = None
    # a header, query or cookie parameter that carries a credential (Authorization, an apiKey security scheme's
    # name, token, api_key, ...): optional in the client method, since the client's configuration can send it
    credential: bool = False
    # a required header, query or cookie parameter whose schema gives one value (a scalar ``default``, ``const``
    # or a one-member ``enum``): the value the client sends when the caller omits it (amadeus's
    # ``X-HTTP-Method-Override: GET``)
    fallback: str | int | float | bool | None = None


CREDENTIAL_PARAMETER_NAMES = frozenset({
    "authorization", "proxy-authorization", "access_token", "access-token", "api_key", "api-key", "apikey",
    "x-api-key", "key", "token", "x-auth-token", "auth_token",
})  # fmt: skip


@dataclass
class Body:
    content_type: str
    schema: JsonSchema | None  # None: raw bytes/str
    required: bool
    description: str
    content_types: list[str] = field(default_factory=list)
    # XML media type -> (root element name, namespace) from its schema's ``xml`` object or component name
    xml_roots: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    # the API description declares no request body, but a workflow step sends one (unexpected-request-body)
    undocumented: bool = False


@dataclass
class Response:
    status: str  # "200", "2XX", "default"
    description: str
    content_type: str | None
    schema: JsonSchema | None
    headers: list[str] = field(
        default_factory=list
    )  # the names of the headers it declares, lower-cased

    @property
    def is_success(self) -> bool:
        return self.status.startswith("2")


@dataclass
class Paging:
    """How an operation's results continue on further pages, as its description declares it
    (``x-ms-pageable``, a documented ``nextLink``/``next`` member, a documented ``Link`` header): the member
    of a page holding the link to the next one, and the member holding the page's items."""

    next_member: (
        str | None
    )  # None: the next page's link is the response's ``Link`` header (rel="next")
    item_member: str | None = "value"  # None: the page is the list of items


@dataclass
class MessageServer:
    """A server of an AsyncAPI description: the broker a messaging client connects to."""

    name: str
    host: str  # host[:port]
    protocol: str  # mqtt | amqp | kafka | ...
    pathname: str = ""


@dataclass
class Channel:
    """A channel of an AsyncAPI description, where messages are sent and received."""

    key: str  # its key under ``channels`` (AsyncAPI 2.x: its address)
    address: str
    bindings: dict[str, Any]  # protocol -> its channel binding
    # where each of its messages carries its correlation id: ("header" | "payload", JSON Pointer tokens)
    correlations: list[tuple[str, tuple[str, ...]]]
    message_names: list[str]
    loc: Loc
    send: Operation | None = None  # sending a message to it (the client method)
    receive: Operation | None = None  # receiving one from it
    subscribe: str = ""  # the client method that subscribes to it


@dataclass
class MessageOperation:
    """An AsyncAPI operation: its channel (and its reply's), as a step names it by ``operationId``."""

    operation_id: str
    action: str  # the application's: send | receive (AsyncAPI 2.x: subscribe | publish as 3.0 reads them)
    channel: Channel
    reply: Channel | None
    loc: Loc


@dataclass
class Operation:
    operation_id: str
    py_name: str
    method: str
    path: str
    summary: str
    description: str
    parameters: list[Parameter]
    body: Body | None
    responses: list[Response]
    security: list[list[str]] | None
    deprecated: bool
    loc: Loc
    tags: list[str] = field(default_factory=list)
    # The path key split at ``?``: the template before it, and the literal query pairs after it (templated
    # ``name={name}`` pairs are the declared query parameters).  ``/{Bucket}?uploads`` -> ``/{Bucket}``,
    # ``[("uploads", "")]``.
    path_template: str = ""
    fixed_query: list[tuple[str, str]] = field(default_factory=list)
    paging: Paging | None = (
        None  # the description says how to page: the client gets iter_<operation>
    )
    # an AsyncAPI channel operation (method SEND or RECEIVE): the channel; None for HTTP operations
    channel: Channel | None = None

    def parameter(self, name: str, location: str) -> Parameter | None:
        for param in self.parameters:
            same = (
                param.name.lower() == name.lower() if location == "header" else param.name == name
            )
            if same and param.location == location:
                return param
        return None


@dataclass
class Api:
    """One API description (one document), however many source descriptions name it."""

    path: Path
    module: str  # python module name, e.g. ibm_quantum_runtime_sessions
    title: str
    version: str
    description: str
    servers: list[Server]
    operations: list[Operation]
    schemas: dict[str, JsonSchema]  # class name -> schema (refs rewritten into this table)
    security_schemes: list[SecurityScheme]
    security: list[list[str]]
    original_format: str  # openapi-3.0 | openapi-3.1 | swagger-2.0
    loc: Loc
    pattern_locs: dict[str, list[Loc]] = field(
        default_factory=dict
    )  # schema regex -> where it is written
    # class name of a schema table entry -> (its key in the document, where it is written)
    schema_origins: dict[str, tuple[str, Loc | None]] = field(default_factory=dict)
    kind: str = "openapi"  # openapi | asyncapi
    # AsyncAPI: its brokers, channels (each with a SEND and a RECEIVE operation in ``operations``) and operations
    message_servers: list[MessageServer] = field(default_factory=list)
    channels: list[Channel] = field(default_factory=list)
    message_operations: dict[str, MessageOperation] = field(default_factory=dict)

    def operation(self, operation_id: str) -> Operation | None:
        if self.kind == "asyncapi":
            return (
                None  # a step names an AsyncAPI operation with an action: see ``message_operation``
            )
        for op in self.operations:
            if op.operation_id == operation_id:
                return op
        return None

    def message_operation(self, operation_id: str, action: str) -> Operation | None:
        """The channel operation a step with ``action`` (send | receive) runs for AsyncAPI operation
        ``operation_id``: sending to, or receiving from, that operation's channel."""
        found = self.message_operations.get(operation_id)
        if found is None:
            return None
        channel = found.channel
        if action == found.action and found.reply is not None:
            # the workflow is the application's counterpart: it sends what the application receives and
            # receives what it sends; going the application's own way, it takes part in the reply (a receive
            # step on an operation that receives and replies receives the reply)
            channel = found.reply
        return channel.send if action == "send" else channel.receive

    def channel(self, key: str) -> Channel | None:
        return next((channel for channel in self.channels if channel.key == key), None)

    def resolved(self, schema: object) -> JsonSchema | None:
        """``schema`` with its ``$ref``s into the schema table followed (``None``: not a schema)."""
        for _ in range(16):
            if not isinstance(schema, dict):
                return None
            name = ref_name(schema)
            if name is None:
                return schema
            schema = self.schemas.get(name)
        return None


# -- workflows --------------------------------------------------------------------------------------------
Value = Any  # JSON-like literal tree whose leaves may be Expr or Template


@dataclass
class Input:
    name: str
    schema: JsonSchema
    required: bool
    description: str
    has_default: bool = (
        False  # the schema gives a ``default``: the function parameter defaults to it
    )
    default: Any = None


@dataclass(frozen=True)
class SelectorTarget:
    """An Arazzo 1.1 Payload Replacement Object target of type jsonpath or xpath (``version``: the XPath
    version), applied to the payload when the request is built."""

    kind: str  # jsonpath | xpath
    query: str
    version: str = ""


@dataclass
class StepParameter:
    name: str
    location: str  # path | query | header | cookie
    value: Value
    loc: Loc  # of its value
    target: Parameter | None  # the operation's declared parameter, when there is one
    name_loc: Loc | None = None  # of its name


@dataclass
class Criterion:
    text: str
    kind: str  # simple | regex | jsonpath | xpath
    condition: (
        Condition | None
    )  # simple; regex/jsonpath of a 1.1 document with {$...}: its text's template
    context: Expr | None  # regex/jsonpath/xpath
    loc: Loc
    version: str | None = (
        None  # jsonpath: rfc9535 | draft-goessner-dispatch-jsonpath-00; xpath: 1.0 ... 3.1
    )
    pattern: str | None = (
        None  # regex: the pattern as Python's re reads it (ECMA-262 named groups rewritten)
    )
    arazzo: str = "1.0"  # the Arazzo version of the document: "1.1" evaluates it as 1.1's Condition Evaluation


@dataclass
class WorkflowCall:
    """A reference to a workflow: a step's ``workflowId``, a goto/retry action's ``workflowId`` or a
    ``dependsOn`` entry.  ``workflow_id`` is the id inside ``document`` (``$sourceDescriptions.<name>.`` is
    stripped); ``target`` is bound by :mod:`arazzo_gen.ir.program` once every document is lowered."""

    text: str  # as written
    document: Path  # the Arazzo document that defines the workflow
    workflow_id: str
    loc: Loc
    target: Workflow | None = None
    target_module: str | None = None  # the workflows module of ``document``
    param_required: bool = (
        False  # dependsOn: the dependency needs inputs this workflow does not have
    )
    # a goto/retry action's ``parameters`` (Arazzo 1.1): the callee's inputs by name, as a step's call_inputs;
    # None: the action has none (the callee gets the caller's inputs of the same names)
    inputs: dict[str, tuple[Value, Loc, bool]] | None = None


@dataclass
class Action:
    name: str
    kind: str  # end | goto | retry
    step_id: str | None
    workflow_id: str | None
    retry_after: float | None
    retry_limit: int | None
    criteria: list[Criterion]
    loc: Loc
    call: WorkflowCall | None = None  # goto/retry to a workflow
    inherited: bool = False  # a workflow-level action that applies to this step
    step_loc: Loc | None = None  # where the ``stepId`` is written

    @property
    def limit(self) -> int:
        """How many retries a retry action allows (one when ``retryLimit`` is omitted, as the spec says)."""
        return 1 if self.retry_limit is None else self.retry_limit


@dataclass
class Step:
    step_id: str
    description: str
    source: str | None  # source description name of the API
    api: Api | None
    operation: Operation | None
    parameters: list[StepParameter]
    body: Value | None
    body_content_type: str | None
    body_loc: Loc | None
    has_body: bool
    success_criteria: list[Criterion]
    outputs: dict[str, Expr | Template | str]
    output_locs: dict[str, Loc]
    on_success: list[Action]
    on_failure: list[Action]
    loc: Loc
    # ``replacements`` that cannot be applied at build time (the payload is one runtime expression, or an
    # Arazzo 1.1 jsonpath/xpath target): JSON Pointer tokens or a SelectorTarget, and the value, applied in
    # order when the request is built.
    body_replacements: list[tuple[tuple[str, ...] | SelectorTarget, Value]] = field(
        default_factory=list
    )
    call: WorkflowCall | None = None  # a step that runs another workflow (``workflowId``)
    timeout: int | None = (
        None  # Arazzo 1.1 ``timeout``: milliseconds its request may take, else it fails
    )
    # an AsyncAPI step (Arazzo 1.1): send | receive; a receive step's ``correlationId`` value
    action: str | None = None
    correlation: Value | None = None
    correlation_loc: Loc | None = None
    # callee input name -> (value, where, whether it comes from the workflow-level parameters)
    call_inputs: dict[str, tuple[Value, Loc, bool]] = field(default_factory=dict)
    # where each value of a payload written as YAML/JSON structure is (JSON Pointer tokens -> location)
    body_locs: dict[tuple[str, ...], Loc] = field(default_factory=dict)
    # names of the parameter entries that were reported as broken (None: one whose name is unknown), which
    # are therefore not reported again as missing
    broken_parameters: set[str | None] = field(default_factory=set)
    # Arazzo 1.1 step-level ``dependsOn``: the stepIds of this workflow it names, each with its location
    depends_on: list[tuple[str, Loc]] = field(default_factory=list)


@dataclass
class SourceBinding:
    name: str  # sourceDescriptions[].name
    api: Api


@dataclass
class Workflow:
    workflow_id: str
    summary: str
    description: str
    inputs: list[Input]
    steps: list[Step]
    outputs: dict[str, Expr | Template | str]
    output_locs: dict[str, Loc]
    sources: list[SourceBinding]
    loc: Loc
    success_actions: list[Action] = field(default_factory=list)
    failure_actions: list[Action] = field(default_factory=list)
    depends_on: list[WorkflowCall] = field(default_factory=list)
    document: Path | None = None
    controlled: bool = False  # has actions: the checks analyse its step graph
    arazzo: str = (
        "1.0"  # the Arazzo version of its document ("1.1": 1.1's meaning of embedded values)
    )

    def calls(self) -> list[WorkflowCall]:
        """Every workflow this one runs: step calls, goto/retry actions and dependsOn."""
        found = list(self.depends_on)
        for step in self.steps:
            if step.call is not None:
                found.append(step.call)
            for action in step.on_success + step.on_failure:
                if action.call is not None:
                    found.append(action.call)
        for action in self.success_actions + self.failure_actions:
            if action.call is not None:
                found.append(action.call)
        return found


@dataclass
class ArazzoDocument:
    path: Path
    module: str
    title: str
    summary: str
    description: str
    version: str
    workflows: list[Workflow]


@dataclass
class Program:
    """Everything one build compiles: the APIs (one per distinct document) and the Arazzo documents."""

    apis: list[Api]
    documents: list[ArazzoDocument]
    root: Path  # the SPECS folder, for relative paths in generated text
    inputs: tuple[Path, ...] = ()  # every file the build read (or tried to), for the build cache

    def relative(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.name
