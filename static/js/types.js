// "Essential" applies to technical comments only: while another type is chosen, the checkbox
// is disabled and unticked. Without this script the server refuses the combination instead
// (comments.forms.TypeFields); nothing here decides anything.
(() => {
  for (const fieldset of document.querySelectorAll("[data-type-fields]")) {
    const box = fieldset.querySelector('input[type="checkbox"][name="essential"]');
    if (!box) continue;
    const technical = () => {
      const chosen = fieldset.querySelector('input[name="category"]:checked');
      return Boolean(chosen) && chosen.value === "technical";
    };
    fieldset.addEventListener("change", (event) => {
      if (event.target.name !== "category") return;
      box.disabled = !technical();
      if (box.disabled) box.checked = false;
    });
    // A form sent back with an error keeps the tick the user gave, so they can see it.
    box.disabled = !technical() && !box.checked;
  }
})();
