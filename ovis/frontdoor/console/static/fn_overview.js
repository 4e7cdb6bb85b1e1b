// The function page's Overview tab: its configuration at a glance, and delete.

import { h, api, errorBox, enc } from "./core.js";
import { registerFunctionTab } from "./registry.js";

function deleteBox(cfg) {
  const err = errorBox();
  const confirm = h("input", { type: "text", id: "delete-confirm", placeholder: "type delete to confirm" });
  const button = h("button", { type: "button", id: "delete-function", disabled: true }, "Delete function");
  confirm.addEventListener("input", () => { button.disabled = confirm.value !== "delete"; });
  button.addEventListener("click", async () => {
    err.textContent = "";
    try {
      await api("POST", `/functions/${enc(cfg.FunctionName)}/delete`);
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

registerFunctionTab({ id: "overview", label: "Overview", order: 10, render: overviewTab });
