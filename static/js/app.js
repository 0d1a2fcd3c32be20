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

  // Tell other agents when this one is writing a reply (collision indicator).
  document.addEventListener("input", function (event) {
    if (event.target.id !== "id_body") return;
    var state = document.getElementById("presence-state");
    if (state) state.value = event.target.value.trim() ? "replying" : "viewing";
  });

  // Don't refresh the queue under an agent who is selecting rows for a bulk action.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.getAttribute && elt.getAttribute("data-poll") === "queue" &&
        document.querySelector("input[name=refs]:checked")) {
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
