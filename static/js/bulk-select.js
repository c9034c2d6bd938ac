// The header checkbox of a bulk-action list ticks or clears every row of the page (without script, rows are ticked one by one).
document.querySelectorAll("input.select-page").forEach(function (master) {
  var table = master.closest("table");
  var rows = table.querySelectorAll('tbody input[name="ids"]');
  master.hidden = false;
  master.addEventListener("change", function () {
    rows.forEach(function (box) { box.checked = master.checked; });
  });
});

// A bulk form shows only the fields its chosen action needs (without script, every field shows, with a note).
document.querySelectorAll("form.bulk-form").forEach(function (form) {
  var action = form.querySelector('select[name="action"]');
  if (!action) return;
  function update() {
    form.querySelectorAll("[data-for-action]").forEach(function (part) {
      part.hidden = part.getAttribute("data-for-action") !== action.value;
    });
  }
  action.addEventListener("change", update);
  update();
});
