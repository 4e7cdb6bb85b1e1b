// The Code tab: the package's files, edited and deployed with the RevisionId loaded; zip upload.

import { h, api, errorBox, enc } from "./core.js";
import { registerFunctionTab } from "./registry.js";

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
  try { code = await api("GET", `/functions/${enc(name)}/code`); }
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
      const out = await api("POST", `/functions/${enc(name)}/code`, { Files: changed, RevisionId: code.RevisionId });
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
      const out = await api("POST", `/functions/${enc(name)}/zip`, file);
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

registerFunctionTab({ id: "code", label: "Code", order: 20, render: codeTab });
