"""Text as search compares it: one form for every way the region writes a word (pure: no Django).

`fold` lower-cases, writes Serbian and Macedonian Cyrillic in Latin letters and drops
diacritics, so "Ђорђе", "Đorđe", "DJORDJE" and "djordje" are one word, as are "čuvar", "чувар"
and "cuvar", and "çështje" and "ceshtje". Both the index and the query are folded, so a
query in either script finds text in either. Every character folds on its own (to none, one or
a few characters), which lets `spans` map a match in folded text back to the original words.

Word forms: there is no stemming (neither Slavic inflection nor Albanian has a dependable
stemmer in PostgreSQL or SQLite); every query word matches as a prefix, so "granic" finds
"granica", "granice" and "granicom", and "arm" finds "armë" and "armët".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

# Serbian and Macedonian Cyrillic as their Latin alphabets write it (Macedonian ѓ ќ ѕ as gj kj dz),
# with the other Cyrillic letters a text might contain; then, without diacritics, Latin đ is dj
# as Cyrillic ђ is, and č ć ž š are c c z s, as ч ћ ж ш are.
CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ђ": "dj", "е": "e", "ж": "z",
    "з": "z", "и": "i", "ј": "j", "к": "k", "л": "l", "љ": "lj", "м": "m", "н": "n",
    "њ": "nj", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "ћ": "c", "у": "u",
    "ф": "f", "х": "h", "ц": "c", "ч": "c", "џ": "dz", "ш": "s",
    "ѓ": "gj", "ќ": "kj", "ѕ": "dz",
    "й": "j", "ы": "y", "э": "e", "ю": "ju", "я": "ja", "ё": "e", "щ": "sc", "ъ": "", "ь": "",
    "і": "i", "ї": "ji", "є": "je", "ґ": "g", "ў": "u",
}  # fmt: skip
LATIN = {
    "đ": "dj", "ǵ": "gj", "ḱ": "kj", "ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l",
    "ı": "i", "ð": "d", "þ": "th",
    # Typographic apostrophes and dashes fold to their plain forms, which split words alike.
    "\u2019": "'", "\u2018": "'", "\u00ad": "",
}  # fmt: skip

# The ranges folded through the table (str.translate: fast on a chapter of 10,000 words);
# characters beyond them (CJK and the like) have no case or diacritics to fold.
_RANGES = ((0x00, 0x250), (0x370, 0x530), (0x1E00, 0x1F00), (0x2010, 0x2020))


@cache
def fold_char(char: str) -> str:
    """One character folded: lower case, Latin letters, no diacritics (maybe several chars)."""
    lower = char.lower()
    if len(lower) != 1:  # "İ" lowers to i + a combining dot
        lower = unicodedata.normalize("NFD", lower)[0]
    if lower in CYRILLIC:
        return CYRILLIC[lower]
    if lower in LATIN:
        return LATIN[lower]
    decomposed = unicodedata.normalize("NFD", lower)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _table() -> dict[int, str]:
    table: dict[int, str] = {}
    for low, high in _RANGES:
        for code in range(low, high):
            char = chr(code)
            folded = fold_char(char)
            if folded != char:
                table[code] = folded
    return table


TABLE = _table()


def fold(text: str) -> str:
    """The text as search compares it (see the module's docstring)."""
    return text.translate(TABLE)


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """`fold(text)` and, for each of its characters, the index in `text` it came from."""
    parts: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        folded = TABLE.get(ord(char), char)
        parts.append(folded)
        offsets.extend([index] * len(folded))
    return "".join(parts), offsets


# A word: letters and digits (any script). Everything else separates words, and is all that
# the query syntax of either engine could be made of, so no user input reaches them but words.
WORD = re.compile(r"[^\W_]+")
MAX_TERMS = 12
MAX_TERM_CHARS = 60


def terms(query: str) -> list[str]:
    """The distinct folded words of a query, in order (at most MAX_TERMS, each cut short)."""
    found: list[str] = []
    for match in WORD.finditer(fold(query)):
        word = match[0][:MAX_TERM_CHARS]
        if word not in found:
            found.append(word)
    return found[:MAX_TERMS]


# --- Snippets ---------------------------------------------------------------------------------

# What Markdown marks up, dropped from the text shown (and indexed): heading and list markers,
# emphasis, table pipes, link targets, images and footnote references.
_MARKUP = [
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[\^[^\]]*\]:?"), ""),
    (re.compile(r"^\s{0,3}(#{1,6}|>|[-*+]|\d+[.)])\s+", re.MULTILINE), ""),
    (re.compile(r"^\s*\|?\s*:?-{3,}.*$", re.MULTILINE), ""),
    (re.compile(r"[*_`|]+"), " "),
    (re.compile(r"<[^>\n]{1,200}>"), " "),
    (re.compile(r"[ \t]{2,}"), " "),
]


def readable(markdown: str) -> str:
    """Markdown as words to search and show (not the page's exact text: a cheap approximation)."""
    text = markdown
    for pattern, replacement in _MARKUP:
        text = pattern.sub(replacement, text)
    return text


@dataclass(frozen=True)
class Snippet:
    """A passage around the first match: (text, is it a matched word) parts, for <mark>s."""

    parts: tuple[tuple[str, bool], ...]
    # The first matched word as written, and the two words before it: to find it on the page.
    word: str = ""
    before: str = ""

    @property
    def text(self) -> str:
        return "".join(part for part, _ in self.parts)


def _pattern(words: list[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    # A word that starts with a query word (prefix matching, as the engines do).
    return re.compile(rf"(?<![^\W_])(?:{alternatives})[^\W_]*")


def _matches(text: str, pattern: re.Pattern[str]) -> Iterator[tuple[int, int]]:
    folded, offsets = fold_with_offsets(text)
    for match in pattern.finditer(folded):
        start = offsets[match.start()]
        end = offsets[match.end() - 1] + 1
        yield start, end


def snippet(text: str, words: list[str], *, width: int = 240) -> Snippet:
    """The passage of `text` (about `width` characters) around the first line with a match,
    its matched words marked; the text's start if no word matches (a title match)."""
    if not text:
        return Snippet(parts=())
    pattern = _pattern(words) if words else None
    for line in text.splitlines(keepends=True):
        if pattern is not None and pattern.search(fold(line)):
            return _around(line, list(_matches(line, pattern)), width=width)
    head = text[:width]
    cut = head.rfind(" ") if len(text) > width else -1
    return Snippet(parts=((head[:cut] + " …" if cut > 0 else head, False),))


def _around(line: str, spans: list[tuple[int, int]], *, width: int) -> Snippet:
    first_start, first_end = spans[0]
    start = max(0, first_start - width // 3)
    if start > 0:
        space = line.find(" ", start, first_start)
        start = space + 1 if space != -1 else start
    end = min(len(line), start + width)
    if end < len(line):
        space = line.rfind(" ", max(first_end, start), end)
        end = space if space != -1 else end
    parts: list[tuple[str, bool]] = [("… ", False)] if start > 0 else []
    cursor = start
    for span_start, span_end in spans:
        if span_start < cursor or span_end > end:
            continue
        if span_start > cursor:
            parts.append((line[cursor:span_start], False))
        parts.append((line[span_start:span_end], True))
        cursor = span_end
    if cursor < end:
        parts.append((line[cursor:end].rstrip("\n"), False))
    if end < len(line.rstrip("\n")):
        parts.append((" …", False))
    before_words = WORD.findall(line[max(0, first_start - 60) : first_start])[-2:]
    return Snippet(
        parts=tuple(parts),
        word=line[first_start:first_end],
        before=" ".join(before_words),
    )
