/* The report workspace: word counts, add-a-row, and autosave.
 *
 * Everything here is an enhancement: without JavaScript the Save button posts the form and the
 * page comes back with "Saved at …". With it, the section is also saved every
 * data-autosave-seconds (REPORT_AUTOSAVE_SECONDS) while there are unsaved changes and when the
 * person leaves a field: the same form is POSTed with fetch() and the header X-Requested-With,
 * the answer is JSON. The hidden base_version follows the saved version. A conflict (409) or an
 * expired session (401) stops autosaving and offers a button that posts the form the ordinary
 * way, which shows both texts side by side, or keeps the text and asks the person to log in.
 *
 * Rows (success stories, indicators) are posted as they are on the page; the server saves
 * exactly those, so the management form need not learn which rows an autosave stored. Save
 * pressed while an autosave is on its way waits for its answer (and the new base_version), so
 * the two never look like a colleague's edit to each other.
 */
(function () {
  "use strict";

  var messagesEl = document.getElementById("workspace-messages");
  var M = messagesEl ? messagesEl.dataset : {};
  var lang = document.documentElement.lang || undefined;

  function fmt(n) {
    try { return n.toLocaleString(lang); } catch (e) { return String(n); }
  }

  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (_m, key) {
      return values[key] !== undefined ? values[key] : "";
    });
  }

  // --- Word and character counts ---------------------------------------------------------------

  var segmenter = null;
  if (window.Intl && Intl.Segmenter) {
    try { segmenter = new Intl.Segmenter(lang, { granularity: "word" }); } catch (e) { segmenter = null; }
  }

  function countWords(text) {
    if (!text.trim()) { return 0; }
    if (segmenter) {
      var n = 0;
      for (var part of segmenter.segment(text)) { if (part.isWordLike) { n += 1; } }
      return n;
    }
    return text.trim().split(/\s+/).length;
  }

  function updateCount(area) {
    var out = document.getElementById(area.id + "_count");
    if (!out) { return; }
    var max = parseInt(area.dataset.maxLength || "0", 10);
    var chars = area.value.length;
    var text = fill(M.count, { words: fmt(countWords(area.value)), chars: fmt(chars), max: fmt(max) });
    if (max && chars > max) {
      text += " " + fill(M.tooLong, { over: fmt(chars - max) });
      out.classList.add("text-danger", "fw-semibold");
    } else {
      out.classList.remove("text-danger", "fw-semibold");
    }
    out.textContent = text;
  }

  function bindCounters(root) {
    root.querySelectorAll("textarea.js-long-text").forEach(function (area) {
      updateCount(area);
      area.addEventListener("input", function () { updateCount(area); });
    });
  }
  bindCounters(document);

  var form = document.querySelector("form[data-autosave]");
  if (!form) { return; }

  // --- Autosave -------------------------------------------------------------------------------

  var statusEl = document.getElementById("save-status");
  var actionEl = document.getElementById("save-action");
  var dirty = form.dataset.restored === "1";
  var generation = 0;
  var failedGeneration = -1;
  var saving = false;
  var stopped = false;
  var submitting = false;
  var blurTimer = null;
  var csrfRetried = false;
  var pendingSubmit = null; // Save pressed during an autosave: { submitter: button or null }

  function setStatus(text, kind) {
    statusEl.textContent = text;
    statusEl.dataset.kind = kind || "";
  }

  function offer(label, message) {
    stopped = true;
    setStatus(message, "error");
    if (!actionEl) { return; }
    actionEl.textContent = label;
    actionEl.hidden = false;
  }

  if (actionEl) {
    actionEl.addEventListener("click", function () {
      submitting = true;
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    });
  }

  function markDirty() {
    dirty = true;
    generation += 1;
    if (!saving && !stopped) { setStatus(M.unsaved, "dirty"); }
  }
  form.addEventListener("input", markDirty);
  form.addEventListener("change", markDirty);

  form.addEventListener("focusout", function (event) {
    if (!event.target.matches("input, textarea, select")) { return; }
    clearTimeout(blurTimer);
    blurTimer = setTimeout(save, 400);
  });
  window.setInterval(save, parseInt(form.dataset.autosaveSeconds || "30", 10) * 1000);

  form.addEventListener("submit", function (event) {
    if (saving) {
      event.preventDefault();
      pendingSubmit = { submitter: event.submitter || null };
      return;
    }
    submitting = true;
  });

  // An autosave has its answer: a Save pressed meanwhile goes ahead now, with the new version.
  function finished() {
    saving = false;
    if (!pendingSubmit) { return false; }
    var submitter = pendingSubmit.submitter;
    pendingSubmit = null;
    if (form.requestSubmit) { form.requestSubmit(submitter); } else { submitting = true; form.submit(); }
    return true;
  }

  window.addEventListener("beforeunload", function (event) {
    if (dirty && !submitting) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  function setVersion(version) {
    document.querySelectorAll('input[name="base_version"]').forEach(function (input) {
      input.value = version;
    });
  }

  function updateOutline(data) {
    if (data.states) {
      Object.keys(data.states).forEach(function (key) {
        var item = document.querySelector('[data-outline-key="' + key + '"] > a .state');
        if (!item) { return; }
        item.textContent = data.states[key].label;
        item.className = "state state-" + data.states[key].state;
      });
    }
    if (typeof data.progress === "number") {
      document.querySelectorAll("[data-progress]").forEach(function (bar) {
        bar.style.width = data.progress + "%";
        bar.parentElement.setAttribute("aria-valuenow", data.progress);
      });
      document.querySelectorAll("[data-progress-text]").forEach(function (el) {
        el.textContent = fill(M.progress, { percent: data.progress });
      });
    }
  }

  function refreshCsrf() {
    // The CSRF token changes when the person logs in again (in another tab): fetch the page
    // once more and take the new token from it.
    return fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector('input[name="csrfmiddlewaretoken"]');
        if (!fresh) { return false; }
        document.querySelectorAll('input[name="csrfmiddlewaretoken"]').forEach(function (input) {
          input.value = fresh.value;
        });
        return true;
      })
      .catch(function () { return false; });
  }

  function save() {
    if (!dirty || saving || stopped || submitting || generation === failedGeneration) { return; }
    saving = true;
    var started = generation;
    setStatus(M.saving, "saving");
    fetch(form.action || window.location.href, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "XMLHttpRequest", Accept: "application/json" },
    })
      .then(function (response) {
        return response.json()
          .catch(function () { return {}; })
          .then(function (data) { return { status: response.status, data: data }; });
      })
      .then(function (result) {
        var data = result.data || {};
        if (result.status === 403 && !csrfRetried) {
          csrfRetried = true;
          refreshCsrf().then(function (ok) {
            if (finished()) { return; }
            if (ok) { save(); } else { setStatus(M.failed, "error"); }
          });
          return;
        }
        if (result.status === 200 && data.ok) {
          csrfRetried = false;
          setVersion(data.version);
          if (started === generation && data.incomplete) {
            // Saved, but for a row still being typed: not sent again until the person types on,
            // and leaving the page still warns.
            failedGeneration = started;
            setStatus(data.message, "saved");
          } else if (started === generation) {
            dirty = false;
            setStatus(data.message, "saved");
          } else {
            setStatus(M.unsaved, "dirty"); // typed on meanwhile: that part is saved next time
          }
          updateOutline(data);
        } else if (result.status === 409 && data.conflict) {
          offer(M.compare, data.message);
        } else if (result.status === 401) {
          offer(M.login, data.message);
        } else if (result.status === 400) {
          failedGeneration = started;
          setStatus(data.message || M.failed, "error");
        } else if (result.status === 409) {
          offer(M.reload, data.message || M.failed);
        } else {
          setStatus(M.failed, "error");
        }
        finished();
      })
      .catch(function () {
        setStatus(M.offline, "error");
        finished();
      });
  }

  // --- Add a row (success stories, indicators) ----------------------------------------------

  document.querySelectorAll("[data-formset-add]").forEach(function (button) {
    var prefix = button.dataset.formsetAdd;
    var total = form.querySelector("#id_" + prefix + "-TOTAL_FORMS");
    var maxInput = form.querySelector("#id_" + prefix + "-MAX_NUM_FORMS");
    var template = document.getElementById(prefix + "-template");
    var rows = form.querySelector('[data-formset-rows="' + prefix + '"]');
    if (!total || !template || !rows) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      var max = parseInt(maxInput ? maxInput.value : "1000", 10);
      if (index >= max) {
        setStatus(fill(M.maxRows, { max: max }), "error");
        return;
      }
      var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = index + 1;
      var row = rows.lastElementChild;
      bindCounters(row);
      var first = row.querySelector("input:not([type=hidden]), textarea");
      if (first) { first.focus(); }
      markDirty();
    });
  });

  if (dirty) { setStatus(M.restored, "dirty"); }
})();
