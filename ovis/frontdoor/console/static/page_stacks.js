// CloudFormation stacks (#/stacks, #/stacks/NAME): the list with statuses, and a stack's page:
// status, outputs, parameters, resources (physical ids linking to their console pages), events
// newest first (refreshed while the stack is in progress), the template, and delete.

import { h, call, show, errorBox, enc } from "./core.js";
import { registerPage } from "./registry.js";
import { fmtTime, kv, table, guard, pager, confirmAction, lastPart, stillOn } from "./page_shared.js";

const REFRESH_MS = 2000;
const LIVE = ["CREATE_COMPLETE", "CREATE_IN_PROGRESS", "CREATE_FAILED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_FAILED", "ROLLBACK_COMPLETE",
  "DELETE_IN_PROGRESS", "DELETE_FAILED", "UPDATE_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_COMPLETE",
  "UPDATE_FAILED", "UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_FAILED", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
  "UPDATE_ROLLBACK_COMPLETE", "REVIEW_IN_PROGRESS", "IMPORT_IN_PROGRESS", "IMPORT_COMPLETE", "IMPORT_ROLLBACK_IN_PROGRESS",
  "IMPORT_ROLLBACK_FAILED", "IMPORT_ROLLBACK_COMPLETE"];

function status(s) { return h("span", { class: "cfn-status " + (/FAILED|ROLLBACK/.test(s) ? "error" : /COMPLETE$/.test(s) ? "ok" : "muted") }, s); }

function stacksPage() {
  const err = errorBox("cfn-list-error");
  const deleted = h("input", { type: "checkbox", id: "cfn-show-deleted" });
  const list = pager("cfn", async (token) => {
    const out = await call("cloudformation", "ListStacks", { NextToken: token, StackStatusFilter: deleted.checked ? undefined : LIVE });
    const node = table("cfn-table", ["Name", "Status", "Created", "Updated"], (out.StackSummaries ?? []).map((s) => [
      s.StackStatus === "DELETE_COMPLETE" ? s.StackName : h("a", { href: "#/stacks/" + enc(s.StackName) }, s.StackName),
      status(s.StackStatus), fmtTime(s.CreationTime), fmtTime(s.LastUpdatedTime)]), "No stacks.");
    return { node, next: out.NextToken };
  }, err);
  deleted.addEventListener("change", () => guard(err, list.load));
  show(h("div", { class: "card cfn" }, h("h1", {}, "Stacks"),
    h("div", { class: "row" }, h("label", { class: "inline" }, deleted, " Show deleted stacks")), list.el, err));
  guard(err, list.load);
}

// A physical id as a link to the console page of what it names, where there is one.
function physicalLink(type, id) {
  if (!id) return "—";
  const href = {
    "AWS::Lambda::Function": "#/functions/" + enc(id),
    "AWS::SQS::Queue": "#/queues/" + enc(lastPart(id)),
    "AWS::SNS::Topic": "#/topics/" + enc(id),
    "AWS::Kinesis::Stream": "#/streams/" + enc(id),
    "AWS::Events::EventBus": "#/buses/" + enc(id),
  }[type];
  return href ? h("a", { href, class: "cfn-physical" }, id) : id;
}

async function resourcesTable(name) {
  const rows = [];
  let token;
  do { // every page by its token (stacks hold at most 500 resources)
    const out = await call("cloudformation", "ListStackResources", { StackName: name, NextToken: token });
    for (const r of out.StackResourceSummaries ?? []) rows.push([r.LogicalResourceId, r.ResourceType,
      physicalLink(r.ResourceType, r.PhysicalResourceId), status(r.ResourceStatus), r.ResourceStatusReason, fmtTime(r.LastUpdatedTimestamp)]);
    token = out.NextToken;
  } while (token);
  return table("cfn-resources", ["Logical ID", "Type", "Physical ID", "Status", "Reason", "Updated"], rows, "No resources.");
}

// `stackId()`: the stack's id once known (a deleted stack is found by its id only, not its name).
function eventsCard(stackId) {
  const err = errorBox("cfn-events-error");
  const list = pager("cfn-events", async (token) => {
    const out = await call("cloudformation", "DescribeStackEvents", { StackName: stackId(), NextToken: token });
    const events = [...(out.StackEvents ?? [])].sort((a, b) => b.Timestamp - a.Timestamp);
    const node = table("cfn-events", ["Time", "Logical ID", "Type", "Status", "Reason"], events.map((e) =>
      [fmtTime(e.Timestamp), e.LogicalResourceId, e.ResourceType, status(e.ResourceStatus), e.ResourceStatusReason]));
    return { node, next: out.NextToken };
  }, err);
  return { el: h("div", { class: "card cfn" }, h("h2", {}, "Events (newest first)"), list.el, err), load: () => guard(err, list.load) };
}

let renders = 0; // which render of a stack page is current: only its refresh timer keeps going

async function stackPage(name) {
  const hash = location.hash;
  const mine = ++renders;
  const err = errorBox("cfn-stack-error");
  const head = h("div", {});
  const outputs = h("div", {});
  const params = h("div", {});
  const resources = h("div", {});
  const template = h("pre", { id: "cfn-template" });
  let stack;
  const events = eventsCard(() => stack.StackId);
  async function load() {
    stack = (await call("cloudformation", "DescribeStacks", { StackName: stack?.StackId ?? name })).Stacks[0];
    head.replaceChildren(kv("cfn-summary", [["Status", status(stack.StackStatus)], ["Reason", stack.StackStatusReason],
      ["Stack ID", stack.StackId], ["Description", stack.Description], ["Created", fmtTime(stack.CreationTime)],
      ["Updated", fmtTime(stack.LastUpdatedTime)], ["Termination protection", stack.EnableTerminationProtection ? "On" : "Off"]]));
    outputs.replaceChildren(table("cfn-outputs", ["Key", "Value", "Description", "Export"], (stack.Outputs ?? []).map((o) =>
      [o.OutputKey, o.OutputValue, o.Description, o.ExportName]), "No outputs."));
    params.replaceChildren(table("cfn-parameters", ["Key", "Value"], (stack.Parameters ?? []).map((p) =>
      [p.ParameterKey, p.ResolvedValue ?? p.ParameterValue]), "No parameters."));
    resources.replaceChildren(await resourcesTable(stack.StackId));
    await events.load();
  }
  try {
    await load();
    template.textContent = (await call("cloudformation", "GetTemplate", { StackName: stack.StackId })).TemplateBody ?? "";
  } catch (e) { show(h("div", { class: "card cfn" }, h("h1", {}, name), h("p", { class: "error", id: "cfn-stack-error" }, e.message))); return; }
  const remove = confirmAction("cfn-delete", "Delete stack", "delete", async () => {
    await call("cloudformation", "DeleteStack", { StackName: stack.StackId });
    await load();
    tick();
  });
  // while the stack changes, read it again every REFRESH_MS until it settles or the page changes
  function tick() {
    if (!/_IN_PROGRESS$/.test(stack.StackStatus)) return;
    setTimeout(() => { if (mine === renders && stillOn(hash)) guard(err, load).then(tick); }, REFRESH_MS);
  }
  show(h("div", { class: "card cfn" }, h("h1", { id: "cfn-name" }, name), head, err),
    h("div", { class: "card cfn" }, h("h2", {}, "Outputs"), outputs, h("h2", {}, "Parameters"), params),
    h("div", { class: "card cfn" }, h("h2", {}, "Resources"), resources),
    events.el,
    h("div", { class: "card cfn" }, h("h2", {}, "Template"), template),
    h("div", { class: "card cfn" }, h("h2", {}, "Delete"), remove));
  tick();
}

registerPage({
  path: "stacks", label: "Stacks", order: 60,
  render(parts) { if (parts[0]) stackPage(parts[0]); else stacksPage(); },
});
