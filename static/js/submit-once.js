// A form marked data-submit-once is sent once: after the first press its button is disabled and says so, so a
// double tap on a slow connection sends one request. The server answers a repeated request the same way anyway.
(function () {
  document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
    var sent = false;
    form.addEventListener("submit", function (event) {
      if (sent) { event.preventDefault(); return; }
      sent = true;
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.setAttribute("aria-disabled", "true");
        button.classList.add("is-busy");
        if (form.getAttribute("data-submitting-text")) button.textContent = form.getAttribute("data-submitting-text");
      });
    });
  });
  // Back to this page from the browser's cache (bfcache): ready again, the server decides what a second press does.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) window.location.reload();
  });
})();
