// Create a function, in one of two modes:
// - Author from scratch: a starter handler for the chosen runtime (POST /functions, functions.py).
// - Container image: an image this server's image store holds (`ovis image import FILE --name
//   NAME:TAG`), by ImageUri (NAME:TAG or NAME@sha256:...), with the optional ImageConfig overrides
//   (entry point, command, working directory); CreateFunction with PackageType Image through
//   call(), exactly as boto3 sends it.

import { h, api, call, show, errorBox, enc } from "./core.js";
import { registerPage } from "./registry.js";

// "a, b" or a JSON array -> ["a", "b"]; "" -> undefined (the image's own value stays)
export function words(text) {
  const t = text.trim();
  if (!t) return undefined;
  if (t.startsWith("[")) {
    const list = JSON.parse(t);
    if (!Array.isArray(list) || !list.every((x) => typeof x === "string")) throw new Error("A JSON list of strings, please.");
    return list;
  }
  return t.split(",").map((x) => x.trim()).filter(Boolean);
}

async function defaultRole() {
  const me = await call("sts", "GetCallerIdentity");
  return `arn:aws:iam::${me.Account}:role/lambda-role`;
}

function imageFields() {
  const uri = h("input", { type: "text", id: "img-uri", placeholder: "NAME:TAG or NAME@sha256:..." });
  const entry = h("input", { type: "text", id: "img-entrypoint", placeholder: "the image's ENTRYPOINT (default)" });
  const command = h("input", { type: "text", id: "img-command", placeholder: "the image's CMD (default), e.g. app.handler" });
  const workdir = h("input", { type: "text", id: "img-workdir", placeholder: "the image's WORKDIR (default)" });
  const arch = h("select", { id: "img-arch" }, h("option", { value: "x86_64" }, "x86_64"), h("option", { value: "arm64" }, "arm64"));
  const box = h("div", { id: "img-fields", class: "img-fields", hidden: true },
    h("label", { for: "img-uri" }, "Container image URI"), uri,
    h("p", { class: "muted" }, "An image in this server's image store: ", h("code", {}, "ovis image import FILE --name NAME:TAG"), "."),
    h("label", { for: "img-arch" }, "Architecture"), arch,
    h("h2", { class: "img-sub" }, "Container image overrides"),
    h("p", { class: "muted" }, "Comma-separated, or a JSON list of strings."),
    h("label", { for: "img-entrypoint" }, "Entry point"), entry,
    h("label", { for: "img-command" }, "Command"), command,
    h("label", { for: "img-workdir" }, "Working directory"), workdir);
  function params() {
    const out = { PackageType: "Image", Code: { ImageUri: uri.value.trim() }, Architectures: [arch.value] };
    const config = {};
    const ep = words(entry.value);
    const cmd = words(command.value);
    if (ep) config.EntryPoint = ep;
    if (cmd) config.Command = cmd;
    if (workdir.value.trim()) config.WorkingDirectory = workdir.value.trim();
    if (Object.keys(config).length) out.ImageConfig = config;
    return out;
  }
  return { box, params };
}

function createPage() {
  const err = errorBox();
  const name = h("input", { type: "text", id: "new-name", required: true, maxlength: "64" });
  const runtime = h("select", { id: "new-runtime" });
  api("GET", "/runtimes").then((out) => {
    runtime.replaceChildren(...out.Runtimes.map((r) => h("option", { value: r }, r)));
  }, (e) => { err.textContent = e.message; });
  const role = h("input", { type: "text", id: "new-role", placeholder: "arn:aws:iam::ACCOUNT:role/lambda-role (default)" });
  const scratch = h("div", { id: "new-scratch-fields" },
    h("p", { class: "muted" }, "Starts with a handler that answers \"Hello from Ovis!\"."),
    h("label", { for: "new-runtime" }, "Runtime"), runtime);
  const image = imageFields();
  let mode = "scratch";
  const modeButton = (id, value, label) => h("label", { class: "img-mode" },
    h("input", { type: "radio", name: "new-mode", id, value, checked: value === mode, onchange: () => {
      mode = value;
      scratch.hidden = mode !== "scratch";
      image.box.hidden = mode !== "image";
    } }), " ", label);
  const form = h("form", { class: "card" }, h("h1", {}, "Create function"),
    h("div", { class: "row img-modes", role: "radiogroup" },
      modeButton("new-mode-scratch", "scratch", "Author from scratch"),
      modeButton("new-mode-image", "image", "Container image")),
    h("label", { for: "new-name" }, "Function name"), name,
    scratch, image.box,
    h("label", { for: "new-role" }, "Execution role"), role,
    h("p", {}, h("button", { class: "primary", type: "submit", id: "new-submit" }, "Create function")), err);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.textContent = "";
    try {
      let out;
      if (mode === "image") {
        const params = { FunctionName: name.value, Role: role.value || await defaultRole(), ...image.params() };
        out = await call("lambda", "CreateFunction", params);
      } else {
        const body = { FunctionName: name.value, Runtime: runtime.value };
        if (role.value) body.Role = role.value;
        out = await api("POST", "/functions", body);
      }
      location.hash = "#/functions/" + enc(out.FunctionName);
    } catch (e) { err.textContent = e.message; }
  });
  show(form);
  name.focus();
}

registerPage({ path: "create", render: createPage });
