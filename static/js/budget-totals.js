// Budget totals recomputed as the applicant types, before any save. The page works without it (the server renders
// the totals as last saved) and the server stays the reference: it recomputes everything when the draft is saved
// and checks the rules at submission. The arithmetic is the server's (grants/budget.py): exact cents in BigInt, a
// line's total is quantity x unit cost rounded half-up to cents once, caps are a percentage of a base rounded
// half-up once. Numbers are read as core/forms.py parse_number reads them: in the page language's notation (its
// separators are in data-decimal and data-group) or in the plain "1234.50" form; text the two readings would give
// two different numbers is not read.
(function () {
  "use strict";
  var box = document.querySelector("[data-budget-totals]");
  if (!box || typeof BigInt !== "function") return;
  var form = box.closest("form");
  if (!form) return;
  var data = box.dataset;
  var UNREADABLE = "unreadable";
  var HUNDRED = BigInt(100);
  var ZERO = BigInt(0);

  var escape = function (text) { return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); };
  var group = data.group || ",";
  var decimal = data.decimal || ".";
  var PLAIN = /^([+-]?)(\d+)(?:\.(\d+))?$/;
  var LOCAL = new RegExp("^([+-]?)(\\d{1,3}(?:" + escape(group) + "\\d{3})+|\\d+)(?:" + escape(decimal) + "(\\d+))?$");

  // Hundredths (cents for an amount) of the number in `text`; null for blank; UNREADABLE for what the server
  // refuses too (letters, more than two decimals, a negative number, two possible readings).
  var parse = function (text) {
    text = (text || "")
      .replace(/[\u200e\u200f\u061c\u202a-\u202e]/g, "")
      .replace(/[\u0660-\u0669]/g, function (c) { return String(c.charCodeAt(0) - 0x0660); })
      .replace(/[\u06f0-\u06f9]/g, function (c) { return String(c.charCodeAt(0) - 0x06f0); })
      .replace(/\u066b/g, ".").replace(/\u066c/g, ",").trim();
    if (!text) return null;
    if (/^\s$/.test(group)) text = text.replace(/\s/g, group);
    var readings = [];
    var plain = PLAIN.exec(text);
    if (plain) readings.push([plain[1], plain[2], plain[3] || ""]);
    var local = LOCAL.exec(text);
    if (local) readings.push([local[1], local[2].split(group).join(""), local[3] || ""]);
    if (!readings.length) return UNREADABLE;
    var values = readings.map(function (r) {
      if (r[0] === "-" || r[2].length > 2) return UNREADABLE;
      return BigInt(r[1]) * HUNDRED + BigInt((r[2] + "00").slice(0, 2));
    });
    if (values.indexOf(UNREADABLE) !== -1 || (values.length === 2 && values[0] !== values[1])) return UNREADABLE;
    return values[0];
  };

  // round(part x whole / scale), half-up, for non-negative numbers.
  var scaled = function (value, by, scale) { return (value * by + scale / BigInt(2)) / scale; };
  var cap = function (baseCents, percentHundredths) { return scaled(baseCents, percentHundredths, BigInt(10000)); };

  var formatter = null;
  try {
    formatter = new Intl.NumberFormat(data.lang || document.documentElement.lang || "en", {
      style: "currency", currency: "EUR", numberingSystem: "latn",
    });
  } catch (e) { formatter = null; }
  var money = function (cents) {
    if (cents === null || cents === UNREADABLE) return "—";
    var negative = cents < ZERO;
    var abs = negative ? -cents : cents;
    var text = (negative ? "-" : "") + (abs / HUNDRED).toString() + "." + (abs % HUNDRED).toString().padStart(2, "0");
    return formatter ? formatter.format(text) : "EUR " + text;
  };

  // Hundredths of a number the template wrote in the plain machine form ("7.00", "50000.00").
  var machine = function (name) {
    var m = PLAIN.exec(data[name] || "0");
    return m ? BigInt(m[2]) * HUNDRED + BigInt(((m[3] || "") + "00").slice(0, 2)) : ZERO;
  };
  var caps = { indirect: machine("indirectCap"), contingency: machine("contingencyCap"), cofinancing: machine("cofinancingMin") };
  var low = machine("low"), high = machine("high");

  var field = function (name) { return form.elements.namedItem(name); };
  var out = function (name, text) {
    var el = box.querySelector('[data-out="' + name + '"]');
    if (el && el.textContent !== text) el.textContent = text;
  };
  var flag = function (name, on) {
    var el = box.querySelector('[data-flag="' + name + '"]');
    if (el) el.hidden = !on;
  };
  var within = function (row, suffix) { return row.querySelector('[name$="-' + suffix + '"]'); };
  var filled = function (el) { return !!(el && el.value && el.value.trim()); };

  var recompute = function () {
    var direct = ZERO, unreadable = false, completeLines = 0;
    box.ownerDocument.querySelectorAll("[data-budget-lines] .row-card").forEach(function (row) {
      var output = row.querySelector("[data-line-total]");
      var removed = within(row, "DELETE");
      var quantity = parse(within(row, "quantity") && within(row, "quantity").value);
      var unitCost = parse(within(row, "unit_cost") && within(row, "unit_cost").value);
      var total = null;
      if (quantity === UNREADABLE || unitCost === UNREADABLE) total = UNREADABLE;
      else if (quantity !== null && unitCost !== null) total = scaled(quantity, unitCost, HUNDRED);
      if (output) output.textContent = money(total);
      if (removed && removed.checked) return;
      if (total === UNREADABLE) { unreadable = true; return; }
      // As the server counts it: a line with a total and a heading; complete when every field is filled.
      if (total !== null && filled(within(row, "heading"))) direct += total;
      if (["heading", "description", "unit", "quantity", "unit_cost"].every(function (s) { return filled(within(row, s)); })) completeLines += 1;
    });
    var amount = function (name) {
      var el = field(name);
      var value = parse(el && el.value);
      if (value === UNREADABLE) { unreadable = true; return ZERO; }
      return value === null ? ZERO : value;
    };
    var indirect = amount("indirect_costs"), contingency = amount("contingency");
    var cofinancing = amount("own_contribution") + amount("third_party_contribution");
    var total = direct + indirect + contingency;
    var requested = total - cofinancing;
    var indirectMax = cap(direct, caps.indirect), contingencyMax = cap(direct, caps.contingency);
    var floor = cap(total, caps.cofinancing);
    var shown = function (cents) { return unreadable ? "—" : money(cents); };
    out("direct", shown(direct));
    out("indirect", shown(indirect));
    out("indirect_max", shown(indirectMax));
    out("contingency", shown(contingency));
    out("contingency_max", shown(contingencyMax));
    out("total", shown(total));
    out("cofinancing", shown(cofinancing));
    out("cofinancing_floor", shown(floor));
    out("requested", shown(requested));
    flag("indirect", !unreadable && indirect > indirectMax);
    flag("contingency", !unreadable && contingency > contingencyMax);
    flag("cofinancing", !unreadable && (cofinancing < floor || cofinancing > total));
    var state;
    if (unreadable) state = UNREADABLE;
    else if (!completeLines || direct === ZERO) state = "empty";
    else if (requested < low) state = "below";
    else if (requested > high) state = "above";
    else state = "within";
    var message = box.querySelector('[data-out="range"]');
    if (message && message.getAttribute("data-state") !== state) {
      message.setAttribute("data-state", state);
      message.className = "range-message range-" + state;
      message.textContent = data["text" + state.charAt(0).toUpperCase() + state.slice(1)] || "";
    }
  };

  var typed = false;
  var onChange = function (event) {
    var target = event.target;
    if (!target || !target.name || target.type === "file") return;
    if (!typed) { typed = true; out("basis", data.textTyped || ""); }
    recompute();
  };
  form.addEventListener("input", onChange);
  form.addEventListener("change", onChange);
  var message = box.querySelector('[data-out="range"]');
  if (message) message.setAttribute("data-state", (message.className.match(/range-(\w+)/) || [])[1] || "");
  recompute();
})();
