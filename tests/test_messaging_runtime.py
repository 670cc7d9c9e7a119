"""The messaging runtime (issue 17, MESSAGING.md): the transports of AsyncAPI steps against real brokers.

Every behaviour the generated code relies on is checked against Mosquitto (MQTT v5), RabbitMQ (AMQP 0-9-1)
and the in-process MemoryBroker, through the sync and the async transports; the brokers are the ones
tests/services.py starts on 127.0.0.1.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pydantic
import pytest
from arazzo_gen.runtime import _runtime_messages as rm

from tests.services import BrokerServer, free_port

pytestmark = pytest.mark.timeout(120)

HEADERS = {"x-trace": "abc-123", "x-ümlaut": "grüße ✓"}
PAYLOAD = {"order": 7, "items": ["a", "b"], "note": "ünïcode ✓", "ok": True, "none": None}
#: bounds of a receive timeout of 0.5 s on a loaded 2-core machine
TIMEOUT, SLACK = 0.5, 2.0


@dataclass
class Backend:
    """One broker as the tests see it: fresh transports of it, sync and async, and the channel bindings."""

    name: str
    sync: Callable[[], rm.Transport]
    asynchronous: Callable[[], rm.AsyncTransport]
    bindings: Mapping[str, Any] = field(default_factory=dict)
    url: str = ""


def _address() -> str:
    """A channel address of this test alone (MQTT topic and AMQP routing key alike)."""
    return f"arazzo.test.{uuid.uuid4().hex}"


@pytest.fixture(params=["memory", "mqtt", "amqp"])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "memory":
        broker = rm.MemoryBroker()
        return Backend("memory", broker.transport, broker.async_transport)
    if request.param == "mqtt":
        url = request.getfixturevalue("mosquitto_server").url
    else:
        url = request.getfixturevalue("rabbitmq_server").url
    return Backend(
        request.param,
        lambda: rm.transport_for(url, asynchronous=False),
        lambda: rm.transport_for(url, asynchronous=True),
        url=url,
    )


@pytest.fixture
def transports(backend: Backend) -> Iterator[Callable[[], rm.Transport]]:
    """Makes sync transports of ``backend``, closed at the end of the test."""
    made: list[rm.Transport] = []

    def make() -> rm.Transport:
        made.append(backend.sync())
        return made[-1]

    yield make
    for transport in made:
        transport.close()


@pytest.fixture
async def async_transports(backend: Backend) -> AsyncIterator[Callable[[], rm.AsyncTransport]]:
    made: list[rm.AsyncTransport] = []

    def make() -> rm.AsyncTransport:
        made.append(backend.asynchronous())
        return made[-1]

    yield make
    for transport in made:
        await transport.close()


def _send(
    transport: rm.Transport,
    address: str,
    value: Any,
    *,
    headers: Mapping[str, str] | None = None,
    content_type: str | None = "application/json",
    bindings: Mapping[str, Any] | None = None,
) -> None:
    transport.send(
        address,
        rm.encode_payload(value, content_type),
        headers=headers or {},
        content_type=content_type,
        bindings=bindings or {},
    )


async def _send_async(
    transport: rm.AsyncTransport,
    address: str,
    value: Any,
    *,
    headers: Mapping[str, str] | None = None,
    content_type: str | None = "application/json",
    bindings: Mapping[str, Any] | None = None,
) -> None:
    await transport.send(
        address,
        rm.encode_payload(value, content_type),
        headers=headers or {},
        content_type=content_type,
        bindings=bindings or {},
    )


# --- the same behaviour on every broker, sync ------------------------------------------------------------


def test_round_trip_with_headers_json_payload_and_content_type(
    backend: Backend, transports: Callable[[], rm.Transport]
) -> None:
    receiver, sender = transports(), transports()
    address = _address()
    subscription = receiver.subscribe(address, bindings=backend.bindings)
    _send(sender, address, PAYLOAD, headers=HEADERS, content_type="application/json")
    message = subscription.receive(10)
    assert message is not None
    assert message.address == address
    assert message.payload == PAYLOAD
    assert dict(message.headers) == HEADERS
    assert message.content_type == "application/json"
    assert message.raw == rm.encode_payload(PAYLOAD, "application/json")
    assert subscription.receive(0.2) is None  # exactly one
    subscription.close()


def test_a_message_sent_before_subscribing_is_not_received_one_sent_right_after_always_is(
    backend: Backend, transports: Callable[[], rm.Transport]
) -> None:
    receiver, sender = transports(), transports()
    for attempt in range(5):
        address = _address()
        _send(sender, address, {"early": attempt})
        subscription = receiver.subscribe(address, bindings=backend.bindings)
        _send(sender, address, {"late": attempt})  # right after subscribe() returned
        message = subscription.receive(10)
        assert message is not None and message.payload == {"late": attempt}
        assert subscription.receive(0.1) is None
        subscription.close()


def test_the_messages_arrive_in_order_and_wait_until_taken(
    backend: Backend, transports: Callable[[], rm.Transport]
) -> None:
    receiver, sender = transports(), transports()
    address = _address()
    subscription = receiver.subscribe(address, bindings=backend.bindings)
    for number in range(20):
        _send(sender, address, number, content_type=None)
    time.sleep(0.3)  # they arrive while nobody receives
    received = [subscription.receive(10) for _ in range(20)]
    assert [message.payload for message in received if message] == list(range(20))


def test_receive_times_out_with_none_within_bounds(
    backend: Backend, transports: Callable[[], rm.Transport]
) -> None:
    subscription = transports().subscribe(_address(), bindings=backend.bindings)
    begun = time.monotonic()
    assert subscription.receive(TIMEOUT) is None
    assert TIMEOUT - 0.05 <= time.monotonic() - begun < TIMEOUT + SLACK
    begun = time.monotonic()
    assert subscription.receive(0) is None  # no wait at all
    assert time.monotonic() - begun < SLACK


def test_receive_matching_drops_what_does_not_match(
    backend: Backend, transports: Callable[[], rm.Transport], caplog: pytest.LogCaptureFixture
) -> None:
    receiver, sender = transports(), transports()
    address = _address()
    subscription = receiver.subscribe(address, bindings=backend.bindings)
    for value in ({"id": 1, "secret": "hunter2"}, {"id": 2, "secret": "hunter2"}, {"id": 3}):
        _send(sender, address, value, headers={"x-token": "tok-secret"})
    with caplog.at_level(logging.DEBUG, logger=rm.__name__):
        found = rm.receive_matching(subscription, lambda message: message.payload["id"] == 3, 10)
    assert found is not None and found.payload == {"id": 3}
    dropped = [r.getMessage() for r in caplog.records if "does not match" in r.getMessage()]
    assert len(dropped) == 2 and all(address in line for line in dropped)
    assert "hunter2" not in caplog.text and "tok-secret" not in caplog.text
    # nothing matches: None once the timeout passed in total, the non-matching messages dropped
    _send(sender, address, {"id": 4})
    begun = time.monotonic()
    assert rm.receive_matching(subscription, lambda message: False, TIMEOUT) is None
    assert TIMEOUT - 0.05 <= time.monotonic() - begun < TIMEOUT + SLACK
    assert subscription.receive(0.1) is None


def test_payloads_of_other_content_types(
    backend: Backend, transports: Callable[[], rm.Transport]
) -> None:
    receiver, sender = transports(), transports()
    address = _address()
    subscription = receiver.subscribe(address, bindings=backend.bindings)
    _send(sender, address, "plain ✓", content_type="text/plain")
    _send(sender, address, b"\xff\x00binary", content_type="application/octet-stream")
    _send(sender, address, {"a": 1}, content_type="application/vnd.example+json; charset=utf-8")
    _send(sender, address, b"not json", content_type=None)
    received = [subscription.receive(10) for _ in range(4)]
    assert [(m.payload, m.content_type) for m in received if m is not None] == [
        ("plain ✓", "text/plain"),
        (b"\xff\x00binary", "application/octet-stream"),
        ({"a": 1}, "application/vnd.example+json; charset=utf-8"),
        ("not json", None),
    ]


# --- and async ----------------------------------------------------------------------------------------------


async def test_async_round_trip_with_headers_json_payload_and_content_type(
    backend: Backend, async_transports: Callable[[], rm.AsyncTransport]
) -> None:
    receiver, sender = async_transports(), async_transports()
    address = _address()
    subscription = await receiver.subscribe(address, bindings=backend.bindings)
    await _send_async(sender, address, PAYLOAD, headers=HEADERS)
    message = await subscription.receive(10)
    assert message is not None
    assert (message.address, message.payload, dict(message.headers), message.content_type) == (
        address,
        PAYLOAD,
        HEADERS,
        "application/json",
    )
    assert await subscription.receive(0.2) is None
    await subscription.close()


async def test_async_a_message_sent_before_subscribing_is_not_received_one_sent_right_after_always_is(
    backend: Backend, async_transports: Callable[[], rm.AsyncTransport]
) -> None:
    receiver, sender = async_transports(), async_transports()
    for attempt in range(5):
        address = _address()
        await _send_async(sender, address, {"early": attempt})
        subscription = await receiver.subscribe(address, bindings=backend.bindings)
        await _send_async(sender, address, {"late": attempt})
        message = await subscription.receive(10)
        assert message is not None and message.payload == {"late": attempt}
        assert await subscription.receive(0.1) is None
        await subscription.close()


async def test_async_receive_times_out_with_none_within_bounds(
    backend: Backend, async_transports: Callable[[], rm.AsyncTransport]
) -> None:
    subscription = await async_transports().subscribe(_address(), bindings=backend.bindings)
    begun = time.monotonic()
    assert await subscription.receive(TIMEOUT) is None
    assert TIMEOUT - 0.05 <= time.monotonic() - begun < TIMEOUT + SLACK
    assert await subscription.receive(0) is None


async def test_async_receive_matching_drops_what_does_not_match(
    backend: Backend, async_transports: Callable[[], rm.AsyncTransport]
) -> None:
    receiver, sender = async_transports(), async_transports()
    address = _address()
    subscription = await receiver.subscribe(address, bindings=backend.bindings)
    for number in range(4):
        await _send_async(sender, address, {"id": number})
    found = await rm.receive_matching_async(subscription, lambda m: m.payload["id"] == 2, 10)
    assert found is not None and found.payload == {"id": 2}
    next_one = await subscription.receive(10)  # the one after the match stays
    assert next_one is not None and next_one.payload == {"id": 3}
    begun = time.monotonic()
    assert await rm.receive_matching_async(subscription, lambda m: True, TIMEOUT) is None
    assert TIMEOUT - 0.05 <= time.monotonic() - begun < TIMEOUT + SLACK


async def test_sync_sender_and_async_receiver_together(
    backend: Backend,
    transports: Callable[[], rm.Transport],
    async_transports: Callable[[], rm.AsyncTransport],
) -> None:
    """A sync transport sending from a thread while an async subscription waits on the event loop."""
    subscription = await async_transports().subscribe(
        address := _address(), bindings=backend.bindings
    )
    sender = transports()
    thread = threading.Thread(target=lambda: [_send(sender, address, n) for n in range(3)])
    thread.start()
    received = [await subscription.receive(10) for _ in range(3)]
    thread.join()
    assert [m.payload for m in received if m is not None] == [0, 1, 2]


# --- MemoryBroker -------------------------------------------------------------------------------------------


def test_memory_broker_records_what_was_sent_and_replies() -> None:
    broker = rm.MemoryBroker()
    broker.reply(
        "orders",
        lambda message: [("orders.ack", {"ack": message.payload["id"]}, {"x-of": "orders"})],
    )
    broker.reply("ignored", lambda message: None)
    transport = broker.transport()
    acks = transport.subscribe("orders.ack", bindings={})
    other = transport.subscribe("orders.ackx", bindings={})  # exact addresses only
    _send(transport, "orders", {"id": 9}, headers={"h": "v"})
    _send(transport, "ignored", 1)
    reply = acks.receive(1)
    assert reply is not None
    assert (reply.address, reply.payload, dict(reply.headers), reply.content_type) == (
        "orders.ack",
        {"ack": 9},
        {"x-of": "orders"},
        "application/json",
    )
    assert other.receive(0) is None
    assert [(m.address, m.payload, dict(m.headers)) for m in broker.sent] == [
        ("orders", {"id": 9}, {"h": "v"}),
        ("ignored", 1, {}),
    ]
    acks.close()
    _send(transport, "orders", {"id": 10})
    assert acks.receive(0) is None  # closed: no more messages


async def test_memory_broker_async_transport_receives_what_a_thread_publishes() -> None:
    broker = rm.MemoryBroker()
    subscription = await broker.async_transport().subscribe("events", bindings={})
    threading.Thread(target=lambda: _send(broker.transport(), "events", {"n": 1})).start()
    message = await subscription.receive(5)
    assert message is not None and message.payload == {"n": 1}
    await _send_async(broker.async_transport(), "events", {"n": 2})  # from the loop itself
    message = await subscription.receive(5)
    assert message is not None and message.payload == {"n": 2}
    assert [m.payload for m in broker.sent] == [{"n": 1}, {"n": 2}]


# --- AMQP: the AsyncAPI channel binding -----------------------------------------------------------------


@pytest.fixture
def amqp(rabbitmq_server: BrokerServer) -> Iterator[Any]:
    """A raw pika channel on the test RabbitMQ, to look at what the transports did."""
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(rabbitmq_server.url))
    yield connection.channel()
    connection.close()


def test_amqp_default_mapping_is_amq_topic_with_the_address_as_routing_key(
    rabbitmq_server: BrokerServer, amqp: Any
) -> None:
    address = _address()
    observer = amqp.queue_declare("", exclusive=True).method.queue
    amqp.queue_bind(observer, "amq.topic", routing_key=address)
    transport = rm.AmqpTransport(rabbitmq_server.url)
    try:
        subscription = transport.subscribe(address, bindings={})
        _send(transport, address, {"via": "transport"}, headers={"k": "v"})
        method, properties, body = _amqp_get(amqp, observer)
        assert (method.exchange, method.routing_key, body) == (
            "amq.topic",
            address,
            b'{"via":"transport"}',
        )
        assert (properties.content_type, properties.headers) == ("application/json", {"k": "v"})
        # someone else on that routing key
        amqp.basic_publish("amq.topic", address, b'{"via":"pika"}')
        received = [subscription.receive(10) for _ in range(2)]
        assert [m.payload for m in received if m is not None] == [
            {"via": "transport"},
            {"via": "pika"},
        ]
    finally:
        transport.close()


def _amqp_get(channel: Any, queue: str) -> tuple[Any, Any, bytes]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        method, properties, body = channel.basic_get(queue, auto_ack=True)
        if method is not None:
            return method, properties, body
        time.sleep(0.05)
    raise AssertionError(f"nothing arrived on {queue}")


def test_amqp_is_queue_binding_sends_to_the_named_queue_on_the_default_exchange(
    rabbitmq_server: BrokerServer, amqp: Any
) -> None:
    queue = f"arazzo-queue-{uuid.uuid4().hex}"
    bindings = {"is": "queue", "queue": {"name": queue, "autoDelete": False}}
    sender = rm.AmqpTransport(rabbitmq_server.url)
    receiver = rm.AmqpTransport(rabbitmq_server.url)
    try:
        # the sender declares the queue: a message sent before anyone consumes waits in it
        _send(sender, "orders/created", {"n": 1}, bindings=bindings)
        declared = amqp.queue_declare(queue, passive=True).method
        assert declared.message_count == 1
        subscription = receiver.subscribe("orders/created", bindings=bindings)
        _send(sender, "orders/created", {"n": 2}, bindings=bindings)
        received = [subscription.receive(10) for _ in range(2)]
        assert [(m.address, m.payload) for m in received if m is not None] == [
            ("orders/created", {"n": 1}),
            ("orders/created", {"n": 2}),
        ]
        # without queue.name the address is the queue's name
        address = f"arazzo-queue-{uuid.uuid4().hex}"
        plain = receiver.subscribe(address, bindings={"is": "queue"})
        amqp.basic_publish("", address, b"3")
        message = plain.receive(10)
        assert message is not None and (message.address, message.payload) == (address, 3)
        assert amqp.queue_declare(address, passive=True).method.consumer_count == 1
    finally:
        sender.close()
        receiver.close()
        amqp.queue_delete(queue)


def test_amqp_named_exchange_of_the_binding_is_declared_with_its_type(
    rabbitmq_server: BrokerServer, amqp: Any
) -> None:
    exchange = f"arazzo-ex-{uuid.uuid4().hex}"
    bindings = {
        "is": "routingKey",
        "exchange": {"name": exchange, "type": "direct", "durable": False},
    }
    transport = rm.AmqpTransport(rabbitmq_server.url)
    try:
        subscription = transport.subscribe("key.one", bindings=bindings)
        _send(transport, "key.one", "x", content_type="text/plain", bindings=bindings)
        message = subscription.receive(10)
        assert message is not None and (message.address, message.payload) == ("key.one", "x")
        # a direct exchange, not durable: declaring it so again passes, as topic it would fail
        amqp.exchange_declare(exchange, exchange_type="direct", durable=False)
    finally:
        transport.close()
        amqp.exchange_delete(exchange)


async def test_async_amqp_is_queue_binding(rabbitmq_server: BrokerServer, amqp: Any) -> None:
    queue = f"arazzo-queue-{uuid.uuid4().hex}"
    bindings = {"is": "queue", "queue": {"name": queue}}
    transport = rm.AsyncAmqpTransport(rabbitmq_server.url)
    try:
        await _send_async(transport, "ignored-address", {"n": 1}, bindings=bindings)
        subscription = await transport.subscribe("ignored-address", bindings=bindings)
        message = await subscription.receive(10)
        assert message is not None and message.payload == {"n": 1}
        amqp.basic_publish("", queue, b'"raw"')
        message = await subscription.receive(10)
        assert message is not None and message.payload == "raw"
    finally:
        await transport.close()
        amqp.queue_delete(queue)


def test_the_sync_amqp_connection_asks_for_no_heartbeats(rabbitmq_server: BrokerServer) -> None:
    """Serviced only inside the transport's calls: without heartbeats, an idle connection is not closed."""
    transports = [
        rm.AmqpTransport(rabbitmq_server.url),
        rm.AmqpTransport(rabbitmq_server.url + "?heartbeat=30"),
    ]
    try:
        for transport in transports:
            transport.subscribe(_address(), bindings={})
        negotiated = [transport._connection._impl.params.heartbeat for transport in transports]
        assert negotiated == [0, 30]
    finally:
        for transport in transports:
            transport.close()


def test_amqp_route_of_the_binding() -> None:
    assert rm.amqp_route("a.b", {}) == rm.amqp_route("a.b", {"is": "routingKey"})
    route = rm.amqp_route("a.b", {})
    assert (route.exchange, route.exchange_type, route.routing_key, route.queue) == (
        "amq.topic",
        "topic",
        "a.b",
        None,
    )
    assert not route.declares_exchange
    route = rm.amqp_route("a.b", {"exchange": {"name": "ex", "type": "fanout"}})
    assert (route.exchange, route.exchange_type, route.declares_exchange) == ("ex", "fanout", True)
    route = rm.amqp_route("a.b", {"is": "queue"})
    assert (route.exchange, route.routing_key, route.queue, route.queue_durable) == (
        "",
        "a.b",
        "a.b",
        False,
    )
    route = rm.amqp_route("a.b", {"is": "queue", "queue": {"name": "q", "durable": True}})
    assert (route.routing_key, route.queue, route.queue_durable) == ("q", "q", True)


# --- MQTT v5: headers are user properties -------------------------------------------------------------


def _paho(server: BrokerServer) -> Any:
    import paho.mqtt.client as mqtt

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect(server.host, server.port)
    client.loop_start()
    return client


def test_mqtt_headers_are_user_properties_and_the_content_type_a_property(
    mosquitto_server: BrokerServer,
) -> None:
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    address = _address()
    seen: list[Any] = []
    subscribed = threading.Event()
    observer = _paho(mosquitto_server)
    observer.on_message = lambda client, userdata, message: seen.append(message)
    observer.on_subscribe = lambda *args: subscribed.set()
    transport = rm.MqttTransport(mosquitto_server.host, mosquitto_server.port)
    try:
        observer.subscribe(address, qos=1)
        assert subscribed.wait(10)
        subscription = transport.subscribe(address, bindings={})
        _send(transport, address, {"a": 1}, headers={"k1": "v1", "k2": "v2"})
        deadline = time.monotonic() + 10
        while not seen and time.monotonic() < deadline:
            time.sleep(0.02)
        assert seen, "the observer got nothing"
        properties = seen[0].properties
        assert properties.UserProperty == [("k1", "v1"), ("k2", "v2")]
        assert properties.ContentType == "application/json"
        # and another client's user properties are the headers of the message received
        outgoing = Properties(PacketTypes.PUBLISH)
        outgoing.UserProperty = [("from", "paho")]
        observer.publish(address, b"[1,2]", qos=1, properties=outgoing).wait_for_publish(10)
        received = [subscription.receive(10) for _ in range(2)]
        assert [(dict(m.headers), m.payload) for m in received if m is not None] == [
            ({"k1": "v1", "k2": "v2"}, {"a": 1}),
            ({"from": "paho"}, [1, 2]),
        ]
    finally:
        transport.close()
        observer.loop_stop()
        observer.disconnect()


# --- transport_for, encode_payload --------------------------------------------------------------------


def test_transport_for_mqtt_urls() -> None:
    transport = rm.transport_for(
        "mqtt://user:p%40ss%3Aword@broker.example:1884", asynchronous=False
    )
    assert isinstance(transport, rm.MqttTransport)
    assert (transport.host, transport.port, transport.qos) == ("broker.example", 1884, 1)
    assert (transport._username, transport._password, transport._tls) == (
        "user",
        "p@ss:word",
        False,
    )
    secure = rm.transport_for("mqtts://broker.example", asynchronous=True)
    assert isinstance(secure, rm.AsyncMqttTransport)
    assert (secure.port, secure._tls, secure._username, secure._password) == (
        8883,
        True,
        None,
        None,
    )
    plain = rm.transport_for("MQTT://broker.example", asynchronous=False)
    assert isinstance(plain, rm.MqttTransport) and plain.port == 1883


def test_transport_for_amqp_urls() -> None:
    assert isinstance(
        rm.transport_for("amqp://u:p@host:5673/vh", asynchronous=False), rm.AmqpTransport
    )
    assert isinstance(rm.transport_for("amqps://host", asynchronous=False), rm.AmqpTransport)
    assert isinstance(rm.transport_for("amqp://host", asynchronous=True), rm.AsyncAmqpTransport)
    assert isinstance(rm.transport_for("amqps://host", asynchronous=True), rm.AsyncAmqpTransport)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("kafka://user:topsecret@host:9092", "'kafka'"),
        ("memory://", "MemoryBroker"),
        ("ws://user:topsecret@host/mqtt", "'ws'"),
        ("broker.example:1883", "'broker.example'"),
        ("", "'(none)'"),
        ("mqtt://user:topsecret@host:port", "port is not a number"),
    ],
)
def test_transport_for_other_schemes_is_an_error_naming_the_scheme(url: str, says: str) -> None:
    with pytest.raises(rm.UnsupportedProtocol) as error:
        rm.transport_for(url, asynchronous=False)
    assert isinstance(error.value, ValueError)
    assert says in str(error.value)
    assert "topsecret" not in str(error.value)


class Order(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(populate_by_name=True)
    order_id: int = pydantic.Field(alias="orderId")
    note: str | None = None


def test_encode_payload() -> None:
    assert rm.encode_payload({"a": [1, "ü"]}, None) == '{"a":[1,"ü"]}'.encode()
    assert rm.encode_payload({"a": 1}, "application/json") == b'{"a":1}'
    assert rm.encode_payload({"a": 1}, "application/cloudevents+json; charset=utf-8") == b'{"a":1}'
    assert rm.encode_payload("text ✓", "text/plain") == "text ✓".encode()
    assert rm.encode_payload("text", "application/json") == b'"text"'
    assert rm.encode_payload("text", None) == b'"text"'
    assert rm.encode_payload(b"\x00\xff", "application/json") == b"\x00\xff"
    assert rm.encode_payload(bytearray(b"ab"), None) == b"ab"
    assert rm.encode_payload(None, None) == b"null"
    # pydantic models: by alias, without the fields never set, nested too
    assert rm.encode_payload(Order(orderId=3), None) == b'{"orderId":3}'
    assert rm.encode_payload([Order(order_id=4, note=None)], None) == b'[{"orderId":4,"note":null}]'
    with pytest.raises(TypeError, match="object is not JSON serializable"):
        rm.encode_payload(object(), None)


def test_decode_payload() -> None:
    assert rm.decode_payload(b'{"a":1}', None) == {"a": 1}
    assert rm.decode_payload(b'{"a":1}', "text/plain") == '{"a":1}'
    assert rm.decode_payload(b"not json", "application/json") == "not json"
    assert rm.decode_payload(b"\xff", None) == b"\xff"
    assert rm.decode_payload(b"\xff", "application/json") == b"\xff"


# --- no password in an error -----------------------------------------------------------------------------


def _closed_port() -> int:
    port = free_port()
    with socket.socket() as probe:  # nothing listens there (free_port closed it)
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    return port


@pytest.mark.parametrize("scheme", ["mqtt", "amqp"])
def test_a_refused_connection_names_the_broker_but_not_the_password(scheme: str) -> None:
    url = f"{scheme}://someone:Pa55-w0rd-ZZ@127.0.0.1:{_closed_port()}/"
    transport = rm.transport_for(url, asynchronous=False)
    assert isinstance(transport, rm.MqttTransport | rm.AmqpTransport)
    with pytest.raises(rm.BrokerError) as error:
        transport.subscribe("a", bindings={})
    assert "127.0.0.1" in str(error.value)
    assert "Pa55-w0rd-ZZ" not in str(error.value) and "Pa55-w0rd-ZZ" not in repr(error.value.args)
    assert error.value.__cause__ is None and error.value.__suppress_context__


@pytest.mark.parametrize("scheme", ["mqtt", "amqp"])
async def test_async_a_refused_connection_names_the_broker_but_not_the_password(
    scheme: str,
) -> None:
    url = f"{scheme}://someone:Pa55-w0rd-ZZ@127.0.0.1:{_closed_port()}/"
    transport = rm.transport_for(url, asynchronous=True)
    assert isinstance(transport, rm.AsyncMqttTransport | rm.AsyncAmqpTransport)
    with pytest.raises(rm.BrokerError) as error:
        await transport.send("a", b"1", headers={}, content_type=None, bindings={})
    assert "127.0.0.1" in str(error.value) and "Pa55-w0rd-ZZ" not in str(error.value)
    await transport.close()


@pytest.fixture(scope="module")
def mosquitto_with_passwords() -> Iterator[BrokerServer]:
    """A Mosquitto of this module that lets in only alice, with her password."""
    from tests.services import serve, start_mosquitto

    yield from serve(lambda: start_mosquitto(passwords={"alice": "right-Pa55"}), "Mosquitto")


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
async def test_wrong_credentials_refused_without_the_password_in_the_error(
    asynchronous: bool, mosquitto_with_passwords: BrokerServer, rabbitmq_server: BrokerServer
) -> None:
    mqtt_port = mosquitto_with_passwords.port
    amqp_port = rabbitmq_server.port
    urls = [
        f"mqtt://alice:Wr0ng-Pa55@127.0.0.1:{mqtt_port}",
        f"amqp://guest:Wr0ng-Pa55@127.0.0.1:{amqp_port}/",
    ]
    for url in urls:
        with pytest.raises(rm.BrokerError) as error:
            if asynchronous:
                transport: Any = rm.transport_for(url, asynchronous=True)
                try:
                    await transport.subscribe("a", bindings={})
                finally:
                    await transport.close()
            else:
                transport = rm.transport_for(url, asynchronous=False)
                try:
                    transport.subscribe("a", bindings={})
                finally:
                    transport.close()
        assert "Wr0ng-Pa55" not in str(error.value), str(error.value)
    # the right password works (so it was the password that was refused)
    right = rm.MqttTransport("127.0.0.1", mqtt_port, username="alice", password="right-Pa55")
    right.subscribe("a", bindings={}).close()
    right.close()


# --- the module itself --------------------------------------------------------------------------------


def test_the_broker_libraries_are_imported_only_when_a_transport_needs_them() -> None:
    code = (
        "import sys\n"
        "for name in ('paho', 'aiomqtt', 'pika', 'aio_pika', 'aiormq'):\n"
        "    sys.modules[name] = None  # not installed\n"
        "from arazzo_gen.runtime import _runtime_messages as rm\n"
        "broker = rm.MemoryBroker()\n"
        "sub = broker.transport().subscribe('a', bindings={})\n"
        "broker.transport().send('a', b'1', headers={}, content_type=None, bindings={})\n"
        "assert sub.receive(1).payload == 1\n"
        "transport = rm.transport_for('mqtt://127.0.0.1:1', asynchronous=False)\n"
        "try:\n"
        "    transport.send('a', b'1', headers={}, content_type=None, bindings={})\n"
        "except ImportError as error:\n"
        "    assert 'pip install paho-mqtt' in str(error), error\n"
        "else:\n"
        "    raise AssertionError('no ImportError')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_the_subscription_of_a_closed_sync_transport(mosquitto_server: BrokerServer) -> None:
    transport = rm.transport_for(mosquitto_server.url, asynchronous=False)
    subscription = transport.subscribe(_address(), bindings={})
    transport.close()
    assert subscription.receive(0.1) is None
    subscription.close()  # harmless


def test_message_is_frozen() -> None:
    message = rm.Message("a", 1)
    assert (message.headers, message.content_type, message.raw) == ({}, None, b"")
    with pytest.raises(AttributeError):
        message.payload = 2  # type: ignore[misc]


# --- MqttTransport's handshakes, against a stand-in paho client whose broker answers late -------------


class _LateBroker:
    """A stand-in for paho's ``Client``: CONNACK and SUBACK come from another thread, after ``delay`` s."""

    delay = 0.4
    connack = 0
    suback = 1  # granted QoS 1
    made: ClassVar[list[_LateBroker]] = []

    def __init__(self, **options: Any) -> None:
        self.options, self.calls = options, list[tuple[Any, ...]]()
        _LateBroker.made.append(self)

    def _later(self, callback: Callable[[], None]) -> None:
        threading.Timer(self.delay, callback).start()

    def username_pw_set(self, username: str, password: str | None) -> None:
        self.calls.append(("username_pw_set", username))

    def connect(self, host: str, port: int, keepalive: int) -> None:
        self.calls.append(("connect", host, port))

    def loop_start(self) -> None:
        self._later(lambda: self.on_connect(self, None, {}, self.connack, None))

    def subscribe(self, topic: str, qos: int) -> tuple[int, int]:
        self.calls.append(("subscribe", topic, qos))
        self._later(lambda: self.on_subscribe(self, None, 7, [self.suback], None))
        return 0, 7

    def unsubscribe(self, topic: str) -> None:
        self.calls.append(("unsubscribe", topic))

    def disconnect(self) -> None:
        self.calls.append(("disconnect",))

    def loop_stop(self) -> None:
        pass


@pytest.fixture
def late_broker(monkeypatch: pytest.MonkeyPatch) -> type[_LateBroker]:
    from types import SimpleNamespace

    paho = SimpleNamespace(
        Client=_LateBroker, CallbackAPIVersion=SimpleNamespace(VERSION2=2), MQTTv5=5
    )
    library = rm._library
    monkeypatch.setattr(
        rm,
        "_library",
        lambda module, distribution: (
            paho if module == "paho.mqtt.client" else library(module, distribution)
        ),
    )
    monkeypatch.setattr(_LateBroker, "made", [])
    return _LateBroker


def test_mqtt_subscribe_returns_only_once_the_broker_confirmed(
    late_broker: type[_LateBroker],
) -> None:
    transport = rm.MqttTransport("127.0.0.1", 1, username="u", password="Pa55")
    begun = time.monotonic()
    subscription = transport.subscribe("t", bindings={})
    # the CONNACK, then the SUBACK, each `delay` late: subscribe() waited for both
    assert time.monotonic() - begun >= 2 * late_broker.delay - 0.05
    (client,) = late_broker.made
    assert client.calls == [
        ("username_pw_set", "u"),
        ("connect", "127.0.0.1", 1),
        ("subscribe", "t", 1),
    ]
    subscription.close()
    assert client.calls[-1] == ("unsubscribe", "t")
    transport.close()
    assert client.calls[-1] == ("disconnect",)


def test_mqtt_refusals_are_broker_errors_without_the_password(
    late_broker: type[_LateBroker], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(late_broker, "delay", 0.01)
    monkeypatch.setattr(late_broker, "suback", 0x87)  # not authorized
    transport = rm.MqttTransport("127.0.0.1", 1, username="u", password="Pa55-w0rd-ZZ")
    with pytest.raises(rm.BrokerError, match="refused a subscription: 135"):
        transport.subscribe("t", bindings={})
    assert late_broker.made[0].calls[-1] == ("unsubscribe", "t")
    transport.close()
    monkeypatch.setattr(late_broker, "connack", 0x86)  # bad user name or password
    transport = rm.MqttTransport("127.0.0.1", 1, username="u", password="Pa55-w0rd-ZZ")
    with pytest.raises(rm.BrokerError, match="refused the connection: 134") as error:
        transport.send("t", b"1", headers={}, content_type=None, bindings={})
    assert "Pa55-w0rd-ZZ" not in str(error.value)
