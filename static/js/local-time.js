// Adds the visitor's own time after each <time data-local-time> (the page shows UTC), in the page's language.
// Without this script the UTC time stands alone.
(function () {
  "use strict";
  var template = (document.currentScript && document.currentScript.dataset.template) || "{time} ({zone})";
  // The page's language, in the visitor's own regional variant if they have one (en-GB rather than en).
  var page = document.documentElement.lang || "en";
  var language = (navigator.languages || []).find(function (l) { return l.split("-")[0] === page.split("-")[0]; }) || page;
  var format, zoneFormat;
  try {
    if (/^(Etc\/)?UTC$/.test(Intl.DateTimeFormat().resolvedOptions().timeZone)) return;
    format = new Intl.DateTimeFormat(language, { dateStyle: "long", timeStyle: "short" });
    zoneFormat = new Intl.DateTimeFormat(language, { timeZoneName: "long" });
  } catch (error) {
    return;
  }
  function zoneName(moment) {
    // The zone's name in the page's language at that moment (e.g. "Nepal Time", "heure d'été d'Europe centrale").
    var part = zoneFormat.formatToParts(moment).find(function (p) { return p.type === "timeZoneName"; });
    return part ? part.value : zoneFormat.resolvedOptions().timeZone;
  }
  document.querySelectorAll("time[data-local-time]").forEach(function (element) {
    var moment = new Date(element.getAttribute("datetime"));
    if (isNaN(moment.getTime())) return;
    var local = document.createElement("span");
    local.className = "help local-time";
    local.textContent = template.replace("{zone}", zoneName(moment)).replace("{time}", format.format(moment));
    element.after(document.createElement("br"), local);
  });
})();
