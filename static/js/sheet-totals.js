/* The vote-type grid of a tally sheet: each candidate's total, each vote type's total and the sum of all votes add
   up as the clerk types; and whether the sheet adds up to its ballots cast. Without this script the form works the
   same; the totals are then those of the last post. */
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

  // Where a ballot marks one choice, votes and the other counts must make the ballots cast: said as the clerk types.
  Array.prototype.forEach.call(document.querySelectorAll("[data-sheet-check]"), function (check) {
    var form = check.closest("form");
    var cast = form.querySelector("input[name=ballots_cast]");
    var parts = form.querySelectorAll(
      "input[name^=votes_], input[name=blank], input[name=invalid], input[name=undervotes], input[name=overvotes]"
    );

    function say() {
      var total = 0;
      Array.prototype.forEach.call(parts, function (input) {
        total += valueOf(input);
      });
      var expected = valueOf(cast);
      check.hidden = cast.value.trim() === "" || isNaN(total) || isNaN(expected);
      if (check.hidden) {
        return;
      }
      var even = total === expected;
      check.classList.toggle("sheet-check--off", !even);
      check.textContent = (even ? check.dataset.msgEven : check.dataset.msgOff)
        .replace("%(sum)s", String(total)).replace("%(cast)s", String(expected));
    }

    form.addEventListener("input", say);
    say();
  });
})();
