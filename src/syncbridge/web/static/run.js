/* One run: live progress per entity (polled every second), ETA, items/s; pause, resume, cancel. */
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  if (!SB.signedIn()) return;
  const { el } = SB;
  const $ = (id) => document.getElementById(id);
  const runId = $("run").dataset.runId;
  const FINAL = new Set(["completed", "failed", "cancelled"]);
  const ACTIONS = {
    pause: { button: "btn-pause", allowed: ["pending", "running"], done: "Pause requested: the run stops after the current batch." },
    resume: { button: "btn-resume", allowed: ["paused"], done: "Resumed." },
    cancel: { button: "btn-cancel", allowed: ["pending", "running", "paused"], done: "Cancelled." },
  };
  let timer = null;
  let status = null;
  let busy = false;

  function fraction(done, total) { return total ? Math.min(1, done / total) : 0; }

  function entityRow(name, e) {
    const total = e.total || 0;
    const done = e.processed || 0;
    const id = `ent-${name}`;
    return el("div", { class: "entity", "data-entity": name },
      el("div", { class: "entity-head" },
        el("label", { for: id }, el("strong", {}, name)),
        el("span", { class: `badge status-${e.status || "pending"}` }, e.status || "pending")),
      el("progress", { id, max: 1, value: fraction(done, total).toFixed(4) }),
      el("p", { class: "muted entity-counts" },
        `${SB.fmtNum(done)} of ${SB.fmtNum(total)} processed · ${SB.fmtNum(e.applied)} applied · `
        + `${SB.fmtNum(e.skipped)} skipped · ${SB.fmtNum(e.conflicts)} conflicts`));
  }

  /* Stages are the run's steps in order ({way, system, entity, state}); ``stage`` is the index of the current one. */
  function stageText(p) {
    if (!Array.isArray(p.stages)) return p.stage === undefined || p.stage === null ? "–" : String(p.stage);
    const n = p.stages.length;
    const i = Number(p.stage) || 0;
    if (!n) return "–";
    if (i >= n) return `all ${n} done`;
    const s = p.stages[i] || {};
    const way = s.way === "out" ? `hub → ${SB.systemName(s.system)}` : `${SB.systemName(s.system)} → hub`;
    return `${i + 1} of ${n}: ${s.entity || ""} ${s.system ? `(${way})` : ""}`.trim();
  }

  function render(run) {
    status = run.status;
    const p = run.progress || {};
    $("run").removeAttribute("aria-busy");
    const badge = $("run-status");
    badge.textContent = run.status;
    badge.className = `badge status-${run.status}`;
    $("run-dry").hidden = !run.dryRun;
    const part = fraction(p.processed || 0, p.total || 0);
    $("run-progress").value = part;
    $("run-percent").textContent = p.total ? `${Math.floor(part * 100)} %` : "";
    $("st-processed").textContent = `${SB.fmtNum(p.processed)} / ${SB.fmtNum(p.total)}`;
    $("st-applied").textContent = SB.fmtNum(p.applied);
    $("st-skipped").textContent = SB.fmtNum(p.skipped);
    $("st-conflicts").textContent = SB.fmtNum(p.conflicts);
    $("st-rate").textContent = p.itemsPerSecond === undefined || p.itemsPerSecond === null
      ? "–" : Number(p.itemsPerSecond).toFixed(1);
    $("st-eta").textContent = FINAL.has(run.status) ? "done" : run.status === "paused" ? "paused"
      : p.etaSeconds === null || p.etaSeconds === undefined ? "estimating…" : SB.fmtDuration(p.etaSeconds);
    $("st-stage").textContent = stageText(p);
    const blocked = run.blockedSystems || [];
    const reasons = Object.values(run.blockedReasons || {}).filter(Boolean).join("; ");
    SB.show("run-blocked", blocked.length
      ? `Calls to ${blocked.map(SB.systemName).join(" and ")} are stopped for this run: the credentials were refused.`
        + (reasons ? ` (${reasons})` : "")
      : "");
    SB.show("run-error", run.error ? `The run failed: ${run.error}` : "");
    const entities = Object.entries(p.entities || {});
    SB.replace("run-entities", entities.length ? entities.map(([name, e]) => entityRow(name, e))
      : SB.empty("No per-entity progress yet: the run is being planned."));
    for (const action of Object.values(ACTIONS)) $(action.button).disabled = busy || !action.allowed.includes(run.status);
    $("run-live").textContent = FINAL.has(run.status)
      ? `The run is ${run.status}${run.finishedAt ? ` (${SB.fmtDate(run.finishedAt)})` : ""}.`
      : "Updating every second.";
  }

  async function poll() {
    try {
      render(await SB.api("GET", `/sync/runs/${encodeURIComponent(runId)}`));
      if ($("flash").classList.contains("error")) SB.clearFlash();
      if (!FINAL.has(status)) timer = setTimeout(poll, 1000);
    } catch (err) {
      SB.flash(`The run's status could not be read: ${err.message}`);
      if (err.status === 404 || err.status === 401) { $("run").removeAttribute("aria-busy"); return; }
      timer = setTimeout(poll, err.retryAfter ? err.retryAfter * 1000 : 3000);
    }
  }

  for (const [action, spec] of Object.entries(ACTIONS)) {
    $(spec.button).addEventListener("click", async () => {
      busy = true;
      for (const a of Object.values(ACTIONS)) $(a.button).disabled = true;
      try {
        const run = await SB.api("POST", "/sync/orchestrate", { body: { action, runId } });
        busy = false;
        render(run);
        SB.flash(spec.done, "info");
        clearTimeout(timer);
        if (!FINAL.has(run.status)) timer = setTimeout(poll, 1000);
      } catch (err) {
        busy = false;
        SB.flash(`Could not ${action} the run: ${err.message}`);
        clearTimeout(timer);
        poll();
      }
    });
  }
  poll();
});
