"""Arazzo 1.1 (issue 17): the ``arazzo`` field decides the version a document is read as.

A ``1.1.x`` document is read as Arazzo 1.1.0 (``../shared/spec/arazzo-1.1.0.md``): no ``arazzo-version``
warning, its 1.1 fields are known (no ``unknown-field``), its structure is checked as the published 1.1 JSON
Schema checks it (``tests/test_official_schema.py``), and every 1.1 feature arazzo-gen does not compile yet with
its 1.1 meaning is a located ``unsupported-feature`` error: never a build with another meaning.  A 1.0.x
document keeps its 1.0.1 meaning (the rest of the suite).
"""

from __future__ import annotations

from pathlib import Path

from tests.test_rule_cases import FLOW, diagnose

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
    flow = HEAD_1_1.replace("arazzo: 1.1.0\n", "arazzo: 1.1.0\n$self: https://example.com/flows/jobs.arazzo.yaml\n") + """workflows:
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
          - {context: $response.body#/state, condition: '^{$inputs.state}$', type: regex}
        onSuccess:
          - {name: next, type: goto, workflowId: callee, parameters: [{name: a, value: 1}], criteria: [{condition: $statusCode == 202}]}
        outputs:
          state: {context: $response.body, selector: $.state, type: jsonpath}
          me: $self
      - stepId: other
        operationId: createJob
        requestBody:
          payload:
            name: {context: $steps.get.outputs.state, selector: /name, type: jsonpointer}
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
"""
    unsupported = "error[unsupported-feature]"
    assert diagnose(tmp_path, flow) == [
        f"{FLOW}:12:9: error[unsupported-feature]: a step 'timeout' {REFUSED}",
        f"{FLOW}:13:9: {unsupported}: a step-level 'dependsOn' {REFUSED}",
        f"{FLOW}:15:41: {unsupported}: a Selector Object as a parameter value {REFUSED}",
        f"{FLOW}:17:50: {unsupported}: a runtime expression embedded in a jsonpath condition ('{{$...}}') {REFUSED}",
        f"{FLOW}:18:57: {unsupported}: a runtime expression embedded in a regex condition ('{{$...}}') {REFUSED}",
        f"{FLOW}:20:58: {unsupported}: 'parameters' on a success or failure action {REFUSED}",
        f"{FLOW}:22:18: {unsupported}: a Selector Object as output 'state' {REFUSED}",
        f"{FLOW}:23:15: {unsupported}: the runtime expression '$self' (the document's own URI) {REFUSED}",
        f"{FLOW}:26:9: warning[unexpected-request-body]: step 'other' sends a requestBody but createJob declares none; it is sent as written (application/json), unchecked",
        f"{FLOW}:28:19: {unsupported}: a Selector Object in a payload {REFUSED}",
        f"{FLOW}:29:18: {unsupported}: the runtime expression '$self' (the document's own URI) {REFUSED}",
        f"{FLOW}:29:20: error[invalid-expression]: unknown expression root '$self'; expected one of $url, $method, $statusCode, $request, $response, $inputs, $outputs, $steps, $workflows, $sourceDescriptions, $components",
        f"{FLOW}:2:1: {unsupported}: the '$self' field (the document's own URI and the base of its relative references) {REFUSED}",
        f"{FLOW}:31:32: {unsupported}: a replacement 'targetSelectorType' {REFUSED}",
        f"{FLOW}:32:38: {unsupported}: a Selector Object as a replacement value {REFUSED}",
        f"{FLOW}:34:14: {unsupported}: a Selector Object as output 'state' {REFUSED}",
        f"{FLOW}:8:32: {unsupported}: a 'querystring' parameter {REFUSED}",
    ]


def test_asyncapi_sources_and_steps_and_message_expressions_are_unsupported_features(tmp_path: Path) -> None:
    flow = """arazzo: 1.1.0
info: {title: Jobs, version: "1"}
sourceDescriptions:
  - {name: jobs, url: ../openapi/jobs.yaml}
  - {name: events, url: ../asyncapi/events.yaml, type: asyncapi}
workflows:
  - workflowId: w
    steps:
      - stepId: send
        channelPath: $sourceDescriptions.events#/channels/jobs
        action: send
      - stepId: receive
        operationId: $sourceDescriptions.events.onJob
        action: receive
        correlationId: $message.header.id
        successCriteria: [{condition: $message.payload#/ok == true}]
"""
    unsupported = "error[unsupported-feature]"
    headlines = diagnose(tmp_path, flow)
    assert [h for h in headlines if "[unsupported-feature]" in h] == [
        f"{FLOW}:10:9: {unsupported}: an AsyncAPI step ('channelPath') {REFUSED}",
        f"{FLOW}:11:9: {unsupported}: an AsyncAPI step ('action') {REFUSED}",
        f"{FLOW}:14:9: {unsupported}: an AsyncAPI step ('action') {REFUSED}",
        f"{FLOW}:15:24: {unsupported}: the runtime expression '$message' (an AsyncAPI message) {REFUSED}",
        f"{FLOW}:15:9: {unsupported}: an AsyncAPI step ('correlationId') {REFUSED}",
        f"{FLOW}:16:39: {unsupported}: the runtime expression '$message' (an AsyncAPI message) {REFUSED}",
        f"{FLOW}:5:56: {unsupported}: an AsyncAPI source (Arazzo 1.1) is not supported by arazzo-gen yet; source "
        "'events' is not read and the document is not built",
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
        f"{FLOW}:11:24: error[invalid-step]: 'correlationId' applies only to a step with 'action: receive'",
        (f"{FLOW}:12:21: error[invalid-step]: a 'dependsOn' entry must be a stepId, '$workflows.<workflowId>.steps."
         "<stepId>' or '$sourceDescriptions.<name>.<workflowId>.steps.<stepId>', not '$steps.other'"),
        f"{FLOW}:12:38: error[invalid-step]: 'dependsOn' lists 'a' twice",
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
