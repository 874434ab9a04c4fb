// The chapter page: what only the browser can do.
// 1. Turn a text selection in the chapter into a selector (exact, prefix, suffix, start, end)
//    in the new-thread form. The server checks it; nothing here decides anything.
// 2. Place highlights for the anchored threads and link them with their threads, both ways.
// Offsets are positions in #chapter-body's textContent, the string the server anchors on.
"use strict";

(() => {
  const CONTEXT = 32;
  const body = document.getElementById("chapter-body");
  if (!body) return;
  const form = document.getElementById("new-thread");
  const status = document.getElementById("selection-status");

  // --- Offsets in textContent

  function textNodes(root) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const nodes = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) nodes.push(node);
    return nodes;
  }

  // The number of characters of root.textContent before the boundary point (node, offset).
  // A boundary in an element (e.g. after a triple click) sits between children, never inside
  // a text node, so every text node lies wholly before or after it.
  function offsetOf(root, node, offset) {
    let total = 0;
    if (node.nodeType === Node.TEXT_NODE) {
      for (const text of textNodes(root)) {
        if (text === node) return total + offset;
        total += text.data.length;
      }
      return total;
    }
    const point = document.createRange();
    point.setStart(node, offset);
    for (const text of textNodes(root)) {
      if (point.comparePoint(text, 0) >= 0) break;
      total += text.data.length;
    }
    return total;
  }

  // The server counts code points (Python's str); the DOM counts UTF-16 units. They differ only
  // after characters outside the Basic Multilingual Plane (emoji, some symbols).
  const astral = /[\uD800-\uDBFF]/;

  function unitsToPoints(text, units) {
    return astral.test(text) ? Array.from(text.slice(0, units)).length : units;
  }

  function pointsToUnits(text, points) {
    if (!astral.test(text)) return points;
    let units = 0;
    let count = 0;
    for (const character of text) {
      if (count === points) break;
      units += character.length;
      count += 1;
    }
    return units;
  }

  // --- Selection to form

  const field = (name) => form && form.elements.namedItem(name);
  // The comment form and the suggestion form both take the selection.
  const forms = [form, document.getElementById("new-suggestion")].filter(Boolean);
  const replacement = document.getElementById("sg_replacement");

  function setSelector(values) {
    for (const each of forms) {
      for (const [name, value] of Object.entries(values)) {
        const input = each.elements.namedItem(name);
        if (input) input.value = value;
      }
    }
    // Start the proposed wording from the selected words, unless the user has typed some.
    if (replacement && values.exact !== undefined && replacement.dataset.typed !== "1") {
      replacement.value = values.exact;
    }
  }

  function captureSelection() {
    if (!form) return;
    const selection = document.getSelection();
    if (!selection || selection.isCollapsed || selection.rangeCount === 0) return;
    const range = selection.getRangeAt(0);
    if (!body.contains(range.commonAncestorContainer)) return;
    const text = body.textContent;
    let start = offsetOf(body, range.startContainer, range.startOffset);
    let end = offsetOf(body, range.endContainer, range.endOffset);
    // Double clicks and drags often take a neighbouring space or line break along.
    while (start < end && /\s/.test(text[start])) start += 1;
    while (end > start && /\s/.test(text[end - 1])) end -= 1;
    if (start >= end) return;
    const exact = text.slice(start, end);
    const startPoint = String(unitsToPoints(text, start));
    if (field("exact") && field("exact").value === exact && field("start").value === startPoint) {
      return;
    }
    setSelector({
      exact,
      prefix: text.slice(Math.max(0, start - CONTEXT), start),
      suffix: text.slice(end, end + CONTEXT),
      start: String(unitsToPoints(text, start)),
      end: String(unitsToPoints(text, end)),
    });
    if (status) {
      const shown = exact.length > 120 ? `${exact.slice(0, 119)}…` : exact;
      status.textContent = `Commenting on: “${shown}”`;
    }
  }

  if (form) {
    document.addEventListener("selectionchange", captureSelection);
    body.addEventListener("mouseup", captureSelection);
    body.addEventListener("keyup", captureSelection);
    // A quote typed by hand has no position: the server then searches for it.
    for (const each of forms) {
      const exactInput = each.elements.namedItem("exact");
      if (!exactInput) continue;
      exactInput.addEventListener("input", () => {
        for (const other of forms) {
          if (other !== each) other.elements.namedItem("exact").value = exactInput.value;
        }
        setSelector({ prefix: "", suffix: "", start: "", end: "" });
      });
    }
    if (replacement) {
      replacement.addEventListener("input", () => {
        replacement.dataset.typed = "1";
      });
    }
  }

  // --- Highlights

  function removeHighlights() {
    for (const mark of body.querySelectorAll("mark.hl")) {
      mark.replaceWith(...mark.childNodes);
    }
    body.normalize();
  }

  // Wrap [start, end) of body.textContent in marks, one per text node it touches.
  function wrap(start, end, thread, open) {
    let position = 0;
    const pieces = [];
    for (const text of textNodes(body)) {
      const from = position;
      position += text.data.length;
      if (position <= start) continue;
      if (from >= end) break;
      pieces.push([text, Math.max(start, from) - from, Math.min(end, position) - from]);
    }
    for (const [node, a, b] of pieces) {
      // Line breaks between blocks carry no words; a mark there would be a stray focus stop.
      if (!node.data.slice(a, b).trim()) continue;
      let target = node;
      if (a > 0) target = target.splitText(a);
      if (b - a < target.data.length) target.splitText(b - a);
      const mark = document.createElement("mark");
      mark.className = open ? "hl" : "hl resolved";
      mark.dataset.thread = String(thread);
      mark.tabIndex = 0;
      target.replaceWith(mark);
      mark.append(target);
    }
  }

  function applyHighlights() {
    removeHighlights();
    const threads = document.getElementById("threads");
    if (!threads || !threads.dataset.anchors) return;
    let anchors;
    try {
      anchors = JSON.parse(threads.dataset.anchors);
    } catch {
      return;
    }
    const text = body.textContent;
    for (const anchor of anchors) {
      if (!Number.isInteger(anchor.start) || !Number.isInteger(anchor.end)) continue;
      const start = pointsToUnits(text, anchor.start);
      const end = pointsToUnits(text, anchor.end);
      if (start < 0 || end > text.length || start >= end) continue;
      wrap(start, end, anchor.id, anchor.open);
    }
    for (const mark of body.querySelectorAll("mark.hl")) {
      const article = document.getElementById(`thread-${mark.dataset.thread}`);
      const quote = article && article.querySelector("blockquote");
      if (quote) mark.setAttribute("aria-describedby", quote.id);
    }
  }

  // --- Linking highlights and threads

  function clearActive() {
    for (const element of document.querySelectorAll("mark.hl.active, .thread.active")) {
      element.classList.remove("active");
    }
  }

  function showThread(id) {
    const article = document.getElementById(`thread-${id}`);
    if (!article) return;
    clearActive();
    article.classList.add("active");
    article.scrollIntoView({ block: "nearest" });
    article.focus();
  }

  function showHighlight(id) {
    const marks = body.querySelectorAll(`mark.hl[data-thread="${CSS.escape(id)}"]`);
    if (marks.length === 0) return false;
    clearActive();
    for (const mark of marks) mark.classList.add("active");
    marks[0].scrollIntoView({ block: "center" });
    marks[0].focus({ preventScroll: true });
    return true;
  }

  body.addEventListener("click", (event) => {
    const mark = event.target.closest("mark.hl");
    // A click that ends a selection is for commenting, not for jumping away.
    if (!mark || !document.getSelection().isCollapsed) return;
    showThread(mark.dataset.thread);
  });

  body.addEventListener("keydown", (event) => {
    const mark = event.target.closest && event.target.closest("mark.hl");
    if (!mark || (event.key !== "Enter" && event.key !== " ")) return;
    event.preventDefault();
    showThread(mark.dataset.thread);
  });

  // Delegated: the threads section is replaced when the filters change.
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a.quote-link[data-thread]");
    if (!link) return;
    if (showHighlight(link.dataset.thread)) event.preventDefault();
  });

  // htmx replaces #threads when the filters change (its data-anchors come along), and a
  // thread card when it is opened: redraw, or move the focus to the opened thread.
  document.addEventListener("htmx:load", (event) => {
    const element = event.target;
    if (!element) return;
    if (element.id === "threads") applyHighlights();
    else if (element.classList && element.classList.contains("expanded")) element.focus();
  });

  applyHighlights();
})();
