// The Test tab: saved test events, invoke, the response, the REPORT line and the log tail.

import { h, api, errorBox, enc } from "./core.js";
import { registerFunctionTab } from "./registry.js";

function savedEvents(name) {
  try { return JSON.parse(localStorage.getItem("ovis.events." + name) ?? "{}"); } catch { return {}; }
}

function testTab(panel, cfg) {
  const name = cfg.FunctionName;
  const err = errorBox();
  const events = savedEvents(name);
  const eventName = h("input", { type: "text", id: "event-name", placeholder: "Event name", value: Object.keys(events)[0] ?? "" });
  const payload = h("textarea", { class: "code", id: "event-json", spellcheck: "false" },
    events[Object.keys(events)[0]] ?? '{\n  "key1": "value1"\n}');
  const picker = h("select", { id: "event-picker" }, h("option", { value: "" }, "— saved events —"),
    ...Object.keys(events).map((k) => h("option", { value: k }, k)));
  picker.value = eventName.value;
  picker.addEventListener("change", () => { if (picker.value) { eventName.value = picker.value; payload.value = events[picker.value]; } });
  const result = h("div", { id: "test-result" });
  const save = h("button", { id: "event-save", type: "button" }, "Save");
  save.addEventListener("click", () => {
    err.textContent = "";
    const n = eventName.value.trim();
    if (!n) { err.textContent = "Give the event a name."; return; }
    try { JSON.parse(payload.value); } catch { err.textContent = "The event is not valid JSON."; return; }
    if (!(n in events) && Object.keys(events).length >= 10) { err.textContent = "At most 10 saved events per function."; return; }
    events[n] = payload.value;
    localStorage.setItem("ovis.events." + name, JSON.stringify(events));
    if (![...picker.options].some((o) => o.value === n)) picker.append(h("option", { value: n }, n));
    result.replaceChildren(h("p", { class: "ok" }, `Saved event ${n}.`));
  });
  const run = h("button", { class: "primary", id: "event-test", type: "button" }, "Test");
  run.addEventListener("click", async () => {
    err.textContent = "";
    try { JSON.parse(payload.value); } catch { err.textContent = "The event is not valid JSON."; return; }
    run.disabled = true;
    result.replaceChildren(h("p", { class: "muted" }, "Invoking…"));
    try {
      const out = await api("POST", `/functions/${enc(name)}/invoke`, { Payload: payload.value });
      const report = out.Log.split("\n").find((l) => l.startsWith("REPORT")) ?? "";
      result.replaceChildren(
        h("h2", { class: out.FunctionError ? "error" : "ok", id: "test-status" },
          out.FunctionError ? `Execution failed (${out.FunctionError})` : "Execution succeeded"),
        h("label", {}, "Response"), h("pre", { id: "test-response" }, out.Payload),
        h("label", {}, "Summary"), h("pre", { id: "test-report" }, report),
        h("label", {}, "Log output (tail)"), h("pre", { id: "test-log" }, out.Log));
    } catch (e) { result.replaceChildren(); err.textContent = e.message; }
    finally { run.disabled = false; }
  });
  panel.replaceChildren(h("h2", {}, "Test event"), h("div", { class: "row" }, picker, eventName),
    h("label", { for: "event-json" }, "Event JSON"), payload, h("p", { class: "row" }, run, save), err, result);
}

registerFunctionTab({ id: "test", label: "Test", order: 30, render: testTab });
