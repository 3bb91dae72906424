// The staff console's only script (the Content-Security-Policy allows no other and no inline
// code): the compose page's live preview, the broadcast page's live progress, and a
// confirmation before destructive buttons. Every page works without it, only less live.
"use strict";

(function () {
  const PREVIEW_DELAY_MS = 300;
  const POLL_MS = 1000;
  const FINISHED = new Set(["done", "cancelled"]);

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function setText(root, selector, value) {
    const node = root.querySelector(selector);
    if (node) node.textContent = value === null || value === undefined ? "" : String(value);
  }

  // -- compose: a preview per language as the staff member types --------------------------

  function setupPreview(form) {
    const panel = document.getElementById("preview");
    const url = form.dataset.previewUrl;
    let timer = null;
    let latest = 0; // answers can arrive out of order: only the newest request's is shown

    function showProblems(problems) {
      const list = document.getElementById("preview-problems");
      list.replaceChildren();
      for (const problem of problems || []) {
        const item = document.createElement("li");
        item.textContent = problem;
        list.appendChild(item);
      }
    }

    function clearRows() {
      for (const row of panel.querySelectorAll("tr[data-lang]")) {
        for (const cell of row.querySelectorAll(".segments, .encoding, .sms-recipients, .whatsapp-recipients, .sms-text, .source")) {
          cell.textContent = "";
        }
      }
      for (const id of ["total-recipients", "total-time", "total-segments", "total-cost"]) {
        setText(document, "#" + id, "—");
      }
    }

    function show(answer) {
      showProblems(answer.problems);
      if (!answer.ready) {
        panel.dataset.state = "empty";
        clearRows();
        return;
      }
      for (const row of answer.languages) {
        const tr = panel.querySelector('tr[data-lang="' + row.language + '"]');
        if (!tr) continue;
        setText(tr, ".sms-text", row.sms_text);
        setText(tr, ".segments", row.segments);
        setText(tr, ".encoding", row.encoding);
        setText(tr, ".sms-recipients", row.sms_recipients);
        setText(tr, ".whatsapp-recipients", row.whatsapp_recipients);
        setText(tr, ".source", row.own_text ? "" : "gets the English text");
        tr.classList.toggle("fallback", !row.own_text);
      }
      setText(document, "#total-recipients", answer.recipients);
      setText(document, "#total-time", answer.estimated_time);
      setText(document, "#total-segments", answer.total_segments);
      setText(document, "#total-cost", answer.estimated_cost_text);
      setText(document, "#rate", answer.rate_per_second);
      panel.dataset.state = "ready";
    }

    async function refresh() {
      const ticket = ++latest;
      panel.dataset.state = "loading";
      try {
        const response = await fetch(url, {
          method: "POST",
          body: new FormData(form),
          headers: { "X-CSRF-Token": csrfToken(), "Accept": "application/json" },
          credentials: "same-origin",
        });
        if (ticket !== latest) return;
        if (response.status === 401) {
          showProblems(["You were signed out: reload the page and sign in again (your text stays in this tab)."]);
          panel.dataset.state = "error";
          return;
        }
        const answer = await response.json();
        if (ticket !== latest) return;
        if (!response.ok) {
          showProblems([answer.error || "The preview failed (" + response.status + ")."]);
          panel.dataset.state = "error";
          return;
        }
        show(answer);
      } catch (error) {
        if (ticket === latest) {
          showProblems(["The preview could not be loaded: " + error.message]);
          panel.dataset.state = "error";
        }
      }
    }

    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(refresh, PREVIEW_DELAY_MS);
    }

    form.addEventListener("input", schedule);
    form.addEventListener("change", schedule);
    schedule(); // a form shown again after an error already has text
  }

  // -- a broadcast's page: progress and counts, live ----------------------------------------

  function setupProgress(panel) {
    const url = panel.dataset.statusUrl;
    const bar = document.getElementById("progress");
    const label = document.getElementById("progress-text");
    const note = document.getElementById("live-note");

    function show(state) {
      const percent = Math.round(state.progress * 1000) / 10;
      bar.value = percent;
      label.textContent = Math.floor(percent) + "%";
      for (const [name, value] of Object.entries(state.counts)) {
        setText(document, '[data-count="' + name + '"]', value);
      }
      for (const badge of document.querySelectorAll("[data-status-badge]")) {
        badge.textContent = state.status;
        badge.className = "status status-" + state.status;
      }
      panel.dataset.status = state.status;
      setText(document, "#started-at", state.started_at_text);
      setText(document, "#finished-at", state.finished_at_text);
      for (const form of panel.querySelectorAll("form[data-when]")) {
        form.hidden = !form.dataset.when.split(" ").includes(state.status);
      }
    }

    async function poll() {
      try {
        const response = await fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" });
        if (response.status === 401) {
          note.textContent = "Live updates stopped: you were signed out. Reload to sign in again.";
          return;
        }
        if (response.ok) {
          const state = await response.json();
          show(state);
          if (state.finished) {
            note.textContent = "Finished.";
            return;
          }
          note.textContent = "Updating live.";
        }
      } catch (error) {
        note.textContent = "Live updates interrupted; retrying.";
      }
      setTimeout(poll, POLL_MS);
    }

    if (!FINISHED.has(panel.dataset.status)) poll();
  }

  // -- confirmation before destructive buttons ----------------------------------------------

  function setupConfirmations() {
    document.addEventListener("submit", (event) => {
      const button = event.submitter;
      const question = button && button.dataset.confirm;
      if (question && !window.confirm(question)) event.preventDefault();
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("compose");
    if (form) setupPreview(form);
    const panel = document.getElementById("progress-panel");
    if (panel) setupProgress(panel);
    setupConfirmations();
  });
})();
