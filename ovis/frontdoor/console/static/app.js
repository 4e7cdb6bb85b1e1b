// The Ovis console: one page, hash routes (#/functions, #/create, #/functions/NAME/TAB),
// talking only to /console/api on this origin. Every POST carries the session's CSRF token.

const main = document.getElementById("main");
const who = document.getElementById("who");
const signoutButton = document.getElementById("signout");
let csrf = "";
let signedIn = false;

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, "");
    else if (v !== false && v != null) el.setAttribute(k, v);
  }
  for (const c of children.flat()) el.append(c instanceof Node ? c : document.createTextNode(String(c ?? "")));
  return el;
}

class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

async function api(method, path, body) {
  const init = { method, headers: {}, credentials: "same-origin" };
  if (method !== "GET") {
    init.headers["X-CSRF-Token"] = csrf;
    if (body instanceof Blob) {
      init.headers["Content-Type"] = "application/zip";
      init.body = body;
    } else {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body ?? {});
    }
  }
  const res = await fetch("/console/api" + path, init);
  const out = await res.json();
  if (!res.ok) {
    if (res.status === 401 && out.Error?.Code === "NotSignedIn") { signedIn = false; route(); }
    throw new ApiError(res.status, out.Error?.Code, out.Error?.Message ?? res.statusText);
  }
  return out;
}

function show(...nodes) { main.replaceChildren(...nodes); }
function errorBox() { return h("p", { class: "error", role: "alert" }); }

async function refreshSession() {
  const s = await api("GET", "/session");
  csrf = s.CsrfToken;
  signedIn = s.SignedIn;
  who.textContent = s.SignedIn ? s.AccessKeyId : "";
  signoutButton.hidden = !s.SignedIn;
}

signoutButton.addEventListener("click", async () => {
  await api("POST", "/signout");
  await refreshSession();
  location.hash = "#/signin";
  route();
});

// ---- sign-in ------------------------------------------------------------------------------

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
      headers: { "X-CSRF-Token": csrf, "Content-Type": "application/json" },
      body: JSON.stringify({ AccessKeyId: key.value, SecretAccessKey: secret.value }),
    }).catch(() => null);
    const out = res ? await res.json() : { Error: { Message: "The server did not answer." } };
    if (!res || !res.ok) { err.textContent = out.Error?.Message ?? "Sign-in failed."; return; }
    await refreshSession();
    location.hash = "#/functions";
  });
  show(form);
  key.focus();
}

// ---- functions list ----------------------------------------------------------------------

const listState = { q: "", sort: "name", order: "asc", page: 1, size: 25 };

function functionsPage() {
  const err = errorBox();
  const search = h("input", { type: "search", id: "fn-search", placeholder: "Filter by name", value: listState.q, class: "grow" });
  const body = h("tbody");
  const status = h("span", { class: "muted", id: "fn-count" });
  const prev = h("button", { id: "fn-prev" }, "Previous");
  const next = h("button", { id: "fn-next" }, "Next");
  const header = (label, key) => h("th", {}, h("button", {
    "data-sort": key,
    onclick: () => {
      if (listState.sort === key) listState.order = listState.order === "asc" ? "desc" : "asc";
      else { listState.sort = key; listState.order = "asc"; }
      listState.page = 1; load();
    },
  }, label));
  async function load() {
    err.textContent = "";
    const qs = new URLSearchParams({ ...listState, page: String(listState.page), size: String(listState.size) });
    try {
      const out = await api("GET", "/functions?" + qs);
      body.replaceChildren(...out.Functions.map((f) => h("tr", {},
        h("td", {}, h("a", { href: "#/functions/" + encodeURIComponent(f.FunctionName) }, f.FunctionName)),
        h("td", {}, f.Runtime ?? f.PackageType), h("td", {}, f.MemorySize), h("td", {}, f.LastModified))));
      const pages = Math.max(1, Math.ceil(out.Total / out.Size));
      status.textContent = `${out.Total} functions — page ${out.Page} of ${pages}`;
      prev.disabled = out.Page <= 1;
      next.disabled = out.Page >= pages;
    } catch (e) { err.textContent = e.message; }
  }
  let timer;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => { listState.q = search.value; listState.page = 1; load(); }, 200);
  });
  prev.addEventListener("click", () => { listState.page -= 1; load(); });
  next.addEventListener("click", () => { listState.page += 1; load(); });
  show(h("div", { class: "card" },
    h("div", { class: "row" }, h("h1", { class: "grow" }, "Functions"),
      h("a", { href: "#/create" }, h("button", { class: "primary", id: "create-function" }, "Create function"))),
    h("div", { class: "row" }, search),
    h("table", { id: "fn-table" }, h("thead", {}, h("tr", {},
      header("Name", "name"), header("Runtime", "runtime"), header("Memory (MB)", "memory"), header("Last modified", "modified"))), body),
    h("div", { class: "row" }, prev, next, status), err));
  load();
}

// ---- create --------------------------------------------------------------------------------

function createPage() {
  const err = errorBox();
  const name = h("input", { type: "text", id: "new-name", required: true, maxlength: "64" });
  const runtime = h("select", { id: "new-runtime" });
  api("GET", "/runtimes").then((out) => {
    runtime.replaceChildren(...out.Runtimes.map((r) => h("option", { value: r }, r)));
  }, (e) => { err.textContent = e.message; });
  const role = h("input", { type: "text", id: "new-role", placeholder: "arn:aws:iam::ACCOUNT:role/lambda-role (default)" });
  const form = h("form", { class: "card" }, h("h1", {}, "Create function"),
    h("p", { class: "muted" }, "Author from scratch: starts with a handler that answers \"Hello from Ovis!\"."),
    h("label", { for: "new-name" }, "Function name"), name,
    h("label", { for: "new-runtime" }, "Runtime"), runtime,
    h("label", { for: "new-role" }, "Execution role"), role,
    h("p", {}, h("button", { class: "primary", type: "submit", id: "new-submit" }, "Create function")), err);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.textContent = "";
    try {
      const body = { FunctionName: name.value, Runtime: runtime.value };
      if (role.value) body.Role = role.value;
      const out = await api("POST", "/functions", body);
      location.hash = "#/functions/" + encodeURIComponent(out.FunctionName);
    } catch (e) { err.textContent = e.message; }
  });
  show(form);
  name.focus();
}

// ---- one function ------------------------------------------------------------------------

const TABS = ["overview", "code", "test", "configuration"];

async function functionPage(name, tab) {
  if (!TABS.includes(tab)) tab = "overview";
  const err = errorBox();
  let fn;
  try { fn = await api("GET", "/functions/" + encodeURIComponent(name)); }
  catch (e) { show(h("div", { class: "card" }, h("h1", {}, name), h("p", { class: "error" }, e.message))); return; }
  const cfg = fn.Configuration;
  const panel = h("div", { class: "card", id: "panel-" + tab });
  const tabs = h("div", { class: "tabs", role: "tablist" }, ...TABS.map((t) => h("button", {
    role: "tab", id: "tab-" + t, "aria-selected": String(t === tab),
    onclick: () => { location.hash = `#/functions/${encodeURIComponent(name)}/${t}`; },
  }, t[0].toUpperCase() + t.slice(1))));
  show(h("div", {}, h("h1", {}, cfg.FunctionName), tabs, panel, err));
  if (tab === "overview") overviewTab(panel, cfg);
  if (tab === "code") codeTab(panel, cfg);
  if (tab === "test") testTab(panel, cfg);
  if (tab === "configuration") configurationTab(panel, cfg);
}

function deleteBox(cfg) {
  const err = errorBox();
  const confirm = h("input", { type: "text", id: "delete-confirm", placeholder: "type delete to confirm" });
  const button = h("button", { type: "button", id: "delete-function", disabled: true }, "Delete function");
  confirm.addEventListener("input", () => { button.disabled = confirm.value !== "delete"; });
  button.addEventListener("click", async () => {
    err.textContent = "";
    try {
      await api("POST", `/functions/${encodeURIComponent(cfg.FunctionName)}/delete`);
      location.hash = "#/functions";
    } catch (e) { err.textContent = e.message; }
  });
  return h("div", {}, h("h2", {}, "Delete"), h("p", { class: "row" }, confirm, button), err);
}

function overviewTab(panel, cfg) {
  const rows = [["ARN", cfg.FunctionArn], ["Runtime", cfg.Runtime ?? cfg.PackageType], ["Handler", cfg.Handler],
    ["Memory (MB)", cfg.MemorySize], ["Timeout (s)", cfg.Timeout], ["Role", cfg.Role], ["State", cfg.State],
    ["Last modified", cfg.LastModified], ["Code size", cfg.CodeSize], ["Description", cfg.Description || "—"]];
  panel.replaceChildren(h("h2", {}, "Function overview"),
    h("dl", { class: "kv", id: "overview" }, ...rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "—")])),
    deleteBox(cfg));
}

// A textarea with line numbers: the editor until a real one is vendored.
function editor(id) {
  const gutter = h("pre", { class: "gutter", "aria-hidden": "true" });
  const area = h("textarea", { class: "code", id, spellcheck: "false", wrap: "off" });
  const number = () => {
    const n = area.value.split("\n").length;
    gutter.textContent = Array.from({ length: n }, (_, i) => i + 1).join("\n");
  };
  area.addEventListener("input", number);
  area.addEventListener("scroll", () => { gutter.scrollTop = area.scrollTop; });
  area.addEventListener("keydown", (ev) => {
    if (ev.key !== "Tab") return;
    ev.preventDefault();
    area.setRangeText("    ", area.selectionStart, area.selectionEnd, "end");
    number();
  });
  return { node: h("div", { class: "editor" }, gutter, area), area, set(text) { area.value = text; number(); } };
}

async function codeTab(panel, cfg) {
  const name = cfg.FunctionName;
  const err = errorBox();
  let code;
  try { code = await api("GET", `/functions/${encodeURIComponent(name)}/code`); }
  catch (e) { panel.replaceChildren(h("p", { class: "error" }, e.message)); return; }
  const edits = {};
  let current = null;
  const ed = editor("code-editor");
  const list = h("ul", { class: "files", id: "code-files" });
  const status = h("p", { id: "code-status", class: "ok" });
  const deploy = h("button", { class: "primary", id: "code-deploy", type: "button", disabled: !code.Editable }, "Deploy");
  const open = (f) => {
    if (current) edits[current.Path] = ed.area.value;
    current = f;
    ed.set(edits[f.Path] ?? f.Text ?? "");
    ed.area.readOnly = !code.Editable || f.Text == null;
    for (const li of list.children) li.classList.toggle("open", li.dataset.path === f.Path);
  };
  for (const f of code.Files) {
    list.append(h("li", { "data-path": f.Path }, h("button", { class: "link", type: "button", onclick: () => open(f) },
      f.Path), h("span", { class: "muted" }, ` ${f.Size} B${f.Text == null ? " (binary)" : ""}`)));
  }
  deploy.addEventListener("click", async () => {
    err.textContent = ""; status.textContent = "";
    if (current) edits[current.Path] = ed.area.value;
    const changed = Object.fromEntries(Object.entries(edits).filter(([p, t]) => code.Files.find((f) => f.Path === p)?.Text !== t));
    deploy.disabled = true;
    try {
      const out = await api("POST", `/functions/${encodeURIComponent(name)}/code`, { Files: changed, RevisionId: code.RevisionId });
      code.RevisionId = out.RevisionId;
      for (const [p, t] of Object.entries(changed)) { const f = code.Files.find((x) => x.Path === p); if (f) f.Text = t; }
      status.textContent = `Deployed: ${Object.keys(changed).length} file(s) changed, code SHA-256 ${out.CodeSha256}.`;
    } catch (e) { err.textContent = e.message; }
    finally { deploy.disabled = !code.Editable; }
  });
  const zipInput = h("input", { type: "file", id: "code-zip", accept: ".zip,application/zip" });
  const upload = h("button", { type: "button", id: "code-upload" }, "Upload .zip");
  upload.addEventListener("click", async () => {
    err.textContent = ""; status.textContent = "";
    const file = zipInput.files[0];
    if (!file) { err.textContent = "Choose a .zip file first."; return; }
    upload.disabled = true;
    try {
      const out = await api("POST", `/functions/${encodeURIComponent(name)}/zip`, file);
      status.textContent = `Uploaded ${file.name}: code SHA-256 ${out.CodeSha256}.`;
      const again = h("div");
      await codeTab(again, cfg);
      panel.replaceChildren(...again.childNodes);
      panel.querySelector("#code-status").textContent = `Uploaded ${file.name}: code SHA-256 ${out.CodeSha256}.`;
    } catch (e) { err.textContent = e.message; }
    finally { upload.disabled = false; }
  });
  const handlerFile = (code.Handler ?? "").split(".").slice(0, -1).join("/");
  const first = code.Files.find((f) => f.Path.replace(/\.[^.]+$/, "") === handlerFile) ?? code.Files[0];
  panel.replaceChildren(h("h2", {}, "Code source"),
    code.Editable ? "" : h("p", { class: "muted" }, "This package is too large to edit in the console."),
    h("div", { class: "code-layout" }, list, ed.node), h("p", { class: "row" }, deploy, h("span", { class: "grow" }), zipInput, upload),
    status, err);
  if (first) open(first);
}

function savedEvents(name) {
  try { return JSON.parse(localStorage.getItem("ovis.events." + name) ?? "{}"); } catch { return {}; }
}

function testTab(panel, cfg) {
  const name = cfg.FunctionName;
  const err = errorBox();
  const events = savedEvents(name);
  const eventName = h("input", { type: "text", id: "event-name", placeholder: "Event name", value: Object.keys(events)[0] ?? "" });
  const payload = h("textarea", { class: "code", id: "event-json", spellcheck: "false" },
    events[Object.keys(events)[0]] ?? '{\n  "key1": "value1"\n}');
  const picker = h("select", { id: "event-picker" }, h("option", { value: "" }, "— saved events —"),
    ...Object.keys(events).map((k) => h("option", { value: k }, k)));
  picker.value = eventName.value;
  picker.addEventListener("change", () => { if (picker.value) { eventName.value = picker.value; payload.value = events[picker.value]; } });
  const result = h("div", { id: "test-result" });
  const save = h("button", { id: "event-save", type: "button" }, "Save");
  save.addEventListener("click", () => {
    err.textContent = "";
    const n = eventName.value.trim();
    if (!n) { err.textContent = "Give the event a name."; return; }
    try { JSON.parse(payload.value); } catch { err.textContent = "The event is not valid JSON."; return; }
    if (!(n in events) && Object.keys(events).length >= 10) { err.textContent = "At most 10 saved events per function."; return; }
    events[n] = payload.value;
    localStorage.setItem("ovis.events." + name, JSON.stringify(events));
    if (![...picker.options].some((o) => o.value === n)) picker.append(h("option", { value: n }, n));
    result.replaceChildren(h("p", { class: "ok" }, `Saved event ${n}.`));
  });
  const run = h("button", { class: "primary", id: "event-test", type: "button" }, "Test");
  run.addEventListener("click", async () => {
    err.textContent = "";
    try { JSON.parse(payload.value); } catch { err.textContent = "The event is not valid JSON."; return; }
    run.disabled = true;
    result.replaceChildren(h("p", { class: "muted" }, "Invoking…"));
    try {
      const out = await api("POST", `/functions/${encodeURIComponent(name)}/invoke`, { Payload: payload.value });
      const report = out.Log.split("\n").find((l) => l.startsWith("REPORT")) ?? "";
      result.replaceChildren(
        h("h2", { class: out.FunctionError ? "error" : "ok", id: "test-status" },
          out.FunctionError ? `Execution failed (${out.FunctionError})` : "Execution succeeded"),
        h("label", {}, "Response"), h("pre", { id: "test-response" }, out.Payload),
        h("label", {}, "Summary"), h("pre", { id: "test-report" }, report),
        h("label", {}, "Log output (tail)"), h("pre", { id: "test-log" }, out.Log));
    } catch (e) { result.replaceChildren(); err.textContent = e.message; }
    finally { run.disabled = false; }
  });
  panel.replaceChildren(h("h2", {}, "Test event"), h("div", { class: "row" }, picker, eventName),
    h("label", { for: "event-json" }, "Event JSON"), payload, h("p", { class: "row" }, run, save), err, result);
}

function configurationTab(panel, cfg) {
  const err = errorBox();
  const memory = h("input", { type: "number", id: "cfg-memory", min: "128", max: "10240", value: cfg.MemorySize });
  const timeout = h("input", { type: "number", id: "cfg-timeout", min: "1", max: "900", value: cfg.Timeout });
  const description = h("input", { type: "text", id: "cfg-description", value: cfg.Description ?? "" });
  const envBody = h("tbody");
  const addVar = (k = "", v = "") => {
    const row = h("tr", {}, h("td", {}, h("input", { type: "text", class: "env-key", value: k })),
      h("td", {}, h("input", { type: "text", class: "env-value", value: v })),
      h("td", {}, h("button", { type: "button", onclick: () => row.remove() }, "Remove")));
    envBody.append(row);
  };
  for (const [k, v] of Object.entries(cfg.Environment?.Variables ?? {})) addVar(k, v);
  const saved = h("p", { id: "cfg-saved", class: "ok" });
  const form = h("form", {}, h("h2", {}, "General configuration"),
    h("label", { for: "cfg-memory" }, "Memory (MB)"), memory,
    h("label", { for: "cfg-timeout" }, "Timeout (seconds)"), timeout,
    h("label", { for: "cfg-description" }, "Description"), description,
    h("h2", { style: null }, "Environment variables"),
    h("table", { class: "env", id: "cfg-env" }, h("thead", {}, h("tr", {}, h("th", {}, "Key"), h("th", {}, "Value"), h("th"))), envBody),
    h("p", {}, h("button", { type: "button", id: "cfg-add-var", onclick: () => addVar() }, "Add environment variable")),
    h("p", {}, h("button", { class: "primary", type: "submit", id: "cfg-save" }, "Save")), saved, err);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.textContent = ""; saved.textContent = "";
    const env = {};
    for (const row of envBody.rows) {
      const k = row.querySelector(".env-key").value.trim();
      if (k) env[k] = row.querySelector(".env-value").value;
    }
    try {
      const out = await api("POST", `/functions/${encodeURIComponent(cfg.FunctionName)}/configuration`, {
        MemorySize: Number(memory.value), Timeout: Number(timeout.value), Description: description.value, Environment: env,
      });
      Object.assign(cfg, out);
      saved.textContent = `Saved: ${out.MemorySize} MB, ${out.Timeout} s.`;
    } catch (e) { err.textContent = e.message; }
  });
  panel.replaceChildren(form);
}

// ---- routing -----------------------------------------------------------------------------

function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  if (!signedIn) { signInPage(); return; }
  if (parts[0] === "create") createPage();
  else if (parts[0] === "functions" && parts[1]) functionPage(parts[1], parts[2] ?? "overview");
  else functionsPage();
}

window.addEventListener("hashchange", route);
refreshSession().then(route, (e) => show(h("p", { class: "error" }, e.message)));
