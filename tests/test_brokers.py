"""A mixed workflow (HTTP step, send, receive with correlation, HTTP step) on real brokers (issue 17 item 5).

The generated package of tests/test_asyncapi.py's mixed workflow runs sync and async against the scripted
HTTP server and, for messages, a Mosquitto and a RabbitMQ broker the tests start on 127.0.0.1
(tests/services.py: Debian's packages, installed when missing; skipped with the reason where they cannot be,
failed under ``CI=true``).  An order service on the broker answers each order at once, first with another
request's confirmation, while the workflow is still busy with an HTTP step: the receive step's subscription
was made before the first step, so the reply waits for it, and correlation picks this request's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.scripted import Recorded, Reply, build_package, import_package, scripted
from tests.test_asyncapi import (
    MIXED,
    ORDERS_MQTT,
    SHOP,
    build_example,
    needs_shared,
    order_service,
    petstore,
    run_mixed,
    shop,
)

SLOW_MIXED = MIXED.replace(
    """      - stepId: confirmed""",
    """      - stepId: slow
        operationId: $sourceDescriptions.shop.getOrder
        parameters: [{name: id, in: path, value: 0}]
      - stepId: confirmed""",
)


def slow_shop(request: Recorded) -> Reply:
    if request.path == "/orders/0":
        time.sleep(0.3)
        return Reply(200, {"id": 0, "state": "new"})
    return shop(request)


@contextmanager
def order_desk(
    messages: ModuleType,
    url: str,
    address: str = "shop/orders",
    answer: Callable[[Any], Any] | None = None,
) -> Iterator[list[Any]]:
    """A service on the broker at ``url``: answers every message on ``address`` with what ``answer`` returns,
    ``(address, payload, headers)`` or ``(address, payload, headers, bindings)`` (default: the order service,
    see ``order_service``); yields the messages it received."""
    answer = answer or order_service()
    received: list[Any] = []
    ready, stop = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def serve() -> None:
        try:
            transport = messages.transport_for(url, asynchronous=False)
            try:
                inbox = transport.subscribe(address, bindings={})
                ready.set()
                while not stop.is_set():
                    message = inbox.receive(0.05)
                    if message is None:
                        continue
                    received.append(message)
                    for to, payload, headers, *bindings in answer(message):
                        transport.send(
                            to, messages.encode_payload(payload, "application/json"), headers=headers,
                            content_type="application/json", bindings=bindings[0] if bindings else {},
                        )  # fmt: skip
                inbox.close()
            finally:
                transport.close()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            failures.append(error)
            ready.set()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(30), "the order service did not subscribe"
    assert not failures, failures
    try:
        yield received
    finally:
        stop.set()
        thread.join(30)
    assert not failures, failures


@pytest.fixture(scope="module")
def mixed_package(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    root = tmp_path_factory.mktemp("brokers")
    out, warnings = build_package(
        root,
        {"flow.arazzo.yaml": SLOW_MIXED, "orders.asyncapi.yaml": ORDERS_MQTT, "shop.openapi.yaml": SHOP},
        "mixed_brokers",
    )
    assert warnings == []
    return import_package(out, "mixed_brokers")


def run_on(package: ModuleType, url: str) -> None:
    messages = package._runtime_messages

    def transports(asynchronous: bool) -> Any:
        return messages.transport_for(url, asynchronous=asynchronous)

    with order_desk(messages, url) as orders, scripted(slow_shop) as server:
        results = run_mixed(package, server.url, transports, sku="x1", request="r-7", quantity=3)
    assert [(r.order_id, r.state) for r in results] == [(41, "paid")] * 2, results
    assert [r.line for r in server.requests] == ["POST /carts", "GET /orders/0", "GET /orders/41"] * 2
    assert [(m.address, m.payload, m.headers.get("requestId"), m.content_type) for m in orders] == [
        ("shop/orders", {"cart": "cart-x1", "quantity": 3}, "r-7", "application/json"),
    ] * 2


def test_the_mixed_workflow_runs_on_mosquitto(mixed_package: ModuleType, mosquitto_server: Any) -> None:
    run_on(mixed_package, mosquitto_server.url)


def test_the_mixed_workflow_runs_on_rabbitmq(mixed_package: ModuleType, rabbitmq_server: Any) -> None:
    run_on(mixed_package, rabbitmq_server.url)


def test_the_generated_client_connects_to_the_server_the_asyncapi_document_names(
    tmp_path: Path, mosquitto_server: Any
) -> None:
    """A client created without ``server`` connects to the document's first MQTT server (here rewritten to
    the test broker's port)."""
    document = ORDERS_MQTT.replace("127.0.0.1:1883", f"127.0.0.1:{mosquitto_server.port}")
    out, _ = build_package(
        tmp_path, {"flow.arazzo.yaml": MIXED, "orders.asyncapi.yaml": document, "shop.openapi.yaml": SHOP},
        "mixed_default_server",
    )  # fmt: skip
    package = import_package(out, "mixed_default_server")
    messages = package._runtime_messages
    with order_desk(messages, mosquitto_server.url), scripted(shop) as server:
        with package.apis.shop.client.Client(server.url) as shop_api:
            outputs = package.workflows.flow.buy(sku="x2", request="r-8", shop_api=shop_api)
    assert (outputs.order_id, outputs.state) == (41, "paid")


@needs_shared
def test_the_specification_example_runs_on_rabbitmq(tmp_path: Path, rabbitmq_server: Any) -> None:
    """The Arazzo 1.1 specification's own example, built as written, run against the scripted petstore and a
    RabbitMQ broker (its AsyncAPI document names a Kafka server, which no transport speaks: the client is
    given the broker's URL), with the order service of tests/test_asyncapi.py on the broker."""
    out, _ = build_example(tmp_path, "pet_example_amqp")
    package = import_package(out, "pet_example_amqp")
    messages = package._runtime_messages
    url = rabbitmq_server.url

    def confirm(message: Any) -> list[Any]:
        headers = {"orderRequestId": message.headers.get("orderCorrelationId", "")}
        return [("confirm-order", {"orderId": 100 + message.payload["petId"]}, headers)]

    workflows = package.workflows.pet_purchase
    with order_desk(messages, url, "place-order", confirm) as served, scripted(petstore) as server:
        with package.apis.openapi.client.Client(server.url + "/api/v3") as pets, package.apis.pet.client.Client(
            url
        ) as orders:
            outputs = workflows.login_user_and_retrieve_pet(
                username="ann", password="pw", order_correlation_id="c-2",
                pet_store_description_api=pets, async_order_api_description_api=orders,
            )  # fmt: skip
    assert outputs.order_id == 107
    assert [(m.payload, m.headers.get("orderCorrelationId")) for m in served] == [({"petId": 7}, "c-2")]


def test_an_amqp_channel_binding_routes_through_its_exchange(tmp_path: Path, rabbitmq_server: Any) -> None:
    """The golden ``asyncapi_steps`` workflow on RabbitMQ: its invoice channel's AMQP binding names the
    exchange ``billing``; the invoice is published there (not on ``amq.topic``) and the workflow receives it,
    correlated by its ``orderId`` header, because the client subscribes as the binding says."""
    from tests.test_asyncapi import GOLDEN_SPECS

    files = {p.relative_to(GOLDEN_SPECS).as_posix(): p.read_text() for p in GOLDEN_SPECS.rglob("*.yaml")}
    out, _ = build_package(tmp_path, files, "golden_on_rabbit")
    package = import_package(out, "golden_on_rabbit")
    messages = package._runtime_messages
    url = rabbitmq_server.url
    billing = {"is": "routingKey", "exchange": {"name": "billing", "type": "topic"}}

    def bill(message: Any) -> list[Any]:
        request = message.headers["requestId"]
        return [
            # an invoice on amq.topic with the same routing key: the client must not see it
            ("billing.invoices", {"orderId": 41, "amount": 1.0}, {"orderId": "41", "issuer": "amq.topic"}),
            ("shop/confirmations", {"request": request, "orderId": 41, "status": "accepted"}, {}),
            ("billing.invoices", {"orderId": 41, "amount": 9.5}, {"orderId": "41", "issuer": "billing"}, billing),
        ]

    apis = package.apis
    with order_desk(messages, url, answer=bill), scripted(shop) as server:
        with apis.shop.client.Client(server.url) as shop_api, apis.orders.client.Client(
            url
        ) as orders_api, apis.billing.client.Client(url) as billing_api:
            outputs = package.workflows.shop.buy(
                sku="s", request="r", shop_api=shop_api, orders_api=orders_api, billing_api=billing_api
            )
    assert (outputs.order_id, outputs.amount, outputs.issuer, outputs.state) == (41, 9.5, "billing", "paid")
