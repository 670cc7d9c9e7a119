"""Diagnostics that used to be wrong, cascade or be missing (issue 7): each test asserts the exact lines.

Every case compiles a small document against the Jobs API of ``tests/test_flow.py`` and compares the sorted
``path:line:col: severity[rule]: message`` headlines.
"""

from __future__ import annotations

from pathlib import Path

from tests.scripted import compile_files
from tests.test_flow import HEAD, JOBS_API

FLOW = "specs/arazzo/jobs.arazzo.yaml"


def diagnose(tmp_path: Path, flow: str, extra: dict[str, str] | None = None) -> list[str]:
    files = {"openapi/jobs.yaml": JOBS_API, "arazzo/jobs.arazzo.yaml": flow, **(extra or {})}
    _, headlines = compile_files(tmp_path, files, "located_pkg")
    prefix = str(tmp_path / "specs") + "/"
    return [line.replace(prefix, "specs/") for line in headlines]


# -- unknown-source names the declared sources ------------------------------------------------------------
def test_unknown_source_names_the_declared_sources_that_did_not_resolve(tmp_path: Path) -> None:
    flow = """
arazzo: 1.0.1
info: {title: Jobs, version: "1"}
sourceDescriptions:
  - {name: jobs, url: ../openapi/missing.yaml}
  - {name: other, url: ../openapi/jobs.yaml}
workflows:
  - workflowId: w
    steps:
      - stepId: get
        operationId: $sourceDescriptions.job.getJob
      - stepId: get2
        operationPath: '{$sourceDescriptions.nope.url}#/paths/~1jobs/post'
"""
    assert diagnose(tmp_path, flow) == [
        (
            f"{FLOW}:10:42: error[unknown-source]: no sourceDescription named 'job' (declared: jobs, other; "
            "'jobs' did not resolve); did you mean 'jobs'?"
        ),
        (
            f"{FLOW}:12:46: error[unknown-source]: no sourceDescription named 'nope' (declared: jobs, other; "
            "'jobs' did not resolve)"
        ),
        (
            f"{FLOW}:4:23: error[unresolved-source]: source url '../openapi/missing.yaml' does not resolve: no file "
            "at specs/openapi/missing.yaml"
        ),
    ]


def test_unknown_source_when_no_declared_source_resolved(tmp_path: Path) -> None:
    flow = """
arazzo: 1.0.1
info: {title: Jobs, version: "1"}
sourceDescriptions: [{name: jobs, url: ../openapi/missing.yaml}]
workflows:
  - workflowId: w
    steps:
      - stepId: get
        operationId: $sourceDescriptions.other.getJob
"""
    assert diagnose(tmp_path, flow) == [
        (
            f"{FLOW}:3:40: error[unresolved-source]: source url '../openapi/missing.yaml' does not resolve: no file "
            "at specs/openapi/missing.yaml"
        ),
        (
            f"{FLOW}:8:42: error[unknown-source]: no sourceDescription named 'other' (declared: jobs; none of them "
            "resolved)"
        ),
    ]


# -- an output whose expression is malformed still exists -------------------------------------------------
def test_a_malformed_output_is_reported_once_at_its_bad_part_and_still_exists(tmp_path: Path) -> None:
    # main: a mapping or list output with a malformed expression inside was dropped, so every use of it was
    # also reported as 'unknown-step-output' (a string output was kept already)
    flow = HEAD + """
workflows:
  - workflowId: w
    steps:
      - stepId: create
        operationId: createJob
        outputs:
          obj: {a: $response.bodyx, b: [1, $steps.use.outputz.y]}
      - stepId: use
        operationId: getJob
        parameters: [{name: id, in: path, value: $steps.create.outputs.obj}]
    outputs: {all: {o: $steps.create.outputs.obj, p: $inputs.}, used: $steps.create.outputs.obj}
  - workflowId: v
    steps:
      - stepId: call
        workflowId: w
        outputs: {x: $outputs.all}
"""
    assert diagnose(tmp_path, flow) == [
        (
            f"{FLOW}:11:30: error[invalid-expression]: unknown response source 'bodyx' in '$response.bodyx'; "
            "expected one of header, body; did you mean 'body'?"
        ),
        (
            f"{FLOW}:11:55: error[invalid-expression]: unsupported reference '$steps.use.outputz'; expected "
            "'$steps.use.outputs.<name>'"
        ),
        f"{FLOW}:15:62: error[invalid-expression]: incomplete runtime expression '$inputs'; expected '$inputs.<name>'",
    ]


# -- a stepId with a space --------------------------------------------------------------------------------
SPACED = HEAD + """
workflows:
  - workflowId: w
    steps:
      - stepId: create job
        operationId: createJob
        outputs: {id: $response.body#/id}
      - stepId: use
        operationId: getJob
        parameters: [{name: id, in: path, value: "{$steps.create job.outputs.id}"}]
        successCriteria: [{condition: "$steps.create job.outputs.id != ''"}]
    outputs: {id: $steps.create job.outputs.id}
"""


def test_a_step_id_with_a_space_is_located_at_the_step_id_and_its_uses_name_it(tmp_path: Path) -> None:
    # main: no diagnostic at the stepId, and "incomplete runtime expression '$steps.create'" in the condition
    assert diagnose(tmp_path, SPACED) == [
        (
            f"{FLOW}:14:47: error[invalid-condition]: '$steps.create job' cannot be read here: stepId "
            "'create job' does not match [A-Za-z0-9_\\-]+, so only a value that is a single runtime expression "
            "can name it; rename the step"
        ),
        (
            f"{FLOW}:8:17: warning[invalid-step-id]: stepId 'create job' does not match [A-Za-z0-9_\\-]+, the "
            "form the Arazzo specification recommends; a condition cannot name it"
        ),
    ]


def test_a_step_id_with_a_space_used_only_as_a_whole_value_builds_with_the_warning(tmp_path: Path) -> None:
    flow = SPACED.replace("""        parameters: [{name: id, in: path, value: "{$steps.create job.outputs.id}"}]
        successCriteria: [{condition: "$steps.create job.outputs.id != ''"}]
""", "        parameters: [{name: id, in: path, value: $steps.create job.outputs.id}]\n")
    tree, headlines = compile_files(tmp_path, {"openapi/jobs.yaml": JOBS_API, "arazzo/jobs.arazzo.yaml": flow},
                                    "spaced_pkg")  # fmt: skip
    assert tree is not None
    assert [line.replace(str(tmp_path / "specs") + "/", "specs/") for line in headlines] == [
        (
            f"{FLOW}:8:17: warning[invalid-step-id]: stepId 'create job' does not match [A-Za-z0-9_\\-]+, the "
            "form the Arazzo specification recommends; a condition cannot name it"
        ),
    ]


# -- control flow: unreachable steps, endless goto loops -------------------------------------------------
def _steps(body: str) -> str:
    return HEAD + "\nworkflows:\n  - workflowId: w\n    steps:\n" + body


GET = "        operationId: getJob\n        parameters: [{name: id, in: path, value: a}]\n"


def test_a_step_no_path_reaches_is_a_warning_at_the_step(tmp_path: Path) -> None:
    flow = _steps(
        "      - stepId: first\n" + GET + "        onSuccess: [{name: done, type: end}]\n"
        "      - stepId: never\n" + GET
        + "      - stepId: later\n" + GET  # reached by the goto below, so not reported
        + "        onFailure: [{name: back, type: goto, stepId: later, criteria: [{condition: $statusCode == 503}]}]\n"
    )
    assert diagnose(tmp_path, flow) == [
        (
            f"{FLOW}:12:17: warning[unreachable-step]: step 'never' never runs: every path from the first step "
            "ends, or goes to another step, before reaching it (step 'first' always takes its success action "
            "'done': end)"
        ),
        (
            f"{FLOW}:15:17: warning[unreachable-step]: step 'later' never runs: every path from the first step "
            "ends, or goes to another step, before reaching it"
        ),
    ]


def test_a_goto_loop_no_success_can_leave_is_an_error_at_its_first_step(tmp_path: Path) -> None:
    flow = _steps(
        "      - stepId: start\n" + GET
        + "      - stepId: poll\n" + GET
        + "      - stepId: check\n" + GET
        + "        onSuccess: [{name: again, type: goto, stepId: poll}]\n"
        + "      - stepId: after\n" + GET
    )
    assert diagnose(tmp_path, flow) == [
        (
            f"{FLOW}:11:17: error[endless-loop]: steps 'poll', 'check' loop without end: once it runs, every "
            "success action and the next step lead back into the loop, and none ends the workflow (only a "
            "failure or max_steps stops it); give a goto criteria, or add an end action"
        ),
        (
            f"{FLOW}:18:17: warning[unreachable-step]: step 'after' never runs: every path from the first step "
            "ends, or goes to another step, before reaching it (step 'check' always takes its success action "
            "'again': goto 'poll')"
        ),
    ]


def test_a_loop_with_a_guarded_goto_or_a_failure_retry_is_not_reported(tmp_path: Path) -> None:
    guarded = "        onSuccess: [{name: again, type: goto, stepId: poll, criteria: [{condition: $statusCode == 202}]}]\n"
    flow = _steps(
        "      - stepId: poll\n" + GET + guarded
        + "        onFailure: [{name: busy, type: retry, retryLimit: 3}]\n"
        + "      - stepId: self\n" + GET
        + "        onFailure: [{name: again, type: goto, stepId: self}]\n"
        + "      - stepId: untilGone\n" + GET  # polls until a 404 ends the workflow: a failure action is an exit
        + "        onSuccess: [{name: again, type: goto, stepId: untilGone}]\n"
        + "        onFailure: [{name: gone, type: end, criteria: [{condition: $statusCode == 404}]}]\n"
    )
    assert diagnose(tmp_path, flow) == []


# -- workflow-level parameters without 'in' ---------------------------------------------------------------
CALLED = """
  - workflowId: w
    inputs: {type: object, properties: {id: {type: string}}}
    steps:
      - stepId: get
        operationId: getJob
        parameters: [{name: id, in: path, value: $inputs.id}]
"""


def test_a_workflow_parameter_without_in_is_for_the_steps_that_run_workflows(tmp_path: Path) -> None:
    # main: "parameter 'id' needs 'in'" because createJob, an operation step of the same workflow, does not
    # declare 'id'; 'in' is only required of parameters an operation takes
    flow = HEAD + "\nworkflows:" + CALLED + """
  - workflowId: caller
    parameters: [{name: id, value: x}]
    steps:
      - stepId: create
        operationId: createJob
      - stepId: call
        workflowId: w
"""
    assert diagnose(tmp_path, flow) == []


def test_a_workflow_parameter_without_in_that_no_step_takes_is_an_error(tmp_path: Path) -> None:
    flow = HEAD + "\nworkflows:" + CALLED + """
  - workflowId: caller
    parameters: [{name: idd, value: x}]
    steps:
      - stepId: create
        operationId: createJob
"""
    assert diagnose(tmp_path, flow) == [
        (
            f"{FLOW}:14:18: error[invalid-parameter]: parameter 'idd' needs 'in' to be one of path, query, "
            "header, cookie: no operation of the workflow's steps declares it, and no step runs a workflow"
        ),
    ]


# -- a step reading its own outputs -----------------------------------------------------------------------
def test_a_step_reading_its_own_output_says_so_and_points_a_workflow_step_at_its_outputs(tmp_path: Path) -> None:
    # main: "used before step 'call' has run" (linear) / "a goto, end or retry path reaches ..." (with actions)
    flow = HEAD + "\nworkflows:" + CALLED.replace(
        "        parameters: [{name: id, in: path, value: $inputs.id}]\n",
        "        parameters: [{name: id, in: path, value: $inputs.id}]\n        outputs: {state: $response.body#/state}\n"
        "    outputs: {state: $steps.get.outputs.state}\n",
    ) + """
  - workflowId: caller
    steps:
      - stepId: call
        workflowId: w
        parameters: [{name: id, value: x}]
        outputs: {state: $steps.call.outputs.state}
  - workflowId: looping
    steps:
      - stepId: get
        operationId: getJob
        parameters: [{name: id, in: path, value: $steps.get.outputs.id}]
        outputs: {id: $response.body#/id}
        onSuccess: [{name: again, type: goto, stepId: get, criteria: [{condition: $statusCode == 202}]}]
"""
    assert diagnose(tmp_path, flow) == [
        (
            f"{FLOW}:20:26: error[forward-step-reference]: step 'call' reads its own output 'state', which is set "
            "only once the step has succeeded; the output 'state' of the workflow it runs is '$outputs.state'"
        ),
        (
            f"{FLOW}:25:50: error[unset-step-output]: step 'get' reads its own output 'id', which is set only once "
            "the step has succeeded; take the value from the response ($response...) in its outputs, or from an "
            "earlier step"
        ),
    ]


# -- model-generation-failed names the schema key and is located at it ------------------------------------
BAD_SCHEMA_API = JOBS_API + """
    Usage request:
      type: object
      properties:
        organizations: {type: string, minLength: many}
"""


def test_model_generation_failed_is_located_at_the_schema_key_it_names(tmp_path: Path) -> None:
    # main: located at 1:1 of the API document, naming the generated class 'UsageRequest'
    files = {"openapi/jobs.yaml": BAD_SCHEMA_API, "arazzo/jobs.arazzo.yaml": HEAD + "\nworkflows:" + CALLED}
    _, headlines = compile_files(tmp_path, files, "bad_schema_pkg")
    assert [line.replace(str(tmp_path / "specs") + "/", "specs/") for line in headlines] == [
        (
            "specs/openapi/jobs.yaml:44:5: error[model-generation-failed]: datamodel-code-generator could not "
            "generate a model from schema 'Usage request' of Jobs: ValidationError: 2 validation errors for "
            "JsonSchemaObject"
        ),
    ]


# -- an operationPath to a path item, not an operation ----------------------------------------------------
def test_an_operation_path_without_the_method_names_the_methods_of_the_path(tmp_path: Path) -> None:
    # main: "does not name an operation" (the OAI example LoginAndRetrievePets.arazzo.yaml does this)
    flow = HEAD + """
workflows:
  - workflowId: w
    steps:
      - stepId: get
        operationPath: '{$sourceDescriptions.jobs.url}#/paths/~1jobs~1{id}'
      - stepId: nowhere
        operationPath: '{$sourceDescriptions.jobs.url}#/paths/~1nope/get'
"""
    assert diagnose(tmp_path, flow) == [
        (
            f"{FLOW}:11:24: error[unknown-operation]: operationPath '{{$sourceDescriptions.jobs.url}}#/paths/~1nope/"
            "get' does not name an operation in jobs"
        ),
        f"{FLOW}:8:17: error[missing-parameter]: step 'get' does not set the required path parameter 'id' of getJob",
        (
            # a path item with a single operation: that one is used, with a warning (the OAI example builds)
            f"{FLOW}:9:24: warning[operation-path-to-path-item]: operationPath '{{$sourceDescriptions.jobs.url}}#/"
            "paths/~1jobs~1{id}' points to a path item, not an operation; its only operation (get, getJob) is used: "
            "write '{$sourceDescriptions.jobs.url}#/paths/~1jobs~1{id}/get'"
        ),
    ]


# -- an expression inside a payload is located at its value, not at 'payload:' -----------------------------
def test_a_payload_expression_is_located_at_its_own_value(tmp_path: Path) -> None:
    # main: located at 'payload' (the hubspot corpus workflow's blogAuthorId, 3 lines below it)
    flow = HEAD + """
workflows:
  - workflowId: w
    inputs: {type: object, properties: {name: {type: string}}}
    steps:
      - stepId: create
        operationId: createJob
        requestBody:
          payload:
            name: $inputs.name
            tags: [a, $inputs.nmae]
            owner: {id: $steps.later.outputs.id}
      - stepId: later
        operationId: createJob
        outputs: {id: $response.body#/id}
"""
    assert diagnose(tmp_path, flow) == [
        (
            f"{FLOW}:11:9: warning[unexpected-request-body]: step 'create' sends a requestBody but createJob "
            "declares none; it is sent as written (application/json), unchecked"
        ),
        (
            f"{FLOW}:14:31: error[unknown-input]: '$inputs.nmae' is not declared in the inputs of workflow 'w'; did "
            "you mean 'name'?"
        ),
        (
            f"{FLOW}:15:25: error[forward-step-reference]: '$steps.later.outputs.id' is used before step 'later' "
            "has run"
        ),
    ]


# -- a near miss of an expression root is sent as text: say so ----------------------------------------------
def test_a_value_that_nearly_is_a_runtime_expression_is_a_warning_at_its_root(tmp_path: Path) -> None:
    # main: built silently; the server received the text '$inputz.id'
    flow = HEAD + """
workflows:
  - workflowId: w
    inputs: {type: object, properties: {id: {type: string}}}
    steps:
      - stepId: get
        operationId: getJob
        parameters:
          - {name: id, in: path, value: $inputz.id}
          - {name: X-Price, in: header, value: $100 for $HOME}
          - {name: X-Code, in: header, value: "code: $statusCod"}
"""
    assert [line for line in diagnose(tmp_path, flow) if "undeclared-parameter" not in line] == [
        (
            f"{FLOW}:12:41: warning[literal-expression]: '$inputz' is sent as text: it is not a runtime "
            "expression; did you mean '$inputs'?"
        ),
        (
            f"{FLOW}:14:54: warning[literal-expression]: '$statusCod' is sent as text: it is not a runtime "
            "expression; did you mean '$statusCode'?"
        ),
    ]


# -- schema keywords of the wrong shape: located warnings, and the models still generate ------------------
SHAPES_API = JOBS_API + """
    UsageRequest:
      type: object
      required: true
      properties:
        organizations:
          type: array
          items:
            type: object
            properties:
              orgId: {type: string, enum: open}
              required: [orgId]
        tags: {type: array, items: string}
        kind: {anyOf: [{type: string}, 5]}
"""


def test_schema_keywords_of_the_wrong_shape_are_located_warnings_and_the_package_builds(tmp_path: Path) -> None:
    # main: model-generation-failed (the datastax corpus document writes 'required: [orgId]' inside 'properties')
    files = {"openapi/jobs.yaml": SHAPES_API, "arazzo/jobs.arazzo.yaml": HEAD + "\nworkflows:" + CALLED}
    tree, headlines = compile_files(tmp_path, files, "shapes_pkg")
    assert tree is not None
    assert [line.replace(str(tmp_path / "specs") + "/", "specs/") for line in headlines] == [
        (
            "specs/openapi/jobs.yaml:46:17: warning[invalid-schema]: 'required' must be a list of property names, "
            "not a boolean; it is ignored"
        ),
        "specs/openapi/jobs.yaml:53:43: warning[invalid-schema]: 'enum' must be a list of values, not a string; it is ignored",
        (
            "specs/openapi/jobs.yaml:54:25: warning[invalid-schema]: 'properties' entry 'required' must be a schema, "
            "not a list; it accepts any value; a list of required properties goes next to 'properties', not in it"
        ),
        "specs/openapi/jobs.yaml:55:36: warning[invalid-schema]: 'items' must be a schema, not a string; it is ignored",
        (
            "specs/openapi/jobs.yaml:56:40: warning[invalid-schema]: an entry of 'anyOf' must be a schema, not a "
            "number; it is ignored"
        ),
    ]


# -- an expression inside a template is located at the expression ------------------------------------------
def test_an_expression_inside_a_template_is_located_at_itself(tmp_path: Path) -> None:
    flow = HEAD + """
workflows:
  - workflowId: w
    inputs: {type: object, properties: {token: {type: string}}}
    steps:
      - stepId: get
        operationId: getJob
        parameters:
          - {name: id, in: path, value: "job-{$inputs.id}"}
          - {name: Authorization, in: header, value: "Bearer {$inputs.tokn} for {$steps.get.outputs.x}"}
"""
    assert diagnose(tmp_path, flow) == [
        f"{FLOW}:12:55: error[unknown-input]: '$inputs.id' is not declared in the inputs of workflow 'w'",
        (
            f"{FLOW}:13:71: error[unknown-input]: '$inputs.tokn' is not declared in the inputs of workflow 'w'; did "
            "you mean 'token'?"
        ),
        (
            f"{FLOW}:13:82: error[forward-step-reference]: step 'get' reads its own output 'x', which is set only "
            "once the step has succeeded; take the value from the response ($response...) in its outputs, or from "
            "an earlier step"
        ),
    ]


def test_an_output_a_workflow_step_does_not_declare_but_its_workflow_has_says_how_to_expose_it(
    tmp_path: Path,
) -> None:
    # the wso2 corpus nested-workflow examples: the step declares other outputs, later steps read the callee's
    flow = HEAD + "\nworkflows:" + CALLED.replace(
        "        parameters: [{name: id, in: path, value: $inputs.id}]\n",
        "        parameters: [{name: id, in: path, value: $inputs.id}]\n        outputs: {state: $response.body#/state}\n"
        "    outputs: {state: $steps.get.outputs.state}\n",
    ) + """
  - workflowId: caller
    steps:
      - stepId: call
        workflowId: w
        parameters: [{name: id, value: x}]
        outputs: {nested: $outputs.state}
    outputs: {state: $steps.call.outputs.state}
"""
    assert diagnose(tmp_path, flow) == [
        (
            f"{FLOW}:21:42: error[unknown-step-output]: step 'call' has no output 'state'; the workflow it runs, 'w', "
            "has one: declare 'state: $outputs.state' in the step's outputs, or remove the step's outputs to expose "
            "all of the workflow's"
        ),
    ]


# -- an operationId that matches only ignoring case ---------------------------------------------------------
def test_an_operation_id_with_another_case_uses_its_sole_match_with_a_warning(tmp_path: Path) -> None:
    # main: error[unknown-operation] (the OAI example FAPI-PAR writes 'PAR' for the operationId 'Par')
    flow = HEAD + """
workflows:
  - workflowId: w
    steps:
      - stepId: cancel
        operationId: CANCELJOB
        parameters: [{name: id, in: path, value: j-1}]
"""
    assert diagnose(tmp_path, flow) == [
        (
            f"{FLOW}:9:22: warning[operation-id-case]: operationId 'CANCELJOB' is not in jobs (jobs.yaml) with "
            "that case; its only match ignoring case, 'cancelJob', is used: write 'cancelJob'"
        ),
    ]


def test_an_operation_id_matching_several_operations_ignoring_case_stays_an_error(tmp_path: Path) -> None:
    api = JOBS_API.replace("operationId: cancelJob", "operationId: GetJob")
    flow = HEAD + """
workflows:
  - workflowId: w
    steps:
      - stepId: get
        operationId: GETJOB
"""
    assert diagnose(tmp_path, flow, {"openapi/jobs.yaml": api}) == [
        f"{FLOW}:9:22: error[unknown-operation]: operationId 'GETJOB' is not in jobs (jobs.yaml); did you mean 'getJob'?",
    ]


# -- a misspelt '$sourceDescriptions' in a workflowId -------------------------------------------------------
def test_a_misspelt_source_descriptions_root_in_a_workflow_id_gets_the_spelling_as_hint(tmp_path: Path) -> None:
    # main: "'$sourceDescription.jobs.w' names no workflow of jobs.arazzo.yaml (workflows: w)" and nothing more:
    # the text read as one bare workflowId (a runner mock writes '$sourceDescription.users-arazzo.createUser')
    flow = HEAD + """
workflows:
  - workflowId: w
    steps:
      - stepId: call
        workflowId: $sourceDescription.jobs.w
"""
    assert diagnose(tmp_path, flow) == [
        (
            f"{FLOW}:9:21: error[unknown-workflow]: '$sourceDescription.jobs.w' names no workflow of "
            "jobs.arazzo.yaml (workflows: w); did you mean '$sourceDescriptions.jobs.w'?"
        ),
    ]


# -- one cause repeated across an API description is reported once per file ---------------------------------
def test_a_repeated_unresolved_ref_or_security_scheme_is_reported_once_with_the_count(tmp_path: Path) -> None:
    # main: one warning per use (Cloudflare's zones description: 2,496 unresolved-ref and 1,342
    # undefined-security-scheme warnings for a few dozen causes)
    api = """
openapi: 3.0.3
info: {title: Jobs, version: "1"}
security: [{token: []}]
paths:
  /a:
    get:
      operationId: a
      security: [{key: []}]
      responses: {"200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Gone"}}}}}
  /b:
    get:
      operationId: b
      security: [{key: []}]
      responses: {"200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Gone"}}}}}
  /c:
    get:
      operationId: c
      security: [{key: []}]
      responses: {"200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Gone"}}}}}
"""
    flow = HEAD + """
workflows:
  - workflowId: w
    steps:
      - stepId: a
        operationId: a
"""
    assert diagnose(tmp_path, flow, {"openapi/jobs.yaml": api}) == [
        (
            "specs/openapi/jobs.yaml:3:13: warning[undefined-security-scheme]: security requirement names 'token', "
            "which is not in components.securitySchemes (defined: none); the requirement is ignored"
        ),
        (
            "specs/openapi/jobs.yaml:8:19: warning[undefined-security-scheme]: security requirement names 'key', "
            "which is not in components.securitySchemes (defined: none); the requirement is ignored (and 2 more "
            "places in this file)"
        ),
        (
            "specs/openapi/jobs.yaml:9:88: warning[unresolved-ref]: $ref '#/components/schemas/Gone' does not "
            "resolve: there is no 'components' in '#' (and 2 more places in this file)"
        ),
    ]


# -- a source description expression naming something it does not have -------------------------------------
def test_a_source_description_expression_with_another_member_is_located_at_that_member(tmp_path: Path) -> None:
    # main: at the string's start (a runner mock reads '$sourceDescriptions.auth-arazzo.LoginUser.outputs.X')
    flow = HEAD + """
workflows:
  - workflowId: w
    steps:
      - stepId: get
        operationId: getJob
        parameters: [{name: id, in: path, value: "$sourceDescriptions.jobs.getJob.outputs.id"}]
"""
    assert diagnose(tmp_path, flow) == [
        (
            f"{FLOW}:10:76: error[undefined-expression]: '$sourceDescriptions.jobs.getJob.outputs.id': a source "
            "description's url, name and type are its values; 'getJob.outputs.id' is not one (an operationId or "
            "workflowId goes in a step's operationId/workflowId)"
        ),
    ]
