// The little the reader's pages do in the browser; everything works without it.
(function () {
  "use strict";

  // Ages ("3 hours ago"), kept true on pages served from the cache. The same rule as relative_age() in
  // articles/templatetags/newsroom.py: the largest unit that fits, counted in whole units (rounded down);
  // under a minute, or in the future, is "just now". The absolute date is always shown beside it.
  var UNITS = [["year", 365 * 86400], ["month", 30 * 86400], ["week", 7 * 86400], ["day", 86400],
               ["hour", 3600], ["minute", 60]];

  function relativeAge(date, now) {
    var seconds = (now.getTime() - date.getTime()) / 1000;
    for (var i = 0; i < UNITS.length; i++) {
      if (seconds >= UNITS[i][1]) {
        var count = Math.floor(seconds / UNITS[i][1]);
        return count + " " + UNITS[i][0] + (count === 1 ? "" : "s") + " ago";
      }
    }
    return "just now";
  }

  function refreshAges() {
    var now = new Date();
    var labels = document.querySelectorAll("time[datetime] [data-relative]");
    for (var i = 0; i < labels.length; i++) {
      var date = new Date(labels[i].parentNode.getAttribute("datetime"));
      if (!isNaN(date)) labels[i].textContent = relativeAge(date, now);
    }
  }

  // The filter form: custom dates show only with "Custom dates" chosen, and empty fields stay out of the URL.
  function enhanceFilters(form) {
    var dates = form.querySelector("[data-custom-dates]");
    var radios = form.querySelectorAll('input[name="period"]');
    function showDates() {
      var custom = form.querySelector("[data-custom-period]");
      var shown = !custom || custom.checked;
      dates.hidden = !shown;
      var inputs = dates.querySelectorAll("input");
      for (var i = 0; i < inputs.length; i++) inputs[i].disabled = !shown;
    }
    if (dates) {
      for (var i = 0; i < radios.length; i++) radios[i].addEventListener("change", showDates);
      showDates();
    }
    form.addEventListener("submit", function () {
      var fields = form.querySelectorAll("input, select");
      for (var i = 0; i < fields.length; i++) {
        var field = fields[i];
        if (field.name && field.value === "" && (field.type !== "radio" || field.checked)) field.disabled = true;
      }
    });
    // Coming back with the browser's Back button must not find the fields still disabled.
    window.addEventListener("pageshow", function () {
      var fields = form.querySelectorAll("input, select");
      for (var i = 0; i < fields.length; i++) fields[i].disabled = false;
      if (dates) showDates();
    });
  }

  window.Newsroom = { relativeAge: relativeAge };
  document.addEventListener("DOMContentLoaded", function () {
    refreshAges();
    var forms = document.querySelectorAll("form[data-filters]");
    for (var i = 0; i < forms.length; i++) enhanceFilters(forms[i]);
  });
  setInterval(refreshAges, 60000);
})();
