// Keeps "3 hours ago" labels true on pages served from the cache; the absolute date is always shown too.
(function () {
  "use strict";
  if (!("RelativeTimeFormat" in Intl)) return;
  var format = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  var units = [["year", 31536e6], ["month", 2592e6], ["week", 6048e5], ["day", 864e5], ["hour", 36e5], ["minute", 6e4]];
  function label(date) {
    var delta = date.getTime() - Date.now();
    for (var i = 0; i < units.length; i++) {
      if (Math.abs(delta) >= units[i][1]) return format.format(Math.round(delta / units[i][1]), units[i][0]);
    }
    return "just now";
  }
  function refresh() {
    var times = document.querySelectorAll("time[datetime] [data-relative]");
    for (var i = 0; i < times.length; i++) {
      var date = new Date(times[i].parentNode.getAttribute("datetime"));
      if (!isNaN(date)) times[i].textContent = label(date);
    }
  }
  document.addEventListener("DOMContentLoaded", refresh);
  setInterval(refresh, 60000);
})();
