// mfaguard report and dashboard: filters and sorting for result tables.
// The page is complete without it: every row is in the HTML, and the
// filter form stays hidden when scripts do not run.
(function () {
  "use strict";

  function applyFilters(form, table) {
    var selects = form.querySelectorAll("select[data-filter]");
    var rows = table.tBodies[0].rows;
    var shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      var visible = true;
      for (var j = 0; j < selects.length; j++) {
        var wanted = selects[j].value;
        if (wanted !== "" && row.getAttribute("data-" + selects[j].getAttribute("data-filter")) !== wanted) {
          visible = false;
        }
      }
      row.hidden = !visible;
      if (visible) { shown++; }
    }
    var counter = form.querySelector("output");
    if (counter) { counter.textContent = shown + " of " + rows.length + " shown"; }
  }

  function sortBy(table, header, column) {
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var headers = table.tHead.rows[0].cells;
    for (var i = 0; i < headers.length; i++) { headers[i].removeAttribute("aria-sort"); }
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var numeric = header.hasAttribute("data-numeric");
    rows.sort(function (a, b) {
      var x = a.cells[column].getAttribute("data-sort") || a.cells[column].textContent;
      var y = b.cells[column].getAttribute("data-sort") || b.cells[column].textContent;
      var order = numeric ? Number(x) - Number(y) : x.localeCompare(y);
      return ascending ? order : -order;
    });
    for (var k = 0; k < rows.length; k++) { body.appendChild(rows[k]); }
  }

  function makeSortable(table) {
    var headers = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(headers, function (header, column) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.textContent = header.textContent;
      header.textContent = "";
      header.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, header, column); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var tables = document.querySelectorAll("table.sortable");
    for (var i = 0; i < tables.length; i++) { makeSortable(tables[i]); }
    var forms = document.querySelectorAll("form.filters[data-table]");
    Array.prototype.forEach.call(forms, function (form) {
      var table = document.getElementById(form.getAttribute("data-table"));
      if (!table) { return; }
      form.hidden = false;
      form.addEventListener("change", function () { applyFilters(form, table); });
      form.addEventListener("reset", function () {
        setTimeout(function () { applyFilters(form, table); }, 0);
      });
      applyFilters(form, table);
    });
  });
})();
