"""Positions inside a scalar: where the ``n``-th character of a string value is written in its file.

The reader keeps the location of every node (its first character: the opening quote of a quoted scalar, the
``|`` of a block scalar).  A diagnostic about a part of a string (the bad name in ``$inputs.nmae``, an
expression on the fourth line of a ``payload: |`` block) needs the position of that part.  It is computed from
the file's text where it is exact:

- a plain scalar, on its first line (and a one-line flow collection, as the text written on its line);
- a single- or double-quoted scalar, on its first line (escapes are decoded, so an offset after ``\\"`` or
  ``''`` is still right);
- a literal block scalar (``|``, ``|-``, ``|+``) with an auto-detected indentation, on every line.

Anything else (a folded ``>`` block, a block with an explicit indentation indicator, the continuation lines of
a multi-line plain or quoted scalar, a tagged or anchored scalar, a file whose text was not kept) has no exact
position inside: callers keep the node's own location.
"""

from __future__ import annotations

from ..diagnostics import Loc, source_line

_ESCAPE_LENGTH = {"x": 2, "u": 4, "U": 8}
_ESCAPED = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "0": "\0",
    "b": "\b",
    "f": "\f",
    "/": "/",
    "\\": "\\",
    '"': '"',
}
_MAX_BLOCK_LINES = 100_000
_OPAQUE: set[Loc] = set()


def opaque(loc: Loc) -> Loc:
    """A location at the start of ``loc`` that has no positions inside: for a value that is only part of the
    scalar written there (a string inside a payload's JSON text, where it could not be found), so that an
    offset in that value is never counted from the scalar's start."""
    found = Loc(loc.file, loc.line, loc.col, 1)
    _OPAQUE.add(found)
    return found


def scalar_characters(loc: Loc) -> list[tuple[str, int, int]]:
    """The characters of the string value written at ``loc``, each with its line and column in the file, as far
    as they are exact (see the module documentation); empty when none is."""
    line = source_line(loc.file, loc.line)
    if line is None or not 0 < loc.col <= len(line) or loc in _OPAQUE:
        return []
    start = loc.col - 1
    first = line[start]
    if first == "|":
        return _literal_block(loc, line[start + 1 :])
    if first in "'\"":
        return _quoted(loc, line, start)
    if first in ">!&*" or (first in "{[" and loc.line == loc.col == 1):
        return []  # a folded block, a tag, an anchor or alias; or the whole file (JSON read without positions)
    end = start + loc.length if loc.length > 0 else len(line)
    text = line[start:end]
    if loc.length <= 0:  # a plain scalar that may go on: its first line, without a comment
        comment = text.find(" #")
        text = (text if comment == -1 else text[:comment]).rstrip()
    return [(char, loc.line, start + 1 + index) for index, char in enumerate(text)]


def _quoted(loc: Loc, line: str, start: int) -> list[tuple[str, int, int]]:
    quote = line[start]
    chars: list[tuple[str, int, int]] = []
    index = start + 1
    while index < len(line):
        char = line[index]
        col = index + 1
        if char == quote:
            if quote == "'" and line[index + 1 : index + 2] == "'":
                chars.append(("'", loc.line, col))
                index += 2
                continue
            return chars
        if char == "\\" and quote == '"':
            code = line[index + 1 : index + 2]
            if not code:
                return chars  # an escaped line break: the value goes on, folded
            if code in _ESCAPE_LENGTH:
                digits = line[index + 2 : index + 2 + _ESCAPE_LENGTH[code]]
                try:
                    chars.append((chr(int(digits, 16)), loc.line, col))
                except ValueError:
                    return chars
                index += 2 + _ESCAPE_LENGTH[code]
                continue
            chars.append((_ESCAPED.get(code, code), loc.line, col))
            index += 2
            continue
        chars.append((char, loc.line, col))
        index += 1
    # the scalar goes on to the next line (folded): its first line's trailing spaces are not part of the value
    while chars and chars[-1][0] in " \t" and chars[-1][2] > len(line.rstrip()):
        chars.pop()
    return chars


def _literal_block(loc: Loc, header: str) -> list[tuple[str, int, int]]:
    indicators = header.split("#", 1)[0].strip()
    if any(char not in "+-" for char in indicators):
        return []  # an explicit indentation indicator: relative to a parent indentation not known here
    lines: list[str] = []
    number = loc.line + 1
    indent = 0
    while len(lines) < _MAX_BLOCK_LINES:
        text = source_line(loc.file, number)
        if text is None:
            break
        if text.strip():
            leading = len(text) - len(text.lstrip(" "))
            if not indent:
                indent = leading
            if leading < indent or not indent:
                break
        lines.append(text)
        number += 1
    chars: list[tuple[str, int, int]] = []
    for offset, text in enumerate(lines):
        line_number = loc.line + 1 + offset
        content = text[indent:] if len(text) > indent else ""
        chars.extend((char, line_number, indent + 1 + index) for index, char in enumerate(content))
        chars.append(("\n", line_number, indent + 1 + len(content)))
    return chars


def inside(loc: Loc, offset: int, length: int = 1) -> Loc | None:
    """The location of the ``length`` characters from ``offset`` of the string value at ``loc``, or ``None``
    when that position is not known exactly."""
    chars = scalar_characters(loc)
    if (
        chars and offset == len(chars) and loc.length > 0
    ):  # just after a one-line scalar's last character
        return Loc(loc.file, chars[-1][1], chars[-1][2] + 1, 1)
    if not 0 <= offset < len(chars):
        return None
    _, line, col = chars[offset]
    last = chars[min(offset + max(length, 1), len(chars)) - 1]
    span = last[2] - col + 1 if last[1] == line else 1
    return Loc(loc.file, line, col, max(span, 1))


def find_inside(loc: Loc, text: str, *, start: int = 0) -> int | None:
    """The offset of ``text`` in the string value at ``loc`` (its first occurrence from ``start`` not followed
    by a name character, so ``$inputs.user`` is not found in ``$inputs.username``), when it is written there."""
    if not text:
        return None
    value = "".join(char for char, _, _ in scalar_characters(loc))
    found = value.find(text, start)
    while found != -1:
        after = value[found + len(text) : found + len(text) + 1]
        if not after or not (after.isalnum() or after in ("_", "-")):
            return found
        found = value.find(text, found + 1)
    return None


__all__ = ["find_inside", "inside", "opaque", "scalar_characters"]
