"""The generated package as a product (issue 15 item 7): its README documents every workflow and API, it is
the wheel's long description, version and description come from configuration, ``__version__`` is exported,
and ``python -m <package> list|run`` runs the workflows from the shell (against a server on 127.0.0.1 here).

The wheel of ``generated/`` is built offline (hatchling, as tests/test_packaging.py builds the compiler's) and
installed in a fresh venv, which sees the test environment's libraries (httpx, pydantic) through a ``.pth``
file and nothing else of it: the package is imported from the venv.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from arazzo_gen.cli import app
from typer.testing import CliRunner

from .scripted import Reply, build_package, scripted, write_specs

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "product_pkg"

ITEMS_API = """
openapi: 3.0.3
info: {title: Items, version: "1"}
servers: [{url: "http://127.0.0.1:1"}]
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-Key, description: the shop's API key}
security: [{key: []}]
paths:
  /items/{id}:
    get:
      operationId: getItem
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
        - {name: limit, in: query, schema: {type: integer}}
      responses:
        "200":
          description: an item
          content:
            application/json:
              schema:
                type: object
                properties:
                  name: {type: string}
                  tags: {type: array, items: {type: string}}
"""

FLOWS = """
arazzo: 1.0.1
info: {title: Items flows, version: "1"}
sourceDescriptions:
  - {name: items, url: ../openapi/items.yaml, type: openapi}
workflows:
  - workflowId: get-item
    summary: Read one item by id.
    description: Reads the item and returns its name and tags.
    inputs:
      type: object
      properties:
        itemId: {type: string, description: the id of the item, example: "42"}
        limit: {type: integer, description: how many tags at most}
      required: [itemId]
    steps:
      - stepId: read
        operationId: getItem
        parameters:
          - {name: id, in: path, value: $inputs.itemId}
          - {name: limit, in: query, value: $inputs.limit}
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {name: $response.body#/name, tags: $response.body#/tags}
    outputs:
      itemName: $steps.read.outputs.name
      itemTags: $steps.read.outputs.tags
"""

FILES = {"openapi/items.yaml": ITEMS_API, "arazzo/flows.arazzo.yaml": FLOWS}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out, _ = build_package(tmp_path_factory.mktemp("product"), FILES, PACKAGE)
    return out


def run_module(out: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(out)}
    return subprocess.run(
        [sys.executable, "-m", PACKAGE, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env=env,
        input=stdin,
        cwd=out,
    )


# -- python -m <package> ---------------------------------------------------------------------------------
def test_run_prints_the_outputs_as_json_from_a_local_server(built: Path) -> None:
    (built / "inputs.json").write_text(json.dumps({"itemId": "42"}))
    reply = Reply(200, {"name": "lamp", "tags": ["a", "b"], "extra": 1})
    with scripted({("GET", "/items/42"): [reply], ("GET", "/items/7"): [reply]}) as server:
        result = run_module(
            built, "run", "get-item", "--inputs", "inputs.json", "--input", "limit=3",
            "--base-url", f"items={server.url}",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == {"itemName": "lamp", "itemTags": ["a", "b"]}
        assert [(r.line, r.query) for r in server.requests] == [("GET /items/42", [("limit", "3")])]
        # --input alone, by the parameter's Python name too; a string input is never read as JSON
        result = run_module(built, "run", "get-item", "--input", "item_id=7", "--base-url", f"items={server.url}")
        assert result.returncode == 0, result.stderr
        assert server.requests[-1].line == "GET /items/7"
        # --inputs - reads standard input
        result = run_module(
            built, "run", "get-item", "--inputs", "-", "--base-url", f"items={server.url}",
            stdin='{"itemId": "7", "limit": 2}',
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert server.requests[-1].query == [("limit", "2")]


def test_run_exits_1_with_the_step_error_when_a_step_fails(built: Path) -> None:
    with scripted({("GET", "/items/404"): [Reply(404, {"error": "gone"})]}) as server:
        result = run_module(built, "run", "get-item", "--input", "itemId=404", "--base-url", f"items={server.url}")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "StepFailed" in result.stderr and "read" in result.stderr and "404" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "get-item"], "missing required input(s): itemId"),
        (["run", "get-item", "--input", "itemId=1", "--input", "limit=many"], "input 'limit' (int | None): Input should be a valid integer"),
        (["run", "get-item", "--input", "colour=red"], "unknown input 'colour'"),
        (["run", "no-such-flow"], "no workflow 'no-such-flow' (the workflows are: get-item)"),
        (["run", "get-item", "--input", "itemId=1", "--base-url", "shop=http://127.0.0.1:9"], "calls no API"),
        (["run", "get-item", "--input", "itemId"], "expected NAME=VALUE"),
    ],
)
def test_run_usage_errors_exit_2_without_a_request(built: Path, args: list[str], message: str) -> None:
    result = run_module(built, *args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_list_shows_every_workflow_with_its_inputs(built: Path) -> None:
    result = run_module(built, "list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "get-item: Read one item by id."
    assert "    itemId (str, required): the id of the item" in lines
    assert "    limit (int | None, optional): how many tags at most" in lines
    assert "    --base-url items=URL" in lines


def test_version_is_exported_and_printed(built: Path) -> None:
    result = run_module(built, "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "product-pkg 0.1.0"
    init = (built / PACKAGE / "__init__.py").read_text()
    assert '__version__ = "0.1.0"' in init and '"__version__"' in init


# -- the README ----------------------------------------------------------------------------------------------
def test_readme_documents_each_workflow_and_api(built: Path) -> None:
    readme = (built / "README.md").read_text()
    # the workflow: inputs (type, required, description), outputs, exceptions, a runnable example
    assert "### `get-item`" in readme
    assert "- `itemId` (`item_id=`): `str`, required. the id of the item" in readme
    assert "- `limit`: `int | None`, optional. how many tags at most" in readme
    assert "- `itemName` (`.item_name`): `str | None`" in readme
    assert "- `StepFailed`: " in readme and "- `ApiConnectionError`: " in readme
    assert "outputs = get_item(\n" in readme and 'item_id="42",' in readme
    assert "python -m product_pkg run get-item --inputs inputs.json" in readme
    # the API: its base URL and credentials
    assert "### `product_pkg.apis.items`" in readme
    assert "- Base URL: `http://127.0.0.1:1` (from the description)" in readme
    assert "  - `key=`, or `PRODUCT_PKG_ITEMS_KEY`: the shop's API key" in readme
    pyproject = (built / "pyproject.toml").read_text()
    assert 'readme = "README.md"' in pyproject


def test_the_readme_example_runs(built: Path) -> None:
    """The Python example of the README, pointed at the local server, runs as written."""
    readme = (built / "README.md").read_text()
    example = readme.split("```python\n", 1)[1].split("```", 1)[0]
    with scripted({("GET", "/items/42"): [Reply(200, {"name": "lamp", "tags": []})]}) as server:
        example = example.replace("ItemsClient()", f"ItemsClient(base_url={server.url!r})")
        result = subprocess.run(
            [sys.executable, "-c", example], capture_output=True, text=True, check=False, timeout=60,
            env={**os.environ, "PYTHONPATH": str(built)},
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["itemName"] == "lamp"


def test_version_and_description_come_from_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_specs(tmp_path, FILES)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.arazzo-gen]\npackage = "shop_flows"\nversion = "2.5.0"\ndescription = "Workflows of the shop."\n'
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["build", "specs", "-o", "out", "--no-cache"])
    assert result.exit_code == 0, result.stderr
    assert "unknown-setting" not in result.stderr
    pyproject = (tmp_path / "out" / "pyproject.toml").read_text()
    assert 'version = "2.5.0"' in pyproject and 'description = "Workflows of the shop."' in pyproject
    assert '__version__ = "2.5.0"' in (tmp_path / "out" / "shop_flows" / "__init__.py").read_text()
    readme = (tmp_path / "out" / "README.md").read_text()
    assert readme.startswith("# shop-flows 2.5.0\n\nWorkflows of the shop.\n")


# -- a wheel of generated/ in a fresh venv -------------------------------------------------------------------
def test_wheel_of_generated_installs_in_a_fresh_venv(tmp_path: Path) -> None:
    generated = ROOT / "generated"
    dist = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(dist)],
        cwd=generated, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read("quantum_workflows-0.1.0.dist-info/METADATA").decode()
        assert "quantum_workflows/__main__.py" in archive.namelist()
    assert "Description-Content-Type: text/markdown" in metadata
    assert "## Workflows" in metadata and "### `session-lifecycle`" in metadata  # the README

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-index", "--no-deps", str(wheel)],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert install.returncode == 0, install.stdout + install.stderr
    assert (Path(site) / "quantum_workflows" / "__main__.py").is_file()
    # then the libraries the package depends on (httpx, pydantic), from this environment, after the venv's own
    # (written after the install: pip would find this environment's copy of the package "already satisfied")
    Path(site, "test-libraries.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    def venv_run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [python, *args], capture_output=True, text=True, check=False, timeout=60, cwd=tmp_path,
            env={k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")},
        )  # fmt: skip

    where = venv_run("-c", "import quantum_workflows as p; print(p.__file__, p.__version__)")
    assert where.returncode == 0, where.stderr
    assert where.stdout.startswith(str(venv)), where.stdout
    assert where.stdout.split()[1] == "0.1.0"
    version = venv_run("-m", "quantum_workflows", "--version")
    assert version.returncode == 0 and version.stdout.strip() == "quantum-workflows 0.1.0", version.stderr
    listed = venv_run("-m", "quantum_workflows", "list")
    assert listed.returncode == 0, listed.stderr
    for workflow_id in ("pause-session-and-confirm", "session-run-and-close", "session-lifecycle"):
        assert f"{workflow_id}: " in listed.stdout
    assert "    sessionId (str, required): " in listed.stdout


NEEDS_FLOWS = """
arazzo: 1.0.1
info: {title: Needs, version: "1"}
sourceDescriptions:
  - {name: items, url: ../openapi/items.yaml, type: openapi}
workflows:
  - workflowId: first
    inputs: {type: object, properties: {itemId: {type: string}}, required: [itemId]}
    steps:
      - stepId: read
        operationId: getItem
        parameters: [{name: id, in: path, value: $inputs.itemId}]
        outputs: {name: $response.body#/name}
    outputs: {name: $steps.read.outputs.name}
  - workflowId: second
    dependsOn: [first]
    steps:
      - stepId: again
        operationId: getItem
        parameters: [{name: id, in: path, value: $workflows.first.outputs.name}]
"""


def test_a_workflow_needing_anothers_outputs_is_refused_with_why(tmp_path: Path) -> None:
    out, _ = build_package(tmp_path, {"openapi/items.yaml": ITEMS_API, "arazzo/needs.arazzo.yaml": NEEDS_FLOWS}, "needs_pkg")
    result = subprocess.run(
        [sys.executable, "-m", "needs_pkg", "run", "second"], capture_output=True, text=True, check=False,
        timeout=60, env={**os.environ, "PYTHONPATH": str(out)},
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "needs the outputs of first (dependsOn)" in result.stderr
    readme = (out / "README.md").read_text()
    assert "first_outputs=...,  # the outputs of workflow \"first\"" in readme
