"""Every diagnostic rule the compiler emits has a case in the tests (issue 7): the rules no other test
triggers each get a minimal document here, and the exact sorted headlines (``path:line:col:
severity[rule]: message``) are asserted, so the location is too.

A meta-test checks that each ``(rule, severity)`` emitted under generator/ appears as ``severity[rule]: `` in
some test file. Also here: what writing the cases found wrong (a broken parameter entry was also reported as a
missing parameter).
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from arazzo_gen.ir import program
from tests.scripted import compile_files
from tests.test_flow import JOBS_API
from tests.test_rule_docs import emitted

ROOT = Path(__file__).resolve().parent.parent
FLOW = "specs/arazzo/jobs.arazzo.yaml"
API = "specs/openapi/jobs.yaml"

HEAD = """
arazzo: 1.0.1
info: {title: Jobs, version: "1"}
sourceDescriptions: [{name: jobs, url: ../openapi/jobs.yaml}]
"""

# An API with a request body whose schema is closed (additionalProperties: false)
ORDERS_API = """
openapi: 3.0.3
info: {title: Orders, version: "1"}
paths:
  /orders:
    post:
      operationId: createOrder
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              properties:
                customer: {type: string}
                lines: {type: array, items: {type: string}}
      responses:
        "201": {description: created}
"""
ORDERS_HEAD = """
arazzo: 1.0.1
info: {title: Orders, version: "1"}
sourceDescriptions: [{name: orders, url: ../openapi/jobs.yaml}]
"""


def api_with(paths: str, components: str = "") -> str:
    """A small OpenAPI document with the given ``paths`` (and ``components``) entries, indented by 2."""
    text = 'openapi: 3.0.3\ninfo: {title: Jobs, version: "1"}\npaths:\n' + paths.lstrip("\n")
    return text + ("components:\n" + components.lstrip("\n") if components else "")


def diagnose(tmp_path: Path, flow: str, api: str = JOBS_API, extra: dict[str, str] | None = None) -> list[str]:
    """The sorted headlines of compiling ``flow`` and ``api`` (and ``extra`` files) as the command line shows
    them when run in ``tmp_path``: every path, in the messages too, relative to it."""
    files = {"openapi/jobs.yaml": api, "arazzo/jobs.arazzo.yaml": flow, **(extra or {})}
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        return compile_files(tmp_path, files, "rule_cases_pkg")[1]
    finally:
        os.chdir(old)


def one_step(step: str, workflow: str = "") -> str:
    """HEAD and one workflow 'w' with the given step lines (indented by 6) and workflow lines (by 4)."""
    return HEAD + "workflows:\n  - workflowId: w\n" + workflow + "    steps:\n" + step


GET = """      - stepId: get
        operationId: getJob
        parameters: [{name: id, in: path, value: "1"}]
"""

ORDERS_FLOW = ORDERS_HEAD + """workflows:
  - workflowId: w
    steps:
      - stepId: create
        operationId: createOrder
"""

Case = tuple[str, str, dict[str, str], list[str]]  # flow, API, extra files, expected headlines
CASES: dict[str, Case] = {
    "ambiguous-operation": (
        """arazzo: 1.0.1
info: {title: Jobs, version: "1"}
sourceDescriptions:
  - {name: jobs, url: ../openapi/jobs.yaml}
  - {name: jobs2, url: ../openapi/jobs2.yaml}
workflows:
  - workflowId: w
    steps:
"""
        + GET,
        JOBS_API,
        {"openapi/jobs2.yaml": JOBS_API},
        [
            (
                f"{FLOW}:10:22: error[ambiguous-operation]: operationId 'getJob' exists in several sources (jobs, "
                "jobs2); write '$sourceDescriptions.<name>.getJob' to pick one"
            ),
        ],
    ),
    "duplicate-key": (
        """arazzo: 1.0.1
info:
  title: Jobs
  title: Work
  version: "1"
sourceDescriptions: [{name: jobs, url: ../openapi/jobs.yaml}]
workflows:
  - workflowId: w
    steps:
"""
        + GET,
        JOBS_API,
        {},
        [
            (
                f"{FLOW}:4:3: warning[duplicate-key]: key 'title' appears twice in this mapping (first at line 3); the "
                "last one wins"
            ),
        ],
    ),
    "duplicate-source": (
        """arazzo: 1.0.1
info: {title: Jobs, version: "1"}
sourceDescriptions:
  - {name: jobs, url: ../openapi/jobs.yaml}
  - {name: jobs, url: ../openapi/jobs.yaml}
workflows:
  - workflowId: w
    steps:
"""
        + GET,
        JOBS_API,
        {},
        [f"{FLOW}:5:12: error[duplicate-source]: sourceDescription name 'jobs' is used twice"],
    ),
    "duplicate-step-id": (
        one_step(GET + GET),
        JOBS_API,
        {},
        [f"{FLOW}:10:17: error[duplicate-step-id]: stepId 'get' is already used at line 7"],
    ),
    "duplicate-workflow-id": (
        one_step(GET) + "  - workflowId: w\n    steps:\n" + GET,
        JOBS_API,
        {},
        [f"{FLOW}:10:17: error[duplicate-workflow-id]: workflowId 'w' is already used at line 5"],
    ),
    "invalid-inputs": (
        one_step(GET, "    inputs: {type: string}\n"),
        JOBS_API,
        {},
        [f"{FLOW}:6:13: error[invalid-inputs]: workflow 'inputs' must be an object schema"],
    ),
    "invalid-reference": (
        one_step(
            GET.replace('value: "1"', "value: $components.parameters.loop")
            + "      - stepId: get2\n        operationId: getJob\n"
            + "        parameters: [{reference: $components.inputs.id}]\n"
        )
        + "components:\n  parameters:\n    loop: {name: id, in: path, value: $components.parameters.loop}\n",
        JOBS_API,
        {},
        [
            f"{FLOW}:12:34: error[invalid-reference]: expected a '$components.parameters.<name>' reference",
            # at the value that closes the loop, not where the parameter is used
            f"{FLOW}:15:39: error[invalid-reference]: components.parameters.loop refers to itself through its value",
        ],
    ),
    "invalid-replacement": (
        ORDERS_FLOW + """        requestBody:
          payload: {customer: a, lines: [x]}
          replacements:
            - {target: /customer}
            - {target: customer, value: b}
            - {target: /nope/x, value: b}
            - {target: /lines/5, value: b}
""",
        ORDERS_API,
        {},
        [
            f"{FLOW}:12:15: error[invalid-replacement]: a replacement needs 'target' and 'value'",
            f"{FLOW}:13:24: error[invalid-replacement]: a replacement target must be a JSON Pointer",
            f"{FLOW}:14:24: error[invalid-replacement]: replacement target '/nope/x' is not in the payload",
            f"{FLOW}:15:24: error[invalid-replacement]: replacement target '/lines/5' is not in the payload",
        ],
    ),
    "unknown-request-field/request-pointer-type": (
        ORDERS_FLOW + """        requestBody: {payload: {customer: a}}
        outputs:
          typo: $request.body#/custommer
          first: $request.body#/lines/first
""",
        ORDERS_API,
        {},
        [
            (
                f"{FLOW}:11:32: error[unknown-request-field]: '$request.body#/custommer': the body of createOrder has "
                "no member 'custommer' and allows no other (documented: customer, lines); did you mean 'customer'?"
            ),
            (
                f"{FLOW}:12:39: warning[request-pointer-type]: '$request.body#/lines/first': #/lines of createOrder is "
                "documented as an array, which has no member 'first'; the value is read if the body has it anyway"
            ),
        ],
    ),
    "response-in-request": (
        one_step(GET.replace('value: "1"', 'value: "job-{$statusCode}-{$url}"')),
        JOBS_API,
        {},
        [
            (
                f"{FLOW}:9:56: error[response-in-request]: '$statusCode' is used to build the request of the same "
                "step, before there is a request or response; take the value from an earlier step's outputs"
            ),
            (
                f"{FLOW}:9:70: error[response-in-request]: '$url' is used to build the request of the same step, "
                "before there is a request or response; take the value from an earlier step's outputs"
            ),
        ],
    ),
    "response-outside-step": (
        one_step(GET) + '    outputs:\n      code: $statusCode\n      both: "{$response.body#/id} {$method}"\n',
        JOBS_API,
        {},
        [
            (
                f"{FLOW}:11:13: error[response-outside-step]: '$statusCode' refers to a request or response, which "
                "only exists inside a step; expose it as a step output and use $steps.<id>.outputs.<name>"
            ),
            (
                f"{FLOW}:12:15: error[response-outside-step]: '$response.body#/id' refers to a request or response, "
                "which only exists inside a step; expose it as a step output and use $steps.<id>.outputs.<name>"
            ),
            (
                f"{FLOW}:12:36: error[response-outside-step]: '$method' refers to a request or response, which only "
                "exists inside a step; expose it as a step output and use $steps.<id>.outputs.<name>"
            ),
        ],
    ),
    "empty-document/json-without-positions": (
        one_step(GET),
        JOBS_API,
        {"empty.yaml": "", "notes/long.json": '{"' + "k" * 1100 + '": 1}\n'},
        [
            "specs/empty.yaml:1:1: warning[empty-document]: the file is empty; it is skipped",
            (
                "specs/notes/long.json:1:1: warning[json-without-positions]: this JSON could not be read with "
                "positions; locations inside it point at the start of the file"
            ),
        ],
    ),
    "duplicate-operation-id/missing-operation-id/missing-path-parameter": (
        one_step(GET),
        api_with("""
  /jobs/{id}:
    get:
      operationId: getJob
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
  /jobs:
    get:
      operationId: getJob
      responses: {"200": {description: ok}}
  /token/{user}:
    post:
      responses: {"200": {description: ok}}
  /search?q={term}:
    get:
      operationId: search
      responses: {"200": {description: ok}}
"""),
        {},
        [
            f"{API}:11:20: warning[duplicate-operation-id]: operationId 'getJob' is also used at line 6",
            (
                f"{API}:15:7: warning[missing-operation-id]: POST /token/{{user}} has no operationId; its client "
                "method is named 'post_token_user'"
            ),
            (
                f"{API}:15:7: warning[missing-path-parameter]: path template '/token/{{user}}' uses {{user}} but "
                "post_token_user declares no such path parameter; the client takes it as a required string"
            ),
            (
                f"{API}:18:20: warning[missing-path-parameter]: path key '/search?q={{term}}' uses q={{term}} but "
                "search declares no query parameter 'q'; the client takes it as a required string"
            ),
        ],
    ),
    "ref-cycle": (
        one_step(GET),
        api_with("""
  /jobs/{id}:
    get:
      operationId: getJob
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
        - $ref: "#/components/parameters/A"
      responses: {"200": {description: ok}}
""", """
  parameters:
    A: {$ref: "#/components/parameters/B"}
    B: {$ref: "#/components/parameters/A"}
"""),
        {},
        [
            f"{API}:14:15: warning[ref-cycle]: $ref '#/components/parameters/A' refers to itself through a cycle",
        ],
    ),
    "undefined-security-scheme": (
        one_step(GET),
        api_with("""
  /jobs/{id}:
    get:
      operationId: getJob
      security: [{nope: []}]
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
"""),
        {},
        [
            (
                f"{API}:7:19: warning[undefined-security-scheme]: security requirement names 'nope', which is not in "
                "components.securitySchemes (defined: none); the requirement is ignored"
            ),
        ],
    ),
    "model-generation": (
        one_step(GET),
        JOBS_API + "    Count: {type: integer, format: weird}\n",
        {},
        [
            (
                f"{API}:1:1: warning[model-generation]: Jobs: format of 'weird' not understood for 'integer' - using "
                "default"
            ),
        ],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_rule_reports_its_case_at_the_offending_node(tmp_path: Path, case: str) -> None:
    flow, api, extra, expected = CASES[case]
    assert diagnose(tmp_path, flow, api, extra) == expected


# -- a file that changes between discovery and reading ----------------------------------------------------
def _changed_after_discovery(monkeypatch: pytest.MonkeyPatch, change: Callable[[], object]) -> None:
    """Run ``change()`` right after the files under SPECS are discovered, before they are read (as a tool
    writing into SPECS during the build could)."""
    discover = program.discover

    def discover_then_change(*args: Any, **kwargs: Any) -> list[Path]:
        files = discover(*args, **kwargs)
        change()
        return files

    monkeypatch.setattr(program, "discover", discover_then_change)


def test_a_file_removed_after_discovery_is_file_not_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def remove() -> None:
        (tmp_path / "specs" / "gone.yaml").unlink()

    _changed_after_discovery(monkeypatch, remove)
    assert diagnose(tmp_path, one_step(GET), extra={"gone.yaml": "x: 1\n"}) == [
        "specs/gone.yaml:1:1: error[file-not-found]: file not found: specs/gone.yaml",
    ]


def test_a_file_that_cannot_be_read_is_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # replaced by a folder: reading it fails whoever runs the tests (a file without read permission can
    # still be read by root)
    def replace_by_folder() -> None:
        (tmp_path / "specs" / "odd.yaml").unlink()
        (tmp_path / "specs" / "odd.yaml").mkdir()

    _changed_after_discovery(monkeypatch, replace_by_folder)
    assert diagnose(tmp_path, one_step(GET), extra={"odd.yaml": "x: 1\n"}) == [
        "specs/odd.yaml:1:1: error[unreadable-file]: cannot read specs/odd.yaml: Is a directory",
    ]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file")
def test_a_file_without_read_permission_is_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _changed_after_discovery(monkeypatch, lambda: (tmp_path / "specs" / "private.yaml").chmod(0))
    try:
        assert diagnose(tmp_path, one_step(GET), extra={"private.yaml": "x: 1\n"}) == [
            "specs/private.yaml:1:1: error[unreadable-file]: cannot read specs/private.yaml: Permission denied",
        ]
    finally:
        (tmp_path / "specs" / "private.yaml").chmod(0o644)


# -- the meta-test ----------------------------------------------------------------------------------------
def test_every_emitted_rule_is_asserted_as_a_headline_in_some_test() -> None:
    """Each ``(rule, severity)`` that generator/ emits appears as ``severity[rule]: `` in a test file (this
    test's own source is left out of the search, and builds what it looks for at run time)."""
    own = inspect.getsource(test_every_emitted_rule_is_asserted_as_a_headline_in_some_test)
    texts = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        texts.append(text.replace(own, "") if path.resolve() == Path(__file__).resolve() else text)
    missing = sorted(
        f"{severity}[{rule}]" for rule, severity in emitted()
        if not any(f"{severity}[{rule}]: " in text for text in texts)
    )  # fmt: skip
    assert missing == []


# -- a parameter entry that is reported is not reported again as missing ----------------------------------
@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            "{reference: $components.inputs.id}",
            "9:34: error[invalid-reference]: expected a '$components.parameters.<name>' reference",
        ),
        (
            "{reference: $components.parameters.nope}",
            "9:34: error[unresolved-reference]: components.parameters has no 'nope'",
        ),
        (
            '{name: id, in: pth, value: "1"}',
            "9:37: error[invalid-parameter]: parameter 'id' needs 'in' to be one of path, query, header, cookie",
        ),
        ("{name: id, in: path}", "9:22: error[missing-field]: parameter 'id' has no 'value'"),
        ('{in: path, value: "1"}', "9:22: error[missing-field]: parameter has no 'name'"),
        ("7", "9:22: error[invalid-parameter]: a parameter must be a mapping"),
    ],
)
def test_a_broken_parameter_entry_is_one_error_not_also_a_missing_parameter(
    tmp_path: Path, entry: str, expected: str
) -> None:
    # main: each also gave "7:17: error[missing-parameter]: step 'get' does not set the required path
    # parameter 'id' of getJob", a consequence of the error already reported
    flow = one_step(f"      - stepId: get\n        operationId: getJob\n        parameters: [{entry}]\n")
    assert diagnose(tmp_path, flow) == [f"{FLOW}:{expected}"]


def test_a_broken_entry_for_one_parameter_still_leaves_another_missing_one_reported(tmp_path: Path) -> None:
    entry = '{name: X, in: pth, value: "1"}'
    flow = one_step(f"      - stepId: get\n        operationId: getJob\n        parameters: [{entry}]\n")
    assert diagnose(tmp_path, flow) == [
        f"{FLOW}:7:17: error[missing-parameter]: step 'get' does not set the required path parameter 'id' of getJob",
        f"{FLOW}:9:36: error[invalid-parameter]: parameter 'X' needs 'in' to be one of path, query, header, cookie",
    ]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            "{reference: $components.inputs.id}",
            "15:34: error[invalid-reference]: expected a '$components.parameters.<name>' reference",
        ),
        ("{name: user}", "15:22: error[missing-field]: parameter 'user' has no 'value'"),
        ("{value: x}", "15:22: error[invalid-parameter]: a parameter needs a 'name'"),
    ],
)
def test_a_broken_parameter_entry_of_a_workflow_call_is_one_error(tmp_path: Path, entry: str, expected: str) -> None:
    # main: each also gave "13:17: error[missing-parameter]: step 'call' does not pass the required input
    # 'user' of workflow 'callee'"
    flow = HEAD + f"""workflows:
  - workflowId: callee
    inputs: {{type: object, required: [user], properties: {{user: {{type: string}}}}}}
    steps:
      - stepId: get
        operationId: getJob
        parameters: [{{name: id, in: path, value: $inputs.user}}]
  - workflowId: caller
    steps:
      - stepId: call
        workflowId: callee
        parameters: [{entry}]
"""
    assert diagnose(tmp_path, flow) == [f"{FLOW}:{expected}"]
