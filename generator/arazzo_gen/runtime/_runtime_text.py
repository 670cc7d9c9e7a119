"""Values embedded in strings by an Arazzo 1.1 document: ``embedded_text``.

Part of the runtime arazzo-gen copies, unchanged, into a generated package whose Arazzo 1.1 workflows embed a
value that may not be a string in a string (``"https://{$inputs.host}/items/{$steps.a.outputs.ids}"``); it
needs nothing but the core runtime.  Copied by arazzo-gen from its ``arazzo_gen/runtime`` package; do not edit.
"""

from __future__ import annotations

import enum
import json
from typing import Any

from ._runtime import to_jsonable


def embedded_text(value: Any) -> str:
    """``value`` as Arazzo 1.1 embeds a runtime expression in a string (Runtime Expressions): a string as it is;
    a number, boolean or null as its string representation (``5``, ``true``, ``null``); an object or array (a
    model, a mapping, a list) serialised as JSON (RFC 8259)."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, str):
        return value
    return json.dumps(to_jsonable(value), separators=(",", ":"), ensure_ascii=False, default=str)
