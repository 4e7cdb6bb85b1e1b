// The Configuration tab: a side navigation of sections (registry.js registerConfigSection),
// and its first section, general configuration (memory, timeout, ephemeral storage, description)
// with environment variables, saved by UpdateFunctionConfiguration. The other sections are
// cfg_*.js modules.

import { h, call, enc } from "./core.js";
import { registerFunctionTab, registerConfigSection, configSections } from "./registry.js";
import { statusLines } from "./cfg_util.js";

function generalSection(panel, cfg) {
  const status = statusLines("cfg");
  const memory = h("input", { type: "number", id: "cfg-memory", min: "128", max: "10240", value: cfg.MemorySize });
  const timeout = h("input", { type: "number", id: "cfg-timeout", min: "1", max: "900", value: cfg.Timeout });
  const storage = h("input", { type: "number", id: "cfg-storage", min: "512", max: "10240", value: cfg.EphemeralStorage?.Size ?? 512 });
  const description = h("input", { type: "text", id: "cfg-description", value: cfg.Description ?? "" });
  const envBody = h("tbody");
  const addVar = (k = "", v = "") => {
    const row = h("tr", {}, h("td", {}, h("input", { type: "text", class: "env-key", value: k })),
      h("td", {}, h("input", { type: "text", class: "env-value", value: v })),
      h("td", {}, h("button", { type: "button", onclick: () => row.remove() }, "Remove")));
    envBody.append(row);
  };
  for (const [k, v] of Object.entries(cfg.Environment?.Variables ?? {})) addVar(k, v);
  const form = h("form", {}, h("h2", {}, "General configuration"),
    h("label", { for: "cfg-memory" }, "Memory (MB)"), memory,
    h("label", { for: "cfg-timeout" }, "Timeout (seconds)"), timeout,
    h("label", { for: "cfg-storage" }, "Ephemeral storage, /tmp (MB, 512 to 10240)"), storage,
    h("label", { for: "cfg-description" }, "Description"), description,
    h("h2", { style: null }, "Environment variables"),
    h("table", { class: "env", id: "cfg-env" }, h("thead", {}, h("tr", {}, h("th", {}, "Key"), h("th", {}, "Value"), h("th"))), envBody),
    h("p", {}, h("button", { type: "button", id: "cfg-add-var", onclick: () => addVar() }, "Add environment variable")),
    h("p", {}, h("button", { class: "primary", type: "submit", id: "cfg-save" }, "Save")), status.ok, status.err);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const env = {};
    for (const row of envBody.rows) {
      const k = row.querySelector(".env-key").value.trim();
      if (k) env[k] = row.querySelector(".env-value").value;
    }
    await status.run(async () => {
      const out = await call("lambda", "UpdateFunctionConfiguration", {
        FunctionName: cfg.FunctionName, MemorySize: Number(memory.value), Timeout: Number(timeout.value),
        EphemeralStorage: { Size: Number(storage.value) }, Description: description.value, Environment: { Variables: env },
      });
      Object.assign(cfg, out);
      return `Saved: ${out.MemorySize} MB, ${out.Timeout} s, ${out.EphemeralStorage?.Size ?? 512} MB /tmp.`;
    });
  });
  panel.replaceChildren(form);
}

function configurationTab(panel, cfg, fn, rest) {
  const section = configSections.find((s) => s.id === rest[0]) ?? configSections[0];
  const side = h("nav", { class: "side", id: "cfg-sections" }, ...configSections.map((s) => h("a", {
    href: `#/functions/${enc(cfg.FunctionName)}/configuration/${s.id}`, id: "cfg-section-" + s.id,
    class: s === section ? "current" : null,
  }, s.label)));
  const body = h("div", { class: "grow", id: "cfg-panel-" + section.id });
  panel.replaceChildren(h("div", { class: "side-layout" }, side, body));
  section.render(body, cfg, fn);
}

registerConfigSection({ id: "general", label: "General configuration", order: 10, render: generalSection });
registerFunctionTab({ id: "configuration", label: "Configuration", order: 50, render: configurationTab });
