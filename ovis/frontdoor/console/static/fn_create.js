// Create a function from scratch: a starter handler for the chosen runtime.

import { h, api, show, errorBox, enc } from "./core.js";
import { registerPage } from "./registry.js";

function createPage() {
  const err = errorBox();
  const name = h("input", { type: "text", id: "new-name", required: true, maxlength: "64" });
  const runtime = h("select", { id: "new-runtime" });
  api("GET", "/runtimes").then((out) => {
    runtime.replaceChildren(...out.Runtimes.map((r) => h("option", { value: r }, r)));
  }, (e) => { err.textContent = e.message; });
  const role = h("input", { type: "text", id: "new-role", placeholder: "arn:aws:iam::ACCOUNT:role/lambda-role (default)" });
  const form = h("form", { class: "card" }, h("h1", {}, "Create function"),
    h("p", { class: "muted" }, "Author from scratch: starts with a handler that answers \"Hello from Ovis!\"."),
    h("label", { for: "new-name" }, "Function name"), name,
    h("label", { for: "new-runtime" }, "Runtime"), runtime,
    h("label", { for: "new-role" }, "Execution role"), role,
    h("p", {}, h("button", { class: "primary", type: "submit", id: "new-submit" }, "Create function")), err);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.textContent = "";
    try {
      const body = { FunctionName: name.value, Runtime: runtime.value };
      if (role.value) body.Role = role.value;
      const out = await api("POST", "/functions", body);
      location.hash = "#/functions/" + enc(out.FunctionName);
    } catch (e) { err.textContent = e.message; }
  });
  show(form);
  name.focus();
}

registerPage({ path: "create", render: createPage });
