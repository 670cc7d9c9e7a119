"""Issue 15 item 6: each API client reads its base URL and credentials from environment variables named after
the package and the API module when it is created without them (explicit arguments win; nothing is read at
import time); the generated README lists the variables and ``python -m <package> run`` accepts the base URL
variable instead of ``--base-url``; a credential from the environment never shows in errors."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .scripted import Reply, build_package, import_package, scripted

PACKAGE = "envcfg_pkg"
PREFIX = "ENVCFG_PKG_ITEMS_"

ITEMS_API = """
openapi: 3.0.3
info: {title: Items, version: "1"}
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-Key}
    bearer: {type: http, scheme: bearer}
    basic: {type: http, scheme: basic}
security: [{key: []}, {bearer: []}, {basic: []}]
paths:
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
              schema: {type: object, properties: {name: {type: string}}}
"""

FLOWS = """
arazzo: 1.0.1
info: {title: Items flows, version: "1"}
sourceDescriptions:
  - {name: items, url: ../openapi/items.yaml, type: openapi}
workflows:
  - workflowId: get-item
    inputs:
      type: object
      properties: {itemId: {type: string}}
      required: [itemId]
    steps:
      - stepId: read
        operationId: getItem
        parameters:
          - {name: id, in: path, value: $inputs.itemId}
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {name: $response.body#/name}
    outputs:
      itemName: $steps.read.outputs.name
"""

# an API whose description names a server: a workflow creates its client when none is passed
SHOP_API = ITEMS_API.replace("title: Items", "title: Shop").replace(
    "components:", 'servers: [{url: "http://127.0.0.1:1"}]\ncomponents:'
)
SHOP_FLOWS = FLOWS.replace(
    "items, url: ../openapi/items.yaml", "shop, url: ../openapi/shop.yaml"
).replace("get-item", "shop-item")

FILES = {
    "openapi/items.yaml": ITEMS_API,
    "openapi/shop.yaml": SHOP_API,
    "arazzo/flows.arazzo.yaml": FLOWS,
    "arazzo/shop.arazzo.yaml": SHOP_FLOWS,
}
SECRET = "env-secret-key-0123456789"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out, _ = build_package(tmp_path_factory.mktemp("envcfg"), FILES, PACKAGE)
    return out


@pytest.fixture
def pkg(built: Path) -> Any:
    return import_package(built, PACKAGE)


def _clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("ENVCFG_PKG_"):
            monkeypatch.delenv(name)


def test_client_reads_base_url_and_credential_from_the_environment(
    pkg: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clean(monkeypatch)
    client_module = sys.modules[f"{PACKAGE}.apis.items.client"]
    with scripted({("GET", "/items/1"): [Reply(200, {"name": "lamp"})]}) as server:
        # set after the import: read when a client is created
        monkeypatch.setenv(PREFIX + "BASE_URL", server.url)
        monkeypatch.setenv(PREFIX + "KEY", SECRET)
        with client_module.Client() as client:
            assert client.get_item(id_="1").parsed.name == "lamp"
        assert server.requests[-1].headers["x-key"] == SECRET
        assert "authorization" not in server.requests[-1].headers


def test_bearer_and_basic_credentials_from_the_environment(
    pkg: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clean(monkeypatch)
    client_module = sys.modules[f"{PACKAGE}.apis.items.client"]
    with scripted({("GET", "/items/1"): [Reply(200, {"name": "lamp"})]}) as server:
        monkeypatch.setenv(PREFIX + "BASE_URL", server.url)
        monkeypatch.setenv(PREFIX + "BEARER", "tok-abcdef")
        with client_module.Client() as client:
            client.get_item(id_="1")
        assert server.requests[-1].headers["authorization"] == "Bearer tok-abcdef"
        monkeypatch.delenv(PREFIX + "BEARER")
        monkeypatch.setenv(PREFIX + "BASIC", "ada:pass:word")
        with client_module.Client() as client:
            client.get_item(id_="1")
        assert server.requests[-1].headers["authorization"] == "Basic YWRhOnBhc3M6d29yZA=="


def test_explicit_arguments_win_over_the_environment(
    pkg: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clean(monkeypatch)
    client_module = sys.modules[f"{PACKAGE}.apis.items.client"]
    monkeypatch.setenv(PREFIX + "BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv(PREFIX + "KEY", SECRET)
    monkeypatch.setenv(PREFIX + "BEARER", "tok-from-env")
    with scripted({("GET", "/items/1"): [Reply(200, {"name": "lamp"})]}) as server:
        with client_module.Client(server.url, key="explicit-key") as client:
            client.get_item(id_="1")
        headers = server.requests[-1].headers
        # a credential given explicitly: none is read from the environment
        assert headers["x-key"] == "explicit-key" and "authorization" not in headers


def test_no_base_url_anywhere_says_which_variable_to_set(
    pkg: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clean(monkeypatch)
    client_module = sys.modules[f"{PACKAGE}.apis.items.client"]
    with pytest.raises(ValueError, match=PREFIX + "BASE_URL"):
        client_module.Client()


def test_a_credential_from_the_environment_never_shows_in_errors(
    pkg: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clean(monkeypatch)
    client_module = sys.modules[f"{PACKAGE}.apis.items.client"]
    with scripted({("GET", "/items/1"): [Reply(500, {"echo": SECRET})]}) as server:
        monkeypatch.setenv(PREFIX + "BASE_URL", server.url)
        monkeypatch.setenv(PREFIX + "KEY", SECRET)
        with client_module.Client(max_retries=0) as client:
            assert SECRET not in repr(client) and SECRET not in str(vars(client).get("_redactor"))
            with pytest.raises(pkg.ApiError) as caught:
                client.get_item(id_="1")
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)


def test_a_workflow_without_a_client_uses_the_environment(
    pkg: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clean(monkeypatch)
    with scripted({("GET", "/items/5"): [Reply(200, {"name": "desk"})]}) as server:
        # the document's server is http://127.0.0.1:1: the variable sends the workflow's requests elsewhere
        monkeypatch.setenv("ENVCFG_PKG_SHOP_BASE_URL", server.url)
        monkeypatch.setenv("ENVCFG_PKG_SHOP_KEY", SECRET)
        outputs = pkg.workflows.shop_item(item_id="5")
        assert outputs.item_name == "desk"
        assert server.requests[-1].headers["x-key"] == SECRET


def test_run_accepts_the_base_url_variable_instead_of_the_option(built: Path) -> None:
    with scripted({("GET", "/items/3"): [Reply(200, {"name": "chair"})]}) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENVCFG_PKG_")}
        env.update(
            {"PYTHONPATH": str(built), PREFIX + "BASE_URL": server.url, PREFIX + "KEY": SECRET}
        )
        result = subprocess.run(
            [sys.executable, "-m", PACKAGE, "run", "get-item", "--input", "itemId=3"],
            capture_output=True, text=True, check=False, timeout=60, env=env, cwd=built,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert server.requests[-1].headers["x-key"] == SECRET
        env.pop(PREFIX + "BASE_URL")
        result = subprocess.run(
            [sys.executable, "-m", PACKAGE, "run", "get-item", "--input", "itemId=3"],
            capture_output=True, text=True, check=False, timeout=60, env=env, cwd=built,
        )  # fmt: skip
        assert result.returncode == 2
        assert PREFIX + "BASE_URL" in result.stderr


def test_readme_lists_the_variables_per_api(built: Path) -> None:
    readme = (built / "README.md").read_text()
    for name in ("BASE_URL", "KEY", "BEARER", "BASIC"):
        assert f"`{PREFIX}{name}`" in readme


def test_the_redactor_learns_environment_credentials_before_any_request(
    pkg: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _clean(monkeypatch)
    client_module = sys.modules[f"{PACKAGE}.apis.items.client"]
    monkeypatch.setenv(PREFIX + "BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv(PREFIX + "KEY", SECRET)
    with client_module.Client() as client:
        # no request yet: an error or a log record quoting the value already hides it
        assert client._redactor.text(f"echo {SECRET}") == "echo ***"
        logger = logging.getLogger("httpx")
        with caplog.at_level(logging.INFO, logger="httpx"):
            logger.info("server said %s", SECRET)
        assert SECRET not in caplog.text and "server said ***" in caplog.text
