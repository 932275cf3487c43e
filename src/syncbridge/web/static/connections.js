/* Connections of the organization, secrets masked by the API. */
"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  if (!SB.signedIn()) return;
  const { el } = SB;
  try {
    const data = await SB.api("GET", "/connections");
    const items = Array.isArray(data) ? data : (data.items || data.connections || []);
    if (!items.length) {
      SB.replace("connections", SB.empty(
        "No connections yet. Add a WooCommerce or an Odoo connection with the syncbridge CLI, then reload."));
      return;
    }
    SB.replace("connections", el("ul", { class: "cards" }, items.map((c) => {
      const secrets = Object.entries(c.secrets || c.masked_secrets || {});
      const rows = [
        ["System", SB.systemName(c.system)],
        ["Address", c.base_url],
        c.database ? ["Database", c.database] : null,
        c.login ? ["Login", c.login] : null,
        c.protocol ? ["Protocol", c.protocol] : null,
        ...secrets.map(([name, masked]) => [SB.label(name), masked]),
        ["Added", SB.fmtDate(c.created_at)],
      ].filter(Boolean);
      return el("li", { class: "card connection", "data-system": c.system },
        el("h2", {}, c.name || SB.systemName(c.system)),
        el("dl", { class: "pairs" }, rows.map(([k, v]) => el("div", {}, el("dt", {}, k), el("dd", {}, v)))));
    })));
  } catch (err) {
    SB.replace("connections", SB.empty("Connections could not be loaded."));
    SB.flash(err.message);
  }
});
