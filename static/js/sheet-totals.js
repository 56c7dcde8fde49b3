/* The vote-type grid of a tally sheet: each candidate's total, each vote type's total and the sum of all votes add
   up as the clerk types. Without this script the form works the same; the totals are then those of the last post. */
(function () {
  "use strict";

  var grids = document.querySelectorAll("[data-vote-grid]");

  // A cell's number, 0 when empty, NaN when it is not a whole number (the server says why when the form is sent).
  function valueOf(input) {
    var text = input.value.trim();
    if (text === "") {
      return 0;
    }
    return /^[0-9]{1,9}$/.test(text) ? parseInt(text, 10) : NaN;
  }

  function show(output, total) {
    output.textContent = isNaN(total) ? "—" : String(total);
  }

  function update(grid) {
    var rows = grid.querySelectorAll("tbody tr");
    var columns = [];
    var all = 0;
    Array.prototype.forEach.call(rows, function (row, index) {
      var total = 0;
      Array.prototype.forEach.call(row.querySelectorAll("input"), function (input, column) {
        var n = valueOf(input);
        total += n;
        columns[column] = (columns[column] || 0) + n;
      });
      all += total;
      var output = grid.querySelector('output[data-total-row="' + index + '"]');
      if (output) {
        show(output, total);
      }
    });
    columns.forEach(function (total, column) {
      var output = grid.querySelector('output[data-total-column="' + column + '"]');
      if (output) {
        show(output, total);
      }
    });
    var grand = grid.querySelector('output[data-total-column="all"]');
    if (grand) {
      show(grand, all);
    }
  }

  Array.prototype.forEach.call(grids, function (grid) {
    grid.addEventListener("input", function () {
      update(grid);
    });
    update(grid);
  });
})();
