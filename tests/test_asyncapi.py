"""AsyncAPI sources and steps of Arazzo 1.1 (issue 17 items 4 and 5), compiled and run.

A ``type: asyncapi`` source becomes a messaging client (``send_<channel>``, ``subscribe_<channel>``,
``receive_<channel>``) over a transport; a step with ``action: send`` sends a message, one with ``action:
receive`` takes the first message of its channel whose correlation id matches (subscribed before the
workflow's first step, so a fast reply is never lost), within its ``timeout``.  These tests run the generated
functions sync and async against the scripted HTTP server and the in-memory broker; tests/test_brokers.py
runs a mixed workflow on real Mosquitto and RabbitMQ brokers.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from arazzo_gen.config import PackageOptions
from arazzo_gen.diagnostics import Diagnostics
from arazzo_gen.pipeline import compile_specs
from arazzo_gen.resolve.sources import Rewrite, Rewrites
from arazzo_gen.write import write_tree
from tests.scripted import Recorded, Reply, build_package, import_package, scripted
from tests.test_rule_cases import diagnose

SHARED = Path(__file__).resolve().parents[2] / "shared"
SPEC_1_1 = SHARED / "spec" / "arazzo-1.1.0.md"
OAI = SHARED / "corpus" / "_oai"
needs_shared = pytest.mark.skipif(
    not SPEC_1_1.is_file() or not OAI.is_dir(),
    reason="needs ../shared (the Arazzo 1.1.0 text and the OAI examples) beside the repository",
)


def spec_example() -> str:
    """The Arazzo Specification Object example of the 1.1.0 text (a pet purchase over HTTP and AsyncAPI)."""
    text = SPEC_1_1.read_text(encoding="utf-8")
    start = text.index("##### Arazzo Specification Object Example")
    return text[start:].split("```yaml", 1)[1].split("```", 1)[0].lstrip()


def build_example(tmp_path: Path, package: str) -> tuple[Path, list[str]]:
    """Build the specification's example as written: its two source urls read through rewrites, in place."""
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "pet-purchase.arazzo.yaml").write_text(spec_example(), encoding="utf-8")
    rewrites = Rewrites((
        Rewrite("https://github.com/swagger-api/swagger-petstore/blob/master/src/main/resources/",
                ("_remote/swagger-api/swagger-petstore/",), OAI),
        Rewrite("https://raw.githubusercontent.com/OAI/Arazzo-Specification/main/", ("",), OAI),
    ))  # fmt: skip
    diagnostics = Diagnostics()
    tree = compile_specs(
        specs, PackageOptions(package=package), diagnostics, roots=[OAI], rewrites=rewrites
    )
    headlines = sorted(d.headline() for d in diagnostics.items)
    assert tree is not None, "\n".join(headlines)
    write_tree(tmp_path / "out", tree)
    return tmp_path / "out", headlines


def petstore(request: Recorded) -> Reply:
    if request.path == "/api/v3/user/login":
        return Reply(200, "token-1", headers={"X-Expires-After": "2030-01-01T00:00:00Z", "X-Rate-Limit": "5"})
    if request.path == "/api/v3/pet/findByStatus":
        return Reply(200, [{"id": 7, "name": "Rex", "photoUrls": []}])
    return Reply(404, {"unscripted": request.line})


def confirm_orders(broker: Any) -> None:
    """The order service of the example: a place-order message is answered on confirm-order, first with a
    reply for another order (which the workflow must skip), then with this order's, correlated by the
    ``orderRequestId`` header as the AsyncAPI document's correlationId says."""

    def answer(message: Any) -> list[tuple[str, Any, dict[str, str]]]:
        correlation = message.headers.get("orderCorrelationId", "")
        return [
            ("confirm-order", {"orderId": 1}, {"orderRequestId": "someone-else"}),
            ("confirm-order", {"orderId": 100 + message.payload["petId"]}, {"orderRequestId": correlation}),
        ]

    broker.reply("place-order", answer)


def run_example(package: ModuleType, url: str, broker: Any, **inputs: Any) -> list[Any]:
    workflows = package.workflows.pet_purchase
    http = package.apis.openapi.client
    messaging = package.apis.pet.client
    results: list[Any] = []
    with http.Client(url + "/api/v3") as pets, messaging.Client(transport=broker.transport()) as orders:
        try:
            results.append(workflows.login_user_and_retrieve_pet(
                **inputs, pet_store_description_api=pets, async_order_api_description_api=orders))  # fmt: skip
        except Exception as error:  # noqa: BLE001 - the test asserts what was raised
            results.append(error)

    async def run() -> Any:
        async with http.AsyncClient(url + "/api/v3") as pets, messaging.AsyncClient(
            transport=broker.async_transport()
        ) as orders:
            try:
                return await workflows.login_user_and_retrieve_pet_async(
                    **inputs, pet_store_description_api=pets, async_order_api_description_api=orders)  # fmt: skip
            except Exception as error:  # noqa: BLE001
                return error

    results.append(asyncio.run(run()))
    return results


@needs_shared
def test_the_specification_example_builds_as_written_and_runs_over_http_and_a_broker(tmp_path: Path) -> None:
    out, warnings = build_example(tmp_path, "pet_example")
    where = "specs/pet-purchase.arazzo.yaml"
    # the example as published has defects a user meets: each is a located warning, and what they mean is built
    assert sorted(re.sub(r":\d+:\d+:", ":L:C:", w.replace(str(tmp_path / where), where)) for w in warnings) == [
        f"{where}:L:C: warning[channel-by-message]: 'confirmOrder' is no operation of asyncOrderApiDescription (pet-asyncapi.yaml); its only channel with a message of that name, 'confirm-order', is used: write channelPath: '{{$sourceDescriptions.asyncOrderApiDescription.url}}#/channels/confirm-order'",
        f"{where}:L:C: warning[missing-message-header]: step 'purchasePetStep' does not set the header 'orderRequestId' the messages of channel 'place-order' require; the message is sent without it",
        f"{where}:L:C: warning[nonstandard-expression]: '$message.payload.orderId' is not a standard runtime expression; write '$message.payload#/orderId'; it is compiled with that meaning",
        f"{where}:L:C: warning[operation-path-by-id]: operationPath '$sourceDescriptions.asyncOrderApiDescription.confirmOrder' has no JSON Pointer; it is read as the operationId it names: write operationId: $sourceDescriptions.asyncOrderApiDescription.confirmOrder",
        f"{where}:L:C: warning[operation-path-by-id]: operationPath '$sourceDescriptions.asyncOrderApiDescription.placeOrder' has no JSON Pointer; it is read as the operationId it names: write operationId: $sourceDescriptions.asyncOrderApiDescription.placeOrder",
        f"{where}:L:C: warning[source-name-case]: no sourceDescription is named 'petstoreDescription' with that case; its only match ignoring case, 'petStoreDescription', is used: write 'petStoreDescription'",
        f"{where}:L:C: warning[source-name-case]: no sourceDescription is named 'petstoreDescription' with that case; its only match ignoring case, 'petStoreDescription', is used: write 'petStoreDescription'",
        f"{where}:L:C: warning[undeclared-parameter]: header 'orderCorrelationId' is not a parameter of place-order; it is sent as an extra header",
    ]
    package = import_package(out, "pet_example")
    messages = package._runtime_messages
    broker = messages.MemoryBroker()
    confirm_orders(broker)
    with scripted(petstore) as server:
        results = run_example(package, server.url, broker, username="ann", password="pw", order_correlation_id="c-1")
    assert [r.order_id for r in results] == [107, 107], results
    assert [(r.line, r.query) for r in server.requests] == [
        ("GET /api/v3/user/login", [("username", "ann"), ("password", "pw")]),
        ("GET /api/v3/pet/findByStatus", [("status", "available")]),
    ] * 2
    assert [r.headers["authorization"] for r in server.requests[1::2]] == ['token-1', 'token-1']
    assert [(m.address, m.payload, dict(m.headers), m.content_type) for m in broker.sent] == [
        ("place-order", {"petId": 7}, {"orderCorrelationId": "c-1"}, "application/json"),
    ] * 2


def test_the_example_package_carries_the_messaging_runtime_and_declares_the_broker_libraries(tmp_path: Path) -> None:
    out, _ = build_package(tmp_path, {"flow.arazzo.yaml": MIXED, "orders.asyncapi.yaml": ORDERS_MQTT, "shop.openapi.yaml": SHOP}, "mixed_deps")
    package = out / "mixed_deps"
    assert (package / "_runtime_asyncapi.py").is_file() and (package / "_runtime_messages.py").is_file()
    pyproject = (out / "pyproject.toml").read_text()
    dependencies = pyproject.split("dependencies = [", 1)[1].split("]", 1)[0]
    # its servers are MQTT ones: the MQTT libraries are requirements; AMQP's an extra
    assert '"paho-mqtt>=2.1,<3"' in dependencies and '"aiomqtt>=2.3,<3"' in dependencies
    assert "pika" not in dependencies
    assert 'amqp = ["pika>=1.3,<2", "aio-pika>=9.4,<11"]' in pyproject
    client = (package / "apis" / "orders" / "client.py").read_text()
    assert 'SERVERS: dict[str, str] = {\n    "local": "mqtt://127.0.0.1:1883",\n}' in client


SHOP = """
openapi: 3.0.3
info: {title: Shop, version: "1"}
paths:
  /carts:
    post:
      operationId: createCart
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {sku: {type: string}}}
      responses:
        "201":
          description: created
          content:
            application/json:
              schema: {type: object, properties: {id: {type: string}}}
  /orders/{id}:
    get:
      operationId: getOrder
      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
      responses:
        "200":
          description: the order
          content:
            application/json:
              schema: {type: object, properties: {id: {type: integer}, state: {type: string}}}
"""

ORDERS_MQTT = """
asyncapi: 3.0.0
info: {title: Orders, version: "1"}
servers:
  local: {host: "127.0.0.1:1883", protocol: mqtt}
channels:
  orders:
    address: shop/orders
    messages:
      order:
        contentType: application/json
        correlationId: {location: "$message.header#/requestId"}
        headers: {type: object, properties: {requestId: {type: string}}}
        payload: {type: object, required: [cart], properties: {cart: {type: string}, quantity: {type: integer}}}
  confirmations:
    address: shop/confirmations
    messages:
      confirmation:
        contentType: application/json
        correlationId: {location: "$message.payload#/request"}
        payload:
          type: object
          properties: {request: {type: string}, orderId: {type: integer}, status: {type: string}}
operations:
  placeOrder:
    action: receive
    channel: {$ref: "#/channels/orders"}
    reply:
      channel: {$ref: "#/channels/confirmations"}
  confirmOrder:
    action: send
    channel: {$ref: "#/channels/confirmations"}
"""

MIXED = """
arazzo: 1.1.0
info: {title: Mixed, version: "1"}
sourceDescriptions:
  - {name: shop, url: ./shop.openapi.yaml}
  - {name: orders, url: ./orders.asyncapi.yaml, type: asyncapi}
workflows:
  - workflowId: buy
    inputs:
      type: object
      required: [sku, request]
      properties: {sku: {type: string}, request: {type: string}, quantity: {type: integer}}
    steps:
      - stepId: cart
        operationId: $sourceDescriptions.shop.createCart
        requestBody: {payload: {sku: $inputs.sku}}
        successCriteria: [{condition: $statusCode == 201}]
        outputs: {cart: $response.body#/id}
      - stepId: order
        operationId: $sourceDescriptions.orders.placeOrder
        action: send
        parameters: [{name: requestId, in: header, value: $inputs.request}]
        requestBody: {payload: {cart: $steps.cart.outputs.cart, quantity: $inputs.quantity}}
      - stepId: confirmed
        channelPath: "{$sourceDescriptions.orders.url}#/channels/confirmations"
        action: receive
        correlationId: $inputs.request
        timeout: 3000
        successCriteria:
          - condition: $message.payload#/status == 'accepted'
        outputs:
          orderId: $message.payload#/orderId
          status: $message.payload#/status
      - stepId: check
        operationId: $sourceDescriptions.shop.getOrder
        parameters: [{name: id, in: path, value: $steps.confirmed.outputs.orderId}]
        successCriteria: [{condition: $response.body#/state == 'paid'}]
        outputs: {state: $response.body#/state}
    outputs:
      orderId: $steps.confirmed.outputs.orderId
      state: $steps.check.outputs.state
"""


def shop(request: Recorded) -> Reply:
    if request.line == "POST /carts":
        return Reply(201, {"id": "cart-" + request.json()["sku"]})
    if request.line.startswith("GET /orders/"):
        return Reply(200, {"id": int(request.path.rsplit("/", 1)[1]), "state": "paid"})
    return Reply(404, {"unscripted": request.line})


def order_service(delay: float = 0.0, status: str = "accepted") -> Callable[[Any], Any]:
    """Answers an order on shop/confirmations: first a confirmation of another request, then this one's."""

    def answer(message: Any) -> list[tuple[str, Any, dict[str, str]]]:
        if delay:
            time.sleep(delay)
        request = message.headers["requestId"]
        return [
            ("shop/confirmations", {"request": "other", "orderId": 1, "status": "accepted"}, {}),
            ("shop/confirmations", {"request": request, "orderId": 41, "status": status}, {}),
        ]

    return answer


def run_mixed(package: ModuleType, url: str, transports: Callable[[bool], Any], **inputs: Any) -> list[Any]:
    workflows = package.workflows.flow
    http = package.apis.shop.client
    messaging = package.apis.orders.client
    results: list[Any] = []
    transport = transports(False)  # the caller's: closed here, not by the client
    with http.Client(url) as shop_api, messaging.Client(transport=transport) as orders_api:
        try:
            results.append(workflows.buy(**inputs, shop_api=shop_api, orders_api=orders_api))
        except Exception as error:  # noqa: BLE001
            results.append(error)
    transport.close()

    async def run() -> Any:
        transport = transports(True)
        try:
            async with http.AsyncClient(url) as shop_api, messaging.AsyncClient(transport=transport) as orders_api:
                try:
                    return await workflows.buy_async(**inputs, shop_api=shop_api, orders_api=orders_api)
                except Exception as error:  # noqa: BLE001
                    return error
        finally:
            await transport.close()

    results.append(asyncio.run(run()))
    return results


def build_mixed(tmp_path: Path, package: str, flow: str = MIXED) -> ModuleType:
    out, warnings = build_package(
        tmp_path, {"flow.arazzo.yaml": flow, "orders.asyncapi.yaml": ORDERS_MQTT, "shop.openapi.yaml": SHOP}, package
    )
    assert warnings == []
    return import_package(out, package)


def test_a_mixed_workflow_sends_receives_the_correlated_reply_and_goes_on(tmp_path: Path) -> None:
    package = build_mixed(tmp_path, "mixed_memory")
    broker = package._runtime_messages.MemoryBroker()
    broker.reply("shop/orders", order_service())
    transports = lambda asynchronous: broker.async_transport() if asynchronous else broker.transport()  # noqa: E731
    with scripted(shop) as server:
        results = run_mixed(package, server.url, transports, sku="x1", request="r-9", quantity=2)
    assert [(r.order_id, r.state) for r in results] == [(41, "paid")] * 2, results
    assert [r.line for r in server.requests] == ["POST /carts", "GET /orders/41"] * 2
    assert [(m.address, m.payload, dict(m.headers)) for m in broker.sent] == [
        ("shop/orders", {"cart": "cart-x1", "quantity": 2}, {"requestId": "r-9"}),
    ] * 2


def test_a_receive_step_fails_on_its_criteria_and_after_its_timeout_with_no_matching_message(tmp_path: Path) -> None:
    package = build_mixed(tmp_path, "mixed_failures", MIXED.replace("timeout: 3000", "timeout: 300"))
    step_failed = package._runtime.StepFailed
    broker = package._runtime_messages.MemoryBroker()
    broker.reply("shop/orders", order_service(status="rejected"))
    transports = lambda asynchronous: broker.async_transport() if asynchronous else broker.transport()  # noqa: E731
    with scripted(shop) as server:
        rejected = run_mixed(package, server.url, transports, sku="x1", request="r-1")
    for error in rejected:
        assert isinstance(error, step_failed), error
        assert (error.step, error.criterion) == ("confirmed", "$message.payload#/status == 'accepted'")
    assert [r.line for r in server.requests] == ["POST /carts"] * 2  # the last step does not run
    silent = package._runtime_messages.MemoryBroker()  # nobody answers
    transports = lambda asynchronous: silent.async_transport() if asynchronous else silent.transport()  # noqa: E731
    with scripted(shop) as server:
        started = time.monotonic()
        timed_out = run_mixed(package, server.url, transports, sku="x1", request="r-1")
        took = time.monotonic() - started
    for error in timed_out:
        assert isinstance(error, step_failed), error
        assert (error.step, error.response) == ("confirmed", None)
        assert error.criterion == "a matching message within the step's timeout (300 ms)"
    assert 0.6 <= took < 5, took


def test_a_reply_sent_before_the_receive_step_runs_is_not_lost(tmp_path: Path) -> None:
    """The service answers at once, while the workflow is still busy with the HTTP step after the send: the
    receive step's subscription was made before the first step, so the reply waits for it."""
    flow = MIXED.replace(
        """      - stepId: confirmed""",
        """      - stepId: slow
        operationId: $sourceDescriptions.shop.getOrder
        parameters: [{name: id, in: path, value: 0}]
      - stepId: confirmed""",
    )
    package = build_mixed(tmp_path, "mixed_early", flow)
    broker = package._runtime_messages.MemoryBroker()
    broker.reply("shop/orders", order_service())

    def slow_shop(request: Recorded) -> Reply:
        if request.path == "/orders/0":
            time.sleep(0.2)
            return Reply(200, {"id": 0, "state": "new"})
        return shop(request)

    transports = lambda asynchronous: broker.async_transport() if asynchronous else broker.transport()  # noqa: E731
    with scripted(slow_shop) as server:
        results = run_mixed(package, server.url, transports, sku="x1", request="r-2")
    assert [(r.order_id, r.state) for r in results] == [(41, "paid")] * 2, results


EXTRA = {"asyncapi/orders.yaml": ORDERS_MQTT, "openapi/shop.yaml": SHOP}


def test_asyncapi_step_mistakes_are_located_errors(tmp_path: Path) -> None:
    flow = """arazzo: 1.1.0
info: {title: T, version: "1"}
sourceDescriptions:
  - {name: shop, url: ../openapi/shop.yaml}
  - {name: orders, url: ../asyncapi/orders.yaml, type: asyncapi}
workflows:
  - workflowId: w
    steps:
      - stepId: noAction
        operationId: $sourceDescriptions.orders.placeOrder
      - stepId: receiveWithBody
        operationId: $sourceDescriptions.orders.placeOrder
        action: receive
        requestBody: {payload: {a: 1}}
      - stepId: queryOnMessage
        operationId: $sourceDescriptions.orders.placeOrder
        action: send
        parameters: [{name: q, in: query, value: 1}]
        requestBody: {payload: {cart: c}}
      - stepId: noChannel
        channelPath: "{$sourceDescriptions.orders.url}#/channels/order"
        action: receive
      - stepId: httpWithAction
        operationId: $sourceDescriptions.shop.createCart
        action: send
      - stepId: messageOutside
        operationId: $sourceDescriptions.shop.createCart
        outputs: {x: $message.payload#/a}
"""
    found = diagnose(tmp_path, flow, extra=EXTRA)
    assert [line.split(": ", 1)[1] for line in found if "error[" in line] == [
        "error[invalid-step]: a receive step has no 'requestBody': it receives a message, it sends none",
        "error[invalid-parameter]: parameter 'q' is 'in: query'; a message has only headers ('in: header')",
        "error[unknown-operation]: channelPath '{$sourceDescriptions.orders.url}#/channels/order' does not name a channel of orders (orders.yaml); did you mean '#/channels/orders'?",
        "error[invalid-step]: 'action' belongs to a step of an AsyncAPI source; this step calls an HTTP operation",
        "error[message-outside-receive]: '$message.payload#/a' reads the message an AsyncAPI step with 'action: receive' received, but step 'messageOutside' receives no message; expose it as an output of the receive step and use $steps.<id>.outputs.<name>",
        "error[invalid-step]: a step of an AsyncAPI operation or channel needs an 'action': send or receive",
    ], found


def test_a_1_0_document_has_no_asyncapi_sources_nor_message_expressions(tmp_path: Path) -> None:
    flow = """arazzo: 1.0.1
info: {title: T, version: "1"}
sourceDescriptions:
  - {name: shop, url: ../openapi/shop.yaml}
  - {name: orders, url: ../asyncapi/orders.yaml, type: asyncapi}
workflows:
  - workflowId: w
    steps:
      - stepId: cart
        operationId: createCart
        outputs: {x: $message.payload#/a}
"""
    found = [line.split(": ", 1)[1] for line in diagnose(tmp_path, flow, extra=EXTRA) if "error[" in line]
    assert found == [
        "error[message-outside-receive]: '$message.payload#/a' reads the message an AsyncAPI step with 'action: receive' received, but step 'cart' receives no message; expose it as an output of the receive step and use $steps.<id>.outputs.<name>",
        "error[invalid-source-type]: sourceDescription type 'asyncapi' is not one Arazzo 1.0 defines (openapi, arazzo); source 'orders' is not read",
    ], found


def test_asyncapi_document_defects_are_located_warnings_and_the_sound_rest_is_built(tmp_path: Path) -> None:
    events = """asyncapi: 1.2.0
info: {title: Events, version: "1"}
channels:
  events:
    address: app/events
    messages:
      event:
        correlationId: {location: "$message.body#/id"}
        payload: {type: object, properties: {id: {type: string}}}
  plain:
    address: app/plain
    messages:
      note: {payload: {type: string}, headers: {type: object, required: 5}}
  nowhere:
    address: null
operations:
  listen: {action: send, channel: {$ref: "#/channels/events"}}
  nowhere: {action: send, channel: {$ref: "#/channels/missing"}}
"""
    flow = """arazzo: 1.1.0
info: {title: T, version: "1"}
sourceDescriptions:
  - {name: events, url: ../asyncapi/events.yaml, type: asyncapi}
workflows:
  - workflowId: w
    steps:
      - stepId: note
        channelPath: "{$sourceDescriptions.events.url}#/channels/plain"
        action: receive
        correlationId: abc
        outputs: {text: $message.payload}
"""
    found = diagnose(tmp_path, flow, extra={"asyncapi/events.yaml": events})
    assert found == [
        "specs/arazzo/jobs.arazzo.yaml:11:24: warning[correlation-id-unused]: channel 'plain' declares no correlationId location for its messages, so 'correlationId' cannot be matched; every message is taken",
        "specs/asyncapi/events.yaml:14:3: warning[unknown-channel-address]: channel 'nowhere' has no address (null or absent: unknown); its key is used as its address",
        "specs/asyncapi/events.yaml:18:3: warning[unresolved-ref]: AsyncAPI operation 'nowhere' names no channel of this document; it is left out",
        "specs/asyncapi/events.yaml:1:11: warning[asyncapi-version]: asyncapi version '1.2.0' is neither 2.x nor 3.x; reading it as 3.0",
        "specs/asyncapi/events.yaml:8:35: warning[invalid-correlation-id]: correlationId location '$message.body#/id' of message 'event' is not '$message.header#/<pointer>' or '$message.payload#/<pointer>'; it is not used",
    ], found


GOLDEN_SPECS = Path(__file__).resolve().parent / "fixtures" / "golden" / "asyncapi_steps" / "specs"


def test_an_asyncapi_2_6_receive_is_correlated_by_a_header_and_reads_message_headers(tmp_path: Path) -> None:
    """The golden ``asyncapi_steps`` workflow run: its invoice comes from an AsyncAPI 2.6 source (a
    ``subscribe`` operation, an AMQP channel binding), correlated by the ``orderId`` header; the output
    ``issuer`` reads a message header."""
    files = {path.relative_to(GOLDEN_SPECS).as_posix(): path.read_text() for path in GOLDEN_SPECS.rglob("*.yaml")}
    out, warnings = build_package(tmp_path, files, "golden_messages")
    assert warnings == []
    package = import_package(out, "golden_messages")
    broker = package._runtime_messages.MemoryBroker()

    def orders(message: Any) -> list[tuple[str, Any, dict[str, str]]]:
        request = message.headers["requestId"]
        return [
            ("billing.invoices", {"orderId": 41, "amount": 1.0}, {"orderId": "40", "issuer": "wrong"}),
            ("shop/confirmations", {"request": request, "orderId": 41, "status": "accepted"}, {}),
            ("billing.invoices", {"orderId": 41, "amount": 9.5}, {"orderId": "41", "issuer": "acme"}),
        ]

    broker.reply("shop/orders", orders)
    workflows, clients = package.workflows.shop, package.apis
    results = []
    with scripted(shop) as server:
        with clients.shop.client.Client(server.url) as shop_api, clients.orders.client.Client(
            transport=broker.transport()
        ) as orders_api, clients.billing.client.Client(transport=broker.transport()) as billing_api:
            results.append(workflows.buy(sku="s", request="r", shop_api=shop_api, orders_api=orders_api, billing_api=billing_api))

        async def run() -> Any:
            async with clients.shop.client.AsyncClient(server.url) as shop_api, clients.orders.client.AsyncClient(
                transport=broker.async_transport()
            ) as orders_api, clients.billing.client.AsyncClient(transport=broker.async_transport()) as billing_api:
                return await workflows.buy_async(
                    sku="s", request="r", shop_api=shop_api, orders_api=orders_api, billing_api=billing_api
                )

        results.append(asyncio.run(run()))
    assert [(r.order_id, r.amount, r.issuer, r.state) for r in results] == [(41, 9.5, "acme", "paid")] * 2


REPLY_FLOW = """
arazzo: 1.1.0
info: {title: Reply, version: "1"}
sourceDescriptions:
  - {name: orders, url: ./orders.asyncapi.yaml, type: asyncapi}
workflows:
  - workflowId: twice
    inputs: {type: object, properties: {first: {type: string}, second: {type: string}}}
    steps:
      - stepId: order1
        operationId: placeOrder
        action: send
        parameters: [{name: requestId, in: header, value: $inputs.first}]
        requestBody: {payload: {cart: a}}
      - stepId: reply1
        operationId: placeOrder
        action: receive
        timeout: 2000
        outputs: {orderId: $message.payload#/orderId}
      - stepId: order2
        operationId: placeOrder
        action: send
        parameters: [{name: requestId, in: header, value: $inputs.second}]
        requestBody: {payload: {cart: b}}
      - stepId: reply2
        channelPath: "{$sourceDescriptions.orders.url}#/channels/confirmations"
        action: receive
        correlationId: $inputs.second
        timeout: 500
        outputs: {orderId: $message.payload#/orderId}
    outputs:
      first: $steps.reply1.outputs.orderId
      second: $steps.reply2.outputs.orderId
"""


def test_a_receive_on_an_operation_with_a_reply_takes_the_reply_and_steps_on_one_channel_share_it(
    tmp_path: Path,
) -> None:
    """``placeOrder`` is received by the application and replied to on ``confirmations``: a workflow step
    receiving on ``placeOrder`` takes the reply (not the workflow's own order on ``shop/orders``).  Two receive
    steps on one channel share its subscription: the second takes the second reply, not the first again; a
    correlationId that evaluates to None fails the step by name instead of taking any message."""
    out, warnings = build_package(
        tmp_path, {"flow.arazzo.yaml": REPLY_FLOW, "orders.asyncapi.yaml": ORDERS_MQTT}, "reply_flows"
    )
    assert warnings == []
    package = import_package(out, "reply_flows")
    broker = package._runtime_messages.MemoryBroker()
    counter = iter(range(1, 100))
    broker.reply(
        "shop/orders",
        lambda message: [
            ("shop/confirmations", {"request": message.headers.get("requestId"), "orderId": next(counter)}, {})
        ],
    )
    source = package.workflows.flow
    client = package.apis.orders.client
    with client.Client(transport=broker.transport()) as orders:
        outputs = source.twice(first="r1", second="r2", orders_api=orders)
        assert (outputs.first, outputs.second) == (1, 2)
        with pytest.raises(package._runtime.StepFailed) as failed:
            source.twice(first="r3", orders_api=orders)
    assert failed.value.step == "reply2"
    assert "the step's correlationId needs a value" in str(failed.value)
    assert [m.address for m in broker.sent] == ["shop/orders"] * 4


def test_a_receive_on_the_channel_the_workflow_sends_to_is_a_warning_and_message_in_correlation_an_error(
    tmp_path: Path,
) -> None:
    flow = """arazzo: 1.1.0
info: {title: T, version: "1"}
sourceDescriptions:
  - {name: orders, url: ../asyncapi/orders.yaml, type: asyncapi}
workflows:
  - workflowId: w
    steps:
      - stepId: order
        operationId: placeOrder
        action: send
        requestBody: {payload: {cart: a}}
      - stepId: own
        channelPath: "{$sourceDescriptions.orders.url}#/channels/orders"
        action: receive
        correlationId: $message.header.requestId
"""
    assert diagnose(tmp_path, flow, extra=EXTRA) == [
        "specs/arazzo/jobs.arazzo.yaml:12:17: warning[receive-own-channel]: step 'own' receives on channel 'orders', where step 'order' of this workflow sends: it may take that message, the workflow's own",
        "specs/arazzo/jobs.arazzo.yaml:15:24: error[response-in-request]: '$message.header.requestId' is used to build the request of the same step, before there is a request or response; take the value from an earlier step's outputs",
    ]


def test_asyncapi_servers_addresses_and_operation_ids_arazzo_gen_cannot_use_as_written_are_warnings(
    tmp_path: Path,
) -> None:
    """Credentials in a server are never copied into the generated code; server variables and channel
    parameters are not substituted (said, not silently sent literally); a null address is unknown; a repeated
    AsyncAPI 2 operationId keeps its first use."""
    events = """asyncapi: 2.6.0
info: {title: Events, version: "1"}
servers:
  secret: {url: "amqp://admin:hunter2@rabbit.example.com:5672/vh", protocol: amqp}
  templated: {url: "{host}:1883", protocol: mqtt, variables: {host: {default: localhost}}}
channels:
  user/{userId}/signedup:
    subscribe: {operationId: signedUp, message: {payload: {type: object}}}
  other:
    publish: {operationId: signedUp, message: {payload: {type: object}}}
"""
    flow = """arazzo: 1.1.0
info: {title: T, version: "1"}
sourceDescriptions:
  - {name: events, url: ../asyncapi/events.yaml, type: asyncapi}
workflows:
  - workflowId: w
    steps:
      - {stepId: hear, operationId: signedUp, action: receive, timeout: 10}
"""
    found = diagnose(tmp_path, flow, extra={"asyncapi/events.yaml": events})
    assert found == [
        "specs/asyncapi/events.yaml:4:3: warning[credential-in-description]: server 'secret' has user information (credentials) in its host; it is left out of the generated code: pass the server URL with the credentials to the client",
        "specs/asyncapi/events.yaml:5:3: warning[unsubstituted-address]: server 'templated' has variables ({...}), which arazzo-gen does not substitute; it is not a default server: pass the server URL to the client",
        "specs/asyncapi/events.yaml:7:3: warning[unsubstituted-address]: channel address 'user/{userId}/signedup' has parameters ({...}), which arazzo-gen does not substitute: messages are sent to and received from the address as written",
        "specs/asyncapi/events.yaml:9:3: warning[duplicate-operation-id]: operationId 'signedUp' is also used at line 7; steps naming it get the first",
    ], found
    tree, _ = compile_files_quietly(tmp_path / "again", flow, events)
    client = tree["rule_pkg/apis/events/client.py"]
    readme = tree["README.md"]
    assert "hunter2" not in client and "admin" not in client and "hunter2" not in readme
    assert '"secret": "amqp://rabbit.example.com:5672/vh"' in client


def compile_files_quietly(root: Path, flow: str, events: str) -> tuple[dict[str, str], list[str]]:
    from tests.scripted import compile_files

    tree, headlines = compile_files(
        root, {"arazzo/flow.arazzo.yaml": flow, "asyncapi/events.yaml": events}, "rule_pkg"
    )
    assert tree is not None, headlines
    return tree, headlines
