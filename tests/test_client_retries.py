"""Client-level retries (issue 15 item 2), against the scripted server on 127.0.0.1: connection errors, 408, 429,
500, 502, 503 and 504 are retried with exponential backoff and jitter, or after the server's ``Retry-After``
(seconds or an HTTP date, capped); 2 retries by default, ``max_retries=`` per client and per call, 0 disables;
POST and PATCH only when safe (an ``Idempotency-Key`` header, or the call asks).  Inside a workflow the Arazzo
document decides: a step makes exactly the calls the document defines unless the client was configured with
retries explicitly.
"""

from __future__ import annotations

import email.utils
import socket
import time
import types
from pathlib import Path
from typing import Any

import pytest

from .scripted import Reply, build_package, import_package, scripted

API = """
openapi: 3.0.3
info: {title: Items, version: "1"}
servers: [{url: "http://127.0.0.1:9"}]
paths:
  /items/{key}:
    get:
      operationId: getItem
      parameters: [{name: key, in: path, required: true, schema: {type: string}}]
      responses:
        "200":
          description: ok
          content: {application/json: {schema: {$ref: "#/components/schemas/Item"}}}
  /items:
    post:
      operationId: addItem
      requestBody:
        content: {application/json: {schema: {$ref: "#/components/schemas/Item"}}}
      responses:
        "200":
          description: ok
          content: {application/json: {schema: {$ref: "#/components/schemas/Item"}}}
components:
  schemas:
    Item: {type: object, properties: {name: {type: string}}}
"""

FLOW = """
arazzo: 1.0.1
info: {title: Items, version: "1"}
sourceDescriptions: [{name: items, url: ../openapi/items.yaml, type: openapi}]
workflows:
  - workflowId: read
    inputs: {type: object, properties: {key: {type: string}}, required: [key]}
    steps:
      - stepId: read
        operationId: getItem
        parameters: [{name: key, in: path, value: $inputs.key}]
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {name: $response.body#/name}
    outputs: {name: $steps.read.outputs.name}
"""

ITEM = ("GET", "/items/k")
OK = Reply(200, {"name": "n"})


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> types.ModuleType:
    root = tmp_path_factory.mktemp("retries")
    out, _ = build_package(root, {"openapi/items.yaml": API, "arazzo/flow.arazzo.yaml": FLOW}, "client_retries")
    return import_package(out, "client_retries")


def _client(package: types.ModuleType, url: str, **kwargs: Any) -> tuple[Any, list[float]]:
    """A sync client whose waits are recorded instead of slept."""
    client = package.apis.items.Client(url, **kwargs)
    waits: list[float] = []
    client.sleep = waits.append
    return client, waits


# -- a real wait: 429 with Retry-After: 1, then 200 ---------------------------------------------------------
def test_a_429_with_retry_after_is_retried_after_the_wait(package: types.ModuleType) -> None:
    with scripted({ITEM: [Reply(429, {"m": "slow down"}, headers={"Retry-After": "1"}), OK]}) as server:
        with package.apis.items.Client(server.url) as client:
            start = time.monotonic()
            response = client.get_item(key="k")
            elapsed = time.monotonic() - start
    assert response.status_code == 200 and response.parsed.name == "n"
    assert [r.line for r in server.requests] == ["GET /items/k"] * 2
    assert elapsed >= 1.0


async def test_a_429_with_retry_after_is_retried_after_the_wait_async(package: types.ModuleType) -> None:
    with scripted({ITEM: [Reply(429, headers={"Retry-After": "1"}), OK]}) as server:
        async with package.apis.items.AsyncClient(server.url) as client:
            start = time.monotonic()
            response = await client.get_item(key="k")
            elapsed = time.monotonic() - start
    assert response.status_code == 200 and len(server.requests) == 2 and elapsed >= 1.0


# -- inside a workflow, the Arazzo document decides ---------------------------------------------------------
def test_a_workflow_step_makes_exactly_one_call_by_default(package: types.ModuleType) -> None:
    with scripted({ITEM: [Reply(429, headers={"Retry-After": "1"}), OK]}) as server:
        with package.apis.items.Client(server.url) as client, pytest.raises(package.StepFailed) as caught:
            package.workflows.read(key="k", items_api=client)
    assert caught.value.status_code == 429
    assert len(server.requests) == 1  # the call counts of Arazzo semantics hold


async def test_a_workflow_step_makes_exactly_one_call_by_default_async(package: types.ModuleType) -> None:
    with scripted({ITEM: [Reply(503), OK]}) as server:
        async with package.apis.items.AsyncClient(server.url) as client:
            with pytest.raises(package.StepFailed):
                await package.workflows.read_async(key="k", items_api=client)
    assert len(server.requests) == 1


def test_a_workflow_retries_when_the_client_is_configured_with_retries(package: types.ModuleType) -> None:
    with scripted({ITEM: [Reply(429, headers={"Retry-After": "1"}), OK]}) as server:
        with package.apis.items.Client(server.url, max_retries=2) as client:
            start = time.monotonic()
            outputs = package.workflows.read(key="k", items_api=client)
            elapsed = time.monotonic() - start
    assert outputs.name == "n" and len(server.requests) == 2 and elapsed >= 1.0


async def test_a_workflow_retries_when_the_client_is_configured_with_retries_async(package: types.ModuleType) -> None:
    with scripted({ITEM: [Reply(429, headers={"Retry-After": "1"}), OK]}) as server:
        async with package.apis.items.AsyncClient(server.url, max_retries=1) as client:
            start = time.monotonic()
            outputs = await package.workflows.read_async(key="k", items_api=client)
            elapsed = time.monotonic() - start
    assert outputs.name == "n" and len(server.requests) == 2 and elapsed >= 1.0


# -- which failures, how long, how many ----------------------------------------------------------------------
@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retried_statuses_back_off_exponentially_with_jitter(package: types.ModuleType, status: int) -> None:
    with scripted({ITEM: [Reply(status), Reply(status), OK]}) as server:
        client, waits = _client(package, server.url)
        assert client.get_item(key="k").status_code == 200
    assert len(server.requests) == 3
    assert len(waits) == 2 and 0.375 <= waits[0] <= 0.5 and 0.75 <= waits[1] <= 1.0


@pytest.mark.parametrize("status", [400, 401, 404, 409, 501])
def test_other_statuses_are_not_retried(package: types.ModuleType, status: int) -> None:
    with scripted({ITEM: [Reply(status), OK]}) as server:
        client, waits = _client(package, server.url)
        with pytest.raises(package.ApiStatusError):
            client.get_item(key="k")
    assert len(server.requests) == 1 and waits == []


def test_two_retries_by_default_then_the_last_error(package: types.ModuleType) -> None:
    with scripted({ITEM: [Reply(503)]}) as server:
        client, waits = _client(package, server.url)
        with pytest.raises(package.InternalServerError):
            client.get_item(key="k")
    assert len(server.requests) == 3 and len(waits) == 2


@pytest.mark.parametrize(("client_retries", "call_retries", "requests"), [(0, None, 1), (None, 0, 1), (5, None, 6),
                                                                          (0, 3, 4), (5, 1, 2)])  # fmt: skip
def test_max_retries_per_client_and_per_call(
    package: types.ModuleType, client_retries: int | None, call_retries: int | None, requests: int
) -> None:
    with scripted({ITEM: [Reply(502)]}) as server:
        client, _ = _client(package, server.url, max_retries=client_retries)
        with pytest.raises(package.InternalServerError):
            client.get_item(key="k", max_retries=call_retries)
    assert len(server.requests) == requests


def test_retry_after_as_an_http_date_and_capped(package: types.ModuleType) -> None:
    now = 1_800_000_000.0
    date = email.utils.formatdate(now + 7, usegmt=True)
    script = {ITEM: [Reply(503, headers={"Retry-After": date}), Reply(429, headers={"Retry-After": "86400"}), OK]}
    with scripted(script) as server:
        client, waits = _client(package, server.url)
        client.clock = lambda: now
        assert client.get_item(key="k").status_code == 200
    assert waits == [7.0, package._runtime.MAX_RETRY_AFTER]


def test_connection_errors_are_retried(package: types.ModuleType) -> None:
    with socket.socket() as sock:  # a port nothing listens on: connections are refused
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        client, waits = _client(package, url)
        with pytest.raises(package.ApiConnectionError):
            client.get_item(key="k")
    assert len(waits) == 2


def test_post_is_retried_only_when_safe_to_repeat(package: types.ModuleType) -> None:
    with scripted({("POST", "/items"): [Reply(503)]}) as server:
        client, _ = _client(package, server.url)
        with pytest.raises(package.InternalServerError):
            client.add_item(body={"name": "n"})  # no Idempotency-Key: sent once
        assert len(server.requests) == 1
        with pytest.raises(package.InternalServerError):
            client.add_item(body={"name": "n"}, extra_headers={"Idempotency-Key": "k1"})
        assert len(server.requests) == 4
        keys = {r.headers.get("idempotency-key") for r in server.requests[1:]}
        assert keys == {"k1"}  # the same key on every attempt
        with pytest.raises(package.InternalServerError):
            client.add_item(body={"name": "n"}, max_retries=1)  # the call opts in
        assert len(server.requests) == 6


def test_a_retry_never_waits_past_the_deadline(package: types.ModuleType) -> None:
    with scripted({ITEM: [Reply(503, headers={"Retry-After": "30"}), OK]}) as server:
        client, waits = _client(package, server.url)
        with pytest.raises(package.InternalServerError):
            client.get_item(key="k", deadline=5)
    assert len(server.requests) == 1 and waits == []


def test_the_documentation_states_the_rule(package: types.ModuleType) -> None:
    doc = package.apis.items.Client.__init__.__doc__
    assert "max_retries" in doc and "Idempotency-Key" in doc and "workflow" in doc
    text = (Path(__file__).resolve().parents[1] / "docs" / "retries.md").read_text(encoding="utf-8")
    assert "exactly the calls" in text


NAMED_LIKE_MEMBERS = """
openapi: 3.0.3
info: {title: Members, version: "1"}
paths:
  /sleep: {get: {operationId: sleep, responses: {"200": {description: ok}}}}
  /clock: {get: {operationId: clock, responses: {"200": {description: ok}}}}
  /retries: {get: {operationId: maxRetries, responses: {"200": {description: ok}}}}
  /strict: {get: {operationId: strictValidation, responses: {"200": {description: ok}}}}
"""

MEMBERS_FLOW = """
arazzo: 1.0.1
info: {title: Members, version: "1"}
sourceDescriptions: [{name: members, url: ../openapi/members.yaml, type: openapi}]
workflows:
  - workflowId: nap
    steps:
      - {stepId: nap, operationId: sleep, successCriteria: [{condition: $statusCode == 200}]}
"""


def test_operations_named_like_the_retry_members_keep_both(tmp_path: Path) -> None:
    """Operations ``sleep``, ``clock``, ``maxRetries`` and ``strictValidation`` would be shadowed by the client's
    attributes of those names: they get ``_2``."""
    files = {"openapi/members.yaml": NAMED_LIKE_MEMBERS, "arazzo/flow.arazzo.yaml": MEMBERS_FLOW}
    out, _ = build_package(tmp_path, files, "retry_members")
    package = import_package(out, "retry_members")
    script = {("GET", path): [Reply(200)] for path in ("/sleep", "/clock", "/retries", "/strict")}
    with scripted(script) as server, package.apis.members.Client(server.url) as client:
        for name in ("sleep_2", "clock_2", "max_retries_2", "strict_validation_2"):
            assert getattr(client, name)().status_code == 200
        assert client.sleep is time.sleep and client.clock is time.time
        assert client.max_retries is None and client.strict_validation is False
        package.workflows.nap(members_api=client)
    assert [r.line for r in server.requests] == ["GET /sleep", "GET /clock", "GET /retries", "GET /strict", "GET /sleep"]


def test_a_retry_gets_the_time_left_and_its_error_names_the_whole_deadline(package: types.ModuleType) -> None:
    calls: list[int] = []

    def slow_second(request: Any) -> Reply:
        calls.append(1)
        if len(calls) > 1:
            time.sleep(2.5)
        return Reply(503, headers={"Retry-After": "0"})

    with scripted(slow_second) as server:
        client, waits = _client(package, server.url)
        start = time.monotonic()
        with pytest.raises(package.ApiTimeoutError) as caught:
            client.get_item(key="k", deadline=1.5)
        elapsed = time.monotonic() - start
    assert waits == [0.0] and len(calls) == 2
    assert elapsed < 2.4  # the retry ended with the deadline, not with the slow response
    assert "within the deadline of 1.5 s" in str(caught.value)
