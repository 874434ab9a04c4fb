// The chapter page: what only the browser can do.
// 1. Turn a text selection in the chapter into a selector (exact, prefix, suffix, start, end)
//    in the new-thread form. The server checks it; nothing here decides anything.
//    A collapsed selection (the cursor) fills the suggestion form with an insertion point.
// 2. Place highlights for the anchored threads and link them with their threads, both ways.
// 3. Draw open suggestions as tracked changes (<del>/<ins>) from data the server computed.
// 4. Act at the selection: a toolbar beside the selected words, and the comment or suggestion
//    form moved next to them (the same form, so nothing typed is lost); choosing words by
//    keyboard (Shift+arrows in the focused text) and shortcuts (Alt+Shift+C, Alt+Shift+S).
// 5. Cards beside their words on wide screens (each moved down to the height of its words,
//    never above the one before: the document order stays); on narrow ones, the side column is
//    a drawer opened by a button or by choosing a highlight.
// Offsets are positions in #chapter-body's text as the server renders it, the string it anchors
// on: the textContent without the words a tracked change adds (marked data-tc-extra).
"use strict";

(() => {
  // The interface strings come from Django's JavaScript catalogue (/jsi18n/, loaded before this
  // file); without it, the English source strings are shown.
  const gettext = window.gettext || ((text) => text);
  const fill = (format, values) => values.reduce((out, value) => out.replace("%s", value), format);
  const CONTEXT = 32;
  const body = document.getElementById("chapter-body");
  // The chapter as proposed is another text: no anchors, no selections there.
  if (!body || body.dataset.view === "proposed") return;
  const form = document.getElementById("new-thread");
  const status = document.getElementById("selection-status");
  let revealForms = () => {}; // set below, once the side column is known

  // --- Offsets in textContent

  const EXTRA = "[data-tc-extra]";

  function textNodes(root) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
      acceptNode: (node) =>
        node.parentElement && node.parentElement.closest(EXTRA)
          ? NodeFilter.FILTER_REJECT
          : NodeFilter.FILTER_ACCEPT,
    });
    const nodes = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) nodes.push(node);
    return nodes;
  }

  // The number of characters of root.textContent before the boundary point (node, offset).
  // A boundary in an element (e.g. after a triple click) sits between children, never inside
  // a text node, so every text node lies wholly before or after it.
  function baseText() {
    return textNodes(body)
      .map((node) => node.data)
      .join("");
  }

  function offsetOf(root, node, offset) {
    let total = 0;
    // A point inside added words stands where those words were put.
    const element = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
    const extra = element && element.closest(EXTRA);
    if (extra) {
      node = extra.parentNode;
      offset = Array.prototype.indexOf.call(node.childNodes, extra);
    }
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

  const suggestionForm = document.getElementById("new-suggestion");

  function setSelector(values, targets = forms) {
    // A new selection: the replacement is again for the selected words, not a whole block.
    values = { scope: "", ...values };
    for (const each of targets) {
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

  // The cursor placed in the text: a point where the suggestion form proposes an insertion.
  // Only that form: a comment needs words.
  function capturePoint(range) {
    if (!suggestionForm) return;
    const text = baseText();
    const at = offsetOf(body, range.startContainer, range.startOffset);
    const point = String(unitsToPoints(text, at));
    const start = suggestionForm.elements.namedItem("start");
    const exact = suggestionForm.elements.namedItem("exact");
    if (exact && exact.value === "" && start && start.value === point) return;
    setSelector(
      {
        exact: "",
        prefix: text.slice(Math.max(0, at - CONTEXT), at),
        suffix: text.slice(at, at + CONTEXT),
        start: point,
        end: point,
      },
      [suggestionForm],
    );
    if (replacement && replacement.dataset.typed !== "1") replacement.value = "";
    if (status) {
      const before = text.slice(Math.max(0, at - 40), at);
      status.textContent = fill(gettext("Suggesting an insertion after: “…%s”"), [before]);
    }
  }

  function captureSelection() {
    if (!form && !suggestionForm) return;
    const selection = document.getSelection();
    if (!selection || selection.rangeCount === 0) return;
    const range = selection.getRangeAt(0);
    if (!body.contains(range.commonAncestorContainer)) return;
    if (selection.isCollapsed) {
      hideToolbar();
      // A click in the text while a form is open beside the words keeps the words chosen.
      if (!floating) capturePoint(range);
      return;
    }
    const text = baseText();
    let start = offsetOf(body, range.startContainer, range.startOffset);
    let end = offsetOf(body, range.endContainer, range.endOffset);
    // Double clicks and drags often take a neighbouring space or line break along.
    while (start < end && /\s/.test(text[start])) start += 1;
    while (end > start && /\s/.test(text[end - 1])) end -= 1;
    if (start >= end) return;
    showToolbar(range);
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
    revealForms();
    if (status) {
      const shown = exact.length > 120 ? `${exact.slice(0, 119)}…` : exact;
      status.textContent = fill(gettext("Commenting on: “%s”"), [shown]);
    }
  }

  if (form || suggestionForm) {
    document.addEventListener("selectionchange", captureSelection);
    body.addEventListener("mouseup", captureSelection);
    body.addEventListener("keyup", captureSelection);
    // A quote typed by hand has no position: the server then searches for it.
    for (const each of forms) {
      const exactInput = each.elements.namedItem("exact");
      if (!exactInput) continue;
      exactInput.addEventListener("input", () => {
        for (const other of forms) {
          const input = other !== each && other.elements.namedItem("exact");
          if (input) input.value = exactInput.value;
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


  // --- Acting at the selection

  const toolbar = document.getElementById("selection-toolbar");
  const layout = body.closest(".chapter-layout") || document.body;
  let floating = null; // the form's section while it is open beside the words
  let selectedRect = null; // where the chosen words are, in the viewport, when last seen

  function rangeRect(range) {
    const rects = range.getClientRects();
    return rects.length ? rects[rects.length - 1] : range.getBoundingClientRect();
  }

  // Positions are kept relative to .chapter-layout (position: relative), so that what is placed
  // stays beside the words when the page scrolls.
  function place(element, rect, { below = true, gap = 6 } = {}) {
    const origin = layout.getBoundingClientRect();
    const width = element.offsetWidth;
    const height = element.offsetHeight;
    const roomBelow = window.innerHeight - rect.bottom;
    const top =
      below && (roomBelow >= height + gap || rect.top < height + gap)
        ? rect.bottom + gap
        : rect.top - height - gap;
    const left = Math.min(Math.max(rect.left, origin.left + 4), origin.right - width - 4);
    // Whole pixels of the page, or the bottom of a form at the end of the page is a fraction
    // of a pixel out of reach of the scroll.
    element.style.top = `${Math.round(top + window.scrollY) - window.scrollY - origin.top}px`;
    element.style.left = `${Math.round(Math.max(0, left - origin.left))}px`;
  }

  function showToolbar(range) {
    selectedRect = range.getBoundingClientRect();
    if (!toolbar) return;
    toolbar.hidden = false;
    place(toolbar, rangeRect(range));
  }

  function hideToolbar() {
    if (toolbar && !toolbar.contains(document.activeElement)) toolbar.hidden = true;
  }

  const homes = new Map(); // a moved section's place in the side column

  function closeCompose({ focusText = false } = {}) {
    if (!floating) return;
    const section = floating;
    floating = null;
    const home = homes.get(section);
    if (home) home.parentNode.insertBefore(section, home);
    section.classList.remove("floating");
    section.style.top = "";
    section.style.left = "";
    for (const button of section.querySelectorAll("[data-close-compose]")) button.hidden = true;
    if (focusText) body.focus({ preventScroll: true });
  }

  function compose(formId) {
    const target = document.getElementById(formId);
    if (!target) return;
    const section = target.closest("section");
    if (floating && floating !== section) closeCompose();
    // The latest selection, if the toolbar was used straight after it.
    captureSelection();
    if (!homes.has(section)) {
      const home = document.createComment("form's place in the side column");
      section.parentNode.insertBefore(home, section);
      homes.set(section, home);
    }
    floating = section;
    section.classList.add("floating");
    for (const button of section.querySelectorAll("[data-close-compose]")) button.hidden = false;
    layout.appendChild(section);
    if (toolbar) toolbar.hidden = true;
    const rect = selectedRect || body.getBoundingClientRect();
    place(section, rect, { gap: 8 });
    // Into view whole, with a margin (it is never taller than the viewport less 4rem).
    const box = section.getBoundingClientRect();
    if (box.bottom > window.innerHeight - 8) window.scrollBy(0, Math.ceil(box.bottom - window.innerHeight) + 16);
    else if (box.top < 8) window.scrollBy(0, Math.floor(box.top) - 16);
    const first =
      target.elements.namedItem(formId === "new-suggestion" ? "replacement" : "body") ||
      target.querySelector("textarea");
    if (first) first.focus({ preventScroll: true });
  }

  if (toolbar) {
    // Pressing a button must not take the selection away from the words.
    toolbar.addEventListener("mousedown", (event) => event.preventDefault());
    toolbar.addEventListener("click", (event) => {
      const button = event.target.closest("[data-compose]");
      if (button) compose(button.dataset.compose);
    });
  }

  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-close-compose]")) closeCompose({ focusText: true });
  });

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && floating && floating.contains(event.target)) {
      closeCompose({ focusText: true });
      return;
    }
    if (!event.altKey || !event.shiftKey || event.ctrlKey || event.metaKey) return;
    const formId = { KeyC: "new-thread", KeyS: "new-suggestion" }[event.code];
    if (!formId || !document.getElementById(formId)) return;
    event.preventDefault();
    compose(formId);
  });

  // Choosing words without a mouse: in the focused text, Shift with the arrow keys extends a
  // selection (Ctrl as well: by whole words), starting at the first words in view; the arrow
  // keys alone move it while one is there. Selection.modify moves through the text as a caret
  // would in an editor.
  function firstWordsInView() {
    for (const node of textNodes(body)) {
      if (!node.data.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const rect = range.getBoundingClientRect();
      if (rect.bottom > 0 && rect.height > 0) {
        const at = node.data.search(/\S/);
        range.setStart(node, at);
        range.collapse(true);
        return range;
      }
    }
    return null;
  }

  body.addEventListener("keydown", (event) => {
    const directions = { ArrowRight: "forward", ArrowLeft: "backward", ArrowDown: "forward", ArrowUp: "backward" };
    const direction = directions[event.key];
    if (!direction || event.altKey || event.metaKey) return;
    const selection = document.getSelection();
    const inText = selection.rangeCount > 0 && body.contains(selection.anchorNode);
    // Without Shift the page scrolls as usual, unless words are being chosen.
    if (!event.shiftKey && (!inText || event.key === "ArrowDown" || event.key === "ArrowUp")) return;
    event.preventDefault();
    if (!inText) {
      const start = firstWordsInView();
      if (!start) return;
      selection.removeAllRanges();
      selection.addRange(start);
    }
    const unit = event.key === "ArrowDown" || event.key === "ArrowUp" ? "line" : event.ctrlKey ? "word" : "character";
    selection.modify(event.shiftKey ? "extend" : "move", direction, unit);
    captureSelection();
  });

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
    const text = baseText();
    for (const anchor of anchors) {
      if (!Number.isInteger(anchor.start) || !Number.isInteger(anchor.end)) continue;
      // An open suggestion drawn as a tracked change links to its card already.
      if (trackedThreads.has(String(anchor.id))) continue;
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

  // --- Tracked changes: open suggestions as struck and inserted words

  const trackedThreads = new Set();

  function label(text) {
    const span = document.createElement("span");
    span.className = "visually-hidden";
    span.dataset.tcExtra = "";
    span.textContent = text;
    return span;
  }

  // Whose change: the proposer's jurisdiction, as a colour and a line pattern (CSS, per code)
  // and, on the first piece of each change, its code in the text; screen readers hear its name.
  function changeElement(tag, change, first) {
    const element = document.createElement(tag);
    element.className = change.state === "conflicted" ? "tc conflicted" : "tc";
    const code = String(change.jurisdiction || "").toLowerCase();
    if (/^[a-z]{2,3}$/.test(code)) element.classList.add(`j-${code}`);
    element.dataset.thread = String(change.id);
    // One focus stop per suggestion; its other pieces are reached with it.
    if (first) element.tabIndex = 0;
    const prefix = change.state === "conflicted" ? body.dataset.labelConflicted || "" : "";
    const name = tag === "ins" ? body.dataset.labelInsertion : body.dataset.labelDeletion;
    // "Suggested insertion: " becomes "Suggested insertion (Albania): ".
    const said = change.jurisdiction_name
      ? (name || "").replace(/:\s*$/, "") + ` (${change.jurisdiction_name}): `
      : name || "";
    element.append(label(prefix + said));
    return element;
  }

  function tagFor(change) {
    const tag = document.createElement("span");
    tag.className = "tc-tag";
    tag.dataset.tcExtra = "";
    tag.setAttribute("aria-hidden", "true");
    tag.textContent = change.jurisdiction || "?";
    return tag;
  }

  // The text node holding the offset `at` of the base text, and the offset inside it; at a
  // boundary between two nodes, the end of the first (the words before the point).
  function pointAt(at) {
    let position = 0;
    let last = null;
    for (const text of textNodes(body)) {
      if (at <= position + text.data.length) return [text, at - position];
      position += text.data.length;
      last = text;
    }
    return last ? [last, last.data.length] : null;
  }

  function insertAt(at, element) {
    const found = pointAt(at);
    if (!found) return;
    const [node, offset] = found;
    if (offset > 0 && offset < node.data.length) {
      node.splitText(offset).before(element);
      return;
    }
    // At the edge of struck words, next to them rather than inside their <del>.
    let reference = node;
    const inside = (child) => {
      const parent = child.parentElement;
      if (!parent || !parent.matches("del.tc")) return false;
      const words = Array.from(parent.childNodes).filter((n) => !(n.dataset && "tcExtra" in n.dataset));
      return offset === 0 ? words[0] === child : words[words.length - 1] === child;
    };
    while (inside(reference)) reference = reference.parentElement;
    if (offset === 0) reference.before(element);
    else reference.after(element);
  }

  // Wrap [start, end) of the base text in <del>s, one per text node it touches.
  function strike(start, end, change, first) {
    let position = 0;
    const pieces = [];
    for (const text of textNodes(body)) {
      const from = position;
      position += text.data.length;
      if (position <= start) continue;
      if (from >= end) break;
      pieces.push([text, Math.max(start, from) - from, Math.min(end, position) - from]);
    }
    let made = 0;
    for (const [node, a, b] of pieces) {
      if (!node.data.slice(a, b).trim()) continue;
      let target = node;
      if (a > 0) target = target.splitText(a);
      if (b - a < target.data.length) target.splitText(b - a);
      const element = changeElement("del", change, first && made === 0);
      target.replaceWith(element);
      element.append(target);
      made += 1;
    }
    return made;
  }

  // Overlapping suggestions are never drawn into each other: of each group of changes whose
  // words overlap (or that insert at the same point), one is drawn, with a button that shows
  // the next in its place.
  const chosen = new Map(); // a group's first change id -> the id of the one drawn
  const groups = new Map(); // a group's first change id -> its changes, as last drawn
  let pristine = null; // the text's HTML before any change was drawn, to draw again from

  function overlapGroups(changes) {
    const sorted = [...changes].sort((a, b) => a.start - b.start || a.end - b.end);
    const groups = [];
    let end = -1;
    for (const change of sorted) {
      const last = groups[groups.length - 1];
      if (last && (change.start < end || (change.start === end && change.start === last[0].start))) {
        last.push(change);
        end = Math.max(end, change.end);
      } else {
        groups.push([change]);
        end = change.end;
      }
    }
    return groups;
  }

  function switchFor(group, shown) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "tc-switch";
    button.dataset.tcExtra = "";
    button.dataset.group = String(group[0].id);
    const at = group.indexOf(shown) + 1;
    button.textContent = `${at}/${group.length} ▸`;
    button.setAttribute(
      "aria-label",
      fill(gettext("Suggestion %s of %s overlapping here: show the next"), [at, group.length]),
    );
    return button;
  }

  function drawTracked() {
    let all;
    try {
      all = JSON.parse(body.dataset.tracked || "[]");
    } catch {
      return;
    }
    if (!Array.isArray(all) || all.length === 0) return;
    if (pristine === null) pristine = body.innerHTML;
    const text = baseText();
    const switches = [];
    const changes = [];
    groups.clear();
    for (const group of overlapGroups(all.filter((c) => Number.isInteger(c.start) && Number.isInteger(c.end)))) {
      groups.set(group[0].id, group);
      const id = chosen.get(group[0].id);
      const shown = group.find((c) => c.id === id) || group[0];
      changes.push(shown);
      if (group.length > 1) switches.push([shown, group]);
    }
    // From the end, so that drawing one change leaves the offsets of the others as they are.
    changes.sort((a, b) => b.start - a.start || b.end - a.end);
    for (const change of changes) {
      if (!Number.isInteger(change.start) || !Number.isInteger(change.end)) continue;
      const start = pointsToUnits(text, change.start);
      const end = pointsToUnits(text, change.end);
      if (start < 0 || end > text.length || start > end) continue;
      let at = start;
      let first = true;
      const insertions = [];
      for (const [tag, words] of change.parts) {
        if (tag === "+") {
          insertions.push([at, words]);
          continue;
        }
        if (tag === "-" && strike(at, at + words.length, change, first)) {
          first = false;
        }
        at += words.length;
      }
      // Insertions last and from the end: the offsets before them do not move.
      for (const [point, words] of insertions.reverse()) {
        const element = changeElement("ins", change, false);
        element.dataset.tcExtra = "";
        element.append(document.createTextNode(words));
        insertAt(point, element);
      }
      const marks = body.querySelectorAll(`.tc[data-thread="${CSS.escape(String(change.id))}"]`);
      if (marks.length && first) marks[0].tabIndex = 0;
      if (marks.length) marks[0].prepend(tagFor(change));
      trackedThreads.add(String(change.id));
    }
    for (const [shown, group] of switches) {
      const marks = body.querySelectorAll(`.tc[data-thread="${CSS.escape(String(shown.id))}"]`);
      if (marks.length) marks[marks.length - 1].after(switchFor(group, shown));
    }
  }

  function redrawTracked(focusGroup) {
    if (pristine === null) return;
    body.innerHTML = pristine;
    trackedThreads.clear();
    drawTracked();
    applyHighlights();
    describeTracked();
    const button = body.querySelector(`.tc-switch[data-group="${CSS.escape(String(focusGroup))}"]`);
    if (button) button.focus();
  }

  body.addEventListener("click", (event) => {
    const button = event.target.closest(".tc-switch");
    if (!button) return;
    event.preventDefault();
    event.stopPropagation();
    const groupId = Number(button.dataset.group);
    const group = groups.get(groupId);
    if (!group) return;
    const now = group.findIndex((c) => c.id === (chosen.get(groupId) || groupId));
    chosen.set(groupId, group[(now + 1) % group.length].id);
    redrawTracked(groupId);
  });

  function describeTracked() {
    for (const element of body.querySelectorAll(".tc[data-thread]")) {
      const article = document.getElementById(`thread-${element.dataset.thread}`);
      const quote = article && article.querySelector("blockquote");
      if (quote) element.setAttribute("aria-describedby", quote.id);
      else element.removeAttribute("aria-describedby");
    }
  }

  // --- Linking highlights and threads

  function clearActive() {
    for (const element of document.querySelectorAll("mark.hl.active, .tc.active, .thread.active")) {
      element.classList.remove("active");
    }
  }

  function markActive(id) {
    const selector = `[data-thread="${CSS.escape(String(id))}"]`;
    for (const mark of body.querySelectorAll(`mark.hl${selector}, .tc${selector}`)) {
      mark.classList.add("active");
    }
  }

  function showThread(id, { block = "nearest" } = {}) {
    const article = document.getElementById(`thread-${id}`);
    if (!article) return;
    openDrawer({ focus: false });
    clearActive();
    article.classList.add("active");
    markActive(id);
    article.scrollIntoView({ block: drawerMode() ? "start" : block });
    article.focus({ preventScroll: true });
  }

  function showHighlight(id) {
    const selector = `[data-thread="${CSS.escape(id)}"]`;
    const marks = body.querySelectorAll(`mark.hl${selector}, .tc${selector}`);
    if (marks.length === 0) return false;
    clearActive();
    for (const mark of marks) mark.classList.add("active");
    marks[0].scrollIntoView({ block: "center" });
    marks[0].focus({ preventScroll: true });
    return true;
  }

  // --- An editor's decision at a tracked change: a popover beside it with its card's buttons

  const popover = document.getElementById("change-popover");
  let popoverFrom = null; // the tracked change it was opened from, to return the focus to
  if (popover) layout.appendChild(popover);

  function closePopover({ focusChange = false } = {}) {
    if (!popover || popover.hidden) return;
    popover.hidden = true;
    popover.querySelector(".change-popover-actions").replaceChildren();
    if (focusChange && popoverFrom) popoverFrom.focus({ preventScroll: true });
    popoverFrom = null;
  }

  function openPopover(change) {
    const article = document.getElementById(`thread-${change.dataset.thread}`);
    const decide = article && article.querySelector(".decide");
    if (!popover || !decide) return false;
    const actions = popover.querySelector(".change-popover-actions");
    actions.replaceChildren(decide.cloneNode(true));
    if (window.htmx) window.htmx.process(actions);
    const badge = article.querySelector(".proposal .badge");
    const who = article.querySelector(".comment .byline strong");
    popover.querySelector(".change-popover-title").textContent = [badge, who]
      .filter(Boolean)
      .map((element) => element.textContent.trim())
      .join(" · ");
    popover.dataset.thread = change.dataset.thread;
    popoverFrom = change;
    clearActive();
    for (const mark of body.querySelectorAll(`.tc[data-thread="${CSS.escape(change.dataset.thread)}"]`)) {
      mark.classList.add("active");
    }
    article.classList.add("active");
    popover.hidden = false;
    place(popover, change.getBoundingClientRect());
    const first = actions.querySelector("button, a");
    if (first) first.focus({ preventScroll: true });
    return true;
  }

  if (popover) {
    popover.addEventListener("click", (event) => {
      const button = event.target.closest("[data-popover]");
      if (!button) return;
      const thread = popover.dataset.thread;
      closePopover({ focusChange: button.dataset.popover === "close" });
      if (button.dataset.popover === "card") showThread(thread);
    });
    popover.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        closePopover({ focusChange: true });
      }
    });
    document.addEventListener("mousedown", (event) => {
      if (!popover.hidden && !popover.contains(event.target)) closePopover();
    });
  }

  function activate(mark) {
    if (mark.matches(".tc") && openPopover(mark)) return;
    showThread(mark.dataset.thread);
  }

  body.addEventListener("click", (event) => {
    const mark = event.target.closest("mark.hl, .tc[data-thread]");
    // A click that ends a selection is for commenting, not for jumping away.
    if (!mark || !document.getSelection().isCollapsed) return;
    activate(mark);
  });

  body.addEventListener("keydown", (event) => {
    const mark = event.target.closest && event.target.closest("mark.hl, .tc[data-thread]");
    if (!mark || (event.key !== "Enter" && event.key !== " ")) return;
    event.preventDefault();
    activate(mark);
  });

  // Delegated: the threads section is replaced when the filters change.
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a.quote-link[data-thread]");
    if (!link) return;
    if (showHighlight(link.dataset.thread)) event.preventDefault();
  });

  // --- Cards beside their words (wide screens) and the side column as a drawer (narrow)

  const aside = document.getElementById("review-aside");
  const free = document.getElementById("compose-free");
  const drawerToggle = document.querySelector(".drawer-toggle");
  // The side column stands beside the text above 60rem (base.css), below it under the text.
  const wide = window.matchMedia("(min-width: 60.001rem)");

  // Each card moves down to the height of the first of its words in the text, unless the card
  // before it reaches lower: read every position first, then write, one layout for the list.
  function placeCards() {
    const list = document.getElementById("threads");
    if (!list) return;
    const cards = Array.from(list.querySelectorAll(":scope > .thread"));
    for (const card of cards) card.style.marginTop = "";
    list.classList.toggle("beside", wide.matches);
    if (!wide.matches) return;
    const first = new Map();
    for (const mark of body.querySelectorAll("mark.hl[data-thread], .tc[data-thread]")) {
      if (!first.has(mark.dataset.thread)) first.set(mark.dataset.thread, mark);
    }
    const words = cards.map((card) => {
      const mark = first.get(card.dataset.thread);
      return mark ? mark.getBoundingClientRect().top : null;
    });
    const tops = cards.map((card) => card.getBoundingClientRect().top);
    let shift = 0; // how far the cards so far were moved down
    cards.forEach((card, i) => {
      const top = tops[i] + shift;
      if (words[i] === null || words[i] <= top) return;
      const by = Math.round(words[i] - top);
      card.style.marginTop = `${by}px`;
      shift += by;
    });
  }

  let placing = 0;
  let arrived = false; // whether a link to a thread (#thread-N) has been followed
  function placeSoon() {
    cancelAnimationFrame(placing);
    placing = requestAnimationFrame(() => {
      placeCards();
      // The browser scrolled to the card before it moved beside its words: go there again
      // (in the drawer, open at it).
      if (arrived) return;
      arrived = true;
      const target = /^#thread-\d+$/.test(location.hash) && document.querySelector(location.hash);
      if (target && target.matches("#threads > .thread")) showThread(target.dataset.thread);
    });
  }

  function drawerMode() {
    return Boolean(aside && drawerToggle) && !wide.matches;
  }

  function openDrawer({ focus = true } = {}) {
    if (!drawerMode() || layout.classList.contains("drawer-open")) return;
    layout.classList.add("drawer-open");
    drawerToggle.setAttribute("aria-expanded", "true");
    if (focus) aside.focus({ preventScroll: true });
  }

  function closeDrawer() {
    if (!layout.classList.contains("drawer-open")) return;
    layout.classList.remove("drawer-open");
    drawerToggle.setAttribute("aria-expanded", "false");
    drawerToggle.focus({ preventScroll: true });
  }

  function arrange() {
    const drawer = drawerMode();
    layout.classList.toggle("has-drawer", drawer);
    if (aside) {
      aside.querySelector(".drawer-head").hidden = !drawer;
      if (drawer) aside.setAttribute("tabindex", "-1");
      else aside.removeAttribute("tabindex");
    }
    if (drawerToggle) {
      drawerToggle.hidden = !drawer;
      const count = document.querySelectorAll("#threads > .thread").length;
      drawerToggle.querySelector(".drawer-count").textContent = count ? `(${count})` : "";
    }
    if (!drawer) layout.classList.remove("drawer-open");
    placeSoon();
  }

  if (drawerToggle) {
    drawerToggle.addEventListener("click", () => {
      if (layout.classList.contains("drawer-open")) closeDrawer();
      else openDrawer();
    });
  }
  if (aside) {
    aside.addEventListener("click", (event) => {
      if (event.target.closest("[data-close-drawer]")) closeDrawer();
    });
    aside.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && layout.classList.contains("drawer-open")) {
        event.preventDefault();
        closeDrawer();
      }
    });
    // A card's words light up with it, however it is reached (a click, Tab).
    aside.addEventListener("focusin", (event) => {
      const card = event.target.closest && event.target.closest("#threads > .thread");
      if (!card || card.classList.contains("active")) return;
      clearActive();
      card.classList.add("active");
      markActive(card.dataset.thread);
    });
  }
  // The forms for typing the words stay folded (beside the text the cards rise to their words,
  // in the drawer they come first), unless they hold what was refused; choosing words opens
  // them (the words are filled in there).
  if (free && !("keepOpen" in free.dataset)) free.open = false;
  if (free) free.addEventListener("toggle", placeSoon);
  revealForms = () => {
    if (free && !free.open) free.open = true;
  };
  wide.addEventListener("change", arrange);
  window.addEventListener("resize", placeSoon);
  if (document.fonts) document.fonts.ready.then(placeSoon);

  // --- Next / previous: one card after the other in document order, lit with its words

  function stepThread(by) {
    const cards = Array.from(document.querySelectorAll("#threads > .thread"));
    const where = document.querySelector(".thread-nav-where");
    if (cards.length === 0) return;
    const current = cards.findIndex((card) => card.classList.contains("active"));
    const next = current === -1 ? (by > 0 ? 0 : cards.length - 1) : current + by;
    if (next < 0 || next >= cards.length) {
      if (where) where.textContent = next < 0 ? gettext("This is the first.") : gettext("This is the last.");
      return;
    }
    showThread(cards[next].dataset.thread, { block: "center" });
    if (where) where.textContent = fill(gettext("%s of %s"), [next + 1, cards.length]);
  }

  function showThreadNav() {
    const nav = document.querySelector(".thread-nav");
    if (nav) nav.hidden = false;
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("[data-thread-step]");
    if (button) stepThread(Number(button.dataset.threadStep));
  });
  document.addEventListener("keydown", (event) => {
    if (!event.altKey || !event.shiftKey || event.ctrlKey || event.metaKey) return;
    const by = { KeyN: 1, KeyP: -1 }[event.code];
    if (!by) return;
    event.preventDefault();
    stepThread(by);
  });

  // htmx replaces #threads when the filters change (its data-anchors come along), and a
  // thread card when it is opened: redraw, or move the focus to the opened thread.
  document.addEventListener("htmx:load", (event) => {
    const element = event.target;
    if (!element) return;
    if (element.id === "threads") {
      applyHighlights();
      describeTracked();
      showThreadNav();
      arrange();
    }
    else if (element.classList && element.classList.contains("expanded")) {
      placeSoon();
      element.focus();
    }
  });

  drawTracked();
  applyHighlights();
  describeTracked();
  showThreadNav();
  arrange();
})();
