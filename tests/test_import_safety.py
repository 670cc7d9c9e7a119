"""The generated package imports wherever it built, and document text never reaches a generated file raw.

* ``format: email`` makes datamodel-code-generator emit pydantic's ``EmailStr``, which needs the
  ``email-validator`` distribution when the class is created: the generated ``pyproject.toml`` depends on it
  exactly when a models module imports it.
* An ECMA-262 ``pattern`` that pydantic's regex engine rejects (``[[A-Z0-9]{1,18}``) would make the models
  module fail at import: the build checks every pattern with the engine the class uses, drops the ones that
  do not compile with a located ``unsupported-pattern`` warning, and keeps every other pattern.
* Control, format (bidi, zero-width) and separator characters from the documents (ESC, U+202E, U+0085,
  U+2028, NUL, DEL, ...) are escaped in every generated file, and a string literal keeps its exact value: a
  payload full of them reaches a 127.0.0.1 server byte for byte.

The hostile documents are written by :func:`hostile_documents` from Python data as JSON with ``\\u`` escapes,
because most of these characters cannot be written raw in YAML or JSON at all.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import unicodedata
import venv
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

import pytest
from typer.testing import CliRunner

from arazzo_gen.cli import EXIT_OK, app
from arazzo_gen.emit.models import model_dependencies, nested_builds, order_classes, pattern_error
from arazzo_gen.emit.text import escape_source, py_str, toml_str

FIXTURES = Path(__file__).parent / "fixtures" / "import_safety"
PACKAGE = "safe_pkg"

# Every kind of character that must not appear raw: an ANSI colour escape (ESC), the bidi override U+202E,
# NEL U+0085, the line and paragraph separators, NUL, DEL, the C1 CSI U+009B, RLM U+200F, the BOM, a
# backspace and a carriage return.
HOSTILE = "\x1b[31m\u202e\u0085\u2028\u2029\x00\x7f\x9b\u200f\ufeff\x08\r"
UNSAFE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}


def h(text: str) -> str:
    """``text`` followed by every hostile character."""
    return f"{text}{HOSTILE}end"


# -- helpers ---------------------------------------------------------------------------------------------------
def build(root: Path, *extra: str) -> Any:
    """Run ``arazzo-gen build specs -o out --package safe_pkg`` in ``root``; returns the typer result."""
    old = Path.cwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(app, ["build", "specs", "-o", "out", "--package", PACKAGE, *extra])
    finally:
        os.chdir(old)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


HEADLINE = re.compile(r"^\S+:\d+:\d+: (error|warning)\[[a-z0-9-]+\]: ")


def headlines(stderr: str) -> list[str]:
    """The ``path:line:col: severity[rule]: message`` lines of a text report (snippets left out)."""
    return [line for line in stderr.splitlines() if HEADLINE.match(line)]


def run_python(code: str, cwd: Path, python: str = sys.executable) -> subprocess.CompletedProcess[str]:
    return subprocess.run([python, "-c", code], cwd=cwd, capture_output=True, text=True, check=False, timeout=120)


def raw_unsafe(text: str) -> list[tuple[int, str]]:
    """(line, character name) of every character of an unsafe category other than a new line or a tab."""
    found = []
    for number, line in enumerate(text.split("\n"), start=1):
        for ch in line:
            if unicodedata.category(ch) in UNSAFE_CATEGORIES and ch != "\t":
                found.append((number, f"U+{ord(ch):04X}"))
    return found


@pytest.fixture(scope="module")
def extras_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    root = tmp_path_factory.mktemp("extras")
    shutil.copytree(FIXTURES / "extras_and_patterns" / "specs", root / "specs")
    return root, build(root)


# -- 1. optional dependencies of the models ------------------------------------------------------------------
def test_email_format_makes_email_validator_a_dependency(extras_build: tuple[Path, Any]) -> None:
    root, result = extras_build
    assert result.exit_code == EXIT_OK, result.stderr
    models = (root / "out" / PACKAGE / "apis" / "members" / "models.py").read_text()
    assert "    email: EmailStr\n" in models and "    backup: EmailStr | None = None\n" in models
    pyproject = (root / "out" / "pyproject.toml").read_text()
    assert 'dependencies = [\n    "httpx>=0.27",\n    "pydantic>=2.9",\n    "email-validator>=2.0",\n]' in pyproject
    imported = run_python(
        "from safe_pkg.apis.members.models import Member\n"
        "import pydantic\n"
        "print(Member(email='ada@example.com').email)\n"
        "try:\n    Member(email='not an address')\nexcept pydantic.ValidationError:\n    print('rejected')\n",
        cwd=root / "out",
    )
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.split() == ["ada@example.com", "rejected"]


def test_no_extra_dependency_without_email_fields() -> None:
    source = "from pydantic import BaseModel, Field\nfrom typing import Annotated\nimport datetime\n"
    assert model_dependencies(source) == set()
    assert model_dependencies("from pydantic import NameEmail\n") == {"email-validator>=2.0"}
    assert model_dependencies("from ulid import ULID\n") == {"python-ulid>=3.0"}
    with pytest.raises(RuntimeError, match="'somewhere'"):
        model_dependencies("import somewhere\n")


def test_email_package_installs_and_imports_in_a_fresh_venv(
    extras_build: tuple[Path, Any], tmp_path: Path
) -> None:
    """``pip install OUT`` alone brings everything the models need (needs the package index)."""
    root, result = extras_build
    assert result.exit_code == EXIT_OK, result.stderr
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = str(env_dir / "bin" / "python")
    install = subprocess.run(
        [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", str(root / "out")],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    if install.returncode != 0 and "Could not find a version" in install.stderr:
        pytest.skip("no package index reachable: " + install.stderr.strip().splitlines()[-1])
    assert install.returncode == 0, install.stderr[-3000:]
    imported = run_python(
        "import safe_pkg.workflows\nfrom safe_pkg.apis.members.models import Member\n"
        "print(Member(email='ada@example.com').email)",
        cwd=tmp_path,
        python=python,
    )
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == "ada@example.com"


# -- 2. patterns the regex engine rejects ----------------------------------------------------------------------
UNSUPPORTED = (
    ("specs/openapi/members.yaml:42:20: warning[unsupported-pattern]: pattern '^\\cA+$' does not compile"
     " with pydantic's regex engine (rust-regex: unrecognized escape sequence); the field is generated without"
     " the pattern, so values are not checked against it"),
    ("specs/openapi/members.yaml:49:13: warning[unsupported-pattern]: pattern '^x-[[' does not compile"
     " with pydantic's regex engine (rust-regex: unclosed character class); the field is generated without the"
     " pattern, so values are not checked against it"),
    ("specs/openapi/members.yaml:59:20: warning[unsupported-pattern]: pattern 'a{,3}[' does not compile"
     " with pydantic's regex engine (python-re: unterminated character set at position 5); the field is"
     " generated without the pattern, so values are not checked against it"),
)


def test_unsupported_patterns_are_dropped_with_a_located_warning(extras_build: tuple[Path, Any]) -> None:
    root, result = extras_build
    assert result.exit_code == EXIT_OK, result.stderr
    # the path parameter's pattern (line 17) is not reported: parameters are typed without patterns
    assert headlines(result.stderr) == list(UNSUPPORTED)
    models = (root / "out" / PACKAGE / "apis" / "members" / "models.py").read_text()
    # ECMA-262 reads "[[" as a class holding "["; datamodel-code-generator (>= 0.97) writes it as "[\\[", which
    # the Rust engine accepts, so that pattern (line 39) is kept rather than dropped
    assert '    code: Annotated[str | None, Field(pattern="[\\\\[A-Z0-9]{1,18}")] = None\n' in models
    assert "    labels: dict[Annotated[str, StringConstraints()], str] | None = None\n" in models
    assert 'Field(pattern="^[a-z]+$")' in models  # a pattern the engine accepts is kept
    assert 'Field(pattern="^(?!0)[0-9]{3}$")' in models  # kept: the class uses regex_engine="python-re"


def test_package_with_unsupported_patterns_imports_and_keeps_the_others(extras_build: tuple[Path, Any]) -> None:
    root, _ = extras_build
    imported = run_python(
        "import pydantic\n"
        "import safe_pkg.workflows\n"
        "from safe_pkg.apis.members.models import Member, Reviewed\n"
        "m = Member(email='ada@example.com', code='[[x', ref='\\x01', labels={'x-[[': 'v'})\n"
        "print(m.code, Reviewed(code='123', note='{').code)\n"
        "for bad in (lambda: Member(email='ada@example.com', slug='ABC'), lambda: Reviewed(code='012')):\n"
        "    try:\n        bad()\n    except pydantic.ValidationError:\n        print('rejected')\n",
        cwd=root / "out",
    )
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.split() == ["[[x", "123", "rejected", "rejected"]


def test_pattern_check_uses_pydantics_engines() -> None:
    assert pattern_error("[[A-Z0-9]{1,18}", "rust-regex") == "unclosed character class"
    assert pattern_error("[[A-Z0-9]{1,18}", "python-re") is None  # Python's re reads it as a set with '['
    assert pattern_error("^(?=a)b", "rust-regex") is not None
    assert pattern_error("^(?=a)b", "python-re") is None
    assert pattern_error(r"^\d{3}-(?<name>\w+)$", "rust-regex") is None


def test_strict_makes_an_unsupported_pattern_an_error(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "extras_and_patterns" / "specs", tmp_path / "specs")
    result = build(tmp_path, "--strict")
    assert result.exit_code == 1
    assert headlines(result.stderr)[0] == UNSUPPORTED[0].replace(": warning[", ": error[")
    assert not (tmp_path / "out").exists()


# -- 3. control, bidi and separator characters -----------------------------------------------------------------
class EchoServer:
    """A 127.0.0.1 server that records each request and answers 200 with the JSON request body."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, bytes]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                owner.requests.append((self.path, body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


PAYLOAD = {"name": h("payload"), h("key"): [h("item"), 1, True], "plain": h("value")}
REGEX = "^payload\x1b\\[31m\u202e\u0085\u2028\u2029\x00\x7f"


def hostile_documents(specs: Path, server_url: str) -> None:
    """An Arazzo document and the OpenAPI document it uses with hostile text in every string position."""
    api = {
        "openapi": "3.0.3",
        "info": {"title": h("Hostile API "), "version": h("1."), "description": h("API description ")},
        "servers": [{"url": server_url, "description": h("server ")}],
        "paths": {
            "/things/{id}": {
                "post": {
                    "operationId": h("make-thing"),
                    "summary": h("Summary "),
                    "description": h("Operation description "),
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"},
                         "description": h("path ")},
                        {"name": h("q-name"), "in": "query", "description": h("query "),
                         "schema": {"type": "string", "default": h("qdefault"), "example": h("qexample")}},
                        {"name": h("X-Head"), "in": "header", "schema": {"type": "string"}},
                    ],
                    "requestBody": {"required": True, "description": h("body "),
                                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                    "responses": {
                        "200": {"description": h("ok "),
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                        "404": {"description": h("not found ")},
                    },
                }
            },
            "/echo": {
                "post": {
                    "operationId": "echo",
                    "summary": h("Echo "),
                    "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}}],
                    "requestBody": {"required": True,
                                    "content": {"application/json": {"schema": {"type": "object"}}}},
                    "responses": {"200": {"description": h("echoed "), "content": {"application/json": {
                        "schema": {"type": "object", "properties": {"name": {"type": "string"}}}}}}},
                }
            },
        },
        "components": {
            "schemas": {
                "Thing": {
                    "type": "object",
                    "title": h("Title "),
                    "description": h("Thing description "),
                    "required": ["name"],
                    "example": {"name": h("example")},
                    "properties": {
                        "name": {"type": "string", "description": h("name "), "example": h("example"),
                                 "pattern": "^[^\u202e]*"},
                        h("weird"): {"type": "string", "description": h("weird "), "default": h("default")},
                        "kind": {"$ref": "#/components/schemas/Kind"},
                        "only": {"type": "string", "enum": [h("only")], "default": h("only")},
                    },
                },
                "Kind": {"type": "string", "description": h("Kind "), "enum": [h("a"), h("b"), "plain"],
                         "default": "plain"},
                h("Odd"): {"type": "object", "description": h("odd "),
                           "properties": {"x": {"type": "integer", "description": h("x ")}}},
            },
            "securitySchemes": {
                h("key"): {"type": "apiKey", "in": "header", "name": "X-Key", "description": h("scheme ")}
            },
        },
    }  # fmt: skip
    arazzo = {
        "arazzo": "1.0.1",
        "info": {"title": h("Hostile flows "), "summary": h("summary "), "version": h("1."),
                 "description": h("document ")},
        # a Source Description Object has no 'description' (it would be unknown-field): an extension carries it
        "sourceDescriptions": [{"name": "hostile", "url": "../openapi/hostile.json", "type": "openapi",
                                "x-description": h("source ")}],
        "workflows": [
            {
                "workflowId": h("make"),
                "summary": h("Make "),
                "description": h("Make description "),
                "inputs": {"type": "object", "required": ["id"], "properties": {
                    "id": {"type": "string", "description": h("id ")},
                    h("in-put"): {"type": "string", "description": h("input "), "default": h("input-default")},
                }},
                "steps": [{
                    "stepId": "create",
                    "description": h("Step "),
                    "operationId": h("make-thing"),
                    "parameters": [
                        {"name": "id", "in": "path", "value": "$inputs.id"},
                        {"name": h("q-name"), "in": "query", "value": h("query value")},
                        {"name": h("X-Head"), "in": "header", "value": h("header value")},
                    ],
                    "requestBody": {"contentType": "application/json",
                                    "payload": {"name": h("name"), h("weird"): h("w"), "kind": h("a")}},
                    "successCriteria": [
                        {"condition": "$statusCode == 200"},
                        {"condition": f"$response.body#/name == '{h('criterion')}'"},
                        {"context": "$response.body#/name", "condition": REGEX, "type": "regex"},
                    ],
                    "outputs": {h("out-name"): "$response.body#/name", "name": "$response.body#/name",
                                "kind": "$response.body#/kind"},
                }],
                "outputs": {h("wf-out"): "$steps.create.outputs.name", "kind": "$steps.create.outputs.kind"},
            },
            {
                "workflowId": "echo",
                "summary": h("Send hostile literals "),
                "steps": [{
                    "stepId": "send",
                    "operationId": "echo",
                    "parameters": [{"name": "q", "in": "query", "value": h("query")}],
                    "requestBody": {"contentType": "application/json", "payload": PAYLOAD},
                    "successCriteria": [
                        {"condition": "$statusCode == 200"},
                        {"condition": f"$response.body#/name == '{h('payload')}'"},
                        {"context": "$response.body#/name", "condition": REGEX, "type": "regex"},
                    ],
                    "outputs": {"name": "$response.body#/name"},
                }],
                "outputs": {h("echoed"): "$steps.send.outputs.name"},
            },
        ],
    }  # fmt: skip
    (specs / "openapi").mkdir(parents=True)
    (specs / "arazzo").mkdir(parents=True)
    # ensure_ascii: every character is a \\u escape, so the files themselves are plain ASCII
    (specs / "openapi" / "hostile.json").write_text(json.dumps(api, indent=2))
    (specs / "arazzo" / "hostile.arazzo.json").write_text(json.dumps(arazzo, indent=2))


@pytest.fixture(scope="module")
def echo_server() -> Iterator[EchoServer]:
    with EchoServer() as server:
        yield server


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory: pytest.TempPathFactory, echo_server: EchoServer) -> tuple[Path, Any]:
    root = tmp_path_factory.mktemp("hostile")
    hostile_documents(root / "specs", echo_server.url)
    return root, build(root)


def test_hostile_text_builds(hostile_build: tuple[Path, Any]) -> None:
    _, result = hostile_build
    assert result.exit_code == EXIT_OK, result.stderr
    assert headlines(result.stderr) == []


def test_no_raw_control_or_bidi_character_in_any_generated_file(hostile_build: tuple[Path, Any]) -> None:
    root, _ = hostile_build
    files = sorted(p for p in (root / "out").rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    assert {p.relative_to(root / "out").as_posix() for p in files} >= {
        "README.md", "pyproject.toml", f"{PACKAGE}/apis/hostile/models.py", f"{PACKAGE}/apis/hostile/client.py",
        f"{PACKAGE}/workflows/hostile.py",
    }  # fmt: skip
    found = {p.relative_to(root / "out").as_posix(): raw_unsafe(p.read_text("utf-8")) for p in files}
    assert {name: hits[:5] for name, hits in found.items() if hits} == {}
    # the text is still there, visibly escaped: in docstrings, comments and Markdown as \\u202e-style text
    readme = (root / "out" / "README.md").read_text()
    assert "Hostile API \\x1b[31m\\u202e\\x85\\u2028\\u2029\\x00\\x7f\\x9b\\u200f\\ufeff\\x08\\x0dend" in readme


def test_hostile_package_imports_and_type_checks(hostile_build: tuple[Path, Any]) -> None:
    root, _ = hostile_build
    imported = run_python(f"import {PACKAGE}.workflows, {PACKAGE}.apis.hostile.client", cwd=root / "out")
    assert imported.returncode == 0, imported.stderr
    for path in (root / "out" / PACKAGE).rglob("*.py"):
        ast.parse(path.read_text("utf-8"))  # a document string is never code: every file still parses
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull, PACKAGE],
        cwd=root / "out", capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert mypy.returncode == 0, mypy.stdout[-3000:]


def test_string_literals_keep_their_exact_values(hostile_build: tuple[Path, Any]) -> None:
    """Enum values, model defaults, examples, aliases and output names are the documents' strings, unchanged.

    (Input and parameter defaults are not emitted as code: an omitted input or parameter is not sent.)"""
    root, _ = hostile_build
    probe = f"""
import inspect, json
from {PACKAGE}.apis.hostile import models
from {PACKAGE} import workflows
make = next(getattr(workflows, n) for n in workflows.__all__ if n.startswith("make") and not n.endswith("_async")
            and inspect.isfunction(getattr(workflows, n)))
thing = models.Thing.model_fields
weird = next(f for f in thing.values() if f.alias and f.alias.startswith("weird"))
outputs = inspect.signature(make).return_annotation
outputs = getattr(workflows, outputs) if isinstance(outputs, str) else outputs
print(json.dumps({{
    "enum": [k.value for k in models.Kind],
    "only": [k.value for k in models.ThingOnly],
    "alias": weird.alias,
    "default": weird.default,
    "examples": thing["name"].examples,
    "output_aliases": sorted(f.serialization_alias for f in outputs.model_fields.values()),
}}))
"""
    result = run_python(probe, cwd=root / "out")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "enum": [h("a"), h("b"), "plain"],
        "only": [h("only")],
        "alias": h("weird"),
        "default": h("default"),
        "examples": [h("example")],
        "output_aliases": sorted([h("wf-out"), "kind"]),
    }


def test_payload_literals_reach_the_server_byte_for_byte(
    hostile_build: tuple[Path, Any], echo_server: EchoServer
) -> None:
    root, _ = hostile_build
    echo_server.requests.clear()
    probe = f"""
import json
from {PACKAGE}.workflows import echo
print(json.dumps(echo().model_dump(by_alias=True)))
"""
    result = run_python(probe, cwd=root / "out")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {h("echoed"): h("payload")}
    [(path, body)] = echo_server.requests
    assert json.loads(body) == PAYLOAD
    assert parse_qs(urlsplit(path).query, keep_blank_values=True) == {"q": [h("query")]}


# -- the escaping helpers themselves ---------------------------------------------------------------------------
ASTRAL_FORMAT = "\U000e0001"  # LANGUAGE TAG, a format character outside the BMP
ALL_UNSAFE = HOSTILE + "\u2066\u2069\u200b\u00ad\x85" + ASTRAL_FORMAT + "\ud800"


def test_py_str_escapes_every_unsafe_character_and_keeps_the_value() -> None:
    for value in (ALL_UNSAFE, "back\\slash \"quote\" \n\t" + ALL_UNSAFE, "café 日本語 🚀"):
        literal = py_str(value)
        assert raw_unsafe(literal) == [] and "\n" not in literal and "\t" not in literal
        assert ast.literal_eval(literal) == value
    assert py_str("café 🚀") == '"café 🚀"'  # printable text stays readable


def test_toml_str_is_valid_toml() -> None:
    import tomllib

    value = HOSTILE + "\x7f\x85\u202e" + ASTRAL_FORMAT
    assert tomllib.loads(f"x = {toml_str(value)}")["x"] == value


@pytest.mark.parametrize(
    "source",
    [
        'x = "a\x1b[31m\u202e\x85\u2028z"\n',
        'x = "a\\\x85z"\n',  # a backslash in front of the character: an unknown escape, kept as a backslash
        "x = 'a\\'\u202e'\n",
        'x = r"a\\d\u202e\x85"\n',
        'x = r"""doc \\ "q" \u202e\nline2\x85"""\n',
        'class A:\n    """\n    K \x1b[31m\u202e\x85\u2028\u2029\\x00\x7f\x9b\u200f\ufeff\x08\n    end\n    """\n',
        'x = 1  # comment \u202e\x1b\n',
        'x = f"a{1}\u202e{{"\n',
        'x = b"a\x1b"\n',
        f'x = "{ASTRAL_FORMAT}\ud800"\n',
    ],
)
def test_escape_source_keeps_every_literal_value(source: str) -> None:
    escaped = escape_source(source)
    assert raw_unsafe(escaped) == []

    def constants(text: str) -> list[object]:
        return [node.value for node in ast.walk(ast.parse(text)) if isinstance(node, ast.Constant)]

    if "\ud800" in source:  # a lone surrogate cannot be parsed raw; compare with the escaped form's value
        assert ast.literal_eval(escaped.split(" = ", 1)[1]) == ASTRAL_FORMAT + "\ud800"
    else:
        assert constants(escaped) == constants(source)
    assert escape_source("x = 'clean'  # text\n") == "x = 'clean'  # text\n"


# -- 4. deep model graphs --------------------------------------------------------------------------------------
CHAIN = 1500  # object schemas, each with a property $ref-ing the next


def ref(target: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{target}"}


def chain_documents(
    specs: Path,
    length: int,
    *,
    cycle: bool = False,
    link: Callable[[str], Any] = ref,
    required: bool = False,
    leaf: Any = None,
) -> None:
    """An API whose response is ``A0``, an object whose ``next`` property is an ``A1``, ... up to ``A<length>``
    (``cycle``: up to ``A<length - 1>``, whose ``next`` is an ``A0``); ``next`` has the schema ``link`` gives for
    the name of the next schema (a ``$ref`` to it), and is ``required`` or not; each has one more property
    of the schema ``leaf``, if given."""
    schemas: dict[str, Any] = {
        f"A{index}": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "next": link(f"A{(index + 1) % length if cycle else index + 1}"),
                **({"leaf": leaf} if leaf is not None else {}),
            },
            **({"required": ["next"]} if required else {}),
        }
        for index in range(length)
    }
    if not cycle:
        schemas[f"A{length}"] = {"type": "object", "properties": {"id": {"type": "string"}}}
    ok = {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/A0"}}}}
    api = {
        "openapi": "3.0.3",
        "info": {"title": "Chain", "version": "1"},
        "servers": [{"url": "http://127.0.0.1:9"}],
        "paths": {"/a": {"get": {"operationId": "getA", "responses": {"200": ok}}}},
        "components": {"schemas": schemas},
    }
    flow = {
        "arazzo": "1.0.1",
        "info": {"title": "Chain", "version": "1"},
        "sourceDescriptions": [{"name": "chain", "url": "../openapi/chain.json", "type": "openapi"}],
        "workflows": [{"workflowId": "get", "steps": [{"stepId": "a", "operationId": "getA"}]}],
    }
    (specs / "openapi").mkdir(parents=True)
    (specs / "arazzo").mkdir()
    (specs / "openapi" / "chain.json").write_text(json.dumps(api, indent=1), encoding="utf-8")
    (specs / "arazzo" / "chain.arazzo.json").write_text(json.dumps(flow, indent=1), encoding="utf-8")


def test_fifteen_hundred_deep_model_chain_imports_and_validates(tmp_path: Path) -> None:
    """main: datamodel-code-generator orders about 500 of the classes leaves first and the rest by name, so
    creating ``A99`` made pydantic build ``A100`` ... ``A1000`` inline, one inside the other: ``RecursionError``
    at import.  Every class now follows the classes it refers to, so each is complete when the next needs it."""
    chain_documents(tmp_path / "specs", CHAIN)
    result = build(tmp_path)
    assert result.exit_code == EXIT_OK, result.stderr
    models = (tmp_path / "out" / PACKAGE / "apis" / "chain" / "models.py").read_text()
    order = re.findall(r"^class (A\d+)\(", models, flags=re.MULTILINE)
    assert order == [f"A{index}" for index in range(CHAIN, -1, -1)]
    assert "model_rebuild" not in models  # no forward reference is left to resolve
    imported = run_python(
        f"import {PACKAGE}.workflows\n"
        f"from {PACKAGE}.apis.chain.models import A0\n"
        "data = {'id': 'leaf'}\n"
        f"for index in range({CHAIN}):\n    data = {{'name': str(index), 'next': data}}\n"
        "head = A0.model_validate(data)\n"
        "node = head\n"
        "while getattr(node, 'next', None) is not None:\n    node = node.next\n"
        "print(head.name, node.id)\n",
        cwd=tmp_path / "out",
    )
    assert imported.returncode == 0, imported.stderr[-3000:]
    assert imported.stdout.split() == [str(CHAIN - 1), "leaf"]


def test_classes_follow_the_classes_they_refer_to(tmp_path: Path) -> None:
    """A stable depth-first order; a cycle keeps its ``model_rebuild()`` calls (and so does a class that refers
    to a class of a cycle), a class complete at creation loses its call; the result imports and validates."""
    source = (
        "from __future__ import annotations\n\nfrom pydantic import BaseModel\n\n\n"
        "class B(BaseModel):\n    a: A | None = None\n\n\n"
        "class A(BaseModel):\n    x: int\n\n\n"
        "class Tree(BaseModel):\n    children: list[Tree] | None = None\n\n\n"
        "class C(BaseModel):\n    d: D | None = None\n\n\n"
        "class D(BaseModel):\n    c: C | None = None\n    b: B | None = None\n\n\n"
        "class E(BaseModel):\n    c: C\n\n\n"
        "A.model_rebuild()\nB.model_rebuild()\nC.model_rebuild()\nD.model_rebuild()\nTree.model_rebuild()\n"
    )
    ordered = order_classes(source)
    assert re.findall(r"^class (\w+)", ordered, flags=re.MULTILINE) == ["A", "B", "Tree", "C", "D", "E"]
    assert re.findall(r"^(\w+)\.model_rebuild\(\)$", ordered, flags=re.MULTILINE) == ["C", "D", "Tree"]
    assert order_classes(ordered) == ordered
    (tmp_path / "ordered_models.py").write_text(ordered, encoding="utf-8")
    checked = run_python(
        "from ordered_models import E, Tree\n"
        "print(E.model_validate({'c': {'d': {'c': {}, 'b': {'a': {'x': 1}}}}}).c.d.b.a.x)\n"
        "print(Tree.model_validate({'children': [{'children': []}]}).children[0].children)\n",
        cwd=tmp_path,
    )
    assert checked.returncode == 0, checked.stderr[-3000:]
    assert checked.stdout.split() == ["1", "[]"]


def test_a_reference_cycle_too_deep_to_import_is_a_located_error(tmp_path: Path) -> None:
    """1,500 object schemas in one reference cycle: no order lets pydantic complete one class without building
    the whole cycle inline (``RecursionError`` at import), so the build stops at the schema where it starts."""
    chain_documents(tmp_path / "specs", CHAIN, cycle=True)
    result = build(tmp_path)
    assert result.exit_code == 1
    text = (tmp_path / "specs" / "openapi" / "chain.json").read_text().splitlines()
    line = next(number for number, row in enumerate(text, start=1) if row.startswith('   "A999": {'))
    assert headlines(result.stderr) == [
        (f"specs/openapi/chain.json:{line}:4: error[model-cycle-too-deep]: the schemas 'A999' -> 'A1000' -> "
        "'A1001' -> 'A1002' -> ... of Chain refer to one another in a cycle that pydantic builds 1500 classes "
        "deep, one inside the next, when the models are imported: about 16545 Python frames, more than the 850 "
        "that Python's default recursion limit of 1000 leaves to it: the package could not be imported")
    ]


# How a schema of a reference cycle refers to the next, what datamodel-code-generator makes of it, and two
# lengths of the cycle: one that imports, one that would not (RecursionError under the default limit).
CYCLE_SHAPES = {
    "required ref (X)": (ref, True, 100, 150),
    "optional ref (X | None)": (ref, False, 60, 95),
    "anyOf (X | str | None)": (lambda name: {"anyOf": [ref(name), {"type": "string"}]}, False, 60, 95),
    "required array (list[X])": (lambda name: {"type": "array", "items": ref(name)}, True, 55, 80),
    "optional array (list[X] | None)": (lambda name: {"type": "array", "items": ref(name)}, False, 40, 60),
    "optional array with minItems (Annotated[list[X] | None, Field(min_length=1)])": (
        lambda name: {"type": "array", "items": ref(name), "minItems": 1}, False, 30, 50
    ),
    "optional map (dict[str, X] | None)": (
        lambda name: {"type": "object", "additionalProperties": ref(name)}, False, 40, 60
    ),
    "optional ref, and an email (pydantic imports email-validator deep in the cycle)": (ref, False, 55, 90),
    "optional ref, and a dict of arrays of strings (a root model)": (ref, False, 55, 90),
}
CYCLE_LEAVES = {
    "optional ref, and an email (pydantic imports email-validator deep in the cycle)": {
        "type": "string", "format": "email"
    },
    "optional ref, and a dict of arrays of strings (a root model)": {
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "string", "maxLength": 3}, "maxItems": 2},
    },
}


@pytest.mark.parametrize("shape", list(CYCLE_SHAPES))
@pytest.mark.parametrize("fits", [True, False], ids=["imports", "too-deep"])
def test_a_cycle_builds_only_if_it_imports_whatever_its_field_shape(tmp_path: Path, shape: str, fits: bool) -> None:
    """main: the build stopped from 140 classes, but pydantic spends 7 to 22 frames per class by the shape of
    the field that refers to the next: a cycle of 60 schemas each referring to the next by an optional array
    built with exit 0, and importing its models raised ``RecursionError``.  Now the frames are estimated from
    the annotations: a cycle that imports builds, and the estimate bounds the frames pydantic takes (the
    models import under a recursion limit of that estimate); a longer one is ``model-cycle-too-deep``."""
    link, required, short, long = CYCLE_SHAPES[shape]
    length = short if fits else long
    leaf = CYCLE_LEAVES.get(shape)
    chain_documents(tmp_path / "specs", length, cycle=True, link=link, required=required, leaf=leaf)
    result = build(tmp_path)
    if not fits:
        assert result.exit_code == 1
        rules = [re.sub(r".*\[(.*)\]: .*", r"\1", line) for line in headlines(result.stderr)]
        assert rules == ["model-cycle-too-deep"], result.stderr
        return
    assert result.exit_code == EXIT_OK, result.stderr
    models = tmp_path / "out" / PACKAGE / "apis" / "chain" / "models.py"
    chain, frames = nested_builds(models.read_text(encoding="utf-8"))
    assert len(chain) == short
    imported = run_python(
        f"import sys\nsys.setrecursionlimit({frames})\nimport models\n",
        cwd=models.parent,
    )
    assert imported.returncode == 0, imported.stderr[-3000:]


def test_nested_builds_follow_what_pydantic_builds_inline() -> None:
    """A cycle nests as deep as it is long, at the class created last; a chain in order does not nest; a class
    that refers to a complete cycle reuses it; a ``Literal`` string is a value, not a class."""
    cycle = "".join(f"class C{i}(BaseModel):\n    next: C{(i + 1) % 5} | None = None\n\n\n" for i in range(5))
    chain = "".join(f"class D{i}(BaseModel):\n    next: D{i - 1} | None = None\n\n\n" for i in range(1, 5))
    rebuilds = "".join(f"C{i}.model_rebuild()\n" for i in range(5))
    head = "class D0(BaseModel):\n    x: int\n\n\n"
    user = "class E(BaseModel):\n    c: C2\n\n\n"
    assert nested_builds(head + chain + cycle + user + rebuilds) == (["C4", "C0", "C1", "C2", "C3"], 45 + 5 * 11)
    assert nested_builds(head + chain) == (["D1"], 45 + 11)  # D1 reuses the complete D0
    value = "class P(BaseModel):\n    x: Literal['Q'] | None = None\n\n\nclass Q(BaseModel):\n    p: P\n\n\n"
    assert nested_builds(value) == (["P"], 45 + 7)  # a value, not the class: P is complete, Q reuses it


@pytest.mark.parametrize(
    ("annotation", "frames"),
    [
        ("Q", 7),
        ("Q | None = None", 11),
        ("Optional[Q] = None", 11),
        ("Q | str | None = None", 11),
        ("list[Q]", 13),
        ("list[Q] | None = None", 17),
        ("Optional[List[Q]] = None", 17),
        ("dict[str, Q] | None = None", 17),
        ("list[list[Q]] | None = None", 23),
        ("Annotated[Q | None, Field(alias='q')] = None", 11),
        ("Annotated[list[Q] | None, Field(min_length=1)] = None", 22),
        ("Annotated[list[Q] | None, Field(min_length=1, max_length=5)] = None", 25),
        ("list[Q] | None = Field(None, min_length=1)", 22),
        ("list[Annotated[Q, Field(alias='q')]]", 18),
        ("Frob[Q]", 13),  # a wrapper not measured counts as the costliest
    ],
)
def test_the_frames_of_a_nested_build_follow_the_field_shape(annotation: str, frames: int) -> None:
    """Measured on reference cycles (pydantic 2.14, Python 3.11): 7 frames per class built inline, 4 for a
    union, 6 for a list or a dict, 2 and 3 per constraint for ``Annotated``; none for a field's alias.  ``Q``
    is created last and builds ``P`` inline (7 frames), which refers to ``Q`` by ``annotation``."""
    source = f"class P(BaseModel):\n    x: {annotation}\n\n\nclass Q(BaseModel):\n    p: P\n\n\n"
    assert nested_builds(source) == (["Q", "P"], 45 + 7 + frames)
