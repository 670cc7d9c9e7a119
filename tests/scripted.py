"""Test helpers for semantics tests: build small documents into a package, import it, and run its workflows
against a scripted HTTP server on 127.0.0.1 that records every request.

    files = {"openapi/api.yaml": API, "arazzo/flow.arazzo.yaml": FLOW}
    out, warnings = build_package(tmp_path, files, "retry_pkg")
    with ScriptedServer({("GET", "/items"): [Reply(503), Reply(503), Reply(200, {"id": 1})]}) as server:
        package = import_package(out, "retry_pkg")
        ...call package.workflows.<module>.<function>(..., client=<Client>(base_url=server.url))...
    assert [r.line for r in server.requests] == ["GET /items"] * 3

Each test uses its own package name, so imported packages never collide within one session.
"""

from __future__ import annotations

import functools
import importlib
import itertools
import json
import os
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from arazzo_gen.diagnostics import Diagnostics
from arazzo_gen.emit.package import PackageOptions
from arazzo_gen.pipeline import compile_specs
from arazzo_gen.write import write_tree


# -- building ---------------------------------------------------------------------------------------------
def write_specs(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative path -> text, dedented) under ``root/specs``; returns the specs folder."""
    specs = root / "specs"
    for name, text in files.items():
        target = specs / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return specs


def compile_files(
    root: Path, files: dict[str, str], package: str, durable: bool = False
) -> tuple[dict[str, str] | None, list[str]]:
    """Compile ``files`` without writing; (the files of the package or None, sorted diagnostic headlines).
    ``durable``: the package has the durable variant too (``--durable``)."""
    write_specs(root, files)
    old = Path.cwd()
    os.chdir(root)
    try:
        diagnostics = Diagnostics()
        tree = compile_specs(
            Path("specs"), PackageOptions(package=package, durable=durable), diagnostics
        )
    finally:
        os.chdir(old)
    return tree, sorted(d.headline() for d in diagnostics.items)


def build_package(
    root: Path, files: dict[str, str], package: str, durable: bool = False
) -> tuple[Path, list[str]]:
    """Build ``files`` into ``root/out``; fails the test with every diagnostic when the build fails.

    Returns (the output folder, the sorted headlines of the warnings the build reported).
    """
    tree, headlines = compile_files(root, files, package, durable or THROUGH_DURABLE)
    assert tree is not None, "the build failed:\n" + "\n".join(headlines)
    out = root / "out"
    write_tree(out, tree)
    return out, headlines


def import_package(out: Path, package: str) -> ModuleType:
    """Import the built package ``package`` from ``out`` (and its ``workflows`` and ``apis`` subpackages)."""
    if str(out) not in sys.path:
        sys.path.insert(0, str(out))
    importlib.invalidate_caches()
    module = importlib.import_module(package)
    for sub in ("workflows", "apis"):
        try:
            importlib.import_module(f"{package}.{sub}")
        except ModuleNotFoundError:
            pass
    if THROUGH_DURABLE:
        _route_through_durable(module, package)
    return module


# -- the behaviour tests, through the durable variant ---------------------------------------------------------
THROUGH_DURABLE = os.environ.get("ARAZZO_GEN_DURABLE") == "1"
"""Set by tests/test_durable_semantics.py: every package the tests build has the durable variant, and every call
of a sync workflow function ``package.workflows.<module>.<function>(...)`` runs as a durable run instead (on one
SQLite database per test process), with the same keyword arguments: clients, ``sleep`` and ``on_step`` go to the
process's ``Durable``, the rest are the run's inputs.  Calls between workflows inside a run stay the plain
functions' (they are steps of the same durable run)."""
_HARNESS: list[Any] = []


def _harness_durable(durable_module: ModuleType) -> Any:
    if not _HARNESS:
        import atexit
        import tempfile

        folder = tempfile.mkdtemp(prefix="arazzo-durable-")
        runs = durable_module.Durable(str(Path(folder) / "runs.sqlite"), worker="behaviour-tests")
        runs.launch()
        atexit.register(runs.close)
        _HARNESS.append(runs)
    return _HARNESS[0]


def _route_through_durable(package_module: ModuleType, package: str) -> None:
    durable_module = importlib.import_module(f"{package}.durable")
    workflows = importlib.import_module(f"{package}.workflows")
    by_function = {id(variant.function): variant for variant in durable_module.WORKFLOWS.values()}
    for name, value in list(vars(workflows).items()):
        if not isinstance(value, ModuleType) or not value.__name__.startswith(f"{package}.workflows."):
            continue
        proxy = ModuleType(value.__name__, value.__doc__)
        proxy.__dict__.update(vars(value))
        for attribute, function in vars(value).items():
            variant = by_function.get(id(function))
            if variant is not None:
                setattr(proxy, attribute, _durable_call(durable_module, variant))
        setattr(workflows, name, proxy)


_RUN_NUMBERS = itertools.count(1)


def _check_replay(durable_module: ModuleType, variant: Any, given: dict[str, Any], run_id: str, outputs: Any) -> None:
    """What recovery relies on: the function run again over the run's checkpoints takes the same path (the same
    exchanges in the same order, none missing) and returns the same outputs, sending nothing."""
    runtime = importlib.import_module(durable_module.__name__.rpartition(".")[0] + "._durable")
    arguments = dict(given)
    if variant.sleeps:
        arguments["sleep"] = lambda seconds: None
    arguments.pop("on_step", None)
    token = runtime._EXCHANGES.set(runtime._Replayer(run_id))
    try:
        replayed = variant.function(**arguments)
    finally:
        runtime._EXCHANGES.reset(token)
    assert replayed == outputs, f"run {run_id} replayed to {replayed!r}, not {outputs!r}"


def _durable_call(durable_module: ModuleType, variant: Any) -> Callable[..., Any]:
    @functools.wraps(variant.function)  # its name, docstring and signature
    def call(**kwargs: Any) -> Any:
        runs = _harness_durable(durable_module)
        given = dict(kwargs)
        runs.clients = {c.module: kwargs.pop(c.param) for c in variant.clients if c.param in kwargs}
        runs.sleep = kwargs.pop("sleep", None)
        runs.on_step = kwargs.pop("on_step", None)
        run_id = f"behaviour-{next(_RUN_NUMBERS)}"
        outputs = runs.run(variant, kwargs, run_id=run_id)
        _check_replay(durable_module, variant, given, run_id, outputs)
        return outputs

    return call


# -- the scripted server ----------------------------------------------------------------------------------
@dataclass
class Reply:
    """One scripted response: a JSON body (any JSON value), or ``text`` bytes/str with ``content_type``."""

    status: int = 200
    json: Any = None
    text: str | bytes | None = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> tuple[bytes, str | None]:
        if self.text is not None:
            raw = self.text.encode() if isinstance(self.text, str) else self.text
            return raw, self.content_type or "text/plain"
        if self.json is None:
            return b"", self.content_type
        return json.dumps(self.json).encode(), self.content_type or "application/json"


@dataclass
class Recorded:
    method: str
    path: str  # without the query
    query: list[tuple[str, str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    raw_query: str = ""  # the query as sent, undecoded (an OpenAPI 3.2 ``querystring`` parameter's text)

    @property
    def line(self) -> str:
        """``"GET /items"``: method and path, for compact assertions on the sequence of requests."""
        return f"{self.method} {self.path}"

    def json(self) -> Any:
        return json.loads(self.body)


Script = dict[tuple[str, str], list[Reply]] | Callable[[Recorded], Reply]


class ScriptedServer:
    """An HTTP server on 127.0.0.1 answering from a script and recording every request.

    ``script`` maps ``(METHOD, path)`` to the replies in order (the last one repeats), or is a function from
    the recorded request to a reply.  A request the script does not cover gets 599 with a JSON explanation,
    and is recorded, so a test asserting the requests made sees it.
    """

    def __init__(self, script: Script) -> None:
        self.script = script
        self.requests: list[Recorded] = []
        self._served: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _reply(self, request: Recorded) -> Reply:
        if callable(self.script):
            return self.script(request)
        key = (request.method, request.path)
        replies = self.script.get(key)
        if not replies:
            return Reply(599, {"unscripted": request.line})
        with self._lock:
            index = self._served.get(key, 0)
            self._served[key] = index + 1
        return replies[min(index, len(replies) - 1)]

    def __enter__(self) -> Self:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                recorded = Recorded(
                    self.command,
                    parts.path,
                    parse_qsl(parts.query, keep_blank_values=True),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                    parts.query,
                )
                with server._lock:
                    server.requests.append(recorded)
                reply = server._reply(recorded)
                payload, content_type = reply.encode()
                self.send_response(reply.status)
                if content_type:
                    self.send_header("Content-Type", content_type)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def scripted(script: Script) -> Iterator[ScriptedServer]:
    with ScriptedServer(script) as server:
        yield server
