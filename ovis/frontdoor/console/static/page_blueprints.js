// Create from blueprint: "#/blueprints" lists the blueprints (ovis/blueprints/), and
// "#/blueprints/NAME" is a form prefilled from that blueprint's presets (function name, memory,
// timeout, environment, template parameters). Deploying it creates a CloudFormation stack from
// the blueprint's SAM template, triggers included (console/blueprints.py packages the code to S3
// and calls CreateStack as the signed-in principal); the page then follows the stack's status
// with DescribeStacks and links to the stack's page and to the function it made.

import { h, api, call, show, errorBox, enc } from "./core.js";
import { registerPage } from "./registry.js";

const DONE = /(_COMPLETE|_FAILED)$/;
const POLL_MS = 500;
const POLL_LIMIT_MS = 5 * 60 * 1000;

async function listPage() {
  const err = errorBox("bp-error");
  const list = h("div", { class: "bp-grid", id: "bp-list" });
  show(h("div", {}, h("h1", {}, "Create from blueprint"),
    h("p", { class: "muted" }, "Sample code with its configuration and triggers, deployed as a CloudFormation stack from a SAM template."),
    err, list));
  try {
    const out = await api("GET", "/blueprints");
    list.replaceChildren(...out.Blueprints.map((b) => h("div", { class: "card bp-card", id: "bp-card-" + b.Name },
      h("h2", {}, b.Title),
      h("p", { class: "bp-meta muted" }, `${b.Name} · ${b.Runtime} · trigger: ${b.Trigger}`),
      h("p", {}, b.Description),
      h("p", {}, h("a", { class: "bp-use", id: "bp-use-" + b.Name, href: "#/blueprints/" + enc(b.Name) }, "Use this blueprint")))));
  } catch (e) { err.textContent = e.message; }
}

function envRow(body, k = "", v = "") {
  const row = h("tr", {},
    h("td", {}, h("input", { type: "text", class: "env-key", value: k, "aria-label": "Key" })),
    h("td", {}, h("input", { type: "text", class: "env-value", value: v, "aria-label": "Value" })),
    h("td", {}, h("button", { type: "button", class: "link", onclick: () => row.remove() }, "Remove")));
  body.append(row);
}

function readEnv(body) {
  const env = {};
  for (const row of body.rows) {
    const k = row.querySelector(".env-key").value.trim();
    if (k) env[k] = row.querySelector(".env-value").value;
  }
  return env;
}

async function followStack(stack, fnName, status, links) {
  const deadline = Date.now() + POLL_LIMIT_MS;
  while (Date.now() < deadline) {
    let s;
    try {
      s = (await call("cloudformation", "DescribeStacks", { StackName: stack })).Stacks[0];
    } catch (e) { status.textContent = e.message; status.className = "error"; return; }
    status.textContent = s.StackStatus + (s.StackStatusReason ? ": " + s.StackStatusReason : "");
    status.className = s.StackStatus === "CREATE_COMPLETE" ? "ok" : DONE.test(s.StackStatus) ? "error" : "muted";
    if (DONE.test(s.StackStatus)) {
      if (s.StackStatus === "CREATE_COMPLETE") {
        const out = Object.fromEntries((s.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
        const fn = out.FunctionName || fnName;
        if (fn) links.append(" ", h("a", { id: "bp-function-link", href: "#/functions/" + enc(fn) }, `Open function ${fn}`));
      }
      return;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function formPage(name) {
  const err = errorBox("bp-error");
  show(h("div", {}, h("h1", {}, "Create from blueprint"), err));
  let bp;
  try { bp = await api("GET", "/blueprints/" + enc(name)); } catch (e) { err.textContent = e.message; return; }

  const fnName = h("input", { type: "text", id: "bp-function-name", value: bp.Name, maxlength: "64", required: true });
  const stackName = h("input", { type: "text", id: "bp-stack-name", value: bp.Name, maxlength: "128", required: true });
  let stackEdited = false;
  stackName.addEventListener("input", () => { stackEdited = true; });
  fnName.addEventListener("input", () => { if (!stackEdited) stackName.value = fnName.value; });
  const memory = h("input", { type: "number", id: "bp-memory", min: "128", max: "10240", value: bp.MemorySize ?? 128 });
  const timeout = h("input", { type: "number", id: "bp-timeout", min: "1", max: "900", value: bp.Timeout ?? 3 });
  const envBody = h("tbody");
  for (const [k, v] of Object.entries(bp.Environment ?? {})) envRow(envBody, k, v);
  const params = bp.Parameters.map((p) => ({
    name: p.Name,
    input: h("input", { type: "text", id: "bp-param-" + p.Name, value: p.Default }),
    description: p.Description,
  }));
  const files = Object.entries(bp.Files).filter(([path]) => path !== "template.yaml");
  const deploy = h("button", { class: "primary", type: "submit", id: "bp-deploy" }, "Deploy");
  const result = h("div", { id: "bp-result" });
  const form = h("form", { class: "card", id: "bp-form" },
    h("h2", {}, bp.Title),
    h("p", { class: "muted" }, `${bp.Name} · ${bp.Runtime} · trigger: ${bp.Trigger}`),
    h("p", {}, bp.Description),
    bp.TemplateDescription ? h("p", { class: "muted", id: "bp-template-description" }, bp.TemplateDescription) : "",
    h("label", { for: "bp-function-name" }, "Function name"), fnName,
    h("label", { for: "bp-stack-name" }, "Stack name"), stackName,
    h("div", { class: "row" },
      h("div", {}, h("label", { for: "bp-memory" }, "Memory (MB)"), memory),
      h("div", {}, h("label", { for: "bp-timeout" }, "Timeout (s)"), timeout)),
    h("label", {}, "Environment variables"),
    h("table", { class: "env", id: "bp-env" }, h("thead", {}, h("tr", {}, h("th", {}, "Key"), h("th", {}, "Value"), h("th"))), envBody),
    h("p", {}, h("button", { type: "button", id: "bp-add-var", onclick: () => envRow(envBody) }, "Add environment variable")),
    params.length ? h("fieldset", { class: "bp-params" }, h("legend", {}, "Template parameters"),
      ...params.map((p) => [h("label", { for: "bp-param-" + p.name }, p.name), p.input,
        p.description ? h("p", { class: "muted" }, p.description) : ""])) : "",
    h("details", { class: "bp-source" }, h("summary", {}, "Template and code"),
      h("h3", {}, "template.yaml"), h("pre", { id: "bp-template" }, bp.Template),
      ...files.map(([path, text]) => [h("h3", {}, path), h("pre", {}, text ?? "(binary)")])),
    h("p", {}, deploy), result);

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.textContent = "";
    result.replaceChildren();
    deploy.disabled = true;
    const body = {
      StackName: stackName.value,
      FunctionName: fnName.value,
      MemorySize: memory.value === "" ? null : Number(memory.value),
      Timeout: timeout.value === "" ? null : Number(timeout.value),
      Environment: readEnv(envBody),
      Parameters: Object.fromEntries(params.map((p) => [p.name, p.input.value])),
    };
    try {
      const out = await api("POST", "/blueprints/" + enc(bp.Name) + "/deploy", body);
      const status = h("span", { id: "bp-stack-status", class: "muted" }, "CREATE_IN_PROGRESS");
      const links = h("p", { id: "bp-links" },
        h("a", { id: "bp-stack-link", href: "#/stacks/" + enc(out.StackName) }, `Stack ${out.StackName}`));
      result.replaceChildren(h("p", {}, "Stack status: ", status), links);
      await followStack(out.StackName, out.FunctionName, status, links);
    } catch (e) { err.textContent = e.message; } finally { deploy.disabled = false; }
  });
  show(h("div", {}, h("h1", {}, "Create from blueprint"), h("p", {}, h("a", { href: "#/blueprints", id: "bp-back" }, "All blueprints")), err, form));
  fnName.focus();
}

registerPage({
  path: "blueprints", label: "Blueprints", order: 40,
  render(parts) { if (parts[0]) formPage(parts[0]); else listPage(); },
});
