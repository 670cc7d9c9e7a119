"""The base of the generated messaging clients (AsyncAPI sources of Arazzo 1.1 workflows).

A client sends messages to, and receives them from, the channels of one AsyncAPI description through a
:class:`~._runtime_messages.Transport` (MQTT, AMQP 0-9-1, or the in-memory broker of users' tests).  What a
send or a receive gives back is an :class:`~._runtime.ApiResponse`, as an HTTP call's is: a received message
is read like a response (its payload as the body, its headers as headers), so a workflow's criteria and
outputs read ``$message.payload`` / ``$message.header`` exactly as they read ``$response.body`` /
``$response.header``.

A receive step subscribes before the workflow's first step (``subscribe_<channel>``), so a reply that
arrives before the step runs waits in its subscription; ``receive_<channel>`` then takes the first message
whose correlation id (where the AsyncAPI message's ``correlationId`` locates it) matches, or raises
:class:`~._runtime.ApiTimeoutError` when none arrived in time.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import types
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any, ClassVar, Self, cast
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from ._runtime import ApiConnectionError, ApiResponse, ApiTimeoutError, _parse_body
from ._runtime_messages import (
    AsyncSubscription,
    AsyncTransport,
    BrokerError,
    Message,
    Subscription,
    Transport,
    encode_payload,
    receive_matching,
    receive_matching_async,
    transport_for,
)

#: where each message of a channel carries its correlation id: ("header" | "payload", JSON Pointer tokens)
Correlations = tuple[tuple[str, tuple[str, ...]], ...]


@contextlib.contextmanager
def _broker(method: str, url: str) -> Iterator[None]:
    """A broker failure (``BrokerError``, without credentials) as the clients' ``ApiConnectionError``."""
    try:
        yield
    except BrokerError as error:
        raise ApiConnectionError(method, url, str(error)) from None


def _at(url: str, address: str) -> str:
    """The URL a message to or from ``address`` is shown with (errors, ``ApiResponse.url``)."""
    return f"{url}/{quote(address, safe='')}"


def _public(url: str) -> str:
    """``url`` without its user information (never shown)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _correlation_of(message: Message, source: str, tokens: tuple[str, ...]) -> Any:
    if source == "header":
        wanted = tokens[0].lower() if tokens else ""
        return next(
            (value for name, value in message.headers.items() if name.lower() == wanted), None
        )
    node: Any = message.payload
    for token in tokens:
        if isinstance(node, Mapping) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


def _seconds(deadline: float | None) -> str:
    return "the run's time" if deadline is None else f"{deadline:g} s"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def correlates(correlations: Correlations, correlation_id: Any) -> Callable[[Message], bool]:
    """Whether a message carries ``correlation_id`` where one of ``correlations`` locates it (any message
    when ``correlation_id`` is ``None`` or the channel locates none)."""
    if correlation_id is None or not correlations:
        return lambda message: True
    wanted = _text(correlation_id)

    def match(message: Message) -> bool:
        for source, tokens in correlations:
            found = _correlation_of(message, source, tokens)
            if found is not None and _text(found) == wanted:
                return True
        return False

    return match


def _headers(
    headers: Mapping[str, Any] | None, extra_headers: Mapping[str, Any] | None
) -> dict[str, str]:
    merged: dict[str, str] = {}
    for source in (headers or {}, extra_headers or {}):
        for name, value in source.items():
            if value is not None:
                merged[name] = _text(value)
    return merged


def _sent(
    url: str, address: str, payload: bytes, headers: Mapping[str, str], content_type: str | None
) -> ApiResponse[None]:
    request_headers = dict(headers)
    if content_type:
        request_headers.setdefault("content-type", content_type)
    request = httpx.Request("SEND", _at(url, address), headers=request_headers, content=payload)
    return ApiResponse(httpx.Response(200, request=request), functools.partial(_parse_body, None))


def _received(url: str, message: Message, tp: Any) -> ApiResponse[Any]:
    headers = [(name, value) for name, value in message.headers.items()]
    content_type = message.content_type
    if (
        content_type is None
        and message.payload is not None
        and not isinstance(message.payload, str | bytes)
    ):
        content_type = "application/json"
    if content_type and not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("content-type", content_type))
    request = httpx.Request("RECEIVE", _at(url, message.address))
    response = httpx.Response(200, headers=headers, content=message.raw, request=request)
    return ApiResponse(response, functools.partial(_parse_body, tp))


class _Configured:
    """What the sync and async clients share: where they connect."""

    #: the AsyncAPI description's servers a transport can speak to, by name: their URLs
    SERVERS: ClassVar[Mapping[str, str]] = {}
    #: the environment variable a client created without ``server`` nor ``transport`` takes its URL from
    SERVER_VARIABLE: ClassVar[str] = ""
    #: the API's title, for messages
    TITLE: ClassVar[str] = ""

    url: str

    def _bindings(self, bindings: Mapping[str, Any]) -> Mapping[str, Any]:
        """The channel binding of the protocol the transport speaks (its ``BINDING``: ``mqtt``, ``amqp``; ``{}``
        for a transport without one, such as the in-memory broker's)."""
        key = getattr(getattr(self, "transport", None), "BINDING", None)
        found = bindings.get(key) if isinstance(key, str) else None
        return found if isinstance(found, Mapping) else {}

    def _server(self, server: str | None) -> str:
        if server is not None:
            return server
        if self.SERVER_VARIABLE and os.environ.get(self.SERVER_VARIABLE):
            return os.environ[self.SERVER_VARIABLE]
        if self.SERVERS:
            return next(iter(self.SERVERS.values()))
        raise ValueError(
            f"no server of {self.TITLE or 'this API'} has a protocol the transports speak (MQTT, AMQP): pass "
            f"server='mqtt://HOST:PORT' or 'amqp://...', set {self.SERVER_VARIABLE or 'the server'}, or pass "
            "transport="
        )


class MessagingClient(_Configured):
    """A sync client of the channels of one AsyncAPI description (see the module docstring)."""

    def __init__(self, server: str | None = None, *, transport: Transport | None = None) -> None:
        url = "memory://" if transport is not None and server is None else self._server(server)
        self.url = _public(url)
        self._owned = transport is None
        self.transport: Transport = (
            transport
            if transport is not None
            else cast(Transport, transport_for(url, asynchronous=False))
        )

    def close(self) -> None:
        """Disconnect (a transport passed in is the caller's: it is left open)."""
        if self._owned:
            self.transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: types.TracebackType | None,
    ) -> None:
        self.close()

    def _send(
        self,
        address: str,
        bindings: Mapping[str, Any],
        body: Any,
        content_type: str | None,
        headers: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, Any] | None = None,
    ) -> ApiResponse[None]:
        payload = encode_payload(body, content_type)
        sent_headers = _headers(headers, extra_headers)
        with _broker("SEND", _at(self.url, address)):
            self.transport.send(
                address,
                payload,
                headers=sent_headers,
                content_type=content_type,
                bindings=self._bindings(bindings),
            )
        return _sent(self.url, address, payload, sent_headers, content_type)

    @contextlib.contextmanager
    def _subscribe(self, address: str, bindings: Mapping[str, Any]) -> Iterator[Subscription]:
        with _broker("SUBSCRIBE", _at(self.url, address)):
            subscription = self.transport.subscribe(address, bindings=self._bindings(bindings))
        try:
            yield subscription
        finally:
            subscription.close()

    def _receive(
        self,
        inbox: Subscription | None,
        address: str,
        bindings: Mapping[str, Any],
        correlations: Correlations,
        correlation_id: Any,
        tp: Any,
        deadline: float | None,
    ) -> ApiResponse[Any]:
        with contextlib.ExitStack() as stack:
            if inbox is None:
                inbox = stack.enter_context(self._subscribe(address, bindings))
            with _broker("RECEIVE", _at(self.url, address)):
                message = receive_matching(
                    inbox, correlates(correlations, correlation_id), deadline
                )
        if message is None:
            raise ApiTimeoutError(
                "RECEIVE",
                _at(self.url, address),
                f"no matching message within {_seconds(deadline)}",
            )
        return _received(self.url, message, tp)


class AsyncMessagingClient(_Configured):
    """An async client of the channels of one AsyncAPI description (see the module docstring)."""

    def __init__(
        self, server: str | None = None, *, transport: AsyncTransport | None = None
    ) -> None:
        url = "memory://" if transport is not None and server is None else self._server(server)
        self.url = _public(url)
        self._owned = transport is None
        self.transport: AsyncTransport = (
            transport
            if transport is not None
            else cast(AsyncTransport, transport_for(url, asynchronous=True))
        )

    async def close(self) -> None:
        """Disconnect (a transport passed in is the caller's: it is left open)."""
        if self._owned:
            await self.transport.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: types.TracebackType | None,
    ) -> None:
        await self.close()

    async def _send(
        self,
        address: str,
        bindings: Mapping[str, Any],
        body: Any,
        content_type: str | None,
        headers: Mapping[str, Any] | None = None,
        extra_headers: Mapping[str, Any] | None = None,
    ) -> ApiResponse[None]:
        payload = encode_payload(body, content_type)
        sent_headers = _headers(headers, extra_headers)
        with _broker("SEND", _at(self.url, address)):
            await self.transport.send(
                address,
                payload,
                headers=sent_headers,
                content_type=content_type,
                bindings=self._bindings(bindings),
            )
        return _sent(self.url, address, payload, sent_headers, content_type)

    @contextlib.asynccontextmanager
    async def _subscribe(
        self, address: str, bindings: Mapping[str, Any]
    ) -> AsyncIterator[AsyncSubscription]:
        with _broker("SUBSCRIBE", _at(self.url, address)):
            subscription = await self.transport.subscribe(
                address, bindings=self._bindings(bindings)
            )
        try:
            yield subscription
        finally:
            await subscription.close()

    async def _receive(
        self,
        inbox: AsyncSubscription | None,
        address: str,
        bindings: Mapping[str, Any],
        correlations: Correlations,
        correlation_id: Any,
        tp: Any,
        deadline: float | None,
    ) -> ApiResponse[Any]:
        async with contextlib.AsyncExitStack() as stack:
            if inbox is None:
                inbox = await stack.enter_async_context(self._subscribe(address, bindings))
            with _broker("RECEIVE", _at(self.url, address)):
                message = await receive_matching_async(
                    inbox, correlates(correlations, correlation_id), deadline
                )
        if message is None:
            raise ApiTimeoutError(
                "RECEIVE",
                _at(self.url, address),
                f"no matching message within {_seconds(deadline)}",
            )
        return _received(self.url, message, tp)
