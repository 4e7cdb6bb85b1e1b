// Configuration > Layers: the function's layers in order (later layers overlay earlier ones in
// /opt), moved up or down, removed, or added by ARN or chosen from ListLayers/ListLayerVersions;
// saving sends the whole ordered list as UpdateFunctionConfiguration(Layers=[...]).

import { h, call } from "./core.js";
import { registerConfigSection } from "./registry.js";
import { statusLines, field } from "./cfg_util.js";

function layersSection(panel, cfg) {
  const status = statusLines("cfg-layers");
  let arns = (cfg.Layers ?? []).map((l) => l.Arn);
  const list = h("ul", { id: "cfg-layers", class: "cfg-layers" });
  const move = (i, by) => { const [a] = arns.splice(i, 1); arns.splice(i + by, 0, a); draw(); };
  function draw() {
    list.replaceChildren(...arns.map((arn, i) => h("li", { "data-arn": arn },
      h("span", { class: "cfg-layer-order" }, `${i + 1}.`), h("code", {}, arn),
      h("button", { type: "button", class: "cfg-layer-up", disabled: i === 0, onclick: () => move(i, -1) }, "Up"),
      h("button", { type: "button", class: "cfg-layer-down", disabled: i === arns.length - 1, onclick: () => move(i, 1) }, "Down"),
      h("button", { type: "button", class: "cfg-layer-remove", onclick: () => { arns.splice(i, 1); draw(); } }, "Remove"))));
    if (!arns.length) list.append(h("li", { class: "muted" }, "No layers."));
  }
  const layer = h("select", { id: "cfg-layer-name" }, h("option", { value: "" }, "Choose a layer"));
  const version = h("select", { id: "cfg-layer-version" });
  const typed = h("input", { type: "text", id: "cfg-layer-arn", placeholder: "arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION" });
  const add = (arn) => {
    if (!arn) return;
    if (arns.includes(arn)) { status.fail(`${arn} is already listed.`); return; }
    arns.push(arn); draw();
  };
  layer.addEventListener("change", async () => {
    version.replaceChildren();
    if (!layer.value) return;
    try {
      const out = await call("lambda", "ListLayerVersions", { LayerName: layer.value });
      version.replaceChildren(...(out.LayerVersions ?? []).map((v) => h("option", { value: v.LayerVersionArn },
        `${v.Version}${v.Description ? " — " + v.Description : ""}${v.CompatibleRuntimes?.length ? " (" + v.CompatibleRuntimes.join(", ") + ")" : ""}`)));
    } catch (e) { status.fail(e.message); }
  });
  const form = h("form", { id: "cfg-layers-form" }, h("h2", {}, "Layers"),
    h("p", { class: "muted" }, "Merged into /opt in this order; a later layer's files win."), list,
    h("h2", { class: "cfg-sub" }, "Add a layer"),
    h("div", { class: "row cfg-row" }, h("div", {}, ...field("Layer", layer)), h("div", {}, ...field("Version", version)),
      h("button", { type: "button", id: "cfg-layer-add-chosen", onclick: () => add(version.value) }, "Add")),
    h("div", { class: "row cfg-row" }, h("div", { class: "cfg-wide" }, ...field("Or by ARN", typed)),
      h("button", { type: "button", id: "cfg-layer-add-arn", onclick: () => { add(typed.value.trim()); typed.value = ""; } }, "Add")),
    h("p", {}, h("button", { type: "submit", class: "primary", id: "cfg-layers-save" }, "Save")), status.ok, status.err);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    status.run(async () => {
      const out = await call("lambda", "UpdateFunctionConfiguration", { FunctionName: cfg.FunctionName, Layers: arns });
      Object.assign(cfg, out);
      arns = (out.Layers ?? []).map((l) => l.Arn);
      draw();
      return `Saved: ${arns.length} layer(s).`;
    });
  });
  draw();
  panel.replaceChildren(form);
  call("lambda", "ListLayers", {}).then((out) => {
    layer.append(...(out.Layers ?? []).map((l) => h("option", { value: l.LayerName }, l.LayerName)));
  }, (e) => status.fail(e.message));
}

registerConfigSection({ id: "layers", label: "Layers", order: 70, render: layersSection });
