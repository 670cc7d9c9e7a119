"""Arazzo 1.1 (issue 17): the ``arazzo`` field decides the version a document is read as.

A ``1.1.x`` document is read as Arazzo 1.1.0 (``../shared/spec/arazzo-1.1.0.md``): no ``arazzo-version``
warning, its 1.1 fields are known (no ``unknown-field``), its structure is checked as the published 1.1 JSON
Schema checks it (``tests/test_official_schema.py``), and every 1.1 feature arazzo-gen does not compile yet with
its 1.1 meaning is a located ``unsupported-feature`` error: never a build with another meaning.  A 1.0.x
document keeps its 1.0.1 meaning (the rest of the suite).
"""

from __future__ import annotations

import asyncio
import logging
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.scripted import Recorded, Reply, build_package, compile_files, import_package, scripted
from tests.test_criteria import API, flow, run_both, with_body
from tests.test_rule_cases import FLOW, ORDERS_API, api_with, diagnose

HEAD_1_1 = """arazzo: 1.1.0
info: {title: Jobs, version: "1"}
sourceDescriptions: [{name: jobs, url: ../openapi/jobs.yaml}]
"""

REFUSED = "(Arazzo 1.1) is not supported by arazzo-gen yet; the document is not built rather than built with another meaning"


def test_a_1_1_document_is_read_as_1_1_without_version_or_unknown_field_warnings(tmp_path: Path) -> None:
    flow = HEAD_1_1 + """workflows:
  - workflowId: w
    steps:
      - stepId: get
        operationId: getJob
        parameters: [{name: id, in: path, value: "1"}]
        successCriteria:
          - context: $response.body
            condition: $.id
            type: {type: jsonpath, version: rfc9535}
          - context: $response.body
            condition: $.id
            type: {type: jsonpath, version: draft-goessner-dispatch-jsonpath-00}
        outputs: {id: $response.body#/id}
"""
    assert diagnose(tmp_path, flow) == []


def test_every_1_1_feature_not_compiled_yet_is_an_unsupported_feature_error_at_it(tmp_path: Path) -> None:
    # (a relative $self naming the file itself: the sources resolve as without it)
    flow = HEAD_1_1.replace("arazzo: 1.1.0\n", "arazzo: 1.1.0\n$self: jobs.arazzo.yaml\n") + """workflows:
  - workflowId: w
    inputs: {type: object, properties: {job: {type: object}, state: {type: string}}}
    parameters: [{name: q, in: querystring, value: "a=1&b=2"}]
    steps:
      - stepId: get
        operationId: getJob
        timeout: 5000
        dependsOn: [other]
        parameters:
          - {name: id, in: path, value: {context: $inputs.job, selector: $.id, type: jsonpath}}
        successCriteria:
          - {context: $response.body, condition: '$[?@.state == "{$inputs.state}"]', type: jsonpath}
          - {context: $response.body, condition: '/a[@b = {$inputs.state}]', type: xpath}
        onSuccess:
          - {name: next, type: goto, workflowId: callee, parameters: [{name: a, value: 1}], criteria: [{condition: $statusCode == 202}]}
        outputs:
          state: {context: $response.body, selector: $.state, type: jsonpath}
          me: $self
      - stepId: other
        operationId: createJob
        requestBody:
          payload:
            name: {context: $steps.get.outputs.state, selector: /name, type: xpath}
            url: "{$self}/jobs"
          replacements:
            - {target: $.name, targetSelectorType: jsonpath, value: x}
            - {target: /name, value: {context: $response.body, selector: $.a, type: jsonpath}}
    outputs:
      state: {context: $steps.get.outputs.state, selector: /x, type: jsonpointer}
  - workflowId: callee
    inputs: {type: object, properties: {a: {type: integer}}}
    steps:
      - {stepId: only, operationId: getJob, parameters: [{name: id, in: path, value: "1"}]}
  - workflowId: runner
    steps:
      - {stepId: run, workflowId: callee, timeout: 100}
"""
    unsupported = "error[unsupported-feature]"
    assert diagnose(tmp_path, flow) == [
        (f"{FLOW}:13:21: {unsupported}: a step-level 'dependsOn' on step 'other', which a path of the workflow's "
         f"actions (or the document's order) reaches step 'get' without {REFUSED}"),
        f"{FLOW}:26:9: warning[unexpected-request-body]: step 'other' sends a requestBody but createJob declares none; it is sent as written (application/json), unchecked",
        # a replacement applied when the request is built (after a jsonpath target) is checked as the payload is
        f"{FLOW}:28:13: error[response-in-request]: '$response.body' is used to build the request of the same step, before there is a request or response; take the value from an earlier step's outputs",
        # (compiled: a querystring parameter applies to an operation that declares one)
        f"{FLOW}:8:25: error[invalid-parameter]: createJob declares no querystring parameter 'q'",
        f"{FLOW}:8:25: error[invalid-parameter]: getJob declares no querystring parameter 'q'",
    ]


def test_the_same_fields_in_a_1_0_document_keep_their_1_0_reading(tmp_path: Path) -> None:
    # 1.0.1 has none of these fields: each is an unknown-field warning, as before issue 17
    flow = HEAD_1_1.replace("1.1.0", "1.0.1") + """workflows:
  - workflowId: w
    steps:
      - stepId: get
        operationId: getJob
        timeout: 5000
        parameters: [{name: id, in: path, value: "1"}]
"""
    assert diagnose(tmp_path, flow) == [
        f"{FLOW}:9:9: warning[unknown-field]: 'timeout' is not a field of a Step Object; it is ignored; its fields "
        "are description, stepId, operationId, operationPath, workflowId, parameters, requestBody, successCriteria, "
        "onSuccess, onFailure, outputs and x- extensions",
    ]


def test_1_1_structure_self_selectors_async_fields_and_empty_criteria_are_located_errors(tmp_path: Path) -> None:
    flow = HEAD_1_1.replace("arazzo: 1.1.0\n", "arazzo: 1.1.0\n$self: https://example.com/a.yaml#/x\n") + """workflows:
  - workflowId: w
    steps:
      - stepId: get
        operationId: getJob
        action: publish
        correlationId: x
        dependsOn: [$steps.other, a, a]
        timeout: soon
        successCriteria: []
        parameters: [{name: id, in: path, value: "1"}]
        outputs:
          a: {expression: $response.body, selector: $.a}
          b: {context: $response.body, selector: $.a, type: {type: xpath, version: rfc9535}}
"""
    found = [h for h in diagnose(tmp_path, flow) if "[unsupported-feature]" not in h]
    assert found == [
        f"{FLOW}:10:17: error[invalid-step]: 'action' must be send or receive, not 'publish'",
        f"{FLOW}:10:9: error[invalid-step]: 'action' belongs to a step of an AsyncAPI source; this step calls an HTTP operation",
        f"{FLOW}:11:24: error[invalid-step]: 'correlationId' applies only to a step with 'action: receive'",
        f"{FLOW}:11:9: error[invalid-step]: 'correlationId' belongs to a step of an AsyncAPI source; this step calls an HTTP operation",
        (f"{FLOW}:12:21: error[invalid-step]: a 'dependsOn' entry must be a stepId, '$workflows.<workflowId>.steps."
         "<stepId>' or '$sourceDescriptions.<name>.<workflowId>.steps.<stepId>', not '$steps.other'"),
        f"{FLOW}:12:35: error[unknown-step]: 'dependsOn' names step 'a', which is not a step of this workflow",
        f"{FLOW}:12:38: error[invalid-step]: 'dependsOn' lists 'a' twice",
        f"{FLOW}:12:38: error[unknown-step]: 'dependsOn' names step 'a', which is not a step of this workflow",
        f"{FLOW}:13:18: error[invalid-type]: 'timeout' must be an integer (milliseconds)",
        (f"{FLOW}:14:26: error[invalid-criteria]: 'successCriteria' must hold at least one criterion (Arazzo 1.1); "
         "leave it out for none"),
        f"{FLOW}:17:14: error[invalid-selector]: a Selector Object needs 'context'",
        f"{FLOW}:17:14: error[invalid-selector]: a Selector Object needs 'type'",
        (f"{FLOW}:17:15: error[invalid-selector]: 'expression' is not a field of a Selector Object (its fields are "
         "context, selector, type and x- extensions)"),
        f"{FLOW}:18:84: error[invalid-selector]: xpath 'version' must be xpath-10, xpath-20, xpath-30, xpath-31, not 'rfc9535'",
        f"{FLOW}:2:8: error[invalid-self]: '$self' must be a URI reference without a fragment ('#...')",
    ]


# -- Condition Evaluation (1.1): built, run sync and async against a scripted server on 127.0.0.1 ------------
def criteria_flow(criteria: str, arazzo: str, *, xml: bool = False, on_failure: str = "") -> str:
    """``tests/test_criteria.py``'s document (one step, the given successCriteria) as Arazzo ``arazzo``, with
    ``on_failure`` actions (YAML list items) on the step."""
    text = flow(criteria, **({"step": "feed", "operation": "getFeed", "params": False} if xml else {}))
    text = text.replace("arazzo: 1.0.1", f"arazzo: {arazzo}")
    if on_failure:
        text += "        onFailure:\n" + textwrap.indent(textwrap.dedent(on_failure).strip(), " " * 10) + "\n"
    return text


def build_flow(
    tmp_path: Path, text: str, package: str, warnings: list[str] | None = None
) -> tuple[ModuleType, ModuleType, ModuleType]:
    """The workflows module, the API module and the package of ``text`` over test_criteria's API; the build
    reports exactly ``warnings`` (apart from reads of members the API does not document)."""
    folder = tmp_path / package
    out, found = build_package(folder, {"openapi/pets.yaml": API, "arazzo/pets.arazzo.yaml": text}, package)
    found = [w.replace(f"{folder}/", "") for w in found if "[undocumented-response-field]" not in w]
    assert found == (warnings or []), found
    pkg = import_package(out, package)
    return pkg.workflows.pets, pkg.apis.pets, pkg


def run_replies(tmp_path: Path, text: str, package: str, replies: list[Reply], path: str = "/pets",
                warnings: list[str] | None = None, kind: str = "Dog") -> list[str]:  # fmt: skip
    """For each reply, what the sync and the async runs gave: ``pass``, ``fail`` (a StepFailed that is not a
    CriterionError), or the name of another exception."""
    module, client_module, pkg = build_flow(tmp_path, text, package, warnings)
    seen = []
    for reply in replies:
        with scripted({("GET", path): [reply]}) as server:
            results = run_both(module, client_module, server.url, **({"kind": kind} if path == "/pets" else {}))
        for result in results:
            if type(result) is pkg._runtime.StepFailed:
                seen.append("fail")
            elif isinstance(result, Exception):
                seen.append(type(result).__name__)
            else:
                seen.append("pass")
    return seen


NULL_CONTEXT = """
- {context: $response.body#/owner, condition: $, type: jsonpath}
- {context: $response.body#/missing, condition: '$', type: {type: jsonpath, version: rfc9535}}
"""


def test_a_jsonpath_criterion_over_a_null_or_missing_context_fails_in_1_1_and_passes_in_1_0(tmp_path: Path) -> None:
    # 1.1: "If the context evaluates to null or undefined [...] the condition MUST evaluate to fail"
    replies = [with_body(owner="Ann", missing=1), with_body(owner=None, missing=1), with_body(owner="Ann")]
    assert run_replies(tmp_path, criteria_flow(NULL_CONTEXT, "1.1.0"), "null_ctx_11", replies) == [
        "pass", "pass", "fail", "fail", "fail", "fail"
    ]
    # 1.0.1 has no such rule: '$' selects the root node, null or not (and 'rfc9535' is not a 1.0 version)
    text = criteria_flow(NULL_CONTEXT.replace("{type: jsonpath, version: rfc9535}", "jsonpath"), "1.0.1")
    assert run_replies(tmp_path, text, "null_ctx_10", replies) == ["pass"] * 6


def test_1_1_expression_type_versions_rfc9535_goessner_and_xpath_31_are_accepted_in_1_1_only(tmp_path: Path) -> None:
    criteria = """
    - {context: $response.body, condition: '$.pets[0].name', type: {type: jsonpath, version: rfc9535}}
    - {context: $response.body, condition: '$.pets[1]', type: {type: jsonpath, version: draft-goessner-dispatch-jsonpath-00}}
    """
    replies = [with_body(), with_body(pets=[{"name": "Rex"}])]
    assert run_replies(tmp_path, criteria_flow(criteria, "1.1.0"), "versions_11", replies) == [
        "pass", "pass", "fail", "fail"
    ]
    xml = "- {context: $response.body, condition: /feed/item, type: {type: xpath, version: xpath-31}}"
    feeds = [Reply(200, text="<feed><item/></feed>", content_type="application/xml"),
             Reply(200, text="<feed/>", content_type="application/xml")]  # fmt: skip
    assert run_replies(tmp_path, criteria_flow(xml, "1.1.0", xml=True), "xpath31_11", feeds, "/feed") == [
        "pass", "pass", "fail", "fail"
    ]
    # 1.0.1 allows neither rfc9535 nor xpath-31 in an Expression Type Object
    where = "specs/arazzo/pets.arazzo.yaml"
    _, found = compile_files(tmp_path / "v10", {
        "openapi/pets.yaml": API, "arazzo/pets.arazzo.yaml": criteria_flow(criteria, "1.0.1")
    }, "versions_10")  # fmt: skip
    assert [line.replace(f"{tmp_path}/v10/", "") for line in found] == [
        (f"{where}:12:100: error[invalid-criteria]: jsonpath 'version' must be draft-goessner-dispatch-jsonpath-00, "
         "not 'rfc9535'"),
    ]


def test_a_goessner_filter_is_an_unsupported_feature_in_1_1(tmp_path: Path) -> None:
    # 1.1: "implementations MUST apply the semantics defined in that version's specification": the draft's filters
    # (JavaScript comparisons, arrays only) are not RFC 9535's, which arazzo-gen evaluates
    criteria = "- {context: $response.body, condition: '$.pets[?(@.name)]', type: {type: jsonpath, version: draft-goessner-dispatch-jsonpath-00}}"
    _, found = compile_files(tmp_path, {
        "openapi/pets.yaml": API, "arazzo/pets.arazzo.yaml": criteria_flow(criteria, "1.1.0")
    }, "goessner_11")  # fmt: skip
    assert [line.replace(f"{tmp_path}/", "") for line in found if "error[" in line] == [
        f"specs/arazzo/pets.arazzo.yaml:12:50: error[unsupported-feature]: a filter '?(...)' in a "
        f"draft-goessner-dispatch-jsonpath-00 query {REFUSED}",
    ]


INVALID = """
- {context: $response.body, condition: '$.state == ''Open''', type: jsonpath}
"""


def test_an_invalid_condition_fails_the_criterion_in_1_1_with_a_warning(tmp_path: Path) -> None:
    # 1.1: "If a condition cannot be evaluated due to syntax errors in the expression [...] the condition MUST
    # evaluate to fail, and implementations SHOULD log or report the error"
    where = "specs/arazzo/pets.arazzo.yaml"
    criteria = INVALID + """
- {context: $response.body#/state, condition: '(open', type: regex}
- {condition: '$statusCode === 200'}
"""
    warnings = [
        (f"{where}:12:59: warning[failing-criterion]: invalid JSONPath query (RFC 9535): expected '.', '..' or a "
         "bracketed selection, found '='; in an Arazzo 1.1 document a jsonpath condition that cannot be evaluated "
         "fails, so this criterion never holds"),
        (f"{where}:14:58: warning[failing-criterion]: invalid regular expression: missing ), unterminated subpattern; "
         "in an Arazzo 1.1 document a regex condition that cannot be evaluated fails, so this criterion never holds"),
        (f"{where}:15:40: warning[failing-criterion]: unexpected '='; expected a runtime expression, a literal, '!' "
         "or '('; in an Arazzo 1.1 document a simple condition that cannot be evaluated fails, so this criterion "
         "never holds"),
    ]
    assert run_replies(tmp_path, criteria_flow(criteria, "1.1.0"), "invalid_11", [with_body()], warnings=warnings) == [
        "fail", "fail"
    ]
    # 1.0 reads a jsonpath value comparison as the simple condition it means (a nonstandard-expression warning)
    assert run_replies(tmp_path, criteria_flow(INVALID, "1.0.1"), "invalid_10", [with_body(), with_body(state="x")],
                       warnings=[(f"{where}:12:51: warning[nonstandard-expression]: '$.state == 'Open'' is not a "
                                  "JSONPath query (a jsonpath criterion holds when its query selects nodes) but a "
                                  "comparison of values; write the simple condition '$response.body#/state == "
                                  "'Open''; it is compiled with that meaning")]) == ["pass", "pass", "fail", "fail"]  # fmt: skip


def test_an_evaluation_error_fails_the_criterion_in_1_1_so_failure_actions_run(tmp_path: Path) -> None:
    # 1.1: "Runtime evaluation errors [...] the condition MUST evaluate to fail"; 1.0: CriterionError, no action
    xml = "- {context: $response.body, condition: 'xs:integer(string(/feed/item)) > 0', type: xpath}"
    end = "- {name: giveUp, type: end, criteria: [{condition: $statusCode == 200}]}"
    bodies = [
        Reply(200, text="<feed><item>7</item></feed>", content_type="application/xml"),
        Reply(200, text="<feed><item>seven</item></feed>", content_type="application/xml"),  # FORG0001
        Reply(200, text='<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY a "7">]><feed><item>&a;</item></feed>',
              content_type="application/xml"),  # refused: a DTD
    ]  # fmt: skip
    text = criteria_flow(xml, "1.1.0", xml=True)
    assert run_replies(tmp_path, text, "eval_11", bodies, "/feed") == ["pass", "pass", "fail", "fail", "fail", "fail"]
    # with a failure action the failed criterion leads to it: the workflow ends (with no outputs)
    text = criteria_flow(xml, "1.1.0", xml=True, on_failure=end)
    assert run_replies(tmp_path, text, "eval_11_end", bodies, "/feed") == ["pass"] * 6
    text = criteria_flow(xml, "1.0.1", xml=True, on_failure=end)
    assert run_replies(tmp_path, text, "eval_10", bodies, "/feed") == [
        "pass", "pass", "CriterionError", "CriterionError", "CriterionError", "CriterionError"
    ]


def test_null_equals_only_null_and_bare_literals_in_1_1_as_in_1_0(tmp_path: Path) -> None:
    # 1.1: "null only equals itself (null == null is true). Comparing null with any other value evaluates to
    # false"; bare literals; arazzo-gen's 1.0 reading already had this meaning, so both versions agree
    criteria = """
    - condition: $response.body#/owner == null && null == $response.body#/missing
    - condition: "!($response.body#/owner == 0) && !($response.body#/owner == '') && !($response.body#/owner == false)"
    - condition: "!($response.body#/owner > 0) && !($response.body#/owner < 0) && !($response.body#/owner == 'null')"
    - condition: 'true'
    - condition: "!false && !null"
    """
    replies = [with_body(), with_body(owner="Ann"), with_body(owner=0)]
    for arazzo in ("1.1.0", "1.0.1"):
        package = "nulls_" + arazzo.replace(".", "")
        seen = run_replies(tmp_path, criteria_flow(criteria, arazzo), package, replies)
        assert seen == ["pass", "pass", "fail", "fail", "fail", "fail"], arazzo
    false = "- condition: 'false'"
    assert run_replies(tmp_path, criteria_flow(false, "1.1.0"), "false_11", [with_body()]) == ["fail", "fail"]


def test_a_regex_past_its_time_bound_fails_the_criterion_in_1_1_and_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    criteria = "- {context: $response.body#/state, condition: '^(a|a)*$', type: regex}"
    module, client_module, pkg = build_flow(tmp_path, criteria_flow(criteria, "1.1.0"), "regex_time_11")
    pkg._runtime_regex.REGEX_TIMEOUT = 0.05
    with caplog.at_level(logging.WARNING), scripted({("GET", "/pets"): [with_body(state="a" * 40 + "!")]}) as server:
        results = run_both(module, client_module, server.url, kind="Dog")
    assert [type(r).__name__ for r in results] == ["StepFailed", "StepFailed"]  # 1.0: CriterionError
    assert [r.criterion for r in results] == ["^(a|a)*$"] * 2
    logged = [r.getMessage() for r in caplog.records if r.name.endswith("_runtime_regex")]
    assert logged == [
        "workflow 'checkPets' step 'list': criterion '^(a|a)*$' could not be evaluated (the regex ran longer than "
        "0.05 s on a 41-character value (REGEX_TIMEOUT)); it fails"
    ] * 2


EMBEDDING = """
arazzo: {version}
info: {{title: Pets, version: "1"}}
sourceDescriptions: [{{name: pets, url: ../openapi/pets.yaml, type: openapi}}]
workflows:
  - workflowId: checkPets
    inputs:
      type: object
      properties:
        flag: {{type: boolean}}
        tags: {{type: array, items: {{type: string}}}}
        meta: {{type: object}}
        count: {{type: integer}}
        note: {{type: string}}
    steps:
      - stepId: list
        operationId: listPets
        parameters:
          - {{name: kind, in: query, value: "{{$inputs.flag}}|{{$inputs.tags}}|{{$inputs.meta}}|{{$inputs.note}}|{{$inputs.count}}"}}
        outputs:
          said: "owner={{$response.body#/owner}} pets={{$response.body#/pets}}"
    outputs: {{said: $steps.list.outputs.said}}
"""


def test_values_embedded_in_strings_are_json_text_in_1_1_and_python_text_in_1_0(tmp_path: Path) -> None:
    # 1.1, Runtime Expressions: "Scalar values [...] are converted to their string representation"; "a parsed
    # structure [...] MUST be serialized as JSON per RFC 8259"
    seen = {}
    for arazzo in ("1.1.0", "1.0.1"):
        package = "embedded_" + arazzo.replace(".", "")
        module, client_module, _ = build_flow(tmp_path, EMBEDDING.format(version=arazzo), package)
        with scripted({("GET", "/pets"): [with_body(pets=[{"name": "Rex"}])]}) as server:
            with client_module.Client(server.url) as client:
                outputs = module.check_pets(flag=True, tags=["a", "b"], meta={"k": 1}, count=3, pets_api=client)
        seen[arazzo] = (server.requests[0].query, outputs.said)
    assert seen == {
        "1.1.0": ([("kind", 'true|["a","b"]|{"k":1}|null|3')], 'owner=null pets=[{"name":"Rex"}]'),
        # 1.0.1 says nothing about it: Python's text of the value (a model's repr), as before issue 17
        "1.0.1": ([("kind", "True|['a', 'b']|{'k': 1}|None|3")], "owner=None pets=[ListPetsResponsePet(name='Rex', tags=None)]"),
    }


def test_numeric_strings_compare_as_numbers_in_1_1_orderings(tmp_path: Path) -> None:
    # 1.1: "Numeric strings SHOULD be coerced to numbers when compared with numeric operators": the header
    # X-Count '3' against the input '10' (both text); 1.0.1 does not say so: they compare as text ('3' > '10')
    criteria = "- condition: $response.header.X-Count < $inputs.kind && $inputs.kind >= $response.header.X-Count"
    replies = [with_body()]
    assert run_replies(tmp_path, criteria_flow(criteria, "1.1.0"), "numeric_11", replies, kind="10") == ["pass"] * 2
    assert run_replies(tmp_path, criteria_flow(criteria, "1.0.1"), "numeric_10", replies, kind="10") == ["fail"] * 2


def test_a_source_field_an_operation_id_shadows_is_an_unsupported_feature_in_1_1(tmp_path: Path) -> None:
    # 1.1, Source Description Expression Resolution: an operationId takes precedence over a field name
    api = api_with("""  /url:
    get:
      operationId: url
      parameters: [{name: q, in: query, schema: {type: string}}]
      responses: {"200": {description: ok}}
""")
    flow = HEAD_1_1 + """workflows:
  - workflowId: w
    steps:
      - stepId: s
        operationId: url
        parameters: [{name: q, in: query, value: $sourceDescriptions.jobs.url}]
"""
    assert diagnose(tmp_path, flow, api) == [
        f"{FLOW}:9:50: error[unsupported-feature]: '$sourceDescriptions.jobs.url' names operation 'url' (Arazzo 1.1: "
        "an operationId takes precedence over a source field), which is not supported by arazzo-gen yet as a value; "
        "the document is not built rather than built with another meaning",
    ]
    assert diagnose(tmp_path, flow.replace("1.1.0", "1.0.1"), api) == []  # 1.0.1: the source's url


POINTERS = """
arazzo: 1.1.0
info: {title: Pets, version: "1"}
sourceDescriptions: [{name: pets, url: ../openapi/pets.yaml, type: openapi}]
workflows:
  - workflowId: checkPets
    inputs: {type: object, properties: {meta: {type: object, properties: {kind: {type: string}}}}}
    steps:
      - stepId: list
        operationId: listPets
        parameters: [{name: kind, in: query, value: $inputs.meta#/kind}]
        outputs: {pets: $response.body#/pets}
      - stepId: again
        operationId: listPets
        parameters: [{name: kind, in: query, value: $steps.list.outputs.pets#/1/name}]
    outputs: {second: $steps.list.outputs.pets#/1/name}
"""


def test_json_pointers_on_inputs_and_step_outputs_in_1_1(tmp_path: Path) -> None:
    # 1.1's grammar: inputs-reference and steps-reference take '#' json-pointer (arazzo-gen read them in 1.0 too)
    module, client_module, _ = build_flow(tmp_path, POINTERS, "pointers_11")
    with scripted({("GET", "/pets"): [with_body(pets=[{"name": "Rex"}, {"name": "Tom"}])]}) as server:
        with client_module.Client(server.url) as client:
            outputs = module.check_pets(meta={"kind": "cat"}, pets_api=client)
    assert [r.query for r in server.requests] == [[("kind", "cat")], [("kind", "Tom")]]
    assert outputs.second == "Tom"


def test_a_payload_object_with_a_selector_member_is_a_selector_only_when_written_as_one(tmp_path: Path) -> None:
    flow = HEAD_1_1 + """workflows:
  - workflowId: w
    steps:
      - stepId: s
        operationId: createJob
        requestBody:
          payload:
            ui: {selector: '#name', type: css}
            pick: {context: $sourceDescriptions.jobs.url, selector: /a, type: xpath}
"""
    found = [h for h in diagnose(tmp_path, flow) if "error[" in h]
    # ui is the payload's own object; pick is an xpath Selector Object (compiled), whose context must be an
    # expression whose value is XML
    assert found == [
        f"{FLOW}:12:29: error[invalid-selector]: the context of an xpath selector must be a runtime expression (its "
        "value the XML the selector reads), not '$sourceDescriptions.jobs.url'"
    ]


DEPENDS = """
arazzo: 1.1.0
info: {title: Pets, version: "1"}
sourceDescriptions: [{name: pets, url: ../openapi/pets.yaml, type: openapi}]
workflows:
  - workflowId: checkPets
    inputs: {type: object, properties: {kind: {type: string}}}
    steps:
      - stepId: first
        operationId: listPets
        parameters: [{name: kind, in: query, value: $inputs.kind}]
      - stepId: feed
        operationId: getFeed
        dependsOn: [first]
      - stepId: last
        operationId: listPets
        dependsOn: [feed, first]
        parameters: [{name: kind, in: query, value: last}]
"""


def test_a_step_dependson_the_document_order_satisfies_is_compiled_and_others_are_refused(tmp_path: Path) -> None:
    # 1.1: "Tools supporting only sequential execution MUST execute steps in an order that satisfies both
    # explicit (dependsOn) and implicit (output reference) dependencies": document order already does here
    module, client_module, _ = build_flow(tmp_path, DEPENDS, "depends_11")
    script = {("GET", "/pets"): [with_body()], ("GET", "/feed"): [Reply(200, text="<feed/>", content_type="application/xml")]}
    with scripted(script) as server:
        with client_module.Client(server.url) as client:
            module.check_pets(kind="Dog", pets_api=client)
    assert [(r.line, r.query) for r in server.requests] == [
        ("GET /pets", [("kind", "Dog")]), ("GET /feed", []), ("GET /pets", [("kind", "last")])
    ]
    # in a workflow with actions (never reordered): a later step, a step of another workflow, an unknown step
    flow = DEPENDS.replace("dependsOn: [first]", "dependsOn: [last, $workflows.other.steps.x, nope]").replace(
        "        parameters: [{name: kind, in: query, value: last}]",
        "        parameters: [{name: kind, in: query, value: last}]\n        onFailure: [{name: stop, type: end}]",
    )
    _, found = compile_files(tmp_path / "refused", {"openapi/pets.yaml": API, "arazzo/pets.arazzo.yaml": flow}, "depends_no")
    where = "specs/arazzo/pets.arazzo.yaml"
    assert [line.replace(f"{tmp_path}/refused/", "") for line in found] == [
        (f"{where}:13:21: error[unsupported-feature]: a step-level 'dependsOn' on step 'last', which a path of the "
         f"workflow's actions (or the document's order) reaches step 'feed' without {REFUSED}"),
        (f"{where}:13:27: error[unsupported-feature]: a step-level 'dependsOn' on a step of another workflow "
         f"{REFUSED}"),
        f"{where}:13:53: error[unknown-step]: 'dependsOn' names step 'nope', which is not a step of this workflow",
        # (last's dependsOn [feed, first] holds on every path: compiled)
    ]


SUBSTITUTED = """
- {context: $response.body#/state, condition: '^(?<word>{$inputs.kind})$', type: regex}
- {context: $response.body, condition: '$.pets[?@.name == "{$inputs.kind}" || @.name == "Tom"]', type: jsonpath}
"""


def test_runtime_expressions_embedded_in_regex_and_jsonpath_conditions_are_substituted_in_1_1(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # 1.1, Runtime Expressions in Conditions: "The runtime expressions are evaluated first, then substituted into
    # the condition string before the expression is evaluated"
    text = criteria_flow(SUBSTITUTED, "1.1.0")
    replies = [with_body(state="Open"), with_body(state="Closed")]
    assert run_replies(tmp_path, text, "subst_11", replies, kind="Open|Closed") == ["pass"] * 4
    assert run_replies(tmp_path, text, "subst_11", replies, kind="Open") == ["pass", "pass", "fail", "fail"]
    # a condition that is not a valid pattern once substituted fails (and is logged), it does not crash
    with caplog.at_level(logging.WARNING):
        assert run_replies(tmp_path, text, "subst_11", replies[:1], kind="(") == ["fail", "fail"]
    assert any("invalid regular expression" in r.getMessage() for r in caplog.records)


def test_a_json_pointer_target_selector_type_is_compiled_in_1_1(tmp_path: Path) -> None:
    # 1.1: targetSelectorType jsonpointer (or {type: jsonpointer, version: rfc6901}) names what a target without
    # it already is for a JSON payload; jsonpath and xpath targets stay unsupported-feature errors
    flow = """arazzo: 1.1.0
info: {title: Orders, version: "1"}
sourceDescriptions: [{name: orders, url: ../openapi/orders.yaml}]
workflows:
  - workflowId: order
    inputs: {type: object, properties: {who: {type: string}}}
    steps:
      - stepId: create
        operationId: createOrder
        requestBody:
          payload: {customer: x, lines: [a]}
          replacements:
            - {target: /customer, targetSelectorType: jsonpointer, value: $inputs.who}
            - {target: /lines/0, targetSelectorType: {type: jsonpointer, version: rfc6901}, value: b}
        successCriteria: [{condition: $statusCode == 201}]
"""
    out, warnings = build_package(tmp_path, {"openapi/orders.yaml": ORDERS_API, "arazzo/orders.arazzo.yaml": flow},
                                  "pointer_target_11")  # fmt: skip
    assert warnings == []
    pkg = import_package(out, "pointer_target_11")
    with scripted({("POST", "/orders"): [Reply(201, {})]}) as server:
        with pkg.apis.orders.Client(server.url) as client:
            pkg.workflows.orders.order(who="Ann", orders_api=client)
    assert [r.json() for r in server.requests] == [{"customer": "Ann", "lines": ["b"]}]


def test_a_replacement_target_of_an_xml_payload_is_xpath_in_1_1(tmp_path: Path) -> None:
    # 1.1: without targetSelectorType, "target MUST be interpreted as XPath Expression if the payload is
    # application/xml": applied to the XML text the payload's mapping is serialised to, when the request is built
    flow = """arazzo: 1.1.0
info: {title: Shop, version: "1"}
sourceDescriptions: [{name: shop, url: ../openapi/shop.yaml}]
workflows:
  - workflowId: write
    inputs: {type: object, properties: {who: {type: string}}}
    steps:
      - stepId: s
        operationId: createNote
        requestBody:
          contentType: application/xml
          payload: {note: {"@n": 1, to: x, body: y}}
          replacements: [{target: /note/to, value: $inputs.who}, {target: //body, value: "<b> & c"}, {target: /note/@n, value: 2}]
        successCriteria: [{condition: $statusCode == 201}]
"""
    out, warnings = build_package(tmp_path, {"openapi/shop.yaml": QUERY_API, "arazzo/shop.arazzo.yaml": flow}, "xml_target_11")
    assert warnings == []
    pkg = import_package(out, "xml_target_11")
    script = {("POST", "/notes"): [Reply(201)]}
    for _, requests in sync_and_async(pkg, "write", script, who="Ann"):
        assert [r.body.decode() for r in requests] == ['<note n="2"><to>Ann</to><body>&lt;b&gt; &amp; c</body></note>']


def sync_and_async(pkg: ModuleType, workflow: str, script: Any, **inputs: Any) -> list[tuple[Any, list[Recorded]]]:
    """Run ``workflow`` of ``pkg.workflows.shop`` (over QUERY_API) sync, then async, each against a new scripted
    server: its outputs (or the exception it raised) and the requests it made, each time."""
    import asyncio

    module, api = pkg.workflows.shop, pkg.apis.shop
    runs: list[tuple[Any, list[Recorded]]] = []
    with scripted(script) as server, api.Client(server.url) as client:
        try:
            runs.append((getattr(module, workflow)(**inputs, shop_api=client), server.requests))
        except Exception as error:  # noqa: BLE001 - the test asserts what was raised
            runs.append((error, server.requests))

    async def run_async(url: str) -> Any:
        async with api.AsyncClient(url) as client:
            try:
                return await getattr(module, f"{workflow}_async")(**inputs, shop_api=client)
            except Exception as error:  # noqa: BLE001
                return error

    with scripted(script) as server:
        runs.append((asyncio.run(run_async(server.url)), server.requests))
    return runs


def test_selector_and_target_queries_are_checked_at_build_time(tmp_path: Path) -> None:
    # an invalid JSONPath or XPath query is a located invalid-selector error; a target of the other kind than the
    # payload an invalid-replacement; XPath's unbounded regex functions are refused as in a criterion
    flow = """arazzo: 1.1.0
info: {title: Shop, version: "1"}
sourceDescriptions: [{name: shop, url: ../openapi/shop.yaml}]
workflows:
  - workflowId: w
    inputs: {type: object, properties: {q: {type: object}, xml: {type: string}}}
    steps:
      - stepId: a
        operationId: createOrder
        requestBody:
          payload: {a: {context: $inputs.q, selector: '$.a[', type: jsonpath}}
          replacements:
            - {target: '$..[', targetSelectorType: jsonpath, value: 1}
            - {target: /a/b, targetSelectorType: xpath, value: 1}
      - stepId: b
        operationId: createNote
        requestBody:
          contentType: application/xml
          payload: <n/>
          replacements:
            - {target: $.n, targetSelectorType: jsonpath, value: 1}
            - {target: '/n[', value: 1}
            - {target: "/n[matches(., 'a')]", value: 1}
    outputs:
      x: {context: $inputs.xml, selector: 'tokenize(/a, "b")', type: xpath}
      y: {context: $inputs.xml, selector: '/a/b/', type: {type: xpath, version: xpath-10}}
"""
    _, found = compile_files(tmp_path, {"openapi/shop.yaml": QUERY_API, "arazzo/shop.arazzo.yaml": flow}, "bad_queries")
    assert [line.replace(f"{tmp_path}/specs/arazzo/shop.arazzo.yaml:", "") for line in found] == [
        "11:60: error[invalid-selector]: invalid JSONPath query (RFC 9535): unbalanced brackets",
        "13:29: error[invalid-selector]: invalid JSONPath query (RFC 9535): unbalanced brackets",
        "14:24: error[invalid-replacement]: an xpath target applies to an XML payload, and this payload is not XML",
        "21:24: error[invalid-replacement]: a jsonpath target applies to a JSON payload, and this payload is XML",
        "22:27: error[invalid-selector]: invalid XPath 3.1 expression: unexpected end of source",
        ("23:28: error[xpath-regex]: an xpath target may not call matches(): XPath's regular expressions run without a "
         "time bound (a backtracking pattern over a payload value would run for hours)"),
        ("25:44: error[xpath-regex]: an xpath selector may not call tokenize(): XPath's regular expressions run "
         "without a time bound (a backtracking pattern over a response value would run for hours)"),
        "26:48: error[invalid-selector]: invalid XPath 1.0 expression: unexpected end of source",
    ]


SELECTORS = """
arazzo: 1.1.0
info: {title: Pets, version: "1"}
sourceDescriptions: [{name: pets, url: ../openapi/pets.yaml, type: openapi}]
workflows:
  - workflowId: checkPets
    inputs: {type: object, properties: {query: {type: object}}}
    steps:
      - stepId: list
        operationId: listPets
        parameters:
          - {name: kind, in: query, value: {context: $inputs.query, selector: /kind, type: jsonpointer}}
        outputs:
          pets: {context: $response.body, selector: /pets, type: jsonpointer}
          first: {context: $response.body, selector: /pets/0/name, type: {type: jsonpointer, version: rfc6901}}
      - stepId: again
        operationId: listPets
        parameters:
          - {name: kind, in: query, value: {context: $steps.list.outputs.pets, selector: /1/name, type: jsonpointer}}
    outputs:
      first: $steps.list.outputs.first
      second: {context: $steps.list.outputs.pets, selector: /1/name, type: jsonpointer}
"""


def test_jsonpointer_selector_objects_are_compiled_in_1_1(tmp_path: Path) -> None:
    # 1.1 Selector Object with type jsonpointer (RFC 6901): the value the pointer selects in the context, in
    # outputs, parameter values (and payloads, replacement values)
    module, client_module, pkg = build_flow(tmp_path, SELECTORS, "selectors_11")
    with scripted({("GET", "/pets"): [with_body(pets=[{"name": "Rex"}, {"name": "Tom"}])]}) as server:
        with client_module.Client(server.url) as client:
            outputs = module.check_pets(query={"kind": "cat"}, pets_api=client)
    assert [r.query for r in server.requests] == [[("kind", "cat")], [("kind", "Tom")]]
    assert (outputs.first, outputs.second) == ("Rex", "Tom")
    # typed as the schema the pointer selects: ListPetsResponse.pets[0].name is a str
    assert "first: str | None" in (Path(pkg.__file__).parent / "workflows" / "pets.py").read_text()
    # the same output as a jsonpath selector (test_jsonpath_and_xpath_selector_objects_and_targets_are_compiled_in_1_1)
    written = SELECTORS.replace("selector: /pets, type: jsonpointer", "selector: $.pets, type: jsonpath")
    _, found = compile_files(tmp_path / "jp", {"openapi/pets.yaml": API, "arazzo/pets.arazzo.yaml": written}, "jp")
    assert [line for line in found if "error[" in line] == []


def test_a_jsonpointer_selector_over_text_is_an_error_not_a_crash(tmp_path: Path) -> None:
    flow = SELECTORS.replace("context: $inputs.query, selector: /kind", "context: $sourceDescriptions.pets.url, selector: /kind")
    _, found = compile_files(tmp_path, {"openapi/pets.yaml": API, "arazzo/pets.arazzo.yaml": flow}, "text_ctx")
    assert [line.replace(f"{tmp_path}/", "") for line in found] == [
        ("specs/arazzo/pets.arazzo.yaml:11:54: error[invalid-selector]: the context of a jsonpointer selector must be a "
         "runtime expression whose value is JSON, not '$sourceDescriptions.pets.url'"),
    ]


# -- parameters on success and failure actions (1.1): the inputs of the workflow a goto/retry runs ----------
ACTION_PARAMETERS = """arazzo: 1.1.0
info: {title: Jobs, version: "1"}
sourceDescriptions: [{name: jobs, url: ../openapi/jobs.yaml, type: openapi}]
components:
  parameters:
    why: {name: reason, value: relogin}
workflows:
  - workflowId: cleanup
    inputs:
      type: object
      properties: {id: {type: string}, reason: {type: string}}
      required: [id]
    steps:
      - stepId: cancel
        operationId: cancelJob
        parameters: [{name: id, in: path, value: $inputs.id}]
    outputs: {reason: $inputs.reason}
  - workflowId: check
    inputs: {type: object, properties: {id: {type: string}}, required: [id]}
    steps:
      - stepId: read
        operationId: getJob
        parameters: [{name: id, in: path, value: $inputs.id}]
        outputs: {state: $response.body#/state}
        onSuccess:
          - name: stuck
            type: goto
            workflowId: cleanup
            parameters: [{name: id, value: $response.body#/id}, {name: reason, value: "stuck {$steps.read.outputs.state}"}]
            criteria: [{condition: $response.body#/state == 'stuck'}]
        onFailure:
          - name: relogin
            type: retry
            workflowId: cleanup
            retryAfter: 2
            parameters: [{name: id, value: "old-{$inputs.id}"}, {reference: $components.parameters.why}]
            criteria: [{condition: $statusCode == 401}]
      - stepId: confirm
        operationId: getJob
        parameters: [{name: id, in: path, value: $inputs.id}]
    outputs: {state: $steps.read.outputs.state}
"""


def test_parameters_of_goto_and_retry_actions_are_the_inputs_of_the_workflow_they_run(tmp_path: Path) -> None:
    # 1.1 Success/Failure Action Object 'parameters': "A list of parameters that MUST be passed to a workflow as
    # referenced by workflowId"; values read where the action's criteria are (the step's response, outputs)
    from tests.test_flow import Run, job

    run = Run(tmp_path, ACTION_PARAMETERS, "action_params_11")
    assert [w for w in run.warnings if "[undocumented-response-field]" not in w] == []
    source = " ".join(Path(run.module().__file__).read_text().split())
    # straight Python: the callee's keyword arguments; sync code still calls workflows through run.call
    assert ('run.call( cleanup, id_=read_output(read, str, "check", "read", "/id"), reason=f"stuck {state}", '
            "jobs_api=jobs_api, deadline=run.left(), )") in source  # fmt: skip
    assert 'run.call( cleanup, id_=f"old-{id_}", reason="relogin", jobs_api=jobs_api' in source
    assert 'await cleanup_async( id_=f"old-{id_}", reason="relogin", jobs_api=jobs_api' in source
    stuck = Reply(200, {"id": "j9", "state": "stuck"})
    script = {("GET", "/jobs/j1"): [stuck], ("POST", "/jobs/j9/cancel"): [Reply(204)]}
    for result, lines, sleeps, _ in run.both("check", script, id_="j1"):
        assert result.state == "stuck"
        # the callee got the action's id (from the response), not the caller's input of that name
        assert lines == ["GET /jobs/j1", "POST /jobs/j9/cancel"]
        assert sleeps == []
    script = {("GET", "/jobs/j1"): [Reply(401), job("queued"), job("queued")],
              ("POST", "/jobs/old-j1/cancel"): [Reply(204)]}  # fmt: skip
    for result, lines, sleeps, _ in run.both("check", script, id_="j1"):
        assert result.state == "queued"
        assert lines == ["GET /jobs/j1", "POST /jobs/old-j1/cancel", "GET /jobs/j1", "GET /jobs/j1"]
        assert sleeps == [2.0]
    # what the callee was given, seen through its outputs: the component parameter's value and the template
    module = run.module()
    calls: list[dict[str, object]] = []
    real = module.cleanup

    def spy(**kwargs: object) -> object:
        calls.append({k: v for k, v in kwargs.items() if k in ("id_", "reason")})
        return real(**kwargs)

    module.cleanup = spy
    try:
        script = {("GET", "/jobs/j1"): [stuck], ("POST", "/jobs/j9/cancel"): [Reply(204)]}
        run.once("check", script, "jobs", False, {"id_": "j1"})
        script = {("GET", "/jobs/j1"): [Reply(401), job("queued"), job("queued")],
                  ("POST", "/jobs/old-j1/cancel"): [Reply(204)]}  # fmt: skip
        run.once("check", script, "jobs", False, {"id_": "j1"})
    finally:
        module.cleanup = real
    assert calls == [{"id_": "j9", "reason": "stuck stuck"}, {"id_": "old-j1", "reason": "relogin"}]


def test_action_parameter_mistakes_are_located_errors_and_1_0_ignores_them(tmp_path: Path) -> None:
    flow = HEAD_1_1 + """components:
  parameters:
    placed: {name: id, in: query, value: "1"}
workflows:
  - workflowId: callee
    inputs: {type: object, properties: {id: {type: string}}, required: [id]}
    steps:
      - {stepId: only, operationId: getJob, parameters: [{name: id, in: path, value: $inputs.id}]}
  - workflowId: w
    steps:
      - stepId: get
        operationId: getJob
        parameters: [{name: id, in: path, value: "1"}]
        onSuccess:
          - {name: a, type: end, parameters: [{name: id, value: x}]}
          - {name: b, type: goto, stepId: get, parameters: [{name: id, value: x}], criteria: [{condition: $statusCode == 1}]}
        onFailure:
          - {name: c, type: goto, workflowId: callee, parameters: [{name: id, in: path, value: x}]}
          - {name: d, type: retry, workflowId: callee, parameters: [{name: idd, value: x}]}
          - {name: e, type: retry, workflowId: callee, parameters: [{name: id, value: x}, {name: id, value: y}]}
          - {name: f, type: retry, workflowId: callee, parameters: [{reference: $components.parameters.placed}]}
          - name: g
            type: goto
            workflowId: callee
            parameters: [{name: id, value: {context: $response.body, selector: $.id, type: jsonpath}}]
"""
    assert diagnose(tmp_path, flow) == [
        (f"{FLOW}:18:34: error[invalid-action]: end action 'a' has 'parameters' but no workflowId; an action's "
         "parameters are the inputs of the workflow it runs (Arazzo 1.1)"),
        (f"{FLOW}:19:48: error[invalid-action]: goto action 'b' has 'parameters' but no workflowId; an action's "
         "parameters are the inputs of the workflow it runs (Arazzo 1.1)"),
        (f"{FLOW}:21:79: error[invalid-parameter]: an action's parameter takes no 'in' (Arazzo 1.1: \"The `in` "
         "field MUST NOT be used\"); it is an input of workflow 'callee'"),
        (f"{FLOW}:22:48: error[missing-parameter]: retry action 'd' does not pass the required input 'id' of "
         "workflow 'callee'"),
        (f"{FLOW}:22:88: error[unknown-input]: workflow 'callee' has no input 'idd' (retry action 'd' passes it); "
         "did you mean 'id'?"),
        f"{FLOW}:23:91: error[duplicate-parameter]: parameter 'id' is already in this list at line 23",
        (f"{FLOW}:24:69: error[invalid-parameter]: the parameter '$components.parameters.placed' has 'in', which an "
         "action's parameter does not take (Arazzo 1.1: \"The `in` field MUST NOT be used\"); it is an input of "
         "workflow 'callee'"),
    ]
    # 1.0.1 has no action parameters: an unknown-field warning, and the callee gets the same-named inputs
    flow_1_0 = HEAD_1_1.replace("1.1.0", "1.0.1") + """workflows:
  - workflowId: callee
    inputs: {type: object, properties: {id: {type: string}}, required: [id]}
    steps:
      - {stepId: only, operationId: getJob, parameters: [{name: id, in: path, value: $inputs.id}]}
  - workflowId: w
    inputs: {type: object, properties: {id: {type: string}}, required: [id]}
    steps:
      - stepId: get
        operationId: getJob
        parameters: [{name: id, in: path, value: $inputs.id}]
        onFailure:
          - {name: c, type: goto, workflowId: callee, parameters: [{name: id, value: x}]}
"""
    found = diagnose(tmp_path / "v10", flow_1_0) if (tmp_path / "v10").mkdir() is None else []
    assert [h for h in found if "unknown-field" in h] == [
        (f"{FLOW}:16:55: warning[unknown-field]: 'parameters' is not a field of a Failure Action Object; it is "
         "ignored; its fields are name, type, workflowId, stepId, retryAfter, retryLimit, criteria and x- "
         "extensions"),
    ]


# -- step timeout (1.1): the step fails when its request takes longer; its failure actions run -------------
TIMEOUTS = """arazzo: 1.1.0
info: {title: Jobs, version: "1"}
sourceDescriptions: [{name: jobs, url: ../openapi/jobs.yaml, type: openapi}]
workflows:
  - workflowId: read
    inputs: {type: object, properties: {id: {type: string}}, required: [id]}
    steps:
      - stepId: get
        operationId: getJob
        timeout: 500
        parameters: [{name: id, in: path, value: $inputs.id}]
        outputs: {state: $response.body#/state}
    outputs: {state: $steps.get.outputs.state}
  - workflowId: retried
    inputs: {type: object, properties: {id: {type: string}}, required: [id]}
    steps:
      - stepId: get
        operationId: getJob
        timeout: 500
        parameters: [{name: id, in: path, value: $inputs.id}]
        outputs: {state: $response.body#/state}
        onFailure:
          - {name: gone, type: end, criteria: [{condition: $statusCode == 404}]}
          - {name: again, type: retry, retryAfter: 0.5, retryLimit: 1}
    outputs: {state: $steps.get.outputs.state}
  - workflowId: cancelled
    inputs: {type: object, properties: {id: {type: string}}, required: [id]}
    steps:
      - stepId: get
        operationId: getJob
        timeout: 500
        parameters: [{name: id, in: path, value: $inputs.id}]
        outputs: {state: $response.body#/state}
        onFailure:
          - {name: late, type: goto, stepId: cancel, criteria: [{condition: $inputs.id != 'keep'}]}
      - stepId: confirm
        operationId: getJob
        parameters: [{name: id, in: path, value: $inputs.id}]
        onSuccess: [{name: stop, type: end}]
      - stepId: cancel
        operationId: cancelJob
        parameters: [{name: id, in: path, value: $inputs.id}]
    outputs: {state: $steps.get.outputs.state}
"""


def timed(*gets: Any) -> Callable[[], Callable[[Recorded], Reply]]:
    """A script factory (``Run.both``): each GET waits, then gets the next reply of ``gets`` (pairs of a delay
    and a reply; the last repeats); POST .../cancel gets 204."""
    pairs: list[tuple[float, Reply]] = list(zip(gets[::2], gets[1::2], strict=True))

    def script() -> Callable[[Recorded], Reply]:
        served: list[int] = []

        def reply(request: Recorded) -> Reply:
            if request.method == "POST":
                return Reply(204)
            index = min(len(served), len(pairs) - 1)
            served.append(index)
            time.sleep(pairs[index][0])
            return pairs[index][1]

        return reply

    return script


SLOW, FAST = 1.0, 0.0


def test_a_step_timeout_fails_the_step_when_its_request_takes_longer_and_its_failure_actions_run(
    tmp_path: Path,
) -> None:
    from tests.test_flow import Run, job

    run = Run(tmp_path, TIMEOUTS, "step_timeout_11")
    assert [w for w in run.warnings if "[undocumented-response-field]" not in w] == []
    runtime = run.package._runtime
    source = " ".join(Path(run.module().__file__).read_text().split())
    # straight Python: the call's deadline is the step's timeout cut to the time left of the run
    assert 'with any_status(), run.timeout(0.5): get = jobs_api.get_job( id_=id_, deadline=run.left(0.5), )' in source
    # no failure action: the step fails (StepFailed without a response, the client's timeout as its cause)
    for result, lines, _, _ in run.both("read", timed(SLOW, job("done")), id_="j1"):
        assert type(result) is runtime.StepFailed, result
        assert (result.step, result.criterion, result.status_code, result.response) == (
            "get", "a response within the step's timeout (500 ms)", None, None
        )
        assert isinstance(result.cause, runtime.ApiTimeoutError)
        assert lines == ["GET /jobs/j1"]
    for result, _, _, _ in run.both("read", timed(FAST, job("done")), id_="j1"):
        assert result.state == "done"
    # the run's deadline comes first: its own timeout error, not the step's failure
    for result, _, _, _ in run.both("read", timed(SLOW, job("done")), id_="j1", deadline=0.1):
        assert type(result) is runtime.ApiTimeoutError, result
    # failure actions: a criterion over the response ($statusCode) does not hold without one; a retry does
    for result, lines, sleeps, _ in run.both("retried", timed(SLOW, job("late"), FAST, job("done")), id_="j1"):
        assert result.state == "done"
        assert (lines, sleeps) == (["GET /jobs/j1"] * 2, [0.5])
    for result, lines, sleeps, _ in run.both("retried", timed(FAST, Reply(404)), id_="j1"):
        assert result.state is None  # 'gone' ends the workflow on a 404 response
        assert (lines, sleeps) == (["GET /jobs/j1"], [])
    for result, lines, sleeps, _ in run.both("retried", timed(SLOW, job("late")), id_="j1"):
        assert type(result) is runtime.StepFailed and result.criterion.endswith("timeout (500 ms)"), result
        assert (lines, sleeps) == (["GET /jobs/j1"] * 2, [0.5])  # the retry limit, then the step's timeout
    # a goto across steps (the loop over step labels)
    for result, lines, _, _ in run.both("cancelled", timed(SLOW, job("late")), id_="j1"):
        assert result.state is None
        assert lines == ["GET /jobs/j1", "POST /jobs/j1/cancel"]
    for result, lines, _, _ in run.both("cancelled", timed(SLOW, job("late")), id_="keep"):
        assert type(result) is runtime.StepFailed and result.step == "get", result
        assert lines == ["GET /jobs/keep"]


# -- Selector Objects of type jsonpath and xpath, and jsonpath/xpath replacement targets (1.1) ---------------
QUERY_API = """
openapi: 3.0.3
info: {title: Shop, version: "1"}
servers: [{url: "http://127.0.0.1:9"}]
paths:
  /pets:
    get:
      operationId: listPets
      parameters: [{name: kind, in: query, schema: {type: string}}]
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  pets:
                    type: array
                    items:
                      type: object
                      properties:
                        name: {type: string}
                        tags: {type: array, items: {type: string}}
  /feed:
    get:
      operationId: getFeed
      responses:
        "200": {description: ok, content: {application/xml: {schema: {type: string}}}}
  /orders:
    post:
      operationId: createOrder
      requestBody:
        required: true
        content: {application/json: {schema: {type: object}}}
      responses:
        "201": {description: created}
  /notes:
    post:
      operationId: createNote
      requestBody:
        required: true
        content: {application/xml: {schema: {type: string}}}
      responses:
        "201": {description: created}
"""

QUERY_SELECTORS = """
arazzo: 1.1.0
info: {title: Shop, version: "1"}
sourceDescriptions: [{name: shop, url: ../openapi/shop.yaml, type: openapi}]
workflows:
  - workflowId: buy
    inputs: {type: object, properties: {query: {type: object}}}
    steps:
      - stepId: list
        operationId: listPets
        parameters:
          - {name: kind, in: query, value: {context: $inputs.query, selector: $.kind, type: jsonpath}}
        outputs:
          first: {context: $response.body, selector: '$.pets[0].name', type: jsonpath}
          last: {context: $response.body, selector: "$.pets[-1]['name']", type: {type: jsonpath, version: rfc9535}}
          pet.names: {context: $response.body, selector: '$.pets[*].name', type: jsonpath}
          cute: {context: $response.body, selector: '$.pets[?@.tags[0] == "cute"].name', type: jsonpath}
          none: {context: $response.body, selector: $..nothing, type: jsonpath}
      - stepId: feed
        operationId: getFeed
        outputs:
          title: {context: $response.body, selector: /feed/title, type: xpath}
          count: {context: $response.body, selector: count(/feed/entry), type: {type: xpath, version: xpath-10}}
          ids: {context: $response.body, selector: /feed/entry/@id, type: {type: xpath, version: xpath-20}}
          xml: $response.body
      - stepId: order
        operationId: createOrder
        requestBody:
          payload:
            title: {context: $steps.feed.outputs.xml, selector: /feed/title, type: {type: xpath, version: xpath-30}}
            lines: [{sku: A, qty: 1}, {sku: B, qty: 2}]
          replacements:
            - target: "$.lines[?@.sku == 'B'].qty"
              targetSelectorType: jsonpath
              value: {context: $inputs.query, selector: $.qty, type: jsonpath}
            - {target: $.by, targetSelectorType: {type: jsonpath, version: rfc9535}, value: $steps.list.outputs.last}
        successCriteria: [{condition: $statusCode == 201}]
      - stepId: note
        operationId: createNote
        requestBody:
          contentType: application/xml
          payload: '<note><to>x</to><body lang="en">{$steps.list.outputs.first}</body></note>'
          replacements:
            - {target: /note/to, value: $steps.list.outputs.last}
            - target: /note/body/@lang
              targetSelectorType: {type: xpath, version: xpath-30}
              value: {context: $steps.feed.outputs.xml, selector: 'string(/feed/entry[2]/@id)', type: xpath}
        successCriteria: [{condition: $statusCode == 201}]
    outputs:
      first: $steps.list.outputs.first
      last: $steps.list.outputs.last
      names: $steps.list.outputs.pet.names
      cute: $steps.list.outputs.cute
      none: $steps.list.outputs.none
      second: {context: $steps.list.outputs.pet.names, selector: "$[1]", type: jsonpath}
      title: $steps.feed.outputs.title
      count: $steps.feed.outputs.count
      ids: $steps.feed.outputs.ids
"""

FEED = '<feed><title>News &amp; more</title><entry id="e1"/><entry id="e2"/></feed>'


def test_jsonpath_and_xpath_selector_objects_and_targets_are_compiled_in_1_1(tmp_path: Path) -> None:
    # 1.1 Selector Object: "context ... MUST evaluate to structured data", "selector: A selector expression
    # (e.g., $.items[0].id, /Envelope/Item)"; Payload Replacement Object targetSelectorType jsonpath/xpath, and a
    # target of an XML payload without it is XPath
    out, warnings = build_package(
        tmp_path, {"openapi/shop.yaml": QUERY_API, "arazzo/shop.arazzo.yaml": QUERY_SELECTORS}, "query_selectors_11"
    )
    assert [w for w in warnings if "[undocumented-response-field]" not in w] == []
    pkg = import_package(out, "query_selectors_11")
    source = Path(pkg.workflows.shop.__file__).read_text()
    # compiled, not interpreted: each selector is a runtime helper given the literal query; typed where known
    assert "first: str | None" in source and "names: list[str | None]" in source and "none: list[Any]" in source
    assert 'first = jsonpath_output(list_, str | None, "buy", "list", "$.pets[0].name")' in source
    assert 'jsonpath_outputs(list_, str | None, "buy", "list", "$.pets[*].name")' in source
    assert 'none = jsonpath_values("$..nothing", body_json(list_), "buy", "list")' in source
    assert 'xpath_value("/feed/title",feed.content,version="3.1",workflow="buy",step="feed")' in "".join(source.split())
    pets = {"pets": [{"name": "Rex", "tags": ["cute"]}, {"name": "Tom", "tags": ["old"]}, {"name": "Kit", "tags": ["cute", "old"]}]}
    script = {("GET", "/pets"): [Reply(200, pets)], ("GET", "/feed"): [Reply(200, text=FEED, content_type="application/xml")],
              ("POST", "/orders"): [Reply(201)], ("POST", "/notes"): [Reply(201)]}  # fmt: skip
    for outputs, requests in sync_and_async(pkg, "buy", script, query={"kind": "cat", "qty": 7}):
        assert (outputs.first, outputs.last, outputs.second) == ("Rex", "Kit", "Tom")
        assert (outputs.names, outputs.cute, outputs.none) == (["Rex", "Tom", "Kit"], ["Rex", "Kit"], [])
        assert (outputs.title, outputs.count, outputs.ids) == ("News & more", 2, ["e1", "e2"])
        assert [r.line for r in requests] == ["GET /pets", "GET /feed", "POST /orders", "POST /notes"]
        assert requests[0].query == [("kind", "cat")]
        assert requests[2].json() == {
            "title": "News & more", "lines": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 7}], "by": "Kit",
        }  # fmt: skip
        assert requests[3].body.decode() == '<note><to>Kit</to><body lang="e2">Rex</body></note>'
        assert requests[3].headers["content-type"] == "application/xml"


XPATH_SUBSTITUTED = """
- {context: $response.body, condition: '/feed/entry[@id = "{$inputs.kind}"]', type: xpath}
"""


def test_runtime_expressions_embedded_in_xpath_conditions_are_substituted_in_1_1(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # 1.1, Runtime Expressions in Conditions: "Runtime expressions within {} are evaluated and converted to strings;
    # the resulting string is the final condition expression" (XPath as the other kinds); a built query that calls
    # XPath's regex functions (unbounded) fails the criterion, logged, as an evaluation error does
    module, client_module, _ = build_flow(tmp_path, criteria_flow(XPATH_SUBSTITUTED, "1.1.0", xml=True), "xpath_subst_11")
    source = "".join(Path(module.__file__).read_text().split())
    assert """xpath_matches('/feed/entry[@id="'+embedded_text(kind)+'"]',feed.content,""" in source
    assert 'arazzo="1.1",built=True,)' in source

    def outcomes(kind: str) -> list[str]:
        with scripted({("GET", "/feed"): [Reply(200, text=FEED, content_type="application/xml")]}) as server:
            results = run_both(module, client_module, server.url, kind=kind)
        assert [r.line for r in server.requests] == ["GET /feed", "GET /feed"]
        return ["pass" if not isinstance(r, Exception) else type(r).__name__ for r in results]

    assert outcomes("e2") == ["pass", "pass"]
    assert outcomes("e3") == ["StepFailed", "StepFailed"]
    with caplog.at_level(logging.WARNING):
        assert outcomes('e2" and matches(., "^(a|a)*$") and "') == ["StepFailed", "StepFailed"]
        assert outcomes('e2"]]') == ["StepFailed", "StepFailed"]  # not an expression once substituted
    messages = [r.getMessage() for r in caplog.records]
    assert sum("calls matches(), whose regular expression would run without a time bound" in m for m in messages) == 2
    assert sum("XPath could not evaluate it" in m for m in messages) == 2
    # the condition's own text may not call them (located at the call)
    refused = criteria_flow("- {context: $response.body, condition: '/feed[@x = \"{$inputs.kind}\"]/title[matches(., \"a\")]', type: xpath}",
                            "1.1.0", xml=True)  # fmt: skip
    _, found = compile_files(tmp_path / "refused", {"openapi/pets.yaml": API, "arazzo/pets.arazzo.yaml": refused}, "x")
    assert [line.replace(f"{tmp_path}/refused/", "") for line in found] == [
        "specs/arazzo/pets.arazzo.yaml:12:86: error[xpath-regex]: an xpath criterion may not call matches(): XPath's "
        "regular expressions run without a time bound (a backtracking pattern over a response value would run for "
        "hours); test the value with a regex criterion, which is time-bounded"
    ]


def test_a_singular_jsonpath_output_that_selects_nothing_and_an_xpath_selector_over_other_text_fail_the_step(
    tmp_path: Path,
) -> None:
    # a singular query over $response.body is read as an output pointer is: StepOutputError when it selects no node
    # (a non-singular one is then an empty list); an xpath selector's context must be XML: StepFailed naming it
    out, _ = build_package(
        tmp_path, {"openapi/shop.yaml": QUERY_API, "arazzo/shop.arazzo.yaml": QUERY_SELECTORS}, "selectors_fail_11"
    )
    pkg = import_package(out, "selectors_fail_11")
    for error, requests in sync_and_async(pkg, "buy", {("GET", "/pets"): [Reply(200, {"pets": []})]}, query={}):
        assert type(error) is pkg._runtime.StepOutputError, error
        assert str(error) == ("workflow 'buy' step 'list': the jsonpath selector $.pets[0].name selects nothing in the "
                              'response body; the body held {"pets": []}')  # fmt: skip
        assert [r.line for r in requests] == ["GET /pets"]
    pets = Reply(200, {"pets": [{"name": "Rex"}]})
    script = {("GET", "/pets"): [pets], ("GET", "/feed"): [Reply(200, text="not xml", content_type="application/xml")]}
    for error, requests in sync_and_async(pkg, "buy", script, query={}):
        assert type(error) is pkg._runtime.StepFailed, error
        assert str(error) == ("workflow 'buy' step 'feed' failed: the xpath selector /feed/title needs XML text, and "
                              "its context is not well-formed XML")  # fmt: skip
        assert [r.line for r in requests] == ["GET /pets", "GET /feed"]


def test_jsonpath_and_xpath_selectors_as_parameters_of_an_action_are_compiled(tmp_path: Path) -> None:
    # 1.1 action parameters are Parameter Objects: their value may be a Selector Object, read where the action's
    # criteria are (here the step's response)
    from tests.test_flow import Run

    flow = ACTION_PARAMETERS.replace(
        "parameters: [{name: id, value: $response.body#/id}, ",
        "parameters: [{name: id, value: {context: $response.body, selector: '$.ids[1]', type: jsonpath}}, ",
    ).replace(
        "{name: reason, value: \"stuck {$steps.read.outputs.state}\"}]",
        "{name: reason, value: {context: $response.body, selector: $.state, type: jsonpath}}]",
    )
    assert flow.count("type: jsonpath") == 2
    run = Run(tmp_path, flow, "action_selectors_11")
    assert [w for w in run.warnings if "[undocumented-response-field]" not in w] == []
    script = {("GET", "/jobs/j1"): [Reply(200, {"id": "j1", "state": "stuck", "ids": ["x", "j9"]})],
              ("POST", "/jobs/j9/cancel"): [Reply(204)]}  # fmt: skip
    for result, lines, sleeps, _ in run.both("check", script, id_="j1"):
        assert result.state == "stuck"
        assert lines == ["GET /jobs/j1", "POST /jobs/j9/cancel"]  # the callee got the id the selector selects
    source = " ".join(Path(run.module().__file__).read_text().split())
    assert ('run.call( cleanup, id_=jsonpath_output(read, Any, "check", "read", "$.ids[1]"), '
            'reason=jsonpath_output(read, str, "check", "read", "$.state"),') in source  # fmt: skip


# -- step timeout on a step that runs a workflow (1.1): the callee gets the step's time; past it, the step fails
CALL_TIMEOUTS = """arazzo: 1.1.0
info: {title: Jobs, version: "1"}
sourceDescriptions: [{name: jobs, url: ../openapi/jobs.yaml, type: openapi}]
workflows:
  - workflowId: read
    inputs: {type: object, properties: {id: {type: string}}, required: [id]}
    steps:
      - stepId: get
        operationId: getJob
        parameters: [{name: id, in: path, value: $inputs.id}]
        outputs: {state: $response.body#/state}
    outputs: {state: $steps.get.outputs.state}
  - workflowId: bounded
    inputs: {type: object, properties: {id: {type: string}}, required: [id]}
    steps:
      - stepId: run
        workflowId: read
        timeout: 500
        parameters: [{name: id, value: $inputs.id}]
    outputs: {state: $steps.run.outputs.state}
  - workflowId: fallback
    inputs: {type: object, properties: {id: {type: string}}, required: [id]}
    steps:
      - stepId: run
        workflowId: read
        timeout: 500
        parameters: [{name: id, value: $inputs.id}]
        onFailure:
          - {name: again, type: retry, retryAfter: 0.5, retryLimit: 1}
    outputs: {state: $steps.run.outputs.state}
"""



def test_a_step_timeout_on_a_step_that_runs_a_workflow_bounds_the_whole_run_of_that_workflow(
    tmp_path: Path,
) -> None:
    # 1.1 Step Object 'timeout': "The maximum number of milli-seconds to wait for the step to complete before
    # aborting and failing the step": the callee runs with the step's timeout as its deadline
    from tests.test_flow import Run, job

    run = Run(tmp_path, CALL_TIMEOUTS, "call_timeout_11")
    assert [w for w in run.warnings if "[undocumented-response-field]" not in w] == []
    runtime = run.package._runtime
    source = " ".join(Path(run.module().__file__).read_text().split())
    criterion = "workflow 'read' to finish within the step's timeout (500 ms)"
    assert ('with run.timeout(0.5, "workflow \'read\' to finish"): run_2 = run.call(read, id_=id_, '
            "jobs_api=jobs_api, deadline=run.left(0.5))") in source  # fmt: skip
    assert "with run.timeout(0.5, \"workflow 'read' to finish\"): run_2 = await read_async(" in source
    for result, lines, _, _ in run.both("bounded", timed(SLOW, job("done")), id_="j1"):
        assert type(result) is runtime.StepFailed, result
        assert (result.workflow, result.step, result.criterion, result.response) == ("bounded", "run", criterion, None)
        assert isinstance(result.cause, runtime.ApiTimeoutError)
        assert lines == ["GET /jobs/j1"]
    for result, lines, _, _ in run.both("bounded", timed(FAST, job("done")), id_="j1"):
        assert result.state == "done"
    # the callee's own failure stays its own
    for result, lines, _, _ in run.both("bounded", timed(FAST, Reply(404)), id_="j1"):
        assert type(result) is runtime.StepFailed and (result.workflow, result.step) == ("read", "get"), result
    # the run's deadline comes first: its own timeout error
    for result, _, _, _ in run.both("bounded", timed(SLOW, job("done")), id_="j1", deadline=0.1):
        assert type(result) is runtime.ApiTimeoutError, result
    # failure actions apply to the timed-out step: a retry runs the workflow again
    for result, lines, sleeps, _ in run.both("fallback", timed(SLOW, job("late"), FAST, job("done")), id_="j1"):
        assert result.state == "done"
        assert (lines, sleeps) == (["GET /jobs/j1"] * 2, [0.5])
    for result, lines, sleeps, _ in run.both("fallback", timed(SLOW, job("late")), id_="j1"):
        assert type(result) is runtime.StepFailed and result.criterion == criterion, result
        assert (lines, sleeps) == (["GET /jobs/j1"] * 2, [0.5])



def sync_then_async(module: ModuleType, function: str, client_module: ModuleType, url: str, api: str,
                   **inputs: Any) -> list[Any]:  # fmt: skip
    """The outputs of workflow ``function`` of ``module`` run sync then async against ``url``, its client (the
    ``Client`` and ``AsyncClient`` of ``client_module``) passed as ``api``."""
    with client_module.Client(url) as client:
        first = getattr(module, function)(**inputs, **{api: client})

    async def run() -> Any:
        async with client_module.AsyncClient(url) as client:
            return await getattr(module, function + "_async")(**inputs, **{api: client})

    return [first, asyncio.run(run())]



# -- step dependsOn that needs a reordering (1.1 Step Dependencies and Execution Order) ---------------------
REORDERED = """
arazzo: 1.1.0
info: {title: Pets, version: "1"}
sourceDescriptions: [{name: pets, url: ../openapi/pets.yaml, type: openapi}]
workflows:
  - workflowId: checkPets
    inputs: {type: object, properties: {kind: {type: string}}}
    steps:
      - stepId: last
        operationId: listPets
        dependsOn: [feed]
        parameters: [{name: kind, in: query, value: "{$steps.first.outputs.state}-last"}]
      - stepId: feed
        operationId: getFeed
        dependsOn: [first]
      - stepId: first
        operationId: listPets
        parameters: [{name: kind, in: query, value: $inputs.kind}]
        outputs: {state: $response.body#/state}
      - stepId: solo
        operationId: listPets
        parameters: [{name: kind, in: query, value: solo}]
    outputs: {state: $steps.first.outputs.state}
  - workflowId: implicit
    steps:
      - stepId: use
        operationId: listPets
        parameters: [{name: kind, in: query, value: $steps.make.outputs.state}]
      - stepId: make
        operationId: listPets
        parameters: [{name: kind, in: query, value: make}]
        outputs: {state: $response.body#/state}
      - stepId: tail
        operationId: getFeed
        dependsOn: [make]
"""



def test_steps_run_in_a_stable_order_that_satisfies_dependson_and_output_references(tmp_path: Path) -> None:
    # 1.1: "Tools supporting only sequential execution MUST execute steps in an order that satisfies both
    # explicit (dependsOn) and implicit (output reference) dependencies"; independent steps keep document order
    module, client_module, _ = build_flow(tmp_path, REORDERED, "reordered_11")
    feed = Reply(200, text="<feed/>", content_type="application/xml")
    with scripted({("GET", "/pets"): [with_body(state="Open")], ("GET", "/feed"): [feed]}) as server:
        results = run_both(module, client_module, server.url, kind="Dog")
    assert [r.state for r in results] == ["Open", "Open"]
    once = [("GET /pets", [("kind", "Dog")]), ("GET /feed", []), ("GET /pets", [("kind", "Open-last")]),
            ("GET /pets", [("kind", "solo")])]  # fmt: skip
    assert [(r.line, r.query) for r in server.requests] == once * 2
    with scripted({("GET", "/pets"): [with_body(state="Made")], ("GET", "/feed"): [feed]}) as server:
        sync_then_async(module, "implicit", client_module, server.url, "pets_api")
    once = [("GET /pets", [("kind", "make")]), ("GET /pets", [("kind", "Made")]), ("GET /feed", [])]
    assert [(r.line, r.query) for r in server.requests] == once * 2



def test_a_cycle_of_step_dependencies_is_a_located_error(tmp_path: Path) -> None:
    flow = HEAD_1_1 + """workflows:
  - workflowId: w
    steps:
      - stepId: a
        operationId: getJob
        dependsOn: [b]
        parameters: [{name: id, in: path, value: "1"}]
      - stepId: b
        operationId: getJob
        dependsOn: [a]
        parameters: [{name: id, in: path, value: "1"}]
  - workflowId: v
    steps:
      - stepId: a
        operationId: getJob
        parameters: [{name: id, in: path, value: $steps.b.outputs.id}]
        outputs: {id: $response.body#/id}
      - stepId: b
        operationId: getJob
        dependsOn: [a]
        parameters: [{name: id, in: path, value: "1"}]
        outputs: {id: $response.body#/id}
  - workflowId: u
    steps:
      - stepId: a
        operationId: getJob
        parameters: [{name: id, in: path, value: $steps.b.outputs.id}]
      - stepId: b
        operationId: getJob
        parameters: [{name: id, in: path, value: "1"}]
        outputs: {id: $response.body#/id}
"""
    assert diagnose(tmp_path, flow) == [
        (f"{FLOW}:13:21: error[step-cycle]: step 'a' depends on itself: a -> b -> a ('dependsOn' entries and "
         "'$steps.<id>.outputs' references); no order of the steps runs each after the steps it depends on"),
        # (the steps stay in the document's order, where a reads b's output before b has run)
        f"{FLOW}:19:50: error[forward-step-reference]: '$steps.b.outputs.id' is used before step 'b' has run",
        (f"{FLOW}:23:21: error[step-cycle]: step 'a' depends on itself: a -> b -> a ('dependsOn' entries and "
         "'$steps.<id>.outputs' references); no order of the steps runs each after the steps it depends on"),
        # no dependsOn in the workflow: the document's order is the order, a forward reference an error
        f"{FLOW}:30:50: error[forward-step-reference]: '$steps.b.outputs.id' is used before step 'b' has run",
    ]



# -- querystring parameters (OpenAPI 3.2 'in: querystring'; Arazzo 1.1 Parameter Object 'in') ---------------
QUERYSTRING_API = """
openapi: 3.2.0
info: {title: Search, version: "1"}
servers: [{url: "http://127.0.0.1:9"}]
paths:
  /search:
    get:
      operationId: search
      parameters:
        - name: filter
          in: querystring
          required: true
          content:
            application/x-www-form-urlencoded:
              schema:
                type: object
                properties:
                  kind: {type: string}
                  tags: {type: array, items: {type: string}}
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: object, properties: {count: {type: integer}}}}}}
  /find:
    get:
      operationId: find
      parameters:
        - name: q
          in: querystring
          content:
            application/json:
              schema:
                type: object
                properties:
                  numbers: {type: array, items: {type: integer}}
                  flag: {}
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: object, properties: {count: {type: integer}}}}}}
"""



QUERYSTRING_FLOW = """
arazzo: 1.1.0
info: {title: Search, version: "1"}
sourceDescriptions: [{name: search, url: ../openapi/search.yaml, type: openapi}]
workflows:
  - workflowId: lookUp
    inputs: {type: object, properties: {kind: {type: string}}, required: [kind]}
    steps:
      - stepId: form
        operationId: search
        parameters: [{name: filter, in: querystring, value: "kind={$inputs.kind}&tags=a+b&tags=c%2Bd"}]
        outputs: {count: $response.body#/count}
      - stepId: json
        operationId: find
        parameters: [{name: q, in: querystring, value: '{"numbers":[1,2],"flag":null}'}]
    outputs: {count: $steps.form.outputs.count}
"""



def test_a_querystring_parameter_is_the_whole_query_string_serialised_as_its_media_type(tmp_path: Path) -> None:
    # Arazzo 1.1: "For querystring parameters, the value MUST resolve to a string representing the complete query
    # string", in "the media type format as expressed by the parameter's content field". OpenAPI 3.2: "A
    # parameter that treats the entire URL query string as a value which MUST be specified using the content
    # field, most often with media type application/x-www-form-urlencoded ... in the same way as with request
    # bodies of that media type"; any other media type's text is percent-encoded as the query string
    folder = tmp_path / "qs"
    out, found = build_package(folder, {"openapi/search.yaml": QUERYSTRING_API, "arazzo/search.arazzo.yaml": QUERYSTRING_FLOW}, "qs_11")
    assert [w for w in found if "[undocumented-response-field]" not in w] == []
    package = import_package(out, "qs_11")
    module, client_module = package.workflows.search, package.apis.search
    script = {("GET", "/search"): [Reply(200, {"count": 3})], ("GET", "/find"): [Reply(200, {"count": 1})]}
    with scripted(script) as server:
        results = sync_then_async(module, "look_up", client_module, server.url, "search_api", kind="Big Dog")
    assert [r.count for r in results] == [3, 3]
    once = [("GET /search", "kind=Big%20Dog&tags=a+b&tags=c%2Bd"),
            ("GET /find", "%7B%22numbers%22%3A%5B1%2C2%5D%2C%22flag%22%3Anull%7D")]  # fmt: skip
    assert [(r.line, r.raw_query) for r in server.requests] == once * 2
    # the client method: the querystring parameter is an argument of its own; no query string when omitted
    with scripted(script) as server:
        with client_module.Client(server.url) as client:
            client.search(filter_={"kind": "x y"})
            client.find()
            client.find(q={"flag": True})
            client.search(filter_="a=1&b=x y")
            client.find(q='{"flag": 1}')
    assert [r.raw_query for r in server.requests] == [
        "kind=x+y", "", "%7B%22flag%22%3Atrue%7D", "a=1&b=x%20y", "%7B%22flag%22%3A%201%7D"
    ]
    # Arazzo 1.0.1 has no querystring location
    files = {"openapi/search.yaml": QUERYSTRING_API,
             "arazzo/search.arazzo.yaml": QUERYSTRING_FLOW.replace("arazzo: 1.1.0", "arazzo: 1.0.1")}  # fmt: skip
    _, found = compile_files(tmp_path / "v10", files, "qs_10")
    where = "specs/arazzo/search.arazzo.yaml"
    assert [line.replace(f"{tmp_path}/v10/", "") for line in found if "[invalid-parameter]" in line] == [
        f"{where}:10:41: error[invalid-parameter]: parameter 'filter' needs 'in' to be one of path, query, header, cookie",
        f"{where}:14:36: error[invalid-parameter]: parameter 'q' needs 'in' to be one of path, query, header, cookie",
    ]



# -- $self: the base URI of relative references, identity-based referencing, and the expression ------------
SELF_API = """openapi: 3.2.0
$self: https://flows.example.com/openapi/jobs.yaml
info: {title: Jobs, version: "1"}
servers: [{url: "http://127.0.0.1:9"}]
paths:
  /jobs/{id}:
    get:
      operationId: getJob
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
        - {name: from, in: query, schema: {type: string}}
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: object, properties: {state: {type: string}}}}}}
"""



SELF_MAIN = """arazzo: 1.1.0
$self: https://flows.example.com/arazzo/main.arazzo.yaml
info: {title: Main, version: "1"}
sourceDescriptions:
  - {name: jobs, url: ../openapi/jobs.yaml}
  - {name: shared, url: shared.arazzo.yaml, type: arazzo}
workflows:
  - workflowId: check
    inputs: {type: object, properties: {id: {type: string}}, required: [id]}
    steps:
      - stepId: get
        operationId: getJob
        parameters: [{name: id, in: path, value: $inputs.id}, {name: from, in: query, value: "{$self}#get"}]
        outputs: {state: $response.body#/state}
      - stepId: again
        workflowId: $sourceDescriptions.shared.read
        parameters: [{name: id, value: $inputs.id}]
    outputs: {state: $steps.get.outputs.state, me: $self, other: $steps.again.outputs.origin}
"""



# found by its identity only: no file lies at specs/arazzo/shared.arazzo.yaml
SELF_SHARED = """arazzo: 1.1.0
$self: https://flows.example.com/arazzo/shared.arazzo.yaml
info: {title: Shared, version: "1"}
sourceDescriptions: [{name: jobs, url: ../openapi/jobs.yaml}]
workflows:
  - workflowId: read
    inputs: {type: object, properties: {id: {type: string}}, required: [id]}
    steps:
      - stepId: get
        operationId: getJob
        parameters: [{name: id, in: path, value: $inputs.id}, {name: from, in: query, value: $self}]
    outputs: {origin: $self}
"""



def test_self_is_the_base_uri_of_source_urls_and_documents_are_found_by_their_self(tmp_path: Path) -> None:
    # Arazzo 1.1 Establishing the Base URI: "If the $self field is present and is an absolute URI, the base URI
    # is the $self URI"; Identity-Based Referencing: "When a Source Description Object's url field is an absolute
    # URI, the implementation MUST resolve it to an Arazzo Description by identity (matching the $self value)";
    # "implementations can scan for $self values to locate documents from a provided collection without making
    # network requests"; Runtime Expressions: $self "References the canonical URI of the current Arazzo
    # Description as defined by the $self field"
    files = {"openapi/jobs.yaml": SELF_API, "arazzo/main.arazzo.yaml": SELF_MAIN, "lib/copy.arazzo.yaml": SELF_SHARED}
    out, found = build_package(tmp_path / "self", files, "self_11")
    assert [w for w in found if "[undocumented-response-field]" not in w] == []
    package = import_package(out, "self_11")
    module, client_module = package.workflows.main, package.apis.jobs
    script = {("GET", "/jobs/j1"): [Reply(200, {"state": "done"})]}
    with scripted(script) as server:
        results = sync_then_async(module, "check", client_module, server.url, "jobs_api", id_="j1")
    assert [(r.state, r.me, r.other) for r in results] == [(
        "done", "https://flows.example.com/arazzo/main.arazzo.yaml", "https://flows.example.com/arazzo/shared.arazzo.yaml"
    )] * 2
    once = [("GET /jobs/j1", [("from", "https://flows.example.com/arazzo/main.arazzo.yaml#get")]),
            ("GET /jobs/j1", [("from", "https://flows.example.com/arazzo/shared.arazzo.yaml")])]  # fmt: skip
    assert [(r.line, r.query) for r in server.requests] == once * 2
    # a string literal in the generated code
    assert 'me="https://flows.example.com/arazzo/main.arazzo.yaml"' in " ".join(
        Path(module.__file__).read_text().split()
    ).replace("me= ", "me=")



REL_FLOW = """arazzo: 1.1.0
$self: v2/rel.arazzo.yaml
info: {title: Rel, version: "1"}
sourceDescriptions: [{name: jobs, url: ../openapi/jobs.yaml}]
workflows:
  - workflowId: check
    steps:
      - stepId: get
        operationId: getJob
        parameters: [{name: id, in: path, value: "j1"}, {name: from, in: query, value: $self}]
    outputs: {me: $self}
"""



def test_a_relative_self_is_resolved_against_where_the_document_was_read_then_used_as_its_base(
    tmp_path: Path,
) -> None:
    # "If the $self field is present and is a relative URI-reference, it MUST first be resolved against the
    # next possible base URI source [...] before being used as the base URI": specs/arazzo/v2/rel.arazzo.yaml,
    # so ../openapi/jobs.yaml is specs/arazzo/openapi/jobs.yaml (nothing lies at specs/openapi/jobs.yaml)
    api = SELF_API.replace("$self: https://flows.example.com/openapi/jobs.yaml\n", "")
    files = {"arazzo/openapi/jobs.yaml": api, "arazzo/rel.arazzo.yaml": REL_FLOW}
    out, found = build_package(tmp_path / "rel", files, "rel_11")
    assert [w for w in found if "[undocumented-response-field]" not in w] == []
    package = import_package(out, "rel_11")
    with scripted({("GET", "/jobs/j1"): [Reply(200, {"state": "done"})]}) as server:
        results = sync_then_async(package.workflows.rel, "check", package.apis.jobs, server.url, "jobs_api")
    # the expression is the field as written (its resolution would be the build machine's path)
    assert [r.me for r in results] == ["v2/rel.arazzo.yaml"] * 2
    assert [r.query for r in server.requests] == [[("from", "v2/rel.arazzo.yaml")]] * 2



def test_self_mistakes_are_located_errors(tmp_path: Path) -> None:
    api = SELF_API.replace("$self: https://flows.example.com/openapi/jobs.yaml\n", "")
    remote = SELF_MAIN.replace("  - {name: shared, url: shared.arazzo.yaml, type: arazzo}\n", "").replace(
        """      - stepId: again
        workflowId: $sourceDescriptions.shared.read
        parameters: [{name: id, value: $inputs.id}]
    outputs: {state: $steps.get.outputs.state, me: $self, other: $steps.again.outputs.origin}""",
        "    outputs: {state: $steps.get.outputs.state, me: $self}",
    ).replace("        outputs: {state: $response.body#/state}\n",
              "        outputs: {state: $response.body#/state}\n"
              "        successCriteria: [{context: $self, condition: '^https:', type: regex}]\n")  # fmt: skip
    unnamed = REL_FLOW.replace("$self: v2/rel.arazzo.yaml\n", "")
    twin = SELF_SHARED.replace("shared.arazzo.yaml", "main.arazzo.yaml")
    files = {"openapi/jobs.yaml": api, "arazzo/main.arazzo.yaml": remote, "arazzo/rel.arazzo.yaml": unnamed,
             "lib/twin.arazzo.yaml": twin}  # fmt: skip
    _, found = compile_files(tmp_path / "bad", files, "self_bad")
    shown = [line.replace(f"{tmp_path}/bad/", "") for line in found if "error[" in line]
    assert shown == [
        # a criterion's context is a value of the run
        ("specs/arazzo/main.arazzo.yaml:14:37: error[invalid-expression]: a criterion's 'context' must be a value "
         "of the run ($response..., $inputs..., $steps...), not '$self', the document's own URI"),
        # the base is $self: the relative url names a remote document no local one has as its $self
        ("specs/arazzo/main.arazzo.yaml:5:23: error[unresolved-source]: source url "
         "'https://flows.example.com/openapi/jobs.yaml' is remote; arazzo-gen reads local files only - download it "
         "next to the workflow and use a relative url; or map its prefix to a local folder with "
         "[[tool.arazzo-gen.sources.rewrite]]"),
        # no $self field: the expression has no value
        ("specs/arazzo/rel.arazzo.yaml:10:19: error[undefined-expression]: '$self' has no value: the document has no "
         "'$self' field (Arazzo 1.1: it \"References the canonical URI of the current Arazzo Description as defined "
         "by the `$self` field\")"),
        ("specs/arazzo/rel.arazzo.yaml:9:88: error[undefined-expression]: '$self' has no value: the document has no "
         "'$self' field (Arazzo 1.1: it \"References the canonical URI of the current Arazzo Description as defined "
         "by the `$self` field\")"),
        # two documents with one identity
        ("specs/lib/twin.arazzo.yaml:2:8: error[invalid-self]: '$self' "
         "'https://flows.example.com/arazzo/main.arazzo.yaml' is also the identity of specs/arazzo/main.arazzo.yaml: "
         "two documents cannot have one '$self'; references to it name the first"),
        ("specs/lib/twin.arazzo.yaml:4:40: error[unresolved-source]: source url "
         "'https://flows.example.com/openapi/jobs.yaml' is remote; arazzo-gen reads local files only - download it "
         "next to the workflow and use a relative url; or map its prefix to a local folder with "
         "[[tool.arazzo-gen.sources.rewrite]]"),
    ]
    # Arazzo 1.0.1 has neither: '$self' is an unknown field, and '{$self}' an unknown expression root
    flow_1_0 = HEAD_1_1.replace("arazzo: 1.1.0\n", "arazzo: 1.0.1\n$self: https://example.com/a.yaml\n") + """workflows:
  - workflowId: w
    steps:
      - {stepId: get, operationId: getJob, parameters: [{name: id, in: path, value: "{$self}"}]}
"""
    (tmp_path / "v10").mkdir()
    found_1_0 = diagnose(tmp_path / "v10", flow_1_0)
    assert [h for h in found_1_0 if "unknown-field" in h or "invalid-expression" in h] == [
        (f"{FLOW}:2:1: warning[unknown-field]: '$self' is not a field of the Arazzo Object; it is "
         "ignored; its fields are arazzo, info, sourceDescriptions, workflows, components and x- extensions"),
        (f"{FLOW}:8:87: error[invalid-expression]: unknown expression root '$self'; expected one of $url, $method, "
         "$statusCode, $request, $response, $message, $inputs, $outputs, $steps, $workflows, $sourceDescriptions, $components"),
    ]



DEPENDS_WITH_ACTIONS = """
arazzo: 1.1.0
info: {title: Pets, version: "1"}
sourceDescriptions: [{name: pets, url: ../openapi/pets.yaml, type: openapi}]
workflows:
  - workflowId: checkPets
    inputs: {type: object, properties: {kind: {type: string}}}
    steps:
      - stepId: first
        operationId: listPets
        parameters: [{name: kind, in: query, value: $inputs.kind}]
        onSuccess: [{name: skip, type: goto, stepId: last, criteria: [{condition: $response.body#/count == 0}]}]
      - stepId: feed
        operationId: getFeed
        dependsOn: [first]
      - stepId: last
        operationId: listPets
        dependsOn: [first]
        parameters: [{name: kind, in: query, value: last}]
"""



def test_a_step_dependson_in_a_workflow_with_actions_is_compiled_where_every_path_satisfies_it(
    tmp_path: Path,
) -> None:
    # a goto does not reorder anything: every path to 'feed' and to 'last' passes the success of 'first'
    module, client_module, _ = build_flow(tmp_path, DEPENDS_WITH_ACTIONS, "depends_actions_11")
    feed = Reply(200, text="<feed/>", content_type="application/xml")
    for count, lines in ((2, ["GET /pets", "GET /feed", "GET /pets"]), (0, ["GET /pets", "GET /pets"])):
        with scripted({("GET", "/pets"): [with_body(count=count)], ("GET", "/feed"): [feed]}) as server:
            sync_then_async(module, "check_pets", client_module, server.url, "pets_api", kind="Dog")
        assert [r.line for r in server.requests] == lines * 2
    # 'last' depending on 'feed', which the goto skips: a path would run 'last' first
    flow = DEPENDS_WITH_ACTIONS.replace("        dependsOn: [first]\n        parameters: [{name: kind, in: query, value: last}]",
                                        "        dependsOn: [feed]\n        parameters: [{name: kind, in: query, value: last}]")  # fmt: skip
    _, found = compile_files(tmp_path / "refused", {"openapi/pets.yaml": API, "arazzo/pets.arazzo.yaml": flow}, "depends_skip")
    assert [line.replace(f"{tmp_path}/refused/", "") for line in found] == [
        ("specs/arazzo/pets.arazzo.yaml:17:21: error[unsupported-feature]: a step-level 'dependsOn' on step 'feed', "
         "which a path of the workflow's actions (or the document's order) reaches step 'last' without (Arazzo 1.1) "
         f"{REFUSED.replace('(Arazzo 1.1) ', '')}"),
    ]

