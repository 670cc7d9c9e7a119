"""What a step reads and sends, checked against the OpenAPI description at build time (issue 7): response and
request body pointers (closed schema: error; open schema: warning; "did you mean"), pointers through arrays
and scalars, success statuses the operation does not document or documents more of, and literal payloads
missing required members or of the wrong type.  Each test asserts the exact diagnostics."""

from __future__ import annotations

from pathlib import Path

from tests.scripted import compile_files

OPENAPI = """
    openapi: 3.1.0
    info: {title: Orders, version: "1"}
    servers: [{url: "http://orders.test"}]
    paths:
      /orders/{id}:
        get:
          operationId: getOrder
          parameters:
          - {name: id, in: path, required: true, schema: {type: string}}
          responses:
            "200":
              description: the order
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Order"}
            "404":
              description: none
      /orders:
        post:
          operationId: createOrder
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: "#/components/schemas/NewOrder"}
          responses:
            "200":
              description: created
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Order"}
            "201":
              description: created
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Order"}
    components:
      schemas:
        Order:
          type: object
          additionalProperties: false
          properties:
            id: {type: string}
            state: {type: string}
            lines:
              type: array
              items: {$ref: "#/components/schemas/Line"}
            customer: {$ref: "#/components/schemas/Customer"}
            meta: {type: object}
        Line:
          allOf:
          - type: object
            properties:
              sku: {type: string}
          - type: object
            properties:
              quantity: {type: integer}
        Customer:
          type: object
          properties:
            name: {type: string}
            email: {type: string}
        NewOrder:
          type: object
          required: [customer, lines]
          properties:
            customer: {type: string}
            lines: {type: array, items: {type: string}}
            priority: {type: integer}
"""

ARAZZO = """
    arazzo: 1.0.1
    info: {title: Orders flows, version: "1"}
    sourceDescriptions:
    - {name: orders, url: ../openapi/orders.yaml, type: openapi}
    workflows:
    - workflowId: read-order
      inputs:
        type: object
        properties:
          id: {type: string}
      steps:
      - stepId: get
        operationId: getOrder
        parameters:
        - {name: id, in: path, value: $inputs.id}
        successCriteria:
        - condition: $statusCode == 200
        - condition: $response.body#/stat == 'open'
        outputs:
          state: $response.body#/statex
          sku: $response.body#/lines/0/skux
          quantity: $response.body#/lines/0/quantity
          nickname: $response.body#/customer/nick
          anything: $response.body#/meta/whatever
          bad_index: $response.body#/state/0
          bad_member: $response.body#/lines/first
      outputs:
        state: $steps.get.outputs.state
    - workflowId: create-order
      steps:
      - stepId: create
        operationId: createOrder
        requestBody:
          contentType: application/json
          payload:
            customer: 42
            priority: high
        successCriteria:
        - condition: $statusCode == 200
        - condition: $statusCode == 202
        outputs:
          sent: $request.body#/custommer
          id: $response.body#/id
"""


def test_pointers_statuses_and_payloads_are_checked_against_the_description(tmp_path: Path) -> None:
    tree, headlines = compile_files(
        tmp_path, {"openapi/orders.yaml": OPENAPI, "arazzo/orders.arazzo.yaml": ARAZZO}, "orders_pkg"
    )
    assert tree is None  # the closed-schema pointers are errors
    headlines = [line.replace(f"{tmp_path}/", "") for line in headlines]
    where = "specs/arazzo/orders.arazzo.yaml"
    assert headlines == [
        (f"{where}:18:34: error[unknown-response-field]: '$response.body#/stat': the body of getOrder has no member"
        " 'stat' and allows no other (documented: customer, id, lines, meta, state); did you mean 'state'?"),
        (f"{where}:20:30: error[unknown-response-field]: '$response.body#/statex': the body of getOrder has no "
        "member 'statex' and allows no other (documented: customer, id, lines, meta, state); did you mean "
        "'state'?"),
        (f"{where}:21:36: warning[undocumented-response-field]: '$response.body#/lines/0/skux': getOrder does not "
        "document a member 'skux' in #/lines/0 (documented: quantity, sku), so it is read only if the API sends "
        "it anyway; did you mean 'sku'?"),
        (f"{where}:23:42: warning[undocumented-response-field]: '$response.body#/customer/nick': getOrder does not "
        "document a member 'nick' in #/customer (documented: email, name), so it is read only if the API sends it"
        " anyway"),
        (f"{where}:25:40: warning[response-pointer-type]: '$response.body#/state/0': #/state of getOrder is "
        "documented as a string, which has no index 0; the value is read if the body has it anyway"),
        (f"{where}:26:41: warning[response-pointer-type]: '$response.body#/lines/first': #/lines of getOrder is "
        "documented as an array, which has no member 'first'; the value is read if the body has it anyway"),
        (f"{where}:36:9: warning[payload-missing-property]: step 'create': the payload lacks 'lines', required by "
        "the request body of createOrder"),
        (f"{where}:36:9: warning[payload-type]: step 'create': payload member '#/customer' is a number, but the "
        "request body of createOrder documents string"),
        (f"{where}:36:9: warning[payload-type]: step 'create': payload member '#/priority' is a string, but the "
        "request body of createOrder documents integer"),
        (f"{where}:39:18: warning[narrow-success-status]: step 'create' succeeds only on status 200, but "
        "createOrder also documents 201 as success; the step fails on those (write '$statusCode >= 200 && "
        "$statusCode < 300' to accept any success)"),
        (f"{where}:40:18: warning[undocumented-status]: step 'create' succeeds only on status 202, which "
        "createOrder does not document (documented: 200, 201)"),
        (f"{where}:42:28: warning[undocumented-request-field]: '$request.body#/custommer': the request body of "
        "createOrder does not document a member 'custommer' in the body (documented: customer, lines, priority); "
        "did you mean 'customer'?"),
    ]


def test_a_correct_document_gets_none_of_these(tmp_path: Path) -> None:
    arazzo = """
        arazzo: 1.0.1
        info: {title: Orders flows, version: "1"}
        sourceDescriptions:
        - {name: orders, url: ../openapi/orders.yaml, type: openapi}
        workflows:
        - workflowId: read-order
          inputs:
            type: object
            properties:
              id: {type: string}
          steps:
          - stepId: get
            operationId: getOrder
            parameters:
            - {name: id, in: path, value: $inputs.id}
            successCriteria:
            - condition: $statusCode == 200
            outputs:
              state: $response.body#/state
              sku: $response.body#/lines/0/sku
              quantity: $response.body#/lines/0/quantity
              email: $response.body#/customer/email
              free: $response.body#/meta/anything/goes
          - stepId: create
            operationId: createOrder
            requestBody:
              contentType: application/json
              payload:
                customer: $steps.get.outputs.email
                lines: [a, b]
            successCriteria:
            - condition: $statusCode >= 200 && $statusCode < 300
            outputs:
              id: $response.body#/id
          outputs:
            state: $steps.get.outputs.state
    """
    tree, headlines = compile_files(
        tmp_path, {"openapi/orders.yaml": OPENAPI, "arazzo/orders.arazzo.yaml": arazzo}, "orders_pkg"
    )
    assert tree is not None, headlines
    assert headlines == []


# -- required credentials the steps leave to the client -------------------------------------------------------
CREDENTIAL_API = """
    openapi: 3.0.3
    info: {title: Chat, version: "1"}
    servers: [{url: "http://127.0.0.1:9"}]
    paths:
      /chat.postMessage:
        post:
          operationId: postMessage
          parameters:
          - {name: token, in: query, required: true, schema: {type: string}}
          - {name: Authorization, in: header, required: true, schema: {type: string}}
          - {name: channel, in: query, required: true, schema: {type: string}}
          responses:
            "200":
              description: ok
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      ok: {type: boolean}
"""
CREDENTIAL_FLOW = """
    arazzo: 1.0.1
    info: {title: Chat flows, version: "1"}
    sourceDescriptions:
    - {name: chat, url: ../openapi/chat.yaml, type: openapi}
    workflows:
    - workflowId: post
      steps:
      - stepId: send
        operationId: postMessage
        parameters:
        - {name: channel, in: query, value: general}
        outputs:
          ok: $response.body#/ok
      outputs:
        ok: $steps.send.outputs.ok
"""


def test_a_required_credential_the_step_omits_is_a_warning_and_the_client_configuration_sends_it(
    tmp_path: Path,
) -> None:
    """Decision: dozens of public documents leave Slack's ``token`` or a declared ``Authorization`` header to
    the runner's configuration.  Such a parameter (Authorization, Proxy-Authorization, an apiKey scheme's name,
    token, api_key, ...) is a warning, the client method takes it as optional, and the client's configured
    ``headers=``/``query=`` send it.  Any other required parameter left out stays an error."""
    from tests.scripted import Reply, build_package, import_package, scripted

    out, headlines = build_package(
        tmp_path, {"openapi/chat.yaml": CREDENTIAL_API, "arazzo/chat.arazzo.yaml": CREDENTIAL_FLOW}, "chat_pkg"
    )
    where = f"{tmp_path}/specs/arazzo/chat.arazzo.yaml:8:13"
    assert headlines == [
        (f"{where}: warning[missing-credential-parameter]: step 'send' does not set the required header parameter"
        " 'Authorization' of postMessage, a credential: configure it on the client (headers={'Authorization':"
        " ...}), which sends it with every request"),
        (f"{where}: warning[missing-credential-parameter]: step 'send' does not set the required query parameter"
        " 'token' of postMessage, a credential: configure it on the client (query={'token': ...}), which sends"
        " it with every request"),
    ]
    package = import_package(out, "chat_pkg")
    chat = package.apis.chat
    with (
        scripted({("POST", "/chat.postMessage"): [Reply(200, {"ok": True})]}) as server,
        chat.Client(server.url, headers={"Authorization": "Bearer xoxb-1"}, query={"token": "xoxb-2"}) as client,
    ):
        assert package.workflows.chat.post(chat_api=client).ok is True
    [request] = server.requests
    assert request.query == [("token", "xoxb-2"), ("channel", "general")]
    assert request.headers["authorization"] == "Bearer xoxb-1"

    flow = CREDENTIAL_FLOW.replace("- {name: channel, in: query, value: general}", "- {name: token, in: query, value: t}")
    tree, headlines = compile_files(
        tmp_path / "other", {"openapi/chat.yaml": CREDENTIAL_API, "arazzo/chat.arazzo.yaml": flow}, "chat_pkg"
    )
    assert tree is None
    assert [h for h in headlines if "error" in h] == [
        (f"{tmp_path}/other/specs/arazzo/chat.arazzo.yaml:8:13: error[missing-parameter]: step 'send' does not set"
        " the required query parameter 'channel' of postMessage"),
    ]


def test_a_workflow_input_sent_as_the_whole_payload_is_checked_by_its_declared_type(tmp_path: Path) -> None:
    # main: built with no warning, and the package failed mypy --strict (indykite-capture-and-authorize.yml
    # sends an array input as a body documented as an object); an object input is fine
    arazzo = """
        arazzo: 1.0.1
        info: {title: Orders flows, version: "1"}
        sourceDescriptions:
        - {name: orders, url: ../openapi/orders.yaml, type: openapi}
        workflows:
        - workflowId: create
          inputs:
            type: object
            properties:
              lines: {type: array, items: {type: object}}
              order: {type: object}
          steps:
          - stepId: wrong
            operationId: createOrder
            requestBody: {payload: $inputs.lines}
          - stepId: right
            operationId: createOrder
            requestBody: {payload: $inputs.order}
    """
    _, headlines = compile_files(tmp_path, {"openapi/orders.yaml": OPENAPI, "arazzo/orders.arazzo.yaml": arazzo}, "p")
    assert [line.replace(f"{tmp_path}/", "") for line in headlines] == [
        (
            "specs/arazzo/orders.arazzo.yaml:15:28: warning[payload-type]: step 'wrong': the payload is "
            "'$inputs.lines', declared array, but the request body of createOrder documents object"
        ),
    ]
