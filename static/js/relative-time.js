// "3 minutes ago" beside each time that carries data-relative-to, in the page's language, kept current as the minutes
// pass and as live updates replace parts of the page. Without JavaScript the absolute time with its zone stands alone.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";
  var format = window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(lang, { numeric: "auto" }) : null;
  if (!format) return;

  function phrase(seconds) {
    var ago = Math.max(0, Math.round(seconds));
    if (ago < 60) return format.format(-ago, "second");
    if (ago < 3600) return format.format(-Math.floor(ago / 60), "minute");
    if (ago < 86400) return format.format(-Math.floor(ago / 3600), "hour");
    return format.format(-Math.floor(ago / 86400), "day");
  }

  function refresh() {
    var now = Date.now();
    var marks = document.querySelectorAll("[data-relative-to]");
    for (var i = 0; i < marks.length; i++) {
      var at = Date.parse(marks[i].getAttribute("data-relative-to"));
      if (isNaN(at)) continue;
      var text = "(" + phrase((now - at) / 1000) + ")";
      if (marks[i].textContent !== text) marks[i].textContent = text;
      marks[i].hidden = false;
    }
  }

  function start() {
    refresh();
    window.setInterval(refresh, 15000);
    if (window.MutationObserver) {
      new MutationObserver(function (changes) {
        for (var i = 0; i < changes.length; i++) {
          if (changes[i].addedNodes.length) { refresh(); return; }
        }
      }).observe(document.body, { childList: true, subtree: true });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
