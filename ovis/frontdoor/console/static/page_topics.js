// SNS topics (#/topics, #/topics/ARN): the list, create and delete, and a topic's page: its
// attributes, subscriptions (subscribe, unsubscribe) and publish (subject, message, attributes;
// group and deduplication ids on FIFO topics).

import { h, call, show, errorBox, enc } from "./core.js";
import { registerPage } from "./registry.js";
import { kv, table, guard, pager, confirmAction, messageAttributes, lastPart, field } from "./page_shared.js";

function topicsPage() {
  const err = errorBox("sns-list-error");
  const list = pager("sns", async (token) => {
    const out = await call("sns", "ListTopics", { NextToken: token });
    const node = table("sns-table", ["Name", "ARN"], (out.Topics ?? []).map((t) =>
      [h("a", { href: "#/topics/" + enc(t.TopicArn) }, lastPart(t.TopicArn)), t.TopicArn]), "No topics.");
    return { node, next: out.NextToken };
  }, err);
  const name = h("input", { type: "text", id: "sns-new-name", placeholder: "Topic name" });
  const fifo = h("input", { type: "checkbox", id: "sns-new-fifo" });
  const createErr = errorBox("sns-create-error");
  const create = h("button", { class: "primary", id: "sns-create", type: "button" }, "Create topic");
  create.addEventListener("click", () => guard(createErr, async () => {
    let n = name.value.trim();
    if (fifo.checked && !n.endsWith(".fifo")) n += ".fifo";
    const out = await call("sns", "CreateTopic", { Name: n, Attributes: fifo.checked ? { FifoTopic: "true" } : undefined });
    location.hash = "#/topics/" + enc(out.TopicArn);
  }, create));
  show(h("div", { class: "card sns" }, h("h1", {}, "Topics"), list.el, err),
    h("div", { class: "card sns" }, h("h2", {}, "Create topic"),
      h("div", { class: "row" }, name, h("label", { class: "inline" }, fifo, " FIFO"), create), createErr));
  guard(err, list.load);
}

function subscriptionsCard(arn) {
  const err = errorBox("sns-subs-error");
  const list = pager("sns-subs", async (token) => {
    const out = await call("sns", "ListSubscriptionsByTopic", { TopicArn: arn, NextToken: token });
    const node = table("sns-subs", ["Protocol", "Endpoint", "Subscription", ""], (out.Subscriptions ?? []).map((s) => {
      const drop = h("button", { type: "button", class: "unsubscribe", "data-arn": s.SubscriptionArn }, "Unsubscribe");
      drop.addEventListener("click", () => guard(err, async () => {
        await call("sns", "Unsubscribe", { SubscriptionArn: s.SubscriptionArn });
        await list.load();
      }, drop));
      return [s.Protocol, s.Endpoint, s.SubscriptionArn, s.SubscriptionArn.startsWith("arn:") ? drop : ""];
    }), "No subscriptions.");
    return { node, next: out.NextToken };
  }, err);
  const protocol = h("select", { id: "sns-protocol" }, ...["sqs", "lambda", "http", "https", "email", "email-json", "sms", "application", "firehose"]
    .map((p) => h("option", { value: p }, p)));
  const endpoint = h("input", { type: "text", id: "sns-endpoint", placeholder: "Endpoint (queue ARN, function ARN, URL...)", class: "grow" });
  const raw = h("input", { type: "checkbox", id: "sns-raw" });
  const subscribe = h("button", { class: "primary", id: "sns-subscribe", type: "button" }, "Subscribe");
  subscribe.addEventListener("click", () => guard(err, async () => {
    await call("sns", "Subscribe", { TopicArn: arn, Protocol: protocol.value, Endpoint: endpoint.value.trim(),
      ReturnSubscriptionArn: true, Attributes: raw.checked ? { RawMessageDelivery: "true" } : undefined });
    endpoint.value = "";
    await list.load();
  }, subscribe));
  guard(err, list.load);
  return h("div", { class: "card sns" }, h("h2", {}, "Subscriptions"), list.el,
    h("div", { class: "row" }, protocol, endpoint, h("label", { class: "inline" }, raw, " Raw delivery"), subscribe), err);
}

function publishCard(arn, isFifo) {
  const err = errorBox("sns-publish-error");
  const status = h("p", { class: "ok", id: "sns-publish-status" });
  const subject = h("input", { type: "text", id: "sns-subject", placeholder: "Subject (optional)" });
  const message = h("textarea", { id: "sns-message", class: "code short", spellcheck: "false" });
  const attrs = h("textarea", { id: "sns-attrs", class: "code short", spellcheck: "false", placeholder: "name=value, one a line" });
  const group = h("input", { type: "text", id: "sns-group", placeholder: "MessageGroupId" });
  const dedup = h("input", { type: "text", id: "sns-dedup", placeholder: "MessageDeduplicationId" });
  const publish = h("button", { class: "primary", id: "sns-publish", type: "button" }, "Publish message");
  publish.addEventListener("click", () => guard(err, async () => {
    status.textContent = "";
    const params = { TopicArn: arn, Message: message.value, Subject: subject.value || undefined, MessageAttributes: messageAttributes(attrs.value) };
    if (isFifo) { params.MessageGroupId = group.value || undefined; params.MessageDeduplicationId = dedup.value || undefined; }
    const out = await call("sns", "Publish", params);
    status.textContent = `Published message ${out.MessageId}.`;
  }, publish));
  return h("div", { class: "card sns" }, h("h2", {}, "Publish"), ...field("Subject", subject), ...field("Message", message),
    ...field("Attributes (name=value, one a line)", attrs),
    ...(isFifo ? [...field("Message group ID", group), ...field("Deduplication ID", dedup)] : []),
    h("p", { class: "row" }, publish), status, err);
}

async function topicPage(arn) {
  let attrs;
  try { attrs = (await call("sns", "GetTopicAttributes", { TopicArn: arn })).Attributes ?? {}; }
  catch (e) { show(h("div", { class: "card sns" }, h("h1", {}, lastPart(arn)), h("p", { class: "error", id: "sns-topic-error" }, e.message))); return; }
  const shown = ["TopicArn", "DisplayName", "Owner", "SubscriptionsConfirmed", "SubscriptionsPending", "SubscriptionsDeleted",
    "FifoTopic", "ContentBasedDeduplication", "KmsMasterKeyId"];
  const remove = confirmAction("sns-delete", "Delete topic", "delete", async () => {
    await call("sns", "DeleteTopic", { TopicArn: arn });
    location.hash = "#/topics";
  });
  show(h("div", { class: "card sns" }, h("h1", { id: "sns-name" }, lastPart(arn)),
    kv("sns-attributes", shown.filter((k) => k in attrs).map((k) => [k, attrs[k] || "—"]))),
  subscriptionsCard(arn), publishCard(arn, attrs.FifoTopic === "true"),
  h("div", { class: "card sns" }, h("h2", {}, "Delete"), remove));
}

registerPage({
  path: "topics", label: "Topics", order: 40,
  render(parts) { if (parts[0]) topicPage(parts[0]); else topicsPage(); },
});
