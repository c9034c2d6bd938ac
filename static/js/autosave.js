// Keeps a copy of what is typed in a long form in this browser (localStorage), so a dropped connection or a
// closed tab never loses a draft. Any form marked data-autosave="<key>" is kept (the application form, a grantee's
// report, a reviewer's scores), under its own key. The server copy stays the reference: the local copy is offered
// only when it differs from the page, and cleared after a successful save. Files are never stored.
// A form also marked data-leave-warning asks before the page is left with changes not saved yet (never when one
// of its own buttons is pressed: they all save).
// Every page an applicant or a reviewer sees loads this script: signing out (the form marked data-sign-out) removes
// every copy kept on this device, so the next person at this browser finds none. The sign-out response also asks
// the browser to clear the site's storage (Clear-Site-Data); this covers browsers that ignore that header.
(function () {
  var PREFIX = "csogrants:";
  var storage = null;
  try { storage = window.localStorage; } catch (e) { storage = null; }  // refused when site data is blocked
  var timers = [];

  var forgetAll = function () {
    timers.forEach(clearTimeout);
    if (!storage) return;
    for (var i = storage.length - 1; i >= 0; i--) {
      var stored = storage.key(i);
      if (stored && stored.indexOf(PREFIX) === 0) storage.removeItem(stored);
    }
  };
  document.querySelectorAll("form[data-sign-out]").forEach(function (signOut) {
    signOut.addEventListener("submit", forgetAll);
  });

  var keep = function (form) {
    var key = PREFIX + form.getAttribute("data-autosave");
    var fields = function () {
      return Array.prototype.filter.call(form.elements, function (el) {
        return el.name && el.type !== "file" && el.type !== "hidden" && el.type !== "submit" && el.name !== "csrfmiddlewaretoken";
      });
    };
    var slot = function (el) { return el.name + "|" + (el.type === "checkbox" || el.type === "radio" ? el.value : ""); };
    var snapshot = function () {
      var data = {};
      fields().forEach(function (el) {
        data[slot(el)] = el.type === "checkbox" || el.type === "radio" ? el.checked : el.value;
      });
      return data;
    };
    var initial = JSON.stringify(snapshot());
    var timer = null;

    // Dirty: a field differs from what the page was served with, or a file is chosen.
    var sending = false;
    var dirty = function () {
      var fileChosen = Array.prototype.some.call(form.querySelectorAll("input[type=file]"), function (el) {
        return el.files && el.files.length > 0;
      });
      return fileChosen || JSON.stringify(snapshot()) !== initial;
    };
    if (form.hasAttribute("data-leave-warning")) {
      form.addEventListener("submit", function () { sending = true; });
      window.addEventListener("beforeunload", function (event) {
        if (sending || !dirty()) return;
        event.preventDefault();
        event.returnValue = "";  // older browsers need a value to ask
      });
      // Back to this page from the browser's history cache: it may be left again.
      window.addEventListener("pageshow", function () { sending = false; });
    }

    if (!storage) return;
    var saved = null;
    try { saved = JSON.parse(storage.getItem(key) || "null"); } catch (e) { saved = null; }
    if (saved && saved.data && JSON.stringify(saved.data) !== initial && !document.querySelector(".message.success")) {
      var bar = document.createElement("div");
      bar.className = "message";
      bar.setAttribute("role", "status");
      bar.textContent = form.getAttribute("data-restore-text") || "Unsaved changes from this device were found. ";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button small";
      button.textContent = form.getAttribute("data-restore-button") || "Restore them";
      button.addEventListener("click", function () {
        var last = null;
        fields().forEach(function (el) {
          var k = slot(el);
          if (!(k in saved.data)) return;
          if (el.type === "checkbox" || el.type === "radio") el.checked = saved.data[k]; else el.value = saved.data[k];
          last = el;
        });
        bar.remove();
        // Scripts that follow the fields (budget totals) recount, and the copy is kept as now shown.
        if (last) last.dispatchEvent(new Event("input", { bubbles: true }));
      });
      bar.appendChild(button);
      form.parentNode.insertBefore(bar, form);
    } else {
      storage.removeItem(key);
    }
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        storage.setItem(key, JSON.stringify({ at: Date.now(), data: snapshot() }));
      }, 400);
      timers.push(timer);
    });
  };

  // The script may be on a page twice (the layout and a page's own tag): keep each form once.
  document.querySelectorAll("form[data-autosave]").forEach(function (form) {
    if (form.hasAttribute("data-autosave-on")) return;
    form.setAttribute("data-autosave-on", "");
    keep(form);
  });
})();
