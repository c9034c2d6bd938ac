// Keeps a copy of what is typed in a long form in this browser (localStorage), so a dropped connection or a
// closed tab never loses a draft. The server copy stays the reference: the local copy is offered only when it
// is newer than the page, and cleared after a successful save. Files are never stored.
// Every page an applicant sees loads this script: signing out (the form marked data-sign-out) removes every copy
// kept on this device, so the next person at this browser finds none. The sign-out response also asks the browser to clear
// the site's storage (Clear-Site-Data); this covers browsers that ignore that header.
(function () {
  var PREFIX = "csogrants:";
  var storage = null;
  try { storage = window.localStorage; } catch (e) { storage = null; }  // refused when site data is blocked
  if (!storage) return;
  var timer = null;

  var forgetAll = function () {
    clearTimeout(timer);
    for (var i = storage.length - 1; i >= 0; i--) {
      var stored = storage.key(i);
      if (stored && stored.indexOf(PREFIX) === 0) storage.removeItem(stored);
    }
  };
  document.querySelectorAll("form[data-sign-out]").forEach(function (signOut) {
    signOut.addEventListener("submit", forgetAll);
  });

  var form = document.querySelector("form[data-autosave]");
  if (!form) return;
  var key = PREFIX + form.getAttribute("data-autosave");
  var fields = function () {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.type !== "file" && el.type !== "hidden" && el.type !== "submit" && el.name !== "csrfmiddlewaretoken";
    });
  };
  var snapshot = function () {
    var data = {};
    fields().forEach(function (el) {
      data[el.name + "|" + (el.type === "checkbox" || el.type === "radio" ? el.value : "")] =
        el.type === "checkbox" || el.type === "radio" ? el.checked : el.value;
    });
    return data;
  };
  var initial = JSON.stringify(snapshot());
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
      fields().forEach(function (el) {
        var k = el.name + "|" + (el.type === "checkbox" || el.type === "radio" ? el.value : "");
        if (!(k in saved.data)) return;
        if (el.type === "checkbox" || el.type === "radio") el.checked = saved.data[k]; else el.value = saved.data[k];
      });
      bar.remove();
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
  });
})();
