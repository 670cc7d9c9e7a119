"""Lower an AsyncAPI 2.6 or 3.0 description into an :class:`~arazzo_gen.ir.model.Api` (Arazzo 1.1 sources of
``type: asyncapi``).

Each channel becomes two operations of the API's messaging client, ``send_<channel>`` and
``receive_<channel>`` (method ``SEND`` / ``RECEIVE``, path the channel's address): a send step sends a message
(its payload the request body, its headers the parameters ``in: header``), a receive step receives one (its
payload read as a response body, ``$message.payload``).  The message payload schemas go into the API's schema
table, so the models module has a class for each (datamodel-code-generator makes them).  AsyncAPI operations
are kept by id with their channel (and reply channel): a step names one with ``operationId`` and says with
``action`` which way the message goes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..diagnostics import Diagnostics, Loc
from ..naming import KEYWORDS, OPERATION_PARAM_RESERVED, NameResolver, snake
from ..read import YMap
from ..resolve import Workspace
from .expressions import pointer_tokens
from .lower_api import SchemaTable, is_json_media
from .model import (
    Api,
    Body,
    Channel,
    JsonSchema,
    MessageOperation,
    MessageServer,
    Operation,
    Parameter,
    Response,
)

MESSAGING_CLIENT_RESERVED = KEYWORDS | {"close", "server", "transport", "url"}


def is_asyncapi(root: Any) -> bool:
    return isinstance(root, dict) and "asyncapi" in root


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class _Message:
    def __init__(self, name: str, base: Path, node: dict[str, Any], default_type: str | None):
        self.name = name
        self.base = base
        self.node = node
        content_type = node.get("contentType")
        self.content_type = content_type if isinstance(content_type, str) else default_type


class AsyncApiLowering:
    def __init__(
        self, workspace: Workspace, diagnostics: Diagnostics, path: Path, root: YMap
    ) -> None:
        self.workspace = workspace
        self.diagnostics = diagnostics
        self.path = path
        self.root = root
        self.table = SchemaTable(workspace, path, root)
        default = root.get("defaultContentType")
        self.default_type = default if isinstance(default, str) else None
        self.version = str(root.get("asyncapi", ""))
        self.methods = NameResolver(MESSAGING_CLIENT_RESERVED)

    def lower(self, module: str) -> Api:
        info = _mapping(self.root.get("info"))
        if not self.version.startswith(("2.", "3.")):
            self.diagnostics.warning(
                "asyncapi-version",
                f"asyncapi version '{self.version}' is neither 2.x nor 3.x; reading it as 3.0",
                self.root.at("asyncapi"),
            )
        v2 = self.version.startswith("2.")
        channels, operations = self._v2() if v2 else self._v3()
        api = Api(
            path=self.path,
            module=module,
            title=_text(info.get("title")) or self.path.stem,
            version=str(info.get("version", "")),
            description=_text(info.get("description")),
            servers=[],
            operations=[op for channel in channels for op in (channel.send, channel.receive) if op],
            schemas={},
            security_schemes=[],
            security=[],
            original_format=f"asyncapi-{self.version}",
            loc=self.root.loc,
            kind="asyncapi",
            message_servers=self._servers(v2),
            channels=channels,
            message_operations=operations,
        )
        api.schemas = self.table.finish()
        api.pattern_locs = self.table.pattern_locs
        api.schema_origins = self.table.origins
        return api

    # -- servers ----------------------------------------------------------------------------------------
    def _servers(self, v2: bool) -> list[MessageServer]:
        servers = []
        raw_servers = self.root.get("servers")
        for name, raw in _mapping(raw_servers).items():
            loc = raw_servers.key_at(name) if isinstance(raw_servers, YMap) else self.root.loc
            _, node = self.workspace.follow(self.path, raw, loc)
            node = _mapping(node)
            protocol = _text(node.get("protocol")).lower()
            if v2:  # AsyncAPI 2.x: ``url`` (host[:port][/path], perhaps with a scheme)
                url = _text(node.get("url")).split("://", 1)[-1]
                host, slash, path = url.partition("/")
                pathname = slash + path if path else ""
            else:
                host, pathname = _text(node.get("host")), _text(node.get("pathname"))
            if "@" in host:
                # never copied into the generated code: the user gives credentials in the server URL
                self.diagnostics.warning(
                    "credential-in-description",
                    f"server '{name}' has user information (credentials) in its host; it is left out of the "
                    "generated code: pass the server URL with the credentials to the client",
                    loc,
                )
                host = host.rsplit("@", 1)[1]
            if "{" in host or "{" in pathname:
                self.diagnostics.warning(
                    "unsubstituted-address",
                    f"server '{name}' has variables ({{...}}), which arazzo-gen does not substitute; it is not "
                    "a default server: pass the server URL to the client",
                    loc,
                )
                continue
            if pathname and not pathname.startswith("/"):
                pathname = "/" + pathname
            servers.append(MessageServer(str(name), host, protocol, pathname))
        return servers

    # -- AsyncAPI 3.0 -----------------------------------------------------------------------------------
    def _v3(self) -> tuple[list[Channel], dict[str, MessageOperation]]:
        channels: dict[str, Channel] = {}
        raw_channels = self.root.get("channels")
        for key, raw in _mapping(raw_channels).items():
            loc = raw_channels.key_at(key) if isinstance(raw_channels, YMap) else self.root.loc
            base, node = self.workspace.follow(self.path, raw, loc)
            node = _mapping(node)
            address = node.get("address")
            if not isinstance(address, str):
                # "If the address is null or absent, it MUST be interpreted as unknown"
                self.diagnostics.warning(
                    "unknown-channel-address",
                    f"channel '{key}' has no address (null or absent: unknown); its key is used as its address",
                    loc,
                )
            messages = [
                self._message(str(name), base, value)
                for name, value in _mapping(node.get("messages")).items()
            ]
            channels[str(key)] = self._channel(
                str(key),
                address if isinstance(address, str) else str(key),
                _mapping(node.get("bindings")),
                [m for m in messages if m is not None],
                loc,
            )
        operations: dict[str, MessageOperation] = {}
        raw_operations = self.root.get("operations")
        for op_id, raw in _mapping(raw_operations).items():
            loc = (
                raw_operations.key_at(op_id) if isinstance(raw_operations, YMap) else self.root.loc
            )
            _, node = self.workspace.follow(self.path, raw, loc)
            node = _mapping(node)
            channel = self._channel_ref(node.get("channel"), channels)
            if channel is None:
                self.diagnostics.warning(
                    "unresolved-ref",
                    f"AsyncAPI operation '{op_id}' names no channel of this document; it is left out",
                    loc,
                )
                continue
            reply_node = _mapping(self.workspace.follow(self.path, node.get("reply"), loc)[1])
            reply = self._channel_ref(reply_node.get("channel"), channels)
            action = node.get("action")
            operations[str(op_id)] = MessageOperation(
                str(op_id), action if action in ("send", "receive") else "send", channel, reply, loc
            )
        return list(channels.values()), operations

    def _channel_ref(self, raw: Any, channels: dict[str, Channel]) -> Channel | None:
        ref = raw.get("$ref") if isinstance(raw, dict) else None
        if not isinstance(ref, str) or not ref.startswith("#/channels/"):
            return None
        key = pointer_tokens(ref[1:])[1]
        return channels.get(key)

    # -- AsyncAPI 2.x -----------------------------------------------------------------------------------
    def _v2(self) -> tuple[list[Channel], dict[str, MessageOperation]]:
        channels: list[Channel] = []
        operations: dict[str, MessageOperation] = {}
        raw_channels = self.root.get("channels")
        for address, raw in _mapping(raw_channels).items():
            loc = raw_channels.key_at(address) if isinstance(raw_channels, YMap) else self.root.loc
            base, node = self.workspace.follow(self.path, raw, loc)
            node = _mapping(node)
            messages: list[_Message] = []
            kinds: list[tuple[str, dict[str, Any]]] = []
            for kind in ("publish", "subscribe"):
                op = _mapping(node.get(kind))
                if not op:
                    continue
                kinds.append((kind, op))
                raw_message = op.get("message")
                _, message = self.workspace.follow(base, raw_message, loc)
                message = _mapping(message)
                one_of = message.get("oneOf")
                alternatives: list[Any] = one_of if isinstance(one_of, list) else [message]
                for index, item in enumerate(alternatives):
                    found = self._message(f"{kind}_{index}", base, item)
                    if found is not None and all(found.node is not m.node for m in messages):
                        messages.append(found)
            channel = self._channel(
                str(address), str(address), _mapping(node.get("bindings")), messages, loc
            )
            channels.append(channel)
            for kind, op in kinds:
                op_id = op.get("operationId")
                if isinstance(op_id, str) and op_id in operations:
                    self.diagnostics.warning(
                        "duplicate-operation-id",
                        f"operationId '{op_id}' is also used at line {operations[op_id].loc.line}; steps "
                        "naming it get the first",
                        loc,
                    )
                elif isinstance(op_id, str) and op_id:
                    # 2.x ``publish``: others publish to the application, which receives (3.0's receive)
                    action = "receive" if kind == "publish" else "send"
                    operations[op_id] = MessageOperation(op_id, action, channel, None, loc)
        return channels, operations

    # -- channels and messages --------------------------------------------------------------------------
    def _message(self, name: str, base: Path, raw: Any) -> _Message | None:
        found_base, node = self.workspace.follow(base, raw, None)
        if not isinstance(node, dict):
            return None
        title = node.get("name")
        return _Message(
            title if isinstance(title, str) and title else name,
            found_base,
            node,
            self.default_type,
        )

    def _channel(
        self, key: str, address: str, bindings: dict[str, Any], messages: list[_Message], loc: Loc
    ) -> Channel:
        if "{" in address:
            self.diagnostics.warning(
                "unsubstituted-address",
                f"channel address '{address}' has parameters ({{...}}), which arazzo-gen does not "
                "substitute: messages are sent to and received from the address as written",
                loc,
            )
        correlations: list[tuple[str, tuple[str, ...]]] = []
        payloads: list[JsonSchema] = []
        headers: dict[str, Parameter] = {}
        required_everywhere: set[str] | None = None
        content_type = None
        stem = snake(key) or "channel"
        for message in messages:
            node = message.node
            content_type = content_type or message.content_type
            payload = node.get("payload")
            if payload is not None:
                payloads.append(self.table.hoist(payload, message.base, f"{message.name}_payload"))
            _, correlation = self.workspace.follow(message.base, node.get("correlationId"), loc)
            location = _mapping(correlation).get("location")
            if isinstance(location, str):
                parsed = _correlation(location)
                if parsed is None:
                    self.diagnostics.warning(
                        "invalid-correlation-id",
                        f"correlationId location '{location}' of message '{message.name}' is not "
                        "'$message.header#/<pointer>' or '$message.payload#/<pointer>'; it is not used",
                        correlation.at("location") if isinstance(correlation, YMap) else loc,
                    )
                elif parsed not in correlations:
                    correlations.append(parsed)
            header_base, found_headers = self.workspace.follow(
                message.base, node.get("headers"), loc
            )
            header_schema = _mapping(found_headers)
            listed = header_schema.get("required")
            required = (
                {n for n in listed if isinstance(n, str)} if isinstance(listed, list) else set()
            )
            required_everywhere = (
                required if required_everywhere is None else required_everywhere & required
            )
            for header, property_schema in _mapping(header_schema.get("properties")).items():
                if str(header).lower() in (h.lower() for h in headers):
                    continue
                headers[str(header)] = Parameter(
                    name=str(header),
                    location="header",
                    py_name=snake(str(header)),
                    required=False,
                    schema=self.table.hoist(property_schema, header_base, f"{stem}_{header}")
                    if isinstance(property_schema, dict)
                    else {},
                    description=_text(_mapping(property_schema).get("description")),
                    loc=header_schema.loc if isinstance(header_schema, YMap) else loc,
                )
        for header, param in headers.items():
            param.required = header in (required_everywhere or set())
        names = NameResolver(OPERATION_PARAM_RESERVED | {"inbox", "correlation_id"})
        for param in headers.values():
            param.py_name = names.claim(param.py_name)
        schema: JsonSchema | None
        if not payloads:
            schema = None
        elif len(payloads) == 1:
            schema = payloads[0]
        else:
            schema = {"anyOf": payloads}
        channel = Channel(key, address, bindings, correlations, [m.name for m in messages], loc)
        body = Body(
            content_type=content_type or "application/json",
            schema=schema,
            required=schema is not None,
            description="",
            content_types=[content_type or "application/json"],
        )
        channel.send = Operation(
            operation_id=key,
            py_name=self.methods.claim(f"send_{stem}"),
            method="SEND",
            path=address,
            summary=f"Send a message to channel {address}",
            description="",
            parameters=list(headers.values()),
            body=body,
            responses=[],
            security=None,
            deprecated=False,
            loc=loc,
            path_template=address,
            channel=channel,
        )
        media = content_type or "application/json"
        channel.subscribe = self.methods.claim(f"subscribe_{stem}")
        channel.receive = Operation(
            operation_id=key,
            py_name=self.methods.claim(f"receive_{stem}"),
            method="RECEIVE",
            path=address,
            summary=f"Receive a message from channel {address}",
            description="",
            parameters=[],
            body=None,
            responses=[
                Response(
                    "200",
                    "a message received",
                    media if is_json_media(media) or schema is not None else None,
                    schema,
                    [h.lower() for h in headers],
                )
            ],
            security=None,
            deprecated=False,
            loc=loc,
            path_template=address,
            channel=channel,
        )
        return channel


def _correlation(location: str) -> tuple[str, tuple[str, ...]] | None:
    """``$message.header#/a`` -> ("header", ("a",)); ``$message.payload#/a/b`` -> ("payload", ("a", "b"))."""
    head, hash_, pointer = location.partition("#")
    source = {"$message.header": "header", "$message.payload": "payload"}.get(head.strip())
    if source is None or (hash_ and pointer and not pointer.startswith("/")):
        return None
    tokens = pointer_tokens(pointer)
    if source == "header" and len(tokens) != 1:
        return None
    return source, tokens


def lower_asyncapi(
    workspace: Workspace, diagnostics: Diagnostics, path: Path, root: YMap, module: str
) -> Api:
    return AsyncApiLowering(workspace, diagnostics, path, root).lower(module)


__all__ = ["MESSAGING_CLIENT_RESERVED", "is_asyncapi", "lower_asyncapi"]
