"""XPath criteria: ``xpath_matches``, evaluated with elementpath on XML parsed by defusedxml.

Part of the runtime arazzo-gen copies, unchanged, into a generated package whose workflows have an xpath
criterion (it needs ``elementpath`` and ``defusedxml``).  Copied by arazzo-gen from its
``arazzo_gen/runtime`` package; do not edit.
"""

from __future__ import annotations

from typing import Any

import elementpath
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as defused_etree
from elementpath.xpath30 import XPath30Parser
from elementpath.xpath31 import XPath31Parser

from ._runtime import CriterionError

_XPATH_PARSERS: dict[str, type[elementpath.XPath1Parser]] = {
    "1.0": elementpath.XPath1Parser,
    "2.0": elementpath.XPath2Parser,
    "3.0": XPath30Parser,
    "3.1": XPath31Parser,
}


def xpath_matches(
    query: str, document: Any, *, version: str = "3.1", workflow: str = "", step: str = ""
) -> bool:
    """Whether the XPath ``query`` holds on the XML ``document`` (bytes or text): its effective boolean
    value, as XPath's ``boolean()`` gives it; false when the document is not well-formed XML.  The XML is
    parsed with defusedxml: a DTD or an entity fails the step with :class:`CriterionError`."""
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
        raise CriterionError(
            workflow,
            step,
            query,
            f"the XML body was refused ({type(error).__name__}: no DTD nor entities)",
        ) from None
    try:
        result = elementpath.select(root, f"boolean(({query}))", parser=_XPATH_PARSERS[version])
    except (elementpath.ElementPathError, RecursionError) as error:
        # the code only: the message may quote the body, which may quote a credential
        code = getattr(error, "code", None) or type(error).__name__
        failure = CriterionError(
            workflow, step, query, f"XPath could not evaluate it on this body ({code})"
        )
    else:
        return result is True or result == [True]
    raise failure
