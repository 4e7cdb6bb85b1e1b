// Configuration > Asynchronous invocation: the function's event invoke configuration
// (Put/Delete/ListFunctionEventInvokeConfigs): maximum event age, retry attempts, and the
// on-success and on-failure destinations. Destinations are offered from the first page of
// ListQueues, ListTopics, ListFunctions and ListEventBuses (a list the caller may not read is just
// left out); any other ARN can be typed in.

import { h, call } from "./core.js";
import { registerConfigSection } from "./registry.js";
import { statusLines, field, latestOf, arnParts } from "./cfg_util.js";

const PAGE = 100;

async function tryList(work) {
  try { return await work(); } catch { return []; }
}

// [[group label, [arn, ...]], ...] of what a destination can be.
async function destinations(cfg) {
  const { region } = arnParts(cfg.FunctionArn);
  const [queues, topics, functions, buses] = await Promise.all([
    tryList(async () => (await call("sqs", "ListQueues", { MaxResults: PAGE })).QueueUrls ?? []),
    tryList(async () => (await call("sns", "ListTopics", {})).Topics?.map((t) => t.TopicArn) ?? []),
    tryList(async () => (await call("lambda", "ListFunctions", { MaxItems: PAGE })).Functions
      ?.map((f) => f.FunctionArn).filter((a) => a !== cfg.FunctionArn) ?? []),
    tryList(async () => (await call("events", "ListEventBuses", { Limit: PAGE })).EventBuses?.map((b) => b.Arn) ?? []),
  ]);
  // a queue URL is .../ACCOUNT/NAME; its ARN is built rather than asked for queue by queue
  const queueArns = queues.map((url) => {
    const [account, name] = new URL(url).pathname.split("/").filter(Boolean).slice(-2);
    return `arn:aws:sqs:${region}:${account}:${name}`;
  });
  return [["SQS queues", queueArns], ["SNS topics", topics], ["Lambda functions", functions], ["EventBridge buses", buses]];
}

function destinationField(id, label, groups, current) {
  const known = groups.some(([, arns]) => arns.includes(current));
  const choice = h("select", { id },
    h("option", { value: "" }, "None"),
    ...(current && !known ? [h("option", { value: current, selected: true }, current)] : []),
    ...groups.filter(([, arns]) => arns.length).map(([group, arns]) => h("optgroup", { label: group },
      ...arns.map((a) => h("option", { value: a, selected: a === current }, a)))));
  const typed = h("input", { type: "text", id: id + "-arn", placeholder: "or another destination ARN" });
  return { nodes: [...field(label, choice), typed], value: () => typed.value.trim() || choice.value };
}

async function asyncSection(panel, cfg) {
  const status = statusLines("cfg-async");
  panel.replaceChildren(h("p", { class: "muted" }, "Loading…"), status.err);
  let current, groups;
  try {
    [current, groups] = await Promise.all([
      call("lambda", "ListFunctionEventInvokeConfigs", { FunctionName: cfg.FunctionName }).then((o) => latestOf(o.FunctionEventInvokeConfigs)),
      destinations(cfg),
    ]);
  } catch (e) { status.fail(e.message); return; }
  const maxAge = h("input", { type: "number", id: "cfg-async-age", min: "60", max: "21600", value: current?.MaximumEventAgeInSeconds ?? 21600 });
  const retries = h("input", { type: "number", id: "cfg-async-retries", min: "0", max: "2", value: current?.MaximumRetryAttempts ?? 2 });
  const onSuccess = destinationField("cfg-async-success", "On success", groups, current?.DestinationConfig?.OnSuccess?.Destination ?? "");
  const onFailure = destinationField("cfg-async-failure", "On failure", groups, current?.DestinationConfig?.OnFailure?.Destination ?? "");
  const state = h("p", { class: "muted", id: "cfg-async-current" });
  const remove = h("button", { type: "button", id: "cfg-async-delete" }, "Remove configuration");
  const shown = (c) => {
    state.textContent = c ? `Configured (last modified ${new Date(c.LastModified * 1000).toISOString()}).`
      : "Not configured: Lambda's defaults apply (6 hours, 2 retries, no destinations).";
    remove.hidden = !c;
  };
  shown(current);
  const form = h("form", { id: "cfg-async-form" }, h("h2", {}, "Asynchronous invocation"), state,
    ...field("Maximum age of event (seconds, 60 to 21600)", maxAge), ...field("Retry attempts (0 to 2)", retries),
    h("h2", { class: "cfg-sub" }, "Destinations"), ...onSuccess.nodes, ...onFailure.nodes,
    h("p", { class: "row" }, h("button", { type: "submit", class: "primary", id: "cfg-async-save" }, "Save"), remove),
    status.ok, status.err);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    status.run(async () => {
      const dest = {};
      if (onSuccess.value()) dest.OnSuccess = { Destination: onSuccess.value() };
      if (onFailure.value()) dest.OnFailure = { Destination: onFailure.value() };
      const out = await call("lambda", "PutFunctionEventInvokeConfig", {
        FunctionName: cfg.FunctionName, MaximumEventAgeInSeconds: Number(maxAge.value),
        MaximumRetryAttempts: Number(retries.value), DestinationConfig: dest,
      });
      shown(out);
      const names = Object.keys(dest).length ? Object.entries(dest).map(([k, v]) => `${k} ${v.Destination}`).join(", ") : "no destinations";
      return `Saved: ${out.MaximumRetryAttempts} retries, ${out.MaximumEventAgeInSeconds} s, ${names}.`;
    });
  });
  remove.addEventListener("click", () => status.run(async () => {
    await call("lambda", "DeleteFunctionEventInvokeConfig", { FunctionName: cfg.FunctionName });
    shown(null);
    return "Asynchronous invocation configuration removed.";
  }));
  panel.replaceChildren(form);
}

registerConfigSection({ id: "async", label: "Asynchronous invocation", order: 30, render: asyncSection });
