/* syncbridge web UI: the shared helpers every page uses (API calls, DOM building, messages, formatting). */
"use strict";
(function () {
  const KEY = "syncbridge.apiKey";
  const page = document.body.dataset;

  class ApiError extends Error {
    constructor(message, status, details, retryAfter) {
      super(message);
      this.status = status;
      this.details = details || {};
      this.retryAfter = retryAfter;
    }
  }

  function getKey() { return sessionStorage.getItem(KEY); }
  function setKey(key) { sessionStorage.setItem(KEY, key); }
  function clearKey() { sessionStorage.removeItem(KEY); }

  function describeFailure(status, payload, retryAfter) {
    if (status === 401) return "Your API key was not accepted. Sign in again with a valid key.";
    if (status === 429) {
      const wait = retryAfter ? ` Wait ${Math.ceil(retryAfter)} s,` : " Wait a moment,";
      return `Too many requests for your organization.${wait} then try again.`;
    }
    let message = payload && (payload.error || payload.detail || payload.message);
    if (message && typeof message !== "string") message = JSON.stringify(message);
    if (message) return message;
    if (status === 404) return "Not found: it does not exist, or it belongs to another organization.";
    if (status >= 500) return `The server failed to answer (HTTP ${status}). Try again in a moment.`;
    return `The request failed (HTTP ${status}).`;
  }

  async function api(method, path, options) {
    const opts = options || {};
    const url = new URL(page.api + path, window.location.origin);
    for (const [name, value] of Object.entries(opts.query || {})) {
      if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, String(value));
    }
    const headers = { Accept: "application/json" };
    const key = opts.key || getKey();
    if (key) headers["X-Api-Key"] = key;
    const init = { method, headers, cache: "no-store" };
    if (opts.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(opts.body);
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (err) {
      throw new ApiError("The server could not be reached. Check that syncbridge is running, then try again.", 0);
    }
    let payload = null;
    try { payload = await response.json(); } catch (err) { payload = null; }
    if (response.ok && payload && payload.success !== false) {
      return payload.data !== undefined ? payload.data : payload;
    }
    const retryAfter = Number(response.headers.get("Retry-After")) || undefined;
    throw new ApiError(
      describeFailure(response.status, payload, retryAfter), response.status, payload && payload.details, retryAfter,
    );
  }

  /* el("a", {href: "/x", class: "btn"}, "text", childNode) — text is always text, never parsed as HTML. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function replace(target, ...nodes) {
    const node = typeof target === "string" ? document.getElementById(target) : target;
    node.replaceChildren(...nodes.flat().filter((n) => n !== null && n !== undefined && n !== false));
    node.removeAttribute("aria-busy");
    return node;
  }

  /* A list as a table; on a phone each row becomes a card whose cells are labelled by their column. */
  function listTable(headers, rows, caption) {
    for (const row of rows) {
      Array.from(row.children).forEach((cell, i) => cell.setAttribute("data-label", headers[i] || ""));
    }
    return el("div", { class: "table-wrap" }, el("table", { class: "stack" },
      caption ? el("caption", { class: "muted" }, caption) : null,
      el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows)));
  }

  function empty(text) { return el("p", { class: "empty" }, text); }

  function show(id, text) {
    const node = document.getElementById(id);
    node.textContent = text || "";
    node.hidden = !text;
  }

  function flash(message, kind) {
    const node = document.getElementById("flash");
    node.className = "flash " + (kind || "error");
    node.replaceChildren(document.createTextNode(message));
    if (kind !== "info" && message.startsWith("Your API key was not accepted")) {
      node.append(" ", el("a", { href: signinUrl() }, "Go to sign in"));
    }
    node.hidden = false;
  }
  function clearFlash() { const node = document.getElementById("flash"); node.hidden = true; node.textContent = ""; }

  function signinUrl() {
    const next = window.location.pathname + window.location.search;
    return page.signinUrl + "?next=" + encodeURIComponent(next);
  }

  function fmtNum(value) {
    return value === undefined || value === null ? "–" : Number(value).toLocaleString("en-US");
  }
  function fmtDate(value) {
    if (!value) return "–";
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString("en-GB", { hour12: false });
  }
  function fmtDuration(seconds) {
    if (seconds === undefined || seconds === null || !Number.isFinite(Number(seconds))) return "–";
    let s = Math.max(0, Math.round(Number(seconds)));
    if (s < 60) return `${s} s`;
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    return h ? `${h} h ${m} min` : `${m} min ${s} s`;
  }
  function fmtValue(value) {
    if (value === undefined || value === null || value === "") return "—";
    if (typeof value === "object") {
      const parts = Object.entries(value).filter(([, v]) => v !== "" && v !== null).map(([k, v]) =>
        `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`);
      return parts.length ? parts.join(", ") : "—";
    }
    return String(value);
  }
  function label(text) { return String(text || "").replace(/_/g, " "); }
  function systemName(system) {
    return { woocommerce: "WooCommerce", odoo: "Odoo", hub: "Hub" }[system] || String(system || "–");
  }

  /* The first of several spellings a field may have (the API speaks camelCase; stored rows snake_case). */
  function pick(obj, ...names) {
    for (const name of names) if (obj && obj[name] !== undefined && obj[name] !== null) return obj[name];
    return undefined;
  }

  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

  function setBusy(button, busy) {
    button.disabled = busy;
    button.setAttribute("aria-busy", busy ? "true" : "false");
  }

  document.addEventListener("DOMContentLoaded", () => {
    const signout = document.getElementById("signout");
    if (signout) signout.addEventListener("click", () => { clearKey(); window.location.assign(page.signinUrl); });
    if (!page.public && !getKey()) window.location.replace(signinUrl());
  });

  window.SB = {
    api, ApiError, el, replace, listTable, empty, show, flash, clearFlash, getKey, setKey, clearKey, fmtNum, fmtDate,
    fmtDuration, fmtValue, label, systemName, same, pick, setBusy, page,
    signedIn: () => Boolean(getKey()),
  };
})();
