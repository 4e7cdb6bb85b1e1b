// Configuration > Tags: the function's tags (ListTags) as an editable table; saving tags what is
// new or changed (TagResource) and untags what was removed (UntagResource).

import { h, call } from "./core.js";
import { registerConfigSection } from "./registry.js";
import { statusLines, controls } from "./cfg_util.js";

function tagsSection(panel, cfg) {
  const status = statusLines("cfg-tags");
  const body = h("tbody");
  let saved = {};
  const addRow = (k = "", v = "") => {
    const row = h("tr", {}, h("td", {}, h("input", { type: "text", class: "cfg-tag-key", value: k })),
      h("td", {}, h("input", { type: "text", class: "cfg-tag-value", value: v })),
      h("td", {}, h("button", { type: "button", class: "cfg-tag-remove", onclick: () => row.remove() }, "Remove")));
    body.append(row);
  };
  async function load() {
    saved = (await call("lambda", "ListTags", { Resource: cfg.FunctionArn })).Tags ?? {};
    body.replaceChildren();
    for (const [k, v] of Object.entries(saved)) addRow(k, v);
    fields.disabled = false;
  }
  const fields = controls(
    h("table", { class: "env", id: "cfg-tags" }, h("thead", {}, h("tr", {}, h("th", {}, "Key"), h("th", {}, "Value"), h("th"))), body),
    h("p", { class: "row" }, h("button", { type: "button", id: "cfg-tag-add", onclick: () => addRow() }, "Add tag"),
      h("button", { type: "submit", class: "primary", id: "cfg-tags-save" }, "Save")));
  const form = h("form", { id: "cfg-tags-form" }, h("h2", {}, "Tags"), fields, status.ok, status.err);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    status.run(async () => {
      const wanted = {};
      for (const row of body.rows) {
        const k = row.querySelector(".cfg-tag-key").value.trim();
        if (k) wanted[k] = row.querySelector(".cfg-tag-value").value;
      }
      const removed = Object.keys(saved).filter((k) => !(k in wanted));
      const changed = Object.fromEntries(Object.entries(wanted).filter(([k, v]) => saved[k] !== v));
      if (removed.length) await call("lambda", "UntagResource", { Resource: cfg.FunctionArn, TagKeys: removed });
      if (Object.keys(changed).length) await call("lambda", "TagResource", { Resource: cfg.FunctionArn, Tags: changed });
      await load();
      return `Saved tags: ${Object.keys(changed).length} set, ${removed.length} removed.`;
    });
  });
  panel.replaceChildren(form);
  load().catch((e) => status.fail(e.message));
}

registerConfigSection({ id: "tags", label: "Tags", order: 60, render: tagsSection });
