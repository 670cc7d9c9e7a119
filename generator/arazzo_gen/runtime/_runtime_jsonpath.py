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
from ._runtime import (
    ApiResponse,
    CriterionError,
    StepFailed,
    StepOutputError,
    _decode,
    _summary,
    read_output,
    to_jsonable,
)


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


# -- Arazzo 1.1 Selector Objects and replacement targets of type jsonpath ------------------------------------
def _selector_failed(workflow: str, step: str, query: str, reason: str) -> StepFailed:
    failure = StepFailed(workflow, step, f"the jsonpath selector {query}")
    failure.args = (
        f"workflow '{workflow}' step '{step}' failed: the jsonpath selector {query} {reason}",
    )
    return failure


def _nodes(query: str, value: Any, workflow: str, step: str) -> jsonpath_rfc9535.JSONPathNodeList:
    try:
        return _jsonpath_query(query).find(to_jsonable(value))
    except TimeoutError:
        reason = f"ran a regex longer than {_runtime_regex.REGEX_TIMEOUT:g} s (REGEX_TIMEOUT)"
    except (jsonpath_rfc9535.JSONPathError, RecursionError) as error:
        reason = f"could not be evaluated ({type(error).__name__})"
    raise _selector_failed(workflow, step, query, reason) from None


def jsonpath_value(query: str, value: Any, workflow: str = "", step: str = "") -> Any:
    """The value of the node the singular JSONPath ``query`` (RFC 9535: names and indexes only) selects in
    ``value`` (decoded JSON, or models), ``None`` when it selects none: an Arazzo 1.1 Selector Object of type
    jsonpath whose query is singular."""
    nodes = _nodes(query, value, workflow, step)
    return nodes[0].value if nodes else None


def jsonpath_values(query: str, value: Any, workflow: str = "", step: str = "") -> list[Any]:
    """The values of the nodes (its nodelist, in order) the JSONPath ``query`` selects in ``value``: an Arazzo
    1.1 Selector Object of type jsonpath whose query is not singular (a wildcard, a slice, a filter, ``..``).
    """
    return [node.value for node in _nodes(query, value, workflow, step)]


def jsonpath_output(
    response: ApiResponse[Any], tp: Any, workflow: str, step: str, query: str
) -> Any:
    """The value of the node the singular JSONPath ``query`` selects in the response body, read as ``tp`` as
    :func:`read_output` reads a JSON Pointer (the node's own location); :class:`StepOutputError` when it
    selects none."""
    nodes = _nodes(query, response.decoded, workflow, step)
    if not nodes:
        detached = response.detached()
        held = _summary(_decode(detached.http_response))
        error = StepOutputError(workflow, step, "", "is missing", detached, held)
        message = f"the jsonpath selector {query} selects nothing in the response body"
        error.args = (f"workflow '{workflow}' step '{step}': {message}; the body held {held}",)
        error.criterion = f"$response.body {query}"
        raise error
    return read_output(response, tp, workflow, step, _pointer(nodes[0]))


def jsonpath_outputs(
    response: ApiResponse[Any], tp: Any, workflow: str, step: str, query: str
) -> list[Any]:
    """The values of the nodes the JSONPath ``query`` selects in the response body, in order, each read as
    ``tp`` as :func:`read_output` reads a JSON Pointer (the node's own location): a query that is not singular
    whose nodes the models type."""
    nodes = _nodes(query, response.decoded, workflow, step)
    return [read_output(response, tp, workflow, step, _pointer(node)) for node in nodes]


def _pointer(node: jsonpath_rfc9535.JSONPathNode) -> str:
    """The JSON Pointer of ``node``'s location."""
    return "".join(
        "/" + str(token).replace("~", "~0").replace("/", "~1") for token in node.location
    )


def jsonpath_replaced(
    payload: Any, query: str, value: Any, workflow: str = "", step: str = ""
) -> Any:
    """``payload`` (as JSON data) with every node the JSONPath ``query`` selects set to ``value``: a Payload
    Replacement Object whose ``targetSelectorType`` is jsonpath.  A singular query (names and indexes) whose
    last name is missing from an existing object adds that member, as a JSON Pointer target does; a target
    that selects nothing else fails the step with ``StepFailed``."""
    document = to_jsonable(payload)
    new = to_jsonable(value)
    compiled = _jsonpath_query(query)
    nodes = _nodes(query, document, workflow, step)
    if not nodes and compiled.singular_query() and compiled.segments:
        *parents, last = compiled.segments
        parent_nodes = jsonpath_rfc9535.JSONPathQuery(env=_JSONPATH, segments=tuple(parents)).find(
            document
        )
        selector = last.selectors[0] if len(last.selectors) == 1 else None
        name = getattr(selector, "name", None)
        if parent_nodes and isinstance(parent_nodes[0].value, dict) and isinstance(name, str):
            parent_nodes[0].value[name] = new
            return document
    if not nodes:
        raise _selector_failed(
            workflow,
            step,
            query,
            "(a replacement target) selects nothing in the payload",
        )
    for node in nodes:
        if not node.location:
            document = new
            continue
        *path, key = node.location
        holder = document
        for token in path:
            holder = holder[token]
        holder[key] = new
    return document
