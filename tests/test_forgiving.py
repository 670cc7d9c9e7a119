"""Real documents have defects; where the intent is unambiguous the build warns at the defect and compiles it
(issue 7: "warn with the location and build what is sound"). Each test asserts the exact warning, then runs
the built workflow against a scripted server on 127.0.0.1 and asserts the requests it made; ``--strict``
refuses every one of these warnings like any other."""

from __future__ import annotations

from pathlib import Path

from tests.test_flow import HEAD, Run
from tests.test_names import mypy_strict
from tests.scripted import Reply, scripted

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
        f"{FLOW}:12:9: warning[unexpected-request-body]: step 'cancel' sends a requestBody but cancelJob declares "
        "none; it is sent as written (application/json), unchecked"
    ]
    for result, lines, _, server in run.both("cancel", {("POST", "/jobs/j-1/cancel"): [Reply(204)]}, reason="dup"):
        assert not isinstance(result, Exception), result
        assert lines == ["POST /jobs/j-1/cancel"]
        request = server.requests[0]
        assert (request.headers["content-type"], request.json()) == ("application/json", {"reason": "dup", "notify": True})
    # the client method takes the body as an optional argument; calling it without one sends none
    with scripted({("POST", "/jobs/j-1/cancel"): [Reply(204)]}) as server:
        with run.client_module.Client(server.url) as client:
            assert client.cancel_job(id="j-1").status_code == 204
        assert server.requests[0].body == b""
    mypy_strict(tmp_path / "out", "undeclared_body_pkg")
