"""SASLprep (RFC 4013): the stringprep profile for SASL user names and passwords.

Mapping (B.1 removed, non-ASCII spaces C.1.2 to SPACE), NFKC, the prohibited tables of RFC 4013
section 2.3, the bidirectional rule of RFC 3454 section 6, and unassigned code points (A.1)
refused for stored strings only (`allow_unassigned=False`).
"""

from __future__ import annotations

import stringprep
import unicodedata

_PROHIBITED = (
    stringprep.in_table_c12,
    stringprep.in_table_c21_c22,
    stringprep.in_table_c3,
    stringprep.in_table_c4,
    stringprep.in_table_c5,
    stringprep.in_table_c6,
    stringprep.in_table_c7,
    stringprep.in_table_c8,
    stringprep.in_table_c9,
)


class SaslPrepError(ValueError):
    """The string is not allowed by SASLprep."""


def saslprep(text: str, *, allow_unassigned: bool = True) -> str:
    if text.isascii() and all(0x20 <= ord(c) < 0x7F for c in text):
        return text  # printable ASCII maps to itself: the common case stays cheap
    mapped = "".join(
        " " if stringprep.in_table_c12(c) else c for c in text if not stringprep.in_table_b1(c)
    )
    normalized = unicodedata.normalize("NFKC", mapped)
    for c in normalized:
        if any(table(c) for table in _PROHIBITED):
            raise SaslPrepError(f"prohibited character U+{ord(c):04X}")
        if not allow_unassigned and stringprep.in_table_a1(c):
            raise SaslPrepError(f"unassigned code point U+{ord(c):04X}")
    _check_bidi(normalized)
    return normalized


def _check_bidi(text: str) -> None:
    if not any(stringprep.in_table_d1(c) for c in text):
        return
    if any(stringprep.in_table_d2(c) for c in text):
        raise SaslPrepError("mixes right-to-left and left-to-right characters")
    if not (stringprep.in_table_d1(text[0]) and stringprep.in_table_d1(text[-1])):
        raise SaslPrepError("right-to-left text must start and end with a right-to-left character")
