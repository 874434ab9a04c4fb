"""The allow-list HTML sanitiser (nh3) that every rendered fragment goes through.

What may appear in a chapter's HTML (tags, attributes, classes, URL schemes), the attribute
filter that lets only our own nonce-prefixed ``id``/``data-secnum`` through, and the repeated
clean to a fixed point (see the package docstring for why).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import nh3

HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", *HEADING_TAGS,
        "strong", "em", "b", "i", "u", "s", "del", "ins", "sub", "sup", "code", "pre",
        "blockquote", "ul", "ol", "li", "a", "img",
        "table", "thead", "tbody", "tr", "th", "td",
        "dl", "dt", "dd",
        "section",  # only because the footnote block is a <section class="footnotes">
        "abbr", "mark", "span",
    }
)  # fmt: skip

# Removed together with their content: their text is code, styling or a widget, never prose.
_CLEAN_CONTENT_TAGS = frozenset(
    {
        "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet",
        "svg", "math", "template", "noscript", "noembed", "noframes", "textarea", "select",
        "xmp", "title",
    }
)  # fmt: skip

_CELL_ATTRIBUTES = {"colspan", "rowspan", "class"}
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": set(),  # nh3 would otherwise allow lang and title everywhere
    "a": {"href", "title", "class", "id"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start", "class"},
    "li": {"class", "id"},
    "th": _CELL_ATTRIBUTES,
    "td": _CELL_ATTRIBUTES,
    "code": {"class"},
    "sup": {"class"},
    "hr": {"class"},
    "section": {"class"},
    "abbr": {"title"},
    **{tag: {"id", "data-secnum"} for tag in HEADING_TAGS},
}
# `id` and `data-secnum` are listed above but only survive when we wrote them (nonce-prefixed).
_OURS_ONLY = frozenset({"id", "data-secnum"})

ALIGN_CLASSES = frozenset({"align-left", "align-center", "align-right"})
ALLOWED_CLASSES: dict[str, frozenset[str]] = {
    "th": ALIGN_CLASSES,
    "td": ALIGN_CLASSES,
    "sup": frozenset({"footnote-ref"}),
    "a": frozenset({"footnote-backref"}),
    "hr": frozenset({"footnotes-sep"}),
    "section": frozenset({"footnotes"}),
    "ol": frozenset({"footnotes-list"}),
    "li": frozenset({"footnote-item"}),
}
_CODE_LANGUAGE_CLASS = re.compile(r"language-[A-Za-z0-9_+#.-]{1,40}")
_VALUE_PATTERNS: dict[str, re.Pattern[str]] = {
    "start": re.compile(r"-?\d{1,9}"),
    "colspan": re.compile(r"\d{1,4}"),
    "rowspan": re.compile(r"\d{1,4}"),
    "width": re.compile(r"\d{1,5}"),
    "height": re.compile(r"\d{1,5}"),
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})  # plus relative URLs (/media/…, #fn-1)


def _keep_classes(tag: str, value: str) -> str | None:
    if tag == "code":
        kept = [name for name in value.split() if _CODE_LANGUAGE_CLASS.fullmatch(name)]
    else:
        allowed = ALLOWED_CLASSES.get(tag, frozenset())
        kept = [name for name in value.split() if name in allowed]
    return " ".join(kept) or None


def _attribute_filter(nonce: str | None) -> Callable[[str, str, str], str | None]:
    def keep(tag: str, attribute: str, value: str) -> str | None:
        if attribute in _OURS_ONLY:
            return value if nonce is not None and value.startswith(nonce) else None
        if attribute == "class":
            return _keep_classes(tag, value)
        pattern = _VALUE_PATTERNS.get(attribute)
        if pattern is not None and not pattern.fullmatch(value.strip()):
            return None
        return value

    return keep


def _cleaner(nonce: str | None) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(_CLEAN_CONTENT_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_attribute_filter(nonce),
        strip_comments=True,
        link_rel="noopener noreferrer",
        url_schemes=set(URL_SCHEMES),
    )


_PUBLIC_CLEANER = _cleaner(None)
_MAX_PASSES = 4


def _clean_to_fixed_point(html: str, cleaner: nh3.Cleaner) -> str:
    # Almost always two passes: the first cleans, the second confirms. Every pass is a full
    # sanitise, so stopping early (never seen) would cost offset exactness, not safety.
    for _ in range(_MAX_PASSES):
        cleaned = cleaner.clean(html)
        if cleaned == html:
            break
        html = cleaned
    return html


def sanitise(html: str) -> str:
    """Allow-list sanitise an HTML fragment. Every ``id``/``data-secnum`` is dropped."""
    return _clean_to_fixed_point(html, _PUBLIC_CLEANER)
