// The Code tab: the package's files in CodeMirror 6 (Python, JavaScript, JSON; line numbers,
// bracket matching, search with Ctrl-F, Tab indents), edited and deployed with the RevisionId
// loaded; zip upload. Without the editor bundle (built by make node-runtimes when npm is there)
// the tab keeps a plain textarea and says so.

import { h, api, errorBox, enc } from "./core.js";
import { registerFunctionTab } from "./registry.js";

let loading = null;
// The bundle, imported once and only when a Code tab opens (it is half a megabyte).
export function loadEditor() {
  loading ??= import("./codemirror.js").catch((e) => ({
    unavailable: `The code editor could not be loaded (${e.message}); a plain text area is used instead.`,
  }));
  return loading;
}

// The page's style nonce (service.py puts a fresh one on the script element and in the CSP):
// CodeMirror stamps its <style> element with it.
function styleNonce() { return document.querySelector("script[nonce]")?.nonce ?? ""; }

function languageOf(cm, path) {
  if (/\.py$/.test(path)) return cm.python();
  if (/\.(m|c)?js$/.test(path)) return cm.javascript();
  if (/\.(m|c)?ts$/.test(path)) return cm.javascript({ typescript: true });
  if (/\.json$/.test(path)) return cm.json();
  return [];
}

// A textarea with line numbers: the fallback when the bundle is missing.
function plainEditor(id) {
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
  return {
    node: h("div", { class: "editor" }, gutter, area),
    get: () => area.value,
    set(text) { area.value = text; number(); },
    configure(path, readOnly) { area.readOnly = readOnly; },
  };
}

// Text typed over a selection, applied by CodeMirror rather than by the browser: Chrome's own
// contenteditable edit that deletes a selection across highlighted spans writes style="..."
// attributes to keep their look, which the page's CSP (no inline styles) refuses, an error in
// the console each time. CodeMirror's input handlers (bracket closing...) still run first.
function typedOverSelection(cm) {
  return cm.EditorView.domEventHandlers({
    beforeinput(ev, view) {
      const sel = view.state.selection.main;
      if (ev.inputType !== "insertText" || !ev.data || sel.empty || view.composing) return false;
      ev.preventDefault();
      const handled = view.state.facet(cm.EditorView.inputHandler)
        .some((f) => f(view, sel.from, sel.to, ev.data, () => view.state.replaceSelection(ev.data)));
      if (!handled) view.dispatch(view.state.replaceSelection(ev.data), { userEvent: "input.type", scrollIntoView: true });
      return true;
    },
  });
}

// CodeMirror, with a hidden textarea #code-editor that always holds the document (what tests and
// other scripts read); a script that fills the textarea and fires "input" updates the editor.
function codeMirrorEditor(cm, id) {
  const area = h("textarea", { id, class: "code-cm-value", hidden: true, "aria-hidden": "true", tabindex: "-1" });
  const language = new cm.Compartment();
  const readOnly = new cm.Compartment();
  const host = h("div", { class: "code-cm", id: "code-cm" });
  const view = new cm.EditorView({
    parent: host,
    extensions: [
      cm.basicSetup,
      cm.keymap.of([cm.indentWithTab]),
      cm.indentUnit.of("    "),
      cm.EditorView.cspNonce.of(styleNonce()),
      typedOverSelection(cm),
      language.of([]),
      readOnly.of(cm.EditorState.readOnly.of(false)),
      cm.EditorView.updateListener.of((u) => { if (u.docChanged) area.value = u.state.doc.toString(); }),
    ],
  });
  const set = (text) => {
    view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    area.value = text;
  };
  area.addEventListener("input", () => { if (area.value !== view.state.doc.toString()) set(area.value); });
  return {
    node: h("div", { class: "code-cm-frame" }, host, area),
    view,
    get: () => view.state.doc.toString(),
    set,
    configure(path, ro) {
      view.dispatch({ effects: [language.reconfigure(languageOf(cm, path)), readOnly.reconfigure(cm.EditorState.readOnly.of(ro))] });
    },
  };
}

async function codeTab(panel, cfg) {
  const name = cfg.FunctionName;
  const err = errorBox();
  let code, cm;
  try { [code, cm] = await Promise.all([api("GET", `/functions/${enc(name)}/code`), loadEditor()]); }
  catch (e) { panel.replaceChildren(h("p", { class: "error" }, e.message)); return; }
  const edits = {};
  let current = null;
  const ed = cm.EditorView ? codeMirrorEditor(cm, "code-editor") : plainEditor("code-editor");
  const list = h("ul", { class: "files", id: "code-files" });
  const status = h("p", { id: "code-status", class: "ok" });
  const deploy = h("button", { class: "primary", id: "code-deploy", type: "button", disabled: !code.Editable }, "Deploy");
  const open = (f) => {
    if (current) edits[current.Path] = ed.get();
    current = f;
    ed.set(edits[f.Path] ?? f.Text ?? "");
    ed.configure(f.Path, !code.Editable || f.Text == null);
    for (const li of list.children) li.classList.toggle("open", li.dataset.path === f.Path);
  };
  for (const f of code.Files) {
    list.append(h("li", { "data-path": f.Path }, h("button", { class: "link", type: "button", onclick: () => open(f) },
      f.Path), h("span", { class: "muted" }, ` ${f.Size} B${f.Text == null ? " (binary)" : ""}`)));
  }
  deploy.addEventListener("click", async () => {
    err.textContent = ""; status.textContent = "";
    if (current) edits[current.Path] = ed.get();
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
    cm.unavailable ? h("p", { class: "muted", id: "code-editor-fallback" }, cm.unavailable) : "",
    h("div", { class: "code-layout" }, list, ed.node), h("p", { class: "row" }, deploy, h("span", { class: "grow" }), zipInput, upload),
    status, err);
  if (first) open(first);
}

registerFunctionTab({ id: "code", label: "Code", order: 20, render: codeTab });
