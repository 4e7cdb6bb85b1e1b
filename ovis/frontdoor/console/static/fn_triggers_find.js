// What invokes a function and where its results go, found with the services' own operations
// (core.js call()): the Overview diagram and the Configuration section "Triggers" share it.
//
// findWiring(cfg) -> { triggers, destinations, layers, failed }:
//   triggers:     [{ kind, name, arn, href, detail, ...kind-specific fields }]
//                 kind: sqs | kinesis | dynamodb | mapping | url | sns | rule | schedule | s3
//   destinations: [{ kind: "on-success" | "on-failure" | "dlq", arn, name, href }]
//   layers:       [{ arn, name, href }]
//   failed:       the services whose discovery failed (their boxes are left out, never the tab).
// Every service is asked in parallel. Calls are filtered by the function wherever the API has a
// filter (mappings by FunctionName, rules by target); the rest page through one listing each
// (SNS subscriptions, schedules), except S3, which has no reverse lookup: one small
// GetBucketNotificationConfiguration per bucket, a few at a time.

import { call, enc } from "./core.js";

// The resource's name from its ARN: the last ":" or "/" part.
export function arnName(arn) {
  const tail = String(arn ?? "").split(":").slice(5).join(":");
  return tail.split("/").pop() || tail;
}

const service = (arn) => String(arn ?? "").split(":")[2] ?? "";

// Where the console shows a resource; "" when no page does.
export function hrefFor(arn) {
  const name = enc(arnName(arn));
  switch (service(arn)) {
    case "sqs": return `#/queues/${name}`;
    case "sns": return `#/topics/${name}`;
    case "kinesis": return `#/streams/${name}`;
    case "s3": return `#/buckets/${name}`;
    case "lambda": return String(arn).includes(":layer:")
      ? `#/layers/${enc(String(arn).split(":")[6] ?? "")}` : `#/functions/${enc(String(arn).split(":")[6] ?? "")}`;
    case "events": return String(arn).includes(":event-bus/") ? `#/buses/${name}` : "";
    default: return "";
  }
}

// Whether a target ARN names this function (unqualified, or one of its versions / aliases).
export function targetsFunction(arn, fnArn) {
  return arn === fnArn || String(arn ?? "").startsWith(fnArn + ":");
}

// Every page of a listing: `next` is the output's token member, `token` the input's.
async function pages(serviceName, op, params, items, next, token = next) {
  const out = [];
  let marker;
  for (let i = 0; i < 200; i++) { // 200 pages is far past any account the console serves
    const page = await call(serviceName, op, marker ? { ...params, [token]: marker } : params);
    out.push(...(page[items] ?? []));
    marker = page[next];
    if (!marker) break;
  }
  return out;
}

// Runs fn over items with at most `width` calls in flight.
async function pooled(items, width, fn) {
  const out = [];
  let i = 0;
  const worker = async () => { while (i < items.length) { const k = i++; out[k] = await fn(items[k]); } };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}

async function orNone(promise) {
  try { return await promise; } catch (e) { if (e.status === 404) return null; throw e; }
}

async function mappings(cfg) {
  const all = await pages("lambda", "ListEventSourceMappings", { FunctionName: cfg.FunctionName },
    "EventSourceMappings", "NextMarker", "Marker");
  return all.map((m) => {
    const src = service(m.EventSourceArn);
    const kind = src === "sqs" ? "sqs" : src === "kinesis" ? "kinesis" : src === "dynamodb" ? "dynamodb" : "mapping";
    return {
      kind, name: arnName(m.EventSourceArn), arn: m.EventSourceArn, href: hrefFor(m.EventSourceArn),
      uuid: m.UUID, state: m.State, batchSize: m.BatchSize,
      detail: `${m.State} · batch ${m.BatchSize}` + (m.MaximumBatchingWindowInSeconds ? ` · window ${m.MaximumBatchingWindowInSeconds}s` : ""),
    };
  });
}

async function functionUrl(cfg) {
  // the listing, not GetFunctionUrlConfig: no URL is an empty list, not a 404 in the browser's console
  const urls = await pages("lambda", "ListFunctionUrlConfigs", { FunctionName: cfg.FunctionName },
    "FunctionUrlConfigs", "NextMarker", "Marker");
  return urls.map((u) => ({ kind: "url", name: u.FunctionUrl, arn: u.FunctionArn, href: u.FunctionUrl, detail: `auth ${u.AuthType}` }));
}

async function topics(cfg) {
  const subs = await pages("sns", "ListSubscriptions", {}, "Subscriptions", "NextToken");
  return subs.filter((s) => s.Protocol === "lambda" && targetsFunction(s.Endpoint, cfg.FunctionArn)).map((s) => ({
    kind: "sns", name: arnName(s.TopicArn), arn: s.TopicArn, href: hrefFor(s.TopicArn),
    subscriptionArn: s.SubscriptionArn, detail: "subscription",
  }));
}

async function rules(cfg) {
  const buses = await pages("events", "ListEventBuses", {}, "EventBuses", "NextToken");
  const found = await Promise.all(buses.map(async (bus) => {
    const names = await pages("events", "ListRuleNamesByTarget", { TargetArn: cfg.FunctionArn, EventBusName: bus.Name },
      "RuleNames", "NextToken");
    return names.map((rule) => ({
      kind: "rule", name: rule, bus: bus.Name, arn: `${bus.Arn.replace(/:event-bus\/.*$/, ":rule/")}${bus.Name === "default" ? "" : bus.Name + "/"}${rule}`,
      href: `#/buses/${enc(bus.Name)}`, detail: `bus ${bus.Name}`,
    }));
  }));
  return found.flat();
}

async function schedules(cfg) {
  const all = await pages("scheduler", "ListSchedules", {}, "Schedules", "NextToken");
  return all.filter((s) => targetsFunction(s.Target?.Arn, cfg.FunctionArn)).map((s) => ({
    kind: "schedule", name: s.Name, group: s.GroupName ?? "default", arn: s.Arn,
    href: `#/schedules/${enc(s.GroupName ?? "default")}/${enc(s.Name)}`, detail: `${s.State ?? ""} · group ${s.GroupName ?? "default"}`,
  }));
}

async function buckets(cfg) {
  const all = await pages("s3", "ListBuckets", {}, "Buckets", "ContinuationToken");
  const found = await pooled(all, 8, async (b) => {
    const n = await orNone(call("s3", "GetBucketNotificationConfiguration", { Bucket: b.Name }));
    return (n?.LambdaFunctionConfigurations ?? []).filter((c) => targetsFunction(c.LambdaFunctionArn, cfg.FunctionArn))
      .map((c) => ({
        kind: "s3", name: b.Name, arn: `arn:aws:s3:::${b.Name}`, href: hrefFor(`arn:aws:s3:::${b.Name}`),
        configId: c.Id,
        detail: [(c.Events ?? []).join(", "), ...(c.Filter?.Key?.FilterRules ?? []).map((r) => `${r.Name.toLowerCase()} ${r.Value}`)].join(" · "),
      }));
  });
  return found.flat();
}

export const TRIGGER_SOURCES = { mappings, functionUrl, topics, rules, schedules, buckets };

// Only the triggers (the Configuration section does not need destinations).
export async function findTriggers(cfg) {
  const failed = [];
  const lists = await Promise.all(Object.entries(TRIGGER_SOURCES).map(([name, find]) =>
    find(cfg).catch(() => { failed.push(name); return []; })));
  return { triggers: lists.flat(), failed };
}

async function destinations(cfg) {
  const out = [];
  const dlq = cfg.DeadLetterConfig?.TargetArn;
  if (dlq) out.push({ kind: "dlq", label: "Dead-letter queue", arn: dlq });
  // the listing (one entry per qualifier), not the Get: none configured is no 404
  const configs = await pages("lambda", "ListFunctionEventInvokeConfigs", { FunctionName: cfg.FunctionName },
    "FunctionEventInvokeConfigs", "NextMarker", "Marker");
  for (const c of configs) {
    const d = c.DestinationConfig ?? {};
    const q = c.FunctionArn.endsWith(":$LATEST") ? "" : ` (${c.FunctionArn.split(":").pop()})`;
    if (d.OnSuccess?.Destination) out.push({ kind: "on-success", label: "On success" + q, arn: d.OnSuccess.Destination });
    if (d.OnFailure?.Destination) out.push({ kind: "on-failure", label: "On failure" + q, arn: d.OnFailure.Destination });
  }
  return out.map((x) => ({ ...x, name: arnName(x.arn), href: hrefFor(x.arn) }));
}

export async function findWiring(cfg) {
  const [found, dests] = await Promise.all([
    findTriggers(cfg),
    destinations(cfg).catch(() => null),
  ]);
  const layers = (cfg.Layers ?? []).map((l) => ({ arn: l.Arn, name: l.Arn.split(":").slice(6).join(":"), href: hrefFor(l.Arn) }));
  return {
    triggers: found.triggers, destinations: dests ?? [], layers,
    failed: dests ? found.failed : [...found.failed, "destinations"],
  };
}
