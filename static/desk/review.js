// Review mode's keyboard: each key presses the button or follows the link that carries it in `data-key`
// (templates/admin/desk/review.html). Without this file every decision is still a plain form button.
(function () {
  "use strict";

  var ALIASES = { ArrowRight: "j", ArrowLeft: "k" };
  var busy = false;

  function typing(target) {
    return target.closest && target.closest("input:not([type=checkbox]):not([type=radio]), textarea, select, [contenteditable]");
  }

  document.addEventListener("keydown", function (event) {
    if (busy || event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) {
      return;
    }
    var key = ALIASES[event.key] || event.key;
    var controls = document.querySelectorAll("[data-key]");
    for (var i = 0; i < controls.length; i++) {
      var control = controls[i];
      if (control.getAttribute("data-key") === key && !control.disabled) {
        event.preventDefault();
        // One decision per page: a second key while the first is on its way must not decide again.
        if (control.tagName !== "SUMMARY") {
          busy = true;
          document.body.setAttribute("aria-busy", "true");
        }
        control.click();
        return;
      }
    }
  });

  // A double click sends one decision, not two.
  document.addEventListener("submit", function (event) {
    if (event.target.getAttribute("data-sent")) {
      event.preventDefault();
    }
    event.target.setAttribute("data-sent", "true");
  });

  // Back on this page from the browser's history: keys and forms work again.
  window.addEventListener("pageshow", function () {
    busy = false;
    document.body.removeAttribute("aria-busy");
    var forms = document.querySelectorAll("form[data-sent]");
    for (var i = 0; i < forms.length; i++) forms[i].removeAttribute("data-sent");
  });
})();
