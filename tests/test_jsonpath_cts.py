"""The RFC 9535 JSONPath Compliance Test Suite (../shared/conformance/jsonpath-cts/cts.json) against what
arazzo-gen does with a jsonpath criterion:

* at build time, :func:`arazzo_gen.ir.criteria.check_jsonpath` refuses exactly the ``invalid_selector`` cases;
* at run time, ``jsonpath_matches`` (arazzo_gen/runtime/_runtime_jsonpath.py, copied into generated packages) is true
  exactly when the suite's expected node list is non-empty, and the library it evaluates with selects the
  expected nodes in the expected order (one of ``results`` where the order is not determined).

Deliberate exceptions: none.  Every case runs in one loop (about 0.1 s).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonpath_rfc9535
import pytest

from arazzo_gen.ir.criteria import check_jsonpath
from arazzo_gen.runtime import _runtime_jsonpath

CTS = Path(__file__).resolve().parent.parent.parent / "shared" / "conformance" / "jsonpath-cts" / "cts.json"
EXCEPTIONS: dict[str, str] = {}  # case name -> why it is not run; none today


def test_rfc9535_compliance_suite() -> None:
    if not CTS.is_file():
        pytest.skip(f"the compliance suite is not there ({CTS}); it comes with ../shared")
    cases: list[dict[str, Any]] = json.loads(CTS.read_text(encoding="utf-8"))["tests"]
    assert len(cases) > 700
    runtime = _runtime_jsonpath
    failures: list[str] = []
    ran = 0
    for case in cases:
        name, selector = case["name"], case["selector"]
        if name in EXCEPTIONS:
            continue
        ran += 1
        problem = check_jsonpath(selector)
        if case.get("invalid_selector"):
            if problem is None:
                failures.append(f"{name}: {selector!r} is invalid but passed the build-time check")
            elif not 0 <= problem[1] <= len(selector):
                failures.append(f"{name}: error offset {problem[1]} outside the query")
            continue
        if problem is not None:
            failures.append(f"{name}: {selector!r} is valid but the build-time check said {problem}")
            continue
        document = case["document"]
        expected = case["results"] if "results" in case else [case["result"]]
        got = [node.value for node in jsonpath_rfc9535.compile(selector).find(document)]
        if got not in expected:
            failures.append(f"{name}: {selector!r} selected {got!r}, expected one of {expected!r}")
        matches = runtime.jsonpath_matches(selector, document)
        if matches is not (len(expected[0]) > 0):
            failures.append(f"{name}: jsonpath_matches gave {matches} for {len(expected[0])} node(s)")
    assert failures == []
    assert ran == len(cases) - len(EXCEPTIONS)
