// Security keys and passkeys: the buttons marked data-webauthn="register" (the
// security page) and data-webauthn="sign-in" (the second step of signing in) run one
// WebAuthn ceremony with SimpleWebAuthn (npm, vendor/simplewebauthn): the server's
// begin URL gives the options, the browser asks the key, the finish URL checks it.
(function () {
  "use strict";
  const lib = window.SimpleWebAuthnBrowser;
  const csrf = () => (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(body || {}),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.detail || response.statusText);
    return data;
  }

  function showError(message) {
    const box = document.querySelector("[data-webauthn-error]");
    if (!box) return;
    box.textContent = message;
    box.classList.remove("d-none");
    box.focus?.();
  }

  function showCodes(codes, then) {
    const box = document.querySelector("[data-webauthn-codes]");
    if (!box || !codes.length) {
      window.location.assign(then || window.location.pathname);
      return;
    }
    const list = box.querySelector("ul");
    list.replaceChildren(...codes.map((code) => {
      const item = document.createElement("li");
      item.textContent = code;
      return item;
    }));
    if (then) box.querySelector("[data-webauthn-continue]").href = then;
    box.classList.remove("d-none");
    box.setAttribute("tabindex", "-1");
    box.focus();
  }

  async function run(button) {
    if (!lib || !lib.browserSupportsWebAuthn()) {
      showError(button.dataset.unsupported || "This browser cannot use security keys.");
      return;
    }
    button.disabled = true;
    try {
      const options = await post(button.dataset.begin);
      if (button.dataset.webauthn === "register") {
        const credential = await lib.startRegistration({ optionsJSON: options });
        const nameInput = document.getElementById(button.dataset.nameInput || "");
        const result = await post(button.dataset.finish, {
          credential, name: nameInput ? nameInput.value : "",
        });
        showCodes(result.recovery_codes || [], result.then);
      } else {
        const credential = await lib.startAuthentication({ optionsJSON: options });
        const result = await post(button.dataset.finish, { credential });
        window.location.assign(result.then);
      }
    } catch (error) {
      showError(error.message || String(error));
    } finally {
      button.disabled = false;
    }
  }

  document.querySelectorAll("[data-webauthn]").forEach((button) => {
    button.addEventListener("click", () => run(button));
  });
})();
