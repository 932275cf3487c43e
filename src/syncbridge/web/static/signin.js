/* Sign in: an API key is accepted when the API answers GET /connections with it. */
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("signin-form");
  const input = document.getElementById("api-key");
  const button = form.querySelector("button[type=submit]");
  input.focus();

  function nextUrl() {
    const next = new URLSearchParams(window.location.search).get("next");
    // Only a path on this site: never an open redirect.
    return next && next.startsWith("/") && !next.startsWith("//") ? next : SB.page.homeUrl;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    SB.show("signin-error", "");
    const key = input.value.trim();
    if (!key) {
      SB.show("signin-error", "Enter an API key.");
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    SB.setBusy(button, true);
    try {
      await SB.api("GET", "/connections", { key });
      SB.setKey(key);
      window.location.assign(nextUrl());
    } catch (err) {
      const message = err.status === 401 || err.status === 403
        ? "That API key was not accepted. Check it and try again."
        : err.message;
      SB.show("signin-error", message);
      input.setAttribute("aria-invalid", "true");
      input.focus();
      input.select();
    } finally {
      SB.setBusy(button, false);
    }
  });
});
