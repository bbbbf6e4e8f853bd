/* Stride: put the keyboard focus in the answer box of the exercise item a page just showed.
 *
 * Streamlit has no focus API, and the content security policy refuses inline scripts, so this
 * file is served by Stride from its own origin (quiz/web/scripts.py) and added after the answer
 * box by quiz/ui/focus.py, whose <script> tag names the box's widget-key prefix in `data-key`.
 * The text box (or text area) gets the focus; an answer grid gets it on its cells.
 *
 * It runs once for each new item: from the page itself, the sidebar link that opened the page
 * or the Continue button that brought the item, the focus moves to the box; a person typing in
 * another box (the Deck box, say) keeps their place. It waits a second at most for the box to
 * be drawn (Streamlit may draw it just after this script).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var key = script && script.getAttribute("data-key");
  if (!key || !/^[A-Za-z0-9_-]+$/.test(key)) {
    return;
  }
  var within = '[class*="st-key-' + key + '_"]';
  var boxes = [
    within + ' input[type="text"]',
    within + " textarea",
    '[class*="st-key-' + key + '_grid"] [tabindex="0"]',
  ];
  var deadline = Date.now() + 1000;

  function typingElsewhere() {
    var active = document.activeElement;
    if (!active || !active.isConnected || active.closest('[data-stale="true"]') !== null) {
      return false;
    }
    return active.matches(
      'textarea, select, [contenteditable="true"], input:not([type]), input[type="text"], ' +
        'input[type="number"], input[type="search"], input[type="password"]'
    );
  }

  function tryFocus() {
    if (typingElsewhere()) {
      return;
    }
    for (var i = 0; i < boxes.length; i += 1) {
      var box = document.querySelector(boxes[i]);
      if (box && !box.disabled) {
        box.focus({ preventScroll: true });
        return;
      }
    }
    if (Date.now() < deadline) {
      window.setTimeout(tryFocus, 50);
    }
  }

  tryFocus();
})();
