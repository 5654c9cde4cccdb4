(function () {
  "use strict";

  // A table whose headings with data-sort get a button that sorts its rows
  // by that column (data-key when a cell has one, else its text); "noun"
  // names the rows for screen readers. Returns the heading cells.
  function sortable(table, rows, noun) {
    var body = table.tBodies[0];
    function key(row, i, numeric) {
      var cell = row.cells[i];
      if (!cell) { return numeric ? 0 : ""; }
      var k = cell.dataset.key !== undefined ? cell.dataset.key : cell.textContent.trim();
      if (numeric) {
        var n = parseFloat(k);
        return isNaN(n) ? Number.MAX_VALUE : n;
      }
      return k.toLowerCase();
    }
    var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
    heads.forEach(function (th, i) {
      var kind = th.dataset.sort;
      if (!kind) { return; }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.textContent = th.textContent;
      button.setAttribute("aria-label", "Sort " + noun + " by " + th.textContent.toLowerCase());
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () {
        var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
        var numeric = kind === "number";
        rows.sort(function (a, b) {
          var x = key(a, i, numeric);
          var y = key(b, i, numeric);
          var c = numeric ? x - y : x.localeCompare(y);
          return c * dir;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
    return heads;
  }

(function () {
  "use strict";
  // Progressive enhancement only: the page is complete without this script.
  // It reads rows from the DOM and never receives scan data any other way.
  var doc = document;
  var table = doc.getElementById("endpoints");
  var controls = doc.getElementById("filters");
  if (!table || !controls || !table.tBodies.length) {
    doc.documentElement.dataset.js = "ready";
    return;
  }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var sev = doc.getElementById("f-severity");
  var role = doc.getElementById("f-role");
  var text = doc.getElementById("f-text");
  var count = doc.getElementById("f-count");

  function apply() {
    var s = sev.value;
    var r = role.value;
    var t = text.value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (row) {
      var keep = (!s || row.dataset.severity === s) &&
        (!r || row.dataset.role === r) &&
        (!t || row.textContent.toLowerCase().indexOf(t) !== -1);
      row.hidden = !keep;
      if (keep) { shown += 1; }
    });
    count.textContent = shown + " of " + rows.length + " endpoints";
  }

  var heads = sortable(table, rows, "endpoints");

  // A link such as report.html#severity=critical&role=backend&q=ex01&sort=days
  // opens the table filtered and sorted. Only form values are set from it;
  // nothing from the URL is ever inserted as markup.
  function fromHash() {
    var hash = window.location.hash.slice(1);
    if (hash.indexOf("=") === -1 || typeof URLSearchParams === "undefined") { return; }
    var params = new URLSearchParams(hash);
    if (params.has("severity")) { sev.value = params.get("severity"); }
    if (params.has("role")) { role.value = params.get("role"); }
    if (params.has("q")) { text.value = params.get("q"); }
    var by = (params.get("sort") || "").toLowerCase();
    heads.forEach(function (th) {
      var button = th.querySelector("button.sort");
      if (by && button && th.textContent.trim().toLowerCase() === by) { button.click(); }
    });
  }

  sev.addEventListener("change", apply);
  role.addEventListener("change", apply);
  text.addEventListener("input", apply);
  controls.hidden = false;
  fromHash();
  // With no filter set every row stays as written: touching thousands of
  // rows only to show them would cost the load its speed.
  if (sev.value || role.value || text.value) {
    apply();
  } else {
    count.textContent = rows.length + " of " + rows.length + " endpoints";
  }
  doc.documentElement.dataset.js = "ready";
})();

(function () {
  "use strict";
  // The server table sorts by any column with a button in its heading,
  // like the endpoint table.
  var doc = document;
  var table = doc.getElementById("fleet-table");
  if (!table || !table.tBodies.length) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  sortable(table, rows, "servers");
})();

(function () {
  "use strict";
  // Server cards: filter by severity, verdict, site and the port role with
  // a problem. Reads data-* attributes only; like the table, a link such as
  // report.html#severity=critical&verdict=renew-backend&site=HQ&role=backend
  // opens the page filtered.
  var doc = document;
  var bar = doc.getElementById("card-filters");
  if (!bar) { return; }
  // Cards, act-now lines and server-table rows carry the same data-*
  // attributes, so one set of filters narrows all three.
  var cards = Array.prototype.slice.call(doc.querySelectorAll("article.server, li.action[data-host], tr.server-row"));
  var groups = Array.prototype.slice.call(doc.querySelectorAll("section.act-group"));
  var fields = {
    severity: doc.getElementById("c-severity"),
    verdict: doc.getElementById("c-verdict"),
    site: doc.getElementById("c-site"),
    role: doc.getElementById("c-role"),
    "server-role": doc.getElementById("c-serverRole")
  };
  var attrs = { severity: "severity", verdict: "verdict", site: "site", role: "roles", "server-role": "serverRole" };
  var count = doc.getElementById("c-count");
  var names = Object.keys(fields).filter(function (k) { return fields[k]; });
  var total = doc.querySelectorAll("article.server").length;

  function matches(card, name, value) {
    if (!value) { return true; }
    var have = card.dataset[attrs[name]] || "";
    if (name === "role") { return (" " + have + " ").indexOf(" " + value + " ") !== -1; }
    return have === value;
  }

  function apply() {
    var shown = 0;
    cards.forEach(function (card) {
      var keep = names.every(function (n) { return matches(card, n, fields[n].value); });
      card.hidden = !keep;
      if (keep && card.tagName === "ARTICLE") { shown += 1; }
    });
    groups.forEach(function (g) {
      var lines = g.querySelectorAll("li.action[data-host]");
      if (!lines.length) { return; }
      var any = Array.prototype.some.call(lines, function (li) { return !li.hidden; });
      g.hidden = !any;
    });
    count.textContent = shown + " of " + total + " servers";
  }

  var hash = window.location.hash.slice(1);
  if (hash.indexOf("=") !== -1 && typeof URLSearchParams !== "undefined") {
    var params = new URLSearchParams(hash);
    names.forEach(function (n) {
      // Only an offered value is taken; nothing from the URL becomes markup.
      if (params.has(n)) { fields[n].value = params.get(n); }
    });
  }
  names.forEach(function (n) { fields[n].addEventListener("change", apply); });
  bar.hidden = false;
  if (names.some(function (n) { return fields[n].value; })) {
    apply();
  } else {
    count.textContent = total + " of " + total + " servers";
  }
})();

(function () {
  "use strict";
  // Copy buttons: each copies the command in its own <code> element, as
  // written (never the prose around it). They are real buttons, so Tab
  // reaches them and Enter or Space presses them.
  var doc = document;
  function copied(button, ok) {
    button.textContent = ok ? "Copied" : "Select and copy";
    button.dataset.copied = ok ? "yes" : "no";
  }
  Array.prototype.forEach.call(doc.querySelectorAll("button.copy-button"), function (button) {
    var code = button.parentNode.querySelector("code");
    if (!code) { return; }
    // Each button says which command it copies: a screen reader user
    // tabbing through a page of "Copy" buttons can tell them apart.
    var what = code.textContent.replace(/\s+/g, " ").trim().slice(0, 80);
    button.setAttribute("aria-label", "Copy the command " + what);
    button.addEventListener("click", function () {
      var text = code.textContent;
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(function () { copied(button, true); },
          function () { copied(button, fallback(code)); });
      } else {
        copied(button, fallback(code));
      }
    });
    button.dataset.ready = "yes";
  });
  function fallback(code) {
    var range = doc.createRange();
    range.selectNodeContents(code);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    try { return doc.execCommand("copy"); } catch (e) { return false; }
  }
})();

(function () {
  "use strict";
  // When the page became usable: parsed, enhanced and the first screen laid
  // out, in milliseconds from the start of navigation. bench/large_report.sh
  // reads it; nothing else depends on it.
  var root = document.documentElement;
  void document.body.offsetHeight;
  root.dataset.readyMs = String(Math.round(performance.now()));
})();
})();
