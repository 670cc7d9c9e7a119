"""XPath criteria: ``xpath_matches``, evaluated with elementpath on XML parsed by defusedxml.

Part of the runtime arazzo-gen copies, unchanged, into a generated package whose workflows have an xpath
criterion (it needs ``elementpath`` and ``defusedxml``).  Copied by arazzo-gen from its
``arazzo_gen/runtime`` package; do not edit.
"""

from __future__ import annotations

import decimal
import logging
from typing import Any
from xml.etree import ElementTree

import elementpath
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as defused_etree
from elementpath.xpath30 import XPath30Parser
from elementpath.xpath31 import XPath31Parser

from ._runtime import CriterionError, StepFailed

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
    built: bool = False,
) -> bool:
    """Whether the XPath ``query`` holds on the XML ``document`` (bytes or text): its effective boolean
    value, as XPath's ``boolean()`` gives it; false when the document is not well-formed XML.  The XML is
    parsed with defusedxml: a DTD or an entity fails the step with :class:`CriterionError`, and so does an
    XPath evaluation error; in an Arazzo 1.1 document (``arazzo="1.1"``, its Condition Evaluation) the
    criterion fails instead, logged as a warning.

    ``built``: the query was built at run time from an Arazzo 1.1 condition with ``{$...}`` substituted; a
    query that then calls a function running a regular expression (which elementpath runs without a time
    bound) fails the criterion, logged, as an evaluation error does."""

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

    if built:
        function = regex_function(query, version)
        if function is not None:
            return failed(
                f"once its values were substituted it calls {function}(), whose regular expression would run "
                "without a time bound"
            )
    if isinstance(document, str):
        # a lone surrogate: not well-formed, below
        document = document.encode("utf-8", "surrogatepass")
    if not isinstance(document, bytes):
        return False
    try:
        root = defused_etree.fromstring(document, forbid_dtd=True)
    except (
        defused_etree.ParseError,
        LookupError,
    ):  # LookupError: an encoding Python does not know
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


# The XPath functions whose regular expression elementpath runs with Python's ``re``, which has no time bound,
# and ``function-lookup``, which could reach them by a name computed at run time (arazzo-gen refuses them in
# the literal text of a query; a query built at run time is checked here).
_REGEX_FUNCTIONS = frozenset({"matches", "replace", "tokenize", "analyze-string"})


def _function_name(token: Any) -> str | None:
    name = token[1] if token.symbol == ":" and len(token) > 1 else token
    return name.value if name.symbol == "(name)" and isinstance(name.value, str) else None


def regex_function(query: str, version: str = "3.1") -> str | None:
    """The first function ``query`` calls (or refers to) that would run a regular expression without a time
    bound; ``None`` when there is none, or when it does not parse (its evaluation reports that).
    """
    try:
        root = _XPATH_PARSERS[version]().parse(query)
    except (elementpath.ElementPathError, RecursionError, ValueError):
        return None
    for token in root.iter():
        if token.label == "function" and (
            token.symbol == "function-lookup"
            or (token.symbol in _REGEX_FUNCTIONS and (token.symbol != "tokenize" or len(token) > 1))
        ):
            return str(token.symbol)
        if token.symbol == "#" and len(token) > 0:
            name = _function_name(token[0])
            if name in _REGEX_FUNCTIONS:
                return name
    return None


# -- Arazzo 1.1 Selector Objects and replacement targets of type xpath --------------------------------------
def _selector_failed(workflow: str, step: str, query: str, reason: str) -> StepFailed:
    failure = StepFailed(workflow, step, f"the xpath selector {query}")
    failure.args = (
        f"workflow '{workflow}' step '{step}' failed: the xpath selector {query} {reason}",
    )
    return failure


def _parsed(document: Any, query: str, workflow: str, step: str, what: str) -> Any:
    """The root element of the XML ``document`` (bytes or text), parsed with defusedxml (no DTD)."""
    if isinstance(document, str):
        document = document.encode("utf-8", "surrogatepass")
    if not isinstance(document, bytes):
        raise _selector_failed(workflow, step, query, f"needs XML text, and {what} is not text")
    try:
        return defused_etree.fromstring(document, forbid_dtd=True)
    except (defused_etree.ParseError, LookupError):
        reason = f"needs XML text, and {what} is not well-formed XML"
    except DefusedXmlException as error:
        reason = f"refused {what} ({type(error).__name__}: no DTD nor entities)"
    raise _selector_failed(workflow, step, query, reason)


def _nodes(root: Any, query: str, version: str, workflow: str, step: str) -> list[Any]:
    try:
        token = _XPATH_PARSERS[version]().parse(query)
        return list(token.select(elementpath.XPathContext(root)))
    except (elementpath.ElementPathError, RecursionError) as error:
        code = getattr(error, "code", None) or type(error).__name__
        raise _selector_failed(workflow, step, query, f"could not be evaluated ({code})") from None


def _atomized(item: Any) -> Any:
    """An item of an XPath result as a value: a node's string value (XPath's atomization of an untyped
    node), a number as an ``int`` or ``float``, a boolean, a string; another atomic value as its text.
    """
    if isinstance(item, bool | int | str):
        return item
    if isinstance(item, float | decimal.Decimal):
        return float(item)
    if isinstance(item, elementpath.XPathNode):
        return item.string_value
    return str(item)


def xpath_value(
    query: str,
    document: Any,
    *,
    version: str = "3.1",
    workflow: str = "",
    step: str = "",
) -> Any:
    """What the XPath ``query`` selects in the XML ``document`` (bytes or text): an Arazzo 1.1 Selector Object
    of type xpath.  Its result is a sequence (XPath 2.0 and later; a node-set or an atomic value in 1.0): an
    empty one is ``None``, one item is that item (XPath does not tell an item from a sequence of one), more are
    a list; each item atomized (a node is its string value).  ``StepFailed`` when the document is not XML, has
    a DTD, or the query cannot be evaluated on it."""
    root = _parsed(document, query, workflow, step, "its context")
    items = [_atomized(item) for item in _nodes(root, query, version, workflow, step)]
    if not items:
        return None
    return items[0] if len(items) == 1 else items


def xpath_replaced(
    payload: Any,
    query: str,
    text: str,
    *,
    version: str = "3.1",
    workflow: str = "",
    step: str = "",
) -> str:
    """The XML ``payload`` (text) with every node the XPath ``query`` selects set to ``text``: a Payload
    Replacement Object whose target is XPath.  An element's content becomes ``text`` (its children removed), an
    attribute's value ``text``, a text node's element gets ``text`` as its whole content (the generated code
    gives the value's text as Arazzo 1.1 embeds a value in a string: ``embedded_text``).  A target that selects no
    node, or something else than these nodes, fails the step with ``StepFailed``."""
    root = _parsed(payload, query, workflow, step, "the payload")
    nodes = _nodes(root, query, version, workflow, step)
    if not nodes:
        raise _selector_failed(
            workflow,
            step,
            query,
            "(a replacement target) selects nothing in the payload",
        )
    for node in nodes:
        # the element the node is, or belongs to (an attribute's, a text node's)
        owner = node if isinstance(node, elementpath.ElementNode) else getattr(node, "parent", None)
        element: Any = getattr(owner, "elem", None)
        if isinstance(node, elementpath.AttributeNode) and element is not None:
            element.set(node.name, text)
        elif (
            isinstance(node, elementpath.TextNode | elementpath.ElementNode) and element is not None
        ):
            for child in list(element):
                element.remove(child)
            element.text = text
        else:
            what = "something else than elements, attributes or text"
            raise _selector_failed(
                workflow, step, query, f"(a replacement target) selects {what} in the payload"
            )
    return str(ElementTree.tostring(root, encoding="unicode"))
