"""What the compiler reads, and how much: confinement to the specs root, no network, bounded parsing.

Each test builds a tiny project in ``tmp_path`` (``specs/arazzo/pets.arazzo.yml`` and the API description
``specs/openapi/pets.yml`` it names) with one hostile change, runs the CLI from ``tmp_path`` and asserts the
exit code, the exact located diagnostic and, where it matters, that hostile content appears nowhere (not in
the output, not in the generated files).  The memory and time hazards run the CLI in a subprocess under an
address-space limit and a timeout, so a regression fails the test instead of taking the machine down.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arazzo_gen.cli import EXIT_ERRORS, EXIT_OK, app
from arazzo_gen.read.loader import MAX_ALIAS_EXPANSION, MAX_DEPTH
from tests.conftest import NetworkAttempt

REPO = Path(__file__).resolve().parent.parent
WORKFLOW = "specs/arazzo/pets.arazzo.yml"
API = "specs/openapi/pets.yml"
SECRET = "SENTINEL-7f3a9c-do-not-print"
TIME_LIMIT = 10.0  # seconds for every hazard that must fail fast
MEMORY_LIMIT = 1536 * 1024 * 1024  # bytes of address space for the CLI under test

ARAZZO = """\
arazzo: 1.0.1
info:
  title: Pets
  version: 1.0.0
sourceDescriptions:
  - name: petsApi
    url: %URL%
    type: openapi
workflows:
  - workflowId: add-pet
    steps:
      - stepId: add
        operationId: addPet
        requestBody:
          payload: %PAYLOAD%
        successCriteria:
          - condition: $statusCode == 200
"""

OPENAPI = """\
openapi: 3.1.0
info:
  title: Pets
  version: 1.0.0
servers:
  - url: https://pets.example.com
paths:
  /pets:
    post:
      operationId: addPet
      requestBody:
        content:
          application/json:
            schema:
              $ref: "#/components/schemas/Pet"
      responses:
        "200":
          description: ok
components:
  schemas:
    Pet:
      type: object
      properties:
        name:
          type: string
%PET%"""
PET_LINE = OPENAPI.count("\n") + 1  # line of the first %PET% line


def write_project(
    root: Path, *, pet: str = "", payload: str = '{"name": "Rex"}', url: str = "../openapi/pets.yml"
) -> Path:
    """``root/specs`` with the workflow and the API; ``pet`` lines are added to the ``Pet`` schema."""
    (root / "specs" / "arazzo").mkdir(parents=True)
    (root / "specs" / "openapi").mkdir(parents=True)
    (root / WORKFLOW).write_text(ARAZZO.replace("%URL%", url).replace("%PAYLOAD%", payload), encoding="utf-8")
    (root / API).write_text(OPENAPI.replace("%PET%", pet), encoding="utf-8")
    return root / "specs"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def build(*args: str) -> tuple[int, str, str]:
    """Run ``arazzo-gen build specs -o out ARGS`` in process; (exit code, stdout, stderr)."""
    result = CliRunner().invoke(app, ["build", "specs", "-o", "out", *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def headlines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "[" in line and (": error[" in line or ": warning[" in line)]


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def build_bounded(
    root: Path, *args: str, timeout: float = 60, env: dict[str, str] | None = None, limit_memory: bool = True
) -> tuple[int, str, float]:
    """Run the CLI in a subprocess (address space limited); (exit code, stderr, seconds)."""
    started = time.perf_counter()
    process = subprocess.run(
        [sys.executable, "-m", "arazzo_gen", "build", "specs", "-o", "out", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        preexec_fn=_limit_memory if limit_memory else None,
        check=False,
    )
    return process.returncode, process.stderr, time.perf_counter() - started


def outside_message(what: str, root: str = "specs") -> str:
    return (
        f"{what} leads outside the specs root ({root}); it is not read - move the file inside the root, or widen "
        "the root with --root DIR"
    )


# -- 1. confinement: nothing outside the specs root is read ------------------------------------------------
def test_ref_to_proc_self_environ_is_refused_and_the_environment_never_printed(project: Path) -> None:
    write_project(project, pet="        leak:\n          $ref: /proc/self/environ\n")
    code, stderr, _ = build_bounded(project, env={"ARAZZO_TEST_SECRET": SECRET})
    assert SECRET not in stderr  # main printed the whole environment in a snippet
    assert code == EXIT_ERRORS, stderr
    assert headlines(stderr) == [
        f"{API}:{PET_LINE + 1}:17: error[outside-root]: " + outside_message("$ref '/proc/self/environ'")
    ]
    assert not (project / "out").exists()


def test_ref_to_a_credentials_file_outside_the_root_never_prints_the_key(project: Path) -> None:
    (project / "home" / ".aws").mkdir(parents=True)
    (project / "home" / ".aws" / "credentials").write_text(
        f"[default]\naws_secret_access_key = {SECRET}\n", encoding="utf-8"
    )
    write_project(project, pet="        leak:\n          $ref: ../../home/.aws/credentials#/default\n")
    code, _, stderr = build()
    assert SECRET not in stderr and "aws_secret_access_key" not in stderr  # main printed line 2 of the file
    assert code == EXIT_ERRORS
    assert headlines(stderr) == [
        f"{API}:{PET_LINE + 1}:17: error[outside-root]: "
        + outside_message("$ref '../../home/.aws/credentials#/default'")
    ]


def test_ref_to_an_outside_schema_is_refused_unless_root_widens_it(project: Path) -> None:
    (project / "shared").mkdir()
    (project / "shared" / "owner.yml").write_text(
        f"type: object\ndescription: {SECRET}\nproperties:\n  id:\n    type: string\n", encoding="utf-8"
    )
    write_project(project, pet="        owner:\n          $ref: ../../shared/owner.yml\n")
    code, stdout, stderr = build()
    assert code == EXIT_ERRORS
    assert headlines(stderr) == [
        f"{API}:{PET_LINE + 1}:17: error[outside-root]: " + outside_message("$ref '../../shared/owner.yml'")
    ]
    assert SECRET not in stdout + stderr
    assert not (project / "out").exists()

    code, _, stderr = build("--root", "shared")
    assert code == EXIT_OK, stderr
    models = (project / "out" / "arazzo_client" / "apis" / "pets" / "models.py").read_text(encoding="utf-8")
    assert SECRET in models  # allowed explicitly: the option really widens the root


def test_symlinked_spec_file_pointing_outside_is_refused_at_the_link(project: Path) -> None:
    specs = write_project(project)
    outside = project / "elsewhere"
    outside.mkdir()
    (outside / "pets.yml").write_text(
        (specs / "openapi" / "pets.yml").read_text(encoding="utf-8").replace("title: Pets", f"title: {SECRET}"),
        encoding="utf-8",
    )
    (specs / "openapi" / "pets.yml").unlink()
    (specs / "openapi" / "pets.yml").symlink_to(outside / "pets.yml")
    code, stdout, stderr = build()
    assert code == EXIT_ERRORS
    assert headlines(stderr) == [
        f"{WORKFLOW}:7:10: error[outside-root]: " + outside_message("source url '../openapi/pets.yml'"),
        f"{API}:1:1: error[outside-root]: "
        + outside_message(f"the symbolic link {API} to a file"),
    ]
    assert SECRET not in stdout + stderr


def test_symlinks_that_stay_inside_the_root_are_followed(project: Path) -> None:
    specs = write_project(project)
    (specs / "real").mkdir()
    (specs / "openapi" / "pets.yml").rename(specs / "real" / "pets.yml")
    (specs / "openapi" / "pets.yml").symlink_to(specs / "real" / "pets.yml")
    (specs / "linked").symlink_to(specs / "arazzo", target_is_directory=True)  # the same document twice
    code, _, stderr = build()
    assert code == EXIT_OK, stderr
    assert headlines(stderr) == []


def test_symlinked_folder_pointing_outside_is_not_followed(project: Path) -> None:
    specs = write_project(project)
    outside = project / "elsewhere"
    (outside / "more").mkdir(parents=True)
    (outside / "more" / "other.arazzo.yml").write_text(f"arazzo: 1.0.1\ninfo: {{title: {SECRET}}}\n")
    (specs / "linked").symlink_to(outside / "more", target_is_directory=True)
    code, stdout, stderr = build()
    assert code == EXIT_ERRORS
    assert headlines(stderr) == [
        "specs/linked:1:1: error[outside-root]: " + outside_message("the symbolic link specs/linked to a folder")
    ]
    assert SECRET not in stdout + stderr


def test_file_url_source_is_refused(project: Path) -> None:
    outside = project / "elsewhere"
    outside.mkdir()
    (outside / "pets.yml").write_text(OPENAPI.replace("%PET%", "").replace("Pets", SECRET), encoding="utf-8")
    url = (outside / "pets.yml").as_uri()
    write_project(project, url=url)
    code, stdout, stderr = build()
    assert code == EXIT_ERRORS
    assert headlines(stderr) == [f"{WORKFLOW}:7:10: error[outside-root]: " + outside_message(f"source url '{url}'")]
    assert SECRET not in stdout + stderr


def test_absolute_source_url_is_refused(project: Path) -> None:
    specs = write_project(project)
    url = str((specs / ".." / "elsewhere.yml").resolve())
    (project / "elsewhere.yml").write_text(OPENAPI.replace("%PET%", ""), encoding="utf-8")
    workflow = (project / WORKFLOW).read_text(encoding="utf-8").replace("../openapi/pets.yml", url)
    (project / WORKFLOW).write_text(workflow, encoding="utf-8")
    code, _, stderr = build()
    assert code == EXIT_ERRORS
    assert headlines(stderr) == [f"{WORKFLOW}:7:10: error[outside-root]: " + outside_message(f"source url '{url}'")]


def test_single_file_specs_root_is_the_nearest_pyproject_folder(project: Path) -> None:
    write_project(project)
    runner = CliRunner()
    # No pyproject.toml above: the root is the Arazzo file's own folder, so ../openapi is outside it.
    result = runner.invoke(app, ["build", WORKFLOW, "-o", "out"])
    assert result.exit_code == EXIT_ERRORS, result.stderr
    assert headlines(result.stderr) == [
        f"{WORKFLOW}:7:10: error[outside-root]: "
        + outside_message("source url '../openapi/pets.yml'", root="specs/arazzo")
    ]
    # A pyproject.toml in the project folder makes that folder the root.
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    result = runner.invoke(app, ["build", WORKFLOW, "-o", "out"])
    assert result.exit_code == EXIT_OK, result.stderr


def test_root_option_must_be_a_folder(project: Path) -> None:
    write_project(project)
    code, _, stderr = build("--root", "missing")
    assert code == 2
    assert stderr.strip() == "error: --root missing is not a folder"


# -- 2. no network ----------------------------------------------------------------------------------------
def test_the_socket_guard_refuses_non_loopback_hosts(no_network: list[str]) -> None:
    before = len(no_network)
    with pytest.raises(NetworkAttempt):
        socket.getaddrinfo("example.com", 80)
    with pytest.raises(NetworkAttempt), socket.socket() as sock:
        sock.connect(("192.0.2.1", 80))
    assert len(no_network) == before + 2
    del no_network[before:]  # the attempts were the point of this test


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "schemas.example.com"])
def test_schema_uris_are_never_fetched(project: Path, listener: tuple[int, list[object]], host: str) -> None:
    port, accepted = listener
    base = "http://" + host.format(port=port)
    write_project(
        project,
        pet=(
            "        child:\n"
            f"          $dynamicRef: {base}/child.json\n"
            "        parent:\n"
            f"          $recursiveRef: {base}/parent.json\n"
            "        owner:\n"
            f"          $ref: {base}/owner.json\n"
        ),
    )
    text = (project / API).read_text(encoding="utf-8")
    head = f'    Pet:\n      $id: {base}/pet.json\n      $schema: "https://json-schema.org/draft/2020-12/schema"\n'
    (project / API).write_text(text.replace("    Pet:\n", head), encoding="utf-8")
    line = PET_LINE + 2  # the two lines added above the properties
    code, _, stderr = build()
    assert accepted == []
    assert code == EXIT_OK, stderr
    assert headlines(stderr) == [
        (f"{API}:{line + 1}:24: warning[dynamic-ref]: $dynamicRef '{base}/child.json' is not followed (dynamic "
        "references are not supported, and nothing is fetched); the schema accepts any value here"),
        (f"{API}:{line + 3}:26: warning[dynamic-ref]: $recursiveRef '{base}/parent.json' is not followed "
        "(dynamic references are not supported, and nothing is fetched); the schema accepts any value here"),
        (f"{API}:{line + 5}:17: warning[unresolved-ref]: $ref '{base}/owner.json' does not resolve: remote "
        "references are not fetched; save the document next to this one"),
    ]
    models = (project / "out" / "arazzo_client" / "apis" / "pets" / "models.py").read_text(encoding="utf-8")
    assert "example.com" not in models and "127.0.0.1" not in models


# -- 3. bounded parsing -----------------------------------------------------------------------------------
def bomb(indent: str, levels: int = 9) -> str:
    """A 'billion laughs' mapping: 10 strings, each level a list of 10 aliases of the one before."""
    lines = [f'{indent}l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        aliases = ", ".join([f"*l{level - 1}"] * 10)
        lines.append(f"{indent}l{level}: &l{level} [{aliases}]")
    return "\n".join(lines) + "\n"


ALIAS_MESSAGE = (
    "the alias '*l{level}' expands the document beyond {limit:,} nodes (a YAML alias bomb?); arazzo-gen stops "
    "reading here"
)


def assert_fast_failure(root: Path, expected: list[str], *, absent: str | None = None) -> None:
    code, stderr, seconds = build_bounded(root)
    assert code == EXIT_ERRORS, stderr[-3000:]
    assert headlines(stderr) == expected
    assert seconds < TIME_LIMIT, f"took {seconds:.1f}s"
    if absent is not None:
        assert absent not in stderr


def _alias_diagnostic(file: str, text: str) -> str:
    """The expected alias-expansion diagnostic for a bomb written by :func:`bomb` into ``text``."""
    sizes = [11]
    for _ in range(1, 10):
        sizes.append(1 + 10 * sizes[-1])
    total = 0
    for number, line in enumerate(text.splitlines(), start=1):
        for level in range(1, 10):
            if f"l{level}: &l{level} [" not in line:
                continue
            for column in [index for index, char in enumerate(line) if char == "*"]:
                total += sizes[level - 1]
                if total > MAX_ALIAS_EXPANSION:
                    message = ALIAS_MESSAGE.format(level=level - 1, limit=MAX_ALIAS_EXPANSION)
                    return f"{file}:{number}:{column + 1}: error[alias-expansion]: {message}"
    raise AssertionError("the bomb does not reach the limit")


def test_alias_bomb_in_a_schema_example(project: Path) -> None:
    write_project(project, pet="      example:\n" + bomb("        "))
    text = (project / API).read_text(encoding="utf-8")
    assert_fast_failure(project, [_alias_diagnostic(API, text)])


def test_alias_bomb_in_a_step_payload(project: Path) -> None:
    write_project(project, payload="\n" + bomb("            "))
    text = (project / WORKFLOW).read_text(encoding="utf-8")
    assert_fast_failure(project, [_alias_diagnostic(WORKFLOW, text)])


def test_alias_bomb_in_nested_properties(project: Path) -> None:
    lines = ['        p0: &p0 {type: object, properties: {a: {type: string}, b: {type: string}}}']
    for level in range(1, 9):
        props = ", ".join(f"{chr(97 + i)}: *p{level - 1}" for i in range(10))
        lines.append(f"        p{level}: &p{level} {{type: object, properties: {{{props}}}}}")
    write_project(project, pet="\n".join(lines) + "\n")
    text = (project / API).read_text(encoding="utf-8")
    # p0 is 11 nodes (mapping, 2 keys, 'object', properties mapping, 2 keys, 2 schemas of 2 nodes); each
    # level is 1 + 4 + 10 keys + 10 aliases of the level below.
    sizes = [1 + 2 + 1 + 1 + 2 * (1 + 1 + 2)]
    for _ in range(1, 9):
        sizes.append(1 + 2 + 1 + 1 + 10 + 10 * sizes[-1])
    total, expected = 0, ""
    for number, line in enumerate(text.splitlines(), start=1):
        if "*p" not in line or expected:
            continue
        level = int(line.split(":")[0].strip()[1:])
        for column in [index for index, char in enumerate(line) if char == "*"]:
            total += sizes[level - 1]
            if total > MAX_ALIAS_EXPANSION:
                message = ALIAS_MESSAGE.format(level=level - 1, limit=MAX_ALIAS_EXPANSION).replace("*l", "*p")
                expected = f"{API}:{number}:{column + 1}: error[alias-expansion]: {message}"
                break
    assert expected
    assert_fast_failure(project, [expected])


def test_recursive_alias_is_an_error(project: Path) -> None:
    write_project(project, pet="      example: &loop {name: Rex, self: *loop}\n")
    column = OPENAPI.replace("%PET%", "      example: &loop {name: Rex, self: *loop}\n").splitlines()[
        PET_LINE - 1
    ].index("*loop")
    assert_fast_failure(
        project,
        [
            (f"{API}:{PET_LINE}:{column + 1}: error[invalid-syntax]: invalid YAML: the alias '*loop' refers to a node "
            "that contains it (a recursive alias); JSON data cannot be recursive")
        ],
    )


@pytest.mark.parametrize("suffix", ["yml", "json"])
def test_ten_thousand_deep_nesting_is_a_located_error(project: Path, suffix: str) -> None:
    write_project(project)
    depth = 10_000
    text = '{"deep": ' + "[" * depth + "]" * depth + "}\n"
    (project / "specs" / f"deep.{suffix}").write_text(text, encoding="utf-8")
    column = len('{"deep": ') + MAX_DEPTH
    assert_fast_failure(
        project,
        [
            (f"specs/deep.{suffix}:1:{column}: error[too-deep]: the document nests deeper than {MAX_DEPTH} levels; "
            "arazzo-gen stops reading here")
        ],
    )


def test_nesting_at_the_limit_builds_through_every_stage(project: Path) -> None:
    """The deepest document the reader accepts also goes through lowering and model generation."""
    levels = (MAX_DEPTH - 8) // 2  # the Pet schema sits 6 levels deep; each nested property adds 2
    schema = "{type: string}"
    for _ in range(levels):
        schema = "{type: object, properties: {inner: " + schema + "}}"
    payload = "[" * (MAX_DEPTH - 8) + "]" * (MAX_DEPTH - 8)
    write_project(project, pet=f"        nested: {schema}\n", payload=payload)
    code, stderr, _ = build_bounded(project, timeout=240, limit_memory=False)
    assert code == EXIT_OK, stderr[-3000:]


def test_fifteen_hundred_deep_ref_chain_still_builds(project: Path) -> None:
    length = 1500
    chain = "".join(
        f"    S{index}:\n      $ref: '#/components/schemas/S{index + 1}'\n" for index in range(length)
    )
    chain += f"    S{length}:\n      type: object\n      properties:\n        id:\n          type: string\n"
    write_project(project, pet="        link:\n          $ref: '#/components/schemas/S0'\n" + chain)
    code, stderr, _ = build_bounded(project, timeout=240, limit_memory=False)
    assert code == EXIT_OK, stderr[-3000:]


def api_json(pet: dict[str, object]) -> str:
    document = {
        "openapi": "3.1.0",
        "info": {"title": "Pets", "version": "1.0.0"},
        "servers": [{"url": "https://pets.example.com"}],
        "paths": {
            "/pets": {
                "post": {
                    "operationId": "addPet",
                    "requestBody": {
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}
                    },
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
        "components": {"schemas": {"Pet": pet}},
    }
    return json.dumps(document, indent=2)


def test_lone_surrogate_in_json_is_a_located_error(project: Path) -> None:
    write_project(project)
    text = api_json({"type": "object", "description": "SURROGATE"}).replace("SURROGATE", "caf\\u00e9 \\ud800!")
    (project / API).write_text(text, encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), start=1) if "\\ud800" in row)
    column = text.splitlines()[line - 1].index("\\ud800") + 1
    assert_fast_failure(
        project,
        [
            (f"{API}:{line}:{column}: error[invalid-encoding]: a lone UTF-16 surrogate escape (\\ud800-\\udfff "
            "without its pair) is not a character; remove it or write the whole surrogate pair")
        ],
    )


def test_non_utf8_bytes_are_located_at_their_line(project: Path) -> None:
    write_project(project, pet="        nickname:\n          description: cafE9 au lait\n")
    (project / API).write_bytes((project / API).read_bytes().replace(b"cafE9", b"caf\xe9"))
    assert_fast_failure(
        project,
        [
            (f"{API}:{PET_LINE + 1}:27: error[invalid-encoding]: the file is not UTF-8: bytes e9 at line "
            f"{PET_LINE + 1} cannot be decoded; re-save the file as UTF-8")
        ],
    )


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_in_json_are_located_errors(project: Path, token: str) -> None:
    write_project(project)
    text = api_json({"type": "number", "maximum": "TOKEN"}).replace('"TOKEN"', token)
    (project / API).write_text(text, encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), start=1) if token in row)
    column = text.splitlines()[line - 1].index(token) + 1
    assert_fast_failure(
        project,
        [
            (f"{API}:{line}:{column}: error[non-finite-number]: '{token}' is not a finite number; JSON (and so "
            "OpenAPI and Arazzo) has no NaN or Infinity - write a number, or quote it to make it a string")
        ],
    )


@pytest.mark.parametrize("token", [".nan", ".inf", "-.inf", ".NaN"])
def test_nan_and_infinity_in_yaml_are_located_errors(project: Path, token: str) -> None:
    write_project(project, pet=f"        weight:\n          type: number\n          default: {token}\n")
    assert_fast_failure(
        project,
        [
            (f"{API}:{PET_LINE + 2}:20: error[non-finite-number]: '{token}' is not a finite number; JSON (and so "
            "OpenAPI and Arazzo) has no NaN or Infinity - write a number, or quote it to make it a string")
        ],
    )


def test_quoted_nan_stays_a_string(project: Path) -> None:
    write_project(project, pet='        weight:\n          type: string\n          default: ".nan"\n')
    code, _, stderr = build()
    assert code == EXIT_OK, stderr
