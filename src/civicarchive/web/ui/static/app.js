// Progressive enhancement only: every page works without this script.
"use strict";

// Moderation, users (webmod): where a page names an element to focus (after an action,
// the next comment's heading; a form's error), focus it if the browser did not honour
// its autofocus attribute.
(function () {
  var target = document.querySelector("[data-focus]");
  if (target && document.activeElement !== target) { target.focus(); }
})();
