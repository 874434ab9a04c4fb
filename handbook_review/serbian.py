"""Serbian from Latin to Cyrillic script, deterministically: the Cyrillic interface catalogue is
made from the Latin one by this function, so the two never drift (`manage.py catalogs update`;
tests/test_languages.py checks that they are in step).

Pure: strings in, strings out. What is not Serbian text is kept as it is: placeholders
(`%(name)s`, `%s`, `{name}`), HTML tags and entities, URLs and e-mail addresses, acronyms
(`PDF`, `FRONTEX`) and the product names in `KEEP`.
"""

from __future__ import annotations

import re

SINGLE = dict(
    zip(
        "abcčćdđefghijklmnoprsštuvzž",
        "абцчћдђефгхијклмнопрсштувзж",
        strict=True,
    )
)
SINGLE.update({latin.upper(): cyrillic.upper() for latin, cyrillic in list(SINGLE.items())})
DIGRAPHS = {
    "lj": "љ", "Lj": "Љ", "LJ": "Љ",
    "nj": "њ", "Nj": "Њ", "NJ": "Њ",
    "dž": "џ", "Dž": "Џ", "DŽ": "Џ",
}  # fmt: skip
# Words in which two letters that look like a digraph are two sounds (a prefix ends in d or n).
NOT_DIGRAPHS = ("nadž", "podž", "odž", "injek", "konjug", "konjunk", "tanjug")
# Names kept in Latin letters wherever they appear.
KEEP = ("Handbook Review", "Word", "Markdown", "LibreOffice", "Excel", "Google", "Wagtail")

KEPT = re.compile(
    r"%\([^)]*\)[sdfr]|%[sdfr%]"  # printf placeholders
    r"|\{[^{}\s]*\}"  # format placeholders
    r"|<[^>]*>"  # HTML tags
    r"|&[#a-zA-Z0-9]+;"  # entities
    r"|https?://\S+|[\w.+-]+@[\w-]+\.[\w.-]+"  # links and addresses
    r"|\b[A-ZČĆĐŠŽ]{2,}[0-9]*\b"  # acronyms
    r"|" + "|".join(re.escape(name) for name in KEEP)
)


def _word(text: str) -> str:
    out: list[str] = []
    i = 0
    lowered = text.lower()
    while i < len(text):
        pair = text[i : i + 2]
        if pair in DIGRAPHS and not any(
            i + 2 >= len(exception) and lowered.startswith(exception, i + 2 - len(exception))
            for exception in NOT_DIGRAPHS
        ):
            out.append(DIGRAPHS[pair])
            i += 2
            continue
        out.append(SINGLE.get(text[i], text[i]))
        i += 1
    return "".join(out)


def to_cyrillic(text: str) -> str:
    """Serbian Latin text in Cyrillic script, keeping what is not Serbian text."""
    out: list[str] = []
    last = 0
    for kept in KEPT.finditer(text):
        out.append(_word(text[last : kept.start()]))
        out.append(kept.group())
        last = kept.end()
    out.append(_word(text[last:]))
    return "".join(out)
