/* Runs: start one with its settings; the recent runs of the organization. */
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  if (!SB.signedIn()) return;
  const { el } = SB;
  const form = document.getElementById("start-form");

  function runUrl(id) { return `${SB.page.runsUrl}/${encodeURIComponent(id)}`; }

  function whole(name, text, min, max) {
    const input = form.elements[name];
    const value = Number(input.value);
    if (input.value.trim() === "" || !Number.isInteger(value) || value < min || (max !== null && value > max)) {
      input.setAttribute("aria-invalid", "true");
      input.focus();
      throw new Error(max === null ? `${text} must be a whole number of at least ${min}.`
        : `${text} must be a whole number from ${min} to ${max}.`);
    }
    input.removeAttribute("aria-invalid");
    return value;
  }

  function checked(name) {
    return Array.from(form.querySelectorAll(`input[name=${name}]:checked`)).map((input) => input.value);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    SB.show("start-error", "");
    let body;
    try {
      const systems = checked("systems");
      const entityTypes = checked("entities");
      if (!systems.length) throw new Error("Choose at least one system.");
      if (!entityTypes.length) throw new Error("Choose at least one entity.");
      body = {
        action: "start", systems, entityTypes, direction: form.elements.direction.value,
        syncConfig: {
          batchSize: whole("batchSize", "Batch size", 1, 1000),
          batchDelayMs: whole("batchDelayMs", "The delay between batches", 0, 600000),
          maxRetries: whole("maxRetries", "Max retries", 0, 20),
          dryRun: form.elements.dryRun.checked,
        },
      };
    } catch (err) {
      SB.show("start-error", err.message);
      return;
    }
    const button = form.querySelector("button[type=submit]");
    SB.setBusy(button, true);
    try {
      const run = await SB.api("POST", "/sync/orchestrate", { body });
      window.location.assign(runUrl(run.runId));
    } catch (err) {
      SB.show("start-error", `The run did not start: ${err.message}`);
      SB.setBusy(button, false);
    }
  });

  function runRow(run) {
    const p = run.progress || {};
    return el("tr", {},
      el("td", {}, el("a", { href: runUrl(run.runId) }, run.runId)),
      el("td", {}, el("span", { class: `badge status-${run.status}` }, run.status), run.dryRun ? " dry run" : ""),
      el("td", {}, (run.systems || []).map(SB.systemName).join(", ")),
      el("td", {}, (run.entities || []).join(", ")),
      el("td", { class: "num" }, `${SB.fmtNum(p.processed)} / ${SB.fmtNum(p.total)}`),
      el("td", { class: "num" }, SB.fmtNum(p.conflicts)),
      el("td", {}, SB.fmtDate(run.createdAt)));
  }

  async function loadRuns() {
    try {
      const data = await SB.api("GET", "/sync/runs", { query: { limit: 20 } });
      const runs = Array.isArray(data) ? data : (data.items || data.runs || []);
      if (!runs.length) {
        SB.replace("runs", SB.empty("No runs yet. Start one with the form above."));
        return;
      }
      SB.replace("runs", SB.listTable(
        ["Run", "Status", "Systems", "Entities", "Processed", "Conflicts", "Created"], runs.map(runRow)));
    } catch (err) {
      SB.replace("runs", SB.empty("Runs could not be loaded."));
      SB.flash(err.message);
    }
  }
  loadRuns();
});
