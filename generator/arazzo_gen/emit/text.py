"""Render spec text safely into Python source: string literals, docstrings and comments.

No string from a document ever becomes code: it becomes a string literal (escaped by :func:`repr` rules),
a docstring body with backslashes and triple quotes escaped, or a single-line comment.

No character that is not printable (:meth:`str.isprintable`: the C0/C1 controls, DEL, format characters such
as the bidi overrides U+202A-U+202E and U+2066-U+2069, the zero-width characters and the BOM, the line and
paragraph separators U+0085/U+2028/U+2029, surrogates, private-use and unassigned code points) ever reaches a
generated file raw: string literals carry an escape with the same value (:func:`py_str`, :func:`toml_str`,
:func:`escape_source`), docstrings, comments and Markdown carry the escape as visible text.
"""

from __future__ import annotations

import io
import json
import re
import textwrap
import tokenize
from collections.abc import Iterator
from typing import Any


def unsafe_char(ch: str) -> bool:
    """True for a character that must never appear raw in a generated file (``\\n`` is handled by callers)."""
    return not ch.isprintable()


# Everything that is not printable ASCII: the only characters worth a closer look (generated code is mostly
# ASCII, so scanning with this is much faster than testing every character).
_NOT_PLAIN_ASCII = re.compile(r"[^\x20-\x7e]")


def raw_unsafe_chars(text: str, allowed: str = "\n\t") -> Iterator[re.Match[str]]:
    """Every character of ``text`` that must not appear raw (:func:`unsafe_char`), except ``allowed``."""
    for match in _NOT_PLAIN_ASCII.finditer(text):
        ch = match.group()
        if ch not in allowed and unsafe_char(ch):
            yield match


def has_raw_unsafe(text: str) -> bool:
    return next(raw_unsafe_chars(text), None) is not None


def _escape_char(ch: str) -> str:
    code = ord(ch)
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def py_str(value: str) -> str:
    """A double-quoted Python string literal for ``value``, ASCII-escaping every character that is not
    printable (so the literal's value is ``value`` exactly and the source shows no control or bidi text)."""
    text = json.dumps(value, ensure_ascii=False)
    return "".join(_escape_char(ch) if unsafe_char(ch) else ch for ch in text)


def visible(text: str) -> str:
    """``text`` with every non-printable character (new lines included) shown as an escape, for messages."""
    return "".join(_escape_char(ch) if unsafe_char(ch) else ch for ch in text)


def toml_str(value: str) -> str:
    """A TOML basic string for ``value`` (only escapes TOML 1.0 knows; a lone surrogate becomes U+FFFD)."""
    return py_str("".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in value))


def md_text(text: str) -> str:
    """One line of Markdown text: white space runs collapsed, non-printable characters shown as escapes."""
    return " ".join(_printable(text).split())


def _printable(text: str) -> str:
    return "".join(
        ch if ch.isprintable() or ch in "\n" else ("    " if ch == "\t" else f"\\x{ord(ch):02x}" if ord(ch) < 256
                                                   else f"\\u{ord(ch):04x}" if ord(ch) < 0x10000
                                                   else f"\\U{ord(ch):08x}")
        for ch in text
    )  # fmt: skip


def doc_text(text: str) -> str:
    """``text`` made safe inside a triple-double-quoted docstring (no trailing white space)."""
    text = _printable(text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    lines = [line.rstrip() for line in text.strip().split("\n")]
    text = "\n".join(lines)
    if text.endswith('"'):
        text += " "
    return text


def docstring(*paragraphs: str, indent: int = 4, width: int = 100) -> str:
    """A complete docstring (with quotes) from non-empty paragraphs, wrapped to ``width``."""
    body: list[str] = []
    for paragraph in paragraphs:
        paragraph = doc_text(paragraph)
        if not paragraph:
            continue
        if body:
            body.append("")
        for line in paragraph.split("\n"):
            lead = line[: len(line) - len(line.lstrip())]
            wrapped = textwrap.wrap(
                line.strip(),
                width - indent,
                initial_indent=lead,
                subsequent_indent=lead + ("    " if lead or line.lstrip().startswith("- ") else ""),
                break_long_words=False,
                break_on_hyphens=False,
            )
            body.extend(wrapped or [""])
    if not body:
        return ""
    pad = " " * indent
    if len(body) == 1 and len(body[0]) + indent + 6 <= width:
        return f'"""{body[0]}"""'
    rest = "".join(f"\n{pad}{line}" if line else "\n" for line in body[1:])
    return f'"""{body[0]}{rest}\n{pad}"""'


def comment(text: str, limit: int = 200) -> str:
    """One line of comment text (no newlines; shortened past ``limit``)."""
    line = " ".join(_printable(text).split())
    return line if len(line) <= limit else line[: limit - 3].rstrip() + "..."


def first_sentence(text: str) -> str:
    line = " ".join(text.split())
    for end in (". ", "? ", "! "):
        if end in line:
            return line.split(end, 1)[0] + end.strip()
    return line


def escape_source(source: str) -> str:
    """``source`` with every non-printable character inside a string literal or comment escaped.

    String literals keep their value exactly: a literal holding such a character is re-written from its value
    (:func:`py_str`, or a triple-quoted literal for a multi-line one such as a docstring); in a comment the
    character is shown as an escape.  Source that is already clean is returned unchanged.  The guard behind
    datamodel-code-generator, which copies descriptions, enum values and defaults into models as it likes.
    """
    if not has_raw_unsafe(source):
        return source
    lines = source.split("\n")
    offsets = [0]
    for line in lines[:-1]:
        offsets.append(offsets[-1] + len(line) + 1)
    edits: list[tuple[int, int, str]] = []
    readline = io.StringIO(source).readline
    for token in tokenize.generate_tokens(readline):
        if token.type not in (tokenize.STRING, tokenize.COMMENT):
            continue
        if not has_raw_unsafe(token.string):
            continue
        start = offsets[token.start[0] - 1] + token.start[1]
        end = offsets[token.end[0] - 1] + token.end[1]
        if token.type == tokenize.COMMENT:
            replacement = "".join(
                _escape_char(ch) if _raw_unsafe(ch) else ch for ch in token.string
            )
        else:
            replacement = _literal(token.string)
        edits.append((start, end, replacement))
    for start, end, replacement in reversed(edits):
        source = source[:start] + replacement + source[end:]
    return source


def _raw_unsafe(ch: str) -> bool:
    return unsafe_char(ch) and ch not in "\n\t"


def _literal(token: str) -> str:
    """A literal with the value of the string literal ``token`` and no raw non-printable character.

    An ordinary literal is escaped in place (a backslash in front of such a character was an unknown escape,
    so it becomes an escaped backslash); a raw literal, whose value is the text between its quotes, is
    re-written from that value (:func:`py_str`, or a plain triple-quoted literal so docstrings keep their
    layout)."""
    prefix = token[: len(token) - len(token.lstrip("rRbBuUfF"))].lower()
    if "r" not in prefix:
        escape = (lambda ch: f"\\x{ord(ch):02x}") if "b" in prefix else _escape_char
        out, index = [], 0
        while index < len(token):
            ch = token[index]
            if ch == "\\" and index + 1 < len(token) and not _raw_unsafe(token[index + 1]):
                out.append(token[index : index + 2])
                index += 2
                continue
            out.append("\\\\" if ch == "\\" else escape(ch) if _raw_unsafe(ch) else ch)
            index += 1
        return "".join(out)
    if "b" in prefix or "f" in prefix:
        raise ValueError(f"cannot escape a raw bytes or f-string literal: {token!r}")
    quote = token[len(prefix) : len(prefix) + 3]
    quote = quote if quote in ('"""', "'''") else quote[0]
    value = token[len(prefix) + len(quote) : len(token) - len(quote)]
    if len(quote) == 1:
        return py_str(value)
    body = []
    for ch in value:
        if ch == "\\":
            body.append("\\\\")
        elif ch == '"':
            body.append('\\"')
        else:
            body.append(_escape_char(ch) if _raw_unsafe(ch) else ch)
    return '"""' + "".join(body) + '"""'


def py_literal(value: Any) -> str:
    """``value`` (JSON data) as a Python literal."""
    if isinstance(value, str):
        return py_str(value)
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(py_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py_str(str(k))}: {py_literal(v)}" for k, v in value.items()) + "}"
    return py_str(str(value))
