/* The agent's side of chat on every page: the status menu, chat offers (pushed), the sign of
   life, and "away" after a while without input. On a chat's ticket page, the live chat
   panel: the transcript as it happens, a composer that sends at once, typing both ways. */
(function () {
  "use strict";
  var menu = document.getElementById("chat-status");
  if (!menu) return;
  var push = menu.getAttribute("data-push");
  // The page's CSRF token, as htmx sends it (base.html's hx-headers).
  var csrf = "";
  try { csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch (e) { csrf = ""; }
  var awayAfter = Number(menu.getAttribute("data-away-after")) * 1000;
  var offers = document.getElementById("chat-offers");
  var lastInput = Date.now(), beat = null;

  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Content-Type": "application/json" }, body: JSON.stringify(body || {}) })
      .then(function (r) { return r.text().then(function (t) {
        var data = t ? JSON.parse(t) : {};
        if (!r.ok) throw new Error(data.detail || r.statusText);
        return data;
      }); });
  }
  function clientId() {
    return (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
  }
  function announce(text) {
    var region = document.getElementById("chat-announce");
    if (region) { region.textContent = ""; setTimeout(function () { region.textContent = text; }, 50); }
  }

  menu.addEventListener("change", function () {
    post(menu.getAttribute("data-url"), { status: menu.value }).then(function (d) { announce(d.label); })
      .catch(function (e) { announce(e.message); });
  });
  ["keydown", "pointerdown", "scroll"].forEach(function (kind) {
    document.addEventListener(kind, function () { lastInput = Date.now(); }, { passive: true, capture: true });
  });
  setInterval(function () {
    var option = menu.options[menu.selectedIndex];
    if (awayAfter && option && option.getAttribute("data-available") === "1" && Date.now() - lastInput > awayAfter) {
      post(menu.getAttribute("data-url"), { status: "away", reason: "inactive" }).then(function () { menu.value = "away"; });
    }
  }, 15000);

  function showOffer(data) {
    if (!offers || offers.querySelector('[data-chat="' + data.chat + '"]')) return;
    var tpl = document.getElementById("chat-offer-template");
    var card = tpl.content.firstElementChild.cloneNode(true);
    card.setAttribute("data-chat", String(data.chat));
    card.querySelector("[data-field=subject]").textContent = data.subject;
    card.querySelector("[data-field=requester]").textContent = data.requester + " · " + data.language;
    card.querySelector("[data-action=accept]").addEventListener("click", function () {
      post("/chat/" + data.chat + "/accept/").then(function (d) { window.location.href = d.url; })
        .catch(function (e) { announce(e.message); card.remove(); });
    });
    card.querySelector("[data-action=decline]").addEventListener("click", function () {
      post("/chat/" + data.chat + "/decline/").finally(function () { card.remove(); });
    });
    offers.appendChild(card);
    announce(card.getAttribute("aria-label") + ": " + data.subject);
    card.querySelector("[data-action=accept]").focus();
  }
  function withdraw(data) {
    var card = offers && offers.querySelector('[data-chat="' + data.chat + '"]');
    if (card) card.remove();
  }

  var panel = document.getElementById("chat-panel");
  var panelSource = null;

  function heartbeat(on) {
    if (on && !beat) beat = setInterval(function () { post("/chat/heartbeat/"); }, 30000);
    if (!on && beat) { clearInterval(beat); beat = null; }
  }

  // The queue list and counts reload on "helpdesk:work-changed": when push says one of the
  // agent's queues changed (at most once per 10 s, however busy), or every 15 s while
  // push is unavailable (the pages' own slow poll is the last safety net). Every page on
  // a queue hears its nudge at the same moment: each waits a random part of SPREAD more,
  // so that hundreds of pages do not reload in the same instant (bench/agents.py).
  var WINDOW = 10000, SPREAD = 3000, lastRefresh = 0, refreshTimer = null, pollTimer = null;
  function workChanged() {
    document.body.dispatchEvent(new CustomEvent("helpdesk:work-changed"));
  }
  function nudge() {
    if (refreshTimer) return;
    var wait = Math.max(1000, lastRefresh + WINDOW - Date.now()) + Math.random() * SPREAD;
    refreshTimer = setTimeout(function () { refreshTimer = null; lastRefresh = Date.now(); workChanged(); }, wait);
  }
  function polling(on) {
    if (on && !pollTimer) pollTimer = setInterval(workChanged, 15000);
    if (!on && pollTimer) { clearInterval(pollTimer); pollTimer = null; }
  }

  // On a ticket's page the stream also carries that ticket's news: who else is there
  // (the presence box asks again) and messages added by others (the page says so).
  var presenceBox = document.getElementById("presence");
  var me = presenceBox ? Number(presenceBox.getAttribute("data-me")) : 0;
  var ticket = presenceBox ? presenceBox.getAttribute("data-ticket") : "";
  function fromOthers(e) { var data = JSON.parse(e.data); return data.by !== me ? data : null; }
  function live(on) { window.helpdeskPush = on; }

  function listen() {
    if (!window.EventSource || !push) { heartbeat(true); polling(true); return; }
    // The stream's "ready" says who else is here (the push server recorded this page as
    // there when it opened): the box need not ask on "load" (one request to the web server
    // fewer per ticket page). This runs before htmx reads the attribute (both scripts are
    // deferred; htmx starts on DOMContentLoaded). A stream that never opens falls back to
    // polling below, which asks every 5 s.
    if (presenceBox) {
      presenceBox.setAttribute("hx-trigger", presenceBox.getAttribute("hx-trigger").replace(/^load, /, ""));
    }
    // Queue nudges only for a page that reloads on them (the queue's list and counts):
    // on any other page they would only wake the stream for nothing.
    var params = [];
    if (ticket) params.push("ticket=" + encodeURIComponent(ticket));
    if (document.querySelector('[hx-trigger*="helpdesk:work-changed"]')) params.push("queues=1");
    var url = push + "/push/agent/" + (params.length ? "?" + params.join("&") : "");
    var source = new EventSource(url, { withCredentials: true });
    var failures = 0;
    source.addEventListener("ready", function (e) {
      failures = 0; live(true); heartbeat(false); polling(false);
      var ready = JSON.parse(e.data || "{}");
      // The chats offered to the agent now: an offer is pushed once, to the page open at
      // that moment; a page opened meanwhile shows it from here.
      (ready.offers || []).forEach(showOffer);
      // Who else is here now (it may have changed while the stream was closed or opening):
      // the box's HTML, rendered and escaped by the server as the box's own answer is; a
      // stream that could not say (Redis was away) leaves the box to ask.
      if (!presenceBox) return;
      if (typeof ready.presence === "string") presenceBox.innerHTML = ready.presence;
      else document.body.dispatchEvent(new CustomEvent("helpdesk:presence-poll"));
    });
    source.addEventListener("changed", nudge);
    source.addEventListener("presence", function (e) {
      if (fromOthers(e)) document.body.dispatchEvent(new CustomEvent("helpdesk:presence-changed"));
    });
    source.addEventListener("ticket_message", function (e) {
      var data = fromOthers(e);
      if (data) document.body.dispatchEvent(new CustomEvent("helpdesk:ticket-message", { detail: data }));
    });
    source.addEventListener("offer", function (e) { showOffer(JSON.parse(e.data)); });
    source.addEventListener("transferred", function (e) { showOffer(JSON.parse(e.data)); });
    source.addEventListener("offer_withdrawn", function (e) { withdraw(JSON.parse(e.data)); });
    source.addEventListener("status", function (e) { menu.value = JSON.parse(e.data).key; });
    // Three failures in a row, or a refusal the browser will not retry (an answer that is
    // not a stream): poll until push is back.
    source.onerror = function () {
      failures += 1;
      if (failures >= 3 || source.readyState === EventSource.CLOSED) { live(false); heartbeat(true); polling(true); }
      if (source.readyState === EventSource.CLOSED) setTimeout(listen, 30000);
    };
  }
  listen();

  // ------------------------------------------------------------ the chat panel
  if (!panel) return;
  var chatId = panel.getAttribute("data-chat");
  var log = panel.querySelector("[data-chat-log]");
  var seen = {}, lastId = 0, typingTimer = null, lastTyping = 0;
  Array.prototype.forEach.call(log.querySelectorAll("li[data-id]"), function (li) {
    var id = Number(li.getAttribute("data-id")); seen[id] = true; if (id > lastId) lastId = id;
  });

  function add(m, own) {
    // The stream and the catch-up come in order; the answer to our own send may be ahead of
    // a line still on its way (the push server down), so it does not move where we ask from.
    if (!own && m.id > lastId) lastId = m.id;
    if (seen[m.id]) return;
    seen[m.id] = true;
    var pending = m.client ? log.querySelector('[data-client="' + m.client + '"]') : null;
    if (pending) pending.remove();
    var li = document.createElement("li");
    li.className = "chat-line chat-" + m.from;
    li.setAttribute("data-id", String(m.id));
    var who = document.createElement("span");
    who.className = "chat-who";
    who.textContent = m.from === "requester" ? panel.getAttribute("data-requester") : (m.name || "");
    var body = document.createElement("span");
    body.className = "chat-body";
    body.textContent = m.body;
    li.appendChild(who); li.appendChild(body);
    (m.files || []).forEach(function (f) {
      // The ticket's own attachment link (scoped, and protected images stay protected).
      var link = document.createElement("a");
      link.className = "chat-file";
      link.href = panel.getAttribute("data-file-url").replace(/0\/$/, f.id + "/");
      link.textContent = f.name;
      li.appendChild(link);
    });
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
  }
  var catchUpRetry = null, catchUpFailures = 0;
  function catchUp() {
    return fetch("/chat/" + chatId + "/messages/?after=" + lastId, { credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) { var e = new Error(String(r.status)); e.status = r.status; throw e; }
        return r.json();
      }).then(function (d) {
        catchUpFailures = 0;
        d.messages.forEach(function (m) { add(m); });
        panel.setAttribute("data-state", d.state);
        var composer = panel.querySelector("[data-chat-composer]");
        if (composer && d.state !== "active") composer.hidden = true;
        // Over: nothing more will come, so stop asking.
        if (d.state === "ended" || d.state === "left_message") stopPanel();
      }).catch(function (e) {
        // Unanswered (the network, a busy server: not a refusal, such as the chat moved
        // out of sight): again in a few seconds, up to three times. A line sent before
        // the stream began is fetched only here: else it would wait for the stream's next
        // "ready", minutes later. Polling asks anyway.
        if (e && e.status && e.status < 500) return;
        if (panelPoll || catchUpRetry || !panelSource || catchUpFailures >= 3) return;
        catchUpFailures += 1;
        catchUpRetry = setTimeout(function () { catchUpRetry = null; catchUp(); }, 3000);
      });
  }
  var panelPoll = null, panelRetry = null;
  function stopPanel() {
    if (panelPoll) { clearInterval(panelPoll); panelPoll = null; }
    if (panelRetry) { clearTimeout(panelRetry); panelRetry = null; }
    if (catchUpRetry) { clearTimeout(catchUpRetry); catchUpRetry = null; }
    if (panelSource) { panelSource.close(); panelSource = null; }
  }
  function pollPanel() {
    // Push is unavailable: ask every few seconds, and try push again in a minute (the
    // push server restarting must not leave the page polling for as long as it is open);
    // the asking goes on until the new stream says "ready".
    if (!panelPoll) panelPoll = setInterval(catchUp, 3000);
    if (!window.EventSource || !push || panelRetry) return;
    panelRetry = setTimeout(function () {
      panelRetry = null;
      if (panelPoll) listenPanel();  // (not if the chat ended meanwhile)
    }, 60000);
  }
  function listenPanel() {
    if (!window.EventSource || !push) { pollPanel(); return; }
    var failures = 0;
    panelSource = new EventSource(push + "/push/chat/" + chatId + "/", { withCredentials: true });
    panelSource.addEventListener("ready", function () {
      failures = 0;
      catchUpFailures = 0;
      if (panelPoll) { clearInterval(panelPoll); panelPoll = null; }
      catchUp();
    });
    panelSource.addEventListener("message", function (e) { add(JSON.parse(e.data)); });
    panelSource.addEventListener("state", catchUp);
    panelSource.addEventListener("typing", function (e) {
      if (JSON.parse(e.data).who !== "requester") return;
      var box = panel.querySelector("[data-chat-typing]");
      box.hidden = false;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { box.hidden = true; }, 4000);
    });
    panelSource.onerror = function () {
      failures += 1;
      if (panelSource && (failures >= 3 || panelSource.readyState === EventSource.CLOSED)) {
        panelSource.close(); panelSource = null; pollPanel();
      }
    };
  }
  listenPanel();

  // The composer is there only for the chat's own agent (not after a transfer, nor for a
  // lead watching, nor while the chat is offered): the actions below work without it.
  var form = panel.querySelector("[data-chat-composer]");
  function send(body, id, attempt) {
    post("/chat/" + chatId + "/send/", { body: body, client_id: id }).then(function (m) { add(m, true); }).catch(function (e) {
      if (attempt < 5) setTimeout(function () { send(body, id, attempt + 1); }, 1000 * Math.pow(2, attempt));
      else announce(e.message);
    });
  }
  if (form) {
    var text = form.querySelector("textarea");
    text.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
    });
    text.addEventListener("input", function () {
      if (Date.now() - lastTyping > 3000) { lastTyping = Date.now(); post("/chat/" + chatId + "/typing/").catch(function () {}); }
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var body = text.value.trim();
      if (!body) return;
      text.value = "";
      var id = clientId();
      var li = document.createElement("li");
      li.className = "chat-line chat-agent chat-pending";
      li.setAttribute("data-client", id);
      li.textContent = body;
      log.appendChild(li);
      send(body, id, 0);
    });
  }
  Array.prototype.forEach.call(panel.querySelectorAll("[data-chat-action]"), function (button) {
    button.addEventListener("click", function () {
      var action = button.getAttribute("data-chat-action");
      var body = {};
      if (action === "transfer") {
        body.to = panel.querySelector("[data-chat-transfer]").value;
        if (!body.to) return;
      }
      post("/chat/" + chatId + "/" + action + "/", body).then(function () { window.location.reload(); })
        .catch(function (e) { announce(e.message); });
    });
  });
})();
