/* Radar's session warning and form drafts, loaded from this site (no CDN).

   Two minutes before the idle limit, a dialog (role="alertdialog", focus moved to "Stay logged in", Escape does
   the same) offers to stay logged in (WCAG 2.2.1). The server is asked how long is left before warning, so a
   session kept alive in another tab is not ended here. When the time is up, the page goes to the login page,
   which says why.

   What is typed in a form is kept in this tab's sessionStorage as it is typed (never passwords, files or hidden
   fields), and offered back when the form's page opens again, typically after logging in again. A draft is
   dropped when its form is sent while the session is alive, or when the user logs out. */
(function () {
  "use strict";
  var body = document.body;
  var statusUrl = body.getAttribute("data-session-status");
  if (!statusUrl) {
    return;
  }
  var warningSeconds = Number(body.getAttribute("data-session-warning"));
  var loginUrl = body.getAttribute("data-login-url");
  var dialog = document.getElementById("session-warning");
  var stayButton = document.getElementById("session-stay");
  var leaveButton = document.getElementById("session-leave");
  var logoutForm = document.querySelector("form.logout");
  var csrfInput = logoutForm && logoutForm.querySelector("input[name=csrfmiddlewaretoken]");
  var DRAFT_PREFIX = "radar-draft:";
  var deadline = Date.now() + Number(body.getAttribute("data-session-seconds")) * 1000;
  var timer = null;
  var previousFocus = null;

  /* Asks the server again at the start of the warning, or at the end of the session once the warning shows. */
  function schedule(secondsLeft) {
    deadline = Date.now() + secondsLeft * 1000;
    clearTimeout(timer);
    var wait = 0;
    if (!dialog.hidden) {
      wait = secondsLeft;
    } else if (secondsLeft > warningSeconds) {
      wait = secondsLeft - warningSeconds;
    }
    timer = setTimeout(check, Math.max(wait, 0) * 1000);
  }

  /* A session the server has already ended answers 401 (or, through a proxy, a redirect to the login page). */
  function answer(response) {
    if (!response.ok || response.redirected) {
      return { seconds_left: 0 };
    }
    return response.json();
  }

  function check() {
    fetch(statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(answer)
      .then(function (data) {
        if (data.seconds_left <= 0) {
          expire();
        } else if (data.seconds_left > warningSeconds) {
          hide();
          schedule(data.seconds_left);
        } else {
          show();
          schedule(data.seconds_left);
        }
      })
      .catch(function () { timer = setTimeout(check, 30000); });
  }

  function show() {
    if (!dialog.hidden) {
      return;
    }
    previousFocus = document.activeElement;
    dialog.hidden = false;
    stayButton.focus();
  }

  function hide() {
    if (dialog.hidden) {
      return;
    }
    dialog.hidden = true;
    if (previousFocus && previousFocus.focus) {
      previousFocus.focus();
    }
  }

  function stay() {
    fetch(statusUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfInput ? csrfInput.value : "" }
    })
      .then(answer)
      .then(function (data) {
        if (data.seconds_left <= 0) {
          expire();
          return;
        }
        hide();
        schedule(data.seconds_left);
      })
      .catch(expire);
  }

  function expire() {
    draftableForms().forEach(saveDraft);
    var next = window.location.pathname + window.location.search;
    window.location.assign(loginUrl + "?reason=idle&next=" + encodeURIComponent(next));
  }

  stayButton.addEventListener("click", stay);
  leaveButton.addEventListener("click", function () {
    clearDrafts();
    logoutForm.submit();
  });
  dialog.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      stay();
    } else if (event.key === "Tab") {
      // Two buttons: the focus stays inside the dialog while it is open.
      event.preventDefault();
      (document.activeElement === stayButton ? leaveButton : stayButton).focus();
    }
  });
  if (logoutForm) {
    logoutForm.addEventListener("submit", clearDrafts);
  }

  /* Drafts ---------------------------------------------------------------------------------------------- */

  function draftableForms() {
    return Array.prototype.filter.call(document.querySelectorAll("form[method=post], form[method=POST]"), function (form) {
      return !form.classList.contains("logout") && !form.hasAttribute("data-no-draft");
    });
  }

  function draftKey(form, index) {
    return DRAFT_PREFIX + window.location.pathname + "#" + (form.id || index);
  }

  function kept(element) {
    var type = (element.type || "").toLowerCase();
    return element.name && ["password", "hidden", "file", "submit", "button", "reset"].indexOf(type) === -1;
  }

  function saveDraft(form) {
    var fields = [];
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!kept(element)) {
        return;
      }
      var type = (element.type || "").toLowerCase();
      if (type === "checkbox" || type === "radio") {
        fields.push({ name: element.name, value: element.value, checked: element.checked });
      } else if (type === "select-multiple") {
        fields.push({ name: element.name, values: Array.prototype.map.call(element.selectedOptions, function (o) { return o.value; }) });
      } else {
        fields.push({ name: element.name, value: element.value });
      }
    });
    try {
      sessionStorage.setItem(form.getAttribute("data-draft-key"), JSON.stringify(fields));
    } catch (error) {
      // Storage full or refused: the form still works, only the draft is not kept.
    }
  }

  function restoreDraft(form, fields) {
    var byName = {};
    fields.forEach(function (field) { (byName[field.name] = byName[field.name] || []).push(field); });
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!kept(element) || !byName[element.name]) {
        return;
      }
      var type = (element.type || "").toLowerCase();
      var saved = byName[element.name];
      if (type === "checkbox" || type === "radio") {
        element.checked = saved.some(function (field) { return field.value === element.value && field.checked; });
      } else if (type === "select-multiple") {
        Array.prototype.forEach.call(element.options, function (option) {
          option.selected = saved[0].values.indexOf(option.value) !== -1;
        });
      } else {
        element.value = saved.shift().value;
      }
    });
  }

  function clearDrafts() {
    for (var index = sessionStorage.length - 1; index >= 0; index -= 1) {
      var key = sessionStorage.key(index);
      if (key && key.indexOf(DRAFT_PREFIX) === 0) {
        sessionStorage.removeItem(key);
      }
    }
  }

  function offer(form, fields) {
    var template = document.getElementById("draft-notice");
    var notice = template.content.firstElementChild.cloneNode(true);
    notice.querySelector("[data-draft=restore]").addEventListener("click", function () {
      restoreDraft(form, fields);
      notice.remove();
      var first = form.querySelector("input:not([type=hidden]), select, textarea");
      if (first) {
        first.focus();
      }
    });
    notice.querySelector("[data-draft=discard]").addEventListener("click", function () {
      sessionStorage.removeItem(form.getAttribute("data-draft-key"));
      notice.remove();
    });
    form.parentNode.insertBefore(notice, form);
  }

  draftableForms().forEach(function (form, index) {
    var key = draftKey(form, index);
    form.setAttribute("data-draft-key", key);
    var stored = sessionStorage.getItem(key);
    if (stored) {
      try {
        offer(form, JSON.parse(stored));
      } catch (error) {
        sessionStorage.removeItem(key);
      }
    }
    form.addEventListener("input", function () { saveDraft(form); });
    form.addEventListener("change", function () { saveDraft(form); });
    form.addEventListener("submit", function () {
      if (Date.now() < deadline) {
        sessionStorage.removeItem(key);
      }
    });
  });

  schedule(Number(body.getAttribute("data-session-seconds")));
})();
