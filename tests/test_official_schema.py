"""The structural checks agree with the official Arazzo 1.0 and 1.1 JSON Schemas (issue 7, first bullet of
"Checks"; issue 17).

- every pass/fail test of the 1.0 schema itself (``../shared/corpus/_oai/tests/v1.0``): the same verdict, and for
  a fail file the exact structural diagnostics; every test of the 1.1 schema (``v1.1-dev``): read as Arazzo 1.1
  (no ``arazzo-version`` warning) and judged like the published 1.1 schema, the exceptions listed and explained
  in docs/conformance.md ("Arazzo 1.1");
- the structural rules added for the disagreements the corpus showed, each on a small document, with the
  schema's own verdict on that document;
- a fixed sample of corpus documents: our verdict and the schema's agree, or differ for a reason
  docs/conformance.md documents ("Structure: agreement with the official JSON Schema").

Our verdict is ``tools/schema_agreement.py``'s: the real ``build_program`` stage, its diagnostics filtered to the
structural rules; the full comparison is ``python tools/schema_agreement.py`` (docs/corpus-report.md).
Skipped without ``../shared``.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
OAI = CORPUS / "_oai"
TESTS = OAI / "tests"

pytestmark = pytest.mark.skipif(not (CORPUS / "INDEX.tsv").is_file(), reason="../shared/corpus is not there")


def load_tool() -> ModuleType:
    name = "schema_agreement_tool"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / "schema_agreement.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    return load_tool()


@pytest.fixture(scope="module")
def schema(tool: ModuleType) -> Any:
    return tool.validator(tool.latest_schema(CORPUS))


@pytest.fixture(scope="module")
def schema_1_1(tool: ModuleType) -> Any:
    return tool.validator(tool.latest_schema(CORPUS, "1.1"))


@pytest.fixture(scope="module")
def oai_rewrites(tool: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return tool.folder_rewrites(CORPUS.resolve(), "_oai", tmp_path_factory.mktemp("config"))


def ours(tool: ModuleType, path: Path, folder: Path, rewrites: Any = None) -> list[str]:
    return [tool.headline(d, folder) for d in tool.structural_diagnostics(path, folder, rewrites)]


def fails(headlines: list[str]) -> bool:
    return any(": error[" in line for line in headlines)


def files(kind: str, version: str = "v1.0") -> list[str]:
    folder = TESTS / version / kind
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


# -- the schema and how it is applied -------------------------------------------------------------------------
def test_the_schema_is_the_latest_published_1_0_one_and_its_anchors_and_unevaluated_properties_work(
    tool: ModuleType, schema: Any
) -> None:
    assert tool.latest_schema(CORPUS).name == "arazzo-1.0-2025-10-15.json"
    step = {"stepId": "s", "operationId": "o"}
    document = {
        "arazzo": "1.0.1", "info": {"title": "t", "version": "1"},
        "sourceDescriptions": [{"name": "api", "url": "./api.yaml"}],
        "workflows": [{"workflowId": "w", "steps": [step]}],
    }  # fmt: skip
    assert list(schema.iter_errors(document)) == []
    step["sucessCriteria"] = []  # unevaluatedProperties: false
    step["workflowId"] = 3  # $ref '#workflowId' (an $anchor): a string, and exclusive with operationId
    messages = sorted(e.message for e in schema.iter_errors(document))
    assert messages == [
        "3 is not of type 'string'",
        "Unevaluated properties are not allowed ('sucessCriteria' was unexpected)",
        ("{'stepId': 's', 'operationId': 'o', 'sucessCriteria': [], 'workflowId': 3} is valid under each of "
        "{'required': ['workflowId']}, {'required': ['operationId']}"),
    ]
    del step["workflowId"]
    assert [e.message for e in schema.iter_errors(document)] == [
        "Unevaluated properties are not allowed ('sucessCriteria' was unexpected)"
    ]


# -- the official tests of the schema -------------------------------------------------------------------------
V1_0_FAIL = {
    "invalid-arazzo-version.yaml": [
        ("tests/v1.0/fail/invalid-arazzo-version.yaml:1:9: warning[arazzo-version]: 'arazzo' must be a version "
        "string such as '1.0.1', not a number; reading it as 1.0"),
        ("tests/v1.0/fail/invalid-arazzo-version.yaml:11:13: error[invalid-step]: a step needs exactly one of "
        "operationId, operationPath or workflowId"),
    ],
    "not-an-object.yaml": [
        ("tests/v1.0/fail/not-an-object.yaml:1:1: error[no-workflows]: no Arazzo document (a file with an 'arazzo' "
        "field) under tests/v1.0/fail/not-an-object.yaml")
    ],
}
V1_0_PASS = ["bnpl-example.yaml", "oauth-example.yaml", "pet-coupons-example.yaml"]


def test_the_official_v1_0_tests_are_these_files() -> None:
    assert files("pass") == V1_0_PASS
    assert files("fail") == sorted(V1_0_FAIL)


@pytest.mark.parametrize("name", V1_0_PASS)
def test_an_official_v1_0_pass_file_passes_with_no_structural_diagnostic(
    name: str, tool: ModuleType, schema: Any, oai_rewrites: Any
) -> None:
    path = TESTS / "v1.0" / "pass" / name
    valid, errors, _ = tool.schema_verdict(schema, path)
    assert (valid, errors) == (True, [])
    assert ours(tool, path, OAI, oai_rewrites) == []


@pytest.mark.parametrize("name", sorted(V1_0_FAIL))
def test_an_official_v1_0_fail_file_fails_with_its_exact_structural_diagnostics(
    name: str, tool: ModuleType, schema: Any, oai_rewrites: Any
) -> None:
    path = TESTS / "v1.0" / "fail" / name
    assert tool.schema_verdict(schema, path)[0] is False
    found = ours(tool, path, OAI, oai_rewrites)
    assert found == V1_0_FAIL[name]
    assert fails(found)


def test_the_1_1_schema_is_the_latest_published_one() -> None:
    tool = load_tool()
    assert tool.latest_schema(CORPUS, "1.1").name == "arazzo-1.1-2026-04-15.json"
    assert [tool.schema_version(v) for v in ("1.1.0", "1.1.1-rc1", "1.0.1", "1.2.0", 1.1)] == [
        "1.1", "1.1", "1.0", "1.0", "1.0"
    ]


# The Arazzo 1.1 tests on whose verdict arazzo-gen and the published 1.1 schema differ, and why (each a row of
# docs/conformance.md, "Arazzo 1.1").  Every other one agrees.
V1_1_DIFFERENT: dict[str, str] = {}


@pytest.mark.parametrize("name", [f"fail/{n}" for n in files("fail", "v1.1-dev")] + [
    f"pass/{n}" for n in files("pass", "v1.1-dev")
])  # fmt: skip
def test_an_official_v1_1_test_is_read_as_1_1_and_judged_like_the_1_1_schema(
    name: str, tool: ModuleType, schema_1_1: Any, oai_rewrites: Any
) -> None:
    path = TESTS / "v1.1-dev" / name
    found = ours(tool, path, OAI, oai_rewrites)
    data = tool.to_plain(tool.read_document(path, tool.Diagnostics()).root)
    if isinstance(data, dict) and data.get("arazzo") == "1.1.0":
        assert not any("[arazzo-version]" in line or "[unknown-field]" in line for line in found), found
    schema_valid = not list(schema_1_1.iter_errors(data))
    if name in V1_1_DIFFERENT:
        assert schema_valid == fails(found), f"{name} now agrees: drop it from V1_1_DIFFERENT"
    else:
        assert schema_valid != fails(found), found


def test_the_official_v1_1_tests_are_all_judged() -> None:
    # the files the test above judges (a new file of the suite is judged too; this pins the count)
    assert (len(files("fail", "v1.1-dev")), len(files("pass", "v1.1-dev"))) == (27, 35)


# -- the structural rules the comparison asked for --------------------------------------------------------
HEAD = """arazzo: 1.0.1
info: {title: T, version: "1"}
sourceDescriptions: [{name: api, url: ./missing.yaml}]
"""


def judge(tool: ModuleType, schema: Any, tmp_path: Path, text: str) -> tuple[bool, list[str]]:
    path = tmp_path / "doc.arazzo.yaml"
    path.write_text(text, encoding="utf-8")
    return tool.schema_verdict(schema, path)[0], ours(tool, path, tmp_path)


def test_parameters_that_are_not_a_list_are_an_error_at_them(tool: ModuleType, schema: Any, tmp_path: Path) -> None:
    text = HEAD + """workflows:
  - workflowId: w
    parameters: {name: a, in: query, value: 1}
    steps:
      - stepId: s
        operationId: op
        parameters: {name: status, in: query, value: x}
"""
    assert judge(tool, schema, tmp_path, text) == (False, [
        "doc.arazzo.yaml:6:17: error[invalid-type]: 'parameters' must be a list, not a mapping",
        "doc.arazzo.yaml:10:21: error[invalid-type]: 'parameters' must be a list, not a mapping",
    ])  # fmt: skip


def test_duplicate_parameters_are_an_error_at_the_second(tool: ModuleType, schema: Any, tmp_path: Path) -> None:
    text = HEAD + """workflows:
  - workflowId: w
    parameters:
      - {name: a, in: query, value: 1}
      - {name: a, in: query, value: 1}
    steps:
      - stepId: s
        operationId: op
        parameters:
          - {name: X-Id, in: header, value: 1}
          - {name: x-id, in: header, value: 2}
          - {name: x-id, in: query, value: 2}
          - {reference: $components.parameters.p}
          - {reference: $components.parameters.p, value: 3}
      - stepId: t
        workflowId: w
        parameters:
          - {name: u, value: 1}
          - {name: u, value: 1}
components:
  parameters:
    p: {name: p, in: query, value: 1}
"""
    assert judge(tool, schema, tmp_path, text) == (False, [
        "doc.arazzo.yaml:8:9: error[duplicate-parameter]: parameter 'a' in query is already in this list at line 7",
        ("doc.arazzo.yaml:14:13: error[duplicate-parameter]: parameter 'x-id' in header is already in this list at "
        "line 13"),
        ("doc.arazzo.yaml:17:13: error[duplicate-parameter]: reference '$components.parameters.p' is already in this "
        "list at line 16"),
        "doc.arazzo.yaml:22:13: error[duplicate-parameter]: parameter 'u' is already in this list at line 21",
    ])  # fmt: skip


def test_a_duplicate_parameter_with_another_value_is_an_error_the_schema_does_not_see(
    tool: ModuleType, schema: Any, tmp_path: Path
) -> None:
    text = HEAD + """workflows:
  - workflowId: w
    steps:
      - stepId: s
        operationId: op
        parameters:
          - {name: a, in: query, value: 1}
          - {name: a, in: query, value: 2}
"""
    assert judge(tool, schema, tmp_path, text) == (True, [
        "doc.arazzo.yaml:11:13: error[duplicate-parameter]: parameter 'a' in query is already in this list at line 10",
    ])  # fmt: skip


def test_fields_the_specification_does_not_define_are_warnings_at_their_keys(
    tool: ModuleType, schema: Any, tmp_path: Path
) -> None:
    text = """$schema: https://spec.openapis.org/arazzo/1.0/schema/2025-10-15
arazzo: 1.0.1
info: {title: T, version: "1", extensions: {a: 1}, x-logo: l}
method: GET
sourceDescriptions: [{name: api, url: ./missing.yaml, description: the API}]
workflows:
  - workflowId: w
    steps:
      - stepId: s
        operationId: op
        sucessCriteria: [{condition: $statusCode == 200}]
        successCriteria: [{condition: $statusCode == 200, contex: $response.body}]
        parameters: [{name: a, in: query, value: 1, style: form}, {reference: $components.parameters.p, in: path}]
        onFailure: [{name: f, type: end, outputs: {a: b}}]
        requestBody: {payload: {}, replacements: [{target: /a, value: 1, targetSelectorType: jsonpointer}]}
components:
  schemas: {}
  parameters:
    p: {name: p, in: query, value: 1, required: true}
"""
    head = "doc.arazzo.yaml"
    assert judge(tool, schema, tmp_path, text) == (False, [
        (f"{head}:3:32: warning[unknown-field]: 'extensions' is not a field of the Info Object; it is ignored; its "
        "fields are title, summary, description, version and x- extensions"),
        (f"{head}:4:1: warning[unknown-field]: 'method' is not a field of the Arazzo Object; it is ignored; its fields "
        "are arazzo, info, sourceDescriptions, workflows, components and x- extensions"),
        (f"{head}:5:55: warning[unknown-field]: 'description' is not a field of a Source Description Object; it is "
        "ignored; its fields are name, url, type and x- extensions"),
        (f"{head}:11:9: warning[unknown-field]: 'sucessCriteria' is not a field of a Step Object; it is ignored; did "
        "you mean 'successCriteria'?"),
        (f"{head}:12:59: warning[unknown-field]: 'contex' is not a field of a Criterion Object; it is ignored; did you "
        "mean 'context'?"),
        (f"{head}:13:53: warning[unknown-field]: 'style' is not a field of a Parameter Object; it is ignored; its "
        "fields are name, in, value and x- extensions"),
        (f"{head}:13:105: warning[unknown-field]: 'in' is not a field of a Reusable Object; it is ignored; its fields "
        "are reference, value and x- extensions"),
        (f"{head}:14:42: warning[unknown-field]: 'outputs' is not a field of a Failure Action Object; it is ignored; "
        "its fields are name, type, workflowId, stepId, retryAfter, retryLimit, criteria and x- extensions"),
        (f"{head}:15:74: warning[unknown-field]: 'targetSelectorType' is not a field of a Payload Replacement Object; "
        "it is ignored; its fields are target, value and x- extensions"),
        (f"{head}:17:3: warning[unknown-field]: 'schemas' is not a field of the Components Object; it is ignored; its "
        "fields are inputs, parameters, successActions, failureActions and x- extensions"),
        (f"{head}:19:39: warning[unknown-field]: 'required' is not a field of a Parameter Object; it is ignored; its "
        "fields are name, in, value and x- extensions"),
    ])  # fmt: skip


def test_the_arazzo_version_is_a_1_0_x_or_1_1_x_string_else_a_warning(
    tool: ModuleType, schema: Any, schema_1_1: Any, tmp_path: Path
) -> None:
    rest = HEAD.split("\n", 1)[1] + "workflows: [{workflowId: w, steps: [{stepId: s, operationId: op}]}]\n"
    verdicts = {}
    for version in ("1.0.0", "1.0.1-rc1", "'1.0'", "1.1.0", "1.1.1-rc1", "1.2.0", "2.0.0", "1.0"):
        text = f"arazzo: {version}\n" + rest
        by = schema_1_1 if version.startswith("1.1.") else schema
        verdicts[version] = judge(tool, by, tmp_path, text)
    later = ("arazzo-gen implements Arazzo 1.0.1 and 1.1.0 and reads it as 1.0 (fields of other versions are "
             "ignored)")  # fmt: skip
    assert verdicts == {
        "1.0.0": (True, []),
        "1.0.1-rc1": (True, []),
        "'1.0'": (False, [
            f"doc.arazzo.yaml:1:9: warning[arazzo-version]: arazzo version '1.0' is neither 1.0.x nor 1.1.x: {later}"
        ]),
        "1.1.0": (True, []),  # read as Arazzo 1.1 (judged by the 1.1 schema)
        "1.1.1-rc1": (True, []),
        "1.2.0": (False, [
            f"doc.arazzo.yaml:1:9: warning[arazzo-version]: arazzo version '1.2.0' is neither 1.0.x nor 1.1.x: {later}"
        ]),
        "2.0.0": (False, [
            "doc.arazzo.yaml:1:9: warning[arazzo-version]: arazzo version '2.0.0' is not 1.x; reading it as 1.0"
        ]),
        "1.0": (False, [
            ("doc.arazzo.yaml:1:9: warning[arazzo-version]: 'arazzo' must be a version string such as '1.0.1', not a "
            "number; reading it as 1.0")
        ]),
    }  # fmt: skip


def test_source_names_and_types_the_specification_does_not_define(
    tool: ModuleType, schema: Any, tmp_path: Path
) -> None:
    text = """arazzo: 1.0.1
info: {title: T, version: "1"}
sourceDescriptions:
  - {name: Pet Store API, url: ./missing.yaml}
  - {name: events, url: ./events.yaml, type: asyncapi}
workflows: [{workflowId: w, steps: [{stepId: s, operationId: op}]}]
"""
    assert judge(tool, schema, tmp_path, text) == (False, [
        ("doc.arazzo.yaml:4:12: warning[invalid-source-name]: sourceDescription name 'Pet Store API' does not match "
        "[A-Za-z0-9_\\-]+, the form the Arazzo specification recommends; '$sourceDescriptions.<name>' expressions "
        "cannot name it"),
        ("doc.arazzo.yaml:5:46: error[invalid-source-type]: sourceDescription type 'asyncapi' is not one Arazzo 1.0 "
        "defines (openapi, arazzo); source 'events' is not read"),
    ])  # fmt: skip


def test_required_true_on_an_input_property_is_a_warning(tool: ModuleType, schema: Any, tmp_path: Path) -> None:
    text = HEAD + """workflows:
  - workflowId: w
    inputs:
      type: object
      properties:
        petName: {type: string, required: true}
    steps: [{stepId: s, operationId: op}]
"""
    assert judge(tool, schema, tmp_path, text) == (False, [
        ("doc.arazzo.yaml:9:43: warning[invalid-schema]: 'required' of input 'petName' must be a list of property "
        "names, not a boolean; it is ignored; list the input in the 'required' list of 'inputs' to make it required"),
    ])  # fmt: skip


# -- a sample of the corpus ---------------------------------------------------------------------------------
# One or more documents of each kind of result: agreement both ways, and each documented reason to differ.
SAMPLE = {
    "_oai/examples/1.0.0/bnpl-arazzo.yaml": [],
    "_redocly-museum/arazzo/museum-tickets.arazzo.yaml": [],
    "microsoft-quantum/arazzo/microsoft-quantum-session-lifecycle-workflow.yml": [],
    "github/arazzo/github-fork-gist-and-comment-workflow.yml": [],
    "_jaredce-arazzo-runner/test/mocks/arazzoMockMissingSteps.json": [],  # both reject (missing steps)
    "_jaredce-arazzo-runner/test/mocks/arazzoMockWithInvalidInputs.json": [],  # both reject (parameters: {})
    "twilio/arazzo/_index.yml": [],  # not an Arazzo document (a list)
    "_apidays-bnpl/specs/bnpl.arazzo.yaml": [],  # an empty file
    "_jaredce-arazzo-runner/test/mocks/arazzo/arazzo-criteria/simple.json": ["$schema"],
    "_oai/tests/v1.1-dev/pass/oauth-example.yaml": [],  # read as 1.1, judged by the 1.1 schema
    "gumgum/arazzo/gumgum-classify-video.yml": ["unknown-field"],
    "_connethics-demo/app/public/workflows/ecommerce-onboarding.arazzo.yaml": ["literal-output", "unknown-field"],
    "_wso2-arazzo-tools/examples/go-runner-test/petstore/01-basic-sequential.arazzo.yaml": ["inputs-required-boolean"],
    "_itarazzo-client/src/test/resources/pet-store.arazzo.yaml": ["replacement-target"],
}


@pytest.mark.timeout(120)
def test_a_corpus_sample_agrees_with_the_schema_or_differs_for_a_documented_reason(
    tool: ModuleType, tmp_path: Path
) -> None:
    docs = [d for d in tool.corpus_tool().documents(CORPUS) if d.name in SAMPLE]
    assert sorted(d.name for d in docs) == sorted(SAMPLE)
    schema, schema_1_1 = str(tool.latest_schema(CORPUS)), str(tool.latest_schema(CORPUS, "1.1"))
    verdicts = {
        d.name: tool.judge(tool.Job(str(CORPUS.resolve()), d.folder, d.path, schema, str(tmp_path), schema_1_1))
        for d in docs
    }
    assert {name: v.reasons for name, v in verdicts.items()} == SAMPLE
    assert all(v.crashed == "" for v in verdicts.values())
    # every reason the tool can give is a documented one
    conformance = (ROOT / "docs" / "conformance.md").read_text(encoding="utf-8")
    section = conformance.split("## Structure: agreement with the official JSON Schema", 1)[1]
    for reason in tool.REASONS:
        assert re.search(rf"\| `{re.escape(reason)}` \|", section), reason


def test_a_parameter_without_in_on_an_operation_step_is_sent_where_the_operation_declares_it_with_a_warning(
    tool: ModuleType, schema: Any, tmp_path: Path
) -> None:
    (tmp_path / "api.yaml").write_text(
        """openapi: 3.0.3
info: {title: A, version: "1"}
paths:
  /jobs/{id}:
    get:
      operationId: getJob
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
        - {name: id, in: query, schema: {type: string}}
        - {name: verbose, in: query, schema: {type: boolean}}
      responses: {"200": {description: ok}}
""",
        encoding="utf-8",
    )
    text = """arazzo: 1.0.1
info: {title: T, version: "1"}
sourceDescriptions: [{name: api, url: ./api.yaml}]
workflows:
  - workflowId: w
    parameters: [{name: verbose, value: true}]
    steps:
      - stepId: s
        operationId: getJob
        parameters:
          - {name: verbose, value: false}
          - {name: id, value: x}
"""
    assert judge(tool, schema, tmp_path, text) == (False, [
        ("doc.arazzo.yaml:11:13: warning[missing-parameter-in]: parameter 'verbose' has no 'in', which a step calling "
        "an operation must give; getJob declares 'verbose' only in query, so it is sent there: write 'in: query'"),
        ("doc.arazzo.yaml:12:13: error[invalid-parameter]: parameter 'id' needs 'in' to be one of path, query, header, "
        "cookie"),
    ])  # fmt: skip


def test_empty_success_criteria_and_a_non_string_replacement_value_are_1_0_leniencies_1_1_refuses_or_reads(
    tool: ModuleType, schema: Any, schema_1_1: Any, tmp_path: Path
) -> None:
    text = HEAD + """workflows:
  - workflowId: w
    steps:
      - stepId: s
        operationId: op
        successCriteria: []
        requestBody: {payload: {a: 1}, replacements: [{target: /a, value: 2}]}
"""
    path = tmp_path / "doc.arazzo.yaml"
    path.write_text(text, encoding="utf-8")
    verdict = tool.schema_verdict(schema, path)
    assert verdict[:2] == (False, [
        "/workflows/0/steps/0/requestBody/replacements/0/value: 2 is not of type 'string'",
        "/workflows/0/steps/0/successCriteria: [] should be non-empty",
    ])  # fmt: skip
    assert ours(tool, path, tmp_path) == []  # 1.0: no criterion (success is a 2xx status); the value 2 is set
    job = tool.Job(str(tmp_path), ".", "doc.arazzo.yaml", str(tool.latest_schema(CORPUS)), str(tmp_path))
    assert tool.judge(job).reasons == ["empty-success-criteria", "replacement-value"]
    # Arazzo 1.1: "If successCriteria is provided, it MUST contain at least one Criterion Object"
    path.write_text(text.replace("arazzo: 1.0.1", "arazzo: 1.1.0"), encoding="utf-8")
    assert tool.schema_verdict(schema_1_1, path)[0] is False
    assert ours(tool, path, tmp_path) == [
        ("doc.arazzo.yaml:9:26: error[invalid-criteria]: 'successCriteria' must hold at least one criterion (Arazzo "
         "1.1); leave it out for none"),
    ]
