/* The requester's chat: on the help center's chat page (an element #helpdesk-chat) or on
   any page of the platform (<script src=".../static/chat/widget.js" data-helpdesk="https://help.example"
   data-language="es" defer>), where it adds a button that opens it. Words come from the
   helpdesk in the requester's language; messages are stored before they show as sent, and a
   message is sent again with the same id until the helpdesk has it (never twice). */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = (script && script.getAttribute("data-helpdesk")) || (script ? new URL(script.src).origin : "");
  var lang = (script && script.getAttribute("data-language")) || document.documentElement.lang || "en";
  var STORE = "helpdesk-chat-token";
  var S = {}, push = base, token = null, lastId = 0, source = null, failures = 0, pollTimer = null;
  var seen = {}, typingTimer = null, lineTimer = null, lastLine = 0, lastTyping = 0, state = "", root, log, status, form, composer;
  var retryTimer = null, retries = 0;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }
  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, k) { return values[k] == null ? "" : values[k]; });
  }
  function api(method, path, body) {
    var options = { method: method, headers: {} };
    if (body) { options.headers["Content-Type"] = "application/json"; options.body = JSON.stringify(body); }
    // No answer at all (the network, a dropped connection): the widget's own words, not
    // the browser's English "Failed to fetch".
    return fetch(base + "/help/chat/" + path, options).catch(function () {
      var e = new Error(S.error); e.status = 0; throw e;
    }).then(function (r) {
      return r.text().then(function (t) {
        var data = t ? JSON.parse(t) : {};
        if (!r.ok) { var e = new Error(data.detail || S.error); e.status = r.status; throw e; }
        return data;
      });
    });
  }
  function clientId() {
    return (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
  }

  function setStatus(text) { status.textContent = text || ""; }

  function addMessage(m, own) {
    // The stream and the catch-up come in order; the answer to our own send may be ahead of
    // a line still on its way (the push server down), so it does not move where we ask from.
    if (!own && m.id > lastId) lastId = m.id;
    if (seen[m.id]) return;
    seen[m.id] = true;
    var pending = m.client ? log.querySelector('[data-client="' + m.client + '"]') : null;
    if (pending && m.from === "requester") { pending.remove(); }
    var item = el("li", { "class": "hd-chat-msg hd-chat-" + m.from, "data-id": String(m.id) });
    item.appendChild(el("span", { "class": "hd-chat-who" }, m.from === "requester" ? S.you : (m.name || S.agent)));
    item.appendChild(el("span", { "class": "hd-chat-body" }, m.body));
    (m.files || []).forEach(function (f) {
      var link = el("a", { "class": "hd-chat-file", href: base + "/help/chat/s/" + token + "/files/" + f.id + "/", download: "" },
                    fmt(S.file, { name: f.name, size: Math.max(1, Math.round(f.size / 1024)) }));
      item.appendChild(link);
    });
    var after = null;
    Array.prototype.forEach.call(log.querySelectorAll("li[data-id]"), function (node) {
      if (!after && Number(node.getAttribute("data-id")) > m.id) after = node;
    });
    log.insertBefore(item, after || log.querySelector("li.hd-chat-pending"));
    log.scrollTop = log.scrollHeight;
  }

  function applyState(data) {
    (data.messages || []).forEach(function (m) { addMessage(m); });
    state = data.state;
    root.setAttribute("data-state", state);
    var leave = root.querySelector(".hd-chat-leave");
    if (state === "waiting" || state === "offered") {
      var text = data.place ? fmt(S.place, { place: data.place, minutes: Math.max(1, Math.round(data.wait_seconds / 60)) }) : S.connecting;
      if (data.fallback) text = S["fallback_" + data.fallback] + " " + S.leave_hint;
      setStatus(text);
      leave.hidden = false;
    } else {
      leave.hidden = true;
    }
    if (state === "active") setStatus(data.agent ? fmt(S.joined, { agent: data.agent }) : "");
    if (state === "ended") { setStatus(S.ended); end(); }
    if (state === "left_message") { setStatus(fmt(S.left, { reference: data.reference || "" })); end(); }
    if (data.reminded) setStatus(S.idle);
  }

  function end() {
    composer.hidden = true;
    root.querySelector(".hd-chat-end").hidden = true;
    if (source) { source.close(); source = null; }
    if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
    if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
    try { sessionStorage.removeItem(STORE); } catch (e) { /* private mode */ }
  }

  function refresh() {
    if (!token) return Promise.resolve();
    return api("GET", "s/" + token + "/?after=" + lastId).then(function (data) {
      retries = 0;
      applyState(data);
    }).catch(function (e) {
      // Unanswered (the network, a busy server: not a refusal): again in a few seconds,
      // up to three times. What changed before the stream began (an agent's answer, the
      // chat taken) is told only by this answer: else it would wait for the stream's next
      // "ready", minutes later. Polling asks anyway.
      if (e && e.status && e.status < 500) return;
      if (pollTimer || retryTimer || !source || retries >= 3) return;
      retries += 1;
      retryTimer = setTimeout(function () { retryTimer = null; refresh(); }, 3000);
    });
  }

  function listen() {
    if (!window.EventSource || !push) return poll();
    source = new EventSource(push + "/push/c/" + token + "/");
    source.addEventListener("ready", function () { failures = 0; retries = 0; refresh(); });
    source.addEventListener("message", function (e) { addMessage(JSON.parse(e.data)); });
    source.addEventListener("state", refresh);
    // "Someone ahead left the line": ask again for the place, once for however many came
    // (the server sends at most one a half second, and a later ask sees them all), at most
    // every 10 s and after a random 2-6 s, so a long line does not ask all at once.
    source.addEventListener("line", function () {
      if (lineTimer || (state !== "waiting" && state !== "offered")) return;
      var wait = Math.max(2000 + Math.random() * 4000, lastLine + 10000 - Date.now());
      lineTimer = setTimeout(function () { lineTimer = null; lastLine = Date.now(); refresh(); }, wait);
    });
    source.addEventListener("typing", function (e) {
      var typing = JSON.parse(e.data);
      if (typing.who !== "agent") return;
      var box = root.querySelector(".hd-chat-typing");
      box.textContent = fmt(S.typing_agent, { agent: typing.name || S.agent });
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { box.textContent = ""; }, 4000);
    });
    source.addEventListener("idle", function () { setStatus(S.idle); });
    source.onerror = function () {
      failures += 1;
      if (failures === 1) setStatus(S.offline);
      // Three failures in a row, or a refusal the browser will not retry: poll for now.
      if (source && (failures >= 3 || source.readyState === EventSource.CLOSED)) { source.close(); source = null; poll(); }
    };
  }

  function poll() {
    // Push is unavailable: ask every few seconds instead, and try push again later.
    if (pollTimer) return;
    pollTimer = setInterval(refresh, 3000);
    if (!push) return;
    setTimeout(function () {
      if (state === "ended" || state === "left_message" || !token) return;
      clearInterval(pollTimer); pollTimer = null; failures = 0; listen();
    }, 60000);
  }

  function send(body, id, attempt) {
    api("POST", "s/" + token + "/messages/", { body: body, client_id: id }).then(function (m) { addMessage(m, true); }).catch(function (e) {
      var pending = log.querySelector('[data-client="' + id + '"]');
      if (e.status && e.status < 500 && e.status !== 429) {
        if (pending) pending.querySelector(".hd-chat-who").textContent = e.message;
        return;
      }
      if (pending) pending.querySelector(".hd-chat-who").textContent = S.not_sent;
      setTimeout(function () { send(body, id, attempt + 1); }, Math.min(10000, 1000 * Math.pow(2, attempt)));
    });
  }

  function sendFile(file) {
    var id = clientId();
    var item = el("li", { "class": "hd-chat-msg hd-chat-requester hd-chat-pending", "data-client": id });
    item.appendChild(el("span", { "class": "hd-chat-who" }, S.sending));
    item.appendChild(el("span", { "class": "hd-chat-body" }, file.name));
    log.appendChild(item);
    var data = new FormData();
    data.append("file", file);
    data.append("client_id", id);
    fetch(base + "/help/chat/s/" + token + "/files/", { method: "POST", body: data }).then(function (r) {
      return r.text().then(function (t) {
        var answer = t ? JSON.parse(t) : {};
        if (!r.ok) throw new Error(answer.detail || S.error);
        return answer;
      });
    }).then(function (m) { addMessage(m, true); }).catch(function (e) {
      item.remove();
      setStatus(e.message || S.error);
    });
  }

  // One key per start, kept until it succeeds: a start sent again after its answer was
  // lost (the network, a closed connection) gets the chat the first one made.
  var startKey = null;
  function start(values) {
    var id = clientId();
    startKey = startKey || clientId().replace(/[^A-Za-z0-9_-]/g, "");
    return api("POST", "start/", { name: values.name, email: values.email, message: values.message,
                                   language: lang, client_id: id, start_key: startKey }).then(function (data) {
      startKey = null;
      token = data.token;
      try { sessionStorage.setItem(STORE, token); } catch (e) { /* private mode */ }
      showChat();
      applyState(data);
      listen();
    });
  }

  function showChat() {
    form.hidden = true;
    root.querySelector(".hd-chat-live").hidden = false;
    composer.querySelector("textarea").focus();
  }

  function build(container) {
    root = el("section", { "class": "hd-chat", "aria-labelledby": "hd-chat-title", dir: S.rtl ? "rtl" : "ltr", lang: S.language });
    root.appendChild(el("h2", { id: "hd-chat-title", "class": "hd-chat-title" }, S.title));
    form = el("form", { "class": "hd-chat-form", novalidate: "" });
    [["name", "text", "name"], ["email", "email", "email"]].forEach(function (f) {
      var id = "hd-chat-" + f[0];
      form.appendChild(el("label", { "for": id }, S[f[0]]));
      form.appendChild(el("input", { id: id, name: f[0], type: f[1], autocomplete: f[2], required: "" }));
    });
    form.appendChild(el("label", { "for": "hd-chat-first" }, S.message));
    form.appendChild(el("textarea", { id: "hd-chat-first", name: "message", rows: "3", required: "" }));
    var problem = el("p", { "class": "hd-chat-problem", role: "alert" });
    form.appendChild(problem);
    form.appendChild(el("button", { type: "submit", "class": "btn btn-primary" }, S.fallback ? S.leave : S.start));
    if (S.fallback) form.insertBefore(el("p", { "class": "hd-chat-notice" }, S["fallback_" + S.fallback] + " " + S.leave_hint), form.firstChild);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      problem.textContent = "";
      var values = { name: form.name.value, email: form.email.value, message: form.message.value };
      start(values).then(function () {
        if (S.fallback) return api("POST", "s/" + token + "/leave/", {}).then(function (d) { applyState(d); });
      }).catch(function (err) { problem.textContent = err.message; });
    });
    root.appendChild(form);

    var live = el("div", { "class": "hd-chat-live", hidden: "" });
    status = el("p", { "class": "hd-chat-status", role: "status", "aria-live": "polite" });
    live.appendChild(status);
    log = el("ol", { "class": "hd-chat-log", role: "log", "aria-live": "polite", "aria-label": S.transcript_label, tabindex: "0" });
    live.appendChild(log);
    live.appendChild(el("p", { "class": "hd-chat-typing", "aria-live": "polite" }));
    composer = el("form", { "class": "hd-chat-composer" });
    composer.appendChild(el("label", { "for": "hd-chat-text", "class": "visually-hidden" }, S.write));
    var text = el("textarea", { id: "hd-chat-text", rows: "2", placeholder: S.write });
    composer.appendChild(text);
    composer.appendChild(el("button", { type: "submit", "class": "btn btn-primary" }, S.send));
    // Files: a button (reachable by keyboard) opens the picker; each file is sent at once,
    // checked by the server as every attachment is (a refusal says why).
    var picker = el("input", { type: "file", hidden: "", id: "hd-chat-file" });
    var attach = el("button", { type: "button", "class": "btn btn-outline-secondary hd-chat-attach" }, S.attach);
    attach.addEventListener("click", function () { picker.click(); });
    picker.addEventListener("change", function () {
      Array.prototype.forEach.call(picker.files, sendFile);
      picker.value = "";
    });
    composer.appendChild(attach);
    composer.appendChild(picker);
    text.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); composer.requestSubmit(); }
    });
    text.addEventListener("input", function () {
      if (Date.now() - lastTyping > 3000 && token) { lastTyping = Date.now(); api("POST", "s/" + token + "/typing/").catch(function () {}); }
    });
    composer.addEventListener("submit", function (e) {
      e.preventDefault();
      var body = text.value.trim();
      if (!body) return;
      text.value = "";
      var id = clientId();
      var item = el("li", { "class": "hd-chat-msg hd-chat-requester hd-chat-pending", "data-client": id });
      item.appendChild(el("span", { "class": "hd-chat-who" }, S.sending));
      item.appendChild(el("span", { "class": "hd-chat-body" }, body));
      log.appendChild(item);
      send(body, id, 0);
    });
    live.appendChild(composer);
    var actions = el("div", { "class": "hd-chat-actions" });
    var leave = el("button", { type: "button", "class": "btn btn-outline-secondary btn-sm hd-chat-leave", hidden: "" }, S.leave);
    leave.addEventListener("click", function () {
      api("POST", "s/" + token + "/leave/", { body: text.value.trim() }).then(function (d) { text.value = ""; applyState(d); })
        .catch(function (err) { setStatus(err.message); });
    });
    var finish = el("button", { type: "button", "class": "btn btn-outline-danger btn-sm hd-chat-end" }, S.end);
    finish.addEventListener("click", function () { api("POST", "s/" + token + "/end/").then(refresh).catch(function () {}); });
    var copy = el("button", { type: "button", "class": "btn btn-link btn-sm hd-chat-transcript" }, S.transcript);
    copy.addEventListener("click", function () {
      api("POST", "s/" + token + "/transcript/").then(function () { setStatus(S.transcript_sent); })
        .catch(function (err) { setStatus(err.message); });
    });
    actions.appendChild(leave); actions.appendChild(finish); actions.appendChild(copy);
    live.appendChild(actions);
    root.appendChild(live);
    container.appendChild(root);

    var saved = null;
    try { saved = sessionStorage.getItem(STORE); } catch (e) { /* private mode */ }
    if (saved) { token = saved; showChat(); refresh().then(listen); }
  }

  function launcher() {
    var button = el("button", { type: "button", "class": "hd-chat-launcher", "aria-expanded": "false" }, S.open);
    var holder = el("div", { "class": "hd-chat-float", hidden: "" });
    var close = el("button", { type: "button", "class": "btn-close hd-chat-close", "aria-label": S.close });
    close.addEventListener("click", function () { holder.hidden = true; button.setAttribute("aria-expanded", "false"); button.focus(); });
    holder.appendChild(close);
    button.addEventListener("click", function () {
      holder.hidden = !holder.hidden;
      button.setAttribute("aria-expanded", String(!holder.hidden));
      if (!holder.hidden) { var first = holder.querySelector("input, textarea"); if (first) first.focus(); }
    });
    document.body.appendChild(button);
    document.body.appendChild(holder);
    build(holder);
  }

  function init() {
    fetch(base + "/help/chat/config/?lang=" + encodeURIComponent(lang)).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (config) {
      if (!config || !config.strings) return;  // chat is not set up here: no widget
      S = config.strings; S.rtl = config.rtl; S.language = config.language; S.fallback = config.fallback;
      push = config.push;
      var inline = document.getElementById("helpdesk-chat");
      if (inline) build(inline); else launcher();
    }).catch(function () { /* the helpdesk is unreachable: no widget */ });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
