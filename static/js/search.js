// The search box from anywhere: "/" focuses it (unless one is typing); on the results page the
// arrow keys move between the results and back to the box.
(function () {
  "use strict";
  function typing(element) {
    return element && element.closest && element.closest("input, textarea, select, [contenteditable]");
  }
  function box() {
    return document.getElementById("id_q") || document.getElementById("site-search");
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "/" && !event.ctrlKey && !event.metaKey && !event.altKey && !typing(event.target)) {
      var found = box();
      if (found) {
        event.preventDefault();
        found.focus();
        found.select();
      }
      return;
    }
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    var links = Array.prototype.slice.call(document.querySelectorAll("a.hit-link"));
    if (!links.length) return;
    var here = links.indexOf(document.activeElement);
    if (here === -1 && document.activeElement !== box()) return;
    event.preventDefault();
    var next = here + (event.key === "ArrowDown" ? 1 : -1);
    if (next < 0) { box().focus(); return; }
    links[Math.min(next, links.length - 1)].focus();
  });
})();
