"""Regex criteria: ``regex_matches``, time-bounded with the ``regex`` module.

Part of the runtime arazzo-gen copies, unchanged, into a generated package whose workflows have a regex or a
jsonpath criterion (it needs the ``regex`` distribution).  Copied by arazzo-gen from its
``arazzo_gen/runtime`` package; do not edit.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import regex

from ._runtime import CriterionError, to_jsonable

REGEX_TIMEOUT = 1.0
"""Seconds one regular expression of a criterion (a regex criterion, or ``match()``/``search()`` in a JSONPath
filter) may run on a value before the step fails with :class:`CriterionError` (patterns backtrack:
``^(a|a)*$`` over forty characters would run for hours).  To change it, assign it at run time:
``_runtime_regex.REGEX_TIMEOUT = 5.0`` (the package's ``_runtime_regex`` module; jsonpath criteria read it
there too)."""


def regex_matches(
    pattern: str, value: Any, workflow: str = "", step: str = "", *, arazzo: str = "1.0"
) -> bool:
    """Whether the regular expression ``pattern`` matches somewhere in ``value`` (a regex criterion): a string
    as it is; a number, boolean, object or list as its JSON text; a missing value (``None``) matches nothing.

    The search runs (with the ``regex`` module, which reads patterns as ``re`` does) for at most
    :data:`REGEX_TIMEOUT` seconds; past that, :class:`CriterionError` names the pattern (in an Arazzo 1.1
    document, ``arazzo="1.1"``, the criterion fails instead, logged as a warning: its Condition Evaluation).
    """
    if value is None:
        return False
    plain = to_jsonable(value)
    text = (
        plain
        if isinstance(plain, str)
        else json.dumps(plain, separators=(",", ":"), ensure_ascii=False)
    )
    try:
        return regex.search(pattern, text, timeout=REGEX_TIMEOUT, concurrent=True) is not None
    except TimeoutError:
        reason = f"the regex ran longer than {REGEX_TIMEOUT:g} s on a {len(text)}-character value (REGEX_TIMEOUT)"
    except regex.error as error:
        # a pattern built at run time (Arazzo 1.1 '{$...}'); a 1.0 pattern was checked at build time
        if arazzo == "1.0":
            raise
        reason = f"invalid regular expression: {error}"
    if arazzo != "1.0":
        return criterion_fails(workflow, step, pattern, reason)
    raise CriterionError(workflow, step, pattern, reason)


_log = logging.getLogger(__name__)


def criterion_fails(workflow: str, step: str, criterion: str, reason: str) -> bool:
    """``False``, the result of a criterion of an Arazzo 1.1 document that could not be evaluated ("the
    condition MUST evaluate to fail, and implementations SHOULD log or report the error"), logged as a warning
    naming the workflow, the step, the criterion and why (never the value it was evaluated on)."""
    _log.warning(
        "workflow %r step %r: criterion %r could not be evaluated (%s); it fails",
        workflow,
        step,
        criterion,
        reason,
    )
    return False
