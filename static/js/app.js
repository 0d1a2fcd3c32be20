// Project behaviour. No inline scripts anywhere (Content-Security-Policy).
(function () {
  "use strict";

  // A <select data-autosubmit> submits its form as soon as it changes; the
  // form keeps its own submit button for people without JavaScript.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit")) {
      target.form.requestSubmit();
    }
  });

  function typing(element) {
    if (!element) return false;
    var tag = element.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || element.isContentEditable;
  }

  // Keyboard shortcuts for the queue and the ticket page.
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(document.activeElement)) return;
    var links, index;
    switch (event.key) {
      case "/":
        var search = document.getElementById("nav-search");
        if (search) { event.preventDefault(); search.focus(); }
        break;
      case "n":
        var next = document.getElementById("next-ticket-form");
        if (next) { event.preventDefault(); next.requestSubmit(); }
        break;
      case "r":
        var body = document.getElementById("id_body");
        if (body) { event.preventDefault(); body.focus(); }
        break;
      case "j":
      case "k":
        links = Array.prototype.slice.call(document.querySelectorAll("a.ticket-link"));
        if (!links.length) return;
        index = links.indexOf(document.activeElement);
        index = event.key === "j" ? Math.min(index + 1, links.length - 1) : Math.max(index - 1, 0);
        event.preventDefault();
        links[index].focus();
        document.querySelectorAll("tr.is-current").forEach(function (row) { row.classList.remove("is-current"); });
        links[index].closest("tr").classList.add("is-current");
        break;
    }
  });

  // Tell other agents when this one is writing a reply (collision indicator): at once
  // when it changes (the presence box asks on "helpdesk:presence-changed").
  document.addEventListener("input", function (event) {
    if (event.target.id !== "id_body") return;
    var state = document.getElementById("presence-state");
    if (!state) return;
    var now = event.target.value.trim() ? "replying" : "viewing";
    if (state.value === now) return;
    state.value = now;
    document.body.dispatchEvent(new CustomEvent("helpdesk:presence-changed"));
  });

  // Who else is here: asked every 5 s unless push is live (static/chat/agent.js sets
  // window.helpdeskPush; it then says when it changes). An entry nobody renews goes
  // stale after 15 s (tickets.presence) without a word on push (a page that polls, or a
  // push server that died, never says "left"): while someone else is shown, ask again
  // once they would have gone stale. Alone on the ticket, push asks nothing.
  var presenceBox = document.getElementById("presence");
  if (presenceBox) {
    var recheck = null;
    setInterval(function () {
      if (!window.helpdeskPush) document.body.dispatchEvent(new CustomEvent("helpdesk:presence-poll"));
    }, 5000);
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.target !== presenceBox) return;
      if (recheck) { clearTimeout(recheck); recheck = null; }
      if (window.helpdeskPush && presenceBox.textContent.trim()) {
        recheck = setTimeout(function () {
          recheck = null;
          document.body.dispatchEvent(new CustomEvent("helpdesk:presence-poll"));
        }, 16000);
      }
    });
  }

  // A message added to the open ticket by someone else (pushed): say so, with a link
  // that shows it (the page is not reloaded under the agent's hands).
  document.body.addEventListener("helpdesk:ticket-message", function () {
    var news = document.getElementById("ticket-news");
    if (news) news.hidden = false;
  });
})();

// ---------------------------------------------------------------------------
// Queue: bulk actions (issue 14, item 15). Only the chosen action's picker is
// shown (without JavaScript every picker shows and the server reads the chosen
// action's), and a "select every ticket on this page" box.
(function () {
  "use strict";

  function rowBoxes() {
    return Array.prototype.slice.call(document.querySelectorAll('input[name="refs"][form="bulk-form"]'));
  }

  function showPicker() {
    var action = document.getElementById("bulk-action");
    if (!action) return;
    document.querySelectorAll("#bulk-form [data-bulk-for]").forEach(function (picker) {
      picker.hidden = picker.getAttribute("data-bulk-for") !== action.value;
    });
  }

  function syncSelectAll() {
    var all = document.getElementById("bulk-select-all");
    if (!all) return;
    var boxes = rowBoxes();
    var ticked = boxes.filter(function (box) { return box.checked; }).length;
    all.closest("[data-select-all]").hidden = boxes.length === 0;
    all.checked = boxes.length > 0 && ticked === boxes.length;
    all.indeterminate = ticked > 0 && ticked < boxes.length;
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.id === "bulk-action") {
      showPicker();
    } else if (target.id === "bulk-select-all") {
      rowBoxes().forEach(function (box) { box.checked = target.checked; });
      syncSelectAll();
    } else if (target.name === "refs") {
      syncSelectAll();
    }
  });
  document.addEventListener("htmx:afterSettle", syncSelectAll);

  function init() { showPicker(); syncSelectAll(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

// ---------------------------------------------------------------------------
// Queue: the automatic refresh (issue 14, item 17) keeps the focus, the ticked
// rows and the j/k position (tr.is-current), and the rows it brings are
// announced in #queue-news (the table itself is not a live region). The server
// counts the new rows from the references this page showed (X-Queue-Shown).
(function () {
  "use strict";
  var before = null;

  function isPoll(elt) {
    return !!(elt && elt.getAttribute && elt.getAttribute("data-poll") === "queue");
  }
  function rowsOf(table) {
    return Array.prototype.slice.call(table.querySelectorAll("tr[data-reference]"));
  }
  function reference(row) { return row.getAttribute("data-reference"); }

  document.addEventListener("htmx:configRequest", function (event) {
    var table = document.getElementById("queue-table");
    if (!table || !isPoll(event.detail.elt)) return;
    event.detail.headers["X-Queue-Shown"] = rowsOf(table).map(reference).join(",");
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var table = document.getElementById("queue-table");
    var config = event.detail.requestConfig;
    before = null;
    if (!table || event.detail.target !== table || !isPoll(config && config.elt)) return;
    var rows = rowsOf(table);
    var active = document.activeElement;
    var inTable = !!(active && active !== document.body && table.contains(active));
    var focusRow = inTable ? active.closest("tr[data-reference]") : null;
    var current = table.querySelector("tr.is-current");
    before = {
      ticked: rows.filter(function (row) {
        return row.querySelector("input[name=refs]:checked");
      }).map(reference),
      current: current ? reference(current) : null,
      currentIndex: rows.indexOf(current),
      focusRef: focusRow ? reference(focusRow) : null,
      focusIndex: rows.indexOf(focusRow),
      focusSelector: inTable && active.matches("input[name=refs]") ? "input[name=refs]" : "a.ticket-link",
      focusTestId: inTable && !focusRow ? active.getAttribute("data-testid") : null
    };
  });

  function announce(text) {
    var region = document.getElementById("queue-news");
    if (!region) return;
    // Emptied first, so the same words ("1 new ticket") are announced again; and
    // emptied when a refresh brought nothing, so it never tells of an old one.
    region.textContent = "";
    if (text) window.setTimeout(function () { region.textContent = text; }, 50);
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var table = document.getElementById("queue-table");
    if (!table || event.detail.target !== table) return;
    var state = before;
    before = null;
    if (!state) return;
    var news = table.querySelector("[data-queue-news]");
    announce(news ? news.textContent.trim() : "");
    var rows = rowsOf(table);
    var byReference = {};
    rows.forEach(function (row) { byReference[reference(row)] = row; });
    function sameOrNear(ref, index) {
      if (ref !== null && byReference[ref]) return byReference[ref];
      return index >= 0 && rows.length ? rows[Math.min(index, rows.length - 1)] : null;
    }
    state.ticked.forEach(function (ref) {
      var box = byReference[ref] && byReference[ref].querySelector("input[name=refs]");
      if (box) box.checked = true;
    });
    var current = state.current !== null ? sameOrNear(state.current, state.currentIndex) : null;
    if (current) current.classList.add("is-current");
    var target = null;
    if (state.focusRef !== null) {
      var row = sameOrNear(state.focusRef, state.focusIndex);
      target = row && row.querySelector(state.focusSelector);
    } else if (state.focusTestId) {
      target = table.querySelector('[data-testid="' + state.focusTestId + '"]');
    }
    if (target) target.focus({ preventScroll: true });
  });

  // The sidebar refreshes itself too: not while the person is in it.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.id === "queue-sidebar" && elt.tagName === "NAV" &&
        elt.contains(document.activeElement)) {
      event.preventDefault();
    }
  });
})();

// ---------------------------------------------------------------------------
// Ticket page (issue 14, item 18): "n" (the next-ticket form) asks before leaving
// an unsent reply behind; when the page came back because messages arrived while
// the agent was writing, the first of them is scrolled into view.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.id !== "next-ticket-form") return;
    var body = document.getElementById("id_body");
    var question = form.getAttribute("data-draft-confirm");
    if (body && question && body.value.trim() && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  function showNewMessages() {
    var first = document.querySelector('[data-testid="new-message"]');
    if (first) first.scrollIntoView({ block: "start" });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", showNewMessages);
  else showNewMessages();
})();

// ---------------------------------------------------------------------------
// SOP banner (issue 14, item 22): after an SOP is acknowledged from the banner's
// list, htmx swaps the banner in anew (out of band) and the pressed button is
// gone; the focus goes to the next Acknowledge button, else to what replaced it.
(function () {
  "use strict";
  var fromBanner = false;

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    fromBanner = !!(elt && elt.closest && elt.closest("#sop-banner-slot"));
  });
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    // detail.target is the slot that was replaced; the new one is in the page now.
    var replaced = event.detail.target;
    var slot = document.getElementById("sop-banner-slot");
    if (!fromBanner || !replaced || replaced.id !== "sop-banner-slot" || !slot) return;
    fromBanner = false;
    var next = slot.querySelector("form button") || slot.querySelector("summary") ||
      slot.querySelector("[role=status]");
    if (!next) return;
    if (next.getAttribute("role") === "status") next.setAttribute("tabindex", "-1");
    next.focus();
  });
})();
