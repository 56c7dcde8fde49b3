/* Ballot-by-ballot entry without page reloads. The page works without this script (a plain form); with it, each
   ballot is queued in localStorage under its own idempotency key and sent to the entry API, so a ballot survives a
   network drop or a reload and is counted once however often it is resent. */
(function () {
  "use strict";

  var form = document.getElementById("ballot-form");
  if (!form || !window.fetch || !window.localStorage) {
    return;
  }
  var d = form.dataset;
  var maxChoices = parseInt(d.maxChoices, 10) || 1;
  var storageKey = "vt-ballot-queue:" + d.station + ":" + d.contest;
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var countEl = document.getElementById("ballot-count");
  var pendingEl = document.getElementById("ballot-pending");
  var statusEl = document.getElementById("ballot-status");
  var undoBallot = document.querySelector("#undo-form input[name=ballot_id]");
  var undoButton = document.getElementById("undo-button");
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[name=marks]"));
  var sending = false;
  var retryTimer = null;

  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return "ballot-" + hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" +
      hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function loadQueue() {
    try {
      return JSON.parse(localStorage.getItem(storageKey) || "[]");
    } catch (e) {
      return [];
    }
  }

  function saveQueue(queue) {
    localStorage.setItem(storageKey, JSON.stringify(queue));
    pendingEl.hidden = queue.length === 0;
    pendingEl.textContent = "· " + d.msgPending.replace("%(n)s", String(queue.length));
  }

  function say(text) {
    statusEl.textContent = text;
  }

  function checked() {
    return boxes.filter(function (box) { return box.checked; });
  }

  function scheduleRetry() {
    if (retryTimer === null) {
      retryTimer = window.setTimeout(function () { retryTimer = null; flush(); }, 3000);
    }
  }

  function flush() {
    var queue = loadQueue();
    if (sending || queue.length === 0) {
      return Promise.resolve(queue.length === 0);
    }
    sending = true;
    var item = queue[0];
    return fetch(d.api, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Idempotency-Key": item.key },
      body: JSON.stringify(item.body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        sending = false;
        var transient = response.status >= 500 || response.status === 409 || response.status === 401 ||
          (response.status === 403 && body.error && body.error.code === "http_error");
        if (transient) {
          say(d.msgOffline);
          scheduleRetry();
          return false;
        }
        queue = loadQueue();
        queue.shift();
        saveQueue(queue);
        if (response.ok) {
          countEl.textContent = String(parseInt(countEl.textContent, 10) + 1);
          if (undoBallot && body.ballot_id) {
            undoBallot.value = body.ballot_id;
            undoButton.disabled = false;
          }
          say(d.msgRecorded);
        } else {
          // A person is told what happened, not which key of the API it happened to.
          var reused = body.error && body.error.code === "idempotency_key_reused";
          say(d.msgRefused + " " + (reused ? d.msgReused : ((body.error && body.error.message) || response.status)));
        }
        return flush();
      });
    }).catch(function () {
      sending = false;
      say(d.msgOffline);
      scheduleRetry();
      return false;
    });
  }

  function record(kind) {
    var marks = kind === "marked" ? checked().map(function (box) { return parseInt(box.value, 10); }) : [];
    if (kind === "marked" && marks.length === 0) {
      say(d.msgNone);
      return;
    }
    var queue = loadQueue();
    queue.push({
      key: newKey(),
      body: { station_id: parseInt(d.station, 10), contest_id: parseInt(d.contest, 10), kind: kind, marks: marks }
    });
    saveQueue(queue);
    boxes.forEach(function (box) { box.checked = false; });
    if (boxes.length) {
      boxes[0].focus();
    }
    flush();
  }

  function typing(target) {
    return target && (target.tagName === "TEXTAREA" || target.tagName === "SELECT" ||
      (target.tagName === "INPUT" && target.type !== "checkbox"));
  }

  boxes.forEach(function (box) {
    box.addEventListener("change", function () {
      if (box.checked && checked().length > maxChoices) {
        box.checked = false;
        say(d.msgTooMany);
      }
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) {
      return;
    }
    if (event.target && event.target.tagName === "BUTTON" && event.target.form !== form) {
      return;
    }
    if (event.key === "Enter" && !(event.target && event.target.tagName === "BUTTON")) {
      event.preventDefault();
      record("marked");
      return;
    }
    // Blank and invalid by the key's place on the keyboard, so that they work whatever its layout.
    var kind = { KeyB: "blank", KeyI: "invalid" }[event.code];
    if (kind && !event.shiftKey) {
      event.preventDefault();
      record(kind);
      return;
    }
    var step = { ArrowDown: 1, ArrowUp: -1 }[event.key];
    var at = boxes.indexOf(event.target);
    if (step && at !== -1) {
      // Any candidate, beyond the ten that have a key, is reached with the arrows (or Tab) and marked with Space.
      event.preventDefault();
      boxes[(at + step + boxes.length) % boxes.length].focus();
      return;
    }
    var box = boxes.filter(function (b) { return b.dataset.key === event.key; })[0];
    if (box) {
      event.preventDefault();
      box.checked = !box.checked;
      box.dispatchEvent(new Event("change"));
      box.focus();
    }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var kind = event.submitter && event.submitter.value ? event.submitter.value : "marked";
    record(kind);
  });

  Array.prototype.forEach.call(document.querySelectorAll(".js-wait-for-queue"), function (other) {
    other.addEventListener("submit", function (event) {
      if (loadQueue().length === 0) {
        return;
      }
      event.preventDefault();
      say(d.msgWait);
      (function submitWhenSent() {
        flush().then(function (empty) {
          if (empty) {
            other.submit();
          } else {
            window.setTimeout(submitWhenSent, 1000);
          }
        });
      })();
    });
  });

  window.addEventListener("online", flush);
  saveQueue(loadQueue());
  flush();
})();
