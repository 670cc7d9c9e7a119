"""Messages of the workflows' AsyncAPI steps: send to and receive from a broker (MQTT, AMQP or in memory).

A step that sends publishes on a channel's address through a :class:`Transport` (or :class:`AsyncTransport`);
a step that receives subscribes first, then takes the message it waits for from the :class:`Subscription`
(:func:`receive_matching`).  :func:`transport_for` makes the transport of a broker URL (``mqtt://``,
``mqtts://``, ``amqp://``, ``amqps://``); :class:`MemoryBroker` is an in-process broker for tests.

The broker libraries are imported only by the transport that needs them: paho-mqtt 2.x (MQTT v5) and
aiomqtt 2.x for MQTT, pika 1.x and aio-pika for AMQP 0-9-1.  Neither a password nor a payload or header value
is ever logged or put in an exception message.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import logging
import queue
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

_log = logging.getLogger(__name__)

#: seconds to wait for a broker to accept a connection, a subscription or a published message
BROKER_TIMEOUT = 30.0


class UnsupportedProtocol(ValueError):
    """A broker URL of a scheme no transport speaks (the message names the scheme, never the URL)."""


class BrokerError(ConnectionError):
    """The broker could not be reached, or refused a connection, a subscription or a message."""


@dataclass(frozen=True)
class Message:
    """A message received (or sent, in :attr:`MemoryBroker.sent`)."""

    address: str
    """The channel address it came on: the MQTT topic, the AMQP routing key or queue."""
    payload: Any
    """JSON-decoded when the content type is JSON (or absent and the bytes are JSON), else text or bytes."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """The application headers: MQTT v5 user properties, the AMQP headers table."""
    content_type: str | None = None
    raw: bytes = b""


class Subscription(Protocol):
    def receive(self, timeout: float | None) -> Message | None:
        """The next message; ``None`` when ``timeout`` seconds pass first (``None``: wait for ever)."""
        ...

    def close(self) -> None: ...


class Transport(Protocol):
    def send(
        self,
        address: str,
        payload: bytes,
        *,
        headers: Mapping[str, str],
        content_type: str | None,
        bindings: Mapping[str, Any],
    ) -> None: ...

    def subscribe(self, address: str, *, bindings: Mapping[str, Any]) -> Subscription:
        """Subscribe to ``address``; returns once the broker delivers what is sent to it from now on."""
        ...

    def close(self) -> None: ...


class AsyncSubscription(Protocol):
    async def receive(self, timeout: float | None) -> Message | None: ...

    async def close(self) -> None: ...


class AsyncTransport(Protocol):
    async def send(
        self,
        address: str,
        payload: bytes,
        *,
        headers: Mapping[str, str],
        content_type: str | None,
        bindings: Mapping[str, Any],
    ) -> None: ...

    async def subscribe(
        self, address: str, *, bindings: Mapping[str, Any]
    ) -> AsyncSubscription: ...

    async def close(self) -> None: ...


# --- payloads ------------------------------------------------------------------------------------------


def is_json(content_type: str | None) -> bool:
    """``application/json`` or a ``+json`` media type (parameters ignored)."""
    if content_type is None:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _json_default(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json", by_alias=True, exclude_unset=True)
    raise TypeError(f"a value of type {type(value).__name__} is not JSON serializable")


def encode_payload(value: Any, content_type: str | None) -> bytes:
    """The bytes of a message's payload: bytes as they are; a string as UTF-8 unless the content type is JSON
    or absent; JSON otherwise (a pydantic model dumped by alias, without the fields never set)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str) and content_type is not None and not is_json(content_type):
        return value.encode("utf-8")
    text = json.dumps(value, default=_json_default, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8")


def decode_payload(raw: bytes, content_type: str | None) -> Any:
    """The payload of a received message: JSON when the content type is JSON (or absent and the bytes are
    JSON), else the text (UTF-8), else the bytes."""
    if is_json(content_type) or content_type is None:
        try:
            return json.loads(raw)
        except ValueError:  # JSONDecodeError and UnicodeDecodeError
            if is_json(content_type):
                _log.debug("a message declared JSON is not JSON; kept as text")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


def _message(
    address: str, raw: bytes, headers: Mapping[str, str], content_type: str | None
) -> Message:
    payload = decode_payload(raw, content_type)
    return Message(address, payload, dict(headers), content_type, raw)


def _header_text(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    return value if isinstance(value, str) else str(value)


def _deadline(timeout: float | None) -> float | None:
    return None if timeout is None else time.monotonic() + timeout


def _left(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def receive_matching(
    subscription: Subscription, match: Callable[[Message], bool], timeout: float | None
) -> Message | None:
    """The first message ``match`` accepts; ``None`` when ``timeout`` seconds pass in total first.  The
    messages it does not accept are dropped (logged at DEBUG with their address only)."""
    deadline = _deadline(timeout)
    dropped = 0
    while True:
        message = subscription.receive(_left(deadline))
        if message is None:
            return None
        if match(message):
            return message
        dropped += 1
        _log.debug("dropped message %d on %r: it does not match", dropped, message.address)


async def receive_matching_async(
    subscription: AsyncSubscription, match: Callable[[Message], bool], timeout: float | None
) -> Message | None:
    """:func:`receive_matching` of an :class:`AsyncSubscription`."""
    deadline = _deadline(timeout)
    dropped = 0
    while True:
        message = await subscription.receive(_left(deadline))
        if message is None:
            return None
        if match(message):
            return message
        dropped += 1
        _log.debug("dropped message %d on %r: it does not match", dropped, message.address)


class _Inbox:
    """The messages of a sync subscription, in order, put by any thread."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Message] = queue.SimpleQueue()

    def put(self, message: Message) -> None:
        self._queue.put(message)

    def take(self, timeout: float | None) -> Message | None:
        try:
            if timeout is not None and timeout <= 0:
                return self._queue.get_nowait()
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None


class _AsyncInbox:
    """The messages of an async subscription, in order, put by any thread (delivered on its event loop)."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[Message] = asyncio.Queue()

    def put(self, message: Message) -> None:
        """Put from the event loop's thread or any other."""
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, message)
        except RuntimeError:  # the loop is closed: nobody can receive it any more
            pass

    async def take(self, timeout: float | None) -> Message | None:
        if timeout is not None and timeout <= 0:
            await asyncio.sleep(0)  # what call_soon_threadsafe scheduled before now
            return None if self._queue.empty() else self._queue.get_nowait()
        try:
            return await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None


# --- in memory -----------------------------------------------------------------------------------------

Reply = Callable[[Message], Iterable[tuple[str, Any, Mapping[str, str]]] | None]


class MemoryBroker:
    """An in-process broker for tests: every transport of it sees what the others send (exact addresses).

    :attr:`sent` holds every message the transports sent, in order (not the replies); :meth:`reply` makes the
    broker answer a message sent to an address with messages of its own."""

    def __init__(self) -> None:
        self.sent: list[Message] = []
        self._lock = threading.Lock()
        self._inboxes: dict[str, list[_Inbox | _AsyncInbox]] = {}
        self._replies: dict[str, list[Reply]] = {}

    def transport(self) -> Transport:
        return _MemoryTransport(self)

    def async_transport(self) -> AsyncTransport:
        return _AsyncMemoryTransport(self)

    def reply(self, address: str, fn: Reply) -> None:
        """When a message is sent to ``address``, publish what ``fn(message)`` returns: ``None`` or
        ``(address, payload, headers)`` triples, the payload JSON-encoded."""
        with self._lock:
            self._replies.setdefault(address, []).append(fn)

    def _subscribe(self, address: str, inbox: _Inbox | _AsyncInbox) -> None:
        with self._lock:
            self._inboxes.setdefault(address, []).append(inbox)

    def _unsubscribe(self, address: str, inbox: _Inbox | _AsyncInbox) -> None:
        with self._lock:
            inboxes = self._inboxes.get(address, [])
            if inbox in inboxes:
                inboxes.remove(inbox)

    def _send(self, message: Message) -> None:
        with self._lock:
            self.sent.append(message)
        self._publish(message)

    def _publish(self, message: Message) -> None:
        with self._lock:
            inboxes = list(self._inboxes.get(message.address, ()))
            replies = list(self._replies.get(message.address, ()))
        for inbox in inboxes:
            inbox.put(message)
        for fn in replies:
            for address, payload, headers in fn(message) or ():
                raw = encode_payload(payload, "application/json")
                self._publish(_message(address, raw, headers, "application/json"))


class _MemorySubscription:
    def __init__(self, broker: MemoryBroker, address: str) -> None:
        self._broker, self._address, self._inbox = broker, address, _Inbox()
        broker._subscribe(address, self._inbox)

    def receive(self, timeout: float | None) -> Message | None:
        return self._inbox.take(timeout)

    def close(self) -> None:
        self._broker._unsubscribe(self._address, self._inbox)


class _MemoryTransport:
    def __init__(self, broker: MemoryBroker) -> None:
        self._broker = broker

    def send(
        self,
        address: str,
        payload: bytes,
        *,
        headers: Mapping[str, str],
        content_type: str | None,
        bindings: Mapping[str, Any],
    ) -> None:
        self._broker._send(_message(address, payload, headers, content_type))

    def subscribe(self, address: str, *, bindings: Mapping[str, Any]) -> Subscription:
        return _MemorySubscription(self._broker, address)

    def close(self) -> None:
        pass


class _AsyncMemorySubscription:
    def __init__(self, broker: MemoryBroker, address: str) -> None:
        self._broker, self._address, self._inbox = broker, address, _AsyncInbox()
        broker._subscribe(address, self._inbox)

    async def receive(self, timeout: float | None) -> Message | None:
        return await self._inbox.take(timeout)

    async def close(self) -> None:
        self._broker._unsubscribe(self._address, self._inbox)


class _AsyncMemoryTransport:
    def __init__(self, broker: MemoryBroker) -> None:
        self._broker = broker

    async def send(
        self,
        address: str,
        payload: bytes,
        *,
        headers: Mapping[str, str],
        content_type: str | None,
        bindings: Mapping[str, Any],
    ) -> None:
        self._broker._send(_message(address, payload, headers, content_type))

    async def subscribe(self, address: str, *, bindings: Mapping[str, Any]) -> AsyncSubscription:
        return _AsyncMemorySubscription(self._broker, address)

    async def close(self) -> None:
        pass


# --- shared by the broker transports -------------------------------------------------------------------


def _library(module: str, distribution: str) -> ModuleType:
    """Import a broker library; an :class:`ImportError` that says what to install when it is missing."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"this transport needs the {distribution!r} distribution: pip install {distribution}"
        ) from error


def _scrub(text: str, *secrets: str | None) -> str:
    """``text`` without any of ``secrets`` (a library's error message that might quote a password)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _failure(what: str, error: BaseException, *secrets: str | None) -> BrokerError:
    detail = _scrub(f"{type(error).__name__}: {error}", *secrets)
    return BrokerError(f"{what}: {detail}")


class _reraised:
    """Turns an error of a broker library into a :class:`BrokerError` that says ``what`` failed, without
    ``password`` and without the library's exception as cause (which might hold it)."""

    def __init__(self, what: str, password: str | None) -> None:
        self._what, self._password = what, password

    def __enter__(self) -> None:
        pass

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _: object
    ) -> None:
        if isinstance(error, Exception) and not isinstance(error, BrokerError):
            raise _failure(self._what, error, self._password) from None


class _quietly:
    """Ignores an error of a broker library while letting go of a connection (logged at DEBUG)."""

    def __init__(self, what: str) -> None:
        self._what = what

    def __enter__(self) -> None:
        pass

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _: object
    ) -> bool:
        if isinstance(error, Exception):
            _log.debug("%s failed: %s", self._what, type(error).__name__)
            return True
        return False


# --- MQTT (v5) -----------------------------------------------------------------------------------------


def _mqtt_properties(headers: Mapping[str, str], content_type: str | None) -> Any:
    properties_module = _library("paho.mqtt.properties", "paho-mqtt")
    packet_types = _library("paho.mqtt.packettypes", "paho-mqtt")
    properties = properties_module.Properties(packet_types.PacketTypes.PUBLISH)
    if headers:
        properties.UserProperty = [(str(key), str(value)) for key, value in headers.items()]
    if content_type is not None:
        properties.ContentType = content_type
    return properties


def _mqtt_message(topic: str, payload: bytes, properties: Any) -> Message:
    headers: dict[str, str] = {}
    content_type: str | None = None
    if properties is not None:
        for key, value in getattr(properties, "UserProperty", None) or ():
            headers[str(key)] = _header_text(value)
        content_type = getattr(properties, "ContentType", None)
    return _message(topic, bytes(payload), headers, content_type)


def _mqtt_failed(reason: Any) -> bool:
    failed = getattr(reason, "is_failure", None)
    if isinstance(failed, bool):
        return failed
    return isinstance(reason, int) and reason >= 0x80


class _MqttSubscription:
    def __init__(self, transport: MqttTransport, address: str) -> None:
        self._transport, self.address, self._inbox = transport, address, _Inbox()

    def put(self, message: Message) -> None:
        self._inbox.put(message)

    def receive(self, timeout: float | None) -> Message | None:
        return self._inbox.take(timeout)

    def close(self) -> None:
        self._transport._unsubscribe(self)


class _BrokerTransport:
    """Where a transport connects (for messages) and the password kept out of them; :meth:`_start` sets up
    the rest."""

    def __init__(self, where: str, password: str | None) -> None:
        self._place, self._password = where, password
        self._start()

    def _start(self) -> None:
        pass

    def _where(self) -> str:
        return self._place


class _MqttSettings(_BrokerTransport):
    """Where an MQTT transport connects, and as whom."""

    #: the member of an AsyncAPI channel's ``bindings`` this transport reads
    BINDING = "mqtt"

    def __init__(
        self,
        host: str,
        port: int = 1883,
        *,
        username: str | None = None,
        password: str | None = None,
        tls: bool = False,
        client_id: str | None = None,
        qos: int = 1,
    ) -> None:
        self.host, self.port, self.qos = host, port, qos
        self._username, self._tls, self._client_id = username, tls, client_id
        super().__init__(f"the MQTT broker {host}:{port}", password)


class MqttTransport(_MqttSettings):
    """MQTT v5 through paho-mqtt 2.x: headers as user properties, the content type as ContentType.

    It connects on first use; paho's network thread delivers the messages, which :meth:`receive` takes from
    any thread."""

    def _start(self) -> None:
        self._lock = threading.Lock()
        self._client: Any = None
        self._connected = threading.Event()
        self._refusal: str | None = None
        self._subscriptions: dict[str, list[_MqttSubscription]] = {}
        self._subacks = threading.Condition(self._lock)
        self._acked: dict[int, list[Any]] = {}  # SUBACK reason codes by message id

    def _connect(self) -> Any:
        with self._lock:
            if self._client is not None:
                return self._client
            mqtt = _library("paho.mqtt.client", "paho-mqtt")
            client = mqtt.Client(
                callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
                client_id=self._client_id or "",
                protocol=mqtt.MQTTv5,
            )
            if self._username is not None:
                client.username_pw_set(self._username, self._password)
            if self._tls:
                client.tls_set_context(ssl.create_default_context())
            client.on_connect = self._on_connect
            client.on_subscribe = self._on_subscribe
            client.on_message = self._on_message
            self._connected.clear()
            self._refusal = None
            with _reraised(f"cannot connect to {self._where()}", self._password):
                client.connect(self.host, self.port, keepalive=60)
            client.loop_start()
            if not self._connected.wait(BROKER_TIMEOUT) or self._refusal is not None:
                client.loop_stop()
                client.disconnect()
                reason = self._refusal or f"no answer within {BROKER_TIMEOUT} s"
                raise BrokerError(f"{self._where()} refused the connection: {reason}")
            self._client = client
            return client

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if _mqtt_failed(reason):
            self._refusal = str(reason)
        elif self._connected.is_set():  # a reconnection (clean start): subscribe again
            for topic in list(self._subscriptions):
                client.subscribe(topic, qos=self.qos)
        self._connected.set()

    def _on_subscribe(self, client: Any, userdata: Any, mid: int, reasons: Any, props: Any) -> None:
        with self._subacks:
            self._acked[mid] = list(reasons)
            self._subacks.notify_all()

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        with self._lock:
            subscriptions = list(self._subscriptions.get(message.topic, ()))
        if not subscriptions:
            return
        received = _mqtt_message(
            message.topic, message.payload, getattr(message, "properties", None)
        )
        for subscription in subscriptions:
            subscription.put(received)

    def send(
        self,
        address: str,
        payload: bytes,
        *,
        headers: Mapping[str, str],
        content_type: str | None,
        bindings: Mapping[str, Any],
    ) -> None:
        client = self._connect()
        properties = _mqtt_properties(headers, content_type)
        info = client.publish(address, payload, qos=self.qos, properties=properties)
        with _reraised(f"{self._where()} did not take a message", self._password):
            info.wait_for_publish(BROKER_TIMEOUT)
        if not info.is_published():
            raise BrokerError(f"{self._where()} did not take a message within {BROKER_TIMEOUT} s")

    def subscribe(self, address: str, *, bindings: Mapping[str, Any]) -> Subscription:
        client = self._connect()
        subscription = _MqttSubscription(self, address)
        with self._lock:
            self._subscriptions.setdefault(address, []).append(subscription)
        try:
            # not under self._lock: paho's thread takes it in the callbacks
            result, mid = client.subscribe(address, qos=self.qos)
            if result != 0:
                raise BrokerError(f"{self._where()}: cannot subscribe (error {result})")
            with self._subacks:
                acked = self._subacks.wait_for(lambda: mid in self._acked, BROKER_TIMEOUT)
                reasons = self._acked.pop(mid, [])
            if not acked:
                raise BrokerError(f"{self._where()} did not confirm a subscription")
            if any(_mqtt_failed(reason) for reason in reasons):
                raise BrokerError(f"{self._where()} refused a subscription: {reasons[0]}")
        except BrokerError:
            self._unsubscribe(subscription)
            raise
        return subscription

    def _unsubscribe(self, subscription: _MqttSubscription) -> None:
        with self._lock:
            others = self._subscriptions.get(subscription.address, [])
            if subscription in others:
                others.remove(subscription)
            if others or self._client is None:
                return
            del self._subscriptions[subscription.address]
            client = self._client
        client.unsubscribe(subscription.address)

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
            self._subscriptions.clear()
        if client is not None:
            client.disconnect()
            client.loop_stop()


class _AsyncMqttSubscription:
    def __init__(self, transport: AsyncMqttTransport, address: str) -> None:
        self._transport, self.address, self._inbox = transport, address, _AsyncInbox()

    def put(self, message: Message) -> None:
        self._inbox.put(message)

    async def receive(self, timeout: float | None) -> Message | None:
        return await self._inbox.take(timeout)

    async def close(self) -> None:
        await self._transport._unsubscribe(self)


class AsyncMqttTransport(_MqttSettings):
    """:class:`MqttTransport` through aiomqtt 2.x, on the event loop that first uses it."""

    def _start(self) -> None:
        self._lock: asyncio.Lock | None = None
        self._client: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._subscriptions: dict[str, list[_AsyncMqttSubscription]] = {}

    async def _connect(self) -> Any:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._client is not None:
                return self._client
            aiomqtt = _library("aiomqtt", "aiomqtt")
            client = aiomqtt.Client(
                self.host,
                self.port,
                username=self._username,
                password=self._password,
                identifier=self._client_id,
                protocol=aiomqtt.ProtocolVersion.V5,
                tls_context=ssl.create_default_context() if self._tls else None,
                timeout=BROKER_TIMEOUT,
            )
            with _reraised(f"cannot connect to {self._where()}", self._password):
                await client.__aenter__()
            self._client = client
            self._reader = asyncio.create_task(self._read(client))
            return client

    async def _read(self, client: Any) -> None:
        async for message in client.messages:
            topic = str(message.topic)
            subscriptions = self._subscriptions.get(topic, ())
            if not subscriptions:
                continue
            payload = message.payload if isinstance(message.payload, bytes) else b""
            received = _mqtt_message(topic, payload, getattr(message, "properties", None))
            for subscription in subscriptions:
                subscription.put(received)

    async def send(
        self,
        address: str,
        payload: bytes,
        *,
        headers: Mapping[str, str],
        content_type: str | None,
        bindings: Mapping[str, Any],
    ) -> None:
        client = await self._connect()
        properties = _mqtt_properties(headers, content_type)
        with _reraised(f"{self._where()} did not take a message", self._password):
            await client.publish(
                address, payload, qos=self.qos, properties=properties, timeout=BROKER_TIMEOUT
            )

    async def subscribe(self, address: str, *, bindings: Mapping[str, Any]) -> AsyncSubscription:
        client = await self._connect()
        subscription = _AsyncMqttSubscription(self, address)
        self._subscriptions.setdefault(address, []).append(subscription)
        try:
            with _reraised(f"{self._where()}: cannot subscribe", self._password):
                reasons = await client.subscribe(address, qos=self.qos, timeout=BROKER_TIMEOUT)
            if any(_mqtt_failed(reason) for reason in reasons):
                raise BrokerError(f"{self._where()} refused a subscription: {reasons[0]}")
        except BrokerError:
            await self._unsubscribe(subscription)
            raise
        return subscription

    async def _unsubscribe(self, subscription: _AsyncMqttSubscription) -> None:
        others = self._subscriptions.get(subscription.address, [])
        if subscription in others:
            others.remove(subscription)
        if others or self._client is None:
            return
        del self._subscriptions[subscription.address]
        with _quietly("unsubscribing"):  # the connection is gone: nothing to unsubscribe from
            await self._client.unsubscribe(subscription.address, timeout=BROKER_TIMEOUT)

    async def close(self) -> None:
        client, self._client = self._client, None
        reader, self._reader = self._reader, None
        self._subscriptions.clear()
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError), _quietly("reading messages"):
                await reader
        if client is not None:
            with _quietly("disconnecting"):
                await client.__aexit__(None, None, None)


# --- AMQP 0-9-1 ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _AmqpRoute:
    """Where a channel's messages go, from its AsyncAPI ``amqp`` binding."""

    exchange: str  # "" for the default exchange (``is: queue``)
    exchange_type: str
    exchange_durable: bool
    exchange_auto_delete: bool
    routing_key: str
    queue: str | None  # the queue of ``is: queue``
    queue_durable: bool
    queue_exclusive: bool
    queue_auto_delete: bool

    @property
    def declares_exchange(self) -> bool:
        return bool(self.exchange) and not self.exchange.startswith("amq.")


def amqp_route(address: str, bindings: Mapping[str, Any]) -> _AmqpRoute:
    """The exchange, routing key and queue of ``address`` under the AsyncAPI AMQP channel binding."""
    queue_binding = bindings.get("queue") if isinstance(bindings.get("queue"), Mapping) else {}
    exchange = bindings.get("exchange") if isinstance(bindings.get("exchange"), Mapping) else {}
    assert isinstance(queue_binding, Mapping) and isinstance(exchange, Mapping)
    if bindings.get("is") == "queue":
        name = str(queue_binding.get("name") or address)
        return _AmqpRoute(
            exchange="",
            exchange_type="direct",
            exchange_durable=True,
            exchange_auto_delete=False,
            routing_key=name,
            queue=name,
            queue_durable=bool(queue_binding.get("durable", False)),
            queue_exclusive=bool(queue_binding.get("exclusive", False)),
            queue_auto_delete=bool(queue_binding.get("autoDelete", False)),
        )
    return _AmqpRoute(
        exchange=str(exchange.get("name") or "amq.topic"),
        exchange_type=str(exchange.get("type") or "topic"),
        exchange_durable=bool(exchange.get("durable", True)),
        exchange_auto_delete=bool(exchange.get("autoDelete", False)),
        routing_key=address,
        queue=None,
        queue_durable=False,
        queue_exclusive=True,
        queue_auto_delete=True,
    )


def _amqp_headers(headers: Any) -> dict[str, str]:
    if not isinstance(headers, Mapping):
        return {}
    return {str(key): _header_text(value) for key, value in headers.items()}


def _url_password(url: str) -> str | None:
    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return unquote(password) if password else None


def _url_place(url: str) -> str:
    """``host:port`` of a URL, for messages (never its credentials)."""
    try:
        parts = urlsplit(url)
        return f"{parts.hostname}:{parts.port or ''}".rstrip(":")
    except ValueError:
        return "(an invalid URL)"


class _AmqpSubscription:
    def __init__(self, transport: AmqpTransport, address: str, route: _AmqpRoute) -> None:
        self._transport, self._address, self._route = transport, address, route
        self._inbox: queue.SimpleQueue[Message] = queue.SimpleQueue()
        self.consumer_tag: str | None = None

    def deliver(self, channel: Any, method: Any, properties: Any, body: bytes) -> None:
        address = self._address if self._route.queue else str(method.routing_key)
        headers = _amqp_headers(getattr(properties, "headers", None))
        content_type = getattr(properties, "content_type", None)
        self._inbox.put(_message(address, bytes(body), headers, content_type))

    def receive(self, timeout: float | None) -> Message | None:
        deadline = _deadline(timeout)
        while True:
            try:
                return self._inbox.get_nowait()
            except queue.Empty:
                pass
            left = _left(deadline)
            if left is not None and left <= 0:
                return None
            self._transport._process(left)

    def close(self) -> None:
        self._transport._cancel(self)


class _AmqpSettings(_BrokerTransport):
    """Where an AMQP transport connects, and as whom: a URL in pika's syntax."""

    #: the member of an AsyncAPI channel's ``bindings`` this transport reads
    BINDING = "amqp"

    def __init__(self, url: str) -> None:
        self._url = url
        super().__init__(f"the AMQP broker {_url_place(url)}", _url_password(url))


class AmqpTransport(_AmqpSettings):
    """AMQP 0-9-1 through pika 1.x (``BlockingConnection``), the address mapped by the AsyncAPI binding.

    pika is not thread-safe: use a transport and its subscriptions from one thread (the messages arrive
    while :meth:`Subscription.receive` waits).  The connection is serviced only inside these calls, so it
    asks for no heartbeats (unless the URL's ``heartbeat`` says otherwise): a workflow busy elsewhere for
    minutes does not lose it."""

    def _start(self) -> None:
        self._connection: Any = None
        self._channel: Any = None
        self._declared: set[tuple[str, str]] = set()

    def _open(self) -> Any:
        if self._channel is not None and self._channel.is_open:
            return self._channel
        pika = _library("pika", "pika")
        with _reraised(f"cannot connect to {self._where()}", self._password):
            parameters = pika.URLParameters(self._url)
            if "heartbeat" not in urlsplit(self._url).query:
                parameters.heartbeat = 0
            if self._connection is None or not self._connection.is_open:
                self._connection = pika.BlockingConnection(parameters)
            channel = self._connection.channel()
            channel.confirm_delivery()
        self._channel, self._declared = channel, set()
        return channel

    def _declare(self, channel: Any, route: _AmqpRoute, *, for_sending: bool) -> None:
        if route.declares_exchange and ("exchange", route.exchange) not in self._declared:
            channel.exchange_declare(
                route.exchange,
                exchange_type=route.exchange_type,
                durable=route.exchange_durable,
                auto_delete=route.exchange_auto_delete,
            )
            self._declared.add(("exchange", route.exchange))
        if route.queue is not None and ("queue", route.queue) not in self._declared:
            if for_sending and route.queue_exclusive:
                return  # another connection's queue: declaring it would fail
            channel.queue_declare(
                route.queue,
                durable=route.queue_durable,
                exclusive=route.queue_exclusive,
                auto_delete=route.queue_auto_delete,
            )
            self._declared.add(("queue", route.queue))

    def send(
        self,
        address: str,
        payload: bytes,
        *,
        headers: Mapping[str, str],
        content_type: str | None,
        bindings: Mapping[str, Any],
    ) -> None:
        pika = _library("pika", "pika")
        route = amqp_route(address, bindings)
        channel = self._open()
        properties = pika.BasicProperties(
            content_type=content_type, headers=dict(headers) if headers else None
        )
        with _reraised(f"{self._where()} did not take a message", self._password):
            self._declare(channel, route, for_sending=True)
            channel.basic_publish(route.exchange, route.routing_key, payload, properties)

    def subscribe(self, address: str, *, bindings: Mapping[str, Any]) -> Subscription:
        route = amqp_route(address, bindings)
        channel = self._open()
        subscription = _AmqpSubscription(self, address, route)
        with _reraised(f"{self._where()}: cannot subscribe", self._password):
            self._declare(channel, route, for_sending=False)
            if route.queue is not None:
                queue_name = route.queue
            else:
                declared = channel.queue_declare("", exclusive=True, auto_delete=True)
                queue_name = declared.method.queue
                channel.queue_bind(queue_name, route.exchange, routing_key=route.routing_key)
            subscription.consumer_tag = channel.basic_consume(
                queue_name, subscription.deliver, auto_ack=True
            )
        return subscription

    def _process(self, timeout: float | None) -> None:
        if self._connection is None:
            raise BrokerError(f"{self._where()}: the transport is closed")
        with _reraised(f"{self._where()}: the connection failed", self._password):
            self._connection.process_data_events(time_limit=timeout if timeout is not None else 1.0)

    def _cancel(self, subscription: _AmqpSubscription) -> None:
        tag, subscription.consumer_tag = subscription.consumer_tag, None
        if tag is None or self._channel is None or not self._channel.is_open:
            return
        with _quietly("cancelling a consumer"):
            self._channel.basic_cancel(tag)

    def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            with _quietly("closing the connection"):
                connection.close()


class _AsyncAmqpSubscription:
    def __init__(self, address: str, route: _AmqpRoute) -> None:
        self._address, self._route, self._inbox = address, route, _AsyncInbox()
        self.queue: Any = None
        self.consumer_tag: str | None = None

    async def deliver(self, message: Any) -> None:
        address = self._address if self._route.queue else str(message.routing_key)
        headers = _amqp_headers(message.headers)
        self._inbox.put(_message(address, bytes(message.body), headers, message.content_type))

    async def receive(self, timeout: float | None) -> Message | None:
        return await self._inbox.take(timeout)

    async def close(self) -> None:
        tag, self.consumer_tag = self.consumer_tag, None
        if tag is None or self.queue is None:
            return
        with _quietly("cancelling a consumer"):
            await self.queue.cancel(tag)


class AsyncAmqpTransport(_AmqpSettings):
    """:class:`AmqpTransport` through aio-pika, on the event loop that first uses it."""

    def _start(self) -> None:
        self._lock: asyncio.Lock | None = None
        self._connection: Any = None
        self._channel: Any = None
        self._exchanges: dict[str, Any] = {}
        self._queues: set[str] = set()

    async def _open(self) -> Any:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._channel is not None and not self._channel.is_closed:
                return self._channel
            aio_pika = _library("aio_pika", "aio-pika")
            with _reraised(f"cannot connect to {self._where()}", self._password):
                if self._connection is None or self._connection.is_closed:
                    self._connection = await aio_pika.connect(self._url, timeout=BROKER_TIMEOUT)
                self._channel = await self._connection.channel(publisher_confirms=True)
            self._exchanges, self._queues = {}, set()
            return self._channel

    async def _exchange(self, channel: Any, route: _AmqpRoute) -> Any:
        if not route.exchange:
            return channel.default_exchange
        exchange = self._exchanges.get(route.exchange)
        if exchange is None:
            if route.declares_exchange:
                exchange = await channel.declare_exchange(
                    route.exchange,
                    route.exchange_type,
                    durable=route.exchange_durable,
                    auto_delete=route.exchange_auto_delete,
                )
            else:
                exchange = await channel.get_exchange(route.exchange, ensure=False)
            self._exchanges[route.exchange] = exchange
        return exchange

    async def _queue(self, channel: Any, route: _AmqpRoute) -> Any:
        assert route.queue is not None
        queue_ = await channel.declare_queue(
            route.queue,
            durable=route.queue_durable,
            exclusive=route.queue_exclusive,
            auto_delete=route.queue_auto_delete,
        )
        self._queues.add(route.queue)
        return queue_

    async def send(
        self,
        address: str,
        payload: bytes,
        *,
        headers: Mapping[str, str],
        content_type: str | None,
        bindings: Mapping[str, Any],
    ) -> None:
        aio_pika = _library("aio_pika", "aio-pika")
        route = amqp_route(address, bindings)
        channel = await self._open()
        message = aio_pika.Message(
            payload, headers=dict(headers) if headers else None, content_type=content_type
        )
        with _reraised(f"{self._where()} did not take a message", self._password):
            exchange = await self._exchange(channel, route)
            # (an exclusive queue is another connection's: declaring it would fail)
            if (
                route.queue is not None
                and route.queue not in self._queues
                and not route.queue_exclusive
            ):
                await self._queue(channel, route)
            await exchange.publish(message, routing_key=route.routing_key, timeout=BROKER_TIMEOUT)

    async def subscribe(self, address: str, *, bindings: Mapping[str, Any]) -> AsyncSubscription:
        route = amqp_route(address, bindings)
        channel = await self._open()
        subscription = _AsyncAmqpSubscription(address, route)
        with _reraised(f"{self._where()}: cannot subscribe", self._password):
            if route.queue is not None:
                queue_ = await self._queue(channel, route)
            else:
                exchange = await self._exchange(channel, route)
                queue_ = await channel.declare_queue(None, exclusive=True, auto_delete=True)
                await queue_.bind(exchange, routing_key=route.routing_key)
            subscription.queue = queue_
            subscription.consumer_tag = await queue_.consume(subscription.deliver, no_ack=True)
        return subscription

    async def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and not connection.is_closed:
            with _quietly("closing the connection"):
                await connection.close()


# --- by URL --------------------------------------------------------------------------------------------

_DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}


def transport_for(url: str, *, asynchronous: bool) -> Transport | AsyncTransport:
    """The transport of a broker URL: ``mqtt://[user:password@]host[:port]``, ``mqtts://`` (TLS),
    ``amqp://user:password@host:port/vhost`` or ``amqps://...`` (pika's URL syntax)."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
    except ValueError:
        raise UnsupportedProtocol("the broker URL cannot be parsed") from None
    if scheme in ("amqp", "amqps"):
        return AsyncAmqpTransport(url) if asynchronous else AmqpTransport(url)
    if scheme in _DEFAULT_PORTS:
        try:
            port = parts.port or _DEFAULT_PORTS[scheme]
        except ValueError:
            raise UnsupportedProtocol(f"the {scheme} URL's port is not a number") from None
        if not parts.hostname:
            raise UnsupportedProtocol(f"the {scheme} URL names no host")
        username = unquote(parts.username) if parts.username is not None else None
        password = unquote(parts.password) if parts.password is not None else None
        mqtt = AsyncMqttTransport if asynchronous else MqttTransport
        return mqtt(
            parts.hostname, port, username=username, password=password, tls=scheme == "mqtts"
        )
    hint = ": use MemoryBroker().transport() in tests" if scheme == "memory" else ""
    raise UnsupportedProtocol(
        f"no transport for the protocol {scheme or '(none)'!r}{hint} (supported: mqtt, mqtts, amqp, amqps)"
    )
