"""The fuzz harness's checks can fail: each is shown a violation it must report, and a sound case it must pass."""

from __future__ import annotations

import json
from pathlib import Path

from .harness import (
    _check_diagnostics,
    _check_package,
    _exit3_signature,
    _sentinels_outside_strings,
    check_case,
)
from .strategies import FuzzCase

OPENAPI = """\
openapi: 3.0.3
info: {title: "QZX1Q \\"\\"\\" api", version: "1"}
servers: [{url: "https://api.example.com/QZX2Q"}]
paths:
  /items/{id}:
    get:
      operationId: getItem
      description: "QZX3Q'''"
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {name: {type: string, default: "QZX4Q\\\\"}}}
"""

ARAZZO = """\
arazzo: 1.0.1
info: {title: "QZX5Q", version: "1.0.0"}
sourceDescriptions: [{name: api, url: ../openapi/api.yaml, type: openapi}]
workflows:
  - workflowId: get
    inputs: {type: object, properties: {id: {type: string}}}
    steps:
      - stepId: one
        operationId: getItem
        parameters: [{name: id, in: path, value: "QZX6Q\\""}]
        successCriteria: [{condition: "$statusCode == 200"}]
        outputs: {name: $response.body#/name}
    outputs: {name: $steps.one.outputs.name}
"""


def test_sentinel_in_code_is_reported_and_in_text_is_not() -> None:
    assert _sentinels_outside_strings("m.py", "QZX1Q = 1\n")
    assert _sentinels_outside_strings("m.py", "def f(QZX1Q): ...\n")
    assert not _sentinels_outside_strings("m.py", 'x = "QZX1Q"  # QZX2Q\n"""QZX3Q"""\n')
    assert not _sentinels_outside_strings("m.py", 'x = f"{y}QZX1Q"\n')


def test_unlocated_diagnostic_and_raw_control_character_are_reported() -> None:
    located = {"severity": "error", "rule": "r", "message": "m", "file": "a.yaml", "line": 1, "column": 2}
    assert _check_diagnostics(json.dumps([located])) == []
    unlocated = [_check_diagnostics(json.dumps([{**located, key: None}])) for key in ("file", "line", "column")]
    assert all(failures and failures[0].signature == "unlocated diagnostic [r]" for failures in unlocated)
    # JSON escapes document text (the message keeps the exact value); only raw bytes in the output are a failure
    assert _check_diagnostics(json.dumps([{**located, "message": "a\x1b[31mb\u202e"}])) == []
    (raw,) = _check_diagnostics(json.dumps([{**located, "message": "a\u202eb"}], ensure_ascii=False))
    assert raw.signature == "raw control/bidi character in diagnostic [r]"


def test_internal_error_signature_names_exception_and_function() -> None:
    stderr = (
        "internal error: arazzo-gen failed unexpectedly; details follow for a bug report:\n"
        "Traceback (most recent call last):\n"
        '  File "/x/generator/arazzo_gen/ir/lower_api.py", line 10, in _params\n'
        "    raise KeyError(name)\n"
        "KeyError: 'name'\n"
    )
    assert _exit3_signature(stderr) == "exit 3: KeyError in lower_api.py:_params"


def test_broken_package_is_reported(tmp_path: Path) -> None:
    (tmp_path / "fuzzpkg").mkdir()
    (tmp_path / "fuzzpkg" / "__init__.py").write_text("def f(self, self): ...\n")
    (tmp_path / "README.md").write_text("bidi \u202e here\n")
    signatures = {failure.signature for failure in _check_package(tmp_path, [])}
    assert signatures == {
        "generated .py does not compile: duplicate argument '…' in function definition",
        "raw control/bidi character in generated README.md",
    }


def test_package_that_does_not_import_is_reported(tmp_path: Path) -> None:
    (tmp_path / "fuzzpkg").mkdir()
    (tmp_path / "fuzzpkg" / "__init__.py").write_text("import no_such_module_qzx\n")
    (failure,) = _check_package(tmp_path, [])
    assert failure.signature == "generated package does not import: ModuleNotFoundError: No module named '…'"


def test_sound_case_passes() -> None:
    case = FuzzCase({"openapi/api.yaml": OPENAPI.encode(), "arazzo/w.arazzo.yaml": ARAZZO.encode()}, [], False)
    codes: list[int | None] = []
    assert check_case(case, codes) == []
    assert codes == [0]


def test_broken_documents_exit_1_with_located_diagnostics() -> None:
    case = FuzzCase({"openapi/api.yaml": OPENAPI.encode(),
                     "arazzo/w.arazzo.yaml": ARAZZO.replace("getItem", "nope").encode()}, [], True)  # fmt: skip
    codes: list[int | None] = []
    assert check_case(case, codes) == []
    assert codes == [1]
