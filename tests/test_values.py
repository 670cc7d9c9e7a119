"""Values, bodies, outputs and tolerant responses (issue 6): literal and null outputs, input defaults,
components (inputs, parameters with a ``value`` override), workflow-level parameters, request bodies in every
content type, payload expressions and replacements, parameter styles, and reading responses tolerantly.

Each workflow is built from an inline fixture and run sync and async against a scripted server on 127.0.0.1;
the tests assert the outputs and the exact requests (method, path, query, headers, body bytes).
"""

from __future__ import annotations

import asyncio
import json
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from .scripted import (
    Recorded,
    Reply,
    Script,
    build_package,
    compile_files,
    import_package,
    scripted,
)


def api(paths: str, components: str = "") -> str:
    """A small OpenAPI 3.0 document around ``paths`` (indented YAML under ``paths:``)."""
    text = 'openapi: 3.0.3\ninfo: {title: Things, version: "1"}\nservers: [{url: "http://127.0.0.1:9"}]\npaths:\n'
    text += textwrap.indent(textwrap.dedent(paths).strip("\n"), "  ") + "\n"
    if components:
        text += "components:\n" + textwrap.indent(textwrap.dedent(components).strip("\n"), "  ") + "\n"
    return text


def flow(workflows: str, components: str = "") -> str:
    text = (
        'arazzo: 1.0.1\ninfo: {title: Things, version: "1"}\n'
        "sourceDescriptions: [{name: things, url: ../openapi/things.yaml, type: openapi}]\nworkflows:\n"
    )
    text += textwrap.indent(textwrap.dedent(workflows).strip("\n"), "  ") + "\n"
    if components:
        text += "components:\n" + textwrap.indent(textwrap.dedent(components).strip("\n"), "  ") + "\n"
    return text


def build(tmp_path: Path, api_text: str, flow_text: str, package: str) -> tuple[ModuleType, list[str]]:
    out, warnings = build_package(
        tmp_path, {"openapi/things.yaml": api_text, "arazzo/things.arazzo.yaml": flow_text}, package
    )
    return import_package(out, package), warnings


def diagnostics(tmp_path: Path, api_text: str, flow_text: str) -> list[str]:
    """The build's diagnostic headlines, with the temporary folder cut off."""
    _, headlines = compile_files(
        tmp_path, {"openapi/things.yaml": api_text, "arazzo/things.arazzo.yaml": flow_text}, "diag_pkg"
    )
    return [h.replace(str(tmp_path) + "/", "") for h in headlines]


def run_both(package: ModuleType, function: str, script: Script, **kwargs: Any) -> tuple[Any, list[Recorded]]:
    """Run ``function`` sync then async (each against a fresh script); both must agree on outputs and requests.

    Returns the outputs (as a dict by field name) and the requests of the sync run.
    """
    module = package.workflows.things
    clients = package.apis.things
    results = []
    for is_async in (False, True):
        with scripted(script) as server:
            if is_async:

                async def run() -> Any:
                    async with clients.AsyncClient(server.url) as client:
                        return await getattr(module, function + "_async")(**kwargs, things_api=client)

                outputs = asyncio.run(run())
            else:
                with clients.Client(server.url) as client:
                    outputs = getattr(module, function)(**kwargs, things_api=client)
            results.append((outputs.model_dump(), list(server.requests)))
    (sync_out, sync_requests), (async_out, async_requests) = results
    assert sync_out == async_out
    assert [_comparable(r) for r in sync_requests] == [_comparable(r) for r in async_requests]
    return sync_out, sync_requests


def _comparable(request: Recorded) -> tuple[Any, ...]:
    body: Any = request.body
    if request.headers.get("content-type", "").startswith("multipart/"):
        body = _multipart_fields(request)  # the boundary is random
    return request.line, request.query, body


def raises_both(package: ModuleType, function: str, script: Script, **kwargs: Any) -> tuple[BaseException, ...]:
    """Run ``function`` sync and async; both must raise. Returns the two exceptions."""
    module = package.workflows.things
    clients = package.apis.things
    errors: list[BaseException] = []
    for is_async in (False, True):
        with scripted(script) as server:
            try:
                if is_async:

                    async def run() -> Any:
                        async with clients.AsyncClient(server.url) as client:
                            return await getattr(module, function + "_async")(**kwargs, things_api=client)

                    asyncio.run(run())
                else:
                    with clients.Client(server.url) as client:
                        getattr(module, function)(**kwargs, things_api=client)
            except Exception as error:  # noqa: BLE001 - the test inspects it
                errors.append(error)
            else:
                pytest.fail(f"{function} did not raise")
    assert type(errors[0]) is type(errors[1]) and str(errors[0]) == str(errors[1])
    return tuple(errors)


GET_ITEM = """
/items/{id}:
  get:
    operationId: getItem
    parameters: [{name: id, in: path, required: true, schema: {type: string}}]
    responses:
      "200":
        description: ok
        content: {application/json: {schema: {$ref: "#/components/schemas/Item"}}}
"""
ITEM_SCHEMA = """
schemas:
  Item:
    type: object
    required: [id, name]
    properties:
      id: {type: string}
      name: {type: string}
      size: {type: integer}
      owner: {$ref: "#/components/schemas/Owner"}
      tags: {type: array, items: {type: string}}
  Owner:
    type: object
    required: [login]
    properties:
      login: {type: string}
      age: {type: integer}
"""


# -- outputs: literals, null ------------------------------------------------------------------------------
LITERAL_OUTPUTS = """
- workflowId: literals
  inputs: {type: object, properties: {id: {type: string}}, required: [id]}
  steps:
    - stepId: read
      operationId: getItem
      parameters: [{name: id, in: path, value: $inputs.id}]
      successCriteria: [{condition: $statusCode == 200}]
      outputs: {count: 2, ratio: 0.5, word: plain, yes: true, nothing: null, obj: {a: [1, $inputs.id]}}
  outputs:
    count: $steps.read.outputs.count
    ratio: $steps.read.outputs.ratio
    word: $steps.read.outputs.word
    yes: $steps.read.outputs.yes
    nothing: $steps.read.outputs.nothing
    obj: $steps.read.outputs.obj
    lit: 5
    text: just text
    flag: false
    none: null
    listed: [1, two]
"""


def test_literal_and_null_outputs_are_their_values(tmp_path: Path) -> None:
    package, warnings = build(tmp_path, api(GET_ITEM, ITEM_SCHEMA), flow(LITERAL_OUTPUTS), "values_literals")
    assert warnings == []
    outputs, requests = run_both(package, "literals", {("GET", "/items/7"): [Reply(200, {"id": "7", "name": "n"})]}, id_="7")
    assert outputs == {
        "count": 2, "ratio": 0.5, "word": "plain", "yes": True, "nothing": None, "obj": {"a": [1, "7"]},
        "lit": 5, "text": "just text", "flag": False, "none": None, "listed": [1, "two"],
    }  # fmt: skip
    assert [r.line for r in requests] == ["GET /items/7"]
    fields = package.workflows.things.LiteralsOutputs.model_fields
    assert fields["count"].annotation is int and fields["none"].annotation is type(None)


# -- inputs: defaults -------------------------------------------------------------------------------------
LIST_ITEMS = """
/items:
  get:
    operationId: listItems
    parameters:
      - {name: limit, in: query, schema: {type: integer}}
      - {name: q, in: query, schema: {type: string}}
      - {name: tag, in: query, schema: {type: array, items: {type: string}}}
      - {name: X-Ratio, in: header, schema: {type: number}}
    responses:
      "200": {description: ok, content: {application/json: {schema: {type: array, items: {type: object}}}}}
"""
DEFAULTS = """
- workflowId: search
  inputs:
    type: object
    required: [q]
    properties:
      q: {type: string, default: all}
      limit: {type: integer, default: 10}
      ratio: {type: number, default: 2}
      tags: {type: array, items: {type: string}, default: [a, b]}
      maybe: {type: string}
  steps:
    - stepId: list
      operationId: listItems
      parameters:
        - {name: limit, in: query, value: $inputs.limit}
        - {name: q, in: query, value: $inputs.q}
        - {name: tag, in: query, value: $inputs.tags}
        - {name: X-Ratio, in: header, value: $inputs.ratio}
  outputs: {limit: $inputs.limit, tags: $inputs.tags, maybe: $inputs.maybe}
"""


def test_input_defaults_are_the_parameters_defaults_typed(tmp_path: Path) -> None:
    package, warnings = build(tmp_path, api(LIST_ITEMS), flow(DEFAULTS), "values_defaults")
    assert warnings == []
    script = {("GET", "/items"): [Reply(200, [])]}
    outputs, requests = run_both(package, "search", script)
    assert outputs == {"limit": 10, "tags": ["a", "b"], "maybe": None}
    assert requests[0].query == [("limit", "10"), ("q", "all"), ("tag", "a"), ("tag", "b")]
    assert requests[0].headers["x-ratio"] == "2.0"
    outputs, requests = run_both(package, "search", script, q="x", limit=3, tags=["c"], maybe="m")
    assert outputs == {"limit": 3, "tags": ["c"], "maybe": "m"}
    assert requests[0].query == [("limit", "3"), ("q", "x"), ("tag", "c")]
    import inspect

    signature = inspect.signature(package.workflows.things.search)
    assert signature.parameters["limit"].default == 10
    assert signature.parameters["q"].default == "all"
    assert signature.parameters["ratio"].default == 2.0
    assert signature.parameters["tags"].default is None  # a mutable default is applied in the body


def test_a_default_of_the_wrong_type_is_a_located_error(tmp_path: Path) -> None:
    text = DEFAULTS.replace("default: 10", "default: ten")
    assert diagnostics(tmp_path, api(LIST_ITEMS), flow(text)) == [
        (
            "specs/arazzo/things.arazzo.yaml:11:41: error[invalid-default]: the default of input 'limit' is a "
            "string, but the input's type is integer"
        )
    ]


# -- components: inputs, parameters with a value override, workflow-level parameters ------------------------
COMPONENT_PATHS = """
/stores/{storeId}/items:
  get:
    operationId: storeItems
    parameters:
      - {name: storeId, in: path, required: true, schema: {type: string}}
      - {name: page, in: query, schema: {type: integer}}
      - {name: X-Store, in: header, schema: {type: string}}
    responses:
      "200": {description: ok, content: {application/json: {schema: {type: array, items: {type: object}}}}}
"""
COMPONENT_FLOW = """
- workflowId: browse
  inputs: {$ref: "#/components/inputs/browsing"}
  parameters:
    - {reference: $components.parameters.store, value: $inputs.store}
    - {reference: $components.parameters.page}
  steps:
    - stepId: first
      operationId: storeItems
      parameters:
        - {name: storeId, in: path, value: $inputs.store}
    - stepId: second
      operationId: storeItems
      parameters:
        - {name: storeId, in: path, value: $inputs.store}
        - {reference: $components.parameters.page, value: $inputs.paging.page}
        - {name: x-store, in: header, value: overridden}
"""
COMPONENTS = """
inputs:
  browsing:
    type: object
    required: [store, paging]
    properties:
      store: {type: string}
      paging: {$ref: "#/components/inputs/pagination"}
  pagination:
    type: object
    properties:
      page: {type: integer}
parameters:
  store: {name: X-Store, in: header, value: component-own-value}
  page: {name: page, in: query, value: 1}
"""


def test_components_inputs_parameters_value_override_and_workflow_parameters(tmp_path: Path) -> None:
    package, warnings = build(tmp_path, api(COMPONENT_PATHS), flow(COMPONENT_FLOW, COMPONENTS), "values_components")
    assert warnings == []
    script = {("GET", "/stores/s1/items"): [Reply(200, [])]}
    _, requests = run_both(package, "browse", script, store="s1", paging={"page": 4})
    assert [r.line for r in requests] == ["GET /stores/s1/items"] * 2
    # workflow-level parameters apply to every step; the reference's value overrides the component's value
    assert requests[0].query == [("page", "1")] and requests[0].headers["x-store"] == "s1"
    # a step parameter with the same name and location (header names case-insensitively) overrides them
    assert requests[1].query == [("page", "4")] and requests[1].headers["x-store"] == "overridden"
    import inspect

    assert list(inspect.signature(package.workflows.things.browse).parameters)[:2] == ["store", "paging"]


# -- request bodies ------------------------------------------------------------------------------------------
BODY_PATHS = """
/json:
  post:
    operationId: postJson
    requestBody:
      required: true
      content: {application/json: {schema: {$ref: "#/components/schemas/Order"}}}
    responses: {"201": {description: ok}}
/form:
  post:
    operationId: postForm
    requestBody:
      required: true
      content: {application/x-www-form-urlencoded: {schema: {type: object}}}
    responses: {"200": {description: ok}}
/multi:
  post:
    operationId: postMulti
    requestBody:
      required: true
      content: {multipart/form-data: {schema: {type: object}}}
    responses: {"200": {description: ok}}
/text:
  post:
    operationId: postText
    requestBody:
      required: true
      content: {text/plain: {schema: {type: string}}}
    responses: {"200": {description: ok}}
/xml:
  post:
    operationId: postXml
    requestBody:
      required: true
      content:
        application/json: {schema: {$ref: "#/components/schemas/Order"}}
        application/xml: {schema: {$ref: "#/components/schemas/Order"}}
    responses: {"200": {description: ok}}
/xmldoc:
  post:
    operationId: postXmlDoc
    requestBody:
      required: true
      content: {application/xml: {schema: {type: object}}}
    responses: {"200": {description: ok}}
"""
BODY_SCHEMAS = """
schemas:
  Order:
    type: object
    properties:
      petId: {type: integer}
      couponCode: {type: string}
      quantity: {type: integer}
      status: {type: string}
      complete: {type: boolean}
      lines: {type: array, items: {type: object}}
"""
BODY_FLOW = """
- workflowId: bodies
  inputs:
    type: object
    required: [pet_id, coupon, quantity, order]
    properties:
      pet_id: {type: integer}
      coupon: {type: string}
      quantity: {type: integer}
      order: {type: object}
  steps:
    - stepId: object
      operationId: postJson
      requestBody:
        contentType: application/json
        payload:
          petId: $inputs.pet_id
          couponCode: "code-{$inputs.coupon}!"
          status: placed
          complete: false
          lines: [{n: 1, q: $inputs.quantity}, [$inputs.coupon]]
        replacements:
          - {target: /quantity, value: $inputs.quantity}
          - {target: /lines/0/n, value: 10}
    - stepId: jsonText
      operationId: postJson
      requestBody:
        contentType: application/json
        payload: |
          {"petId": "{$inputs.pet_id}", "couponCode": "c-{$inputs.coupon}", "quantity": {$inputs.quantity},
           "status": "placed", "complete": false}
    - stepId: whole
      operationId: postJson
      requestBody:
        payload: $inputs.order
        replacements: [{target: /petId, value: $inputs.pet_id}, {target: /status, value: sold}]
    - stepId: form
      operationId: postForm
      requestBody:
        contentType: application/x-www-form-urlencoded
        payload: {client_id: $inputs.coupon, qty: $inputs.quantity, scope: [a, b], note: "x & y=z"}
    - stepId: formText
      operationId: postForm
      requestBody:
        contentType: application/x-www-form-urlencoded
        payload: "client_id={$inputs.coupon}&grant_type=code&n={$inputs.quantity}"
    - stepId: multi
      operationId: postMulti
      requestBody:
        contentType: multipart/form-data
        payload: {name: $inputs.coupon, count: $inputs.quantity}
    - stepId: text
      operationId: postText
      requestBody:
        contentType: text/plain
        payload: "quantity {$inputs.quantity} of {$inputs.coupon}"
    - stepId: xml
      operationId: postXml
      requestBody:
        contentType: application/xml
        payload: |
          <petOrder>
            <petId>{$inputs.pet_id}</petId>
            <couponCode>{$inputs.coupon}</couponCode>
            <complete>false</complete>
          </petOrder>
    - stepId: xmlMapping
      operationId: postXmlDoc
      requestBody:
        contentType: application/xml
        payload:
          petOrder:
            petId: $inputs.pet_id
            couponCode: "c-{$inputs.coupon}"
            note: a < b
            lines: [{n: 1}, {n: $inputs.quantity}]
            gift: null
            complete: false
    - stepId: xmlSchemaRoot
      operationId: postXml
      requestBody:
        contentType: application/xml
        payload:
          "@id": $inputs.pet_id
          petId: $inputs.pet_id
          lines: $inputs.order
"""


def _multipart_fields(request: Recorded) -> dict[str, str]:
    import email.parser

    message = email.parser.BytesParser().parsebytes(
        b"Content-Type: " + request.headers["content-type"].encode() + b"\r\n\r\n" + request.body
    )
    return {part.get_param("name", header="content-disposition"): part.get_payload(decode=True).decode()
            for part in message.get_payload()}  # fmt: skip


def test_request_bodies_are_encoded_per_content_type(tmp_path: Path) -> None:
    package, warnings = build(tmp_path, api(BODY_PATHS, BODY_SCHEMAS), flow(BODY_FLOW), "values_bodies")
    # a list inside a list of objects, on purpose: it is sent as written, with a warning
    assert [w.replace(str(tmp_path) + "/", "") for w in warnings] == [
        (
            "specs/arazzo/things.arazzo.yaml:20:13: warning[payload-type]: step 'object': payload member "
            "'#/lines/1' is a list, but the request body of postJson documents object"
        ),
    ]
    script = {
        ("POST", "/json"): [Reply(201)], ("POST", "/form"): [Reply(200)], ("POST", "/multi"): [Reply(200)],
        ("POST", "/text"): [Reply(200)], ("POST", "/xml"): [Reply(200)], ("POST", "/xmldoc"): [Reply(200)],
    }  # fmt: skip
    _, requests = run_both(
        package, "bodies", script, pet_id=7, coupon="<A&B>", quantity=3, order={"petId": 1, "status": "new"}
    )
    assert [r.line for r in requests] == [
        "POST /json", "POST /json", "POST /json", "POST /form", "POST /form", "POST /multi", "POST /text", "POST /xml",
        "POST /xmldoc", "POST /xml",
    ]  # fmt: skip
    obj, text, whole, form, form_text, multi, plain, xml, xml_mapping, xml_schema_root = requests
    assert obj.headers["content-type"] == "application/json"
    assert json.loads(obj.body) == {
        "petId": 7, "couponCode": "code-<A&B>!", "status": "placed", "complete": False,
        "lines": [{"n": 10, "q": 3}, ["<A&B>"]], "quantity": 3,
    }  # fmt: skip
    # the JSON text: a whole-string "{$...}" is the typed value, an embedded one a string, a bare one the value
    assert json.loads(text.body) == {"petId": 7, "couponCode": "c-<A&B>", "quantity": 3, "status": "placed",
                                     "complete": False}  # fmt: skip
    assert json.loads(whole.body) == {"petId": 7, "status": "sold"}
    assert form.headers["content-type"] == "application/x-www-form-urlencoded"
    assert form.body == b"client_id=%3CA%26B%3E&qty=3&scope=a&scope=b&note=x+%26+y%3Dz"
    assert form_text.body == b"client_id=%3CA%26B%3E&grant_type=code&n=3"
    assert multi.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert _multipart_fields(multi) == {"name": "<A&B>", "count": "3"}
    assert plain.headers["content-type"] == "text/plain" and plain.body == b"quantity 3 of <A&B>"
    assert xml.headers["content-type"] == "application/xml"
    assert xml.body == (
        b"<petOrder>\n  <petId>7</petId>\n  <couponCode>&lt;A&amp;B&gt;</couponCode>\n  <complete>false</complete>\n"
        b"</petOrder>\n"
    )
    # XML written as a YAML mapping: the one member is the root, a list repeats its element, null is empty
    assert xml_mapping.headers["content-type"] == "application/xml"
    assert xml_mapping.body == (
        b"<petOrder><petId>7</petId><couponCode>c-&lt;A&amp;B&gt;</couponCode><note>a &lt; b</note>"
        b"<lines><n>1</n></lines><lines><n>3</n></lines><gift/><complete>false</complete></petOrder>"
    )
    # the body schema names the root (here its component name, Order): the mapping is its content, '@id' an
    # attribute, a runtime mapping value nested elements
    assert xml_schema_root.body == b'<Order id="7"><petId>7</petId><lines><petId>1</petId><status>new</status></lines></Order>'


def test_payload_diagnostics(tmp_path: Path) -> None:
    text = BODY_FLOW.replace('"quantity": {$inputs.quantity},', '"quantity": {$inputs.quantity}')
    text = text.replace("contentType: application/xml", "contentType: application/yaml", 1)
    text = text.replace("        payload:\n          petOrder:\n", "        payload:\n          first: 1\n          petOrder:\n")
    assert diagnostics(tmp_path, api(BODY_PATHS, BODY_SCHEMAS), flow(text)) == [
        (
            "specs/arazzo/things.arazzo.yaml:20:13: warning[payload-type]: step 'object': payload member "
            "'#/lines/1' is a list, but the request body of postJson documents object"
        ),
        (
            "specs/arazzo/things.arazzo.yaml:34:14: error[invalid-payload]: the payload is a string for a JSON "
            "content type but is not JSON text (Expecting ',' delimiter on line 2 of the payload)"
        ),
        (
            "specs/arazzo/things.arazzo.yaml:63:24: warning[undeclared-content-type]: postXml does not declare the "
            "request content type 'application/yaml' (it accepts application/json, application/xml); it is sent "
            "as written"
        ),
        (
            "specs/arazzo/things.arazzo.yaml:75:13: error[invalid-payload]: an XML payload written as a mapping "
            "needs exactly one member, the root element, when the request body schema names none (it has 2: "
            "first, petOrder)"
        ),
    ]


# -- responses are read tolerantly --------------------------------------------------------------------------
TOLERANT_FLOW = """
- workflowId: tolerant
  inputs: {type: object, properties: {id: {type: string}}, required: [id]}
  steps:
    - stepId: read
      operationId: getItem
      parameters: [{name: id, in: path, value: $inputs.id}]
      successCriteria: [{condition: $statusCode == 200}]
      outputs: {size: $response.body#/size, login: $response.body#/owner/login, first: $response.body#/tags/0}
  outputs: {size: $steps.read.outputs.size, login: $steps.read.outputs.login, first: $steps.read.outputs.first}
"""


def test_a_body_missing_fields_the_workflow_never_reads_does_not_fail(tmp_path: Path) -> None:
    package, warnings = build(tmp_path, api(GET_ITEM, ITEM_SCHEMA), flow(TOLERANT_FLOW), "values_tolerant")
    assert warnings == []
    # no required id/name, an owner without its other fields, a field the schema does not know
    body = {"size": 3, "owner": {"login": "ann"}, "tags": ["t1"], "extra": {"x": 1}}
    outputs, requests = run_both(package, "tolerant", {("GET", "/items/1"): [Reply(200, body)]}, id_="1")
    assert outputs == {"size": 3, "login": "ann", "first": "t1"}
    assert [r.line for r in requests] == ["GET /items/1"]


def test_a_missing_or_mistyped_value_the_workflow_reads_is_a_step_output_error(tmp_path: Path) -> None:
    package, _ = build(tmp_path, api(GET_ITEM, ITEM_SCHEMA), flow(TOLERANT_FLOW), "values_tolerant_errors")
    runtime = package._runtime
    missing = {"size": 3, "owner": {"age": 4}, "tags": ["t1"]}
    errors = raises_both(package, "tolerant", {("GET", "/items/1"): [Reply(200, missing)]}, id_="1")
    error = errors[0]
    assert isinstance(error, runtime.StepOutputError) and isinstance(error, runtime.StepFailed)
    assert (error.workflow, error.step, error.pointer, error.status_code) == ("tolerant", "read", "/owner/login", 200)
    assert str(error) == (
        "workflow 'tolerant' step 'read': $response.body#/owner/login is missing; the body held "
        '{"size": 3, "owner": {"age": 4}, "tags": ["t1"]}'
    )
    mistyped = {"size": "big", "owner": {"login": "ann"}, "tags": ["t1"]}
    error = raises_both(package, "tolerant", {("GET", "/items/1"): [Reply(200, mistyped)]}, id_="1")[0]
    assert isinstance(error, runtime.StepOutputError) and error.pointer == "/size"
    assert str(error).startswith(
        "workflow 'tolerant' step 'read': $response.body#/size does not validate as int | None: /size: Input should "
        "be a valid integer, unable to parse string as an integer (received 'big'); the body held "
    )
    assert "pydantic" not in type(error).__module__
    import pickle

    assert str(pickle.loads(pickle.dumps(error))) == str(error)
    doc = package.workflows.things.tolerant.__doc__
    assert "StepOutputError:" in doc and "StepFailed:" in doc and "ApiConnectionError:" in doc


# -- values match their targets: array parameters, style and explode -----------------------------------------
STYLE_PATHS = """
/search/{lab}/{mat}/{plain}:
  get:
    operationId: search
    parameters:
      - {name: lab, in: path, required: true, style: label, schema: {type: array, items: {type: string}}}
      - {name: mat, in: path, required: true, style: matrix, explode: true, schema: {type: array, items: {type: string}}}
      - {name: plain, in: path, required: true, schema: {type: array, items: {type: string}}}
      - {name: type, in: query, schema: {type: array, items: {type: string, enum: [track, album]}}}
      - {name: spaced, in: query, style: spaceDelimited, explode: false, schema: {type: array, items: {type: string}}}
      - {name: piped, in: query, style: pipeDelimited, explode: false, schema: {type: array, items: {type: integer}}}
      - {name: csv, in: query, explode: false, schema: {type: array, items: {type: string}}}
      - {name: X-List, in: header, schema: {type: array, items: {type: string}}}
      - name: filter
        in: query
        style: deepObject
        explode: true
        schema:
          type: object
          properties:
            color: {type: string}
            size: {type: object, properties: {min: {type: integer}, max: {type: integer}}}
            tags: {type: array, items: {type: string}}
      - {name: where, in: query, schema: {type: object, properties: {city: {type: string}, zip: {type: integer}}}}
    responses: {"200": {description: ok}}
"""
STYLE_FLOW = """
- workflowId: styles
  inputs: {type: object, required: [words], properties: {words: {type: array, items: {type: string}}}}
  steps:
    - stepId: search
      operationId: search
      parameters:
        - {name: lab, in: path, value: [a, b]}
        - {name: mat, in: path, value: $inputs.words}
        - {name: plain, in: path, value: "x y"}
        - {name: type, in: query, value: track}
        - {name: spaced, in: query, value: $inputs.words}
        - {name: piped, in: query, value: [1, 2]}
        - {name: csv, in: query, value: [c, d]}
        - {name: X-List, in: header, value: [h1, h2]}
        - {name: filter, in: query, value: {color: $inputs.words#/0, size: {min: 1, max: 9}, tags: [t1, t2]}}
        - {name: where, in: query, value: {city: Oslo, zip: 150}}
"""


def test_array_parameters_are_serialised_per_style_and_explode(tmp_path: Path) -> None:
    package, warnings = build(tmp_path, api(STYLE_PATHS), flow(STYLE_FLOW), "values_styles")
    assert warnings == []
    script = lambda request: Reply(200)
    _, requests = run_both(package, "styles", script, words=["w 1", "w2"])
    assert len(requests) == 1
    request = requests[0]
    assert request.path == "/search/.a,b/;mat=w%201;mat=w2/x%20y"
    assert request.query == [
        ("type", "track"), ("spaced", "w 1 w2"), ("piped", "1|2"), ("csv", "c,d"),
        # deepObject: one pair per member, nested objects as name[a][b], a list repeats the name
        ("filter[color]", "w 1"), ("filter[size][min]", "1"), ("filter[size][max]", "9"), ("filter[tags]", "t1"),
        ("filter[tags]", "t2"),
        # an object with the default style (form, exploded): one pair per member
        ("city", "Oslo"), ("zip", "150"),
    ]  # fmt: skip
    assert request.headers["x-list"] == "h1,h2"


def test_the_azure_seed_runs_against_a_lenient_server_that_omits_required_fields() -> None:
    """The issue's case: a stand-in for the Azure data plane answers sessions and job creation without
    ``name`` (and every other required field the workflow never reads); the seed workflow still completes.
    The session's jobs are read whole (an output), so they are complete."""
    pytest.importorskip("quantum_workflows")
    from quantum_workflows.apis import azure_quantum_data_plane
    from quantum_workflows.workflows.microsoft_quantum_session_lifecycle import (
        session_lifecycle,
        session_lifecycle_async,
    )

    session_id, job_id = "5f1c3a52-0a43-4c1e-9d39-6d3d6f4e2a10", "9b2d0f6e-3c5a-4f1b-8e7d-1a2b3c4d5e6f"
    job = {"id": job_id, "name": "job", "providerId": "p", "target": "t", "itemType": "Job",
           "containerUri": "https://c", "sessionId": session_id}  # fmt: skip

    def reply(request: Recorded) -> Reply:
        if request.path.endswith("/storage/sasUri"):
            return Reply(200, {"sasUri": "https://storage.example/jobs?sig=x"})
        if request.path.endswith(":close"):
            return Reply(200, {"id": session_id, "status": "Succeeded"})
        if request.path.endswith("/jobs"):
            return Reply(200, {"value": [job]})
        if f"/jobs/{job_id}" in request.path:
            return Reply(200, {"id": job_id})  # no name, providerId, target, itemType, containerUri
        return Reply(200, {"id": session_id, "status": "Waiting"})  # no name, providerId, target, itemType

    inputs = {
        "subscription_id": "00000000-0000-0000-0000-000000000000", "resource_group_name": "rg",
        "workspace_name": "ws", "api_version": "2026-01-15-preview", "auth_token": "token",
        "session_id": session_id, "job_failure_policy": "Abort", "job_id": job_id, "container_name": "jobs",
        "quantum_item_count": 1,
    }  # fmt: skip
    with scripted(reply) as server:
        with azure_quantum_data_plane.Client(server.url) as client:
            outputs = session_lifecycle(**inputs, data_plane_api=client)

        async def run() -> Any:
            async with azure_quantum_data_plane.AsyncClient(server.url) as client:
                return await session_lifecycle_async(**inputs, data_plane_api=client)

        async_outputs = asyncio.run(run())
    assert outputs == async_outputs
    assert (outputs.session_id, outputs.job_id) == (session_id, job_id)
    assert [j.id for j in outputs.session_jobs] == [job_id]
    assert outputs.final_session_status is not None and outputs.final_session_status.value == "Succeeded"
    assert len(server.requests) == 10


LATE_REPLACEMENT_FLOW = """
- workflowId: late
  inputs: {type: object, required: [order], properties: {order: {type: object}}}
  steps:
    - stepId: post
      operationId: postJson
      requestBody:
        payload: $inputs.order
        replacements: [{target: /meta/tag, value: new}, {target: /lines/-, value: {n: 2}}]
"""


def test_run_time_replacements_set_members_append_and_report_a_missing_parent(tmp_path: Path) -> None:
    package, warnings = build(tmp_path, api(BODY_PATHS, BODY_SCHEMAS), flow(LATE_REPLACEMENT_FLOW), "values_late")
    assert warnings == []
    script = {("POST", "/json"): [Reply(201)]}
    _, requests = run_both(package, "late", script, order={"meta": {"tag": "old"}, "lines": [{"n": 1}]})
    assert json.loads(requests[0].body) == {"meta": {"tag": "new"}, "lines": [{"n": 1}, {"n": 2}]}
    errors = raises_both(package, "late", script, order={"lines": []})
    # main: a ValueError, not one of the package's exceptions
    assert type(errors[0]).__name__ == "StepFailed"
    assert str(errors[0]) == (  # main: "no response does not satisfy the ... target /meta/tag is in the payload"
        "workflow 'late' step 'post' failed: the requestBody replacement target /meta/tag is not in the payload"
    )
    assert errors[0].criterion == "the requestBody replacement target /meta/tag is in the payload"
    doc = " ".join((package.workflows.things.late.__doc__ or "").split())
    assert "StepFailed: a step's response did not meet its success criteria; or a requestBody replacement" in doc
    assert "ValueError" not in doc.split("Raises:")[1]  # (deadline=nan is the caller's ValueError, in Args)


def test_expressions_inside_object_outputs_are_checked(tmp_path: Path) -> None:
    text = LITERAL_OUTPUTS.replace("obj: {a: [1, $inputs.id]}", "obj: {a: [1, $inputs.nope]}")
    assert diagnostics(tmp_path, api(GET_ITEM, ITEM_SCHEMA), flow(text)) == [
        (
            "specs/arazzo/things.arazzo.yaml:12:101: error[unknown-input]: '$inputs.nope' is not declared in the "
            "inputs of workflow 'literals'"
        )
    ]


# -- optional values where a value is required ------------------------------------------------------------
OPTIONAL_TO_REQUIRED_API = GET_ITEM + """
/items:
  post:
    operationId: createItem
    requestBody:
      required: true
      content: {application/json: {schema: {$ref: "#/components/schemas/Item"}}}
    responses:
      "201": {description: created}
"""
OPTIONAL_TO_REQUIRED = """
- workflowId: copy
  inputs:
    type: object
    properties:
      id: {type: string}
      item: {type: object}
  steps:
    - stepId: read
      operationId: getItem
      parameters: [{name: id, in: path, value: $inputs.id}]
    - stepId: write
      operationId: createItem
      requestBody: {contentType: application/json, payload: $inputs.item}
"""


def test_an_optional_input_given_to_a_required_parameter_or_body_type_checks_and_fails_by_name(
    tmp_path: Path,
) -> None:
    """The inputs are optional (no ``required``), the path parameter and the body are required: the package
    passes ``mypy --strict`` (the value is narrowed), a given value is sent, and ``None`` fails the step
    with ``StepFailed`` naming the expression before any request is made (never ``GET /items/None``)."""
    import os
    import subprocess
    import sys

    package, warnings = build(tmp_path, api(OPTIONAL_TO_REQUIRED_API, ITEM_SCHEMA), flow(OPTIONAL_TO_REQUIRED), "opt_req")
    assert warnings == []
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull, "opt_req"],
        cwd=tmp_path / "out", capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout
    script = {("GET", "/items/7"): [Reply(200, {"id": "7", "name": "n"})], ("POST", "/items"): [Reply(201)]}
    _, requests = run_both(package, "copy", script, id_="7", item={"id": "8", "name": "m"})
    assert [r.line for r in requests] == ["GET /items/7", "POST /items"]
    assert requests[1].json() == {"id": "8", "name": "m"}
    step_failed = package._runtime.StepFailed
    with scripted(script) as server, package.apis.things.Client(server.url) as client:
        with pytest.raises(step_failed) as missing_id:
            package.workflows.things.copy(things_api=client, item={"id": "8"})
        with pytest.raises(step_failed) as missing_item:
            package.workflows.things.copy(things_api=client, id_="7")
    assert str(missing_id.value) == (
        "workflow 'copy' step 'read' failed: no response does not satisfy $inputs.id is set (the required path "
        "parameter 'id' of getItem needs a value)"
    )
    assert str(missing_item.value) == (
        "workflow 'copy' step 'write' failed: no response does not satisfy $inputs.item is set (the request body "
        "of createItem needs a value)"
    )
    assert [r.line for r in server.requests] == ["GET /items/7"]


CONVERTED_API = """
/counts/{n}:
  get:
    operationId: getCount
    parameters: [{name: n, in: path, required: true, schema: {type: integer}}]
    responses:
      "200": {description: ok}
"""
CONVERTED = """
- workflowId: count
  inputs:
    type: object
    required: [n]
    properties:
      n: {type: string}
  steps:
    - stepId: get
      operationId: getCount
      parameters: [{name: n, in: path, value: $inputs.n}]
"""


def test_a_string_input_given_to_an_integer_parameter_is_converted_or_fails_by_name(tmp_path: Path) -> None:
    """The corpus's runner mocks type the pet id input as a string and the operation's parameter as an integer:
    the call is ``converted(...)`` (pydantic's lax conversion), which type-checks, sends ``7`` for ``'7'`` and
    fails the step by name, before any request, for a value that is no integer."""
    import os
    import subprocess
    import sys

    package, warnings = build(tmp_path, api(CONVERTED_API), flow(CONVERTED), "conv_pkg")
    assert warnings == []
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull, "conv_pkg"],
        cwd=tmp_path / "out", capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout
    _, requests = run_both(package, "count", {("GET", "/counts/7"): [Reply(200)]}, n="7")
    assert [r.line for r in requests] == ["GET /counts/7"]
    with (
        scripted({}) as server,
        package.apis.things.Client(server.url) as client,
        pytest.raises(package._runtime.StepFailed) as failed,
    ):
        package.workflows.things.count(things_api=client, n="seven")
    assert str(failed.value) == (
        "workflow 'count' step 'get' failed: no response does not satisfy $inputs.n is int (the path parameter 'n' "
        "of getCount documents that type)"
    )
    assert server.requests == []


OBJECT_PARAM_API = """
/pets:
  get:
    operationId: findPets
    parameters:
      - {name: filter, in: query, required: true, schema: {$ref: "#/components/schemas/Filter"}}
    responses:
      "200": {description: ok}
"""
OBJECT_PARAM_SCHEMAS = """
schemas:
  Filter:
    type: object
    properties:
      color: {type: string}
      size: {type: integer}
"""
OBJECT_PARAM = """
- workflowId: find
  steps:
    - stepId: find
      operationId: findPets
      parameters: [{name: filter, in: query, value: {color: white, size: 3}}]
"""


def test_an_object_literal_given_to_a_model_typed_parameter_type_checks_and_is_sent_per_member(
    tmp_path: Path,
) -> None:
    """A query parameter whose schema is a named object takes the model or a plain mapping (the corpus's
    runner mocks write the object as a literal): the package passes ``mypy --strict`` and the object is sent
    one pair per member (``form``, exploded: OpenAPI's default)."""
    import os
    import subprocess
    import sys

    package, warnings = build(tmp_path, api(OBJECT_PARAM_API, OBJECT_PARAM_SCHEMAS), flow(OBJECT_PARAM), "obj_pkg")
    assert warnings == []
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull, "obj_pkg"],
        cwd=tmp_path / "out", capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout
    _, requests = run_both(package, "find", {("GET", "/pets"): [Reply(200)]})
    assert [(r.line, r.query) for r in requests] == [("GET /pets", [("color", "white"), ("size", "3")])]
