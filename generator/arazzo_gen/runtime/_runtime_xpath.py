"""XPath criteria: ``xpath_matches``, evaluated with elementpath on XML parsed by defusedxml.

Part of the runtime arazzo-gen copies, unchanged, into a generated package whose workflows have an xpath
criterion (it needs ``elementpath`` and ``defusedxml``).  Copied by arazzo-gen from its
``arazzo_gen/runtime`` package; do not edit.
"""

from __future__ import annotations

import logging
from typing import Any

import elementpath
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as defused_etree
from elementpath.xpath30 import XPath30Parser
from elementpath.xpath31 import XPath31Parser

from ._runtime import CriterionError

_log = logging.getLogger(__name__)

_XPATH_PARSERS: dict[str, type[elementpath.XPath1Parser]] = {
    "1.0": elementpath.XPath1Parser,
    "2.0": elementpath.XPath2Parser,
    "3.0": XPath30Parser,
    "3.1": XPath31Parser,
}


def xpath_matches(
    query: str,
    document: Any,
    *,
    version: str = "3.1",
    workflow: str = "",
    step: str = "",
    arazzo: str = "1.0",
) -> bool:
    """Whether the XPath ``query`` holds on the XML ``document`` (bytes or text): its effective boolean
    value, as XPath's ``boolean()`` gives it; false when the document is not well-formed XML.  The XML is
    parsed with defusedxml: a DTD or an entity fails the step with :class:`CriterionError`, and so does an
    XPath evaluation error; in an Arazzo 1.1 document (``arazzo="1.1"``, its Condition Evaluation) the
    criterion fails instead, logged as a warning."""

    def failed(reason: str) -> bool:
        if arazzo == "1.0":
            raise CriterionError(workflow, step, query, reason) from None
        # Arazzo 1.1: "the condition MUST evaluate to fail, and implementations SHOULD log or report the error"
        _log.warning(
            "workflow %r step %r: criterion %r could not be evaluated (%s); it fails",
            workflow,
            step,
            query,
            reason,
        )
        return False

    if isinstance(document, str):
        # a lone surrogate: not well-formed, below
        document = document.encode("utf-8", "surrogatepass")
    if not isinstance(document, bytes):
        return False
    try:
        root = defused_etree.fromstring(document, forbid_dtd=True)
    except (defused_etree.ParseError, LookupError):  # LookupError: an encoding Python does not know
        return False
    except DefusedXmlException as error:
        return failed(f"the XML body was refused ({type(error).__name__}: no DTD nor entities)")
    try:
        result = elementpath.select(root, f"boolean(({query}))", parser=_XPATH_PARSERS[version])
    except (elementpath.ElementPathError, RecursionError) as error:
        # the code only: the message may quote the body, which may quote a credential
        code = getattr(error, "code", None) or type(error).__name__
        return failed(f"XPath could not evaluate it on this body ({code})")
    return result is True or result == [True]
