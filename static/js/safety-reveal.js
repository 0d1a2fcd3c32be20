// Protected viewing (safety): reveal a blurred file or a masked message on request,
// hide it again after the organisation's time or as soon as the person looks away
// (the window loses focus, the tab is hidden, focus leaves the revealed element), and
// report how long it was shown (navigator.sendBeacon when the page goes away).
(function () {
  "use strict";

  var active = []; // reveals on screen: {hide: function}

  function post(url, csrf, data) {
    var body = new FormData();
    Object.keys(data || {}).forEach(function (key) { body.append(key, data[key]); });
    return fetch(url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRFToken": csrf, "Accept": "application/json"},
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (!response.ok) { throw new Error(json.error || response.statusText); }
        return json;
      });
    });
  }

  function sendEnd(url, csrf, token, started, beacon) {
    var seconds = Math.round((Date.now() - started) / 1000);
    var body = new FormData();
    body.append("csrfmiddlewaretoken", csrf);
    body.append("token", token);
    body.append("seconds", String(seconds));
    if (beacon && navigator.sendBeacon) { navigator.sendBeacon(url, body); return; }
    fetch(url, {method: "POST", body: body, credentials: "same-origin", keepalive: true,
                headers: {"X-CSRFToken": csrf}});
  }

  // One reveal: shows, then hides after `seconds` or when attention leaves `holder`.
  function track(holder, seconds, hide, end) {
    var done = false;
    var entry = {};
    function finish(beacon) {
      if (done) { return; }
      done = true;
      clearTimeout(timer);
      holder.removeEventListener("focusout", onFocusOut);
      active.splice(active.indexOf(entry), 1);
      hide();
      end(beacon);
    }
    function onFocusOut(event) {
      if (!event.relatedTarget || !holder.contains(event.relatedTarget)) { finish(false); }
    }
    entry.finish = finish;
    active.push(entry);
    var timer = setTimeout(function () { finish(false); }, Math.max(1, seconds) * 1000);
    holder.addEventListener("focusout", onFocusOut);
  }

  function hideAll(beacon) {
    active.slice().forEach(function (entry) { entry.finish(beacon); });
  }
  window.addEventListener("blur", function () { hideAll(false); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { hideAll(true); }
  });
  window.addEventListener("pagehide", function () { hideAll(true); });

  function revealFile(figure, button) {
    var status = figure.querySelector("[data-safety-status]");
    var preview = figure.querySelector("[data-safety-preview]");
    var original = figure.querySelector("[data-safety-original]");
    var csrf = figure.dataset.csrf;
    button.disabled = true;
    status.textContent = "";
    post(figure.dataset.revealUrl, csrf).then(function (answer) {
      var element;
      if (answer.kind === "image") {
        element = document.createElement("img");
        element.alt = figure.dataset.filename;
        element.setAttribute("data-testid", "revealed-original");
      } else if (answer.kind === "video") {
        element = document.createElement("video");
        element.controls = true;
        element.muted = true;
        element.preload = "none";
        element.setAttribute("data-testid", "revealed-original");
      } else {
        element = document.createElement("a");
        element.textContent = figure.dataset.labelOpen + ": " + figure.dataset.filename;
        element.setAttribute("data-testid", "revealed-original");
      }
      element[answer.kind === "file" ? "href" : "src"] = answer.url;
      original.replaceChildren(element);
      original.hidden = false;
      preview.hidden = true;
      original.focus();
      if (answer.prompt) { status.textContent = answer.prompt; }
      var started = Date.now();
      track(original, answer.reblur_seconds, function () {
        if (element.pause) { element.pause(); }
        element.removeAttribute("src");
        element.removeAttribute("href");
        original.replaceChildren();
        original.hidden = true;
        preview.hidden = false;
        button.disabled = false;
        status.textContent = figure.dataset.labelReblurred;
      }, function (beacon) {
        sendEnd(figure.dataset.endUrl, csrf, answer.token, started, beacon);
      });
    }).catch(function (error) {
      button.disabled = false;
      status.textContent = error.message;
    });
  }

  function revealText(button) {
    var text = button.previousElementSibling;
    var figure = document.querySelector("[data-safety-protected]");
    var csrf = (figure && figure.dataset.csrf) || button.dataset.csrf ||
      (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value;
    var endUrl = button.dataset.endUrl || (figure && figure.dataset.endUrl);
    var masked = text.innerHTML;
    var status = button.nextElementSibling;
    if (status && !status.hasAttribute("data-safety-text-status")) { status = null; }
    button.disabled = true;
    post(text.dataset.url, csrf).then(function (answer) {
      text.innerHTML = answer.html; // sanitised by the server (nh3) or escaped
      text.tabIndex = -1;
      text.focus();
      if (status) { status.textContent = answer.prompt || ""; }
      var started = Date.now();
      track(text, answer.reblur_seconds, function () {
        text.innerHTML = masked;
        button.disabled = false;
      }, function (beacon) {
        if (endUrl) { sendEnd(endUrl, csrf, answer.token, started, beacon); }
      });
    }).catch(function (error) {
      button.disabled = false;
      if (status) { status.textContent = error.message; } else { button.title = error.message; }
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-safety-reveal]");
    if (button) {
      revealFile(button.closest("[data-safety-protected]"), button);
      return;
    }
    var textButton = event.target.closest("[data-safety-reveal-text]");
    if (textButton) { revealText(textButton); }
  });
})();
