// The Test tab: saved test events (shared through the Schemas registry, test_events.js), invoke,
// the response, the REPORT line and the log tail.

import { h, api, errorBox, enc } from "./core.js";
import { registerFunctionTab } from "./registry.js";
import { loadEvents, saveEvent, deleteEvent, MAX_EVENTS } from "./fn_test_events.js";

const SAMPLE = '{\n  "key1": "value1"\n}';
const pretty = (v) => JSON.stringify(v, null, 2);

async function testTab(panel, cfg) {
  const name = cfg.FunctionName;
  const err = errorBox("test-error");
  let events;
  try { events = await loadEvents(name); }
  catch (e) { panel.replaceChildren(h("p", { class: "error" }, `Could not load the saved events: ${e.message}`)); return; }
  const first = Object.keys(events)[0];
  const eventName = h("input", { type: "text", id: "event-name", placeholder: "Event name", value: first ?? "" });
  const payload = h("textarea", { class: "code", id: "event-json", spellcheck: "false" },
    first !== undefined ? pretty(events[first]) : SAMPLE);
  const picker = h("select", { id: "event-picker" });
  const count = h("span", { class: "muted", id: "event-count" });
  const fill = () => {
    picker.replaceChildren(h("option", { value: "" }, "— saved events —"),
      ...Object.keys(events).map((k) => h("option", { value: k }, k)));
    picker.value = eventName.value in events ? eventName.value : "";
    count.textContent = `${Object.keys(events).length} of ${MAX_EVENTS} saved`;
  };
  fill();
  picker.addEventListener("change", () => {
    if (picker.value) { eventName.value = picker.value; payload.value = pretty(events[picker.value]); }
  });
  const result = h("div", { id: "test-result" });
  const parsed = () => {
    try { return { ok: true, value: JSON.parse(payload.value) }; }
    catch { err.textContent = "The event is not valid JSON."; return { ok: false }; }
  };
  const save = h("button", { id: "event-save", type: "button" }, "Save");
  save.addEventListener("click", async () => {
    err.textContent = "";
    const n = eventName.value.trim();
    if (!n) { err.textContent = "Give the event a name."; return; }
    const p = parsed();
    if (!p.ok) return;
    save.disabled = true;
    try {
      events = await saveEvent(name, n, p.value);
      eventName.value = n;
      fill();
      result.replaceChildren(h("p", { class: "ok" }, `Saved event ${n}.`));
    } catch (e) { err.textContent = e.message; }
    finally { save.disabled = false; }
  });
  const remove = h("button", { id: "event-delete", type: "button" }, "Delete");
  remove.addEventListener("click", async () => {
    err.textContent = "";
    const n = picker.value;
    if (!n) { err.textContent = "Choose a saved event to delete."; return; }
    remove.disabled = true;
    try {
      events = await deleteEvent(name, n);
      eventName.value = "";
      fill();
      result.replaceChildren(h("p", { class: "ok" }, `Deleted event ${n}.`));
    } catch (e) { err.textContent = e.message; }
    finally { remove.disabled = false; }
  });
  const run = h("button", { class: "primary", id: "event-test", type: "button" }, "Test");
  run.addEventListener("click", async () => {
    err.textContent = "";
    if (!parsed().ok) return;
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
  panel.replaceChildren(h("h2", {}, "Test event"), h("div", { class: "row" }, picker, eventName, count),
    h("label", { for: "event-json" }, "Event JSON"), payload, h("p", { class: "row" }, run, save, remove), err, result);
}

registerFunctionTab({ id: "test", label: "Test", order: 30, render: testTab });
