// The article list needs the width, so its app sidebar starts collapsed, unless the editor opened it here before.
// Django's nav_sidebar.js (deferred) reads one shared preference when it runs; this script runs before it, lends
// it this page's own preference, and puts the shared one back once the page is set up, so other pages keep theirs.
(function () {
  "use strict";

  var SHARED = "django.admin.navSidebarIsOpen";
  var HERE = "newsroom.articleList.navSidebarIsOpen";
  var shared;
  try {
    shared = localStorage.getItem(SHARED);
    localStorage.setItem(SHARED, localStorage.getItem(HERE) === "true" ? "true" : "false");
  } catch (error) {
    return; // no storage (a locked-down browser): Django's default applies
  }

  function giveBack() {
    if (shared === null) {
      localStorage.removeItem(SHARED);
    } else {
      localStorage.setItem(SHARED, shared);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    giveBack();
    var toggle = document.getElementById("toggle-nav-sidebar");
    var main = document.getElementById("main");
    if (!toggle || !main) return;
    // Runs after nav_sidebar.js's own handler, which has just stored this page's choice as everyone's.
    toggle.addEventListener("click", function () {
      localStorage.setItem(HERE, main.classList.contains("shifted") ? "true" : "false");
      giveBack();
    });
  });
})();
