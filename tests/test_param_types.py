"""A workflow value whose type differs from the client parameter's documented type is converted, so the
generated package passes ``mypy --strict`` and sends what the parameter documents (corpus documents: a string
given to a ``format: uuid`` parameter and the reverse, string literals given to an array of an enum, an
integer literal given to a string enum)."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.scripted import Reply, scripted
from tests.test_values import api, build, flow, run_both

ORDER_ID = "123e4567-e89b-12d3-a456-426614174000"


def mypy_strict(out: Path, package: str) -> str:
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull, package],
        cwd=out, capture_output=True, text=True, check=False,
    )  # fmt: skip
    return checked.stdout if checked.returncode else ""


UUID_API = """
/orders:
  get:
    operationId: listOrders
    responses:
      "200":
        description: ok
        content: {application/json: {schema: {$ref: "#/components/schemas/Order"}}}
/orders/{orderId}:
  get:
    operationId: getOrder
    parameters:
      - {name: orderId, in: path, required: true, schema: {$ref: "#/components/schemas/OrderId"}}
      - {name: parent, in: query, schema: {$ref: "#/components/schemas/OrderId"}}
    responses:
      "200": {description: ok}
/templates/{templateId}:
  get:
    operationId: getTemplate
    parameters:
      - {name: templateId, in: path, required: true, schema: {type: string}}
      - {name: copyOf, in: query, schema: {type: string}}
    responses:
      "200": {description: ok}
"""
UUID_SCHEMAS = """
schemas:
  OrderId: {type: string, format: uuid}
  Order:
    type: object
    required: [id]
    properties:
      id: {type: string, format: uuid}
      previous: {type: string, format: uuid}
"""
UUID_FLOW = f"""
- workflowId: orders
  inputs:
    type: object
    required: [orderId]
    properties:
      orderId: {{type: string}}
      parent: {{type: string}}
  steps:
    - stepId: byInput
      operationId: getOrder
      parameters:
        - {{name: orderId, in: path, value: $inputs.orderId}}
        - {{name: parent, in: query, value: $inputs.parent}}
    - stepId: byLiteral
      operationId: getOrder
      parameters: [{{name: orderId, in: path, value: "{ORDER_ID}"}}]
    - stepId: list
      operationId: listOrders
      successCriteria: [{{condition: $statusCode == 200}}]
      outputs: {{id: $response.body#/id, previous: $response.body#/previous}}
    - stepId: template
      operationId: getTemplate
      parameters:
        - {{name: templateId, in: path, value: $steps.list.outputs.id}}
        - {{name: copyOf, in: query, value: $steps.list.outputs.previous}}
"""


def test_a_string_given_to_a_uuid_parameter_and_a_uuid_given_to_a_string_parameter_are_converted(
    tmp_path: Path,
) -> None:
    """``_apidays-bnpl`` gives a string literal to a ``format: uuid`` path parameter (typed ``UUID``); docusign and
    azure-devops give a ``format: uuid`` response field (typed ``UUID``) to a string parameter.  The package
    passes ``mypy --strict``; the UUID travels in its canonical form; an optional value stays unsent when
    unset; a string that is no UUID fails the step by name before any request."""
    package, warnings = build(tmp_path, api(UUID_API, UUID_SCHEMAS), flow(UUID_FLOW), "uuid_pkg")
    assert warnings == []
    assert mypy_strict(tmp_path / "out", "uuid_pkg") == ""
    other = "00000000-0000-4000-8000-00000000000a"
    script = {
        ("GET", f"/orders/{other}"): [Reply(200)],
        ("GET", f"/orders/{ORDER_ID}"): [Reply(200)],
        ("GET", "/orders"): [Reply(200, {"id": ORDER_ID.upper(), "previous": other})],
        ("GET", f"/templates/{ORDER_ID}"): [Reply(200)],
    }
    _, requests = run_both(package, "orders", script, order_id=other.upper(), parent=ORDER_ID)
    assert [(r.line, r.query) for r in requests] == [
        (f"GET /orders/{other}", [("parent", ORDER_ID)]),
        (f"GET /orders/{ORDER_ID}", []),
        ("GET /orders", []),
        (f"GET /templates/{ORDER_ID}", [("copyOf", other)]),
    ]
    script[("GET", "/orders")] = [Reply(200, {"id": ORDER_ID, "previous": None})]
    _, requests = run_both(package, "orders", script, order_id=other)
    assert [(r.line, r.query) for r in requests] == [
        (f"GET /orders/{other}", []),
        (f"GET /orders/{ORDER_ID}", []),
        ("GET /orders", []),
        (f"GET /templates/{ORDER_ID}", []),
    ]
    with (
        scripted({}) as server,
        package.apis.things.Client(server.url) as client,
        pytest.raises(package._runtime.StepFailed) as failed,
    ):
        package.workflows.things.orders(things_api=client, order_id="order-7")
    assert str(failed.value) == (
        "workflow 'orders' step 'byInput' failed: no response does not satisfy $inputs.orderId is UUID (the path "
        "parameter 'orderId' of getOrder documents that type)"
    )
    assert server.requests == []


ENUM_API = """
/hotels:
  get:
    operationId: getHotels
    parameters:
      - {name: subType, in: query, required: true, schema: {$ref: "#/components/schemas/SubTypes"}}
      - {name: fields, in: query, style: form, explode: false, schema: {$ref: "#/components/schemas/Fields"}}
      - {name: list-type, in: query, schema: {$ref: "#/components/schemas/ListType"}}
      - {name: version, in: query, schema: {$ref: "#/components/schemas/Version"}}
      - {name: flag, in: query, schema: {$ref: "#/components/schemas/Flag"}}
    responses:
      "200": {description: ok}
"""
ENUM_SCHEMAS = """
schemas:
  SubTypes:
    type: array
    items: {type: string, enum: [HOTEL_LEISURE, HOTEL_GDS]}
  Fields:
    type: array
    items: {type: string, enum: [created_by.name, text]}
  ListType: {type: integer, enum: [2]}
  Version: {type: string, enum: ["1", "2"]}
  Flag: {type: string, enum: ["true", "false"]}
"""
ENUM_FLOW = """
- workflowId: hotels
  steps:
    - stepId: find
      operationId: getHotels
      parameters:
        - {name: subType, in: query, value: [HOTEL_GDS, HOTEL_LEISURE]}
        - {name: fields, in: query, value: "created_by.name,text"}
        - {name: list-type, in: query, value: 2}
        - {name: version, in: query, value: 2}
        - {name: flag, in: query, value: true}
    - stepId: findOne
      operationId: getHotels
      parameters:
        - {name: subType, in: query, value: HOTEL_GDS}
        - {name: fields, in: query, value: [text]}
"""


def test_literals_given_to_enum_typed_parameters_are_their_members(tmp_path: Path) -> None:
    """amadeus gives one string literal to an array-of-enum query parameter (typed ``list[Enum]``), asana the
    comma-joined values to one that is not exploded (sent joined by commas); amazon-s3 gives the integer ``2``
    to an enum parameter (typed ``Enum | str``), here also ``true`` to an enum of ``"true"``.  Each literal that is a member's value becomes that member:
    the package passes ``mypy --strict`` and sends the values as written."""
    package, warnings = build(tmp_path, api(ENUM_API, ENUM_SCHEMAS), flow(ENUM_FLOW), "enum_pkg")
    assert warnings == []
    assert mypy_strict(tmp_path / "out", "enum_pkg") == ""
    source = (tmp_path / "out" / "enum_pkg" / "workflows" / "things.py").read_text(encoding="utf-8")
    assert "things_api_models.SubTypesSubType.hotel_gds," in source
    assert "list_type=things_api_models.ListType.integer_2," in source
    assert "version=things_api_models.Version.field_2," in source
    assert "sub_type=[things_api_models.SubTypesSubType.hotel_gds]," in source
    _, requests = run_both(package, "hotels", {("GET", "/hotels"): [Reply(200), Reply(200)]})
    assert [(r.line, r.query) for r in requests] == [
        (
            "GET /hotels",
            [
                ("subType", "HOTEL_GDS"),
                ("subType", "HOTEL_LEISURE"),
                ("fields", "created_by.name,text"),
                ("list-type", "2"),
                ("version", "2"),
                ("flag", "true"),
            ],
        ),
        ("GET /hotels", [("subType", "HOTEL_GDS"), ("fields", "text")]),
    ]


HEADER_API = """
/pets/{ids}:
  get:
    operationId: getPets
    parameters:
      - {name: ids, in: path, required: true, schema: {type: string}}
      - {name: x-tags, in: header, schema: {type: string}}
    responses:
      "200": {description: ok}
"""
HEADER_FLOW = """
- workflowId: pets
  inputs:
    type: object
    properties:
      tags: {type: array, items: {type: string}}
  steps:
    - stepId: find
      operationId: getPets
      parameters:
        - {name: ids, in: path, value: [1, 2]}
        - {name: x-tags, in: header, value: $inputs.tags}
"""


def test_a_list_given_to_a_string_header_or_path_parameter_is_sent_joined_by_commas(tmp_path: Path) -> None:
    """The runner mock ``header/ignore-Authorization.json`` gives an array input to a string header parameter:
    the package passes ``mypy --strict`` and the list travels as the simple style sends one, its items joined
    by commas (in the path, the string's comma is percent-encoded); an unset optional list sends no header."""
    package, warnings = build(tmp_path, api(HEADER_API), flow(HEADER_FLOW), "header_pkg")
    assert warnings == []
    assert mypy_strict(tmp_path / "out", "header_pkg") == ""
    _, requests = run_both(package, "pets", {("GET", "/pets/1%2C2"): [Reply(200)]}, tags=["a", "b c"])
    assert [(r.line, r.headers.get("x-tags")) for r in requests] == [("GET /pets/1%2C2", "a,b c")]
    _, requests = run_both(package, "pets", {("GET", "/pets/1%2C2"): [Reply(200)]})
    assert [(r.line, r.headers.get("x-tags")) for r in requests] == [("GET /pets/1%2C2", None)]


PAGES_API = """
/products:
  get:
    operationId: getProducts
    parameters:
      - {name: page, in: query, schema: {type: integer}}
    responses:
      "200": {description: ok}
"""
PAGES_FLOW = """
- workflowId: byPage
  inputs:
    type: object
    properties:
      page: {type: integer, default: 1}
  steps:
    - stepId: fetch
      operationId: getProducts
      parameters: [{name: page, in: query, value: $inputs.page}]
- workflowId: pages
  inputs:
    type: object
    required: [start]
    properties:
      start: {type: string}
  steps:
    - stepId: first
      workflowId: byPage
      parameters: [{name: page, value: "2"}]
    - stepId: second
      workflowId: byPage
      parameters: [{name: page, value: $inputs.start}]
"""


def test_a_string_given_to_an_integer_input_of_a_called_workflow_is_converted_or_fails_by_name(
    tmp_path: Path,
) -> None:
    """wso2's ``12-nested-workflow-args`` passes ``"1"`` to the integer input ``page`` of the workflow a step
    runs: a literal becomes the number, a string input goes through ``converted``.  The package passes
    ``mypy --strict``, the callee sends the number, and a string that is no integer fails the calling step by
    name before any request."""
    package, warnings = build(tmp_path, api(PAGES_API), flow(PAGES_FLOW), "pages_pkg")
    assert warnings == []
    assert mypy_strict(tmp_path / "out", "pages_pkg") == ""
    source = (tmp_path / "out" / "pages_pkg" / "workflows" / "things.py").read_text(encoding="utf-8")
    assert "run.call(by_page, page=2, things_api=things_api, deadline=run.left())" in source
    _, requests = run_both(package, "pages", {("GET", "/products"): [Reply(200), Reply(200)]}, start="3")
    assert [(r.line, r.query) for r in requests] == [
        ("GET /products", [("page", "2")]),
        ("GET /products", [("page", "3")]),
    ]
    with (
        scripted({("GET", "/products"): [Reply(200)]}) as server,
        package.apis.things.Client(server.url) as client,
        pytest.raises(package._runtime.StepFailed) as failed,
    ):
        package.workflows.things.pages(things_api=client, start="three")
    assert str(failed.value) == (
        "workflow 'pages' step 'second' failed: no response does not satisfy $inputs.start is int (the input "
        "'page' of workflow 'byPage' documents that type)"
    )
    assert [r.line for r in server.requests] == ["GET /products"]


DATES_API = """
/events:
  get:
    operationId: listEvents
    parameters:
      - {name: since, in: query, required: true, schema: {type: string, format: date-time}}
      - {name: X-Day, in: header, required: true, schema: {type: string, format: date}}
    responses:
      "200": {description: ok}
"""


def test_dates_and_times_in_parameters_are_sent_as_rfc_3339_text(tmp_path: Path) -> None:
    # main: str(datetime) put a space where RFC 3339 (OpenAPI format date-time) has a 'T'
    workflows = """
    - workflowId: events
      inputs:
        type: object
        properties: {since: {type: string, format: date-time}, day: {type: string, format: date}}
      steps:
        - stepId: list
          operationId: listEvents
          parameters:
            - {name: since, in: query, value: $inputs.since}
            - {name: X-Day, in: header, value: $inputs.day}
    """
    package, _ = build(tmp_path, api(DATES_API), flow(workflows), "dates_pkg")
    since = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    _, requests = run_both(package, "events", {("GET", "/events"): [Reply(200)]}, since=since, day=datetime.date(2024, 1, 2))
    assert requests[0].query == [("since", "2024-01-02T03:04:05+00:00")]
    assert requests[0].headers["x-day"] == "2024-01-02"
    assert mypy_strict(tmp_path / "out", "dates_pkg") == ""


DEFAULTS_API = """
/content:
  get:
    operationId: listContent
    parameters:
      - name: status
        in: query
        schema:
          type: array
          items: {type: string, enum: [current, trashed]}
          default: [current]
      - name: state
        in: query
        schema: {type: array, items: {type: string}, enum: [current, trashed], default: [current]}
      - name: since
        in: query
        schema: {type: string, format: date-time, default: "2024-01-01T00:00:00Z"}
    responses:
      "200":
        description: ok
        content: {application/json: {schema: {$ref: "#/components/schemas/Event"}}}
"""
DEFAULTS_SCHEMAS = """
schemas:
  Event:
    type: object
    properties:
      at: {type: string, format: date-time, default: "2024-01-01T00:00:00Z"}
      day: {type: string, format: date, default: "2024-01-02"}
      clock: {type: string, format: time, default: "10:30:00"}
      uid: {type: string, format: uuid, default: 123E4567-E89B-12D3-A456-426614174000}
      bad: {type: string, format: date-time, default: "yesterday"}
      tags: {type: array, items: {type: string}, default: "x"}
      mode: {anyOf: [{type: integer}, {type: string, enum: [auto]}], default: auto}
      statuses: {type: array, items: {type: string, enum: [current, trashed]}, default: [current]}
      link: {type: string, format: uri, default: "https://example.com/a"}
      wait: {type: string, format: duration, default: PT1H}
      count: {type: integer, default: "5"}
      size: {type: object, properties: {a: {type: integer}}, default: {a: 1}}
"""


def test_defaults_of_the_declared_type_pass_mypy_and_keep_their_values(tmp_path: Path) -> None:
    """main: a ``date-time`` (``date``, ``time``, ``uuid``) property's string default was assigned as the string
    (mypy: "expression has type str, variable has type datetime", and pydantic gave the string, not a
    datetime); an array parameter with an ``enum`` of strings and ``default: [current]`` (Confluence's
    ``status``) became ``root: list[str] | Enum | None = [Enum.current]`` ("List item 0 has incompatible
    type").  The defaults are now the declared objects and values (a url, a duration and an object default
    through ``Field(value, validate_default=True)``, checked at build time); one that is not of its type
    (``"x"`` for an array, ``"yesterday"`` for a date-time) is dropped: ``None``, the server applies its own."""
    workflows = """
    - workflowId: content
      steps:
        - stepId: list
          operationId: listContent
          outputs: {event: $response.body}
      outputs: {event: $steps.list.outputs.event}
    """
    package, _ = build(tmp_path, api(DEFAULTS_API, DEFAULTS_SCHEMAS), flow(workflows), "defaults_pkg")
    assert mypy_strict(tmp_path / "out", "defaults_pkg") == ""
    models = package.apis.things.models
    event = models.Event()
    assert event.at == datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    assert (event.day, event.clock) == (datetime.date(2024, 1, 2), datetime.time(10, 30))
    assert str(event.uid) == "123e4567-e89b-12d3-a456-426614174000"
    assert (event.bad, event.tags, event.mode) == (None, None, "auto")
    assert [str(item) for item in event.statuses] == ["current"]
    assert (str(event.link), event.wait, event.count) == ("https://example.com/a", datetime.timedelta(hours=1), 5)
    assert event.size.a == 1
    assert models.ListContentState().root == ["current"]
    assert [str(item) for item in models.ListContentStatus().root] == ["current"]
    source = (tmp_path / "out" / "defaults_pkg" / "apis" / "things" / "models.py").read_text()
    assert '    at: datetime = datetime.fromisoformat("2024-01-01T00:00:00+00:00")\n' in source
    assert '    root: list[str] | ListContentStateListContentState | None = ["current"]\n' in source
    outputs, _ = run_both(package, "content", {("GET", "/content"): [Reply(200, {})]})
    assert outputs["event"]["at"] == event.at


OVERRIDE_API = """
/fields:
  get:
    operationId: getField
    responses:
      "200":
        description: ok
        content: {application/json: {schema: {$ref: "#/components/schemas/FieldResponse"}}}
"""
OVERRIDE_SCHEMAS = """
schemas:
  FieldCompact:
    type: object
    properties:
      kind: {type: string, enum: [text, number], description: The type.}
      name: {type: string}
      top: {anyOf: [{type: integer, minimum: 0, maximum: 20}, {type: string}]}
  FieldBase:
    allOf:
      - $ref: "#/components/schemas/FieldCompact"
      - {type: object, properties: {size: {type: integer}}}
  FieldResponse:
    allOf:
      - $ref: "#/components/schemas/FieldBase"
      - type: object
        properties:
          kind: {type: string, enum: [text, number], description: The type.}
          state: {type: string, enum: [on, off]}
          top: {anyOf: [{type: integer, minimum: 0, maximum: 20}, {type: string}]}
"""


def test_a_property_repeated_by_an_all_of_uses_the_class_of_the_schema_it_extends(tmp_path: Path) -> None:
    """main: asana's ``CustomFieldResponse`` repeats ``representation_type`` of ``CustomFieldCompact`` (through
    ``allOf``, enum and all); the repeated enum became a class of its own, and mypy rejected the override
    ("Incompatible types in assignment ... base class"); so did openai's repeated ``top_logprobs`` (a root
    model of a constrained integer). The field now uses the base's class, which is the same but for its name."""
    workflows = """
    - workflowId: field
      steps:
        - stepId: get
          operationId: getField
          outputs: {kind: $response.body#/kind}
      outputs: {kind: $steps.get.outputs.kind}
    """
    package, _ = build(tmp_path, api(OVERRIDE_API, OVERRIDE_SCHEMAS), flow(workflows), "override_pkg")
    assert mypy_strict(tmp_path / "out", "override_pkg") == ""
    models = package.apis.things.models
    assert models.FieldResponse.model_fields["kind"].annotation == models.FieldCompactKind | None
    assert models.FieldResponse.model_fields["top"].annotation == models.FieldCompactTop | str | None
    assert models.FieldResponse.model_validate({"kind": "number", "state": "on"}).kind is models.FieldCompactKind.number
    outputs, _ = run_both(package, "field", {("GET", "/fields"): [Reply(200, {"kind": "text"})]})
    assert outputs["kind"] == "text"
