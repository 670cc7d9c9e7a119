"""The semantics-test helpers in tests/scripted.py: a built workflow runs against the scripted server, which
records the exact requests (a control for every runtime test that relies on them)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from .scripted import Reply, build_package, import_package, scripted

API = """
openapi: 3.0.3
info: {title: Items, version: "1"}
servers: [{url: "http://127.0.0.1:9"}]
paths:
  /items/{id}:
    get:
      operationId: getItem
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        "200":
          description: ok
          content: {application/json: {schema: {type: object, properties: {name: {type: string}}}}}
"""

FLOW = """
arazzo: 1.0.1
info: {title: Items, version: "1"}
sourceDescriptions: [{name: items, url: ../openapi/items.yaml, type: openapi}]
workflows:
  - workflowId: readItem
    inputs: {type: object, properties: {id: {type: string}}, required: [id]}
    steps:
      - stepId: read
        operationId: getItem
        parameters: [{name: id, in: path, value: $inputs.id}]
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {name: $response.body#/name}
    outputs: {name: $steps.read.outputs.name}
"""


def test_a_built_workflow_runs_against_the_scripted_server_sync_and_async(tmp_path: Path) -> None:
    out, warnings = build_package(
        tmp_path, {"openapi/items.yaml": API, "arazzo/items.arazzo.yaml": FLOW}, "scripted_pkg"
    )
    assert warnings == []
    package = import_package(out, "scripted_pkg")
    module = package.workflows.items
    client_module = package.apis.items
    with scripted({("GET", "/items/7"): [Reply(200, {"name": "seven"})]}) as server:
        result = module.read_item(id_="7", items_api=client_module.Client(server.url))
        assert result.name == "seven"

        async def run() -> str:
            async with client_module.AsyncClient(server.url) as client:
                return (await module.read_item_async(id_="7", items_api=client)).name

        assert asyncio.run(run()) == "seven"
    assert [r.line for r in server.requests] == ["GET /items/7", "GET /items/7"]
    assert server.requests[0].body == b"" and server.requests[0].query == []
