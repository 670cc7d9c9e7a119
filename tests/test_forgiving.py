"""Real documents have defects; where the intent is unambiguous the build warns at the defect and compiles it
(issue 7: "warn with the location and build what is sound"). Each test asserts the exact warning, then runs
the built workflow against a scripted server on 127.0.0.1 and asserts the requests it made; ``--strict``
refuses every one of these warnings like any other."""

from __future__ import annotations

from pathlib import Path

from tests.scripted import Reply, build_package, compile_files, import_package, scripted
from tests.test_flow import HEAD, JOBS_API, Run, job
from tests.test_names import mypy_strict

FLOW = "specs/arazzo/jobs.arazzo.yaml"


def headlines(run: Run, tmp_path: Path) -> list[str]:
    return [line.replace(str(tmp_path / "specs") + "/", "specs/") for line in run.warnings]


# -- a request body the description does not declare ------------------------------------------------------
UNDECLARED_BODY = HEAD + """
workflows:
  - workflowId: cancel
    inputs: {type: object, properties: {reason: {type: string}}}
    steps:
      - stepId: cancel
        operationId: cancelJob
        parameters: [{name: id, in: path, value: j-1}]
        requestBody:
          payload: {reason: $inputs.reason, notify: true}
        successCriteria: [{condition: $statusCode == 204}]
"""


def test_a_body_the_operation_does_not_declare_is_sent_as_written_with_a_warning(tmp_path: Path) -> None:
    # main: error[unexpected-request-body], nothing built (3 zendesk corpus workflows send bodies to
    # operations whose description omits the requestBody)
    run = Run(tmp_path, UNDECLARED_BODY, "undeclared_body_pkg")
    assert headlines(run, tmp_path) == [
        (f"{FLOW}:12:9: warning[unexpected-request-body]: step 'cancel' sends a requestBody but cancelJob declares "
        "none; it is sent as written (application/json), unchecked")
    ]
    for result, lines, _, server in run.both("cancel", {("POST", "/jobs/j-1/cancel"): [Reply(204)]}, reason="dup"):
        assert not isinstance(result, Exception), result
        assert lines == ["POST /jobs/j-1/cancel"]
        request = server.requests[0]
        assert (request.headers["content-type"], request.json()) == ("application/json", {"reason": "dup", "notify": True})
    # a JSON text payload (the specification's templated form) is that JSON, not a string
    text_run = Run(tmp_path / "text", UNDECLARED_BODY.replace(
        "payload: {reason: $inputs.reason, notify: true}", "payload: '{\"reason\": \"{$inputs.reason}\"}'"
    ), "undeclared_text_pkg")  # fmt: skip
    for result, _, _, server in text_run.both("cancel", {("POST", "/jobs/j-1/cancel"): [Reply(204)]}, reason="x"):
        assert not isinstance(result, Exception), result
        assert server.requests[0].json() == {"reason": "x"}
    # the client method takes the body as an optional argument; calling it without one sends none
    with scripted({("POST", "/jobs/j-1/cancel"): [Reply(204)]}) as server:
        with run.client_module.Client(server.url) as client:
            assert client.cancel_job(id_="j-1").status_code == 204
        assert server.requests[0].body == b""
    mypy_strict(tmp_path / "out", "undeclared_body_pkg")


# -- a required parameter whose description gives its one value -------------------------------------------
DEFAULTED_API = """
swagger: "2.0"
info: {title: Flights, version: "1"}
host: 127.0.0.1
paths:
  /shopping/availability:
    post:
      operationId: searchAvailability
      parameters:
        - {$ref: "#/parameters/getOverride"}
        - {name: X-Mode, in: header, required: true, type: string, enum: [strict]}
        - {name: page, in: query, required: true, type: integer, default: 1}
        - {name: list-type, in: query, required: true, type: integer, enum: [2]}
        - {name: locale, in: query, required: true, type: string}
        - {name: body, in: body, required: true, schema: {type: object}}
      responses:
        "200": {description: ok, schema: {type: object, properties: {count: {type: integer}}}}
parameters:
  getOverride: {name: X-HTTP-Method-Override, in: header, required: true, type: string, default: GET}
"""

DEFAULTED_FLOW = """
arazzo: 1.0.1
info: {title: Flights, version: "1"}
sourceDescriptions: [{name: flights, url: ../openapi/flights.yaml, type: openapi}]
workflows:
  - workflowId: search
    steps:
      - stepId: search
        operationId: searchAvailability
        parameters: [{name: locale, in: query, value: en}, {name: X-Mode, in: header, value: strict}]
        requestBody: {payload: {origin: MAD}}
        outputs: {count: $response.body#/count}
    outputs: {count: $steps.search.outputs.count}
"""


def test_a_required_parameter_the_description_gives_a_default_is_sent_with_it_when_omitted(tmp_path: Path) -> None:
    # main: error[missing-parameter] for X-HTTP-Method-Override (6 amadeus corpus workflows); the description's
    # default (or its only enum value) is what the API expects, so the client sends it when the caller omits it
    files = {"openapi/flights.yaml": DEFAULTED_API, "arazzo/flights.arazzo.yaml": DEFAULTED_FLOW}
    out, warnings = build_package(tmp_path, files, "defaulted_pkg")
    assert warnings == []
    package = import_package(out, "defaulted_pkg")
    with scripted({("POST", "/shopping/availability"): [Reply(200, {"count": 3})] * 2}) as server:
        with package.apis.flights.Client(server.url) as client:
            assert package.workflows.flights.search(flights_api=client).count == 3
            client.search_availability(x_mode="strict", locale="fr", page=2, x_http_method_override="PUT", body={})
        first, second = server.requests
        assert (first.line, first.query) == (
            "POST /shopping/availability", [("page", "1"), ("list-type", "2"), ("locale", "en")]
        )
        assert (first.headers["x-http-method-override"], first.headers["x-mode"]) == ("GET", "strict")
        assert second.query == [("page", "2"), ("list-type", "2"), ("locale", "fr")]
        assert second.headers["x-http-method-override"] == "PUT"
    mypy_strict(out, "defaulted_pkg")


# -- a schema that inherits from itself -------------------------------------------------------------------
CYCLE_API = """
openapi: 3.0.3
info: {title: Grid, version: "1"}
paths:
  /snapshot:
    get:
      operationId: getSnapshot
      responses:
        "200":
          description: ok
          content: {application/json: {schema: {$ref: "#/components/schemas/web_services"}}}
components:
  schemas:
    web_services:
      allOf:
        - $ref: "#/components/schemas/web_services"
        - type: object
          properties: {load: {type: number}}
    A:
      allOf: [{$ref: "#/components/schemas/B"}, {type: object, properties: {a: {type: string}}}]
    B:
      allOf: [{$ref: "#/components/schemas/A"}, {type: object, properties: {b: {type: string}}}]
"""

CYCLE_FLOW = """
arazzo: 1.0.1
info: {title: Grid, version: "1"}
sourceDescriptions: [{name: grid, url: ../openapi/grid.yaml, type: openapi}]
workflows:
  - workflowId: snapshot
    steps:
      - stepId: get
        operationId: getSnapshot
        outputs: {load: $response.body#/load}
    outputs: {load: $steps.get.outputs.load}
"""


def test_a_schema_inheriting_from_itself_drops_that_reference_with_a_warning(tmp_path: Path) -> None:
    # main: error[model-generation-failed] at 1:1 ("Generated model inheritance cycle"), nothing built
    # (the iso-new-england corpus description writes 'isone_web_services: {allOf: [$ref isone_web_services, ...]}')
    files = {"openapi/grid.yaml": CYCLE_API, "arazzo/grid.arazzo.yaml": CYCLE_FLOW}
    out, warnings = build_package(tmp_path, files, "cycle_pkg")
    assert [line.replace(str(tmp_path / "specs") + "/", "specs/") for line in warnings] == [
        (
            "specs/openapi/grid.yaml:13:5: warning[allof-cycle]: schema 'web_services' inherits from itself through "
            "allOf ('web_services' -> 'web_services'); the reference closing the cycle is dropped"
        ),
        (
            "specs/openapi/grid.yaml:20:5: warning[allof-cycle]: schema 'B' inherits from itself through allOf "
            "('A' -> 'B' -> 'A'); the reference closing the cycle is dropped"
        ),
    ]
    package = import_package(out, "cycle_pkg")
    assert package.apis.grid.models.WebServices.model_validate({"load": 1.5}).load == 1.5
    assert package.apis.grid.models.A.model_validate({"a": "x", "b": "y"}).b == "y"
    with (
        scripted({("GET", "/snapshot"): [Reply(200, {"load": 2.5, "extra": 1})]}) as server,
        package.apis.grid.Client(server.url) as client,
    ):
        assert package.workflows.grid.snapshot(grid_api=client).load == 2.5
    mypy_strict(out, "cycle_pkg")


# -- an unquoted word compared as a string ----------------------------------------------------------------
UNQUOTED = HEAD + """
workflows:
  - workflowId: wait
    steps:
      - stepId: get
        operationId: getJob
        parameters: [{name: id, in: path, value: j1}]
        successCriteria:
          - condition: $statusCode == 200 && $response.body#/state == done
          - condition: $response.body#/state != cancelled || $response.body#/id == (j1)
        outputs: {state: $response.body#/state}
    outputs: {state: $steps.get.outputs.state}
"""


def test_an_unquoted_word_on_the_right_of_a_comparison_is_that_string_with_a_warning(tmp_path: Path) -> None:
    # main: error[invalid-condition] "unknown word 'done'" (6 Azure DevOps corpus workflows write
    # '$response.body#/status == completed'). A word followed by anything but the end, '&&', '||' or ')' and
    # a word inside parentheses stay errors: '(j1)' is one.
    _, lines = compile_files(tmp_path / "bad", {"openapi/jobs.yaml": JOBS_API, "arazzo/jobs.arazzo.yaml": UNQUOTED}, "p")
    assert [line.replace(str(tmp_path / "bad" / "specs") + "/", "specs/") for line in lines] == [
        (
            f"{FLOW}:12:71: warning[unquoted-string]: 'done' is not quoted: string literals in conditions are "
            "written in single quotes; write 'done'; it is compared as that string"
        ),
        (
            f"{FLOW}:13:85: error[invalid-condition]: unknown word 'j1' in condition; operands are runtime "
            "expressions ($...), numbers, true, false, null or quoted strings such as 'j1'"
        ),
    ]
    run = Run(tmp_path, UNQUOTED.replace(" || $response.body#/id == (j1)", ""), "unquoted_pkg")
    assert headlines(run, tmp_path) == [
        (
            f"{FLOW}:12:71: warning[unquoted-string]: 'done' is not quoted: string literals in conditions are "
            "written in single quotes; write 'done'; it is compared as that string"
        ),
        (
            f"{FLOW}:13:49: warning[unquoted-string]: 'cancelled' is not quoted: string literals in conditions "
            "are written in single quotes; write 'cancelled'; it is compared as that string"
        ),
    ]
    for result, lines, _, _ in run.both("wait", {("GET", "/jobs/j1"): [job("done")]}):
        assert result.state == "done"
    for result, lines, _, _ in run.both("wait", {("GET", "/jobs/j1"): [job("running")]}):
        assert isinstance(result, run.package._runtime.StepFailed)
        assert result.criterion == "$statusCode == 200 && $response.body#/state == done"


# -- a required request body that may be empty ------------------------------------------------------------
RULES_API = """
openapi: 3.0.3
info: {title: Rules, version: "1"}
paths:
  /rules/{id}:
    parameters: [{name: id, in: path, required: true, schema: {type: string}}]
    delete:
      operationId: deleteRule
      requestBody: {required: true, content: {application/json: {}}}
      responses: {"200": {description: ok}}
    patch:
      operationId: cascadeRule
      requestBody:
        required: true
        content: {application/json: {schema: {type: object, properties: {cascade: {type: string}}}}}
      responses: {"200": {description: ok}}
    put:
      operationId: replaceRule
      requestBody:
        required: true
        content: {application/json: {schema: {type: object, required: [mode], properties: {mode: {type: string}}}}}
      responses: {"200": {description: ok}}
"""

RULES_FLOW = """
arazzo: 1.0.1
info: {title: Rules, version: "1"}
sourceDescriptions: [{name: rules, url: ../openapi/rules.yaml, type: openapi}]
workflows:
  - workflowId: remove
    steps:
      - stepId: cascade
        operationId: cascadeRule
        parameters: [{name: id, in: path, value: r1}]
      - stepId: delete
        operationId: deleteRule
        parameters: [{name: id, in: path, value: r1}]
"""


def test_a_required_body_that_may_be_the_empty_object_is_sent_as_one_with_a_warning(tmp_path: Path) -> None:
    # main: error[missing-request-body] (4 Cloudflare corpus workflows call DELETE operations whose description
    # marks a body with no required member as required); a body with a required member stays an error
    files = {"openapi/rules.yaml": RULES_API, "arazzo/rules.arazzo.yaml": RULES_FLOW}
    out, warnings = build_package(tmp_path, files, "rules_pkg")
    prefix = str(tmp_path / "specs") + "/"
    assert [line.replace(prefix, "specs/") for line in warnings] == [
        (
            "specs/arazzo/rules.arazzo.yaml:10:17: warning[missing-request-body]: deleteRule requires a request body "
            "but step 'delete' has no requestBody payload; an empty JSON object ({}) is sent"
        ),
        (
            "specs/arazzo/rules.arazzo.yaml:7:17: warning[missing-request-body]: cascadeRule requires a request body "
            "but step 'cascade' has no requestBody payload; an empty JSON object ({}) is sent"
        ),
    ]
    package = import_package(out, "rules_pkg")
    script = {("PATCH", "/rules/r1"): [Reply(200, {})], ("DELETE", "/rules/r1"): [Reply(200, {})]}
    with scripted(script) as server, package.apis.rules.Client(server.url) as client:
        package.workflows.rules.remove(rules_api=client)
        assert [(r.line, r.headers["content-type"], r.json()) for r in server.requests] == [
            ("PATCH /rules/r1", "application/json", {}), ("DELETE /rules/r1", "application/json", {})
        ]
    mypy_strict(out, "rules_pkg")
    _, lines = compile_files(tmp_path / "put", {**files, "arazzo/rules.arazzo.yaml": RULES_FLOW.replace(
        "operationId: cascadeRule", "operationId: replaceRule")}, "rules_put")  # fmt: skip
    assert [line.replace(str(tmp_path / "put" / "specs") + "/", "specs/") for line in lines] == [
        (
            "specs/arazzo/rules.arazzo.yaml:10:17: warning[missing-request-body]: deleteRule requires a request body "
            "but step 'delete' has no requestBody payload; an empty JSON object ({}) is sent"
        ),
        (
            "specs/arazzo/rules.arazzo.yaml:7:17: error[missing-request-body]: replaceRule requires a request body "
            "but step 'cascade' has no requestBody payload"
        ),
    ]


# -- Redocly's forms: '<source>.<operationId>' and '$sourceDescriptions.<source>.workflows.<workflowId>' ------
CALLEE = """
arazzo: 1.0.1
info: {title: Callee, version: "1"}
sourceDescriptions: [{name: jobs, url: ../openapi/jobs.yaml, type: openapi}]
workflows:
  - workflowId: get-job
    inputs: {type: object, properties: {id: {type: string}}}
    steps:
      - stepId: get
        operationId: jobs.getJob
        parameters: [{name: id, in: path, value: $inputs.id}]
        outputs: {state: $response.body#/state}
    outputs: {state: $steps.get.outputs.state}
"""

CALLER = """
arazzo: 1.0.1
info: {title: Caller, version: "1"}
sourceDescriptions:
  - {name: jobs, url: ../openapi/jobs.yaml, type: openapi}
  - {name: callee, url: ./callee.arazzo.yaml, type: arazzo}
workflows:
  - workflowId: check
    steps:
      - stepId: run
        workflowId: $sourceDescriptions.callee.workflows.get-job
        parameters: [{name: id, value: j1}]
        outputs: {state: $outputs.state}
    outputs: {state: $steps.run.outputs.state}
"""


def test_redocly_forms_of_operation_and_workflow_references_are_compiled_with_a_warning(tmp_path: Path) -> None:
    # main: unknown-operation 'jobs.getJob' (did you mean 'getJob'?) and unknown-workflow for '...workflows.get-job'
    # (Redocly's museum example, _redocly-museum/arazzo/museum-api.arazzo.yaml, writes both)
    run = Run(tmp_path, CALLER, "redocly_pkg", {"arazzo/callee.arazzo.yaml": CALLEE})
    assert headlines(run, tmp_path) == [
        (
            "specs/arazzo/callee.arazzo.yaml:9:22: warning[nonstandard-expression]: 'jobs.getJob' is not a standard "
            "runtime expression; write '$sourceDescriptions.jobs.getJob'; it is compiled with that meaning"
        ),
        (
            f"{FLOW}:10:21: warning[nonstandard-expression]: '$sourceDescriptions.callee.workflows.get-job' is not a "
            "standard runtime expression; write '$sourceDescriptions.callee.get-job'; it is compiled with that meaning"
        ),
    ]
    for result, lines, _, _ in run.both("check", {("GET", "/jobs/j1"): [job("done")]}):
        assert result.state == "done"
        assert lines == ["GET /jobs/j1"]
