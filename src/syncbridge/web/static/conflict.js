/* One conflict: both versions side by side with the differing fields marked; resolve it. */
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  if (!SB.signedIn()) return;
  const { el, pick } = SB;
  const $ = (id) => document.getElementById(id);
  const conflictId = $("conflict").dataset.conflictId;
  const form = $("resolve-form");
  const OPEN = new Set(["open", "retrying"]);

  /* Rows {field, source, target, hub, differs}: the service's side-by-side rows, else built from both versions. */
  function fieldRows(c) {
    if (Array.isArray(c.fields) && c.fields.length) return c.fields;
    const a = pick(c, "sourceVersion", "source_version") || {};
    const b = pick(c, "targetVersion", "target_version") || {};
    const named = new Set(Object.keys(c.diff || {}));
    return [...new Set([...Object.keys(a), ...Object.keys(b)])]
      .filter((f) => !["hub_id", "external_id", "modified_at"].includes(f))
      .map((f) => ({ field: f, source: a[f], target: b[f], differs: named.size ? named.has(f) : !SB.same(a[f], b[f]) }));
  }

  function summary(c) {
    const rows = [
      ["Type", SB.label(pick(c, "conflictType", "conflict_type", "type"))],
      ["Entity", pick(c, "entity")],
      ["Record", pick(c, "naturalKey", "natural_key")],
      ["Direction", `${SB.systemName(pick(c, "sourceSystem", "source_system"))} → `
        + SB.systemName(pick(c, "targetSystem", "target_system"))],
      ["Status", pick(c, "status")],
      ["Strategy", SB.label(pick(c, "strategy"))],
      ["Attempts", pick(c, "attempts")],
      ["Error", [pick(c, "errorMessage", "error_message"), pick(c, "errorCode") && `(${c.errorCode})`]
        .filter(Boolean).join(" ")],
      ["Run", pick(c, "runId", "run_id")],
      ["Created", SB.fmtDate(pick(c, "createdAt", "created_at"))],
      ["Resolution", SB.label(pick(c, "resolution"))],
      ["Resolved by", pick(c, "resolvedBy", "resolved_by")],
      ["Resolved at", pick(c, "resolvedAt", "resolved_at") && SB.fmtDate(pick(c, "resolvedAt", "resolved_at"))],
    ].filter(([, v]) => v !== undefined && v !== null && v !== "");
    return el("dl", { class: "pairs" }, rows.map(([k, v]) => el("div", {}, el("dt", {}, k), el("dd", {}, String(v)))));
  }

  function sideBySide(c, rows) {
    if (!rows.length) return SB.empty("Neither version of the record was kept with this conflict.");
    const withHub = Boolean(c.hubVersion);
    const src = SB.systemName(pick(c, "sourceSystem", "source_system"));
    const tgt = SB.systemName(pick(c, "targetSystem", "target_system"));
    const heads = ["Field", `Source (${src})`, `Target (${tgt})`, withHub ? "Hub now" : null].filter(Boolean);
    return el("table", { class: withHub ? "versions stack with-hub" : "versions stack" },
      el("thead", {}, el("tr", {}, heads.map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows.map((r) => el("tr", { class: r.differs ? "changed" : "", "data-field": r.field },
        el("th", { scope: "row" }, SB.label(r.field), r.differs ? el("span", { class: "diff-mark" }, "changed") : null),
        el("td", { "data-label": heads[1] }, SB.fmtValue(r.source)),
        el("td", { "data-label": heads[2] }, SB.fmtValue(r.target)),
        withHub ? el("td", { "data-label": heads[3] }, SB.fmtValue(r.hub)) : null))));
  }

  function shown(value) { return value === undefined || value === null ? "" : String(value); }

  function input(name, labelText, value) {
    const id = `edit-${name.replace(/\./g, "-")}`;
    return el("div", { class: "field" }, el("label", { for: id }, labelText),
      el("input", { id, name, type: "text", value: shown(value), "data-original": shown(value) }));
  }

  /* One input per differing field, prefilled with the source's value; an address gets one per line of it. */
  function editInputs(rows) {
    // The differing fields; when nothing differs (the target refused the record), every field of the source.
    let editable = rows.filter((r) => r.differs);
    if (!editable.length) editable = rows.filter((r) => r.source !== undefined && r.source !== null);
    if (!editable.length) return SB.empty("There is no field to edit.");
    return editable.map((r) => {
      const value = r.source;
      if (Array.isArray(value)) {
        const id = `edit-${r.field}`;
        return el("div", { class: "field" }, el("label", { for: id }, `${SB.label(r.field)} (JSON)`),
          el("textarea", { id, name: r.field, rows: 4, "data-json": "1", "data-original": JSON.stringify(value, null, 1) },
            JSON.stringify(value, null, 1)));
      }
      if (value !== null && typeof value === "object") {
        return el("fieldset", {}, el("legend", {}, SB.label(r.field)),
          Object.entries(value).map(([sub, v]) => input(`${r.field}.${sub}`, SB.label(sub), v)));
      }
      return input(r.field, SB.label(r.field), value);
    });
  }

  /* Only the actions the service allows for this conflict can be chosen; the first of them is preselected. */
  function allowActions(actions) {
    const radios = Array.from(form.querySelectorAll("input[name=resolution]"));
    const allowed = Array.isArray(actions) ? new Set(actions) : null;
    for (const radio of radios) {
      const ok = !allowed || allowed.has(radio.value);
      radio.disabled = !ok;
      radio.closest("label").classList.toggle("unavailable", !ok);
      if (!ok && radio.checked) radio.checked = false;
    }
    const unavailable = radios.filter((r) => r.disabled).length;
    SB.show("actions-note", unavailable && unavailable < radios.length
      ? "Greyed-out actions do not apply to this conflict (nothing recorded to apply them with)." : "");
    if (!form.querySelector("input[name=resolution]:checked")) {
      const first = radios.find((r) => !r.disabled);
      if (first) first.checked = true;
    }
  }

  function chosen() {
    const radio = form.querySelector("input[name=resolution]:checked");
    return radio ? radio.value : null;
  }

  function syncForm() {
    $("edit-fields").hidden = chosen() !== "edit";
    $("link-field").hidden = chosen() !== "link";
  }

  async function load() {
    try {
      const c = await SB.api("GET", `/conflicts/${encodeURIComponent(conflictId)}`);
      const rows = fieldRows(c);
      SB.replace("cf-summary", summary(c));
      $("conflict").removeAttribute("aria-busy");
      SB.replace("cf-versions", sideBySide(c, rows));
      SB.replace("edit-inputs", editInputs(rows));
      form.hidden = !OPEN.has(pick(c, "status"));
      allowActions(c.actions);
      syncForm();
      return c;
    } catch (err) {
      SB.replace("cf-summary", SB.empty("The conflict could not be loaded."));
      SB.flash(err.message);
      return null;
    }
  }

  /* Only the values the user changed are sent; the service applies them over the source version. */
  function editedValues() {
    const values = {};
    for (const field of $("edit-inputs").querySelectorAll("input, textarea")) {
      if (field.value === field.dataset.original) continue;
      if (field.dataset.json) {
        try { values[field.name] = JSON.parse(field.value); } catch (err) {
          field.setAttribute("aria-invalid", "true");
          field.focus();
          throw new Error(`${SB.label(field.name)} is not valid JSON: ${err.message}`);
        }
      } else values[field.name] = field.value;
    }
    if (!Object.keys(values).length) throw new Error("Change at least one value, or choose another action.");
    return values;
  }

  form.addEventListener("change", (event) => { if (event.target.name === "resolution") syncForm(); });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    SB.show("resolve-error", "");
    $("resolve-status").textContent = "";
    const resolution = chosen();
    if (!resolution) { SB.show("resolve-error", "Choose an action."); return; }
    const body = { action: "resolve", conflictId, resolution };
    try {
      if (resolution === "edit") body.values = editedValues();
      if (resolution === "link") {
        const linkTo = $("link-to").value.trim();
        if (linkTo) body.linkTo = linkTo;
      }
    } catch (err) {
      SB.show("resolve-error", err.message);
      return;
    }
    const button = form.querySelector("button[type=submit]");
    SB.setBusy(button, true);
    try {
      const result = await SB.api("POST", "/sync/orchestrate", { body });
      if (result && result.ok === false) {
        const why = (result.error && result.error.message) || "the target refused it";
        SB.show("resolve-error", `Not resolved: ${why}. The conflict stays open; choose another action or edit the values.`);
        await load();
        return;
      }
      SB.flash(`Conflict resolved: ${SB.label(resolution)}.`, "info");
      $("main").focus();
      await load();
    } catch (err) {
      SB.show("resolve-error", `Not resolved: ${err.message}`);
    } finally {
      SB.setBusy(button, false);
    }
  });
  load();
});
