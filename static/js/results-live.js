/* Live results: keeps a server-rendered results page current without reloading it.
   The page works without this script. With it, the page joins /ws/results/<election>/, swaps in the parts the
   server renders with the same templates (on maps, only the stations that changed). A page that is behind (it
   reconnected, or the server skipped frames while its connection was slow) gets one catch-up frame with every part
   whole. A page that missed a frame fetches the version it lacks from that version's immutable address
   (/results/<election>/v/<version>/<language>.json, which any cache or CDN may keep), and refetches the page itself
   only when it cannot apply that (the version is no longer kept, or the page shows a part frames do not carry).
   Figures that a new part changes (each carries data-figure and data-value) get a short highlight (class
   is-changed; the stylesheet animates it, or marks it without motion when the reader asks for reduced motion), and
   the card's own sentence (data-update-note, rendered by the server in the page's language) is read out through
   the page's one polite live region, at most once every ANNOUNCE_GAP milliseconds. */
(function () {
  "use strict";

  var root = document.querySelector("[data-results-live]");
  if (!root || !("WebSocket" in window)) {
    return;
  }
  var statusBox = root.querySelector("[data-live-status]");
  var lang = document.documentElement.lang || "en";
  var texts = {
    en: { live: "Live: updates appear by themselves.", reconnecting: "Reconnecting…", updated: "Updated" },
    ar: { live: "مباشر: تظهر التحديثات تلقائيًا.", reconnecting: "جارٍ إعادة الاتصال…", updated: "تم التحديث" },
  };
  var text = texts[lang.slice(0, 2)] || texts.en;
  var version = parseInt(root.getAttribute("data-version") || "0", 10);
  // The live parts of each version of /ws/results/<election>/ are kept at /results/<election>/v/<version>/<lang>.json.
  var versionsPath = (root.getAttribute("data-ws-path") || "").replace(/^\/ws\/results\//, "/results/") + "v/";
  // The version being fetched from its immutable address (0: none).
  var fetchingVersion = 0;
  var attempt = 0;
  var socket = null;
  // The server says in its hello how often it wants an acknowledgement (every n-th update).
  var ackEvery = 1;
  var unacknowledged = 0;
  var refetching = false;
  var refetchAgain = false;
  // Failed reloads in a row: a reload that fails (a server restarting, a crowd) is tried again with backoff, so a
  // page never stays behind until the next update, which may be a long time coming.
  var refetchFailures = 0;
  var refetchRetry = null;
  // Close code of the live channel: the election's results are not public (any more).
  var NOT_PUBLIC = 4404;
  // How long a page behind the hello waits for its catch-up frame before reloading its parts instead.
  var CATCH_UP_WAIT = 5000;
  var catchUpWait = null;
  // Screen readers hear what changed at most this often, however fast updates come, and about this many cards.
  var ANNOUNCE_GAP = 15000;
  // How long a changed figure stays highlighted: the stylesheet's animation (results.css, .is-changed).
  var HIGHLIGHT_MS = 1800;
  var MAX_NOTES = 2;
  var pendingNotes = [];
  var lastAnnounced = 0;
  var announceTimer = null;
  var stateText = null;
  var newsText = null;
  if (statusBox) {
    // One live region for both: whether the page is live (visible) and what the last updates changed (for screen
    // readers only). Not atomic, so each is read alone when it changes.
    statusBox.setAttribute("aria-atomic", "false");
    stateText = document.createElement("span");
    newsText = document.createElement("span");
    newsText.className = "visually-hidden";
    newsText.setAttribute("data-live-news", "");
    statusBox.textContent = "";
    statusBox.appendChild(stateText);
    statusBox.appendChild(newsText);
  }

  // Milliseconds to wait before the n-th attempt in a row: exponential backoff with full jitter, so a restarted
  // server is not hit by every viewer at once.
  function backoff(attempts) {
    return Math.random() * Math.min(30000, 1000 * Math.pow(2, attempts)) + 250;
  }

  function setStatus(state) {
    if (!statusBox) {
      return;
    }
    statusBox.hidden = false;
    statusBox.setAttribute("data-state", state);
    stateText.textContent = text[state];
  }

  // What a figure's highlight lights up: its row, its list item or its fact, else the figure itself.
  function highlighted(el, part) {
    var target = el.closest("tr, li, .facts__item");
    return target && part.contains(target) ? target : el;
  }

  // A figure's name within its part: a part holding several contests (a district's) names them within each section.
  function figureKey(el, part) {
    var section = el.closest("section");
    var sections = part.querySelectorAll("section");
    var place = section && part.contains(section) ? Array.prototype.indexOf.call(sections, section) : "";
    return place + ":" + el.getAttribute("data-figure");
  }

  function figuresOf(part) {
    var found = {};
    part.querySelectorAll("[data-figure]").forEach(function (el) {
      found[figureKey(el, part)] = {
        value: el.getAttribute("data-value"),
        changedAt: parseFloat(highlighted(el, part).getAttribute("data-changed-at") || "0"),
      };
    });
    return found;
  }

  // A candidate's bar stands in the bars list just before the table (a scroll hint may sit between them) at the place
  // of their row (both list the rows of one tally in one order), so it lights up with the row without a figure of
  // its own.
  function barOf(target) {
    if (target.tagName !== "TR" || !target.closest("tbody")) {
      return null;
    }
    var box = target.closest(".table-scroll");
    var list = box && box.previousElementSibling;
    while (list && list.classList.contains("table-scroll__hint")) {
      list = list.previousElementSibling;
    }
    var rows = target.parentElement.children;
    if (!list || !list.classList.contains("bars") || list.children.length !== rows.length) {
      return null;
    }
    return list.children[Array.prototype.indexOf.call(rows, target)];
  }

  function light(target, changedAt, now) {
    [target, barOf(target)].forEach(function (el) {
      if (!el) {
        return;
      }
      el.classList.add("is-changed");
      el.setAttribute("data-changed-at", String(changedAt));
      if (changedAt !== now) {
        el.style.setProperty("--changed-delay", changedAt - now + "ms");
      }
    });
  }

  // Highlight in `fresh` each figure whose value differs from `before` (or that is new). A figure highlighted by an
  // earlier update that has not faded yet keeps fading where it was, rather than vanishing with the part it was in.
  // Returns how many changed.
  function markChanges(before, fresh) {
    var changed = 0;
    var now = Date.now();
    fresh.querySelectorAll("[data-figure]").forEach(function (el) {
      var old = before[figureKey(el, fresh)];
      var target = highlighted(el, fresh);
      if (!old || old.value !== el.getAttribute("data-value")) {
        light(target, now, now);
        changed += 1;
      } else if (old.changedAt && now - old.changedAt < HIGHLIGHT_MS) {
        light(target, old.changedAt, now);
      }
    });
    return changed;
  }

  // Say what the last updates changed, through the live region: now, or once ANNOUNCE_GAP has passed since the last
  // time (the newest sentence of each card waits until then).
  function announce() {
    window.clearTimeout(announceTimer);
    announceTimer = null;
    if (!newsText || !pendingNotes.length) {
      return;
    }
    var wait = lastAnnounced + ANNOUNCE_GAP - Date.now();
    if (wait > 0) {
      announceTimer = window.setTimeout(announce, wait);
      return;
    }
    newsText.textContent = pendingNotes
      .slice(0, MAX_NOTES)
      .map(function (item) {
        return item.note;
      })
      .join(" ");
    pendingNotes = [];
    lastAnnounced = Date.now();
  }

  function noteChange(id, note) {
    pendingNotes = pendingNotes.filter(function (item) {
      return item.id !== id;
    });
    pendingNotes.push({ id: id, note: note });
  }

  function replacePart(id, html) {
    var current = root.querySelector('[data-live-part="' + id + '"]');
    if (!current) {
      return;
    }
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var fresh = holder.firstElementChild;
    if (fresh) {
      var changed = markChanges(figuresOf(current), fresh);
      current.replaceWith(fresh);
      if (changed && fresh.hasAttribute("data-update-note")) {
        noteChange(id, fresh.getAttribute("data-update-note"));
      }
    }
  }

  // A map travels as data once the page has it: recolour, restate and relabel only the stations that changed.
  function updateDots(id, changes) {
    var map = root.querySelector('[data-live-part="' + id + '"]');
    if (!map) {
      return;
    }
    Object.keys(changes).forEach(function (code) {
      var dot = map.querySelector('[data-station="' + CSS.escape(code) + '"]');
      if (!dot) {
        return;
      }
      var state = changes[code];
      dot.setAttribute("fill", state[0]);
      dot.setAttribute("class", "station-map__dot station-map__dot--" + state[1]);
      var label = dot.querySelector("title");
      if (label) {
        label.textContent = state[2];
      }
    });
  }

  function partsOnPage() {
    return Array.prototype.map.call(root.querySelectorAll("[data-live-part]"), function (el) {
      return el.getAttribute("data-live-part");
    });
  }

  // Reload the page's parts from the server: the snapshot as the server renders it now.
  function refetch() {
    if (refetching) {
      refetchAgain = true;
      return;
    }
    refetching = true;
    window.clearTimeout(refetchRetry);
    fetch(window.location.href, { headers: { Accept: "text/html" }, cache: "no-store" })
      .then(function (response) {
        return response.ok ? response.text() : Promise.reject(response.status);
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.querySelector("[data-results-live]");
        if (!fresh) {
          return;
        }
        var freshVersion = parseInt(fresh.getAttribute("data-version") || "0", 10);
        if (freshVersion < version) {
          return;
        }
        fresh.querySelectorAll("[data-live-part]").forEach(function (el) {
          replacePart(el.getAttribute("data-live-part"), el.outerHTML);
        });
        announce();
        version = freshVersion;
        root.setAttribute("data-version", String(version));
      })
      .then(
        function () {
          refetchFailures = 0;
          return true;
        },
        function () {
          refetchFailures += 1;
          return false;
        }
      )
      .then(function (loaded) {
        refetching = false;
        if (!loaded) {
          refetchRetry = window.setTimeout(refetch, backoff(refetchFailures));
        } else if (refetchAgain) {
          refetchAgain = false;
          refetch();
        }
      });
  }

  // A catch-up frame carries every live part whole: it applies whatever version the page held. False when it lacks
  // a part this page shows.
  function applyWhole(frame) {
    var parts = frame.parts || {};
    var onPage = partsOnPage();
    var whole = onPage.every(function (id) {
      return Object.prototype.hasOwnProperty.call(parts, id);
    });
    if (!whole) {
      return false;
    }
    onPage.forEach(function (id) {
      replacePart(id, parts[id]);
    });
    announce();
    version = frame.version;
    root.setAttribute("data-version", String(version));
    return true;
  }

  // Fetch version `target` whole from its immutable address; reload the page's parts when it cannot be applied.
  function catchUp(target) {
    if (!(target > version) || fetchingVersion >= target) {
      return;
    }
    fetchingVersion = target;
    fetch(versionsPath + target + "/" + encodeURIComponent(lang.slice(0, 2)) + ".json", {
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.ok ? response.json() : Promise.reject(response.status);
      })
      .then(function (frame) {
        if (frame.version > version && !applyWhole(frame)) {
          refetch();
        }
      })
      .catch(function () {
        if (target > version) {
          refetch();
        }
      })
      .then(function () {
        if (fetchingVersion === target) {
          fetchingVersion = 0;
        }
      });
  }

  function applyUpdate(frame) {
    if (frame.version <= version) {
      return;
    }
    var parts = frame.parts || {};
    var live = frame.live || Object.keys(parts);
    var onPage = partsOnPage();
    if (frame.full) {
      window.clearTimeout(catchUpWait);
      if (!applyWhole(frame)) {
        refetch();
      }
      return;
    }
    var covered = onPage.every(function (id) {
      return live.indexOf(id) !== -1;
    });
    // A page showing parts that broadcasts do not cover (district and station pages) reloads its parts.
    if (!covered) {
      refetch();
      return;
    }
    // A frame carries only the parts changed since version `previous`: it applies to a page holding exactly that
    // version; a page that missed one fetches this version whole.
    if (frame.previous !== version) {
      catchUp(frame.version);
      return;
    }
    var dots = frame.dots || {};
    onPage.forEach(function (id) {
      if (Object.prototype.hasOwnProperty.call(parts, id)) {
        replacePart(id, parts[id]);
      } else if (Object.prototype.hasOwnProperty.call(dots, id)) {
        updateDots(id, dots[id]);
      }
    });
    announce();
    version = frame.version;
    root.setAttribute("data-version", String(version));
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    // The page says which version it holds: when the server has a newer one, a catch-up frame follows the hello.
    socket = new WebSocket(
      scheme +
        window.location.host +
        root.getAttribute("data-ws-path") +
        "?lang=" +
        encodeURIComponent(lang.slice(0, 2)) +
        "&version=" +
        encodeURIComponent(String(version))
    );
    socket.onopen = function () {
      attempt = 0;
      setStatus("live");
    };
    socket.onmessage = function (event) {
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      if (frame.type === "hello") {
        ackEvery = frame.ack_every > 0 ? frame.ack_every : 1;
        unacknowledged = 0;
        // After a disconnect the page may be behind: the server sends a catch-up frame over the socket. Only if none
        // comes (an older server, a failure) does the page fetch the hello's version over HTTP.
        window.clearTimeout(catchUpWait);
        if (frame.version > version) {
          catchUpWait = window.setTimeout(function () {
            catchUp(frame.version);
          }, CATCH_UP_WAIT);
        }
      } else if (frame.type === "update") {
        applyUpdate(frame);
        // The server closes viewers that stop acknowledging (too slow to keep up); they resync on reconnect.
        unacknowledged += 1;
        if (unacknowledged >= ackEvery && socket.readyState === WebSocket.OPEN) {
          socket.send(JSON.stringify({ ack: frame.version }));
          unacknowledged = 0;
        }
      }
    };
    socket.onclose = function (event) {
      // The server's close codes are listed in results/consumers.py. Only "not public" (4404) ends the live view;
      // after any other (4008 too slow, the 40xx refusals of a message, a restart) the page reconnects and resyncs.
      if (event.code === NOT_PUBLIC) {
        if (statusBox) {
          statusBox.hidden = true;
        }
        return;
      }
      setStatus("reconnecting");
      attempt += 1;
      window.setTimeout(connect, backoff(attempt));
    };
  }

  connect();
})();
