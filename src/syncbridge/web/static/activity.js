/* Activity: the log of what happened, and a bar chart (inline SVG) of items synced and conflicts over time. */
"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  if (!SB.signedIn()) return;
  const { el, pick } = SB;
  const SVG = "http://www.w3.org/2000/svg";
  const STEPS = [60, 300, 900, 3600, 6 * 3600, 86400].map((s) => s * 1000);

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  }

  // Entries that apply records carry {applied, skipped, conflicts}; state changes and previews are not counted.
  const APPLYING = new Set(["batch", "resolve", "retry"]);

  /* Points {t, synced, conflicts}: from the applying entries' counts; else from the histogram of entries. */
  function points(items, histogram) {
    const out = [];
    for (const a of items) {
      if (!APPLYING.has(a.kind)) continue;
      const counts = a.counts || {};
      const synced = Number(pick(counts, "applied") || 0);
      const conflicts = Number(pick(counts, "conflicts") || 0);
      if (synced || conflicts) out.push({ t: Date.parse(pick(a, "createdAt", "created_at")), synced, conflicts });
    }
    if (out.length) return out.filter((p) => !Number.isNaN(p.t));
    return histogram.filter((b) => APPLYING.has(b.kind) || b.kind === "conflict").map((b) => ({
      t: Date.parse(b.start),
      synced: b.kind === "conflict" ? 0 : Number(b.count || 0),
      conflicts: b.kind === "conflict" ? Number(b.count || 0) : 0,
    })).filter((p) => !Number.isNaN(p.t));
  }

  function buckets(pts) {
    const first = Math.min(...pts.map((p) => p.t));
    const last = Math.max(...pts.map((p) => p.t));
    const step = STEPS.find((s) => (last - first) / s <= 24) || STEPS[STEPS.length - 1];
    const start = Math.floor(first / step) * step;
    const n = Math.floor((last - start) / step) + 1;
    const out = Array.from({ length: n }, (_, i) => ({ t: start + i * step, synced: 0, conflicts: 0 }));
    for (const p of pts) {
      const b = out[Math.floor((p.t - start) / step)];
      b.synced += p.synced;
      b.conflicts += p.conflicts;
    }
    return { out, step };
  }

  function chart(pts) {
    if (!pts.length) return SB.empty("Nothing synced yet: the chart fills in as runs apply records.");
    const { out, step } = buckets(pts);
    const W = Math.max(300, Math.min(900, document.getElementById("chart").clientWidth || 640));
    const H = 220, left = 44, bottom = 28, top = 12;
    const max = Math.max(1, ...out.map((b) => Math.max(b.synced, b.conflicts)));
    const slot = (W - left - 8) / out.length;
    const bar = Math.max(1, Math.min(18, slot / 2 - 2));
    const y = (v) => top + (H - top - bottom) * (1 - v / max);
    const totalSynced = out.reduce((s, b) => s + b.synced, 0);
    const totalConflicts = out.reduce((s, b) => s + b.conflicts, 0);
    const description = `${SB.fmtNum(totalSynced)} items synced and ${SB.fmtNum(totalConflicts)} conflicts `
      + `between ${SB.fmtDate(out[0].t)} and ${SB.fmtDate(out[out.length - 1].t + step)}.`;
    const g = svg("g", {});
    g.append(svg("line", { x1: left, x2: W - 4, y1: y(0), y2: y(0), class: "axis" }));
    g.append(svg("text", { x: left - 6, y: y(max) + 4, "text-anchor": "end", class: "tick" }, SB.fmtNum(max)));
    g.append(svg("text", { x: left - 6, y: y(0) + 4, "text-anchor": "end", class: "tick" }, "0"));
    out.forEach((b, i) => {
      const x = left + i * slot + slot / 2;
      const when = SB.fmtDate(b.t);
      g.append(svg("rect", { x: x - bar - 1, y: y(b.synced), width: bar, height: y(0) - y(b.synced), class: "bar-synced" },
        svg("title", {}, `${when}: ${b.synced} synced`)));
      g.append(svg("rect", { x: x + 1, y: y(b.conflicts), width: bar, height: y(0) - y(b.conflicts), class: "bar-conflicts" },
        svg("title", {}, `${when}: ${b.conflicts} conflicts`)));
    });
    const time = (t) => new Date(t).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
    g.append(svg("text", { x: left, y: H - 8, class: "tick" }, time(out[0].t)));
    g.append(svg("text", { x: W - 4, y: H - 8, "text-anchor": "end", class: "tick" }, time(out[out.length - 1].t + step)));
    const figure = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": description, class: "chart-svg" },
      svg("title", {}, "Items synced and conflicts over time"), g);
    return [figure, el("p", { class: "legend" },
      el("span", { class: "key key-synced" }, "Items synced"), " ",
      el("span", { class: "key key-conflicts" }, "Conflicts"), " ", el("span", { class: "muted" }, description))];
  }

  function logTable(items) {
    if (!items.length) return SB.empty("No activity yet. Previews, runs and conflicts are logged here.");
    return SB.listTable(["When", "What", "Entity", "System", "Message", "Counts"], items.map((a) => el("tr", {},
      el("td", {}, SB.fmtDate(pick(a, "createdAt", "created_at"))),
      el("td", {}, SB.label(a.kind)),
      el("td", {}, a.entity || "–"),
      el("td", {}, a.system ? SB.systemName(a.system) : "–"),
      el("td", { class: "cell-message" }, a.message || ""),
      el("td", {}, SB.fmtValue(a.counts)))));
  }

  try {
    const data = await SB.api("GET", "/activity", { query: { limit: 200 } });
    const items = Array.isArray(data) ? data : (data.items || data.activity || []);
    const histogram = Array.isArray(data) ? [] : ((data.histogram || {}).buckets || []);
    SB.replace("chart", chart(points(items, histogram)));
    SB.replace("activity", logTable(items));
  } catch (err) {
    SB.replace("chart", SB.empty("The chart could not be drawn."));
    SB.replace("activity", SB.empty("Activity could not be loaded."));
    SB.flash(err.message);
  }
});
