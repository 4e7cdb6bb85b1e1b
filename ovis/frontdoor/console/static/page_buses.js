// EventBridge buses (#/buses, #/buses/NAME): the list, and a bus's page: its rules with each
// rule's targets, and put an event (source, detail-type, detail JSON) showing FailedEntryCount
// and each entry's id or error.

import { h, call, show, errorBox, enc } from "./core.js";
import { registerPage } from "./registry.js";
import { fmtTime, kv, table, guard, pager, lastPart, field } from "./page_shared.js";

function busesPage() {
  const err = errorBox("eb-list-error");
  const list = pager("eb", async (token) => {
    const out = await call("events", "ListEventBuses", { NextToken: token, Limit: 25 });
    const node = table("eb-table", ["Name", "ARN", "Created"], (out.EventBuses ?? []).map((b) =>
      [h("a", { href: "#/buses/" + enc(b.Name) }, b.Name), b.Arn, fmtTime(b.CreationTime)]), "No buses.");
    return { node, next: out.NextToken };
  }, err);
  show(h("div", { class: "card eb" }, h("h1", {}, "Event buses"), list.el, err));
  guard(err, list.load);
}

// A target's ARN as a link to its console page, where there is one.
function targetLink(arn) {
  const [, , service] = arn.split(":");
  const name = lastPart(arn);
  const href = { sqs: "#/queues/" + enc(name), lambda: "#/functions/" + enc(arn.split(":")[6] ?? name),
    sns: "#/topics/" + enc(arn), kinesis: "#/streams/" + enc(name) }[service];
  return href ? h("a", { href }, arn) : arn;
}

function rulesCard(bus) {
  const err = errorBox("eb-rules-error");
  const list = pager("eb-rules", async (token) => {
    const out = await call("events", "ListRules", { EventBusName: bus, NextToken: token, Limit: 25 });
    const rules = out.Rules ?? [];
    const targets = await Promise.all(rules.map((r) => call("events", "ListTargetsByRule", { Rule: r.Name, EventBusName: bus, Limit: 100 })
      .then((t) => t.Targets ?? [], () => [])));
    const node = table("eb-rules", ["Rule", "State", "Pattern or schedule", "Targets"], rules.map((r, i) => [
      r.Name, r.State, h("pre", { class: "inline" }, r.EventPattern ?? r.ScheduleExpression ?? ""),
      targets[i].length ? h("ul", { class: "plain" }, ...targets[i].map((t) => h("li", {}, `${t.Id}: `, targetLink(t.Arn)))) : "None"]),
    "No rules on this bus.");
    return { node, next: out.NextToken };
  }, err);
  guard(err, list.load);
  return h("div", { class: "card eb" }, h("h2", {}, "Rules"), list.el, err);
}

function putCard(bus) {
  const err = errorBox("eb-put-error");
  const result = h("div", { id: "eb-put-result" });
  const source = h("input", { type: "text", id: "eb-source", placeholder: "my.app" });
  const type = h("input", { type: "text", id: "eb-detail-type", placeholder: "Order placed" });
  const detail = h("textarea", { id: "eb-detail", class: "code short", spellcheck: "false" }, "{}");
  const put = h("button", { class: "primary", id: "eb-put", type: "button" }, "Put event");
  put.addEventListener("click", () => guard(err, async () => {
    result.replaceChildren();
    try { JSON.parse(detail.value); } catch { throw new Error("The detail is not valid JSON."); }
    const out = await call("events", "PutEvents", { Entries: [{ EventBusName: bus, Source: source.value, DetailType: type.value, Detail: detail.value }] });
    result.replaceChildren(h("p", { class: out.FailedEntryCount ? "error" : "ok", id: "eb-failed" }, `FailedEntryCount: ${out.FailedEntryCount}`),
      table("eb-entries", ["Event ID", "Error"], (out.Entries ?? []).map((e) => [e.EventId, e.ErrorCode ? `${e.ErrorCode}: ${e.ErrorMessage}` : ""])));
  }, put));
  return h("div", { class: "card eb" }, h("h2", {}, "Put an event"), ...field("Source", source), ...field("Detail type", type),
    ...field("Detail (JSON)", detail), h("p", { class: "row" }, put), result, err);
}

async function busPage(name) {
  let bus;
  try { bus = await call("events", "DescribeEventBus", { Name: name }); }
  catch (e) { show(h("div", { class: "card eb" }, h("h1", {}, name), h("p", { class: "error", id: "eb-bus-error" }, e.message))); return; }
  show(h("div", { class: "card eb" }, h("h1", { id: "eb-name" }, name),
    kv("eb-bus", [["ARN", bus.Arn], ["Description", bus.Description || "—"], ["Created", fmtTime(bus.CreationTime)],
      ["Last modified", fmtTime(bus.LastModifiedTime)]])),
  rulesCard(name), putCard(name));
}

registerPage({
  path: "buses", label: "Buses", order: 50,
  render(parts) { if (parts[0]) busPage(parts[0]); else busesPage(); },
});
