"""Minimal examples of the failures the fuzzer found, one per hazard, each checked with the full build property.

Each starts from one small, sound document pair (:data:`OPENAPI`, :data:`ARAZZO`; the ``sound`` case passes) and
changes only the value the failure needs.  Each entry keeps the hazard it showed and the failure signature it
failed with before its fix (issue 5); today every example must pass the property.
"""

from __future__ import annotations

import json
import re

import pytest

from .harness import check_case
from .strategies import FuzzCase

OPENAPI = """\
openapi: 3.0.3
info: {title: @title@, version: "1", description: "D"}
servers: [{url: @url@, variables: {v: {default: @vdefault@}}}]
paths:
  /items/{id}:
    post:
      operationId: @opid@
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
        - {name: @qname@, in: @qin@, schema: {type: string}}
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {a: {type: string}}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/@skey@"}
components:
  schemas:
    @skey@:
      type: object
      description: @scdesc@
      properties:
        @prop@: {type: string, description: @propdesc@}
        @prop2@: {type: string}
  securitySchemes:
    @scheme@: {type: apiKey, in: header, name: X-Key}
security: [{@scheme@: []}]
"""

ARAZZO = """\
arazzo: 1.0.1
info: {title: "AT", version: 1.0.0}
sourceDescriptions: [{name: @source@, url: ../openapi/api.yaml, type: openapi}]
workflows:
  - workflowId: @wfid@
    summary: @wsummary@
    inputs: {type: object, properties: {@input@: {type: string}}}
    steps:
      - stepId: @stepid@
        operationId: @opid@
        parameters: [{name: id, in: path, value: @pvalue@}, {name: @qname@, in: @qin@, value: $inputs.@input@}]
        requestBody: {contentType: application/json, payload: {a: @payload@}}
        successCriteria: [{condition: "$statusCode == 200"}, {condition: @crit@}]
        outputs: {@sout@: $response.body#/@prop@}
    outputs: {@wout@: $steps.@stepid@.outputs.@sout@}
"""

# Name positions are filled in as they are (they appear inside runtime expressions); text positions are quoted.
NAMES = {"opid", "qname", "qin", "skey", "prop", "prop2", "scheme", "source", "wfid", "input", "stepid", "sout", "wout"}
SOUND = {
    "title": "T", "url": "https://x.example/{v}", "vdefault": "vd", "opid": "op", "qname": "q", "qin": "query",
    "skey": "Thing", "scdesc": "sc", "prop": "p", "prop2": "p2", "propdesc": "pd", "scheme": "key", "source": "api",
    "wfid": "wf", "wsummary": "ws", "input": "i", "stepid": "st", "pvalue": "pv", "payload": "pl",
    "crit": "$response.body#/p == 'x'", "sout": "o", "wout": "wo",
}  # fmt: skip


def case(**changes: str) -> FuzzCase:
    values = {**SOUND, **changes}
    filled = {key: value if key in NAMES else json.dumps(value) for key, value in values.items()}

    def fill(template: str) -> bytes:
        return re.sub(r"@(\w+)@", lambda m: filled[m.group(1)], template).encode()

    return FuzzCase({"openapi/api.yaml": fill(OPENAPI), "arazzo/w.arazzo.yaml": fill(ARAZZO)}, [], False)


def patched(example: FuzzCase, path: str, old: str, new: str) -> FuzzCase:
    """``example`` with one text replacement in one file (for changes that do not fit a template slot)."""
    text = example.files[path].decode()
    assert old in text, old
    return FuzzCase({**example.files, path: text.replace(old, new, 1).encode()}, [], True)


_SOUND_ARAZZO = case().files["arazzo/w.arazzo.yaml"].decode()


def known(name: str, hazard: str, signature: str, example: FuzzCase | None = None, **changes: str) -> object:
    """A found failure: ``hazard`` says what it was, ``signature`` how the property failed before the fix."""
    return pytest.param(example or case(**changes), id=name)


RAW = "raw control/bidi character in generated "
RAW_HAZARD = "issue 5: control and bidi characters from documents appear raw in generated files"
EXIT3_HAZARD = "issue 5: U+0085 in a string literal of a workflow module breaks black's tokenizer: exit 3"
EXIT3 = r"exit 3: TokenError in parsing\.py:lib2to3_parse"
NAMES_HAZARD = "issue 5: generated names collide with parameters and runtime helpers (one allocator per scope)"
CLIENT_FAILS = r"generated client fails: TypeError: .* object is not callable"
REGRESSIONS = [
    pytest.param(case(), id="sound"),
    # Control and bidi characters in text positions reach generated files raw.
    known("raw-api-title", RAW_HAZARD, RAW + "README.md", title="T\u202e"),
    known("raw-workflow-summary", RAW_HAZARD, RAW + "README.md", wsummary="ws\x00"),
    known("raw-server-url", RAW_HAZARD, RAW + "apis/<api>/client.py", url="https://x.example/\u202e/{v}"),
    known("raw-server-variable-default", RAW_HAZARD, RAW + "apis/<api>/client.py", vdefault="vd\x85"),
    known("raw-schema-description", RAW_HAZARD, RAW + "apis/<api>/models.py", scdesc="s\x0cc"),
    known("raw-property-description", RAW_HAZARD, RAW + "apis/<api>/models.py", propdesc="p\u2028d"),
    known("raw-parameter-literal", RAW_HAZARD, RAW + "workflows/<document>.py", pvalue="pv\u202e"),
    known("raw-payload-literal", RAW_HAZARD, RAW + "workflows/<document>.py", payload="pl\u2066"),
    known("raw-criterion-literal", RAW_HAZARD, RAW + "workflows/<document>.py", crit="$response.body#/p == 'x\u202e'"),
    # A name from the document echoed raw in a diagnostic message: the terminal would interpret it.
    known("raw-in-diagnostic", "issue 5: control and bidi characters from documents printed raw in diagnostics",
          r"raw control/bidi character in diagnostic \[unknown-operation\]",
          patched(case(), "arazzo/w.arazzo.yaml", "operationId: op", 'operationId: "op\\e[2J\\u202e"')),
    # Names: one allocator must know method parameters and the runtime helpers the generated code calls.
    known("scheme-self", NAMES_HAZARD, r"generated \.py does not compile: duplicate argument .*", scheme="self"),
    known("scheme-super", NAMES_HAZARD, CLIENT_FAILS, scheme="super"),
    known("scheme-base-url-for", NAMES_HAZARD, CLIENT_FAILS, scheme="base_url_for"),
    # A workflows entry that is not a mapping: no diagnostic, an empty workflow module that black rejects.
    known("exit3-workflow-not-a-mapping", "issue 5: a workflows[] entry that is not a mapping gives exit 3 "
          "(black: cannot parse the generated workflow module) instead of a located error",
          r"exit 3: ParseError in parsing\.py:lib2to3_parse",
          patched(case(), "arazzo/w.arazzo.yaml", _SOUND_ARAZZO[_SOUND_ARAZZO.index("workflows:") :], "workflows: [x]\n")),
    known("exit3-nel-parameter-literal", EXIT3_HAZARD, EXIT3, pvalue="pv\x85"),
    known("exit3-nel-payload-literal", EXIT3_HAZARD, EXIT3, payload="pl\x85"),
    known("exit3-nel-criterion-literal", EXIT3_HAZARD, EXIT3, crit="$response.body#/p == 'x\x85'"),
]


@pytest.mark.parametrize("example", REGRESSIONS)
def test_regression(example: FuzzCase) -> None:
    failures = check_case(example)
    assert not failures, "\n\n".join(str(f) for f in failures)
