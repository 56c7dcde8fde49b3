/* Results tables and "find my polling station", enhanced. Without this script every table is whole, sorts through
   the links in its headers (?sort=…&dir=…, on the server) and the station search is a form that lists matches.
   With it:
   - a table wider than its box shows a fade at the edge it scrolls to and says "scroll sideways", visibly and to
     screen readers (the region's description), only while it overflows;
   - the station tables' header links become sort buttons that sort in place by the same numbers as the server
     (each row carries them), and a filter box hides the rows whose code or name does not match;
   - the station search box suggests stations as one types (the ARIA combobox pattern).
   The live script replaces parts of the page as results come in; this one enhances the new parts again and keeps
   what the reader typed in a filter. */
(function () {
  "use strict";

  var texts = {};
  try {
    texts = JSON.parse(document.getElementById("results-table-texts").textContent);
  } catch (error) {
    texts = {};
  }

  function format(template, values) {
    return String(template || "").replace(/%\((\w+)\)s/g, function (match, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : match;
    });
  }

  // The same normal form as results/station_search.py: folded case, no diacritics, one form of each Arabic letter.
  var LETTERS = { "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ئ": "ي", "ؤ": "و", "ة": "ه", "ـ": "" };
  function foldLetters(text) {
    return text
      .replace(/[أإآٱىئؤةـ]/g, function (letter) {
        return LETTERS[letter];
      })
      .replace(/[\u0660-\u0669]/g, function (digit) {
        return String(digit.charCodeAt(0) - 0x0660);
      })
      .replace(/[\u06f0-\u06f9]/g, function (digit) {
        return String(digit.charCodeAt(0) - 0x06f0);
      });
  }
  function normalise(text) {
    var bare = foldLetters(String(text)).normalize("NFKD").replace(/[\p{M}\p{Cf}]/gu, "");
    return foldLetters(bare.normalize("NFKC")).toLowerCase();
  }

  var counter = 0;
  function newId(prefix) {
    counter += 1;
    return prefix + "-" + counter;
  }

  // ---- Scroll boxes: a cue at the edge that has more, and a hint while the table is wider than its box. ----

  function watchScrollBox(box) {
    box.setAttribute("data-scroll-watched", "");
    var hint = document.createElement("p");
    hint.className = "table-scroll__hint";
    hint.id = newId("table-hint");
    hint.hidden = true;
    hint.textContent = texts.scrollHint || "";
    box.parentNode.insertBefore(hint, box);

    function update() {
      var overflow = box.scrollWidth - box.clientWidth > 1;
      // Right to left, scrollLeft runs from 0 down to negative numbers: its size is the distance from the start.
      var fromStart = Math.abs(box.scrollLeft);
      box.classList.toggle("is-scrollable", overflow);
      box.classList.toggle("has-more-start", overflow && fromStart > 1);
      box.classList.toggle("has-more-end", overflow && fromStart + box.clientWidth < box.scrollWidth - 1);
      if (hint.hidden === overflow) {
        hint.hidden = !overflow;
        if (overflow) {
          box.setAttribute("aria-describedby", hint.id);
        } else {
          box.removeAttribute("aria-describedby");
        }
      }
    }

    box.addEventListener("scroll", update, { passive: true });
    if ("ResizeObserver" in window) {
      var observer = new ResizeObserver(update);
      observer.observe(box);
      if (box.firstElementChild) {
        observer.observe(box.firstElementChild);
      }
    } else {
      window.addEventListener("resize", update);
    }
    update();
  }

  // ---- Station tables: sort buttons and a filter box. ----

  var TEXT_KEYS = { station: true, leader: true };
  // What the reader typed in each table's filter, and which one had the focus: kept when a live update replaces it.
  var filters = {};
  var focusedFilter = null;

  function candidateKeys(table) {
    return Array.prototype.map.call(table.querySelectorAll("thead th[data-sort-key^='c']"), function (th) {
      return th.getAttribute("data-sort-key");
    });
  }

  function rowValue(row, key, candidates) {
    var raw;
    if (key === "station") {
      raw = row.getAttribute("data-i");
    } else if (candidates.indexOf(key) !== -1) {
      var votes = (row.getAttribute("data-votes") || "").split(" ");
      raw = votes[candidates.indexOf(key)];
    } else {
      raw = row.getAttribute("data-" + key);
    }
    return raw === undefined || raw === null || raw === "" ? null : parseFloat(raw);
  }

  // One order with the server's: a missing number last either way, equal rows in the order of their station codes.
  function sortTable(table, key, descending) {
    var header = table.querySelector("thead th[data-sort-key='" + key + "']");
    if (!header) {
      return false;
    }
    var candidates = candidateKeys(table);
    var body = table.tBodies[0];
    var rows = Array.prototype.map.call(body.rows, function (row) {
      return { row: row, value: rowValue(row, key, candidates), index: parseInt(row.getAttribute("data-i"), 10) };
    });
    rows.sort(function (a, b) {
      if (a.value === null || b.value === null) {
        return a.value === b.value ? a.index - b.index : a.value === null ? 1 : -1;
      }
      if (a.value !== b.value) {
        return descending ? b.value - a.value : a.value - b.value;
      }
      return a.index - b.index;
    });
    var ordered = document.createDocumentFragment();
    rows.forEach(function (item) {
      ordered.appendChild(item.row);
    });
    body.appendChild(ordered);
    table.querySelectorAll("thead th[data-sort-key]").forEach(function (th) {
      if (th === header) {
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
      } else {
        th.removeAttribute("aria-sort");
      }
    });
    return true;
  }

  function sortPage(key, descending) {
    document.querySelectorAll("[data-station-table] table").forEach(function (table) {
      sortTable(table, key, descending);
    });
    // The address says the order, so a reload, a shared link and the live script's refetch keep it.
    if (window.history && window.history.replaceState) {
      var url = new URL(window.location.href);
      url.searchParams.set("sort", key);
      url.searchParams.set("dir", descending ? "desc" : "asc");
      window.history.replaceState(window.history.state, "", url.toString());
    }
  }

  function addSortButtons(table) {
    table.querySelectorAll("thead th[data-sort-key]").forEach(function (th) {
      var link = th.querySelector("a.sort-control");
      if (!link) {
        return;
      }
      var key = th.getAttribute("data-sort-key");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort-control";
      while (link.firstChild) {
        button.appendChild(link.firstChild);
      }
      button.addEventListener("click", function () {
        var current = th.getAttribute("aria-sort");
        var descending = current ? current === "ascending" : !TEXT_KEYS[key];
        sortPage(key, descending);
      });
      link.replaceWith(button);
    });
  }

  function applyFilter(box, input, status) {
    var words = normalise(input.value).split(/\s+/).filter(Boolean);
    var rows = box.querySelectorAll("tbody tr");
    var shown = 0;
    rows.forEach(function (row) {
      var text = row.getAttribute("data-search") || "";
      var match = words.every(function (word) {
        return text.indexOf(word) !== -1;
      });
      row.hidden = !match;
      if (match) {
        shown += 1;
      }
    });
    status.textContent = words.length ? format(texts.filterCount, { shown: shown, total: rows.length }) : "";
  }

  function addFilter(box) {
    var scroll = box.querySelector(".table-scroll");
    if (!scroll) {
      return;
    }
    var key = box.id || "";
    var holder = document.createElement("div");
    holder.className = "table-filter";
    var input = document.createElement("input");
    input.type = "search";
    input.id = newId("table-filter");
    input.className = "table-filter__input";
    input.autocomplete = "off";
    input.spellcheck = false;
    var label = document.createElement("label");
    label.htmlFor = input.id;
    label.className = "table-filter__label";
    label.textContent = texts.filterLabel || "";
    var status = document.createElement("p");
    status.className = "table-filter__count";
    status.setAttribute("role", "status");
    holder.appendChild(label);
    holder.appendChild(input);
    holder.appendChild(status);
    box.insertBefore(holder, box.firstChild);
    input.addEventListener("input", function () {
      filters[key] = input.value;
      applyFilter(box, input, status);
    });
    input.addEventListener("focus", function () {
      focusedFilter = key;
    });
    input.addEventListener("blur", function () {
      // Focus moving elsewhere, not the part being replaced under it.
      window.setTimeout(function () {
        if (input.isConnected && focusedFilter === key) {
          focusedFilter = null;
        }
      }, 0);
    });
    if (filters[key]) {
      input.value = filters[key];
      applyFilter(box, input, status);
    }
    if (focusedFilter === key && (document.activeElement === document.body || !document.activeElement)) {
      input.focus();
      input.setSelectionRange(input.value.length, input.value.length);
    }
  }

  function enhanceStationTable(box) {
    box.setAttribute("data-enhanced", "");
    var table = box.querySelector("table");
    if (table) {
      addSortButtons(table);
    }
    addFilter(box);
  }

  // ---- "Find my polling station": suggestions as one types, as an ARIA combobox. ----

  function enhanceFinder(form) {
    form.setAttribute("data-enhanced", "");
    var input = form.querySelector("input[name='q']");
    var url = form.getAttribute("data-suggest-url");
    if (!input || !url || !window.fetch) {
      return;
    }
    var list = document.createElement("ul");
    list.id = newId("station-suggestions");
    list.className = "find-station__list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", texts.suggestions || "");
    list.hidden = true;
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    form.appendChild(list);
    form.appendChild(status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    var options = [];
    var active = -1;
    var timer = null;
    var asked = 0;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function setActive(index) {
      options.forEach(function (option, at) {
        option.setAttribute("aria-selected", at === index ? "true" : "false");
      });
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function show(body) {
      list.textContent = "";
      options = (body.stations || []).map(function (station, at) {
        var option = document.createElement("li");
        option.id = list.id + "-" + at;
        option.className = "find-station__option";
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        var code = document.createElement("bdi");
        code.className = "station-table__code";
        code.textContent = station.code;
        var name = document.createElement("bdi");
        name.textContent = station.name;
        option.appendChild(code);
        option.appendChild(document.createTextNode(" "));
        option.appendChild(name);
        if (station.district) {
          var where = document.createElement("span");
          where.className = "muted";
          where.appendChild(document.createTextNode(" · "));
          var district = document.createElement("bdi");
          district.textContent = station.district;
          where.appendChild(district);
          option.appendChild(where);
        }
        option.setAttribute("data-url", station.url);
        // Keep the focus in the box until the click lands.
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
        });
        option.addEventListener("click", function () {
          window.location.assign(station.url);
        });
        list.appendChild(option);
        return option;
      });
      active = -1;
      input.removeAttribute("aria-activedescendant");
      var open = options.length > 0;
      list.hidden = !open;
      input.setAttribute("aria-expanded", open ? "true" : "false");
      var said = open ? format(texts.found, { count: options.length }) : texts.nothingFound || "";
      status.textContent = body.more ? said + " " + (texts.foundMore || "") : said;
    }

    function suggest() {
      var query = input.value.trim();
      asked += 1;
      var mine = asked;
      if (!query) {
        close();
        status.textContent = "";
        return;
      }
      fetch(url + "?q=" + encodeURIComponent(query), { headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : Promise.reject(response.status);
        })
        .then(function (body) {
          // An answer to an older keystroke than the last one asked is dropped.
          if (mine === asked) {
            show(body);
          }
        })
        .catch(function () {
          close();
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(suggest, 200);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!options.length) {
          return;
        }
        event.preventDefault();
        if (list.hidden) {
          list.hidden = false;
          input.setAttribute("aria-expanded", "true");
        }
        var next = active + (event.key === "ArrowDown" ? 1 : -1);
        if (next >= options.length) {
          next = 0;
        } else if (next < 0) {
          next = options.length - 1;
        }
        setActive(next);
      } else if (event.key === "Enter" && active >= 0 && !list.hidden) {
        event.preventDefault();
        window.location.assign(options[active].getAttribute("data-url"));
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", function () {
      window.setTimeout(close, 150);
    });
  }

  // ---- Enhance what is on the page, and what the live script puts in later. ----

  function enhance() {
    document.querySelectorAll(".table-scroll:not([data-scroll-watched])").forEach(watchScrollBox);
    document.querySelectorAll("[data-station-table]:not([data-enhanced])").forEach(enhanceStationTable);
    document.querySelectorAll("form[data-find-station]:not([data-enhanced])").forEach(enhanceFinder);
  }

  var pending = false;
  function enhanceSoon() {
    if (!pending) {
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        enhance();
      });
    }
  }

  function start() {
    enhance();
    if ("MutationObserver" in window) {
      new MutationObserver(function (mutations) {
        var added = mutations.some(function (mutation) {
          return mutation.addedNodes.length > 0 && mutation.target.nodeName !== "TBODY";
        });
        if (added) {
          enhanceSoon();
        }
      }).observe(document.body, { childList: true, subtree: true });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
