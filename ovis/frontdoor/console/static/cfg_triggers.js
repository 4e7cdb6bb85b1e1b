// Configuration section "Triggers": what invokes the function (fn_triggers_find.js), adding one
// (an SQS queue or Kinesis stream mapping, an SNS subscription, an EventBridge rule, a Scheduler
// schedule, an S3 bucket notification) and removing one; enabling and disabling a mapping.
// Every change is the services' own operations (core.js call()), as boto3 would make them, so it
// is visible to the API at once. A push source (SNS, EventBridge, S3) also gets the resource
// policy statement that lets it invoke the function (AddPermission), and loses it on removal.

import { h, call, errorBox } from "./core.js";
import { registerConfigSection } from "./registry.js";
import { findTriggers, targetsFunction } from "./fn_triggers_find.js";
import { suggestSources } from "./trg_suggest.js";

const KINDS = [
  ["sqs", "SQS queue"], ["kinesis", "Kinesis stream"], ["sns", "SNS topic"],
  ["rule", "EventBridge rule"], ["schedule", "EventBridge Scheduler schedule"], ["s3", "S3 bucket"],
];
const KIND_LABEL = { ...Object.fromEntries(KINDS), dynamodb: "DynamoDB stream", mapping: "Event source", url: "Function URL" };
const PRINCIPAL = { sns: "sns.amazonaws.com", rule: "events.amazonaws.com", s3: "s3.amazonaws.com" };

// "name" or a whole ARN -> the ARN, in the function's own region and account.
function sourceArn(cfg, kind, value) {
  const v = value.trim();
  if (v.startsWith("arn:")) return v;
  const [, , , region, account] = cfg.FunctionArn.split(":");
  if (kind === "sqs") return `arn:aws:sqs:${region}:${account}:${v}`;
  if (kind === "kinesis") return `arn:aws:kinesis:${region}:${account}:stream/${v}`;
  if (kind === "sns") return `arn:aws:sns:${region}:${account}:${v}`;
  return v;
}

// getRandomValues, not randomUUID: the latter exists only in secure contexts (https or localhost)
const rand = () => Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, "0")).join("");
const statementId = (kind) => `console-${kind}-${rand()}`;

function allow(cfg, kind, arn) {
  return call("lambda", "AddPermission", {
    FunctionName: cfg.FunctionName, StatementId: statementId(kind), Action: "lambda:InvokeFunction",
    Principal: PRINCIPAL[kind], SourceArn: arn,
  });
}

// Drops the statements letting `principal` invoke the function from `arn` (what allow() added).
async function disallow(cfg, kind, arn) {
  const policy = JSON.parse((await call("lambda", "GetPolicy", { FunctionName: cfg.FunctionName })).Policy);
  const stale = (policy.Statement ?? []).filter((s) => s.Principal?.Service === PRINCIPAL[kind]
    && Object.values(s.Condition ?? {}).some((c) => c["AWS:SourceArn"] === arn));
  for (const s of stale) await call("lambda", "RemovePermission", { FunctionName: cfg.FunctionName, StatementId: s.Sid });
}

async function addTrigger(cfg, kind, f) {
  const value = (id) => f.querySelector("#" + id).value.trim();
  if (kind === "sqs" || kind === "kinesis") {
    const params = {
      FunctionName: cfg.FunctionName, EventSourceArn: sourceArn(cfg, kind, value("trg-source")),
      Enabled: f.querySelector("#trg-enabled").checked,
    };
    if (value("trg-batch-size")) params.BatchSize = Number(value("trg-batch-size"));
    if (value("trg-window")) params.MaximumBatchingWindowInSeconds = Number(value("trg-window"));
    if (kind === "kinesis") params.StartingPosition = value("trg-start-position");
    await call("lambda", "CreateEventSourceMapping", params);
  } else if (kind === "sns") {
    const topic = sourceArn(cfg, kind, value("trg-source"));
    await call("sns", "GetTopicAttributes", { TopicArn: topic }); // no such topic: say so before any change
    await allow(cfg, kind, topic);
    await call("sns", "Subscribe", { TopicArn: topic, Protocol: "lambda", Endpoint: cfg.FunctionArn });
  } else if (kind === "rule") {
    const rule = { Name: value("trg-rule-name"), EventBusName: value("trg-bus") || "default" };
    if (f.querySelector("#trg-rule-type").value === "pattern") rule.EventPattern = value("trg-pattern");
    else rule.ScheduleExpression = value("trg-rule-schedule");
    const { RuleArn } = await call("events", "PutRule", rule);
    await allow(cfg, kind, RuleArn);
    const out = await call("events", "PutTargets", {
      Rule: rule.Name, EventBusName: rule.EventBusName, Targets: [{ Id: cfg.FunctionName.slice(0, 64), Arn: cfg.FunctionArn }],
    });
    if (out.FailedEntryCount) throw new Error(out.FailedEntries[0]?.ErrorMessage ?? "PutTargets failed.");
  } else if (kind === "schedule") {
    const target = { Arn: cfg.FunctionArn, RoleArn: value("trg-sched-role") };
    if (value("trg-sched-input")) target.Input = value("trg-sched-input");
    await call("scheduler", "CreateSchedule", {
      Name: value("trg-sched-name"), ScheduleExpression: value("trg-sched-expr"),
      FlexibleTimeWindow: { Mode: "OFF" }, Target: target,
    });
  } else if (kind === "s3") {
    const bucket = value("trg-source").replace(/^arn:aws:s3:::/, "");
    const current = await call("s3", "GetBucketNotificationConfiguration", { Bucket: bucket });
    const rules = [["prefix", value("trg-s3-prefix")], ["suffix", value("trg-s3-suffix")]].filter(([, v]) => v)
      .map(([Name, Value]) => ({ Name, Value }));
    const entry = {
      Id: `console-${rand()}`, LambdaFunctionArn: cfg.FunctionArn,
      Events: value("trg-s3-events").split(",").map((e) => e.trim()).filter(Boolean),
    };
    if (rules.length) entry.Filter = { Key: { FilterRules: rules } };
    await allow(cfg, kind, `arn:aws:s3:::${bucket}`);
    // the bucket's other configurations (topics, queues, other functions) are kept as they are
    await call("s3", "PutBucketNotificationConfiguration", {
      Bucket: bucket,
      NotificationConfiguration: { ...current, LambdaFunctionConfigurations: [...(current.LambdaFunctionConfigurations ?? []), entry] },
    });
  }
}

async function removeTrigger(cfg, t) {
  if (t.uuid) {
    await call("lambda", "DeleteEventSourceMapping", { UUID: t.uuid });
  } else if (t.kind === "sns") {
    await call("sns", "Unsubscribe", { SubscriptionArn: t.subscriptionArn });
    await disallow(cfg, t.kind, t.arn);
  } else if (t.kind === "rule") {
    const { Targets = [] } = await call("events", "ListTargetsByRule", { Rule: t.name, EventBusName: t.bus });
    const ids = Targets.filter((x) => targetsFunction(x.Arn, cfg.FunctionArn)).map((x) => x.Id);
    if (ids.length) await call("events", "RemoveTargets", { Rule: t.name, EventBusName: t.bus, Ids: ids });
    await disallow(cfg, t.kind, t.arn);
  } else if (t.kind === "schedule") {
    await call("scheduler", "DeleteSchedule", { Name: t.name, GroupName: t.group });
  } else if (t.kind === "s3") {
    const current = await call("s3", "GetBucketNotificationConfiguration", { Bucket: t.name });
    const keep = (current.LambdaFunctionConfigurations ?? []).filter((c) => c.Id !== t.configId || !targetsFunction(c.LambdaFunctionArn, cfg.FunctionArn));
    await call("s3", "PutBucketNotificationConfiguration", { Bucket: t.name, NotificationConfiguration: { ...current, LambdaFunctionConfigurations: keep } });
    if (!keep.some((c) => targetsFunction(c.LambdaFunctionArn, cfg.FunctionArn))) await disallow(cfg, t.kind, t.arn);
  }
}

function field(id, label, input) { return [h("label", { for: id }, label), input]; }
const text = (id, attrs = {}) => h("input", { type: "text", id, ...attrs });

function addForm(cfg, done, err) {
  const kind = h("select", { id: "trg-kind" }, ...KINDS.map(([v, l]) => h("option", { value: v }, l)));
  const sourceLabel = h("label", { for: "trg-source" }, "Queue");
  const sourceInput = text("trg-source", { placeholder: "name or ARN", required: true, list: "trg-source-list", autocomplete: "off" });
  const suggestions = h("datalist", { id: "trg-source-list" });
  const source = h("div", { class: "trg-group", "data-for": "sqs kinesis sns s3" }, sourceLabel, sourceInput, suggestions);
  const suggest = suggestSources(sourceInput, suggestions, () => kind.value);
  const mapping = h("div", { class: "trg-group", "data-for": "sqs kinesis" },
    ...field("trg-batch-size", "Batch size", h("input", { type: "number", id: "trg-batch-size", min: "1", max: "10000", value: "10" })),
    ...field("trg-window", "Batching window (seconds)", h("input", { type: "number", id: "trg-window", min: "0", max: "300", value: "0" })),
    h("label", { class: "trg-check" }, h("input", { type: "checkbox", id: "trg-enabled", checked: true }), " Enabled"));
  const kinesis = h("div", { class: "trg-group", "data-for": "kinesis" },
    ...field("trg-start-position", "Starting position", h("select", { id: "trg-start-position" },
      h("option", { value: "LATEST" }, "LATEST"), h("option", { value: "TRIM_HORIZON" }, "TRIM_HORIZON"))));
  const ruleType = h("select", { id: "trg-rule-type" }, h("option", { value: "pattern" }, "Event pattern"), h("option", { value: "schedule" }, "Schedule expression"));
  const pattern = h("div", {}, ...field("trg-pattern", "Event pattern (JSON)", h("textarea", { id: "trg-pattern", class: "code trg-pattern" }, '{"source": ["my.app"]}')));
  const ruleSchedule = h("div", { hidden: true }, ...field("trg-rule-schedule", "Schedule expression", text("trg-rule-schedule", { placeholder: "rate(5 minutes)" })));
  ruleType.addEventListener("change", () => { pattern.hidden = ruleType.value !== "pattern"; ruleSchedule.hidden = !pattern.hidden; });
  const rule = h("div", { class: "trg-group", "data-for": "rule" },
    ...field("trg-rule-name", "Rule name", text("trg-rule-name")),
    ...field("trg-bus", "Event bus", text("trg-bus", { value: "default" })),
    ...field("trg-rule-type", "Rule type", ruleType), pattern, ruleSchedule);
  const schedule = h("div", { class: "trg-group", "data-for": "schedule" },
    ...field("trg-sched-name", "Schedule name", text("trg-sched-name")),
    ...field("trg-sched-expr", "Schedule expression", text("trg-sched-expr", { placeholder: "rate(1 hour), cron(0 8 * * ? *) or at(2030-01-01T00:00:00)" })),
    ...field("trg-sched-role", "Execution role ARN", text("trg-sched-role", { value: cfg.Role ?? "" })),
    ...field("trg-sched-input", "Input (JSON, optional)", text("trg-sched-input")));
  const s3 = h("div", { class: "trg-group", "data-for": "s3" },
    ...field("trg-s3-events", "Events (comma-separated)", text("trg-s3-events", { value: "s3:ObjectCreated:*" })),
    ...field("trg-s3-prefix", "Key prefix (optional)", text("trg-s3-prefix")),
    ...field("trg-s3-suffix", "Key suffix (optional)", text("trg-s3-suffix")));
  const groups = [source, mapping, kinesis, rule, schedule, s3];
  const sourceNames = { sqs: "Queue", kinesis: "Stream", sns: "Topic", s3: "Bucket" };
  const pick = () => {
    for (const g of groups) {
      const on = g.dataset.for.split(" ").includes(kind.value);
      g.hidden = !on;
      // a hidden group's fields are not asked for: only the chosen kind's are required
      for (const el of g.querySelectorAll("input[type=text]")) el.required = on && ["trg-source", "trg-rule-name", "trg-sched-name", "trg-sched-expr", "trg-sched-role"].includes(el.id);
    }
    sourceLabel.textContent = sourceNames[kind.value] ?? "";
    suggestions.replaceChildren();
    if (document.activeElement === sourceInput) suggest();
  };
  kind.addEventListener("change", pick);
  const button = h("button", { class: "primary", type: "submit", id: "trg-add" }, "Add trigger");
  const form = h("form", { id: "trg-add-form", class: "trg-form" }, h("h3", {}, "Add trigger"),
    ...field("trg-kind", "Source", kind), ...groups, h("p", {}, button));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.textContent = "";
    button.disabled = true;
    try {
      await addTrigger(cfg, kind.value, form);
      for (const id of ["trg-source", "trg-rule-name", "trg-sched-name"]) form.querySelector("#" + id).value = "";
      await done(`Added ${KIND_LABEL[kind.value]} trigger.`);
    } catch (e) { err.textContent = e.message; } finally { button.disabled = false; }
  });
  pick();
  return form;
}

function triggersSection(panel, cfg) {
  const err = errorBox("trg-error");
  const status = h("p", { class: "ok", id: "trg-status" });
  const body = h("tbody");
  const table = h("table", { id: "trg-table", class: "trg-table", "aria-busy": "true" },
    h("thead", {}, h("tr", {}, h("th", {}, "Type"), h("th", {}, "Resource"), h("th", {}, "Details"), h("th"))), body);
  const failed = h("p", { class: "muted", id: "trg-failed" });

  const act = async (label, fn, message) => {
    err.textContent = ""; status.textContent = "";
    try { await fn(); await refresh(message); } catch (e) { err.textContent = `${label}: ${e.message}`; }
  };
  const row = (t) => {
    const actions = [];
    const deleting = t.state === "Deleting"; // still listed until it is gone: nothing left to do with it
    if (t.uuid && !deleting) {
      const on = t.state === "Enabled" || t.state === "Enabling" || t.state === "Creating";
      actions.push(h("button", {
        type: "button", class: "trg-toggle", onclick: () => act(on ? "Disable" : "Enable",
          () => call("lambda", "UpdateEventSourceMapping", { UUID: t.uuid, Enabled: !on }), `${on ? "Disabled" : "Enabled"} ${t.name}.`),
      }, on ? "Disable" : "Enable"));
    }
    if (t.kind !== "url" && !deleting) {
      actions.push(h("button", { type: "button", class: "trg-remove", onclick: () => act("Remove", () => removeTrigger(cfg, t), `Removed ${KIND_LABEL[t.kind]} trigger ${t.name}.`) }, "Remove"));
    }
    const resource = t.href ? h("a", { href: t.href }, t.name) : t.name;
    return h("tr", { "data-kind": t.kind, "data-name": t.name }, h("td", {}, KIND_LABEL[t.kind] ?? t.kind),
      h("td", {}, resource), h("td", { class: "muted" }, t.detail ?? ""), h("td", {}, h("div", { class: "row" }, ...actions)));
  };
  async function refresh(message = "") {
    table.setAttribute("aria-busy", "true");
    const { triggers, failed: down } = await findTriggers(cfg);
    body.replaceChildren(...(triggers.length ? triggers.map(row)
      : [h("tr", { id: "trg-none" }, h("td", { colspan: "4", class: "muted" }, "No triggers."))]));
    failed.textContent = down.length ? `Not shown (the service did not answer): ${down.join(", ")}.` : "";
    status.textContent = message;
    table.setAttribute("aria-busy", "false");
  }
  panel.replaceChildren(h("h2", {}, "Triggers"), table, failed, status, err, addForm(cfg, refresh, err));
  refresh().catch((e) => { err.textContent = e.message; });
}

registerConfigSection({ id: "triggers", label: "Triggers", order: 20, render: triggersSection });
