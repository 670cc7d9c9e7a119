"""``build --keep-going``: the sound workflows are built, the broken ones reported and left out (issue 7)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from arazzo_gen.cli import EXIT_ERRORS, EXIT_PARTIAL, app
from tests.scripted import import_package, write_specs
from tests.test_flow import HEAD, JOBS_API

GOOD_AND_BAD = HEAD + """
workflows:
  - workflowId: readJob
    steps:
      - stepId: read
        operationId: getJob
        parameters: [{name: id, in: path, value: j1}]
        outputs: {state: $response.body#/state}
    outputs: {state: $steps.read.outputs.state}
  - workflowId: broken
    steps:
      - stepId: read
        operationId: getJb
        parameters: [{name: id, in: path, value: j1}]
  - workflowId: callsBroken
    steps:
      - stepId: run
        workflowId: broken
"""

OTHER = HEAD + """
workflows:
  - workflowId: createJob
    steps:
      - stepId: create
        operationId: createJob
        outputs: {id: $response.body#/id}
    outputs: {id: $steps.create.outputs.id}
"""

BROKEN_DOCUMENT = """
arazzo: 1.0.1
info: {title: Broken, version: "1"}
sourceDescriptions: [{name: jobs, url: ../openapi/missing.yaml}]
workflows:
  - workflowId: neverBuilt
    steps:
      - stepId: read
        operationId: getJob
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_specs(tmp_path, {
        "openapi/jobs.yaml": JOBS_API,
        "arazzo/jobs.arazzo.yaml": GOOD_AND_BAD,
        "arazzo/other.arazzo.yaml": OTHER,
        "arazzo/broken.arazzo.yaml": BROKEN_DOCUMENT,
    })  # fmt: skip
    return tmp_path


def build(*args: str, package: str = "located_partial") -> tuple[int, list[str]]:
    result = CliRunner().invoke(app, ["build", "specs", "-o", "out", "--no-cache", "--package", package, *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, [line for line in result.stderr.splitlines() if not line.startswith(" ")]


ERRORS = [
    (
        "specs/arazzo/broken.arazzo.yaml:3:40: error[unresolved-source]: source url '../openapi/missing.yaml' does "
        "not resolve: no file at specs/openapi/missing.yaml"
    ),
    (
        "specs/arazzo/jobs.arazzo.yaml:16:22: error[unknown-operation]: operationId 'getJb' is not in jobs "
        "(jobs.yaml); did you mean 'getJob'?"
    ),
]


def test_without_keep_going_one_broken_workflow_fails_the_whole_folder(project: Path) -> None:
    code, lines = build()
    assert code == EXIT_ERRORS
    assert lines == [*ERRORS, "error: 2 error(s), 0 warning(s); out was left unchanged"]
    assert not (project / "out").exists()


def test_keep_going_builds_the_sound_workflows_and_reports_the_broken_ones(project: Path) -> None:
    code, lines = build("--keep-going")
    assert code == EXIT_PARTIAL
    assert lines[:2] == ERRORS
    assert lines[2:-1] == [
        (
            "note: left out workflow 'neverBuilt' of specs/arazzo/broken.arazzo.yaml: its document has errors "
            "outside its workflows"
        ),
        "note: left out workflow 'broken' of specs/arazzo/jobs.arazzo.yaml: it has errors",
        (
            "note: left out workflow 'callsBroken' of specs/arazzo/jobs.arazzo.yaml: it runs workflow 'broken', "
            "which is left out"
        ),
    ]
    assert lines[-1].startswith("built ")
    assert ", leaving out 3 workflow(s) with errors (2 error(s), 0 warning(s)" in lines[-1]
    package = import_package(project / "out", "located_partial")
    workflows = package.workflows
    assert callable(workflows.jobs.read_job) and callable(workflows.other.create_job)
    assert not hasattr(workflows.jobs, "broken") and not hasattr(workflows.jobs, "calls_broken")
    assert not (project / "out" / "located_partial" / "workflows" / "broken.py").exists()


def test_keep_going_with_nothing_sound_writes_nothing(project: Path) -> None:
    for name in ("jobs", "other"):
        (project / "specs" / "arazzo" / f"{name}.arazzo.yaml").unlink()
    code, lines = build("--keep-going")
    assert code == EXIT_ERRORS
    assert lines == [
        ERRORS[0],
        "error: 1 error(s), 0 warning(s) (no workflow is free of errors); out was left unchanged",
    ]
    assert not (project / "out").exists()


def test_keep_going_leaves_out_an_api_whose_models_fail_and_the_workflows_calling_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_located_diagnostics import BAD_SCHEMA_API

    monkeypatch.chdir(tmp_path)
    write_specs(tmp_path, {
        "openapi/jobs.yaml": JOBS_API,
        "openapi/usage.yaml": BAD_SCHEMA_API,
        "arazzo/other.arazzo.yaml": OTHER,
        "arazzo/usage.arazzo.yaml": OTHER.replace("../openapi/jobs.yaml", "../openapi/usage.yaml"),
    })  # fmt: skip
    code, lines = build("--keep-going", package="partial_without_api")
    assert code == EXIT_PARTIAL
    assert lines[:-1] == [
        (
            "specs/openapi/usage.yaml:44:5: error[model-generation-failed]: datamodel-code-generator could not "
            "generate a model from schema 'Usage request' of Jobs: ValidationError: 2 validation errors for "
            "JsonSchemaObject"
        ),
        (
            "note: left out workflow 'createJob' of specs/arazzo/usage.arazzo.yaml: it calls an API description "
            "with errors"
        ),
        "note: left out the API description specs/openapi/usage.yaml: it has errors",
    ]
    package = import_package(tmp_path / "out", "partial_without_api")
    assert callable(package.workflows.other.create_job) and not hasattr(package.workflows, "usage")
    assert sorted(p.name for p in (tmp_path / "out" / "partial_without_api" / "apis").iterdir() if p.is_dir()) == [
        "jobs"
    ]
