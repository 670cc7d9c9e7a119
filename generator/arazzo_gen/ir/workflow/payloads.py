"""Request bodies: payloads (JSON and form text, XML mappings), replacements, undeclared bodies."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from ...diagnostics import Diagnostics, Loc, source_line
from ...read import YMap
from ...read.positions import find_inside, inside, opaque
from .. import expressions as ex
from ..criteria import DEFAULT_XPATH, XPATH_VERSIONS_1_1
from ..model import Body, Operation, SelectorTarget, Value
from ..versions import V1_1, selector_kind
from .context import LoweringContext, Part
from .values import ValueLowering


class PayloadLowering(Part):
    """The request body of a step."""

    def __init__(self, ctx: LoweringContext, values: ValueLowering) -> None:
        super().__init__(ctx)
        self.values = values

    def undocumented_body(
        self, operation: Operation, content_type: str | None, step_id: str, loc: Loc
    ) -> None:
        """A step sends a request body that its operation does not declare: the description is incomplete (a
        warning), and the operation gets an optional body of any value, sent as the step gives it."""
        media = content_type or (
            operation.body.content_type if operation.body else "application/json"
        )
        self.diagnostics.warning(
            "unexpected-request-body",
            f"step '{step_id}' sends a requestBody but {operation.operation_id} declares none; it is sent "
            f"as written ({media}), unchecked",
            loc,
        )
        if operation.body is None:
            operation.body = Body(
                content_type=media,
                schema={} if _is_json_media(media.split(";")[0].strip().lower()) else None,
                required=False,
                description="Not declared by the API description; a workflow step sends one.",
                content_types=[media],
                undocumented=True,
            )
        elif media not in operation.body.content_types:
            operation.body.content_types.append(media)

    def request_body(
        self, raw: YMap, operation: Operation | None
    ) -> tuple[
        Value | None, str | None, bool, list[tuple[tuple[str, ...] | SelectorTarget, Value]]
    ]:
        """The payload (literal tree with parsed expressions), its content type, whether there is one, and the
        replacements left for run time (when the payload is a single runtime expression)."""
        body = raw.get("requestBody")
        if not isinstance(body, YMap):
            return None, None, False, []
        content_type = body.get("contentType") if isinstance(body.get("contentType"), str) else None
        media = (
            content_type or (operation.body.content_type if operation and operation.body else "")
        ).lower()
        media = media.split(";")[0].strip()
        if content_type and operation is not None and operation.body is not None:
            accepted = [m.split(";")[0].strip().lower() for m in operation.body.content_types]
            if accepted and media not in accepted:
                self.diagnostics.warning(
                    "undeclared-content-type",
                    f"{operation.operation_id} does not declare the request content type '{content_type}' "
                    f"(it accepts {', '.join(operation.body.content_types)}); it is sent as written",
                    body.at("contentType"),
                )
        payload_loc = body.at("payload")
        raw_payload = body.get("payload")
        if isinstance(raw_payload, str) and _is_json_media(media):
            payload = self._json_text_payload(raw_payload, payload_loc)
        elif isinstance(raw_payload, str) and media == "application/x-www-form-urlencoded":
            payload = self._form_text_payload(raw_payload, payload_loc)
        else:
            payload = self.values.value(raw_payload, payload_loc) if "payload" in body else None
        late: list[tuple[tuple[str, ...] | SelectorTarget, Value]] = []
        xml = media.endswith(("/xml", "+xml"))
        replacements = self.ctx.list_of(body, "replacements")
        for index, replacement in enumerate(replacements):
            loc = replacements.at(index)
            if (
                not isinstance(replacement, YMap)
                or "target" not in replacement
                or "value" not in replacement
            ):
                self.diagnostics.error(
                    "invalid-replacement", "a replacement needs 'target' and 'value'", loc
                )
                continue
            target, target_loc = str(replacement["target"]), replacement.at("target")
            if self.ctx.version == V1_1:
                # 1.1: "If targetSelectorType is omitted, then: target MUST be interpreted as JSON Pointer if the
                # payload is application/json [...] as XPath Expression if the payload is application/xml or
                # another XML-based media type"
                kind, version = (
                    selector_kind(replacement["targetSelectorType"])
                    if "targetSelectorType" in replacement
                    else ("xpath" if xml else "jsonpointer", None)
                )
                if kind is None or (
                    version == "draft-goessner-dispatch-jsonpath-00" and "?" in target
                ):
                    continue  # reported by ir/versions.py
                if kind in ("jsonpath", "xpath"):
                    selector = self._selector_target(target, kind, version, xml, target_loc)
                    if selector is not None:
                        value = self.values.value(replacement.get("value"), replacement.at("value"))
                        late.append((selector, value))
                    continue
            value = self.values.value(replacement.get("value"), replacement.at("value"))
            if (not isinstance(payload, dict | list) or late) and target.startswith("/"):
                if xml and late:
                    self.diagnostics.error(
                        "invalid-replacement",
                        "a JSON Pointer target after an XPath target of an XML payload: the XPath target "
                        "applies to the XML text, the JSON Pointer to the payload's mapping; put it first",
                        target_loc,
                    )
                    continue
                late.append(
                    (ex.pointer_tokens(target), value)
                )  # the payload exists only at run time
                continue
            payload = _replace(payload, target, value, self.diagnostics, target_loc)
        if isinstance(payload, dict) and media.lower().endswith(("/xml", "+xml")):
            payload = self._xml_payload(payload, media, operation, payload_loc)
        return payload, content_type, "payload" in body, late

    def _selector_target(
        self, target: str, kind: str, version: str | None, xml: bool, loc: Loc
    ) -> SelectorTarget | None:
        """A jsonpath target (of a JSON payload) or an xpath target (of an XML payload), its query checked
        (``invalid-selector``); applied when the request is built (``jsonpath_replaced``, ``xpath_replaced``)."""
        if (kind == "xpath") != xml:
            article = "an" if kind == "xpath" else "a"
            self.diagnostics.error(
                "invalid-replacement",
                f"{article} {kind} target applies to {'an XML' if kind == 'xpath' else 'a JSON'} payload, "
                f"and this payload is {'XML' if xml else 'not XML'}",
                loc,
            )
            return None
        xpath = XPATH_VERSIONS_1_1.get(version or "", DEFAULT_XPATH) if kind == "xpath" else ""
        if not self.values.query_checked(kind, target, xpath, loc, "target", "payload"):
            return None
        return SelectorTarget(kind, target, xpath)

    def _xml_payload(
        self, payload: dict[str, Any], media: str, operation: Operation | None, loc: Loc
    ) -> Value:
        """An XML payload written as a mapping: ``{root: content}``, serialised when the request is made
        (``to_xml``). The root element is the body schema's ``xml.name`` (else its component name, with
        ``xml.namespace`` as ``xmlns``) and the mapping its content; without a schema name the mapping's one
        member is the root."""
        known = (
            operation.body.xml_roots.get(media.lower())
            if operation is not None and operation.body
            else None
        )
        if known is not None:
            root, namespace = known
            content = payload[root] if list(payload) == [root] else payload
            if namespace and isinstance(content, dict) and "@xmlns" not in content:
                content = {"@xmlns": namespace, **content}
            return {root: content}
        if len(payload) != 1:
            self.diagnostics.error(
                "invalid-payload",
                f"an XML payload written as a mapping needs exactly one member, the root element, when the "
                f"request body schema names none (it has {len(payload)}: {', '.join(payload) or 'none'})",
                loc,
            )
            return None
        return payload

    def _json_text_payload(self, text: str, loc: Loc) -> Value:
        """A string payload for a JSON media type is the JSON text of the body (the specification's "JSON
        Templated Example"): it is parsed here; ``{$...}`` inside JSON strings stay templates, and a bare
        ``{$...}`` where a JSON value goes is that value, typed.  Text that is not JSON is a located error."""
        marked, found = _mark_bare_expressions(text)
        try:
            document = json.loads(marked)
        except json.JSONDecodeError as error:
            if not text.lstrip().startswith(("{", "[")):
                return self.values.value(text, loc)  # a JSON string value (``payload: hello``)
            self.diagnostics.error(
                "invalid-payload",
                f"the payload is a string for a JSON content type but is not JSON text ({error.msg} on line "
                f"{error.lineno} of the payload)",
                _json_error_loc(text, marked, error, loc),
            )
            return None
        cursor = 0

        def located(written: str) -> Loc:
            """Where ``written`` (a JSON string or a bare ``{$...}``) is in the payload, searching on from the
            previous one; a location with no positions inside when it is not found."""
            nonlocal cursor
            at = find_inside(loc, written, start=cursor)
            where = inside(loc, at, len(written)) if at is not None else None
            line = source_line(where.file, where.line) if where is not None else None
            if at is None or where is None or line is None or line[where.col - 1] != written[0]:
                return opaque(
                    loc
                )  # written with escapes, or the payload's own positions are not exact
            cursor = at + len(written)
            return where

        def convert(node: Any) -> Value:
            if isinstance(node, dict):
                converted: dict[str, Value] = {}
                for key, value in node.items():
                    located(json.dumps(key, ensure_ascii=False))
                    converted[key] = convert(value)
                return converted
            if isinstance(node, list):
                return [convert(value) for value in node]
            if isinstance(node, str):
                if node in found:
                    return self.values.expression(found[node], located(found[node]))
                return self.values.expression(node, located(json.dumps(node, ensure_ascii=False)))
            return node

        return convert(document)

    def _form_text_payload(self, text: str, loc: Loc) -> Value:
        """``a={$inputs.x}&b=literal`` for a form content type: the fields, each value a template, so that
        the client encodes the values (a value holding ``&`` or ``=`` stays one value)."""
        fields: dict[str, Value] = {}
        start = 0
        for pair in text.split("&"):
            name, _, value = pair.partition("=")
            at = start + len(name) + 1  # where the value is written in the payload
            start += len(pair) + 1
            if not pair:
                continue
            where = inside(loc, at, len(value)) if unquote_plus(value) == value and value else None
            line = source_line(where.file, where.line) if where is not None else None
            written = (
                line[where.col - 1 : where.col - 1 + len(value)]
                if where is not None and line
                else None
            )
            if where is None or written != value or value[0] in "'\"|>!&*":
                where = opaque(
                    loc
                )  # written with escapes, or the payload's own positions are not exact
            fields[unquote_plus(name)] = self.values.expression(unquote_plus(value), where)
        return fields


def _is_json_media(media: str) -> bool:
    return media == "application/json" or media.endswith("+json") or media == "*/*" or media == ""


def _json_error_loc(text: str, marked: str, error: json.JSONDecodeError, loc: Loc) -> Loc:
    """Where a payload's JSON error is in the file: its line and column when that line of ``text`` is not
    changed by marking its bare ``{$...}`` (else the line's first character), inside the scalar at ``loc``."""
    lines, marked_lines = text.split("\n"), marked.split("\n")
    if len(lines) != len(marked_lines) or not 0 < error.lineno <= len(lines):
        return loc
    line = lines[error.lineno - 1]
    col = (
        error.colno
        if line == marked_lines[error.lineno - 1]
        else len(line) - len(line.lstrip()) + 1
    )
    offset = sum(len(before) + 1 for before in lines[: error.lineno - 1]) + col - 1
    return inside(loc, offset) or loc


def _mark_bare_expressions(text: str) -> tuple[str, dict[str, str]]:
    """Replace each ``{$...}`` that stands where a JSON value goes (outside JSON strings) with a unique JSON
    string, so the text parses; returns the text and marker -> ``{$...}``."""
    out: list[str] = []
    found: dict[str, str] = {}
    pos, in_string = 0, False
    while pos < len(text):
        char = text[pos]
        if in_string:
            out.append(char)
            if char == "\\":
                out.append(text[pos + 1 : pos + 2])
                pos += 2
                continue
            if char == '"':
                in_string = False
            pos += 1
            continue
        if char == '"':
            in_string = True
        elif char == "{" and text[pos + 1 : pos + 2] == "$":
            end = text.find("}", pos)
            if end != -1:
                marker = f"\u0000arazzo-expression-{len(found)}\u0000"
                found[marker] = text[pos : end + 1]
                out.append(json.dumps(marker))
                pos = end + 1
                continue
        out.append(char)
        pos += 1
    return "".join(out), found


def _replace(
    payload: Value, target: str, value: Value, diagnostics: Diagnostics, loc: Loc
) -> Value:
    """Apply a ``replacements`` entry (JSON Pointer target) to a literal payload tree."""
    if not target.startswith("/"):
        diagnostics.error("invalid-replacement", "a replacement target must be a JSON Pointer", loc)
        return payload
    tokens = list(ex.pointer_tokens(target))
    node = payload
    for token in tokens[:-1]:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            diagnostics.error(
                "invalid-replacement", f"replacement target '{target}' is not in the payload", loc
            )
            return payload
    last = tokens[-1] if tokens else ""
    if isinstance(node, dict):
        node[last] = value
    elif isinstance(node, list) and last.isdigit() and int(last) < len(node):
        node[int(last)] = value
    else:
        diagnostics.error(
            "invalid-replacement", f"replacement target '{target}' is not in the payload", loc
        )
    return payload
