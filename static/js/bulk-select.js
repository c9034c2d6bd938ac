// The header checkbox of a bulk-action list ticks or clears every row of the page (without script, rows are ticked one by one).
document.querySelectorAll("input.select-page").forEach(function (master) {
  var table = master.closest("table");
  var rows = table.querySelectorAll('tbody input[name="ids"]');
  master.hidden = false;
  master.addEventListener("change", function () {
    rows.forEach(function (box) { box.checked = master.checked; });
  });
});
