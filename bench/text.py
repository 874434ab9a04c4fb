"""Timings of the pure text engines on a 20,000-word chapter, no database: mapping a selection to
the Markdown, re-anchoring 300 threads, diffing, rendering and reading text off the HTML.

They were once thresholds in the unit suite, which failed on a loaded runner without a bug; the
unit tests keep asserting what these produce, the bench how fast. The texts come from those tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

Figures = dict[str, Any]


def best_ms(runs: int, call: Callable[[], object]) -> float:
    """The fastest of `runs` calls in milliseconds, the one least disturbed by the machine."""
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1)


def measure_text() -> Figures:
    from chapters.diffing import diff_html, opcodes
    from chapters.rendering import plain_text, render_markdown
    from comments.anchoring import reanchor
    from comments.sourcemap import _chart, source_range
    from tests.chapters.test_diffing import (
        a_few_edits_in_a_20000_word_chapter,
        entirely_different_20000_word_chapters,
    )
    from tests.chapters.test_rendering import handbook_chapter
    from tests.comments.test_anchoring import twenty_thousand_words_and_300_threads
    from tests.comments.test_sourcemap import twenty_thousand_words

    figures: Figures = {}
    source, first, again = twenty_thousand_words()
    _chart.cache_clear()
    # The first selection charts the chapter (one parse and render); the next reuses the chart.
    figures["text_sourcemap_first_ms"] = best_ms(1, lambda: source_range(source, exact=first))
    figures["text_sourcemap_again_ms"] = best_ms(1, lambda: source_range(source, exact=again))

    old, new, anchors = twenty_thousand_words_and_300_threads()
    figures["text_reanchor_300_ms"] = best_ms(3, lambda: reanchor(old, new, anchors))

    old, new = a_few_edits_in_a_20000_word_chapter()
    figures["text_diff_few_edits_ms"] = best_ms(3, lambda: opcodes(old, new))
    old, new = entirely_different_20000_word_chapters()
    figures["text_diff_html_different_ms"] = best_ms(1, lambda: diff_html(old, new))

    markdown = handbook_chapter()
    html = render_markdown(markdown, number=3)
    figures["text_render_20k_ms"] = best_ms(3, lambda: render_markdown(markdown, number=3))
    figures["text_plain_text_20k_ms"] = best_ms(3, lambda: plain_text(html))
    return figures
