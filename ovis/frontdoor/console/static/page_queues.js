// Queues (#/queues, #/queues/NAME): the list with message counts, create and delete, and a
// queue's page: attributes, send, peek (VisibilityTimeout 0), purge, redrive policy and DLQ.
// Everything goes through call("sqs", ...), as boto3 would do it.

import { h, call, show, errorBox, enc } from "./core.js";
import { registerPage } from "./registry.js";
import { fmtTime, fmtMs, kv, table, guard, pager, confirmAction, messageAttributes, attributesText, lastPart, field } from "./page_shared.js";

const COUNTS = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"];

function queuesPage() {
  const err = errorBox("sqs-list-error");
  const prefix = h("input", { type: "search", id: "sqs-prefix", placeholder: "Name prefix", class: "grow" });
  const list = pager("sqs", async (token) => {
    const out = await call("sqs", "ListQueues", { MaxResults: 20, NextToken: token, QueueNamePrefix: prefix.value || undefined });
    const urls = out.QueueUrls ?? [];
    const attrs = await Promise.all(urls.map((QueueUrl) =>
      call("sqs", "GetQueueAttributes", { QueueUrl, AttributeNames: ["All"] }).then((a) => a.Attributes ?? {}, () => ({}))));
    const node = table("sqs-table", ["Name", "Type", "Available", "In flight", "Delayed", "Created"],
      urls.map((url, i) => [h("a", { href: "#/queues/" + enc(lastPart(url)) }, lastPart(url)),
        attrs[i].FifoQueue === "true" ? "FIFO" : "Standard", ...COUNTS.map((c) => attrs[i][c]), fmtTime(attrs[i].CreatedTimestamp)]),
      "No queues.");
    return { node, next: out.NextToken };
  }, err);
  const reload = () => guard(err, list.load);
  let timer;
  prefix.addEventListener("input", () => { list.hold(); clearTimeout(timer); timer = setTimeout(reload, 200); });

  const name = h("input", { type: "text", id: "sqs-new-name", placeholder: "Queue name" });
  const fifo = h("input", { type: "checkbox", id: "sqs-new-fifo" });
  const createErr = errorBox("sqs-create-error");
  const create = h("button", { class: "primary", id: "sqs-create", type: "button" }, "Create queue");
  create.addEventListener("click", () => guard(createErr, async () => {
    let n = name.value.trim();
    if (fifo.checked && !n.endsWith(".fifo")) n += ".fifo";
    await call("sqs", "CreateQueue", { QueueName: n, Attributes: fifo.checked ? { FifoQueue: "true" } : undefined });
    location.hash = "#/queues/" + enc(n);
  }, create));
  show(h("div", { class: "card sqs" }, h("h1", {}, "Queues"), h("div", { class: "row" }, prefix), list.el, err),
    h("div", { class: "card sqs" }, h("h2", {}, "Create queue"),
      h("div", { class: "row" }, name, h("label", { class: "inline" }, fifo, " FIFO"), create), createErr));
  reload();
}

function sendCard(url, isFifo) {
  const err = errorBox("sqs-send-error");
  const status = h("p", { class: "ok", id: "sqs-send-status" });
  const body = h("textarea", { id: "sqs-body", class: "code short", spellcheck: "false" }, "");
  const attrs = h("textarea", { id: "sqs-attrs", class: "code short", spellcheck: "false", placeholder: "name=value, one a line" });
  const delay = h("input", { type: "number", id: "sqs-delay", min: "0", max: "900", value: "0" });
  const group = h("input", { type: "text", id: "sqs-group", placeholder: "MessageGroupId" });
  const dedup = h("input", { type: "text", id: "sqs-dedup", placeholder: "MessageDeduplicationId (optional with content-based deduplication)" });
  const send = h("button", { class: "primary", id: "sqs-send", type: "button" }, "Send message");
  send.addEventListener("click", () => guard(err, async () => {
    status.textContent = "";
    const params = { QueueUrl: url, MessageBody: body.value, MessageAttributes: messageAttributes(attrs.value) };
    if (!isFifo) params.DelaySeconds = Number(delay.value || 0);
    if (isFifo) { params.MessageGroupId = group.value || undefined; params.MessageDeduplicationId = dedup.value || undefined; }
    const out = await call("sqs", "SendMessage", params);
    status.textContent = `Sent message ${out.MessageId}.`;
  }, send));
  return h("div", { class: "card sqs" }, h("h2", {}, "Send a message"), ...field("Body", body),
    ...field("Attributes (name=value, one a line)", attrs),
    ...(isFifo ? [...field("Message group ID", group), ...field("Deduplication ID", dedup)] : field("Delay (seconds)", delay)),
    h("p", { class: "row" }, send), status, err);
}

function peekCard(url) {
  const err = errorBox("sqs-peek-error");
  const out = h("div", { id: "sqs-peek-result" });
  const peek = h("button", { id: "sqs-peek", type: "button" }, "Peek messages");
  peek.addEventListener("click", () => guard(err, async () => {
    const got = await call("sqs", "ReceiveMessage", { QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 0,
      WaitTimeSeconds: 0, AttributeNames: ["All"], MessageAttributeNames: ["All"] });
    const msgs = got.Messages ?? [];
    out.replaceChildren(table("sqs-peek-table", ["Message ID", "Body", "Attributes", "Sent", "Receives"],
      msgs.map((m) => [m.MessageId, h("pre", { class: "inline" }, m.Body), attributesText(m.MessageAttributes),
        fmtMs(m.Attributes?.SentTimestamp), m.Attributes?.ApproximateReceiveCount]), "No messages visible right now."));
  }, peek));
  return h("div", { class: "card sqs" }, h("h2", {}, "Peek"),
    h("p", { class: "muted", id: "sqs-peek-note" }, "Peeking receives up to 10 messages with VisibilityTimeout 0, so they stay visible " +
      "to consumers and are not deleted. Each peek still counts as a receive: ApproximateReceiveCount goes up, and with a " +
      "redrive policy enough peeks move a message to the dead-letter queue."),
    h("p", { class: "row" }, peek), out, err);
}

async function redriveCard(url, attrs) {
  const rows = [];
  if (attrs.RedrivePolicy) {
    const p = JSON.parse(attrs.RedrivePolicy);
    const dlq = lastPart(p.deadLetterTargetArn);
    rows.push(["Dead-letter queue", h("a", { href: "#/queues/" + enc(dlq), id: "sqs-dlq-link" }, dlq)], ["Max receive count", p.maxReceiveCount]);
  } else rows.push(["Dead-letter queue", "None"]);
  const sources = await call("sqs", "ListDeadLetterSourceQueues", { QueueUrl: url, MaxResults: 20 }).then((o) => o.queueUrls ?? [], () => []);
  rows.push(["Dead-letter queue for", sources.length
    ? h("span", {}, ...sources.flatMap((s, i) => [i ? ", " : "", h("a", { href: "#/queues/" + enc(lastPart(s)) }, lastPart(s))]))
    : "No queue"]);
  return h("div", { class: "card sqs" }, h("h2", {}, "Redrive policy"), kv("sqs-redrive", rows));
}

async function queuePage(name) {
  const err = errorBox("sqs-queue-error");
  let url;
  try { url = (await call("sqs", "GetQueueUrl", { QueueName: name })).QueueUrl; }
  catch (e) { show(h("div", { class: "card sqs" }, h("h1", {}, name), h("p", { class: "error", id: "sqs-queue-error" }, e.message))); return; }
  const attrsBox = h("div", {});
  async function loadAttrs() {
    const attrs = (await call("sqs", "GetQueueAttributes", { QueueUrl: url, AttributeNames: ["All"] })).Attributes ?? {};
    const timeKeys = ["CreatedTimestamp", "LastModifiedTimestamp"];
    attrsBox.replaceChildren(kv("sqs-attributes", [["URL", url],
      ...Object.entries(attrs).filter(([k]) => k !== "Policy" && k !== "RedrivePolicy")
        .map(([k, v]) => [k, timeKeys.includes(k) ? fmtTime(v) : v])]));
    return attrs;
  }
  let attrs;
  try { attrs = await loadAttrs(); } catch (e) { err.textContent = e.message; return; }
  const refresh = h("button", { id: "sqs-refresh", type: "button" }, "Refresh");
  refresh.addEventListener("click", () => guard(err, loadAttrs, refresh));
  const purge = confirmAction("sqs-purge", "Purge queue", "purge", async () => {
    await call("sqs", "PurgeQueue", { QueueUrl: url });
    await loadAttrs();
  });
  const remove = confirmAction("sqs-delete", "Delete queue", "delete", async () => {
    await call("sqs", "DeleteQueue", { QueueUrl: url });
    location.hash = "#/queues";
  });
  show(h("div", { class: "card sqs" }, h("div", { class: "row" }, h("h1", { class: "grow", id: "sqs-name" }, name), refresh),
    attrsBox, err),
    sendCard(url, attrs.FifoQueue === "true"), peekCard(url), await redriveCard(url, attrs),
    h("div", { class: "card sqs" }, h("h2", {}, "Purge"), h("p", { class: "muted" }, "Deletes every message in the queue."), purge,
      h("h2", {}, "Delete"), remove));
}

registerPage({
  path: "queues", label: "Queues", order: 20,
  render(parts) { if (parts[0]) queuePage(parts[0]); else queuesPage(); },
});
