"""Heading ids and section numbers: slugs (ASCII-folding Latin only), unique ids, and the
N.1.1 numbering of a chapter's headings in document order."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

_LATIN_WITHOUT_DECOMPOSITION = {
    "đ": "dj",
    "ß": "ss",
    "æ": "ae",
    "œ": "oe",
    "ø": "o",
    "ł": "l",
    "ı": "i",
    "þ": "th",
    "ð": "d",
    "ħ": "h",
}
_MAX_SLUG_LENGTH = 80


def _fold(char: str) -> str:
    """ASCII-fold Latin letters (ë -> e, č -> c, đ -> dj); keep every other script as it is."""
    if char.isascii():
        return char
    if char in _LATIN_WITHOUT_DECOMPOSITION:
        return _LATIN_WITHOUT_DECOMPOSITION[char]
    decomposed = unicodedata.normalize("NFKD", char)
    # Only fold when the base is ASCII: Cyrillic й and Macedonian ќ must not become и and к.
    if decomposed[0].isascii():
        return "".join(c for c in decomposed if not unicodedata.combining(c))
    return char


def slugify(text: str) -> str:
    """Lowercase slug of letters and digits joined by '-', e.g. 'Гранична полиција'."""
    folded = "".join(_fold(c) for c in unicodedata.normalize("NFC", text).lower())
    kept = "".join(c if unicodedata.category(c)[0] in "LNM" else "-" for c in folded)
    slug = re.sub(r"-{2,}", "-", kept).strip("-")
    return slug[:_MAX_SLUG_LENGTH].rstrip("-")


def _unique(candidate: str, used: set[str]) -> str:
    unique, suffix = candidate, 1
    while unique in used:
        suffix += 1
        unique = f"{candidate}-{suffix}"
    used.add(unique)
    return unique


def _heading_attributes(
    headings: Sequence[tuple[str, str]], reserved: set[str], *, number: int | None, nonce: str
) -> list[tuple[str, str | None]]:
    # (id, data-secnum or None) of each (tag, text) heading, in document order.
    used = set(reserved)  # heading ids must never take a footnote's id
    counters = [0, 0, 0]  # h2, h3, h4
    attributes: list[tuple[str, str | None]] = []
    for position, (tag, text) in enumerate(headings, start=1):
        slug = slugify(text) or f"section-{position}"
        secnum = None
        depth = int(tag[1]) - 2
        if number is not None and depth < len(counters):
            counters[depth] += 1
            counters[depth + 1 :] = [0] * (len(counters) - depth - 1)
            secnum = nonce + ".".join(str(n) for n in (number, *counters[: depth + 1]))
        attributes.append((nonce + _unique(slug, used), secnum))
    return attributes
