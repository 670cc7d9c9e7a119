"""Stage 1: read documents into positioned data."""

from .loader import (
    Document,
    ReadError,
    YList,
    YMap,
    loc_of,
    node_loc,
    parse_text,
    read_document,
    to_plain,
    typed_field,
)

__all__ = [
    "Document",
    "ReadError",
    "YList",
    "YMap",
    "loc_of",
    "node_loc",
    "parse_text",
    "read_document",
    "to_plain",
    "typed_field",
]
