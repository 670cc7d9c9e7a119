"""Issue 14's semantic defects of the workflow wing, each run against the scripted server on 127.0.0.1.

* A step's success criteria are evaluated on the response whatever its status: a documented or undocumented
  error status the criteria accept is a success, and its outputs are read from that response (typed by that
  status's schema where documented). Both Arazzo runners pass these cases; main (a983c88) raised StepFailed.
* ``$workflows.<id>.outputs.*`` compiles in the outputs of the step that runs ``<id>`` (a step's outputs are
  evaluated after it succeeded); main refused it as ``undefined-expression``.
* Failure-action criteria that read the error body are checked against the schema of the status they can see
  (main gave a false ``undocumented-response-field`` for a documented 409 body).
"""

from __future__ import annotations

import asyncio
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from .scripted import Reply, build_package, compile_files, import_package, scripted

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
        "404":
          description: missing
          content: {application/json: {schema: {$ref: "#/components/schemas/Missing"}}}
        "409":
          description: busy
          content: {application/json: {schema: {$ref: "#/components/schemas/Busy"}}}
components:
  schemas:
    Item: {type: object, properties: {name: {type: string}}}
    Missing: {type: object, properties: {reason: {type: string}, retired: {type: boolean}}}
    Busy: {type: object, properties: {holder: {type: string}}}
"""


def _flow(criteria: str, outputs: str, workflow_outputs: str, extra: str = "") -> str:
    return f"""
arazzo: 1.0.1
info: {{title: Items, version: "1"}}
sourceDescriptions: [{{name: items, url: ../openapi/items.yaml, type: openapi}}]
workflows:
  - workflowId: probe
    inputs: {{type: object, properties: {{key: {{type: string}}}}, required: [key]}}
    steps:
      - stepId: read
        operationId: getItem
        parameters: [{{name: key, in: path, value: $inputs.key}}]
        successCriteria: [{criteria}]
        outputs: {outputs}
{extra}
    outputs: {workflow_outputs}
"""


GONE = _flow(
    "{condition: $statusCode == 404}",
    "{reason: $response.body#/reason, retired: $response.body#/retired, status: $statusCode}",
    "{reason: $steps.read.outputs.reason, retired: $steps.read.outputs.retired, status: $steps.read.outputs.status}",
)
UNAVAILABLE = _flow(
    "{condition: $statusCode == 503}",
    "{status: $statusCode}",
    "{status: $steps.read.outputs.status}",
)


def _run_both(module: Any, client_module: Any, url: str, **inputs: Any) -> list[Any]:
    with client_module.Client(url) as client:
        results = [module.probe(items_api=client, **inputs)]

    async def run() -> Any:
        async with client_module.AsyncClient(url) as client:
            return await module.probe_async(items_api=client, **inputs)

    results.append(asyncio.run(run()))
    return results


def test_criteria_that_accept_a_documented_error_status_succeed_with_its_outputs(tmp_path: Path) -> None:
    out, warnings = build_package(tmp_path, {"openapi/items.yaml": API, "arazzo/items.arazzo.yaml": GONE}, "gone_pkg")
    assert warnings == []
    package = import_package(out, "gone_pkg")
    body = {"reason": "retired in 2025", "retired": True}
    with scripted({("GET", "/items/k1"): [Reply(404, body), Reply(404, body)]}) as server:
        results = _run_both(package.workflows.items, package.apis.items, server.url, key="k1")
    for result in results:
        assert (result.reason, result.retired, result.status) == ("retired in 2025", True, 404)
    assert [r.line for r in server.requests] == ["GET /items/k1", "GET /items/k1"]


def test_criteria_that_reject_a_status_still_fail_the_step(tmp_path: Path) -> None:
    out, _ = build_package(tmp_path, {"openapi/items.yaml": API, "arazzo/items.arazzo.yaml": GONE}, "gone2_pkg")
    package = import_package(out, "gone2_pkg")
    with (
        scripted({("GET", "/items/k2"): [Reply(200, {"name": "here"})]}) as server,
        package.apis.items.Client(server.url) as client,
        pytest.raises(package._runtime.StepFailed) as caught,
    ):
        package.workflows.items.probe(key="k2", items_api=client)
    assert caught.value.step == "read"
    assert "$statusCode == 404" in str(caught.value)


def test_criteria_that_accept_an_undocumented_error_status_succeed(tmp_path: Path) -> None:
    out, warnings = build_package(
        tmp_path, {"openapi/items.yaml": API, "arazzo/items.arazzo.yaml": UNAVAILABLE}, "busy_pkg"
    )
    package = import_package(out, "busy_pkg")
    with scripted({("GET", "/items/k3"): [Reply(503, {"error": "down"}), Reply(503, {"error": "down"})]}) as server:
        results = _run_both(package.workflows.items, package.apis.items, server.url, key="k3")
    assert [result.status for result in results] == [503, 503]


CHAIN = """
arazzo: 1.0.1
info: {title: Items, version: "1"}
sourceDescriptions: [{name: items, url: ../openapi/items.yaml, type: openapi}]
workflows:
  - workflowId: fetch
    inputs: {type: object, properties: {key: {type: string}}, required: [key]}
    steps:
      - stepId: read
        operationId: getItem
        parameters: [{name: key, in: path, value: $inputs.key}]
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {name: $response.body#/name}
    outputs: {name: $steps.read.outputs.name}
  - workflowId: outer
    inputs: {type: object, properties: {key: {type: string}}, required: [key]}
    steps:
      - stepId: runFetch
        workflowId: fetch
        parameters: [{name: key, value: $inputs.key}]
        outputs: {fetched: $workflows.fetch.outputs.name}
    outputs: {fetched: $steps.runFetch.outputs.fetched}
"""


def test_workflow_outputs_read_in_the_outputs_of_the_step_that_ran_it(tmp_path: Path) -> None:
    out, warnings = build_package(tmp_path, {"openapi/items.yaml": API, "arazzo/items.arazzo.yaml": CHAIN}, "chain_pkg")
    assert warnings == []
    package = import_package(out, "chain_pkg")
    with (
        scripted({("GET", "/items/k4"): [Reply(200, {"name": "four"})]}) as server,
        package.apis.items.Client(server.url) as client,
    ):
        result = package.workflows.items.outer(key="k4", items_api=client)
    assert result.fetched == "four"
    assert [r.line for r in server.requests] == ["GET /items/k4"]


BUSY = _flow(
    "{condition: $statusCode == 200}",
    "{name: $response.body#/name}",
    "{name: $steps.read.outputs.name}",
    extra="""        onFailure:
          - name: stillBusy
            type: end
            criteria: [{condition: $statusCode == 409}, {condition: $response.body#/holder == 'batch'}]""",
)


def test_failure_action_criteria_read_the_error_body_by_its_own_schema(tmp_path: Path) -> None:
    tree, headlines = compile_files(tmp_path, {"openapi/items.yaml": API, "arazzo/items.arazzo.yaml": BUSY}, "busy2_pkg")
    assert tree is not None, headlines
    assert headlines == []


def test_failure_action_criteria_name_a_field_no_schema_of_the_status_has(tmp_path: Path) -> None:
    """The check still works: `holderz` is in neither 409's schema nor any other."""
    flow = BUSY.replace("$response.body#/holder ==", "$response.body#/holderz ==")
    tree, headlines = compile_files(tmp_path, {"openapi/items.yaml": API, "arazzo/items.arazzo.yaml": flow}, "busy3_pkg")
    assert tree is not None, headlines
    assert any("undocumented-response-field" in line and "holderz" in line for line in headlines), headlines


def test_any_status_returns_the_response_of_an_error_status_and_keeps_its_error(tmp_path: Path) -> None:
    """The runtime's `any_status()` (what a step calls its operation in): the response of any status, the
    error the call would have raised in `status_error`, and `StepFailed` made from it keeps that error."""
    out, _ = build_package(tmp_path, {"openapi/items.yaml": API, "arazzo/items.arazzo.yaml": GONE}, "any_pkg")
    package = import_package(out, "any_pkg")
    runtime, api = package._runtime, package.apis.items
    body = {"reason": "gone"}
    with ExitStack() as stack, scripted(
        {("GET", "/items/k5"): [Reply(404, body), Reply(404, body), Reply(404, body)]}
    ) as server:
        client = stack.enter_context(api.Client(server.url))
        with runtime.any_status():
            response = client.get_item(key="k5")
        assert response.status_code == 404
        assert isinstance(response.status_error, runtime.NotFoundError)
        assert response.parsed.reason == "gone"  # typed by the 404's schema
        failed = runtime.StepFailed("probe", "read", "$statusCode == 200", response)
        assert failed.cause is response.status_error and failed.__cause__ is response.status_error
        with pytest.raises(runtime.NotFoundError):  # outside the block the call raises, as always
            client.get_item(key="k5")

        async def run() -> Any:
            async with api.AsyncClient(server.url) as client:
                with runtime.any_status():
                    return await client.get_item(key="k5")

        assert asyncio.run(run()).status_error.response.status_code == 404


API_DEFAULT = API.replace(
    '''        "409":''',
    '''        default:
          description: any other status
          content: {application/json: {schema: {$ref: "#/components/schemas/Missing"}}}
        "409":''',
).replace(
    '''        "404":
          description: missing
          content: {application/json: {schema: {$ref: "#/components/schemas/Missing"}}}
''',
    "",
)
WHOLE = _flow(
    "{condition: $statusCode == 200 || $statusCode == 404}",
    "{whole: $response.body, status: $statusCode}",
    "{whole: $steps.read.outputs.whole, status: $steps.read.outputs.status}",
)
GONE_WHOLE = _flow(
    "{condition: $statusCode == 404}",
    "{whole: $response.body, reason: $response.body#/reason}",
    "{whole: $steps.read.outputs.whole, reason: $steps.read.outputs.reason}",
)


@pytest.mark.parametrize(
    ("api", "flow", "outputs"),
    [
        (API, WHOLE, lambda r: (r.whole["reason"], r.status)),  # 200 || 404: typed by neither alone
        (API_DEFAULT, GONE_WHOLE, lambda r: (r.whole.reason, r.reason)),  # 404 documented only by `default`
    ],
    ids=["either-status", "status-under-default"],
)
def test_outputs_of_an_accepted_error_status_are_typed_by_the_response_it_can_be(
    tmp_path: Path, api: str, flow: str, outputs: Any
) -> None:
    """main (after the step plan) typed the whole body by the 200's schema in both cases: a 404 that the
    criteria accept raised StepOutputError ('is not Item')."""
    name = f"typed_pkg_{len(flow)}"  # one package per case (modules are cached by name)
    out, _ = build_package(tmp_path, {"openapi/items.yaml": api, "arazzo/items.arazzo.yaml": flow}, name)
    package = import_package(out, name)
    body = {"reason": "retired", "retired": True}
    with scripted({("GET", "/items/k6"): [Reply(404, body), Reply(404, body)]}) as server:
        results = _run_both(package.workflows.items, package.apis.items, server.url, key="k6")
    for result in results:
        assert outputs(result)[0] == "retired"
