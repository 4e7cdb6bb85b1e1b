// Configuration > Function URL: create, update or delete the function's URL configuration
// (Create/Update/Delete/ListFunctionUrlConfigs): auth type, invoke mode and CORS. The URL is shown
// as a link. With auth type NONE, as Lambda's console does, saving can also add the resource
// policy statement that lets anyone invoke the URL (AddPermission, FunctionUrlAuthType NONE),
// without which the URL answers 403.

import { h, call } from "./core.js";
import { registerConfigSection } from "./registry.js";
import { statusLines, field, latestOf, select, splitList, controls } from "./cfg_util.js";

const PUBLIC_SID = "FunctionURLAllowPublicAccess";

function urlSection(panel, cfg) {
  const status = statusLines("cfg-url");
  const link = h("p", { id: "cfg-url-current" });
  const auth = select("cfg-url-auth", [["AWS_IAM", "AWS_IAM: signed requests only"], ["NONE", "NONE: public"]], "AWS_IAM");
  const mode = select("cfg-url-mode", [["BUFFERED"], ["RESPONSE_STREAM"]], "BUFFERED");
  const allowPublic = h("input", { type: "checkbox", id: "cfg-url-public", checked: true });
  const text = (id, placeholder) => h("input", { type: "text", id, placeholder });
  const origins = text("cfg-url-origins", "https://example.com, *");
  const methods = text("cfg-url-methods", "GET, POST, *");
  const headers = text("cfg-url-headers", "content-type, x-custom");
  const expose = text("cfg-url-expose", "x-request-id");
  const maxAge = h("input", { type: "number", id: "cfg-url-maxage", min: "0", max: "86400" });
  const credentials = h("input", { type: "checkbox", id: "cfg-url-credentials" });
  const save = h("button", { type: "submit", class: "primary", id: "cfg-url-save" }, "Create function URL");
  const remove = h("button", { type: "button", id: "cfg-url-delete", hidden: true }, "Delete function URL");
  let exists = false;

  function showConfig(c) {
    exists = c != null;
    save.textContent = exists ? "Save" : "Create function URL";
    remove.hidden = !exists;
    link.replaceChildren(exists
      ? h("a", { href: c.FunctionUrl, id: "cfg-url-link", target: "_blank", rel: "noopener" }, c.FunctionUrl)
      : h("span", { class: "muted" }, "The function has no URL."));
    if (!c) return;
    auth.value = c.AuthType; mode.value = c.InvokeMode ?? "BUFFERED";
    const cors = c.Cors ?? {};
    origins.value = (cors.AllowOrigins ?? []).join(", ");
    methods.value = (cors.AllowMethods ?? []).join(", ");
    headers.value = (cors.AllowHeaders ?? []).join(", ");
    expose.value = (cors.ExposeHeaders ?? []).join(", ");
    maxAge.value = cors.MaxAge ?? "";
    credentials.checked = !!cors.AllowCredentials;
  }
  async function load() {
    const out = await call("lambda", "ListFunctionUrlConfigs", { FunctionName: cfg.FunctionName });
    showConfig(latestOf(out.FunctionUrlConfigs));
    fields.disabled = false;
  }
  function corsParams() {
    const cors = {
      AllowOrigins: splitList(origins.value), AllowMethods: splitList(methods.value),
      AllowHeaders: splitList(headers.value), ExposeHeaders: splitList(expose.value),
      AllowCredentials: credentials.checked,
    };
    if (maxAge.value !== "") cors.MaxAge = Number(maxAge.value);
    return cors;
  }
  async function addPublicAccess() {
    try {
      await call("lambda", "AddPermission", {
        FunctionName: cfg.FunctionName, StatementId: PUBLIC_SID, Action: "lambda:InvokeFunctionUrl",
        Principal: "*", FunctionUrlAuthType: "NONE",
      });
      return " Public access added to the resource policy.";
    } catch (e) {
      if (e.code === "ResourceConflictException") return ""; // the statement is there already
      throw e;
    }
  }
  const fields = controls(...field("Auth type", auth),
    h("label", { class: "cfg-check" }, allowPublic, " With NONE, allow public access (adds a resource policy statement)"),
    ...field("Invoke mode", mode),
    h("h2", { class: "cfg-sub" }, "Cross-origin resource sharing (CORS)"),
    h("p", { class: "muted" }, "Comma-separated lists; leave all empty for no CORS headers."),
    ...field("Allow origins", origins), ...field("Allow methods", methods), ...field("Allow headers", headers),
    ...field("Expose headers", expose), ...field("Max age (seconds)", maxAge),
    h("label", { class: "cfg-check" }, credentials, " Allow credentials"),
    h("p", { class: "row" }, save, remove));
  const form = h("form", { id: "cfg-url-form" }, h("h2", {}, "Function URL"), link, fields, status.ok, status.err);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    status.run(async () => {
      const params = { FunctionName: cfg.FunctionName, AuthType: auth.value, InvokeMode: mode.value, Cors: corsParams() };
      const out = await call("lambda", exists ? "UpdateFunctionUrlConfig" : "CreateFunctionUrlConfig", params);
      const extra = auth.value === "NONE" && allowPublic.checked ? await addPublicAccess() : "";
      await load();
      return `Saved: ${out.FunctionUrl} (${out.AuthType}).${extra}`;
    });
  });
  remove.addEventListener("click", () => status.run(async () => {
    await call("lambda", "DeleteFunctionUrlConfig", { FunctionName: cfg.FunctionName });
    await load();
    return "Function URL deleted.";
  }));
  panel.replaceChildren(form);
  load().catch((e) => status.fail(e.message));
}

registerConfigSection({ id: "url", label: "Function URL", order: 40, render: urlSection });
