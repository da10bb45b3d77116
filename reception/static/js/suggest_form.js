/* Category suggestions on the registration form: a moment after the operator stops
   typing the subject or the text (about 400 ms), the form asks the desk's suggest
   address and shows the first categories with their confidence, the model's state
   while it learns, or that the first suggestion needs a careful look. Nothing is asked
   for an empty text, and an answer to an older text never replaces a newer one. */
(function () {
  "use strict";
  var configNode = document.getElementById("suggest-config");
  var form = document.querySelector("form[data-suggest-form]");
  var out = document.querySelector("[data-suggest-live]");
  if (!configNode || !form || !out || !window.fetch || !window.URLSearchParams) return;
  var config = JSON.parse(configNode.textContent);
  var subject = form.querySelector("#subject");
  var body = form.querySelector("#body");
  var csrf = form.querySelector("input[name=csrf_token]");
  var WAIT_MS = 400;
  var LEARNING_RETRY_MS = 3000;
  var timer = null;
  var asked = 0;  // the number of the newest question; older answers are dropped
  var lastKey = null;
  var shown = "";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function percent(value) {
    return el("bdi", { dir: "ltr" }, [Math.round((value || 0) * 100) + "%"]);
  }

  function show(nodes, kind) {
    var box = el("div", { "class": "suggest-answer suggest-" + kind }, nodes);
    // Only a change is written (and so announced): the same answer again stays quiet.
    if (box.innerHTML === shown) return;
    shown = box.innerHTML;
    out.replaceChildren.apply(out, nodes.length ? [box] : []);
  }

  function answer(data) {
    if (data.state === "learning") {
      show([el("p", {}, [config.learning + " ", percent(data.progress)])], "learning");
      lastKey = null;  // ask again a little later: the model may be ready by then
      schedule(LEARNING_RETRY_MS);
      return;
    }
    if (data.state === "too_few_examples") return show([el("p", {}, [config.too_few])], "few");
    if (data.state === "off") return show([el("p", {}, [config.off])], "off");
    var items = (data.suggestions || []).filter(function (s) { return config.names[s.category]; });
    if (!items.length) return show([el("p", {}, [config.none])], "none");
    var lead = el("p", { "class": "suggest-lead" }, [config.lead]);
    if (data.careful_look) {
      lead.appendChild(document.createTextNode(" "));
      lead.appendChild(el("span", { "class": "badge badge-careful" }, [config.careful]));
    }
    var list = el("ul", { "class": "suggest-list" }, items.map(function (s, i) {
      return el("li", i === 0 && !data.careful_look ? { "class": "suggest-first" } : {}, [
        config.names[s.category] + " ", el("small", { "class": "muted" }, [percent(s.confidence)])
      ]);
    }));
    show([lead, list], data.careful_look ? "careful" : "ready");
  }

  function ask() {
    timer = null;
    var key = subject.value.trim() + "\u0000" + body.value.trim();
    if (key === "\u0000") {  // nothing typed: nothing to ask
      asked += 1;
      lastKey = key;
      show([], "empty");
      return;
    }
    if (key === lastKey) return;
    lastKey = key;
    asked += 1;
    var mine = asked;
    var data = new URLSearchParams();
    data.append("csrf_token", csrf ? csrf.value : "");
    data.append("subject", subject.value.slice(0, 200));
    data.append("body", body.value.slice(0, 20000));
    fetch(config.url, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      return response.json().then(function (json) { return { ok: response.ok, json: json }; });
    }).then(function (result) {
      if (mine !== asked) return;  // a newer text was asked about meanwhile
      if (!result.ok) {
        lastKey = null;
        var message = result.json && result.json.error && result.json.error.message;
        return show([el("p", {}, [message || config.failed])], "failed");
      }
      answer(result.json);
    }).catch(function () {
      if (mine !== asked) return;
      lastKey = null;
      show([el("p", {}, [config.failed])], "failed");
    });
  }

  function schedule(delay) {
    if (timer) clearTimeout(timer);
    timer = setTimeout(ask, delay);
  }

  function typed() { schedule(WAIT_MS); }
  subject.addEventListener("input", typed);
  body.addEventListener("input", typed);
  if (subject.value.trim() || body.value.trim()) schedule(0);  // a form shown again
})();
