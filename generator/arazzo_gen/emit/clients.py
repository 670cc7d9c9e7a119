"""View model for one API's client module (rendered by ``templates/client.py.j2``)."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from ..ir.model import Api, Body, JsonSchema, Operation, Parameter
from .text import comment, docstring, py_literal, py_str
from .types import Annotation, TypeMapper, make_union, merge_imports

MODELS_ALIAS = "models"
MESSAGING_MODULES = ("_runtime_asyncapi", "_runtime_messages")
"""The runtime modules of the messaging clients: their base, and the transports."""


@dataclass
class ArgView:
    py_name: str
    annotation: str
    default: str | None  # None: required keyword
    wire: str  # the name on the wire
    doc: str
    fallback: str | None = (
        None  # literal sent when the argument is None (the path key's ``?list-type=2``)
    )
    value: str = ""  # the expression sent: the argument, or ``styled(...)`` for a non-default style


@dataclass
class PagingView:
    iter_name: str  # the sync client's iterator method
    aiter_name: str  # the async client's
    next_member: str  # string literals: the members of a page as the body spells them
    item_member: str
    item_type: str  # the type of one item
    docstring: str


@dataclass
class OperationView:
    py_name: str
    method: str
    path: str
    fixed_query: list[tuple[str, str]]  # literal query pairs from the path key (``?uploads``)
    docstring: str
    args: list[ArgView]
    path_args: list[ArgView]
    query_args: list[ArgView]
    header_args: list[ArgView]
    cookie_args: list[ArgView]
    body_annotation: str | None
    body_default: str | None
    content_type: str | None
    return_type: str
    responses_const: str
    responses: list[tuple[str, str]]  # (status literal, type expression or "None")
    exploded: list[str]
    deprecated: bool
    paging: PagingView | None = None
    # an OpenAPI 3.2 ``querystring`` parameter: (its argument, its media type literal)
    querystring: tuple[str, str] | None = None


@dataclass
class CredentialView:
    py_name: str
    annotation: str
    target: str  # header | query | cookie
    wire: str
    value: str  # expression producing the wire value from py_name
    doc: str
    variable: str = (
        ""  # the environment variable read when the client is created with no credential
    )
    basic: bool = False  # HTTP basic: (user, password), ``user:password`` in the environment


@dataclass
class ServerVarView:
    py_name: str
    name: str
    default: str | None
    doc: str


@dataclass
class ClientView:
    module: str
    title: str
    docstring: str
    server_url: str | None
    server_vars: list[ServerVarView]
    base_url_variable: str  # the environment variable read for the base URL
    credentials: list[CredentialView]
    credential_names: list[str]  # string literals: the apiKey names (header, query or cookie)
    operations: list[OperationView]
    imports: dict[str, set[str]] = field(default_factory=dict)
    source: str = ""
    needs_styled: bool = False  # some argument is sent through the runtime's styled()


def _sig_default(required: bool) -> str | None:
    return None if required else "None"


def environment_prefix(package: str, module: str) -> str:
    """The start of the names of the environment variables an API's clients read: ``<PACKAGE>_<API>_``
    (the package and the module under ``<package>.apis``, upper-cased)."""
    return f"{package}_{module}_".upper()


def build_client_view(api: Api, mapper: TypeMapper, source: str, package: str) -> ClientView:
    imports: dict[str, set[str]] = {"typing": {"Any"}, "collections.abc": {"Mapping"}}
    operations = [_operation(op, mapper, imports) for op in api.operations]
    _add_paging(api, operations, mapper, imports)
    server = api.servers[0] if api.servers else None
    server_vars = [
        ServerVarView(
            v.py_name, v.name, py_str(v.default) if v.default is not None else None,
            comment(v.description or f"value of the {{{v.name}}} server variable"),
        )
        for v in (server.variables if server else [])
    ]  # fmt: skip
    paragraphs = [f"Client for {api.title}" + (f" {api.version}" if api.version else "") + "."]
    if api.description:
        paragraphs.append(api.description)
    if server:
        paragraphs.append(f"Default server: {server.url}")
    return ClientView(
        module=api.module,
        title=api.title,
        docstring=docstring(*paragraphs),
        server_url=py_str(server.url) if server else None,
        server_vars=server_vars,
        base_url_variable=environment_prefix(package, api.module) + "BASE_URL",
        credentials=_credentials(api, environment_prefix(package, api.module)),
        credential_names=sorted(
            {
                py_str(s.param_name)
                for s in api.security_schemes
                if s.kind == "apiKey" and s.param_name
            }
        ),
        operations=operations,
        imports=imports,
        source=source,
        needs_styled=any(arg.value.startswith("styled(") for op in operations for arg in op.args),
    )


def _credentials(api: Api, prefix: str) -> list[CredentialView]:
    views = []
    for scheme in api.security_schemes:
        doc = comment(scheme.description or f"credential for the {scheme.key} security scheme")
        if (
            scheme.kind == "apiKey"
            and scheme.location in ("header", "query", "cookie")
            and scheme.param_name
        ):
            views.append(CredentialView(scheme.py_name, "str | None", scheme.location, py_str(scheme.param_name),
                                        scheme.py_name, doc))  # fmt: skip
        elif scheme.kind == "http" and scheme.scheme == "basic":
            views.append(CredentialView(scheme.py_name, "tuple[str, str] | None", "header", py_str("Authorization"),
                                        f"_basic_auth({scheme.py_name})", doc))  # fmt: skip
        elif scheme.kind in ("http", "oauth2", "openIdConnect"):
            views.append(CredentialView(scheme.py_name, "str | None", "header", py_str("Authorization"),
                                        f'f"Bearer {{{scheme.py_name}}}"', doc + " (a bearer token)"))  # fmt: skip
    for view in views:
        view.variable = prefix + view.py_name.upper()
        view.basic = view.value.startswith("_basic_auth(")
    return views


def _operation(op: Operation, mapper: TypeMapper, imports: dict[str, set[str]]) -> OperationView:
    args: list[ArgView] = []
    groups: dict[str, list[ArgView]] = {"path": [], "query": [], "header": [], "cookie": []}
    exploded = []
    querystring = None
    for param in op.parameters:
        arg = _argument(param, mapper, imports)
        args.append(arg)
        groups.setdefault(param.location, []).append(arg)
        if param.location == "querystring" and querystring is None:
            media = param.content_type or "application/x-www-form-urlencoded"
            querystring = (arg.py_name, py_str(media))
        if (
            param.location == "query"
            and param.explode is not False
            and param.style in (None, "form")
            and not param.media
        ):
            exploded.append(py_str(param.name))
    body_annotation = body_default = content_type = None
    if op.body is not None:
        content_type = py_str(op.body.content_type)
        text = _body_annotation(op.body, mapper, imports)
        body_annotation = text if op.body.required else f"{text} | None"
        body_default = None if op.body.required else "None"
    responses, return_type = _responses(op, mapper, imports)
    return OperationView(
        py_name=op.py_name,
        method=py_str(op.method),
        path=py_str(op.path_template or op.path),
        fixed_query=[(py_str(key), py_str(value)) for key, value in op.fixed_query],
        docstring=_operation_docstring(op),
        args=args,
        path_args=groups["path"],
        query_args=groups["query"],
        header_args=groups["header"],
        cookie_args=groups["cookie"],
        body_annotation=body_annotation,
        body_default=body_default,
        content_type=content_type,
        return_type=return_type,
        responses_const="_" + op.py_name.upper() + "_RESPONSES",
        responses=responses,
        exploded=exploded,
        deprecated=op.deprecated,
        querystring=querystring,
    )


def _add_paging(
    api: Api, views: list[OperationView], mapper: TypeMapper, imports: dict[str, set[str]]
) -> None:
    """An iterator method (``iter_<operation>``, ``aiter_<operation>``) for each operation that says how to
    page; its items typed as the item member of the page's schema declares them."""
    taken = {view.py_name for view in views}
    for op, view in zip(api.operations, views, strict=True):
        if op.paging is None:
            continue
        names = [f"{prefix}_{op.py_name}" for prefix in ("iter", "aiter")]
        if taken.intersection(names):  # an operation already has the name: a longer one
            names = [f"{name}_items" for name in names]
        taken.update(names)
        item_type = "Any"
        page = _page_schema(api, op)
        paging = op.paging
        if paging.item_member is None:
            member = page
        else:
            member = api.resolved((page or {}).get("properties", {}).get(paging.item_member))
        if member is not None and isinstance(member.get("items"), dict):
            annotation = mapper.schema(member["items"])
            merge_imports(imports, annotation.imports)
            item_type = annotation.text
        imports.setdefault("collections.abc", set()).update({"Iterator", "AsyncIterator"})
        items = "the page itself" if paging.item_member is None else f"its ``{paging.item_member}``"
        link = (
            'the ``rel="next"`` link of each response\'s ``Link`` header'
            if paging.next_member is None
            else f"each page's ``{paging.next_member}`` link"
        )
        view.paging = PagingView(
            names[0], names[1],
            "None" if paging.next_member is None else py_str(paging.next_member),
            "None" if paging.item_member is None else py_str(paging.item_member),
            item_type,
            docstring(
                f"Each item of every page of ``{op.py_name}`` ({items}), following {link}.",
                "Each page is requested like a call of the operation (credentials, deadline, timeouts, "
                "retries, errors); a link to another origin than the client's base URL is not followed "
                "(PageLinkError): the client's credentials go nowhere else.",
                indent=8,
            ),
        )  # fmt: skip


def _page_schema(api: Api, op: Operation) -> JsonSchema | None:
    for response in op.responses:
        if response.status.startswith("2") and response.schema is not None:
            return api.resolved(response.schema)
    return None


def _argument(param: Parameter, mapper: TypeMapper, imports: dict[str, set[str]]) -> ArgView:
    """The keyword argument of one parameter: its annotation, default, wire name, comment, and the value
    sent (``styled(...)`` for a style the client's plain encoding does not give)."""
    annotation = mapper.schema(param.schema, loose_enums=True)
    merge_imports(imports, annotation.imports)
    text = annotation.text
    if (param.style == "deepObject" and mapper.alias + "." in text) or re.fullmatch(
        rf"{re.escape(mapper.alias)}\.\w+( \| None)?", text
    ):  # an object parameter: a model or a plain mapping (a workflow's object literal), sent alike
        text = f"{text} | Mapping[str, Any]"
    if param.location == "querystring":
        # OpenAPI 3.2: the whole query string; a str is that text as written (Arazzo 1.1: "the value MUST
        # resolve to a string representing the complete query string"), anything else is serialised
        text = text if text == "str" else f"{text} | str"
    # a required credential may come from the client's configuration (headers=, query=, cookies=) instead
    required = param.required and not param.credential
    if not required and not annotation.optional:
        text = f"{text} | None"
    # ``{Key+}`` (the parameter declared as ``Key`` or ``Key+``): expand_path keeps the value's ``/``
    wire = param.name + "+" if param.greedy and not param.name.endswith("+") else param.name
    description = param.description or f"{param.location} parameter {param.name}"
    if required != param.required:
        description += f" (required; when omitted, the client's configured {param.location} of that name is sent)"
    default = _sig_default(required)
    if required and param.fallback is not None:
        fallback = (
            py_str(param.fallback) if isinstance(param.fallback, str) else repr(param.fallback)
        )
        default = fallback
        description += (
            f" (required; {fallback}, the value the API description gives, is sent when omitted)"
        )
    arg = ArgView(param.py_name, text, default, py_str(wire), comment(description),
                  py_str(param.path_key_value) if param.path_key_value is not None else None)  # fmt: skip
    arg.value = _styled(param) or param.py_name
    return arg


def _styled(param: Parameter) -> str | None:
    """``styled(...)`` of the argument when it is sent through the runtime's ``styled()``: a path label or
    matrix, a query space/pipe-delimited without explode, a query deepObject."""
    if (
        (param.location == "path" and param.style in ("label", "matrix"))
        or (
            param.location == "query"
            and param.style in ("spaceDelimited", "pipeDelimited")
            and not param.explode
        )
        or (param.location == "query" and param.style == "deepObject")
    ):
        return f"styled({param.py_name}, {py_str(param.style)}, {param.explode is True}, {py_str(param.name)})"
    return None


def _body_annotation(body: Body, mapper: TypeMapper, imports: dict[str, set[str]]) -> str:
    """The body argument's type: the body types of every media type the operation accepts, in order."""
    kinds: list[str] = []
    for media in body.content_types or [body.content_type]:
        lowered = media.split(";")[0].strip().lower()
        if media == body.content_type and body.schema is not None and lowered.endswith("json"):
            annotation = mapper.schema(body.schema, loose_enums=True)
            merge_imports(imports, annotation.imports)
            text = annotation.text
            if text.startswith("list["):
                text = f"{text} | list[Any]"
            elif mapper.alias + "." in text or text.startswith("dict["):
                text = f"{text} | Mapping[str, Any]"
        elif lowered.endswith("json"):
            text = "Mapping[str, Any] | list[Any]"
        elif "form" in lowered:
            text = "Mapping[str, Any]"
        else:
            text = "bytes | str"
        for part in text.split(" | "):
            if part not in kinds:
                kinds.append(part)
    return " | ".join(kinds)


def _responses(
    op: Operation, mapper: TypeMapper, imports: dict[str, set[str]]
) -> tuple[list[tuple[str, str]], str]:
    """(status literal, type expression or "None") of every response, and the return type: the union of
    the 2xx and 3xx ones (``Any`` when there are none)."""
    responses: list[tuple[str, str]] = []
    success: list[Annotation] = []
    for response in op.responses:
        if (
            response.schema is not None
            and response.content_type
            and response.content_type.endswith("json")
        ):
            annotation = mapper.schema(response.schema)
            merge_imports(imports, annotation.imports)
        elif response.schema is not None:
            annotation = Annotation(ast.Name("str"))  # a non-JSON body comes back as text
        else:
            annotation = Annotation(ast.Constant(None))
        responses.append((py_str(response.status), annotation.text))
        if response.status[:1] in "23":
            success.append(annotation)
    return responses, _union_text(success) if success else "Any"


def _operation_docstring(op: Operation) -> str:
    summary = op.summary or op.description or f"{op.method} {op.path}"
    paragraphs = [summary]
    if op.description and op.description != summary:
        paragraphs.append(op.description)
    paragraphs.append(f"{op.method} {op.path}" + (" (deprecated)" if op.deprecated else ""))
    if op.body is not None:
        accepted = ", ".join(op.body.content_types or [op.body.content_type])
        paragraphs.append(
            f"The body is sent as content_type (default {op.body.content_type}; accepted: {accepted})."
        )
    return docstring(*paragraphs, indent=8)


def _union_text(annotations: list[Annotation]) -> str:
    return Annotation(make_union([a.node for a in annotations])).text


# -- AsyncAPI: messaging clients ---------------------------------------------------------------------------
#: the AsyncAPI protocols the generated package's transports speak, and the URL scheme of each
PROTOCOL_SCHEMES = {
    "mqtt": "mqtt",
    "secure-mqtt": "mqtts",
    "mqtts": "mqtts",
    "amqp": "amqp",
    "amqps": "amqps",
}
#: what a package whose AsyncAPI servers use a protocol needs at run time (both clients: sync and async)
PROTOCOL_REQUIREMENTS = {
    "mqtt": ("paho-mqtt>=2.1,<3", "aiomqtt>=2.3,<3"),
    "amqp": ("pika>=1.3,<2", "aio-pika>=9.4,<11"),
}


def server_url(protocol: str, host: str, pathname: str = "") -> str | None:
    """The URL a transport connects to for an AsyncAPI server (``None``: no transport speaks its protocol)."""
    scheme = PROTOCOL_SCHEMES.get(protocol.lower())
    if scheme is None or not host:
        return None
    return f"{scheme}://{host}{pathname}"


def messaging_requirements(api: Api) -> set[str]:
    """The broker client libraries the package needs for the protocols of ``api``'s servers (none when the
    description names no server a transport speaks: the package's extras ``mqtt`` and ``amqp`` offer them)."""
    protocols = {
        PROTOCOL_SCHEMES[s.protocol.lower()].rstrip("s")
        for s in api.message_servers
        if s.protocol.lower() in PROTOCOL_SCHEMES
    }
    return {req for protocol in protocols for req in PROTOCOL_REQUIREMENTS[protocol]}


@dataclass
class ChannelView:
    key: str  # literal
    address: str  # literal
    address_text: str  # as written
    const: str  # the module constant holding its address, bindings and correlations
    bindings: str  # Python literal of the channel's bindings
    correlations: str  # Python literal: ((source, (tokens...)), ...)
    send: OperationView
    receive: OperationView
    content_type: str  # as written (the payload's media type)
    subscribe: str  # the subscribe method's name
    payload_type: str  # the type a received payload is read as ("Any" without a schema)
    docstring: str


@dataclass
class MessagingView:
    module: str
    title: str
    docstring: str
    servers: list[tuple[str, str]]  # (name, URL) of the servers a transport speaks
    other_servers: list[str]  # "name (protocol)" of the others, for the docstring
    server_variable: str
    channels: list[ChannelView]
    imports: dict[str, set[str]] = field(default_factory=dict)
    source: str = ""


def build_messaging_view(api: Api, mapper: TypeMapper, source: str, package: str) -> MessagingView:
    """The view of an AsyncAPI description's messaging client module (``templates/messaging_client.py.j2``)."""
    imports: dict[str, set[str]] = {"typing": {"Any"}, "collections.abc": {"Mapping"}}
    channels = []
    for index, channel in enumerate(api.channels):
        assert channel.send is not None and channel.receive is not None
        send = _operation(channel.send, mapper, imports)
        for (
            arg
        ) in send.args:  # a header the messages require is still optional: the broker takes any
            if arg.default is None:
                arg.default = "None"
                if not arg.annotation.endswith("| None"):
                    arg.annotation += " | None"
        receive = _operation(channel.receive, mapper, imports)
        correlations = (
            "("
            + "".join(
                f"({py_str(src)}, (" + "".join(f"{py_str(t)}, " for t in tokens) + ")), "
                for src, tokens in channel.correlations
            )
            + ")"
        )
        messages = ", ".join(channel.message_names) or "none described"
        channels.append(
            ChannelView(
                key=py_str(channel.key),
                address=py_str(channel.address),
                address_text=channel.address,
                const=f"_CHANNEL_{index}",
                bindings=py_literal(channel.bindings),
                correlations=correlations,
                send=send,
                receive=receive,
                content_type=channel.send.body.content_type
                if channel.send.body
                else "application/json",
                subscribe=channel.subscribe,
                payload_type=receive.return_type,
                docstring=comment(
                    f"channel {channel.key} (address {channel.address}; messages: {messages})"
                ),
            )
        )
    servers = []
    other = []
    for server in api.message_servers:
        url = server_url(server.protocol, server.host, server.pathname)
        if url is None:
            other.append(f"{server.name} ({server.protocol or 'no protocol'})")
        else:
            servers.append((server.name, url))
    paragraphs = [
        f"Messaging client for {api.title}" + (f" {api.version}" if api.version else "") + "."
    ]
    if api.description:
        paragraphs.append(api.description)
    return MessagingView(
        module=api.module,
        title=api.title,
        docstring=docstring(*paragraphs),
        servers=servers,
        other_servers=other,
        server_variable=environment_prefix(package, api.module) + "SERVER",
        channels=channels,
        imports=imports,
        source=source,
    )
