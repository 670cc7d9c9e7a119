"""The step plan (generator/arazzo_gen/plan/): the code shape chosen from the flow graph, names allocated
by one resolver per scope that never shadows a builtin, and deterministic output (issue 14 items 1, 4)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from arazzo_gen.diagnostics import Diagnostics
from arazzo_gen.ir.program import build_program
from arazzo_gen.plan.build import plan_program
from arazzo_gen.plan.imports import Import, ImportTable
from arazzo_gen.plan.names import function_scope
from arazzo_gen.plan.nodes import Shape

from .scripted import Reply, build_package, import_package, scripted, write_specs

ROOT = Path(__file__).resolve().parents[1]

ITEMS_API = """
openapi: 3.0.3
info: {title: Items, version: "1"}
servers: [{url: "http://127.0.0.1:1"}]
paths:
  /items:
    get:
      operationId: listItems
      parameters:
        - {name: cursor, in: query, schema: {type: string}}
      responses:
        "200":
          description: a page
          content:
            application/json:
              schema:
                type: object
                properties:
                  items: {type: array, items: {type: string}}
                  next: {type: string, nullable: true}
  /items/{id}:
    get:
      operationId: getItem
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: an item
          content:
            application/json:
              schema:
                type: object
                properties:
                  name: {type: string}
"""

FLOWS = """
arazzo: 1.0.1
info: {title: Items flows, version: "1"}
sourceDescriptions:
  - {name: items, url: ../openapi/items.yaml, type: openapi}
workflows:
  - workflowId: straight
    inputs:
      type: object
      properties:
        id: {type: string}
      required: [id]
    steps:
      - stepId: list
        operationId: listItems
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {next: $response.body#/next}
      - stepId: get
        operationId: getItem
        parameters: [{name: id, in: path, value: $inputs.id}]
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {name: $response.body#/name}
    outputs: {name: $steps.get.outputs.name, next: $steps.list.outputs.next}
  - workflowId: allPages
    steps:
      - stepId: page
        operationId: listItems
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {items: $response.body#/items}
        onSuccess:
          - {name: more, type: goto, stepId: page, criteria: [{condition: $response.body#/next != null}]}
          - {name: done, type: end}
    outputs: {items: $steps.page.outputs.items}
  - workflowId: retried
    steps:
      - stepId: read
        operationId: getItem
        parameters: [{name: id, in: path, value: a}]
        successCriteria: [{condition: $statusCode == 200}]
        onFailure:
          - {name: busy, type: retry, retryAfter: 1, retryLimit: 2}
  - workflowId: retryThenRead
    steps:
      - stepId: first
        operationId: getItem
        parameters: [{name: id, in: path, value: a}]
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {name: $response.body#/name}
        onFailure:
          - {name: busy, type: retry, retryAfter: 2, retryLimit: 2, criteria: [{condition: $statusCode == 503}]}
      - stepId: second
        operationId: getItem
        parameters: [{name: id, in: path, value: $steps.first.outputs.name}]
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {name: $response.body#/name}
    outputs: {name: $steps.second.outputs.name}
  - workflowId: earlyEnd
    steps:
      - stepId: find
        operationId: getItem
        parameters: [{name: id, in: path, value: a}]
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {name: $response.body#/name}
        onSuccess:
          - {name: onward, type: goto, stepId: read, criteria: [{condition: $response.body#/name != 'stop'}]}
          - {name: stop, type: end}
        onFailure:
          - {name: missing, type: end, criteria: [{condition: $statusCode == 404}]}
      - stepId: read
        operationId: getItem
        parameters: [{name: id, in: path, value: $steps.find.outputs.name}]
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {name: $response.body#/name}
    outputs: {first: $steps.find.outputs.name, second: $steps.read.outputs.name}
  - workflowId: crossing
    steps:
      - stepId: first
        operationId: getItem
        parameters: [{name: id, in: path, value: a}]
        successCriteria: [{condition: $statusCode == 200}]
      - stepId: second
        operationId: getItem
        parameters: [{name: id, in: path, value: b}]
        successCriteria: [{condition: $statusCode == 200}]
        onSuccess:
          - {name: back, type: goto, stepId: first, criteria: [{condition: $response.body#/name == 'again'}]}
"""

FILES = {"openapi/items.yaml": ITEMS_API, "arazzo/items.arazzo.yaml": FLOWS}


def _plans(tmp_path: Path) -> dict[str, Shape]:
    specs = write_specs(tmp_path, FILES)
    diagnostics = Diagnostics()
    program = build_program(specs, diagnostics)
    assert not diagnostics.has_errors, [d.headline() for d in diagnostics.items]
    plan = plan_program(program)
    return {wf.workflow_id: plan[wf].shape for doc in program.documents for wf in doc.workflows}


def test_the_shape_follows_the_flow_graph(tmp_path: Path) -> None:
    assert _plans(tmp_path) == {
        "straight": Shape.STRAIGHT,  # no actions
        "allPages": Shape.STEP_LOOP,  # one step that goes back to itself
        "retried": Shape.FORWARD,  # one step that retries itself (in a loop of its own)
        "retryThenRead": Shape.FORWARD,  # a step that retries itself, then the next one
        "earlyEnd": Shape.FORWARD,  # actions that end the workflow or go on to the next step
        "crossing": Shape.STATE_MACHINE,  # a goto back across steps
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out, _ = build_package(tmp_path_factory.mktemp("plan"), FILES, "plan_pkg")
    return out


def _function(text: str, name: str) -> str:
    start = text.index(f"\ndef {name}(")
    end = text.index("\nasync def ", start)
    return text[start:end]


def test_a_one_step_loop_is_a_while_loop_without_labels(built: Path) -> None:
    text = (built / "plan_pkg/workflows/items.py").read_text()
    for name in ("all_pages", "retried"):
        body = _function(text, name)
        assert "while True:" in body
        assert "step = " not in body and "if step ==" not in body, body
    # an ``end`` that does what the loop does anyway (leave it) is not written out
    assert "# end done" not in _function(text, "all_pages")
    assert "if step == " in _function(text, "crossing")


def test_a_one_step_pagination_loop_runs_every_page(built: Path) -> None:
    package = import_package(built, "plan_pkg")
    module = package.workflows.items
    pages = [Reply(json={"items": ["a"], "next": "2"}), Reply(json={"items": ["b"], "next": None})]
    with scripted({("GET", "/items"): pages}) as server:
        with package.apis.items.client.Client(base_url=server.url) as client:
            outputs = module.all_pages(items_api=client)
        assert outputs.items == ["b"]
        assert [r.line for r in server.requests] == ["GET /items", "GET /items"]


def test_a_step_that_retries_itself_loops_on_its_own_in_straight_line_code(built: Path) -> None:
    body = _function((built / "plan_pkg/workflows/items.py").read_text(), "retry_then_read")
    assert body.count("while True:") == 1 and "step = " not in body and "if step ==" not in body, (
        body
    )
    # the second step follows the loop of the first, at the function's own level
    assert body.index("break") < body.index("# second")
    package = import_package(built, "plan_pkg")
    replies = {
        ("GET", "/items/a"): [Reply(503, {"busy": True}), Reply(json={"name": "b"})],
        ("GET", "/items/b"): [Reply(json={"name": "done"})],
    }
    for run_async in (False, True):
        sleeps: list[float] = []
        with scripted(replies) as server:
            if run_async:

                async def fake_sleep(seconds: float, waits: list[float] = sleeps) -> None:
                    waits.append(seconds)

                async def run(url: str = server.url) -> Any:
                    async with package.apis.items.client.AsyncClient(base_url=url) as client:
                        return await package.workflows.items.retry_then_read_async(
                            items_api=client, sleep=fake_sleep
                        )

                outputs = asyncio.run(run())
            else:
                with package.apis.items.client.Client(base_url=server.url) as client:
                    outputs = package.workflows.items.retry_then_read(
                        items_api=client, sleep=sleeps.append
                    )
            assert outputs.name == "done"
            assert [r.line for r in server.requests] == [
                "GET /items/a",
                "GET /items/a",
                "GET /items/b",
            ]
        assert sleeps == [2.0]


def test_actions_that_only_go_forward_are_straight_line_code_with_early_returns(built: Path) -> None:
    """end and a goto to the next step (success or failure actions): no label loop, no max_steps; each end is a
    return whose outputs from steps that have not run are None (issue 14 item 1)."""
    body = _function((built / "plan_pkg/workflows/items.py").read_text(), "early_end")
    for loop_part in ("while True:", "step = ", "max_steps", "steps_run", "MaxStepsExceeded", "succeeded: set"):
        assert loop_part not in body, (loop_part, body)
    assert body.count("return EarlyEndOutputs(") == 3, body
    returns = re.findall(r"return EarlyEndOutputs\(\s*first=(\w+),\s*second=(\w+),\s*\)", body)
    assert returns == [("None", "None"), ("name", "None"), ("name", "read_name")], body
    package = import_package(built, "plan_pkg")
    cases: list[tuple[dict[tuple[str, str], list[Reply]], tuple[str | None, str | None], list[str]]] = [
        ({("GET", "/items/a"): [Reply(404, {"missing": True})]}, (None, None), ["GET /items/a"]),
        ({("GET", "/items/a"): [Reply(json={"name": "stop"})]}, ("stop", None), ["GET /items/a"]),
        (
            {("GET", "/items/a"): [Reply(json={"name": "b"})], ("GET", "/items/b"): [Reply(json={"name": "c"})]},
            ("b", "c"),
            ["GET /items/a", "GET /items/b"],
        ),
    ]
    for replies, expected, requests in cases:
        for run_async in (False, True):
            with scripted(replies) as server:
                if run_async:

                    async def run(url: str = server.url) -> Any:
                        async with package.apis.items.client.AsyncClient(base_url=url) as client:
                            return await package.workflows.items.early_end_async(items_api=client)

                    outputs = asyncio.run(run())
                else:
                    with package.apis.items.client.Client(base_url=server.url) as client:
                        outputs = package.workflows.items.early_end(items_api=client)
                assert (outputs.first, outputs.second) == expected
                assert [r.line for r in server.requests] == requests
    # a 500 is neither a success nor the failure the end action names: the step fails
    with scripted({("GET", "/items/a"): [Reply(500, {"oops": True})]}) as server:
        with package.apis.items.client.Client(base_url=server.url) as client:
            with pytest.raises(package._runtime.StepFailed, match="statusCode == 200"):
                package.workflows.items.early_end(items_api=client)


def test_no_builtin_is_shadowed_and_no_number_where_the_name_is_free(built: Path) -> None:
    text = (built / "plan_pkg/workflows/items.py").read_text()
    body = _function(text, "straight")
    # the input ``id`` is the parameter ``id_`` (ruff A002), the step ``list`` the local ``list_``
    assert re.search(r"^    id_: str,$", body, re.MULTILINE), body
    assert not re.search(r"^    id: ", body, re.MULTILINE)
    assert "list_ = " in body and "list_2" not in body
    assert "\n            list = " not in body


def test_generated_workflows_shadow_no_builtin() -> None:
    """ruff A001/A002 (a builtin shadowed by a variable or an argument) across the generated workflows."""
    folders = [ROOT / "generated/quantum_workflows/workflows"]
    folders += sorted((ROOT / "tests/fixtures/golden").glob("*/expected/*/workflows"))
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "A001,A002", *map(str, folders)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_resolver_never_shadows_and_numbers_only_taken_names() -> None:
    names = function_scope({"taken"})
    assert names.claim("list") == "list_"
    assert names.claim("id") == "id_"
    assert names.claim("id") == "id_2"
    assert names.claim("pets") == "pets"
    assert names.claim("taken") == "taken_2"


def test_builds_are_byte_equal_across_hash_seeds(tmp_path: Path) -> None:
    write_specs(tmp_path, FILES)
    trees = []
    for seed in ("1", "2"):
        out = tmp_path / f"out{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-m", "arazzo_gen", "build", "specs", "-o", str(out), "--package", "plan_pkg"],
            cwd=tmp_path, capture_output=True, text=True, env=env, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        trees.append({p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*.py"))})
    assert trees[0] == trees[1]


def test_a_workflows_module_imports_only_what_it_uses(built: Path) -> None:
    """Imports are data, counted where a name is written (never pruned from the text): ruff F401 finds none
    unused, and a module whose code names no model does not import the models."""
    folders = [built / "plan_pkg/workflows", ROOT / "generated/quantum_workflows/workflows"]
    folders += sorted((ROOT / "tests/fixtures/golden").glob("*/expected/*/workflows"))
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "F401,F811", *map(str, folders)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "import models" not in (built / "plan_pkg/workflows/items.py").read_text()


def test_the_import_table_counts_uses_and_lists_them_sorted() -> None:
    table = ImportTable()
    table.use(Import("time", "sleep", "_sleep"), Import("..apis.x", "models", "x_models"))
    table.use(Import("time", "sleep", "_sleep"))
    table.use_names({"typing": {"Any"}})
    table.release(Import("time", "sleep", "_sleep"))
    assert table.lines() == [
        ("..apis.x", ["models as x_models"]),
        ("time", ["sleep as _sleep"]),
        ("typing", ["Any"]),
    ]
    table.release(Import("..apis.x", "models", "x_models"))
    assert [module for module, _ in table.lines()] == ["time", "typing"]


CLASHES = """
arazzo: 1.0.1
info: {title: Clashes, version: "1"}
sourceDescriptions:
  - {name: items, url: ../openapi/items.yaml, type: openapi}
workflows:
  - workflowId: list
    inputs:
      type: object
      properties:
        sleep: {type: string}
        run: {type: string}
        items_api: {type: string}
        items_api_models: {type: string}
      required: [sleep, run, items_api, items_api_models]
    steps:
      - stepId: get
        operationId: getItem
        parameters: [{name: id, in: path, value: "{$inputs.sleep}-{$inputs.run}-{$inputs.items_api}-{$inputs.items_api_models}"}]
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {name: $response.body#/name}
        onFailure:
          - {name: busy, type: retry, retryAfter: 1, retryLimit: 1, criteria: [{condition: $statusCode == 503}]}
    outputs: {name: $steps.get.outputs.name}
"""


def test_the_ir_carries_no_python_names_of_the_workflows_package() -> None:
    """Every name of a workflows module is allocated by the plan's resolvers (package, module, function), none
    by the IR: its workflow-side nodes hold the document's names only (issue 14 item 1)."""
    import dataclasses

    from arazzo_gen.ir import model

    for node in (model.Workflow, model.Input, model.Step, model.SourceBinding, model.WorkflowCall):
        fields = {f.name for f in dataclasses.fields(node)}
        assert not fields & {"py_name", "async_name", "names", "param", "sleep_name", "max_steps_name"}, node


def test_parameters_keep_the_document_names_and_everything_else_avoids_them(tmp_path: Path) -> None:
    """One resolver per scope: the inputs keep their names (the interface callers see); the client parameter,
    the sleep callable and the run deadline local give way, each numbered once; nothing shadows a builtin."""
    files = {"openapi/items.yaml": ITEMS_API, "arazzo/clashes.arazzo.yaml": CLASHES}
    out, _ = build_package(tmp_path, files, "clash_pkg")
    text = (out / "clash_pkg/workflows/clashes.py").read_text()
    body = _function(text, "list_")
    signature = body[: body.index(") -> ListModelOutputs:")]
    names = re.findall(r"^    (\w+): ", signature, re.MULTILINE)
    assert names == ["sleep", "run", "items_api", "items_api_models", "items_api_2", "sleep_2", "deadline", "on_step"]
    assert "with WorkflowRun(\"list\", deadline, on_step) as run_2:" in body
    package = import_package(out, "clash_pkg")
    replies = {("GET", "/items/a-b-c-d"): [Reply(503, {"busy": True}), Reply(json={"name": "ok"})]}
    waits: list[float] = []
    with scripted(replies) as server:
        with package.apis.items.client.Client(base_url=server.url) as client:
            outputs = package.workflows.clashes.list_(
                sleep="a", run="b", items_api="c", items_api_models="d", items_api_2=client, sleep_2=waits.append
            )
    assert outputs.name == "ok" and waits == [1.0]
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "A,F", str(out / "clash_pkg/workflows")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_module_whose_workflows_have_no_outputs_imports_no_field(tmp_path: Path) -> None:
    """An outputs class without fields: `Field` is not imported (ruff F401 found it unused before)."""
    flow = """
arazzo: 1.0.1
info: {title: Quiet, version: "1"}
sourceDescriptions: [{name: items, url: ../openapi/items.yaml, type: openapi}]
workflows:
  - workflowId: touch
    steps:
      - {stepId: get, operationId: getItem, parameters: [{name: id, in: path, value: a}]}
"""
    out, _ = build_package(tmp_path, {"openapi/items.yaml": ITEMS_API, "arazzo/quiet.arazzo.yaml": flow}, "quiet_pkg")
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "F401", str(out / "quiet_pkg/workflows")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
