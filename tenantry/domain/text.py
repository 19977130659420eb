"""The text rule: what any string tenantry stores may hold.

Every stored string passes through :func:`name` or :func:`free_text` before it reaches an event,
so that it can be stored (PostgreSQL refuses NUL in text), encoded (UTF-8 has no lone
surrogates), indexed and searched, shown, exported and replayed the same way on every backend:

- a lone surrogate (``"\\ud800"``, e.g. from an undecodable command-line byte) is refused;
- NUL and the other C0 and C1 control characters (U+0000-U+001F, U+007F-U+009F, tab and newline
  included) are refused: no field allows them today;
- the text is normalised to Unicode NFC, so that one name spelt with composed or decomposed
  accents is one value (one external id, one search hit);
- in a *name* (display names, external ids, metadata keys, role names, actors, e-mails, URLs)
  the bidirectional formatting characters are refused too: the embeddings and overrides
  U+202A-U+202E, the isolates U+2066-U+2069, the marks U+200E, U+200F and U+061C. They reorder
  what a reader sees (``"abc\\u202egnp.exe"`` shows as ``abcexe.png``) and a name has no need of
  them; free text (a metadata value, a reason) keeps them, for right-to-left prose.

The rule only runs when a value is given (in the public methods), never when a stored event is
applied, so that histories recorded before it still load.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from tenantry.domain.errors import InvalidField

BIDI_CONTROLS: Final = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
"""The characters of Unicode's Bidi_Control property."""

SURROGATE_RULE: Final = "must be valid Unicode (no lone surrogates)"
CONTROL_RULE: Final = "must not contain control characters (U+0000-U+001F, U+007F-U+009F)"
BIDI_RULE: Final = (
    "must not contain bidirectional formatting characters "
    "(U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069)"
)


_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_CONTROL: Final = re.compile("[\x00-\x1f\x7f-\x9f]")


def free_text(value: str, field: str) -> str:
    """``value`` in NFC, refusing lone surrogates and control characters (one regular
    expression search each: the rule runs on every stored string)."""
    if _SURROGATE.search(value):
        raise InvalidField(field, SURROGATE_RULE)
    if _CONTROL.search(value):
        raise InvalidField(field, CONTROL_RULE)
    return unicodedata.normalize("NFC", value)


def name(value: str, field: str) -> str:
    """``value`` in NFC, refusing what :func:`free_text` refuses and bidirectional controls."""
    value = free_text(value, field)
    if not BIDI_CONTROLS.isdisjoint(value):
        raise InvalidField(field, BIDI_RULE)
    return value
