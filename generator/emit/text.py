"""Render spec text safely into Python source: string literals, docstrings and comments.

No string from a document ever becomes code: it becomes a string literal (escaped by :func:`repr` rules),
a docstring body with backslashes and triple quotes escaped, or a single-line comment.
"""

from __future__ import annotations

import json
import textwrap


def py_str(value: str) -> str:
    """A double-quoted Python string literal for ``value``."""
    return json.dumps(value, ensure_ascii=False).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _printable(text: str) -> str:
    return "".join(
        ch if ch.isprintable() or ch in "\n" else ("    " if ch == "\t" else f"\\x{ord(ch):02x}" if ord(ch) < 256
                                                   else f"\\u{ord(ch):04x}")
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
