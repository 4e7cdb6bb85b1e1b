// Applications and their pipeline runs (#/apps, #/apps/NAME, #/apps/NAME/runs/SEQ), over
// /console/api/apps (apps.py): the list with each app's latest run and a create form; an app's
// page (clone URL, stack, limits, runs newest first, "Run again"); a run's page (state, commit,
// stages with durations and messages, each stage's log, "Re-run this commit"). A page showing a
// run that is Queued or InProgress reads it again every REFRESH_MS until the run ends; the list
// and an app's page keep reading every IDLE_MS after that (a push starts a run at any time);
// every timer stops once the user leaves the page.

import { h, api, show, errorBox, enc } from "./core.js";
import { registerPage } from "./registry.js";
import { fmtTime, kv, table, guard, stillOn, field } from "./page_shared.js";

const REFRESH_MS = 1000;
const IDLE_MS = 4000;
const TERMINAL = ["Succeeded", "Failed", "Superseded"];

function state(s) { return h("span", { class: "run-state run-" + String(s ?? "none").toLowerCase() }, s ?? "—"); }
function short(commit) { return h("code", { title: commit }, String(commit ?? "").slice(0, 12)); }
function duration(seconds) { return seconds == null ? "—" : `${Number(seconds).toFixed(1)} s`; }
function runDuration(run) { return TERMINAL.includes(run.State) ? duration(run.UpdatedAt - run.CreatedAt) : "…"; }
function runLink(app, run) { return h("a", { href: `#/apps/${enc(app)}/runs/${run.RunId}`, id: `app-run-link-${run.RunId}` }, `#${run.RunId}`); }

// Calls `load` again while the page still shows `hash`: every REFRESH_MS while `live()` is
// true, then every IDLE_MS if `idle` (else no more).
// Only the latest page's timer goes on (a page rendered again for the same hash starts anew).
let polls = 0;
function poll(hash, err, load, live, idle = false) {
  const mine = ++polls;
  function tick() {
    const busy = live();
    if (!busy && !idle) return;
    setTimeout(() => { if (mine === polls && stillOn(hash)) guard(err, load).then(tick); }, busy ? REFRESH_MS : IDLE_MS);
  }
  tick();
}

function createForm(templates) {
  const err = errorBox("app-create-error");
  const name = h("input", { type: "text", id: "app-create-name", required: true, placeholder: "my-app" });
  const template = h("select", { id: "app-create-template" },
    ...templates.map((t) => h("option", { value: t.Name, title: t.Description }, `${t.Name}: ${t.Title}`)));
  const branch = h("input", { type: "text", id: "app-create-branch", value: "main" });
  const button = h("button", { class: "primary", type: "submit", id: "app-create-button" }, "Create application");
  const form = h("form", { class: "card apps", id: "app-create" }, h("h2", {}, "Create an application"),
    h("p", { class: "muted" }, "A git repository with the template's code, and a pipeline (source, build, test, deploy) run on every push to the branch."),
    ...field("Name (also the stack's)", name), ...field("Template", template), ...field("Branch", branch),
    h("p", {}, button), err);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    guard(err, async () => {
      const out = await api("POST", "/apps", { Name: name.value.trim(), Template: template.value, Branch: branch.value.trim() });
      location.hash = "#/apps/" + enc(out.Name);
    }, button);
  });
  return form;
}

async function appsPage() {
  const hash = location.hash;
  const err = errorBox("apps-error");
  const list = h("div", { id: "apps-list" });
  let apps = [];
  async function load() {
    const out = await api("GET", "/apps");
    apps = out.Apps;
    list.replaceChildren(table("apps-table", ["Name", "Template", "Branch", "Latest run", "State", "Updated"], apps.map((a) => [
      h("a", { href: "#/apps/" + enc(a.Name) }, a.Name), a.Template, a.Branch,
      a.LatestRun ? runLink(a.Name, a.LatestRun) : "—", state(a.LatestRun?.State), fmtTime(a.LatestRun?.UpdatedAt)]),
    "No applications yet."));
    return out;
  }
  let out;
  try { out = await load(); } catch (e) { show(h("div", { class: "card apps" }, h("h1", {}, "Applications"), h("p", { class: "error", id: "apps-error" }, e.message))); return; }
  show(h("div", { class: "card apps" }, h("h1", {}, "Applications"), list, err), createForm(out.Templates));
  poll(hash, err, load, () => apps.some((a) => a.LatestRun && !TERMINAL.includes(a.LatestRun.State)), true);
}

async function appPage(name) {
  const hash = location.hash;
  const err = errorBox("app-error");
  const head = h("div", {});
  const runsBox = h("div", { id: "app-runs" });
  let runs = [];
  async function load() {
    const out = await api("GET", "/apps/" + enc(name));
    const a = out.App;
    runs = out.Runs;
    head.replaceChildren(kv("app-summary", [["Template", a.Template], ["Branch", a.Branch],
      ["Clone URL", h("code", { id: "app-clone-url" }, a.CloneUrl)],
      ["Stack", h("a", { href: "#/stacks/" + enc(a.StackName) }, a.StackName)], ["Log group", a.LogGroup],
      ["Build limits", `${a.BuildMemorySize} MB, ${a.BuildTimeoutSeconds} s`], ["Created", fmtTime(a.CreatedAt)]]));
    runsBox.replaceChildren(table("app-runs-table", ["Run", "State", "Commit", "Stages", "Started", "Duration", "Reason"], runs.map((r) => [
      runLink(name, r), state(r.State), short(r.Commit),
      h("span", { class: "run-stages" }, ...r.Stages.map((s) => h("span", { class: "run-stage run-" + s.State.toLowerCase(), title: `${s.Name}: ${s.State}` }, s.Name))),
      fmtTime(r.CreatedAt), runDuration(r), r.Reason]), "No runs yet."));
  }
  try { await load(); } catch (e) { show(h("div", { class: "card apps" }, h("h1", {}, name), h("p", { class: "error", id: "app-error" }, e.message))); return; }
  const rerun = h("button", { type: "button", id: "app-rerun" }, "Run again (latest commit)");
  rerun.addEventListener("click", () => guard(err, async () => {
    const run = await api("POST", `/apps/${enc(name)}/runs`, {});
    location.hash = `#/apps/${enc(name)}/runs/${run.RunId}`;
  }, rerun));
  show(h("div", { class: "card apps" }, h("h1", { id: "app-name" }, name), head,
    h("p", { class: "muted" }, "Clone with an access key id as the user and its secret as the password; a push to the branch runs the pipeline."), err),
  h("div", { class: "card apps" }, h("div", { class: "row" }, h("h2", {}, "Runs"), rerun), runsBox));
  poll(hash, err, load, () => runs.some((r) => !TERMINAL.includes(r.State)), true);
}

async function runPage(name, seq) {
  const hash = location.hash;
  const err = errorBox("run-error");
  const head = h("div", {});
  const stagesBox = h("div", { id: "run-stages" });
  const logTitle = h("h2", { id: "run-log-title" }, "Log");
  const logBox = h("pre", { id: "app-log", class: "app-log" });
  const base = `/apps/${enc(name)}/runs/${enc(seq)}`;
  let run, chosen = "";
  async function showLog() {
    const out = await api("GET", base + "/log");
    const stage = chosen || run.Stages.find((s) => s.State === "InProgress")?.Name || run.Stages.at(-1)?.Name || "source";
    logTitle.textContent = `Log: ${stage}` + (out.Truncated ? " (cut: the run's log is longer)" : "");
    const lines = out.Stages[stage] ?? [];
    logBox.textContent = lines.length ? lines.map((l) => l.Message).join("\n") : "(nothing logged yet)";
    logBox.dataset.stage = stage;
  }
  async function load() {
    run = await api("GET", base);
    head.replaceChildren(kv("run-summary", [["State", state(run.State)], ["Commit", h("code", { id: "run-commit" }, run.Commit)],
      ["Branch", run.Branch], ["Started", fmtTime(run.CreatedAt)], ["Duration", runDuration(run)], ["Reason", run.Reason || "—"],
      ["Log stream", `${run.LogGroup} ${run.LogStream}`]]));
    stagesBox.replaceChildren(table("run-stages-table", ["Stage", "State", "Duration", "Message", ""], run.Stages.map((s) => {
      const view = h("button", { type: "button", id: `stage-${s.Name}-log` }, "View log");
      view.addEventListener("click", () => { chosen = s.Name; guard(err, showLog, view); });
      return [s.Name, state(s.State), duration(s.DurationSeconds), s.Message, view];
    }), run.State === "Queued" ? "Queued: waiting for the application's previous run." : "No stages."));
    await showLog();
  }
  try { await load(); } catch (e) { show(h("div", { class: "card apps" }, h("h1", {}, `${name} #${seq}`), h("p", { class: "error", id: "run-error" }, e.message))); return; }
  const rerun = h("button", { type: "button", id: "run-rerun" }, "Re-run this commit");
  rerun.addEventListener("click", () => guard(err, async () => {
    const again = await api("POST", `/apps/${enc(name)}/runs`, { Commit: run.Commit });
    location.hash = `#/apps/${enc(name)}/runs/${again.RunId}`;
  }, rerun));
  show(h("div", { class: "card apps" }, h("h1", { id: "run-name" }, h("a", { href: "#/apps/" + enc(name) }, name), ` run #${seq}`), head, h("p", {}, rerun), err),
    h("div", { class: "card apps" }, h("h2", {}, "Stages"), stagesBox),
    h("div", { class: "card apps" }, logTitle, logBox));
  poll(hash, err, load, () => !TERMINAL.includes(run.State));
}

registerPage({
  path: "apps", label: "Applications", order: 65,
  render(parts) {
    if (parts[0] && parts[1] === "runs" && parts[2]) runPage(parts[0], parts[2]);
    else if (parts[0]) appPage(parts[0]);
    else appsPage();
  },
});
