"""`$workflows.<id>.inputs|outputs.<name>`, `$outputs.<name>` in a workflow's outputs, and `$components.*` /
`$sourceDescriptions.*` used as values (issue 6: no `unsupported-expression` remains).

What each means where it is written is decided in `generator/arazzo_gen/ir/refs.py` (module docstring). Every workflow
runs sync and async against a scripted server on 127.0.0.1; the tests assert the outputs and the exact
requests. Where the specification gives such a value no meaning, the build reports a located
`undefined-expression` error (exact text asserted).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .scripted import Reply
from .test_flow import HEAD, Run, _diagnostics, job

REFS = (
    HEAD
    + """
components:
  parameters:
    user: {name: X-User, in: header, value: ann}
    who: {name: X-User, in: header, value: $inputs.user}
  inputs:
    tag: {type: string, maxLength: 3}
workflows:
  - workflowId: login
    inputs:
      type: object
      properties:
        user: {type: string}
        scope: {type: string, default: read}
    steps:
      - stepId: token
        operationId: refreshToken
        parameters: [{name: X-User, in: header, value: $inputs.user}]
        outputs: {token: $response.body#/token}
    outputs: {token: $steps.token.outputs.token}
  - workflowId: useLogin
    inputs:
      type: object
      properties:
        user: {type: string}
    steps:
      - stepId: signIn
        workflowId: login
        parameters: [{name: user, value: $workflows.useLogin.inputs.user}]
      - stepId: create
        operationId: createJob
        parameters:
          - {name: Authorization, in: header, value: "Bearer {$workflows.login.outputs.token}"}
        successCriteria:
          - condition: $workflows.login.inputs.scope == 'read' && $workflows.login.inputs.user == $inputs.user
        outputs: {id: $response.body#/id}
      - stepId: again
        operationId: refreshToken
        parameters: [{reference: $components.parameters.who}]
        successCriteria: [{condition: "$sourceDescriptions.jobs.type == 'openapi'"}]
    outputs:
      id: $steps.create.outputs.id
      token: $workflows.login.outputs.token
      sameToken: $outputs.token
      tagSchema: $components.inputs.tag
      user: $components.parameters.user
      url: "{$sourceDescriptions.jobs.url}#{$components.parameters.user}"
"""
)


def test_workflow_inputs_and_outputs_of_an_earlier_run_and_components_as_values(tmp_path: Path) -> None:
    run = Run(tmp_path, REFS, "refs_pkg")
    assert run.warnings == []
    # outputs read from a workflow of the same document are typed as that workflow's outputs (was Any)
    fields = run.module().UseLoginOutputs.model_fields
    assert (fields["token"].annotation, fields["same_token"].annotation) == (str | None, str | None)
    script = {
        ("POST", "/token"): [Reply(200, {"token": "t-1"}), Reply(200, {"token": "t-2"})],
        ("POST", "/jobs"): [job("queued", 201)],
    }
    for result, lines, _, server in run.both("use_login", script, user="ann"):
        assert not isinstance(result, Exception), result
        assert result.model_dump() == {
            "id": "j1", "token": "t-1", "same_token": "t-1", "tag_schema": {"type": "string", "maxLength": 3},
            "user": "ann", "url": "../openapi/jobs.yaml#ann",
        }  # fmt: skip
        assert lines == ["POST /token", "POST /jobs", "POST /token"]
        assert server.requests[0].headers["x-user"] == "ann"  # $workflows.useLogin.inputs.user = $inputs.user
        assert server.requests[1].headers["authorization"] == "Bearer t-1"
        assert server.requests[2].headers["x-user"] == "ann"  # the component parameter's value: $inputs.user


BAD = (
    HEAD
    + """
workflows:
  - workflowId: login
    inputs: {type: object, properties: {user: {type: string}}}
    steps:
      - stepId: token
        operationId: refreshToken
        outputs: {token: $response.body#/token}
    outputs: {token: $steps.token.outputs.token}
  - workflowId: bad
    dependsOn: [login]
    steps:
      - stepId: first
        operationId: refreshToken
        parameters: [{name: X-User, in: header, value: VALUE}]
      - stepId: later
        workflowId: login
    outputs: {a: $steps.first.outputs.x, b: OUTPUT}
"""
)


@pytest.mark.parametrize(
    ("value", "output", "expected"),
    [
        (
            "$workflows.bad.outputs.a",
            "1",
            ("18:56: error[undefined-expression]: '$workflows.bad.outputs.a' reads the outputs of workflow 'bad' "
            "itself, which exist only when it ends"),
        ),
        (
            "$workflows.login.inputs.user",
            "1",
            ("18:56: error[undefined-expression]: '$workflows.login.inputs.user' reads an input of workflow 'login', "
            "a dependsOn entry of workflow 'bad' whose outputs the caller may pass in without its inputs; pass the "
            "value as an input of this workflow"),
        ),
        (
            "$workflows.nope.outputs.t",
            "1",
            ("18:56: error[undefined-expression]: '$workflows.nope.outputs.t' is read by step 'first', but workflow "
            "'nope' is neither a dependsOn entry of workflow 'bad' nor run by one of its steps, so no run of it has "
            "outputs here"),
        ),
        (
            "$outputs.a",
            "1",
            ("18:56: error[undefined-expression]: '$outputs.a' in step 'first' names an output of workflow 'bad', "
            "which exists only when it ends ($outputs names the outputs of the workflow a step runs, in a step "
            "with workflowId); use $steps.<stepId>.outputs.<name>"),
        ),
        (
            "$sourceDescriptions.jobs.getJob",
            "1",
            ("18:81: error[undefined-expression]: '$sourceDescriptions.jobs.getJob': a source description's url, "
            "name and type are its values; 'getJob' is not one (an operationId or workflowId goes in a step's "
            "operationId/workflowId)"),
        ),
        (
            "$components.parameters.nope",
            "1",
            "18:56: error[unresolved-reference]: components.parameters has no 'nope'",
        ),
        (
            "$workflows.bad.inputs.nope",
            "1",
            ("18:56: error[unknown-input]: '$workflows.bad.inputs.nope' is not declared in the inputs of workflow "
            "'bad'"),
        ),
        (
            "x",
            "$outputs.b",
            "21:24: error[undefined-expression]: the outputs refer to each other: b -> b",
        ),
        (
            "x",
            "$outputs.c",
            "21:24: error[unknown-workflow-output]: workflow 'bad' has no output 'c'",
        ),
        (
            "x",
            "$workflows.login.inputs.usr",
            "21:24: error[unknown-workflow-input]: workflow 'login' has no input 'usr'; did you mean 'user'?",
        ),
    ],
)
def test_values_the_specification_leaves_undefined_are_located_errors(
    tmp_path: Path, value: str, output: str, expected: str
) -> None:
    flow = BAD.replace("VALUE", value).replace("OUTPUT", output).replace("a: $steps.first.outputs.x", "a: 1")
    assert _diagnostics(tmp_path, flow) == ["specs/arazzo/jobs.arazzo.yaml:" + expected]


def test_a_workflow_a_step_fails_to_name_is_reported_once(tmp_path: Path) -> None:
    # the step's workflowId does not resolve (reported there): '$workflows.gone...' adds no second error
    flow = BAD.replace("VALUE", "x").replace("OUTPUT", "$workflows.gone.outputs.t")
    flow = flow.replace("        workflowId: login\n", "        workflowId: gone\n").replace("a: $steps.first.outputs.x", "a: 1")
    assert _diagnostics(tmp_path, flow) == [
        ("specs/arazzo/jobs.arazzo.yaml:20:21: error[unknown-workflow]: 'gone' names no workflow of "
        "jobs.arazzo.yaml (workflows: login, bad)")
    ]
