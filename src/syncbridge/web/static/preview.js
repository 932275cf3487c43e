/* Preview: what a run would change, per system and entity, with field-level diffs and the selective toggles. */
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  if (!SB.signedIn()) return;
  const { el } = SB;
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(window.location.search);
  const state = { page: Number(params.get("page")) || 1, totalPages: 1 };
  for (const [id, name] of [["pv-system", "sync_type"], ["pv-entity", "entity_type"], ["pv-direction", "direction"]]) {
    if (params.get(name)) $(id).value = params.get(name);
  }
  const KINDS = [["new", "New"], ["updated", "Updated"], ["deleted", "Deleted"]];
  const KEY_FIELDS = ["naturalKey", "natural_key", "email", "sku", "number", "reference", "external_id", "id"];

  function query() {
    return { sync_type: $("pv-system").value, entity_type: $("pv-entity").value, direction: $("pv-direction").value };
  }

  function recordKey(record) {
    for (const name of KEY_FIELDS) if (record && record[name]) return String(record[name]);
    return "(no key)";
  }

  function summary(record) {
    const skip = new Set(["hub_id", "external_id", "modified_at", ...KEY_FIELDS]);
    return Object.entries(record || {})
      .filter(([k, v]) => !skip.has(k) && v !== "" && v !== null && typeof v !== "object")
      .slice(0, 5).map(([k, v]) => `${SB.label(k)}: ${v}`).join(" · ");
  }

  function diffTable(changes) {
    const rows = Object.entries(changes || {});
    if (!rows.length) return el("p", { class: "muted" }, "No field differs.");
    return el("table", { class: "diff" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Field"), el("th", { scope: "col" }, "Old"),
        el("th", { scope: "col" }, "New"))),
      el("tbody", {}, rows.map(([field, change]) => el("tr", { class: "changed" },
        el("th", { scope: "row" }, SB.label(field)),
        el("td", {}, el("del", {}, SB.fmtValue(change.old))),
        el("td", {}, el("ins", {}, SB.fmtValue(change.new)))))));
  }

  function kindSection(kind, title, block) {
    const records = block.records || [];
    const heading = el("h3", { id: `pv-${kind}-title` }, `${title} (${SB.fmtNum(block.count)})`);
    let body;
    if (!block.count) body = SB.empty(`No ${title.toLowerCase()} records.`);
    else if (!records.length) body = el("p", { class: "muted" }, "No records on this page.");
    else if (kind === "updated") {
      body = el("ul", { class: "records" }, records.map((r) => el("li", { class: "record" },
        el("p", { class: "record-key" }, recordKey(r)), diffTable(r.changes || r.diff))));
    } else {
      body = el("ul", { class: "records" }, records.map((r) => el("li", { class: "record" },
        el("p", { class: "record-key" }, recordKey(r)), el("p", { class: "muted" }, summary(r)))));
    }
    return el("section", { class: `kind kind-${kind}`, "aria-labelledby": `pv-${kind}-title` }, heading, body);
  }

  function render(data) {
    const delta = data.delta || {};
    SB.replace("pv-counts", KINDS.map(([kind, title]) => el("a", {
      class: `count count-${kind}`, href: `#pv-${kind}-title`, "data-kind": kind,
    }, el("span", { class: "count-n" }, SB.fmtNum((delta[kind] || {}).count || 0)), el("span", {}, title))));
    SB.replace("pv-results", KINDS.map(([kind, title]) => kindSection(kind, title, delta[kind] || { count: 0 })));
    state.totalPages = Math.max(1, ...KINDS.map(([kind]) => (delta[kind] || {}).totalPages || 1));
    $("pv-pager").hidden = state.totalPages <= 1;
    $("pv-page").textContent = `Page ${state.page} of ${state.totalPages}`;
    $("pv-prev").disabled = state.page <= 1;
    $("pv-next").disabled = state.page >= state.totalPages;
    const source = data.cacheHit ? "from the cache" : "freshly computed";
    $("pv-meta").textContent = `${SB.systemName(data.syncType)} · ${data.entityType} · ${source} at `
      + `${SB.fmtDate(data.computedAt)}; valid until ${SB.fmtDate(data.expiresAt)}.`;
  }

  async function load(refresh) {
    SB.clearFlash();
    const q = { ...query(), page: state.page, page_size: 20 };
    history.replaceState(null, "", "?" + new URLSearchParams(q).toString());
    $("pv-meta").textContent = refresh ? "Reading the source system again…" : "Computing the preview…";
    $("pv-results").setAttribute("aria-busy", "true");
    try {
      const data = refresh
        ? await SB.api("POST", "/sync/preview", { query: { ...q, action: "fetch" } })
        : await SB.api("GET", "/sync/preview", { query: q });
      render(data);
    } catch (err) {
      $("pv-meta").textContent = "";
      SB.replace("pv-results", SB.empty("No preview to show."));
      SB.replace("pv-counts");
      SB.flash(`The preview failed: ${err.message}`);
    }
  }

  function selectiveFrom(data, entity) {
    const candidates = [data && data[entity], data && data.items && data.items[entity],
      data && data.selective && data.selective[entity], data];
    if (Array.isArray(data)) candidates.unshift(data.find((s) => s.entity === entity || s.entityType === entity));
    return candidates.find((c) => c && typeof c === "object" && "includeNew" in c)
      || { includeNew: true, includeUpdated: true, includeDeleted: false };
  }

  // The toggles show one entity's saved selection: while it loads they are disabled (so nothing typed into them
  // is overwritten when it arrives), the legend names the entity once they hold its values, and a response for
  // an entity chosen before the current one is dropped.
  let selectiveLoads = 0;
  async function loadSelective() {
    const entity = $("pv-entity").value;
    const load = ++selectiveLoads;
    const fields = $("selective-form").querySelector("fieldset");
    fields.disabled = true;
    $("sel-status").textContent = "";
    try {
      const sel = selectiveFrom(await SB.api("GET", "/settings/selective", { query: { entity_type: entity } }), entity);
      if (load !== selectiveLoads) return;
      $("sel-new").checked = Boolean(sel.includeNew);
      $("sel-updated").checked = Boolean(sel.includeUpdated);
      $("sel-deleted").checked = Boolean(sel.includeDeleted);
    } catch (err) {
      if (load !== selectiveLoads) return;
      $("sel-status").textContent = `The saved selection could not be read: ${err.message}`;
    }
    $("sel-entity").textContent = entity;
    fields.disabled = false;
  }

  $("preview-form").addEventListener("submit", (event) => { event.preventDefault(); state.page = 1; load(false); });
  $("pv-refresh").addEventListener("click", () => { state.page = 1; load(true); });
  $("pv-entity").addEventListener("change", loadSelective);
  $("pv-prev").addEventListener("click", () => { state.page -= 1; load(false); });
  $("pv-next").addEventListener("click", () => { state.page += 1; load(false); });

  $("selective-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const entity = $("pv-entity").value;
    const button = event.target.querySelector("button[type=submit]");
    const body = {
      includeNew: $("sel-new").checked, includeUpdated: $("sel-updated").checked,
      includeDeleted: $("sel-deleted").checked,
    };
    SB.setBusy(button, true);
    try {
      await SB.api("POST", "/sync/preview", { query: { action: "select", entity_type: entity }, body });
      const kinds = [body.includeNew && "new", body.includeUpdated && "updated", body.includeDeleted && "deleted"]
        .filter(Boolean);
      $("sel-status").textContent = kinds.length
        ? `Saved: runs of ${entity} will include ${kinds.join(", ")} records.`
        : `Saved: runs of ${entity} will change nothing.`;
    } catch (err) {
      $("sel-status").textContent = `Not saved: ${err.message}`;
    } finally {
      SB.setBusy(button, false);
    }
  });

  loadSelective();
  if (params.get("entity_type")) load(false);
});
