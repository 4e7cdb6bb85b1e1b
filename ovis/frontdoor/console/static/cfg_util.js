// What the Configuration sections share: a status line pair (success and the service's error)
// around each save, reading an optional resource (a 404 ResourceNotFoundException means "none"),
// and small form pieces. Every change goes through call() (core.js), the same operations boto3 uses.

import { h, errorBox } from "./core.js";

// A success line (id PREFIX-saved) and an error line (id PREFIX-error); run(work) clears both,
// awaits work() and shows the text it returns, or the service's error message if it throws.
export function statusLines(prefix) {
  const ok = h("p", { class: "ok", id: prefix + "-saved", role: "status" });
  const err = errorBox(prefix + "-error");
  async function run(work) {
    ok.textContent = ""; err.textContent = "";
    try {
      const text = await work();
      ok.textContent = text ?? "Saved.";
      return true;
    } catch (e) {
      err.textContent = e.code ? `${e.code}: ${e.message}` : e.message;
      return false;
    }
  }
  return { ok, err, run, fail(message) { ok.textContent = ""; err.textContent = message; } };
}

// The answer of a Get* operation, or null when the service says the resource does not exist.
export async function optional(promise) {
  try { return await promise; }
  catch (e) { if (e.status === 404 || e.code === "ResourceNotFoundException") return null; throw e; }
}

// The controls of a form, disabled until its first read has answered (enable with
// `fieldset.disabled = false`), so nothing typed early is overwritten by what the read brings.
export function controls(...children) {
  return h("fieldset", { class: "cfg-controls", disabled: true }, ...children);
}

// A labelled field: label element then the control, as the general form lays them out.
export function field(label, control) {
  return [h("label", { for: control.id }, label), control];
}

export function select(id, options, value) {
  return h("select", { id }, ...options.map(([v, text]) => h("option", { value: v, selected: v === value }, text ?? v)));
}

// "a, b ,c" -> ["a", "b", "c"] (blank entries dropped).
export function splitList(text) {
  return text.split(",").map((s) => s.trim()).filter(Boolean);
}

// The region and account of a function's ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME).
export function arnParts(functionArn) {
  const [, , , region, account] = functionArn.split(":");
  return { region, account };
}

// The unqualified ($LATEST) entry of a List* answer keyed by FunctionArn, or null. Lists answer 200
// when there is nothing, where Get* answers 404 (which the browser logs as a console error).
export function latestOf(items) {
  return (items ?? []).find((c) => [undefined, "$LATEST"].includes(c.FunctionArn.split(":")[7])) ?? null;
}
