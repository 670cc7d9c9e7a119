"""Generated code is valid and correct whatever the names in the documents are.

Every test builds a tiny inline fixture (an Arazzo document and the OpenAPI description(s) it names), writes
the package to a temporary folder and then imports, runs or type-checks it in a fresh interpreter.  Each
hazard built with exit 0 and a broken package before names were allocated per scope (generator/arazzo_gen/naming.py).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arazzo_gen.cli import EXIT_USAGE, app

from .scripted import build_package

PACKAGE = "names_pkg"


# -- helpers ----------------------------------------------------------------------------------------------
def build(tmp_path: Path, files: dict[str, str], package: str = PACKAGE) -> tuple[Path, list[str]]:
    """Write ``files`` under ``tmp_path/specs``, build them, write the package to ``tmp_path/out``."""
    return build_package(tmp_path, files, package)


def run_python(out: Path, script: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MYPYPATH")}
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], cwd=out, capture_output=True, text=True, env=env,
        check=False, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def mypy_strict(out: Path, package: str = PACKAGE) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MYPYPATH")}
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull, package],
        cwd=out, capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def api(title: str, paths: str, *, servers: str = "", components: str = "") -> str:
    """A small OpenAPI 3.0 document; ``paths``/``servers``/``components`` are YAML blocks at column 0."""
    text = f'openapi: 3.0.3\ninfo: {{title: "{title}", version: "1"}}\n'
    if servers:
        text += "servers:\n" + textwrap.indent(textwrap.dedent(servers).strip(), "  ") + "\n"
    text += "paths:\n" + textwrap.indent(textwrap.dedent(paths).strip(), "  ") + "\n"
    if components:
        text += "components:\n" + textwrap.indent(textwrap.dedent(components).strip(), "  ") + "\n"
    return text


def arazzo(sources: dict[str, str], workflows: str) -> str:
    text = 'arazzo: 1.0.1\ninfo: {title: "names", version: "1"}\nsourceDescriptions:\n'
    for name, url in sources.items():
        text += f'  - {{name: "{name}", url: "{url}", type: openapi}}\n'
    return text + "workflows:\n" + textwrap.indent(textwrap.dedent(workflows).strip(), "  ") + "\n"


PING = """
/ping:
  get:
    operationId: ping
    responses:
      "200":
        description: ok
        content:
          application/json:
            schema: {type: object, properties: {who: {type: string}}}
"""

MOCK = """
import asyncio, json, httpx
seen = []
def handler(request):
    seen.append(request)
    return httpx.Response(200, json=REPLY)
def transport():
    return httpx.MockTransport(handler)
"""


@pytest.fixture
def loopback() -> Iterator[tuple[str, list[str]]]:
    """A tiny HTTP server on 127.0.0.1 answering ``{"who": <first path segment>}``; yields (url, paths)."""
    paths: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            paths.append(self.path)
            body = json.dumps({"who": self.path.strip("/").split("/")[0]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", paths
    finally:
        server.shutdown()
        server.server_close()


# -- client constructor: server variables and security schemes ------------------------------------------
def test_server_variable_and_schemes_named_like_client_internals(tmp_path: Path) -> None:
    """A server variable ``self`` and schemes ``self``/``super``/``query``/``base_url_for``/``http_client``:
    before, ``SyntaxError: duplicate argument 'self'``, and ``Client()`` raised (``super``/``base_url_for``
    shadowed, ``query`` overwrote the credentials dict)."""
    doc = api(
        "Internals",
        PING,
        servers="""
        - url: "http://{self}/v1"
          variables:
            self: {default: "127.0.0.1:9"}
        """,
        components="""
        securitySchemes:
          self: {type: apiKey, in: header, name: X-Self}
          super: {type: apiKey, in: header, name: X-Super}
          query: {type: apiKey, in: query, name: q-key}
          base_url_for: {type: apiKey, in: header, name: X-Base}
          http_client: {type: http, scheme: bearer}
          strict_validation: {type: apiKey, in: header, name: X-Strict}
        """,
    )
    flow = arazzo(
        {"internals": "./api.yaml"},
        """
        - workflowId: ping
          steps:
            - {stepId: ping, operationId: ping, successCriteria: [{condition: $statusCode == 200}]}
        """,
    )
    out, _ = build(tmp_path, {"api.yaml": doc, "flow.arazzo.yaml": flow})
    printed = run_python(
        out,
        MOCK.replace("REPLY", '{"who": "x"}')
        + f"""
import inspect
from {PACKAGE}.apis.api.client import AsyncClient, Client
names = [p for p in inspect.signature(Client.__init__).parameters]
print(names)
assert names == [p for p in inspect.signature(AsyncClient.__init__).parameters]
Client().close()
client = Client(
    self_2="example.test", self_3="s", super_="u", query_2="q", base_url_for_2="b", http_client_2="t",
    strict_validation_2="v", http_client=httpx.Client(transport=transport()),
)
client.ping()
request = seen[0]
print(request.url)
print(sorted((k, v) for k, v in request.headers.items() if k.startswith("x-") or k == "authorization"))
""",
    )
    assert printed.splitlines() == [
        (
            "['self', 'base_url', 'self_2', 'self_3', 'super_', 'query_2', 'base_url_for_2', 'http_client_2', "
            "'strict_validation_2', 'headers', 'query', 'cookies', 'timeout', 'deadline', 'http_client', "
            "'strict_validation', 'max_retries', 'on_step']"
        ),
        "http://example.test/v1/ping?q-key=q",
        "[('authorization', 'Bearer t'), ('x-base', 'b'), ('x-self', 's'), ('x-strict', 'v'), ('x-super', 'u')]",
    ]
    mypy_strict(out)


# -- workflow function names ------------------------------------------------------------------------------
TWO_OPS = """
/a:
  get:
    operationId: getA
    responses: {"200": {description: ok}}
/b:
  get:
    operationId: getB
    responses: {"200": {description: ok}}
"""


def test_workflows_run_and_run_async_are_distinct(tmp_path: Path) -> None:
    """``run`` and ``runAsync``: before, ``run``'s async twin ``run_async`` was overwritten by the sync
    function of ``runAsync``."""
    flow = arazzo(
        {"svc": "./api.yaml"},
        """
        - workflowId: run
          steps:
            - {stepId: a, operationId: getA, successCriteria: [{condition: $statusCode == 200}]}
        - workflowId: runAsync
          steps:
            - {stepId: b, operationId: getB, successCriteria: [{condition: $statusCode == 200}]}
        """,
    )
    out, _ = build(
        tmp_path, {"api.yaml": api("Svc", TWO_OPS, servers="- url: http://127.0.0.1:9"), "flow.arazzo.yaml": flow}
    )
    printed = run_python(
        out,
        MOCK.replace("REPLY", "{}")
        + f"""
import inspect
from {PACKAGE}.apis.api.client import AsyncClient, Client
from {PACKAGE} import workflows
from {PACKAGE}.workflows import flow
print(sorted(n for n in workflows.__all__ if not n.endswith("Outputs")))
assert set(workflows.__all__) <= set(vars(flow))
def calls(function, client):
    seen.clear()
    result = function(svc_api=client)
    if inspect.iscoroutine(result):
        asyncio.run(result)
    return [r.url.path for r in seen]
print(calls(flow.run, Client(http_client=httpx.Client(transport=transport()))))
print(calls(flow.run_async, AsyncClient(http_client=httpx.AsyncClient(transport=transport()))))
print(calls(flow.run_async_2, Client(http_client=httpx.Client(transport=transport()))))
print(calls(flow.run_async_2_async, AsyncClient(http_client=httpx.AsyncClient(transport=transport()))))
assert inspect.iscoroutinefunction(flow.run_async) and inspect.iscoroutinefunction(flow.run_async_2_async)
assert not inspect.iscoroutinefunction(flow.run) and not inspect.iscoroutinefunction(flow.run_async_2)
""",
    )
    assert printed.splitlines() == [
        "['run', 'run_async', 'run_async_2', 'run_async_2_async']",
        "['/a']",
        "['/a']",
        "['/b']",
        "['/b']",
    ]
    mypy_strict(out)


def test_same_workflow_id_in_two_documents(tmp_path: Path) -> None:
    """Two documents with workflowId ``go``: before, ``workflows/__init__.py`` imported ``go`` twice and the
    second shadowed the first."""
    first = arazzo(
        {"svc": "./api.yaml"},
        "- workflowId: go\n  steps:\n    - {stepId: a, operationId: getA}",
    )
    second = arazzo(
        {"svc": "./api.yaml"},
        "- workflowId: go\n  steps:\n    - {stepId: b, operationId: getB}",
    )
    out, _ = build(
        tmp_path,
        {
            "api.yaml": api("Svc", TWO_OPS, servers="- url: http://127.0.0.1:9"),
            "first.arazzo.yaml": first,
            "second.arazzo.yaml": second,
        },
    )
    printed = run_python(
        out,
        MOCK.replace("REPLY", "{}")
        + f"""
from {PACKAGE}.apis.api.client import Client
from {PACKAGE} import workflows
print(sorted(workflows.__all__))
for name in sorted(n for n in workflows.__all__ if not n.endswith(("Outputs", "_async"))):
    seen.clear()
    getattr(workflows, name)(svc_api=Client(http_client=httpx.Client(transport=transport())))
    print(name, getattr(workflows, name).__module__, [r.url.path for r in seen])
""",
    )
    assert printed.splitlines() == [
        "['Go2Outputs', 'GoOutputs', 'go', 'go_2', 'go_2_async', 'go_async']",
        f"go {PACKAGE}.workflows.first ['/a']",
        f"go_2 {PACKAGE}.workflows.second ['/b']",
    ]
    mypy_strict(out)


# -- names of runtime helpers and builtins ----------------------------------------------------------------
def test_names_of_helpers_and_builtins_the_generated_code_calls(tmp_path: Path) -> None:
    """workflowId ``json_pointer``, inputs ``str``/``bool``, stepId ``str`` and a query parameter
    ``frozenset``: before, each shadowed what the generated code calls, a TypeError at run time."""
    doc = api(
        "Helpers",
        """
        /thing:
          get:
            operationId: getThing
            parameters:
              - {name: frozenset, in: query, required: true, schema: {type: string}}
              - {name: q, in: query, schema: {type: string}}
            responses:
              "200": {description: ok, content: {application/json: {schema: {}}}}
        """,
        servers="- url: http://127.0.0.1:9",
    )
    flow = arazzo(
        {"helpers": "./api.yaml"},
        """
        - workflowId: json_pointer
          inputs:
            type: object
            required: [str, bool, obj]
            properties:
              str: {type: string}
              bool: {type: boolean}
              obj: {type: object}
          steps:
            - stepId: str
              operationId: getThing
              parameters:
                - {name: frozenset, in: query, value: $inputs.str}
                - {name: q, in: query, value: "v-{$inputs.obj#/a}"}
              successCriteria:
                - condition: $statusCode == 200
                - condition: $inputs.bool
              outputs:
                first: $response.body#/items/0
                whole: $response.body
          outputs:
            first: $steps.str.outputs.first
            again: $steps.str.outputs.whole#/items/1
        """,
    )
    out, _ = build(tmp_path, {"api.yaml": doc, "flow.arazzo.yaml": flow})
    printed = run_python(
        out,
        MOCK.replace("REPLY", '{"items": ["A", "B"]}')
        + f"""
from {PACKAGE}.apis.api.client import AsyncClient, Client
from {PACKAGE}.workflows import flow
client = Client(http_client=httpx.Client(transport=transport()))
print(flow.json_pointer_2(str_="s", bool_=True, obj={{"a": 1}}, helpers_api=client))
print(seen[0].url.params)
seen.clear()
aclient = AsyncClient(http_client=httpx.AsyncClient(transport=transport()))
print(asyncio.run(flow.json_pointer_2_async(str_="s", bool_=True, obj={{"a": 1}}, helpers_api=aclient)))
""",
    )
    assert printed.splitlines() == [
        "first='A' again='B'",
        "frozenset=s&q=v-1",
        "first='A' again='B'",
    ]
    mypy_strict(out)


def test_client_parameters_never_shadow_builtins(tmp_path: Path) -> None:
    """Parameters ``id`` (path), ``type`` and ``list`` (query), a server variable ``format`` and an apiKey
    scheme ``input``: the client's keyword arguments are ``id_``, ``type_``, ``list_``, ``format_`` and
    ``input_`` (a trailing ``_``, as Python spells a keyword), and the workflow calls them by those names.
    Before, ``id``/``type``/``format``/``input`` shadowed the builtins inside the methods (ruff A002) and
    ``list`` was ``list_2``."""
    doc = api(
        "Builtins",
        """
        /items/{id}:
          get:
            operationId: getItem
            parameters:
              - {name: id, in: path, required: true, schema: {type: string}}
              - {name: type, in: query, schema: {type: string}}
              - {name: list, in: query, schema: {type: integer}}
            responses:
              "200": {description: ok, content: {application/json: {schema: {}}}}
        """,
        servers="""
        - url: "http://{format}/v1"
          variables:
            format: {default: "127.0.0.1:9"}
        """,
        components="""
        securitySchemes:
          input: {type: apiKey, in: header, name: X-Input}
        """,
    )
    flow = arazzo(
        {"builtins": "./api.yaml"},
        """
        - workflowId: fetch
          inputs: {type: object, required: [item], properties: {item: {type: string}}}
          steps:
            - stepId: get
              operationId: getItem
              parameters:
                - {name: id, in: path, value: $inputs.item}
                - {name: type, in: query, value: kind}
                - {name: list, in: query, value: 3}
              successCriteria: [{condition: $statusCode == 200}]
        """,
    )
    out, _ = build(tmp_path, {"api.yaml": doc, "flow.arazzo.yaml": flow})
    printed = run_python(
        out,
        MOCK.replace("REPLY", "{}")
        + f"""
import inspect
from {PACKAGE}.apis.api.client import AsyncClient, Client
from {PACKAGE}.workflows import flow
for cls in (Client, AsyncClient):
    print([p for p in inspect.signature(cls.get_item).parameters][:4])
    print([p for p in inspect.signature(cls.__init__).parameters][:4])
client = Client(format_="example.test", input_="k", http_client=httpx.Client(transport=transport()))
client.get_item(id_="a", type_="t", list_=1)
flow.fetch(item="b", builtins_api=client)
for request in seen:
    print(request.url, request.headers["x-input"])
""",
    )
    assert printed.splitlines() == [
        "['self', 'id_', 'type_', 'list_']",
        "['self', 'base_url', 'format_', 'input_']",
        "['self', 'id_', 'type_', 'list_']",
        "['self', 'base_url', 'format_', 'input_']",
        "http://example.test/v1/items/a?type=t&list=1 k",
        "http://example.test/v1/items/b?type=kind&list=3 k",
    ]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MYPYPATH")}
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "A002", f"{PACKAGE}/apis"],
        cwd=out, capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    mypy_strict(out)


def test_outputs_named_like_base_model_members(tmp_path: Path) -> None:
    """Workflow outputs ``model_dump``/``model_config``/``copy``: before, an outputs field named
    ``model_dump`` replaced the BaseModel method (datamodel-code-generator's FieldNameResolver idea)."""
    doc = api("Svc", PING, servers="- url: http://127.0.0.1:9")
    flow = arazzo(
        {"svc": "./api.yaml"},
        """
        - workflowId: ping
          steps:
            - stepId: ping
              operationId: ping
              successCriteria: [{condition: $statusCode == 200}]
              outputs: {who: $response.body#/who}
          outputs:
            model_dump: $steps.ping.outputs.who
            model_config: $steps.ping.outputs.who
            copy: $steps.ping.outputs.who
        """,
    )
    out, _ = build(tmp_path, {"api.yaml": doc, "flow.arazzo.yaml": flow})
    printed = run_python(
        out,
        MOCK.replace("REPLY", '{"who": "me"}')
        + f"""
import warnings
warnings.simplefilter("error")
from {PACKAGE}.apis.api.client import Client
from {PACKAGE}.workflows import flow
outputs = flow.ping(svc_api=Client(http_client=httpx.Client(transport=transport())))
print(outputs.model_dump(by_alias=True))
""",
    )
    assert printed.splitlines() == ["{'model_dump': 'me', 'model_config': 'me', 'copy': 'me'}"]
    mypy_strict(out)


# -- client aliases ---------------------------------------------------------------------------------------
def test_sources_a_dash_b_and_a_underscore_b_call_their_own_api(
    tmp_path: Path, loopback: tuple[str, list[str]]
) -> None:
    """Sources ``a-b`` and ``a_b``: before, both clients were imported under one alias, so the default
    client made for ``a-b`` talked to ``a_b``'s server."""
    url, paths = loopback
    ping = """
    /ping:
      get:
        operationId: OP
        responses:
          "200":
            description: ok
            content: {application/json: {schema: {type: object, properties: {who: {type: string}}}}}
    """
    flow = arazzo(
        {"a-b": "./first.yaml", "a_b": "./second.yaml"},
        """
        - workflowId: both
          steps:
            - stepId: one
              operationId: pingFirst
              successCriteria: [{condition: $statusCode == 200}]
              outputs: {who: $response.body#/who}
            - stepId: two
              operationId: pingSecond
              successCriteria: [{condition: $statusCode == 200}]
              outputs: {who: $response.body#/who}
          outputs:
            first: $steps.one.outputs.who
            second: $steps.two.outputs.who
        """,
    )
    out, _ = build(
        tmp_path,
        {
            "first.yaml": api("First", ping.replace("OP", "pingFirst"), servers=f"- url: {url}/first"),
            "second.yaml": api("Second", ping.replace("OP", "pingSecond"), servers=f"- url: {url}/second"),
            "flow.arazzo.yaml": flow,
        },
    )
    printed = run_python(
        out,
        f"""
import asyncio
from {PACKAGE}.workflows import flow
print(flow.both())
print(asyncio.run(flow.both_async()))
""",
    )
    assert printed.splitlines() == ["first='first' second='second'"] * 2
    assert paths == ["/first/ping", "/second/ping"] * 2
    mypy_strict(out)


# -- NFKC -------------------------------------------------------------------------------------------------
def test_nfkc_equal_property_enum_and_schema_names(tmp_path: Path) -> None:
    """Properties ``ﬁeld`` (U+FB01) and ``field``, enum values ``ﬁx``/``fix``, schema keys ``ﬁeld``/``field``:
    Python reads identifiers in NFKC, so before one property (and one enum member) silently disappeared."""
    doc = api(
        "Nfkc",
        """
        /thing:
          get:
            operationId: getThing
            responses:
              "200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/ﬁeld"}}}}
        """,
        servers="- url: http://127.0.0.1:9",
        components="""
        schemas:
          ﬁeld:
            type: object
            properties:
              ﬁeld: {type: string}
              field: {type: integer}
              kind: {$ref: "#/components/schemas/field"}
          field:
            type: string
            enum: [ﬁx, fix]
            default: ﬁx
        """,
    )
    flow = arazzo(
        {"nfkc": "./api.yaml"},
        """
        - workflowId: read
          steps:
            - stepId: get
              operationId: getThing
              successCriteria: [{condition: $statusCode == 200}]
              outputs: {lig: "$response.body#/ﬁeld", plain: $response.body#/field}
          outputs:
            lig: $steps.get.outputs.lig
            plain: $steps.get.outputs.plain
        """,
    )
    out, _ = build(tmp_path, {"api.yaml": doc, "flow.arazzo.yaml": flow})
    source = (out / PACKAGE / "apis" / "api" / "models.py").read_text(encoding="utf-8")
    printed = run_python(
        out,
        MOCK.replace("REPLY", '{"\\ufb01eld": "s", "field": 3, "kind": "fix"}')
        + f"""
import ast, io, tokenize
from pathlib import Path
from {PACKAGE}.apis.api import models
from {PACKAGE}.apis.api.client import Client
from {PACKAGE}.workflows import flow
for path in sorted(Path("{PACKAGE}").rglob("*.py")):
    for token in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
        assert token.type != tokenize.NAME or token.string.isascii(), (path, token.string)
print(sorted(n for n, v in vars(models).items() if isinstance(v, type) and v.__module__ == models.__name__))
print([(m.name, m.value) for m in models.FieldModel2])
parsed = models.FieldModel.model_validate({{"\ufb01eld": "s", "field": 3, "kind": "fix"}})
print(parsed.model_dump(by_alias=True, mode="json") == {{"\ufb01eld": "s", "field": 3, "kind": "fix"}})
print(repr(models.FieldModel().kind))
print(flow.read(nfkc_api=Client(http_client=httpx.Client(transport=transport()))))
""",
    )
    assert printed.splitlines() == [
        "['FieldModel', 'FieldModel2']",
        "[('fix_2', 'ﬁx'), ('fix', 'fix')]",
        "True",
        "<FieldModel2.fix_2: 'ﬁx'>",
        "lig='s' plain=3",
    ]
    assert "field_2: Annotated[str | None, Field(alias=\"ﬁeld\")] = None" in source
    mypy_strict(out)


def test_model_fields_and_enum_members_named_like_members_of_their_base(tmp_path: Path) -> None:
    """Properties ``model_dump``/``model_config``/``copy`` and a string enum with ``replace``/``upper``/
    ``format``: before, the models warned at import (pydantic's protected ``model_`` namespace) and the enum
    members replaced ``str`` methods (``Kind.upper.upper()`` raised, mypy rejected the class)."""
    doc = api(
        "Members",
        """
        /thing:
          get:
            operationId: getThing
            responses:
              "200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Thing"}}}}
        """,
        servers="- url: http://127.0.0.1:9",
        components="""
        schemas:
          Thing:
            type: object
            properties:
              model_dump: {type: string}
              model_config: {type: string}
              copy: {type: string}
              kind: {$ref: "#/components/schemas/Kind"}
          Kind:
            type: string
            enum: [replace, upper, format, name]
            default: upper
        """,
    )
    flow = arazzo(
        {"members": "./api.yaml"},
        """
        - workflowId: read
          steps:
            - stepId: get
              operationId: getThing
              successCriteria: [{condition: $statusCode == 200}]
              outputs: {dump: $response.body#/model_dump, kind: $response.body#/kind}
          outputs:
            dump: $steps.get.outputs.dump
            kind: $steps.get.outputs.kind
        """,
    )
    out, _ = build(tmp_path, {"api.yaml": doc, "flow.arazzo.yaml": flow})
    reply = '{"model_dump": "d", "model_config": "c", "copy": "y", "kind": "replace"}'
    printed = run_python(
        out,
        MOCK.replace("REPLY", reply)
        + f"""
import warnings
warnings.simplefilter("error")
from {PACKAGE}.apis.api import models
from {PACKAGE}.apis.api.client import Client
from {PACKAGE}.workflows import flow
print([(m.name, m.value) for m in models.Kind])
print(models.Kind.upper_.upper(), repr(models.Thing().kind))
thing = models.Thing.model_validate(json.loads({reply!r}))
print(thing.model_dump(by_alias=True, mode="json") == json.loads({reply!r}))
print(flow.read(members_api=Client(http_client=httpx.Client(transport=transport()))))
""",
    )
    assert printed.splitlines() == [
        "[('replace_', 'replace'), ('upper_', 'upper'), ('format_', 'format'), ('name', 'name')]",
        "UPPER <Kind.upper_: 'upper'>",
        "True",
        "dump='d' kind=<Kind.replace_: 'replace'>",
    ]
    mypy_strict(out)


def test_schema_named_like_a_name_the_models_module_imports(tmp_path: Path) -> None:
    """A schema ``IPv4Address`` next to a ``format: ipv4`` property: datamodel-code-generator names the class
    ``IPv4AddressModel`` (it imports ``ipaddress.IPv4Address``); before, the client's response type was
    ``models.IPv4Address``, the standard library class, and every response failed validation."""
    doc = api(
        "Addresses",
        """
        /host:
          get:
            operationId: getHost
            responses:
              "200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/IPv4Address"}}}}
        """,
        servers="- url: http://127.0.0.1:9",
        components="""
        schemas:
          IPv4Address:
            type: object
            properties:
              ip: {type: string, format: ipv4}
        """,
    )
    flow = arazzo(
        {"addresses": "./api.yaml"},
        """
        - workflowId: host
          steps:
            - stepId: get
              operationId: getHost
              successCriteria: [{condition: $statusCode == 200}]
              outputs: {ip: $response.body#/ip}
          outputs:
            ip: $steps.get.outputs.ip
        """,
    )
    out, _ = build(tmp_path, {"api.yaml": doc, "flow.arazzo.yaml": flow})
    printed = run_python(
        out,
        MOCK.replace("REPLY", '{"ip": "10.0.0.1"}')
        + f"""
from {PACKAGE}.apis.api.client import Client
from {PACKAGE}.workflows import flow
client = Client(http_client=httpx.Client(transport=transport()))
print(repr(client.get_host().parsed))
print(flow.host(addresses_api=client))
""",
    )
    assert printed.splitlines() == [
        "IPv4AddressModel(ip=IPv4Address('10.0.0.1'))",
        "ip=IPv4Address('10.0.0.1')",
    ]
    mypy_strict(out)


# -- query strings in path keys ---------------------------------------------------------------------------
S3 = """
/{Bucket}/{Key+}?partNumber={partNumber}&uploadId={uploadId}:
  put:
    operationId: UploadPart
    parameters:
      - {name: Bucket, in: path, required: true, schema: {type: string}}
      - {name: Key, in: path, required: true, schema: {type: string}}
      - {name: partNumber, in: query, required: true, schema: {type: integer}}
      - {name: uploadId, in: query, required: true, schema: {type: string}}
    responses: {"200": {description: ok}}
/{Bucket}/{Key+}?uploads:
  post:
    operationId: CreateMultipartUpload
    parameters:
      - {name: Bucket, in: path, required: true, schema: {type: string}}
      - {name: Key+, in: path, required: true, schema: {type: string}}
    responses: {"200": {description: ok}}
/{Bucket}?list-type=2:
  get:
    operationId: ListObjectsV2
    parameters:
      - {name: Bucket, in: path, required: true, schema: {type: string}}
      - {name: list-type, in: query, schema: {type: string}}
      - {name: prefix, in: query, schema: {type: string}}
    responses: {"200": {description: ok}}
"""


def test_query_part_of_a_path_key_and_greedy_path_parameters(tmp_path: Path) -> None:
    """The Amazon S3 description's ``/{Bucket}/{Key+}?partNumber={partNumber}``: before, ``partNumber`` was
    taken for an undeclared path parameter too (``duplicate argument 'part_number'``) and ``{Key+}`` for a
    second ``key``.  Now the part after ``?`` is the query: ``{name}`` values come from the declared query
    parameters, literal ones (``?uploads``, ``?list-type=2``) are sent with every call (unless the caller sets
    a declared query parameter of that name, as S3 declares ``list-type``); ``{Key+}`` is the
    declared ``Key`` (or ``Key+``, as the S3 description declares it) expanded greedily (``/`` kept)."""
    flow = arazzo(
        {"s3": "./api.yaml"},
        """
        - workflowId: upload
          steps:
            - stepId: start
              operationId: CreateMultipartUpload
              parameters:
                - {name: Bucket, in: path, value: bk}
                - {name: Key+, in: path, value: "dir/a b.txt"}
              successCriteria: [{condition: $statusCode == 200}]
        """,
    )
    out, headlines = build(
        tmp_path, {"api.yaml": api("S3", S3, servers="- url: http://127.0.0.1:9"), "flow.arazzo.yaml": flow}
    )
    assert headlines == []
    printed = run_python(
        out,
        MOCK.replace("REPLY", "{}")
        + f"""
from {PACKAGE}.apis.api.client import Client
from {PACKAGE}.workflows import flow
client = Client(http_client=httpx.Client(transport=transport()))
client.upload_part(bucket="bk", key="dir/a b.txt", part_number=3, upload_id="u1")
client.create_multipart_upload(bucket="bk", key="d/k")
client.list_objects_v_2(bucket="bk", prefix="p")
client.list_objects_v_2(bucket="bk")
client.list_objects_v_2(bucket="bk", list_type="3")
flow.upload(s_3_api=client)
for request in seen:
    print(request.method, request.url.raw_path.decode())
""",
    )
    assert printed.splitlines() == [
        "PUT /bk/dir/a%20b.txt?partNumber=3&uploadId=u1",
        "POST /bk/d/k?uploads=",
        "GET /bk?list-type=2&prefix=p",
        "GET /bk?list-type=2",
        "GET /bk?list-type=3",
        "POST /bk/dir/a%20b.txt?uploads=",
    ]
    mypy_strict(out)


# -- the package name -------------------------------------------------------------------------------------
BAD_PACKAGES = ["class", "None", "café", "httpx", "pydantic", "typing", "json", "os", "annotated_types",
                "jsonpath_rfc9535", "elementpath", "defusedxml", "email_validator", "ulid", "h11", "dns"]  # fmt: skip


@pytest.fixture
def small_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    doc = api("Svc", PING, servers="- url: http://127.0.0.1:9")
    flow = arazzo({"svc": "./api.yaml"}, "- workflowId: ping\n  steps:\n    - {stepId: ping, operationId: ping}")
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "api.yaml").write_text(doc, encoding="utf-8")
    (tmp_path / "specs" / "flow.arazzo.yaml").write_text(flow, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("name", BAD_PACKAGES)
def test_package_option_refuses_names_that_cannot_be_imported_safely(small_project: Path, name: str) -> None:
    result = CliRunner().invoke(app, ["build", "specs", "-o", "out", "--package", name])
    assert result.exit_code == EXIT_USAGE, result.output
    assert result.stderr.startswith(f"error: --package {name!r} cannot be the generated package's name: ")
    assert not (small_project / "out").exists()


@pytest.mark.parametrize("name", BAD_PACKAGES)
def test_configured_package_refuses_names_that_cannot_be_imported_safely(small_project: Path, name: str) -> None:
    (small_project / "pyproject.toml").write_text(f'[tool.arazzo-gen]\npackage = "{name}"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["build", "specs", "-o", "out"])
    assert result.exit_code == EXIT_USAGE, result.output
    assert f"[tool.arazzo-gen] package {name!r} cannot be the generated package's name: " in result.stderr
    assert not (small_project / "out").exists()


def test_package_name_reasons() -> None:
    from arazzo_gen.config import package_name_problem

    assert package_name_problem("quantum_workflows") is None
    assert package_name_problem("class") == "it is a Python keyword"
    assert package_name_problem("café") == "it must be ASCII letters, digits and underscores"
    assert package_name_problem("a-b") == "it must be ASCII letters, digits and underscores"
    assert package_name_problem("json") == "it shadows the standard library module 'json'"
    assert package_name_problem("httpx") == "it shadows 'httpx', which the generated package imports"
    assert package_name_problem("elementpath") == "it shadows 'elementpath', which the generated package imports"


ROOT = Path(__file__).resolve().parent.parent
BUILT = [ROOT / "generated", *sorted((ROOT / "tests" / "fixtures" / "golden").glob("*/expected"))]


def test_no_module_a_built_package_imports_can_be_its_name() -> None:
    """Issue 18: ``--package jsonpath_rfc9535`` was accepted, and the package then imported itself in place of
    the library.  Every top-level module imported by the committed packages (the golden fixtures use jsonpath,
    xpath and email criteria and formats) is refused."""
    from arazzo_gen.config import package_name_problem

    found: set[str] = set()
    for folder in BUILT:
        for source in folder.rglob("*.py"):
            for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found.add(node.module.split(".")[0])
    assert {"httpx", "pydantic", "jsonpath_rfc9535", "elementpath", "defusedxml"} <= found
    assert [name for name in sorted(found) if package_name_problem(name) is None] == []


def test_no_module_of_a_distribution_a_built_package_requires_can_be_its_name() -> None:
    """The top-level modules of every distribution the committed packages require, and of theirs (``h11``
    through httpx and httpcore), as installed here."""
    import importlib.metadata
    import re
    import tomllib

    from arazzo_gen.config import package_name_problem

    modules: dict[str, set[str]] = {}
    for module, names in importlib.metadata.packages_distributions().items():
        for name in names:
            modules.setdefault(re.sub(r"[-_.]+", "-", name).lower(), set()).add(module)
    pending = [
        requirement
        for folder in BUILT
        for requirement in tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    ]
    seen: set[str] = set()
    while pending:
        requirement = pending.pop()
        if "extra ==" in requirement:
            continue
        name = re.sub(r"[-_.]+", "-", re.split(r"[^A-Za-z0-9._-]", requirement, maxsplit=1)[0]).lower()
        if name in seen or name not in modules:
            continue
        seen.add(name)
        pending.extend(importlib.metadata.requires(name) or [])
    assert {"httpx", "httpcore", "h11", "pydantic", "jsonpath-rfc9535", "elementpath", "defusedxml"} <= seen
    refused = {module: package_name_problem(module) for name in seen for module in modules[name]}
    assert [module for module, problem in sorted(refused.items()) if problem is None] == []


def test_a_content_type_header_parameter_next_to_a_request_body(tmp_path: Path) -> None:
    """The Amazon S3 description declares ``Content-Type`` as a header parameter of operations that take a
    body: before, its argument and the body's ``content_type`` were one name (``duplicate argument
    'content_type'``: a package that does not compile, built with exit 0).  OpenAPI 3 says such a parameter is
    ignored: the body's ``content_type`` argument sets the header."""
    paths = """
    /obj:
      put:
        operationId: putObject
        parameters:
          - {name: Content-Type, in: header, schema: {type: string}}
        requestBody:
          content:
            application/octet-stream:
              schema: {type: string, format: binary}
        responses:
          "200": {description: ok}
    """
    flow = arazzo({"store": "./api.yaml"}, "- workflowId: put\n  steps:\n    - {stepId: put, operationId: putObject}")
    files = {"api.yaml": api("Store", paths, servers="- url: http://127.0.0.1:9"), "flow.arazzo.yaml": flow}
    out, _ = build(tmp_path, files)
    printed = run_python(
        out,
        MOCK.replace("REPLY", "{}")
        + f"""
from {PACKAGE}.apis.api.client import Client
client = Client(http_client=httpx.Client(transport=transport()))
client.put_object(body=b"x")
client.put_object(body=b"x", content_type="text/plain")
for request in seen:
    print(request.method, request.url.raw_path.decode(), request.headers["content-type"], request.content)
""",
    )
    assert printed.splitlines() == ["PUT /obj application/octet-stream b'x'", "PUT /obj text/plain b'x'"]
    mypy_strict(out)


def test_the_recorded_closure_holds_every_module_the_metadata_closure_finds() -> None:
    """``RECORDED_CLOSURE`` is what refuses names where httpx or email-validator is not installed next to
    arazzo-gen; when a requirement gains a dependency, this names it."""
    import sys

    from arazzo_gen.emit import dependencies

    dependencies.imported_modules.cache_clear()
    try:
        computed = dependencies.imported_modules()
    finally:
        dependencies.imported_modules.cache_clear()
    recorded = dependencies.RECORDED_CLOSURE | dependencies.OPTIONAL_MODULES | set(sys.stdlib_module_names)
    # distribution names counted as modules too (``dnspython`` installs ``dns``, ``python-ulid`` ``ulid``)
    assert computed - recorded - {"dnspython", "python_ulid"} == set()


@pytest.mark.parametrize(
    "name", ["httpcore", "h11", "anyio", "certifi", "idna", "sniffio", "dns", "brotli", "zstandard", "h2", "trio"]
)
def test_modules_of_requirements_are_refused_where_they_are_not_installed(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """A plain ``pip install arazzo-gen`` has neither httpx nor email-validator: their modules are still
    refused (the review of the first version accepted these seven names there)."""
    import importlib.metadata

    from arazzo_gen.config import package_name_problem
    from arazzo_gen.emit import dependencies

    def absent(distribution: str) -> importlib.metadata.Distribution:
        raise importlib.metadata.PackageNotFoundError(distribution)

    monkeypatch.setattr(importlib.metadata, "distribution", absent)
    dependencies.imported_modules.cache_clear()
    try:
        assert package_name_problem(name) == f"it shadows '{name}', which the generated package imports"
    finally:
        dependencies.imported_modules.cache_clear()


def test_runtime_helpers_and_builtins_are_never_workflow_names(tmp_path: Path) -> None:
    """A step, an input and a workflow named ``any_status`` (the runtime helper every step calls through) or
    ``id`` (a builtin): main let the workflow ``any_status`` replace the imported helper (RecursionError),
    the step raise UnboundLocalError, and ``def id(`` shadow the builtin."""
    from .scripted import Reply, build_package, import_package, scripted

    api = """
openapi: 3.0.3
info: {title: Things, version: "1"}
servers: [{url: "http://127.0.0.1:9"}]
paths:
  /things:
    get:
      operationId: listThings
      responses: {"200": {description: ok, content: {application/json: {schema: {type: object}}}}}
"""
    flow = """
arazzo: 1.0.1
info: {title: Things, version: "1"}
sourceDescriptions: [{name: things, url: ../openapi/things.yaml, type: openapi}]
workflows:
  - workflowId: any_status
    inputs: {type: object, properties: {any_status: {type: string}}}
    steps:
      - stepId: any_status
        operationId: listThings
        successCriteria: [{condition: $statusCode == 200}]
  - workflowId: id
    steps:
      - stepId: run
        operationId: listThings
        successCriteria: [{condition: $statusCode == 200}]
"""
    out, _ = build_package(tmp_path, {"openapi/things.yaml": api, "arazzo/things.arazzo.yaml": flow}, "helper_names")
    package = import_package(out, "helper_names")
    module = package.workflows.things
    assert not hasattr(module, "id") and callable(module.id_) and callable(module.id_async)
    with scripted({("GET", "/things"): [Reply(200, {}), Reply(200, {})]}) as server:
        client = package.apis.things.Client(server.url)
        assert module.any_status_2.__name__ == "any_status_2"  # the helper keeps its name
        module.any_status_2(any_status_2="x", things_api=client)
        module.id_(things_api=client)
    assert [r.line for r in server.requests] == ["GET /things", "GET /things"]
