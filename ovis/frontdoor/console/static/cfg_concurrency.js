// Configuration > Concurrency: the function's reserved concurrency (Put/Get/DeleteFunctionConcurrency,
// with the account's unreserved concurrency from GetAccountSettings) and its provisioned concurrency
// per alias or version (Put/Delete/ListProvisionedConcurrencyConfigs). The provisioned table is
// re-read every second while any configuration is IN_PROGRESS, and stops once the page leaves.

import { h, call } from "./core.js";
import { registerConfigSection } from "./registry.js";
import { statusLines, field, controls } from "./cfg_util.js";

const POLL_MS = 1000;

function qualifierOf(arn) { return arn.split(":").slice(7).join(":"); }

function reservedForm(cfg) {
  const status = statusLines("cfg-reserved");
  const amount = h("input", { type: "number", id: "cfg-reserved", min: "0" });
  const current = h("p", { class: "muted", id: "cfg-reserved-current" });
  async function load() {
    const [got, account] = await Promise.all([
      call("lambda", "GetFunctionConcurrency", { FunctionName: cfg.FunctionName }),
      call("lambda", "GetAccountSettings", {}),
    ]);
    const r = got.ReservedConcurrentExecutions;
    amount.value = r ?? "";
    fields.disabled = false;
    current.textContent = (r == null ? "No reserved concurrency: the function uses the account's unreserved pool." : `Reserved: ${r}.`)
      + ` Account: ${account.AccountLimit?.ConcurrentExecutions} total, ${account.AccountLimit?.UnreservedConcurrentExecutions} unreserved.`;
  }
  const save = h("button", { type: "submit", class: "primary", id: "cfg-reserved-save" }, "Save");
  const remove = h("button", {
    type: "button", id: "cfg-reserved-delete",
    onclick: () => status.run(async () => {
      await call("lambda", "DeleteFunctionConcurrency", { FunctionName: cfg.FunctionName });
      await load();
      return "Reserved concurrency removed.";
    }),
  }, "Use unreserved concurrency");
  const fields = controls(...field("Reserved concurrent executions", amount), h("p", { class: "row" }, save, remove));
  const form = h("form", { id: "cfg-reserved-form" }, h("h2", {}, "Reserved concurrency"), current,
    fields, status.ok, status.err);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (amount.value === "") { status.fail("Enter the number of concurrent executions to reserve."); return; }
    status.run(async () => {
      const out = await call("lambda", "PutFunctionConcurrency", {
        FunctionName: cfg.FunctionName, ReservedConcurrentExecutions: Number(amount.value),
      });
      await load();
      return `Saved: ${out.ReservedConcurrentExecutions} reserved.`;
    });
  });
  load().catch((e) => status.fail(e.message));
  return form;
}

function provisionedForm(cfg) {
  const status = statusLines("cfg-provisioned");
  const body = h("tbody");
  const qualifier = h("select", { id: "cfg-provisioned-qualifier" });
  const amount = h("input", { type: "number", id: "cfg-provisioned-amount", min: "1", value: "1" });
  let timer = null;
  async function loadTable() {
    const out = await call("lambda", "ListProvisionedConcurrencyConfigs", { FunctionName: cfg.FunctionName });
    const items = out.ProvisionedConcurrencyConfigs ?? [];
    body.replaceChildren(...items.map((c) => {
      const q = qualifierOf(c.FunctionArn);
      return h("tr", { "data-qualifier": q },
        h("td", {}, q), h("td", {}, c.RequestedProvisionedConcurrentExecutions),
        h("td", { class: "cfg-allocated" }, c.AllocatedProvisionedConcurrentExecutions ?? 0),
        h("td", {}, c.AvailableProvisionedConcurrentExecutions ?? 0),
        h("td", { class: "cfg-status" }, c.Status), h("td", { class: "muted" }, c.StatusReason ?? ""),
        h("td", {}, h("button", {
          type: "button", class: "cfg-provisioned-delete",
          onclick: () => status.run(async () => {
            await call("lambda", "DeleteProvisionedConcurrencyConfig", { FunctionName: cfg.FunctionName, Qualifier: q });
            await loadTable();
            return `Provisioned concurrency removed from ${q}.`;
          }),
        }, "Remove")));
    }));
    if (!items.length) body.append(h("tr", {}, h("td", { colspan: "7", class: "muted" }, "No provisioned concurrency.")));
    clearTimeout(timer);
    // keep Status and Allocated current while an allocation is under way
    if (items.some((c) => c.Status === "IN_PROGRESS")) {
      timer = setTimeout(() => { if (body.isConnected) loadTable().catch((e) => status.fail(e.message)); }, POLL_MS);
    }
  }
  async function loadQualifiers() {
    const [aliases, versions] = await Promise.all([
      call("lambda", "ListAliases", { FunctionName: cfg.FunctionName }),
      call("lambda", "ListVersionsByFunction", { FunctionName: cfg.FunctionName }),
    ]);
    const options = [
      ...(aliases.Aliases ?? []).map((a) => [a.Name, `Alias ${a.Name} (version ${a.FunctionVersion})`]),
      ...(versions.Versions ?? []).filter((v) => v.Version !== "$LATEST").map((v) => [v.Version, `Version ${v.Version}`]),
    ];
    qualifier.replaceChildren(...options.map(([v, t]) => h("option", { value: v }, t)));
    if (!options.length) qualifier.append(h("option", { value: "" }, "Publish a version or create an alias first"));
    fields.disabled = false;
  }
  const fields = controls(
    h("div", { class: "row cfg-row" }, h("div", {}, ...field("Alias or version", qualifier)), h("div", {}, ...field("Provisioned concurrent executions", amount))),
    h("p", { class: "row" }, h("button", { type: "submit", class: "primary", id: "cfg-provisioned-save" }, "Save"),
      h("button", { type: "button", id: "cfg-provisioned-refresh", onclick: () => loadTable().catch((e) => status.fail(e.message)) }, "Refresh")));
  const form = h("form", { id: "cfg-provisioned-form" }, h("h2", {}, "Provisioned concurrency"),
    h("table", { id: "cfg-provisioned" }, h("thead", {}, h("tr", {}, ...["Alias or version", "Requested", "Allocated", "Available", "Status", "Reason", ""].map((t) => h("th", {}, t)))), body),
    fields, status.ok, status.err);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (!qualifier.value || amount.value === "") { status.fail("Choose an alias or version and enter an amount."); return; }
    status.run(async () => {
      const out = await call("lambda", "PutProvisionedConcurrencyConfig", {
        FunctionName: cfg.FunctionName, Qualifier: qualifier.value, ProvisionedConcurrentExecutions: Number(amount.value),
      });
      await loadTable();
      return `Saved: ${out.RequestedProvisionedConcurrentExecutions} provisioned on ${qualifier.value} (${out.Status}).`;
    });
  });
  Promise.all([loadTable(), loadQualifiers()]).catch((e) => status.fail(e.message));
  return form;
}

function concurrencySection(panel, cfg) {
  panel.replaceChildren(reservedForm(cfg), h("hr", { class: "cfg-sep" }), provisionedForm(cfg));
}

registerConfigSection({ id: "concurrency", label: "Concurrency", order: 20, render: concurrencySection });
