// Configuration > Permissions: the function's resource-based policy (GetPolicy) listed statement
// by statement, each removable (RemovePermission), and a form adding one (AddPermission:
// principal, action, source ARN and account, function URL auth type). A function without a
// policy answers GetPolicy with a 404, which the section shows as "no statements" (Chromium still
// logs that response as a failed resource load; Lambda has no list operation that answers 200).

import { h, call } from "./core.js";
import { registerConfigSection } from "./registry.js";
import { statusLines, field, optional, select } from "./cfg_util.js";

const ACTIONS = ["lambda:InvokeFunction", "lambda:InvokeFunctionUrl", "lambda:GetFunction", "lambda:*"];

// {"Service": "s3.amazonaws.com"} -> "Service: s3.amazonaws.com"; a string as it is.
const principalText = (p) => (p == null ? "" : typeof p === "string" ? p
  : Object.entries(p).map(([k, v]) => `${k}: ${[v].flat().join(", ")}`).join("; "));
const actionText = (a) => [a ?? []].flat().join(", ");

// {"ArnLike": {"AWS:SourceArn": "arn:..."}} -> one line per test: "ArnLike AWS:SourceArn = arn:...".
function conditionLines(cond) {
  return Object.entries(cond ?? {}).flatMap(([test, keys]) => Object.entries(keys).map(([key, value]) =>
    h("div", {}, `${test} ${key} = ${[value].flat().join(", ")}`)));
}

function permissionsSection(panel, cfg) {
  const status = statusLines("cfg-perm");
  const body = h("tbody");
  async function load() {
    const got = await optional(call("lambda", "GetPolicy", { FunctionName: cfg.FunctionName }));
    const statements = got ? JSON.parse(got.Policy).Statement ?? [] : [];
    body.replaceChildren(...statements.map((s) => h("tr", { "data-sid": s.Sid },
      h("td", {}, s.Sid), h("td", {}, s.Effect), h("td", {}, principalText(s.Principal)), h("td", {}, actionText(s.Action)),
      h("td", { class: "cfg-cond" }, conditionLines(s.Condition)),
      h("td", { class: "cfg-actions" }, h("button", {
        type: "button", class: "cfg-perm-remove",
        onclick: () => status.run(async () => {
          await call("lambda", "RemovePermission", { FunctionName: cfg.FunctionName, StatementId: s.Sid });
          await load();
          return `Removed statement ${s.Sid}.`;
        }),
      }, "Remove")))));
    if (!statements.length) body.append(h("tr", {}, h("td", { colspan: "6", class: "muted" }, "No resource-based policy statements.")));
  }
  const sid = h("input", { type: "text", id: "cfg-perm-sid", value: "console-" + Math.random().toString(36).slice(2, 10) });
  const principal = h("input", { type: "text", id: "cfg-perm-principal", placeholder: "s3.amazonaws.com, 123456789012 or *" });
  const action = select("cfg-perm-action", ACTIONS.map((a) => [a]), ACTIONS[0]);
  const sourceArn = h("input", { type: "text", id: "cfg-perm-source-arn", placeholder: "optional: arn:aws:s3:::bucket" });
  const sourceAccount = h("input", { type: "text", id: "cfg-perm-source-account", placeholder: "optional" });
  const urlAuth = select("cfg-perm-url-auth", [["", "(not a function URL permission)"], ["NONE"], ["AWS_IAM"]], "");
  const form = h("form", { id: "cfg-perm-form" }, h("h2", { class: "cfg-sub" }, "Add a permission"),
    ...field("Statement ID", sid), ...field("Principal", principal), ...field("Action", action),
    ...field("Source ARN", sourceArn), ...field("Source account", sourceAccount), ...field("Function URL auth type", urlAuth),
    h("p", {}, h("button", { type: "submit", class: "primary", id: "cfg-perm-add" }, "Add permission")));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    status.run(async () => {
      const params = { FunctionName: cfg.FunctionName, StatementId: sid.value.trim(), Principal: principal.value.trim(), Action: action.value };
      if (sourceArn.value.trim()) params.SourceArn = sourceArn.value.trim();
      if (sourceAccount.value.trim()) params.SourceAccount = sourceAccount.value.trim();
      if (urlAuth.value) params.FunctionUrlAuthType = urlAuth.value;
      await call("lambda", "AddPermission", params);
      await load();
      const added = params.StatementId;
      sid.value = "console-" + Math.random().toString(36).slice(2, 10);
      return `Added statement ${added}.`;
    });
  });
  panel.replaceChildren(h("div", { id: "cfg-perm" }, h("h2", {}, "Resource-based policy"),
    h("table", { id: "cfg-perm-statements", class: "cfg-table" }, h("thead", {}, h("tr", {}, ...["Statement ID", "Effect", "Principal", "Action", "Conditions", ""].map((t) => h("th", {}, t)))), body),
    status.ok, status.err, form));
  load().catch((e) => status.fail(e.message));
}

registerConfigSection({ id: "permissions", label: "Permissions", order: 50, render: permissionsSection });
