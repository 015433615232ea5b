// The prose editor's editable area is the field staff type in: give it the field's label and
// help text, as the textarea it replaces had (WCAG 4.1.2; axe: aria-input-field-name).
document.addEventListener("prose-editor:ready", (event) => {
  const { editor, textarea } = event.detail;
  const editable = editor.view.dom;
  const label = document.querySelector(`label[for="${textarea.id}"]`);
  if (label) {
    editable.setAttribute("aria-label", label.textContent.trim().replace(/:$/, ""));
  }
  const help = document.getElementById(`${textarea.id}_helptext`);
  if (help) {
    editable.setAttribute("aria-describedby", help.id);
  }
});
