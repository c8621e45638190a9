// Progressive enhancement only: every page works without this script.
"use strict";

// Moderation, users (webmod): where a page names an element to focus (after an action,
// the next comment's heading; a form's error), focus it if the browser did not honour
// its autofocus attribute.
(function () {
  var target = document.querySelector("[data-focus]");
  if (target && document.activeElement !== target) { target.focus(); }
})();

// -- The redaction editor (/requests/{id}/items/{item}) ----------------------------------
// Selecting words in a version's text (<pre class="record-text" data-form="...">) fills
// that version's form: the words, and their start and end counted in characters as the
// server counts them (code points, not UTF-16 units). Typing in the words field clears
// the offsets, so the form then redacts what was typed. Without this script the form
// takes typed words or offsets.
(function redactionEditor() {
  const texts = document.querySelectorAll("pre.record-text[data-form]");
  if (!texts.length || !window.getSelection) {
    return;
  }
  const points = (s) => Array.from(s).length;

  function offsetsIn(element, range) {
    const before = document.createRange();
    before.selectNodeContents(element);
    before.setEnd(range.startContainer, range.startOffset);
    const start = points(before.toString());
    return [start, start + points(range.toString())];
  }

  function fill() {
    const selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) {
      return;
    }
    const range = selection.getRangeAt(0);
    texts.forEach((element) => {
      if (!element.contains(range.startContainer) || !element.contains(range.endContainer)) {
        return;
      }
      const form = document.getElementById(element.dataset.form);
      if (!form) {
        return;
      }
      const [start, end] = offsetsIn(element, range);
      form.querySelector("input.phrase").value = range.toString();
      form.querySelector("input.start").value = String(start);
      form.querySelector("input.end").value = String(end);
    });
  }

  texts.forEach((element) => {
    element.addEventListener("mouseup", fill);
    element.addEventListener("keyup", fill);
    // Focusable so that a long text scrolls from the keyboard; with caret browsing
    // (F7) a keyboard selection fills the form as a mouse one does.
    element.setAttribute("tabindex", "0");
    element.setAttribute("aria-describedby", "select-hint");
  });
  document.querySelectorAll("form.text-redaction input.phrase").forEach((input) => {
    input.addEventListener("input", () => {
      const form = input.form;
      form.querySelector("input.start").value = "";
      form.querySelector("input.end").value = "";
    });
  });
})();
