// The function page's Overview tab: a diagram of what invokes the function (triggers, left),
// where its results go (destinations, right) and its layers (below), its configuration at a
// glance, and delete. The diagram is drawn once discovery (fn_triggers_find.js) answers; a
// service that fails leaves its boxes out and is named under the diagram.

import { h, api, errorBox, enc } from "./core.js";
import { registerFunctionTab } from "./registry.js";
import { findWiring } from "./fn_triggers_find.js";
import { wiringDiagram } from "./ov_diagram.js";

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
  const diagram = h("div", { class: "ov-diagram", id: "ov-diagram", "aria-busy": "true" },
    h("p", { class: "muted" }, "Finding triggers and destinations…"));
  const failed = h("p", { class: "muted", id: "ov-failed" });
  findWiring(cfg).then((w) => {
    diagram.replaceChildren(wiringDiagram(cfg, w));
    diagram.setAttribute("aria-busy", "false");
    failed.textContent = w.failed.length ? `Not shown (the service did not answer): ${w.failed.join(", ")}.` : "";
  }, (e) => { diagram.replaceChildren(h("p", { class: "error" }, e.message)); diagram.setAttribute("aria-busy", "false"); });
  panel.replaceChildren(h("h2", {}, "Function overview"), diagram, failed,
    h("dl", { class: "kv", id: "overview" }, ...rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "—")])),
    deleteBox(cfg));
}

registerFunctionTab({ id: "overview", label: "Overview", order: 10, render: overviewTab });
