/* Conflicts: statistics, filters (kept in the address), a page of conflicts. */
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  if (!SB.signedIn()) return;
  const { el, pick } = SB;
  const $ = (id) => document.getElementById(id);
  const form = $("cf-filters");
  const FILTERS = ["type", "entity", "status", "runId"];
  const params = new URLSearchParams(window.location.search);
  for (const name of FILTERS) if (params.get(name)) form.elements[name].value = params.get(name);
  let page = Number(params.get("page")) || 1;

  function conflictUrl(id) { return `${SB.page.conflictsUrl}/${encodeURIComponent(id)}`; }

  function filters() {
    const out = {};
    for (const name of FILTERS) if (form.elements[name].value.trim()) out[name] = form.elements[name].value.trim();
    return out;
  }

  function row(c) {
    const id = pick(c, "id", "conflictId");
    const type = pick(c, "conflictType", "conflict_type", "type");
    const ids = pick(c, "externalIds", "external_ids") || {};
    return el("tr", { "data-conflict-id": id },
      el("td", {}, el("a", { href: conflictUrl(id) }, SB.label(type) || "conflict")),
      el("td", {}, pick(c, "entity") || "–"),
      el("td", {}, pick(c, "naturalKey", "natural_key") || Object.values(ids).join(", ") || "–"),
      el("td", {}, `${SB.systemName(pick(c, "sourceSystem", "source_system"))} → `
        + SB.systemName(pick(c, "targetSystem", "target_system"))),
      el("td", {}, el("span", { class: `badge status-${pick(c, "status")}` }, pick(c, "status") || "–")),
      el("td", { class: "cell-message" }, pick(c, "errorMessage", "error_message") || ""),
      el("td", {}, SB.fmtDate(pick(c, "createdAt", "created_at"))));
  }

  async function load() {
    const q = { ...filters(), page, pageSize: 25 };
    history.replaceState(null, "", "?" + new URLSearchParams({ ...filters(), page }).toString());
    $("conflicts").setAttribute("aria-busy", "true");
    try {
      const data = await SB.api("GET", "/conflicts", { query: q });
      const items = Array.isArray(data) ? data : (data.items || []);
      const total = pick(data, "total") ?? items.length;
      const size = pick(data, "pageSize", "page_size") || 25;
      const pages = Math.max(1, Math.ceil(total / size));
      if (!items.length) {
        const filtered = Object.keys(filters()).length;
        SB.replace("conflicts", SB.empty(filtered ? "No conflicts match these filters."
          : "No conflicts: everything synced cleanly so far."));
      } else {
        SB.replace("conflicts", SB.listTable(
          ["Type", "Entity", "Record", "Direction", "Status", "Message", "Created"], items.map(row),
          `${SB.fmtNum(total)} conflict${total === 1 ? "" : "s"}`));
      }
      $("cf-pager").hidden = pages <= 1;
      $("cf-page").textContent = `Page ${page} of ${pages}`;
      $("cf-prev").disabled = page <= 1;
      $("cf-next").disabled = page >= pages;
    } catch (err) {
      SB.replace("conflicts", SB.empty("Conflicts could not be loaded."));
      SB.flash(err.message);
    }
  }

  function statBlock(title, counts) {
    const entries = Object.entries(counts || {});
    if (!entries.length) return null;
    return el("div", { class: "stat-block" }, el("h2", { class: "stat-title" }, title),
      el("ul", { class: "stat-list" }, entries.map(([k, n]) =>
        el("li", {}, el("span", { class: "count-n" }, SB.fmtNum(n)), " ", SB.label(k)))));
  }

  async function loadStats() {
    try {
      const s = await SB.api("GET", "/conflicts/stats");
      const mean = pick(s, "meanTimeToResolutionSeconds", "mean_time_to_resolution_s", "meanTimeToResolution");
      SB.replace("cf-stats",
        statBlock("By status", pick(s, "byStatus", "by_status")),
        statBlock("By type", pick(s, "byType", "by_type")),
        mean !== undefined ? el("p", { class: "muted" }, `Mean time to resolution: ${SB.fmtDuration(mean)}`) : null);
    } catch (err) {
      SB.replace("cf-stats", el("p", { class: "muted" }, `Statistics unavailable: ${err.message}`));
    }
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); page = 1; load(); });
  $("cf-prev").addEventListener("click", () => { page -= 1; load(); });
  $("cf-next").addEventListener("click", () => { page += 1; load(); });
  loadStats();
  load();
});
