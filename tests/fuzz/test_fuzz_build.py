"""Fuzzing the whole build with hypothesis: hostile, well-formed and mutated Arazzo + OpenAPI documents.

The property (tests/fuzz/harness.py): the build exits 1 with located diagnostics, or exits 0 with a package that
compiles, imports, constructs its clients and holds document text only in string literals and comments; never
exit 2/3, never a hang, never a raw control/bidi character in a generated file or a diagnostic, never a file
written outside OUT.

Profiles (environment variable ``ARAZZO_FUZZ``):

- ``ci`` (default): 60 examples, derandomized (the same examples every run), no example database; about a
  minute on 2 cores.
- ``long``: ``ARAZZO_FUZZ_EXAMPLES`` examples (default 3000), random, no deadline, failures shrunk and saved in
  ``.hypothesis/`` (git-ignored)::

      ARAZZO_FUZZ=long .venv/bin/python -m pytest tests/fuzz -q

``ARAZZO_FUZZ_LOG=FILE`` appends one JSON line per example (exit code, failure signatures) to FILE, to follow a
long run.  ``ARAZZO_FUZZ_STRICT=1`` ignores :data:`KNOWN_FAILURES`: every distinct failure signature is then shrunk and
reported separately (hypothesis' multiple-bug reporting), which is how the regression examples in
``test_fuzz_regressions.py`` were found.
"""

from __future__ import annotations

import json
import os
import re

import pytest
from hypothesis import HealthCheck, Phase, event, given, settings

from .harness import Failure, check_case
from .strategies import FuzzCase, fuzz_cases

# Failures the fuzzer found and that are fixed stay out of the property: a matching failure would be recorded as a
# hypothesis event instead of failing.  Empty since issue 5's fixes landed (their minimal examples are in
# test_fuzz_regressions.py); add an entry only with the issue that will fix it.
KNOWN_FAILURES: list[tuple[str, str]] = []

PROFILE = os.environ.get("ARAZZO_FUZZ", "ci")
STRICT = os.environ.get("ARAZZO_FUZZ_STRICT") == "1"
_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

# CI does not shrink (a failure prints the example as generated, within the time budget); reproduce and shrink it
# with the long profile or by turning it into a test_fuzz_regressions.py entry.
settings.register_profile(
    "ci", max_examples=60, derandomize=True, database=None, deadline=None, suppress_health_check=_SLOW_OK,
    print_blob=True, phases=[Phase.explicit, Phase.reuse, Phase.generate],
)  # fmt: skip
settings.register_profile(
    "long", max_examples=int(os.environ.get("ARAZZO_FUZZ_EXAMPLES", "3000")), deadline=None,
    suppress_health_check=_SLOW_OK, print_blob=True, report_multiple_bugs=True,
)  # fmt: skip
if PROFILE not in ("ci", "long"):
    raise ValueError(f"ARAZZO_FUZZ must be 'ci' or 'long', not {PROFILE!r}")

_ERROR_CLASSES: dict[str, type[AssertionError]] = {}


def known_failure(failure: Failure) -> str | None:
    """The hazard a failure is already known as, or None."""
    for pattern, hazard in KNOWN_FAILURES:
        if re.search(pattern, str(failure)):
            return hazard
    return None


def _error_class(signature: str) -> type[AssertionError]:
    """One exception class per failure signature, so hypothesis shrinks and reports each distinct failure."""
    if signature not in _ERROR_CLASSES:
        name = "Fuzz_" + re.sub(r"\W+", "_", signature)[:60]
        _ERROR_CLASSES[signature] = type(name, (AssertionError,), {})
    return _ERROR_CLASSES[signature]


def _log(codes: list[int | None], failures: list[Failure]) -> None:
    """With ``ARAZZO_FUZZ_LOG=FILE``, one JSON line per example: exit code and failure signatures."""
    path = os.environ.get("ARAZZO_FUZZ_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(json.dumps({"exit": codes[-1] if codes else None, "failures": [f.signature for f in failures]}) + "\n")


def assert_property(case: FuzzCase, *, tolerate_known: bool) -> None:
    unexpected = []
    codes: list[int | None] = []
    failures = check_case(case, codes)
    _log(codes, failures)
    event(f"exit {codes[-1] if codes else None}")
    for failure in failures:
        hazard = known_failure(failure) if tolerate_known else None
        if hazard is not None:
            event(f"known failure: {failure.signature}")
            continue
        unexpected.append(failure)
    if unexpected:
        first = unexpected[0]
        raise _error_class(first.signature)("\n\n".join(str(f) for f in unexpected))


@pytest.mark.timeout(0 if PROFILE == "long" else 280)
@settings(settings.get_profile(PROFILE))
@given(case=fuzz_cases())
def test_build_property(case: FuzzCase) -> None:
    """Any document set: located diagnostics (exit 1) or a sound package (exit 0); nothing else."""
    event("mutated" if case.mutated else "well-formed")
    assert_property(case, tolerate_known=not STRICT)


def test_known_failures_are_documented() -> None:
    """Every tolerated failure names the hazard, so the list can be emptied entry by entry as fixes land."""
    for pattern, hazard in KNOWN_FAILURES:
        re.compile(pattern)
        assert hazard.startswith("issue "), hazard
