"""Diagnostics located inside a value (issue 7, the hand-checked corpus rows): at a parameter's ``name``, at the
bad name inside an expression, at the line of an expression inside a ``payload: |`` block, at the line a
payload's JSON error is on, and at the schema a datamodel-code-generator failure names.

Each test compiles a small document and compares the sorted ``path:line:col: severity[rule]: message``
headlines; the comment above each expectation says where main located it.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from arazzo_gen.diagnostics import Loc, remember_source
from arazzo_gen.emit.models import _failure
from arazzo_gen.read.positions import find_inside, inside
from tests.scripted import Reply, build_package, compile_files, import_package, scripted

API = """
openapi: 3.0.3
info: {title: Orders, version: "1"}
servers: [{url: "http://127.0.0.1:9"}]
paths:
  /orders:
    post:
      operationId: createOrder
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties: {item: {type: string}, count: {type: integer}, note: {type: string}}
      responses:
        "201":
          description: created
          content: {application/json: {schema: {type: object, properties: {id: {type: string}}}}}
  /orders/{id}:
    get:
      operationId: getOrder
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "200": {description: ok}
"""

HEAD = """
arazzo: 1.0.1
info: {title: Orders, version: "1"}
sourceDescriptions: [{name: orders, url: ../openapi/orders.yaml, type: openapi}]
"""

FLOW = "specs/arazzo/orders.arazzo.yaml"


def diagnose(tmp_path: Path, flow: str, api: str = API) -> list[str]:
    files = {"openapi/orders.yaml": api, "arazzo/orders.arazzo.yaml": flow}
    _, headlines = compile_files(tmp_path, files, "inner_pkg")
    prefix = str(tmp_path / "specs") + "/"
    return [line.replace(prefix, "specs/") for line in headlines]


# -- a parameter the operation does not declare: at its name ------------------------------------------------
def test_an_unknown_or_undeclared_parameter_is_located_at_its_name(tmp_path: Path) -> None:
    # main: at the parameter's 'value' (the OAI pet-coupons example: 42:20 instead of 'name: pet_id' on line 40)
    flow = HEAD + """
workflows:
  - workflowId: w
    inputs: {type: object, properties: {id: {type: string}}}
    steps:
      - stepId: get
        operationId: getOrder
        parameters:
          - name: orderId
            in: path
            value: $inputs.id
          - {name: id, in: path, value: $inputs.id}
          - name: verbose
            in: query
            value: true
"""
    assert diagnose(tmp_path, flow) == [
        f"{FLOW}:12:19: error[unknown-parameter]: getOrder has no path parameter 'orderId'",
        (
            f"{FLOW}:16:19: warning[undeclared-parameter]: query parameter 'verbose' is not a parameter of getOrder; "
            "it is sent as an extra query parameter"
        ),
    ]


# -- a bad source name inside an operationId, an operationPath, a workflowId or a value --------------------
def test_an_unknown_source_is_located_at_its_name_inside_the_string(tmp_path: Path) -> None:
    # main: at the string's start (the jaredce runner's incorrectSourceDescriptionReference mock, 38:26)
    flow = HEAD + """
workflows:
  - workflowId: w
    steps:
      - stepId: a
        operationId: $sourceDescriptions.ordrs.getOrder
      - stepId: b
        operationPath: '{$sourceDescriptions.ordrs.url}#/paths/~1orders/post'
      - stepId: c
        workflowId: $sourceDescriptions.flows.other
      - stepId: d
        operationId: getOrder
        parameters:
          - {name: id, in: path, value: "from {$sourceDescriptions.ordrs.url}"}
"""
    assert diagnose(tmp_path, flow) == [
        (
            f"{FLOW}:11:46: error[unknown-source]: no sourceDescription named 'ordrs' (declared: orders); did you "
            "mean 'orders'?"
        ),
        f"{FLOW}:13:41: error[unknown-source]: no sourceDescription named 'flows' (declared: orders)",
        (
            f"{FLOW}:17:68: error[unknown-source]: no sourceDescription named 'ordrs' (declared: orders); did you "
            "mean 'orders'?"
        ),
        (
            f"{FLOW}:9:42: error[unknown-source]: no sourceDescription named 'ordrs' (declared: orders); did you "
            "mean 'orders'?"
        ),
    ]


JSON_FLOW = """{
  "arazzo": "1.0.1",
  "info": {"title": "Orders", "version": "1"},
  "sourceDescriptions": [{"name": "orders", "url": "../openapi/orders.yaml", "type": "openapi"}],
  "workflows": [
    {
      "workflowId": "w",
      "inputs": {"type": "object", "properties": {"user": {"type": "object"}}},
      "steps": [
        {
          "stepId": "create",
          "operationId": "$sourceDescriptions.ordrs.createOrder"
        },
        {
          "stepId": "get",
          "operationId": "getOrder",
          "parameters": [
            {"name": "id", "in": "path", "value": "$steps.create.outputs.username"},
            {"name": "X-User", "in": "header", "value": "$inputs.username"},
            {"name": "X-Step", "in": "header", "value": "$steps.creat.outputs.id"}
          ]
        }
      ]
    }
  ]
}
"""


def test_bad_names_in_json_strings_are_located_at_the_name(tmp_path: Path) -> None:
    # main: at the string's start (72:25 and 56:25 in the jaredce runner's mocks), and the source at the quote
    assert [line for line in diagnose(tmp_path, JSON_FLOW) if "undeclared-parameter" not in line] == [
        (
            f"{FLOW}:12:47: error[unknown-source]: no sourceDescription named 'ordrs' (declared: orders); did you "
            "mean 'orders'?"
        ),
        f"{FLOW}:18:74: error[unknown-step-output]: step 'create' has no output 'username'",
        (
            f"{FLOW}:19:66: error[unknown-input]: '$inputs.username' is not declared in the inputs of workflow 'w'; "
            "did you mean 'user'?"
        ),
        (
            f"{FLOW}:20:65: error[unknown-step]: '$steps.creat' names no step of workflow 'w'; did you mean "
            "'create'?"
        ),
    ]


# -- expressions inside a 'payload: |' block ---------------------------------------------------------------
def test_expressions_inside_a_literal_block_payload_are_located_on_their_line(tmp_path: Path) -> None:
    # main: every one at the '|' of 'payload: |' (the OAI bnpl example: 195:16 instead of line 198)
    flow = HEAD + """
workflows:
  - workflowId: w
    inputs: {type: object, properties: {item: {type: string}}}
    steps:
      - stepId: create
        operationId: createOrder
        requestBody:
          contentType: application/json
          payload: |
            {
              "item": "{$inputs.itme}",
              "count": {$steps.later.outputs.count},
              "note": "for {$inputs.item} by {$steps.create.outputs.id}"
            }
        outputs: {id: $response.body#/id}
      - stepId: later
        operationId: createOrder
        requestBody:
          payload: >
            {"item": "{$inputs.nope}"}
        outputs: {count: $response.body#/id}
"""
    assert diagnose(tmp_path, flow) == [
        (
            f"{FLOW}:15:33: error[unknown-input]: '$inputs.itme' is not declared in the inputs of workflow 'w'; did "
            "you mean 'item'?"
        ),
        (
            f"{FLOW}:16:25: error[forward-step-reference]: '$steps.later.outputs.count' is used before step "
            "'later' has run"
        ),
        (
            f"{FLOW}:17:47: error[forward-step-reference]: step 'create' reads its own output 'id', which is set "
            "only once the step has succeeded; take the value from the response ($response...) in its outputs, or "
            "from an earlier step"
        ),
        # a folded block: its lines are joined, positions inside it are not exact: at the block's '>'
        f"{FLOW}:23:20: error[unknown-input]: '$inputs.nope' is not declared in the inputs of workflow 'w'",
    ]


def test_a_payload_that_is_not_json_is_located_at_the_error_in_the_block(tmp_path: Path) -> None:
    # main: at the '|' (the wso2 CLI_realistic bnpl copy: 168:16, "line 6 of the payload")
    flow = HEAD + """
workflows:
  - workflowId: w
    inputs: {type: object, properties: {item: {type: string}}}
    steps:
      - stepId: create
        operationId: createOrder
        requestBody:
          contentType: application/json
          payload: |
            {
              "item": {$inputs.item},
              "note": "x"
              "count": 2
            }
"""
    assert diagnose(tmp_path, flow) == [
        (
            f"{FLOW}:17:15: error[invalid-payload]: the payload is a string for a JSON content type but is not "
            "JSON text (Expecting ',' delimiter on line 4 of the payload)"
        ),
    ]


def test_a_malformed_expression_in_a_json_string_of_a_block_is_located_at_its_bad_part(tmp_path: Path) -> None:
    # main: at the '|' line, the error's offset counted from the '|'
    flow = HEAD + """
workflows:
  - workflowId: w
    steps:
      - stepId: create
        operationId: createOrder
        requestBody:
          contentType: application/json
          payload: |
            {"item": "x",
             "note": "{$inputs}"}
"""
    assert diagnose(tmp_path, flow) == [
        (
            f"{FLOW}:14:31: error[invalid-expression]: incomplete runtime expression '$inputs'; expected "
            "'$inputs.<name>'"
        ),
    ]


# -- where a position inside a scalar is exact ------------------------------------------------------------
def test_positions_inside_scalars_are_exact_or_not_given(tmp_path: Path) -> None:
    text = (
        "a: $inputs.x\n"  # 1 plain
        "b: 'it''s $inputs.x'\n"  # 2 single-quoted: '' is one character
        'c: "\\u0041\\"$inputs.x"\n'  # 3 double-quoted: escapes are one character
        "d: |\n"  # 4 literal block
        "  one\n"
        "\n"
        "  two $inputs.x\n"
        "e: >\n"  # 8 folded block: not exact
        "  one\n"
        "f: |2\n"  # 10 explicit indentation: not exact
        "    x\n"
        "g: first $inputs.x\n"  # 12 a plain scalar that goes on to the next line: its first line only
        "  second\n"
    )
    file = str(tmp_path / "t.yaml")
    remember_source(file, text)

    def at(line: int, col: int, offset: int, length: int = 1) -> tuple[int, int, int] | None:
        found = inside(Loc(file, line, col), offset, length)
        return None if found is None else (found.line, found.col, found.length)

    assert at(1, 4, 8) == (1, 12, 1)
    assert find_inside(Loc(file, 2, 4), "$inputs.x") == 5
    assert at(2, 4, 5, 9) == (2, 11, 9)
    assert find_inside(Loc(file, 3, 4), "$inputs.x") == 2
    assert at(3, 4, 2) == (3, 13, 1)
    assert find_inside(Loc(file, 4, 4), "$inputs.x") == 9
    assert at(4, 4, 9, 9) == (7, 7, 9)
    assert at(4, 4, 4) == (6, 3, 1)  # the empty line
    assert at(8, 4, 0) is None
    assert at(10, 4, 0) is None
    assert at(12, 4, 6, 9) == (12, 10, 9)
    assert at(12, 4, 20) is None
    json_file = str(tmp_path / "t.json")  # JSON read without positions: every node is located at 1:1
    remember_source(json_file, '{"h": "$inputs.x"}\n')
    assert inside(Loc(json_file), 2) is None
    assert find_inside(Loc(file, 1, 4), "$inputs.") is None  # followed by a name character: not this one


# -- model-generation-failed: at the schema key datamodel-code-generator's message names -------------------
CYCLE_API = API + """
components:
  schemas:
    order_line:
      allOf:
        - $ref: '#/components/schemas/order_item'
        - {type: object, properties: {qty: {type: integer}}}
    order_item:
      allOf:
        - $ref: '#/components/schemas/order_line'
        - {type: object, properties: {sku: {type: string}}}
"""


def test_a_model_inheritance_cycle_is_located_at_the_schema_key_and_names_the_keys(tmp_path: Path) -> None:
    # main: at 1:1 of the API document, naming the generated classes 'OrderItem (#/components/schemas/OrderItem)'
    # (the iso-new-england corpus description: 'isone_web_services' named 'IsoneWebServices'). An allOf cycle
    # no longer reaches datamodel-code-generator (allof-cycle drops the reference closing it), so the message
    # form is checked on _failure directly, and the build on the warning.
    flow = HEAD + """
workflows:
  - workflowId: w
    steps:
      - stepId: get
        operationId: getOrder
        parameters: [{name: id, in: path, value: "1"}]
"""
    assert diagnose(tmp_path, flow, CYCLE_API) == [
        (
            "specs/openapi/orders.yaml:31:5: warning[allof-cycle]: schema 'order_item' inherits from itself through "
            "allOf ('order_line' -> 'order_item' -> 'order_line'); the reference closing the cycle is dropped"
        ),
    ]
    where = Loc("orders.yaml", 31, 5)
    api: Any = SimpleNamespace(
        title="Orders", loc=Loc("orders.yaml"),
        schema_origins={"OrderItem": ("order_item", where), "OrderLine": ("order_line", Loc("orders.yaml", 27, 5))},
    )  # fmt: skip
    message = (
        "Generated model inheritance cycle: OrderItem (#/components/schemas/OrderItem) -> OrderLine "
        "(#/components/schemas/OrderLine) -> OrderItem (#/components/schemas/OrderItem)\ndetails"
    )
    assert _failure(api, message) == (
        ("datamodel-code-generator could not generate a model from schema 'order_item' of Orders: Generated model "
        "inheritance cycle: 'order_item' -> 'order_line' -> 'order_item'"),
        where,
    )


# -- header parameters named Content-Type and Accept (OpenAPI 3: "SHALL be ignored") ------------------------
HEADERS_API = """
openapi: 3.0.3
info: {title: Orders, version: "1"}
servers: [{url: "http://127.0.0.1:9"}]
paths:
  /orders:
    post:
      operationId: createOrder
      parameters:
        - {name: Content-Type, in: header, required: true, schema: {type: string}}
        - {name: Accept, in: header, required: true, schema: {type: string}}
        - {name: Authorization, in: header, required: true, schema: {type: string}}
      requestBody:
        required: true
        content: {application/json: {schema: {type: object, properties: {item: {type: string}}}}}
      responses:
        "201": {description: created}
"""

HEADERS_FLOW = HEAD + """
workflows:
  - workflowId: w
    steps:
      - stepId: plain
        operationId: createOrder
        requestBody: {payload: {item: a}}
      - stepId: explicit
        operationId: createOrder
        parameters:
          - {name: Accept, in: header, value: application/vnd.orders+json}
          - {name: content-type, in: header, value: application/json; charset=utf-8}
          - {name: Authorization, in: header, value: Bearer t0ken}
        requestBody: {payload: {item: b}}
"""


def test_content_type_and_accept_header_parameters_of_openapi_3_are_ignored(tmp_path: Path) -> None:
    # the FAPI-PAR example's Token step: no missing-parameter for Content-Type; Authorization stays a credential
    out, warnings = build_package(
        tmp_path, {"openapi/orders.yaml": HEADERS_API, "arazzo/orders.arazzo.yaml": HEADERS_FLOW}, "headers_pkg"
    )
    # a step's own Accept or Content-Type header is the HTTP header it means: no undeclared-parameter warning
    assert [line.replace(str(tmp_path / "specs") + "/", "specs/") for line in warnings] == [
        (
            f"{FLOW}:8:17: warning[missing-credential-parameter]: step 'plain' does not set the required header "
            "parameter 'Authorization' of createOrder, a credential: configure it on the client "
            "(headers={'Authorization': ...}), which sends it with every request"
        ),
    ]
    package = import_package(out, "headers_pkg")
    client = package.apis.orders
    parameters = inspect.signature(client.Client.create_order).parameters
    assert "accept" not in parameters  # not a client argument; content_type is the request body's media type
    assert (parameters["content_type"].default, parameters["authorization"].default) == ("application/json", None)
    with scripted({("POST", "/orders"): [Reply(201)]}) as server, client.Client(server.url) as api:
        package.workflows.orders.w(orders_api=api)
    plain, explicit = server.requests
    assert (plain.headers["content-type"], plain.headers.get("authorization")) == ("application/json", None)
    assert (explicit.headers["accept"], explicit.headers["content-type"], explicit.headers["authorization"]) == (
        "application/vnd.orders+json", "application/json; charset=utf-8", "Bearer t0ken"
    )
    assert (plain.json(), explicit.json()) == ({"item": "a"}, {"item": "b"})


def test_content_type_header_parameters_of_swagger_2_are_kept(tmp_path: Path) -> None:
    # Swagger 2.0 has no such rule: a required Content-Type header parameter is a parameter
    api = """
swagger: "2.0"
info: {title: Orders, version: "1"}
host: 127.0.0.1:9
paths:
  /orders:
    post:
      operationId: createOrder
      parameters:
        - {name: Content-Type, in: header, required: true, type: string}
      responses:
        "201": {description: created}
"""
    flow = HEAD + """
workflows:
  - workflowId: w
    steps:
      - stepId: plain
        operationId: createOrder
"""
    assert diagnose(tmp_path, flow, api) == [
        (
            f"{FLOW}:8:17: error[missing-parameter]: step 'plain' does not set the required header parameter "
            "'Content-Type' of createOrder"
        ),
    ]


def test_a_malformed_expression_in_a_form_payload_is_located_at_its_bad_part(tmp_path: Path) -> None:
    # main: the field value's offset counted from the payload's opening quote
    flow = HEAD + """
workflows:
  - workflowId: w
    steps:
      - stepId: create
        operationId: createOrder
        requestBody:
          contentType: application/x-www-form-urlencoded
          payload: "item=a+b&note={$inputs}"
"""
    assert [line for line in diagnose(tmp_path, flow) if "undeclared-content-type" not in line] == [
        f"{FLOW}:12:43: error[invalid-expression]: incomplete runtime expression '$inputs'; expected '$inputs.<name>'"
    ]
