// Kinesis streams (#/streams, #/streams/NAME): the list, create and delete, and a stream's page:
// its summary, shards, put a record, read a shard's records (TRIM_HORIZON, the last 15 minutes
// or LATEST, then on with NextShardIterator), and the event source mappings reading it.

import { h, call, show, errorBox, enc, toBase64, fromBase64 } from "./core.js";
import { registerPage } from "./registry.js";
import { fmtTime, kv, table, guard, pager, confirmAction, field } from "./page_shared.js";

function streamsPage() {
  const err = errorBox("kin-list-error");
  const list = pager("kin", async (token) => {
    // NextToken pages; ExclusiveStartStreamName is the older way, not needed with it
    const out = await call("kinesis", "ListStreams", token ? { NextToken: token } : { Limit: 25 });
    const node = table("kin-table", ["Name", "Status", "Mode", "Created"],
      (out.StreamSummaries ?? []).map((s) => [h("a", { href: "#/streams/" + enc(s.StreamName) }, s.StreamName), s.StreamStatus,
        s.StreamModeDetails?.StreamMode, fmtTime(s.StreamCreationTimestamp)]), "No streams.");
    return { node, next: out.HasMoreStreams ? out.NextToken : undefined };
  }, err);
  const name = h("input", { type: "text", id: "kin-new-name", placeholder: "Stream name" });
  const shards = h("input", { type: "number", id: "kin-new-shards", min: "1", value: "1" });
  const createErr = errorBox("kin-create-error");
  const create = h("button", { class: "primary", id: "kin-create", type: "button" }, "Create stream");
  create.addEventListener("click", () => guard(createErr, async () => {
    await call("kinesis", "CreateStream", { StreamName: name.value.trim(), ShardCount: Number(shards.value) });
    location.hash = "#/streams/" + enc(name.value.trim());
  }, create));
  show(h("div", { class: "card kin" }, h("h1", {}, "Streams"), list.el, err),
    h("div", { class: "card kin" }, h("h2", {}, "Create stream"),
      h("div", { class: "row" }, name, h("label", { for: "kin-new-shards", class: "inline" }, "Shards"), shards, create), createErr));
  guard(err, list.load);
}

function putCard(name, onPut) {
  const err = errorBox("kin-put-error");
  const status = h("p", { class: "ok", id: "kin-put-status" });
  const key = h("input", { type: "text", id: "kin-key", placeholder: "Partition key" });
  const data = h("textarea", { id: "kin-data", class: "code short", spellcheck: "false" });
  const put = h("button", { class: "primary", id: "kin-put", type: "button" }, "Put record");
  put.addEventListener("click", () => guard(err, async () => {
    status.textContent = "";
    const out = await call("kinesis", "PutRecord", { StreamName: name, PartitionKey: key.value, Data: toBase64(data.value) });
    status.textContent = `Put into ${out.ShardId} at sequence number ${out.SequenceNumber}.`;
    onPut(out.ShardId);
  }, put));
  return h("div", { class: "card kin" }, h("h2", {}, "Put a record"), ...field("Partition key", key),
    ...field("Data (UTF-8 text)", data), h("p", { class: "row" }, put), status, err);
}

function readCard(name, shardIds) {
  const err = errorBox("kin-read-error");
  const shard = h("select", { id: "kin-shard" }, ...shardIds.map((s) => h("option", { value: s }, s)));
  const from = h("select", { id: "kin-from" }, h("option", { value: "TRIM_HORIZON" }, "Oldest (TRIM_HORIZON)"),
    h("option", { value: "AT_TIMESTAMP" }, "Last 15 minutes (AT_TIMESTAMP)"), h("option", { value: "LATEST" }, "Only what comes next (LATEST)"));
  const out = h("div", { id: "kin-records" });
  const note = h("p", { class: "muted", id: "kin-read-note" });
  let iterator;
  const rows = [];
  async function read(fresh) {
    if (fresh) {
      rows.length = 0;
      const at = from.value === "AT_TIMESTAMP" ? Date.now() / 1000 - 15 * 60 : undefined; // epoch seconds, as calls.py takes them
      iterator = (await call("kinesis", "GetShardIterator", { StreamName: name, ShardId: shard.value, ShardIteratorType: from.value, Timestamp: at })).ShardIterator;
    }
    const got = await call("kinesis", "GetRecords", { ShardIterator: iterator, Limit: 100 });
    iterator = got.NextShardIterator;
    for (const r of got.Records ?? []) rows.push([r.SequenceNumber, r.PartitionKey, fmtTime(r.ApproximateArrivalTimestamp), h("pre", { class: "inline" }, fromBase64(r.Data))]);
    out.replaceChildren(table("kin-records-table", ["Sequence number", "Partition key", "Arrived", "Data"], rows, "No records yet."));
    note.textContent = `${rows.length} record(s) read; ${got.MillisBehindLatest ?? 0} ms behind the latest.`;
    more.disabled = !iterator;
  }
  const start = h("button", { class: "primary", id: "kin-read", type: "button" }, "Read records");
  const more = h("button", { id: "kin-read-more", type: "button", disabled: true }, "Read on");
  start.addEventListener("click", () => guard(err, () => read(true), start));
  more.addEventListener("click", () => guard(err, () => read(false), more));
  return {
    el: h("div", { class: "card kin" }, h("h2", {}, "Read records"), h("div", { class: "row" }, shard, from, start, more), note, out, err),
    select(id) { shard.value = id; },
  };
}

async function streamPage(name) {
  const err = errorBox("kin-stream-error");
  let sum, shards;
  try {
    sum = (await call("kinesis", "DescribeStreamSummary", { StreamName: name })).StreamDescriptionSummary;
    shards = [];
    let token;
    do { // a page of shards at a time, by its token
      const out = await call("kinesis", "ListShards", token ? { NextToken: token } : { StreamName: name, MaxResults: 100 });
      shards.push(...(out.Shards ?? []));
      token = out.NextToken;
    } while (token && shards.length < 1000);
  } catch (e) { show(h("div", { class: "card kin" }, h("h1", {}, name), h("p", { class: "error", id: "kin-stream-error" }, e.message))); return; }
  const mappings = await call("lambda", "ListEventSourceMappings", { EventSourceArn: sum.StreamARN, MaxItems: 50 })
    .then((o) => o.EventSourceMappings ?? [], (e) => { err.textContent = e.message; return []; });
  const reader = readCard(name, shards.map((s) => s.ShardId));
  const remove = confirmAction("kin-delete", "Delete stream", "delete", async () => {
    await call("kinesis", "DeleteStream", { StreamName: name, EnforceConsumerDeletion: true });
    location.hash = "#/streams";
  });
  show(h("div", { class: "card kin" }, h("h1", { id: "kin-name" }, name),
    kv("kin-summary", [["ARN", sum.StreamARN], ["Status", sum.StreamStatus], ["Mode", sum.StreamModeDetails?.StreamMode],
      ["Open shards", sum.OpenShardCount], ["Retention (hours)", sum.RetentionPeriodHours], ["Encryption", sum.EncryptionType],
      ["Created", fmtTime(sum.StreamCreationTimestamp)]]), err),
  h("div", { class: "card kin" }, h("h2", {}, "Shards"), table("kin-shards", ["Shard", "Parent", "Hash key range", "Starting sequence"],
    shards.map((s) => [s.ShardId, s.ParentShardId, `${s.HashKeyRange.StartingHashKey}–${s.HashKeyRange.EndingHashKey}`,
      s.SequenceNumberRange.StartingSequenceNumber]))),
  putCard(name, (id) => reader.select(id)), reader.el,
  h("div", { class: "card kin" }, h("h2", {}, "Consumers (event source mappings)"), table("kin-consumers", ["Function", "State", "Batch size", "Starting position", "UUID"],
    mappings.map((m) => [h("a", { href: "#/functions/" + enc(m.FunctionArn.split(":")[6]) }, m.FunctionArn.split(":")[6]), m.State,
      m.BatchSize, m.StartingPosition, m.UUID]), "No function reads this stream.")),
  h("div", { class: "card kin" }, h("h2", {}, "Delete"), remove));
}

registerPage({
  path: "streams", label: "Streams", order: 30,
  render(parts) { if (parts[0]) streamPage(parts[0]); else streamsPage(); },
});
