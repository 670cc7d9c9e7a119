"""JSONPath criteria (RFC 9535): ``jsonpath_matches``, evaluated with jsonpath-rfc9535.

Part of the runtime arazzo-gen copies, unchanged, into a generated package whose workflows have a jsonpath
criterion (it needs ``jsonpath-rfc9535``, ``iregexp-check`` and ``regex``).  Its ``match()`` and ``search()``
run for at most ``_runtime_regex.REGEX_TIMEOUT`` seconds.  Copied by arazzo-gen from its
``arazzo_gen/runtime`` package; do not edit.
"""

from __future__ import annotations

import functools
from typing import Any

import iregexp_check
import jsonpath_rfc9535
import regex
from jsonpath_rfc9535.function_extensions import Match as _JSONPathMatch
from jsonpath_rfc9535.function_extensions import Search as _JSONPathSearch
from jsonpath_rfc9535.function_extensions._pattern import map_re as _iregexp_to_regex

from . import _runtime_regex
from ._runtime import CriterionError, to_jsonable


def _iregexp_found(value: object, pattern: object, whole: bool) -> bool:
    """RFC 9535's ``match()`` (``whole``) or ``search()``, as jsonpath-rfc9535 evaluates them, but for at most
    :data:`._runtime_regex.REGEX_TIMEOUT` seconds (``TimeoutError``): no match unless ``pattern`` is an I-Regexp (RFC 9485).
    """
    if (
        not isinstance(value, str)
        or not isinstance(pattern, str)
        or not iregexp_check.check(pattern)
    ):
        return False
    try:
        if whole:
            found = regex.fullmatch(
                _iregexp_to_regex(pattern), value, timeout=_runtime_regex.REGEX_TIMEOUT
            )
        else:
            found = regex.search(
                _iregexp_to_regex(pattern),
                value,
                regex.VERSION1,
                timeout=_runtime_regex.REGEX_TIMEOUT,
            )
    except regex.error:
        return False
    return found is not None


class _BoundedMatch(_JSONPathMatch):
    def __call__(self, string: str, pattern: object) -> bool:
        return _iregexp_found(string, pattern, whole=True)


class _BoundedSearch(_JSONPathSearch):
    def __call__(self, string: str, pattern: object) -> bool:
        return _iregexp_found(string, pattern, whole=False)


class _JSONPathEnvironment(jsonpath_rfc9535.JSONPathEnvironment):
    """RFC 9535 as jsonpath-rfc9535 implements it, with ``match()`` and ``search()`` time-bounded."""

    def setup_function_extensions(self) -> None:
        super().setup_function_extensions()
        self.function_extensions["match"] = _BoundedMatch()
        self.function_extensions["search"] = _BoundedSearch()


_JSONPATH = _JSONPathEnvironment()


@functools.lru_cache(maxsize=256)
def _jsonpath_query(query: str) -> jsonpath_rfc9535.JSONPathQuery:
    return _JSONPATH.compile(query)


def jsonpath_matches(
    query: str, value: Any, workflow: str = "", step: str = "", *, arazzo: str = "1.0"
) -> bool:
    """Whether the JSONPath ``query`` (RFC 9535) selects at least one node of ``value`` (decoded JSON).

    A regex of ``match()`` or ``search()`` running past :data:`._runtime_regex.REGEX_TIMEOUT` fails the step with
    :class:`CriterionError` naming the query.  In an Arazzo 1.1 document (``arazzo="1.1"``, its Condition
    Evaluation) a null or missing ``value`` makes the criterion fail, and so does an evaluation error (logged as
    a warning naming the query), instead of failing the step.
    """
    if arazzo != "1.0" and value is None:
        return False
    try:
        return len(_jsonpath_query(query).find(to_jsonable(value))) > 0
    except TimeoutError:
        reason = f"a regex in it ran longer than {_runtime_regex.REGEX_TIMEOUT:g} s (REGEX_TIMEOUT)"
    except (jsonpath_rfc9535.JSONPathError, RecursionError) as error:
        if arazzo == "1.0":
            raise
        reason = type(error).__name__
    if arazzo != "1.0":
        return _runtime_regex.criterion_fails(workflow, step, query, reason)
    raise CriterionError(workflow, step, query, reason)
