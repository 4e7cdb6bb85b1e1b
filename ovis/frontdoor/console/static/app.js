// The Ovis console: one page, hash routes (#/functions, #/create, #/functions/NAME/TAB, and
// whatever pages the modules below register), talking only to /console/api on this origin.
// Every POST carries the session's CSRF token (core.js). A new page or function tab is a new
// module registering itself (registry.js) and one import line here.

import { h, api, show, errorBox, session, refreshSession, whenSignedOut } from "./core.js";
import { pages } from "./registry.js";
import "./functions.js";
import "./fn_create.js";
import "./fn_overview.js";
import "./fn_code.js";
import "./fn_test.js";
import "./fn_monitor.js";
import "./fn_logs.js";
import "./fn_configuration.js";
import "./cfg_concurrency.js";
import "./cfg_async.js";
import "./cfg_url.js";
import "./cfg_permissions.js";
import "./cfg_tags.js";
import "./cfg_layers.js";
import "./cfg_triggers.js";
import "./page_blueprints.js";
import "./page_queues.js";
import "./page_streams.js";
import "./page_topics.js";
import "./page_buses.js";
import "./page_stacks.js";
import "./page_apps.js";
import "./page_account.js";
import "./fn_versions.js";
import "./fn_aliases.js";

const who = document.getElementById("who");
const nav = document.getElementById("nav");
const signoutButton = document.getElementById("signout");

function showSession() {
  who.textContent = session.accessKeyId;
  signoutButton.hidden = !session.signedIn;
  nav.hidden = !session.signedIn;
}

signoutButton.addEventListener("click", async () => {
  await api("POST", "/signout");
  await refreshSession();
  showSession();
  location.hash = "#/signin";
  route();
});

function signInPage() {
  const err = errorBox();
  const key = h("input", { type: "text", id: "access-key", autocomplete: "username", required: true });
  const secret = h("input", { type: "password", id: "secret-key", autocomplete: "current-password", required: true });
  const form = h("form", { class: "card", id: "signin-form" },
    h("h1", {}, "Sign in to Ovis"),
    h("label", { for: "access-key" }, "Access key ID"), key,
    h("label", { for: "secret-key" }, "Secret access key"), secret,
    h("p", {}, h("button", { class: "primary", type: "submit" }, "Sign in")), err);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.textContent = "";
    const res = await fetch("/console/api/signin", {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRF-Token": session.csrf, "Content-Type": "application/json" },
      body: JSON.stringify({ AccessKeyId: key.value, SecretAccessKey: secret.value }),
    }).catch(() => null);
    const out = res ? await res.json() : { Error: { Message: "The server did not answer." } };
    if (!res || !res.ok) { err.textContent = out.Error?.Message ?? "Sign-in failed."; return; }
    await refreshSession();
    showSession();
    location.hash = "#/functions";
  });
  show(form);
  key.focus();
}

function buildNav() {
  const entries = [...pages.values()].filter((p) => p.label).sort((a, b) => a.order - b.order);
  nav.replaceChildren(...entries.map((p) => h("a", { href: "#/" + p.path, id: "nav-" + p.path }, p.label)));
}

function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  showSession();
  if (!session.signedIn) { signInPage(); return; }
  const page = pages.get(parts[0]) ?? pages.get("functions");
  for (const a of nav.children) a.classList.toggle("current", a.id === "nav-" + (pages.has(parts[0]) ? parts[0] : "functions"));
  page.render(pages.has(parts[0]) ? parts.slice(1) : []);
}

whenSignedOut(route);
buildNav();
window.addEventListener("hashchange", route);
refreshSession().then(route, (e) => show(h("p", { class: "error" }, e.message)));
