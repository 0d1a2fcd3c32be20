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
})();
