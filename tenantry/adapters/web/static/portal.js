// Progressive enhancement only: every page works without it.
// - forms marked data-autosubmit post themselves (opening a link);
// - [data-copy] buttons copy the text of the element they name;
// - after a refused form, focus moves to the first field in error (or the alert);
// - a page that completed a step (body[data-completed-step]) tells its parent window, but only
//   when the page is framed by one of the allowed origins (body[data-parent-origins]).
(function () {
  "use strict";

  function parentOrigin(allowed) {
    if (window.parent === window) return null;
    var candidates = [];
    if (window.location.ancestorOrigins && window.location.ancestorOrigins.length) {
      candidates.push(window.location.ancestorOrigins[0]);
    }
    if (document.referrer) {
      try { candidates.push(new URL(document.referrer).origin); } catch (e) { /* not a URL */ }
    }
    for (var i = 0; i < candidates.length; i++) {
      if (allowed.indexOf(candidates[i].toLowerCase()) !== -1) return candidates[i];
    }
    return null;
  }

  function announce() {
    var body = document.body;
    var step = body.getAttribute("data-completed-step");
    var allowed = (body.getAttribute("data-parent-origins") || "").split(" ").filter(Boolean);
    if (!step || !allowed.length) return;
    var origin = parentOrigin(allowed);
    if (origin) {
      window.parent.postMessage({ type: "tenantry.portal", step: step }, origin);
    }
  }

  function copy(event) {
    var button = event.currentTarget;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = "Copy"; }, 2000);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var auto = document.querySelector("form[data-autosubmit]");
    if (auto) auto.submit();
    document.querySelectorAll("[data-copy]").forEach(function (b) {
      b.addEventListener("click", copy);
    });
    document.querySelectorAll("[data-confirm]").forEach(function (f) {
      f.addEventListener("submit", function (e) {
        if (!window.confirm(f.getAttribute("data-confirm"))) e.preventDefault();
      });
    });
    var invalid = document.querySelector("[aria-invalid=true]") || document.querySelector(".alert[role=alert]");
    if (invalid) {
      if (!invalid.hasAttribute("tabindex") && !/^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(invalid.tagName)) {
        invalid.setAttribute("tabindex", "-1");
      }
      invalid.focus();
    }
    announce();
  });
})();
