"""The command line end to end: diagnostics, exit codes, --strict, --check, --format json and
atomic writes.

Every test copies a tiny fixture from ``tests/fixtures/bad/<case>/`` (an ``arazzo/`` workflow and
the ``openapi/`` description it names) to ``tmp_path/specs`` and runs
``arazzo-gen build specs -o out`` in process with the working directory set to ``tmp_path``, so
displayed paths are relative and stable.
``dangling_ref`` only has a warning, so it is also the fixture for successful builds.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arazzo_gen import __version__
from arazzo_gen.cli import EXIT_ERRORS, EXIT_OK, EXIT_USAGE, app
from arazzo_gen.write import MANIFEST

FIXTURES = Path(__file__).parent / "fixtures" / "bad"
WORKFLOW = "specs/arazzo/pets.arazzo.yml"
API = "specs/openapi/pets.yml"

HEADLINE = re.compile(r"^\S+:\d+:\d+: (error|warning)\[[a-z0-9-]+\]: ")

SYNTAX_ERROR = (
    f"{WORKFLOW}:8:11: error[invalid-syntax]: "
    "invalid YAML: mapping values are not allowed in this context"
)
UNKNOWN_OPERATION = (
    f"{WORKFLOW}:18:22: error[unknown-operation]: "
    "operationId 'getPets' is not in petsApi (pets.yml); did you mean 'getPet'?"
)
UNRESOLVED_SOURCE = (
    f"{WORKFLOW}:7:10: error[unresolved-source]: "
    "source url '../openapi/pet-store.yml' does not resolve: no file at specs/openapi/pet-store.yml"
)
TWO_ERRORS_FIRST = (
    f"{WORKFLOW}:18:22: error[unknown-operation]: "
    "operationId 'getPett' is not in petsApi (pets.yml); did you mean 'getPet'?"
)
# The reason after "does not resolve: " is left open (its wording is not part of this contract).
DANGLING_REF = (
    f"{API}:23:23: {{severity}}[unresolved-ref]: "
    "$ref '#/components/schemas/Pett' does not resolve: "
)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Copy a fixture case to ``tmp_path/specs`` and work from ``tmp_path``; returns a loader."""
    monkeypatch.chdir(tmp_path)

    def load(case: str) -> Path:
        shutil.copytree(FIXTURES / case, tmp_path / "specs")
        return tmp_path

    return load


def invoke(runner: CliRunner, *args: str):
    result = runner.invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code != 3, result.stderr
    return result


def headlines(stderr: str) -> list[str]:
    """The ``path:line:col: severity[rule]: message`` lines of a text report (snippets left out)."""
    return [line for line in stderr.splitlines() if HEADLINE.match(line)]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def make_existing_out(root: Path) -> Path:
    """An earlier build's output: its files and the manifest that lists them."""
    out = root / "out"
    (out / "pkg").mkdir(parents=True)
    (out / "SENTINEL.txt").write_bytes(b"do not touch\n")
    (out / "pkg" / "stale.py").write_bytes(b"x = 1\n")
    manifest = {"generator": "arazzo-gen", "files": ["SENTINEL.txt", "pkg/stale.py"]}
    (out / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    return out


def assert_untouched(root: Path, out: Path, before: dict[str, bytes], inode: int) -> None:
    assert snapshot(out) == before
    assert out.stat().st_ino == inode, "OUT was replaced"
    leftovers = [p.name for p in root.iterdir() if p.name.startswith(f".{out.name}.")]
    assert leftovers == []


# -- a/b/c: one error each; OUT is left exactly as it was -----------------------------------------
@pytest.mark.parametrize(
    ("case", "first"),
    [
        ("invalid_syntax", SYNTAX_ERROR),
        ("unknown_operation", UNKNOWN_OPERATION),
        ("unresolved_source", UNRESOLVED_SOURCE),
    ],
)
def test_document_error_reports_and_leaves_out_untouched(
    runner, project, case: str, first: str
) -> None:
    root = project(case)
    out = make_existing_out(root)
    before, inode = snapshot(out), out.stat().st_ino

    result = invoke(runner, "build", "specs", "-o", "out")

    assert result.exit_code == EXIT_ERRORS
    assert headlines(result.stderr)[0] == first
    assert result.stderr.rstrip().splitlines()[-1].endswith("; out was left unchanged")
    assert result.stdout == ""
    assert_untouched(root, out, before, inode)


def test_unknown_operation_snippet_has_caret_under_operation_id(runner, project) -> None:
    project("unknown_operation")
    result = invoke(runner, "build", "specs", "-o", "out")
    lines = result.stderr.splitlines()
    start = lines.index(UNKNOWN_OPERATION)
    assert lines[start + 1] == "   18 |         operationId: getPets"
    assert lines[start + 2] == "      |                      ^^^^^^^"
    # the carets sit exactly under the value
    assert lines[start + 2].index("^") == lines[start + 1].index("getPets")
    assert not Path("out").exists()


def test_syntax_error_column_points_at_the_offending_colon(runner, project) -> None:
    project("invalid_syntax")
    result = invoke(runner, "build", "specs", "-o", "out")
    lines = result.stderr.splitlines()
    start = lines.index(SYNTAX_ERROR)
    assert lines[start + 1] == "    8 |       type: openapi"
    assert lines[start + 2] == "      |           ^"


# -- d: every problem in one run ------------------------------------------------------------------
def test_independent_errors_are_all_reported_in_one_run(runner, project) -> None:
    root = project("two_errors")
    out = make_existing_out(root)
    before, inode = snapshot(out), out.stat().st_ino

    result = invoke(runner, "build", "specs", "-o", "out")

    assert result.exit_code == EXIT_ERRORS
    found = headlines(result.stderr)
    assert len(found) == 2, result.stderr
    assert found[0] == TWO_ERRORS_FIRST
    # The second error belongs to the parameter entry of step 'fetchAgain'
    # (lines 26-28: name, in, value; today it points at the name).
    match = re.fullmatch(
        rf"{re.escape(WORKFLOW)}:(\d+):\d+: error\[unknown-input\]: "
        r"'\$inputs\.nope' is not declared in the inputs of workflow 'show-pet'",
        found[1],
    )
    assert match is not None, found[1]
    assert 26 <= int(match.group(1)) <= 28
    assert "error: 2 error(s), 0 warning(s); out was left unchanged" in result.stderr
    assert_untouched(root, out, before, inode)


# -- e: --strict ----------------------------------------------------------------------------------
def test_warning_builds_without_strict(runner, project) -> None:
    project("dangling_ref")
    result = invoke(runner, "build", "specs", "-o", "out")
    assert result.exit_code == EXIT_OK, result.stderr
    found = headlines(result.stderr)
    assert len(found) == 1, result.stderr
    assert found[0].startswith(DANGLING_REF.format(severity="warning"))
    assert re.search(r"^built \d+ files into out \(1 warning\(s\), ", result.stderr, re.MULTILINE)
    assert (Path("out") / "arazzo_client" / "workflows" / "pets.py").is_file()


def test_strict_turns_the_warning_into_an_error(runner, project) -> None:
    root = project("dangling_ref")
    out = make_existing_out(root)
    before, inode = snapshot(out), out.stat().st_ino

    result = invoke(runner, "build", "specs", "-o", "out", "--strict")

    assert result.exit_code == EXIT_ERRORS
    found = headlines(result.stderr)
    assert len(found) == 1, result.stderr
    assert found[0].startswith(DANGLING_REF.format(severity="error"))
    # the same diagnostic as without --strict, only the severity differs
    plain = invoke(runner, "build", "specs", "-o", "out", "--check")
    assert headlines(plain.stderr) == [found[0].replace(": error[", ": warning[", 1)]
    assert "error: 1 error(s), 0 warning(s); out was left unchanged" in result.stderr
    assert_untouched(root, out, before, inode)


# -- f: --check -----------------------------------------------------------------------------------
def test_check_reports_up_to_date_then_names_an_edited_file_and_never_writes(
    runner, project
) -> None:
    root = project("dangling_ref")
    assert invoke(runner, "build", "specs", "-o", "out").exit_code == EXIT_OK

    clean = invoke(runner, "build", "specs", "-o", "out", "--check")
    assert clean.exit_code == EXIT_OK, clean.stderr
    assert "out is up to date" in clean.stderr

    edited = Path("out") / "arazzo_client" / "workflows" / "pets.py"
    edited.write_text(edited.read_text(encoding="utf-8") + "# hand edit\n", encoding="utf-8")
    (Path("out") / "extra.txt").write_text("not generated\n", encoding="utf-8")
    before, inode = snapshot(root / "out"), (root / "out").stat().st_ino

    stale = invoke(runner, "build", "specs", "-o", "out", "--check")

    assert stale.exit_code == EXIT_ERRORS
    assert (
        "out is out of date (2 file(s)); rebuild with: arazzo-gen build specs -o out"
        in stale.stderr
    )
    assert "  differs   arazzo_client/workflows/pets.py" in stale.stderr.splitlines()
    assert "  extra     extra.txt (not written by arazzo-gen)" in stale.stderr.splitlines()
    assert_untouched(root, root / "out", before, inode)


def test_check_against_a_missing_out_creates_nothing(runner, project) -> None:
    root = project("dangling_ref")
    result = invoke(runner, "build", "specs", "-o", "out", "--check")
    assert result.exit_code == EXIT_ERRORS
    assert "  missing   arazzo_client/__init__.py" in result.stderr.splitlines()
    assert sorted(p.name for p in root.iterdir()) == ["specs"]


# -- g: version, usage errors, JSON diagnostics ---------------------------------------------------
def test_version(runner) -> None:
    result = invoke(runner, "--version")
    assert result.exit_code == EXIT_OK
    assert result.stdout == f"arazzo-gen {__version__}\n"
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", __version__)


def test_version_as_a_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "arazzo_gen", "--version"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == EXIT_OK, result.stderr
    assert result.stdout == f"arazzo-gen {__version__}\n"


def test_missing_specs_is_a_usage_error(runner, project, tmp_path: Path) -> None:
    result = invoke(runner, "build", "no-such-specs", "-o", "out")
    assert result.exit_code == EXIT_USAGE
    assert "no-such-specs does not exist" in result.stderr
    assert not (tmp_path / "out").exists()


def test_missing_out_option_is_a_usage_error(runner, project) -> None:
    project("dangling_ref")
    assert invoke(runner, "build", "specs").exit_code == EXIT_USAGE


def test_bad_package_name_is_a_usage_error(runner, project) -> None:
    project("dangling_ref")
    result = invoke(runner, "build", "specs", "-o", "out", "--package", "not-an-identifier")
    assert result.exit_code == EXIT_USAGE
    assert "--package 'not-an-identifier' cannot be the generated package's name: it must be ASCII" in result.stderr


def test_format_json_prints_diagnostics_on_stdout(runner, project) -> None:
    project("unknown_operation")
    result = invoke(runner, "build", "specs", "-o", "out", "--format", "json")
    assert result.exit_code == EXIT_ERRORS
    rows = json.loads(result.stdout)
    assert rows == [
        {
            "severity": "error",
            "rule": "unknown-operation",
            "message": "operationId 'getPets' is not in petsApi (pets.yml); did you mean 'getPet'?",
            "file": WORKFLOW,
            "line": 18,
            "column": 22,
        }
    ]
    assert headlines(result.stderr) == []  # no text diagnostics mixed in
    assert "error: 1 error(s), 0 warning(s); out was left unchanged" in result.stderr


def test_format_json_with_a_warning_and_a_successful_build(runner, project) -> None:
    project("dangling_ref")
    result = invoke(runner, "build", "specs", "-o", "out", "--format", "json")
    assert result.exit_code == EXIT_OK
    rows = json.loads(result.stdout)
    assert [(r["severity"], r["rule"], r["file"], r["line"], r["column"]) for r in rows] == [
        ("warning", "unresolved-ref", API, 23, 23)
    ]


# -- h: a successful build replaces OUT atomically ------------------------------------------------
def test_build_replaces_existing_out_entirely(runner, project) -> None:
    root = project("dangling_ref")
    out = make_existing_out(root)

    result = invoke(runner, "build", "specs", "-o", "out", "--quiet")

    assert result.exit_code == EXIT_OK, result.stderr
    assert result.stderr == ""  # --quiet prints errors only
    files = snapshot(out)
    assert "SENTINEL.txt" not in files
    assert "pkg/stale.py" not in files
    assert "arazzo_client/__init__.py" in files
    assert "pyproject.toml" in files
    assert MANIFEST in files
    leftovers = [p.name for p in root.iterdir() if p.name.startswith(".out.")]
    assert leftovers == []
    assert sorted(p.name for p in root.iterdir()) == ["out", "specs"]


def test_rebuild_is_byte_for_byte_reproducible(runner, project) -> None:
    root = project("dangling_ref")
    assert invoke(runner, "build", "specs", "-o", "out").exit_code == EXIT_OK
    first = snapshot(root / "out")
    assert invoke(runner, "build", "specs", "-o", "out").exit_code == EXIT_OK
    assert snapshot(root / "out") == first


# -- docs/diagnostics.md lists every rule the compiler can emit, with its severity -----------------
def test_every_rule_id_is_documented_with_its_severity() -> None:
    root = Path(__file__).parent.parent
    emitted = {
        (match.group(2), match.group(1))
        for source in (root / "generator").rglob("*.py")
        for match in re.finditer(
            r'\.(error|warning)\(\s*"([a-z0-9-]+)"', source.read_text(encoding="utf-8")
        )
    }
    documented = set(
        re.findall(
            r"^\| `([a-z0-9-]+)` \| (error|warning) \|",
            (root / "docs" / "diagnostics.md").read_text(encoding="utf-8"),
            re.MULTILINE,
        )
    )
    assert emitted, "no rule ids found in generator/"
    assert documented == emitted


# -- wrong types in the document's structure ------------------------------------------------------
WRONG_TYPES = """\
arazzo: 1.0.1
info: {title: Pets, version: 1.0.0}
sourceDescriptions: [{name: petsApi, url: ../openapi/pets.yml, type: openapi}]
workflows:
  - x
  - 3
  - workflowId: no-steps
    steps: 5
  - workflowId: bad-parts
    inputs: {type: object, required: 7, properties: {petId: {type: string}}}
    steps:
      - [not, a, step]
      - stepId: fetch
        operationId: getPet
        parameters: [{name: petId, in: path, value: $inputs.petId}]
        requestBody: {payload: {a: 1}, replacements: {target: /a}}
        onSuccess: [end]
        outputs: [id]
"""


def test_wrong_types_in_the_structure_are_located_errors_not_a_crash(
    runner, project
) -> None:
    """Found by the fuzzer: ``workflows: [x]`` gave exit 3.  Every entry of the wrong type is an error at it."""
    root = project("two_errors")
    (root / WORKFLOW).write_text(WRONG_TYPES, encoding="utf-8")

    result = invoke(runner, "build", "specs", "-o", "out")

    assert result.exit_code == EXIT_ERRORS
    assert headlines(result.stderr) == [
        f"{WORKFLOW}:5:5: error[invalid-type]: a workflow must be a mapping, not a string",
        f"{WORKFLOW}:6:5: error[invalid-type]: a workflow must be a mapping, not a number",
        f"{WORKFLOW}:8:12: error[invalid-type]: 'steps' must be a list, not a number",
        f"{WORKFLOW}:10:38: error[invalid-type]: 'required' must be a list of property names, not a number",
        f"{WORKFLOW}:12:9: error[invalid-type]: a step must be a mapping, not a list",
        (f"{WORKFLOW}:16:9: warning[unexpected-request-body]: step 'fetch' sends a requestBody but getPet declares "
        "none; it is sent as written (application/json), unchecked"),
        f"{WORKFLOW}:16:54: error[invalid-type]: 'replacements' must be a list, not a mapping",
        f"{WORKFLOW}:17:21: error[invalid-type]: an action must be a mapping, not a string",
        f"{WORKFLOW}:18:18: error[invalid-type]: 'outputs' must be a mapping of names to expressions, not a list",
    ]
    assert not (root / "out").exists()
