/* The live triage desk and department inbox: a snapshot of the list with each
   channel's sequence number, then deltas. A letter whose new status belongs in this
   list is shown (or updated in place); any other status takes it off the list. A gap
   in a channel's numbers, a resync notice or a silent socket brings a fresh snapshot;
   a lost connection is retried with backoff. */
(function () {
  "use strict";
  var configNode = document.getElementById("live-letters");
  var list = document.querySelector("[data-live-list]");
  if (!configNode || !list || !window.WebSocket) return;
  var config = JSON.parse(configNode.textContent);
  var tableBox = list.querySelector("[data-live-table]");
  var body = list.querySelector("tbody");
  var withSuggestion = !!list.querySelector("table[data-suggest]");
  var empty = document.querySelector("[data-live-empty]");
  var count = list.querySelector("[data-live-count]");
  var state = document.querySelector("[data-live-state]");
  var plural = window.Intl && Intl.PluralRules ? new Intl.PluralRules(config.lang) : null;
  var rows = new Map();
  var statuses = new Set();
  var SLA_ORDER = { late: 0, near: 1, ok: 2 };

  function setOnline(online) {
    if (!state) return;
    state.hidden = false;
    state.textContent = state.getAttribute(online ? "data-online" : "data-offline");
    state.classList.toggle("offline", !online);
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function suggestionCell(r) {
    var s = r.suggestion;
    var cell = el("td", { "class": "suggested" });
    if (s && s.careful_look) {
      cell.appendChild(el("span", {
        "class": "badge badge-careful", title: s["name_" + config.lang] + " " + s.percent + "%"
      }, [config.careful]));
    } else if (s) {
      cell.appendChild(document.createTextNode(s["name_" + config.lang] + " "));
      cell.appendChild(el("small", { "class": "muted nowrap" }, [
        el("bdi", { dir: "ltr" }, [s.percent + "%"])
      ]));
    } else if (r.status === "received" || r.status === "returned") {
      cell.appendChild(el("span", { "class": "muted" }, ["—"]));
    }
    return cell;
  }

  function rowOf(r) {
    var since = (r.since_text && r.since_text[config.lang]) || "";
    var category = r["category_name_" + config.lang] || "—";
    var status = el("td", {}, [(config.statuses[r.status] || r.status)]);
    if (r.sla === "late" || r.sla === "near") {
      status.appendChild(document.createTextNode(" "));
      status.appendChild(el("span", { "class": "badge badge-" + r.sla }, [config[r.sla]]));
    }
    var cells = [
      el("td", { "class": "nowrap" }, [
        el("a", { href: "/staff/letters/" + r.id }, [el("bdi", { dir: "ltr" }, [r.reference])])
      ]),
      el("td", { "class": "subject" }, [el("bdi", { dir: "auto" }, [r.subject])]),
      el("td", {}, [
        el("bdi", { dir: "auto" }, [r.sender]), " ",
        el("small", { "class": "muted nowrap" }, [el("bdi", { dir: "ltr" }, [r.sender_id])])
      ]),
      el("td", {}, [category])
    ];
    if (withSuggestion) cells.push(suggestionCell(r));
    cells.push(status, el("td", { "class": "nowrap" }, [el("bdi", { dir: "ltr" }, [since])]));
    return el("tr", { "class": "sla-" + r.sla, "data-letter": String(r.id) }, cells);
  }

  function signature(tr) {
    return tr.className + "|" + Array.prototype.map.call(tr.cells, function (td) {
      return td.textContent.replace(/\s+/g, " ").trim();
    }).join("|");
  }

  function countText(n) {
    var category = plural ? plural.select(n) : (n === 1 ? "one" : "other");
    var form = config.counts[category] || config.counts.other;
    return form.replace("%(num)s", String(n));
  }

  function render() {
    var sorted = Array.from(rows.values()).sort(function (a, b) {
      return (SLA_ORDER[a.sla] - SLA_ORDER[b.sla]) ||
        (Date.parse(a.status_since) - Date.parse(b.status_since));
    });
    if (body) {
      // Rows that read the same stay the same nodes (a snapshot that changed nothing
      // leaves the page, its focus and its selection alone).
      var shown = new Map();
      Array.prototype.forEach.call(body.querySelectorAll("tr[data-letter]"), function (tr) {
        shown.set(tr.getAttribute("data-letter"), tr);
      });
      var wanted = sorted.map(function (r) {
        var fresh = rowOf(r);
        var old = shown.get(String(r.id));
        return old && signature(old) === signature(fresh) ? old : fresh;
      });
      var current = Array.prototype.slice.call(body.children);
      var same = wanted.length === current.length &&
        wanted.every(function (node, i) { return node === current[i]; });
      if (!same) body.replaceChildren.apply(body, wanted);
    }
    var none = sorted.length === 0;
    if (tableBox) tableBox.hidden = none;
    if (list.hasAttribute("data-live-hide-empty")) list.hidden = none;
    if (empty) empty.hidden = !none;
    var text = countText(sorted.length);
    if (count && count.textContent !== text) count.textContent = text;
  }

  function snapshot(msg) {
    statuses = new Set(msg.statuses);
    rows = new Map();
    msg.rows.forEach(function (r) { rows.set(r.id, r); });
    render();
  }

  function delta(msg) {
    var letter = msg.letter;
    if (!letter) return;  // a letter this account does not see: only its number counts
    if (statuses.has(letter.status)) rows.set(letter.id, letter);
    else rows.delete(letter.id);
    render();
  }

  window.ReceptionLive.connect({
    url: config.url,
    heartbeatSeconds: config.heartbeat,
    sequence: window.ReceptionLive.channelSequences(),
    onStatus: setOnline,
    onSnapshot: snapshot,
    onDelta: delta
  });
})();
