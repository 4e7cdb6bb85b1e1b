// The account (#/account): GetAccountSettings' limits and usage, the concurrency reserved
// (limit minus unreserved), the account id (STS GetCallerIdentity) and region (from the ARN of
// the default event bus, which every region has), and reserved concurrency per function for one
// page of ListFunctions at a time: ListFunctions does not carry it, and reading
// GetFunctionConcurrency for every function of a large account at once would be too slow.

import { h, call, show, errorBox, enc } from "./core.js";
import { registerPage } from "./registry.js";
import { kv, table, guard, pager } from "./page_shared.js";

const PAGE = 25;

function mb(bytes) { return bytes == null ? "—" : `${(bytes / 1048576).toFixed(1)} MB`; }

function functionsCard() {
  const err = errorBox("acct-fn-error");
  const list = pager("acct-fn", async (marker) => {
    const out = await call("lambda", "ListFunctions", { Marker: marker, MaxItems: PAGE });
    const fns = out.Functions ?? [];
    const reserved = await Promise.all(fns.map((f) => call("lambda", "GetFunctionConcurrency", { FunctionName: f.FunctionName })
      .then((c) => c.ReservedConcurrentExecutions, () => undefined)));
    const node = table("acct-functions", ["Function", "Reserved concurrency"], fns.map((f, i) =>
      [h("a", { href: "#/functions/" + enc(f.FunctionName) }, f.FunctionName), reserved[i] ?? "Unreserved (uses the account's pool)"]),
    "No functions.");
    return { node, next: out.NextMarker };
  }, err);
  return { el: h("div", { class: "card acct" }, h("h2", {}, "Reserved concurrency by function"),
    h("p", { class: "muted" }, `Read for ${PAGE} functions at a time (GetFunctionConcurrency per function on this page).`),
    list.el, err), load: () => guard(err, list.load) };
}

async function accountPage() {
  const err = errorBox("acct-error");
  let settings, who, region;
  try {
    [settings, who, region] = await Promise.all([call("lambda", "GetAccountSettings"), call("sts", "GetCallerIdentity"),
      call("events", "DescribeEventBus", { Name: "default" }).then((b) => b.Arn.split(":")[3], () => "—")]);
  } catch (e) { show(h("div", { class: "card acct" }, h("h1", {}, "Account"), h("p", { class: "error", id: "acct-error" }, e.message))); return; }
  const limit = settings.AccountLimit ?? {}, usage = settings.AccountUsage ?? {};
  const fns = functionsCard();
  show(h("div", { class: "card acct" }, h("h1", {}, "Account"),
    kv("acct-identity", [["Account ID", h("span", { id: "acct-id" }, who.Account)], ["Region", h("span", { id: "acct-region" }, region)],
      ["Signed in as", who.Arn]]), err),
  h("div", { class: "card acct" }, h("h2", {}, "Concurrency"),
    kv("acct-concurrency", [["Concurrent executions (limit)", h("span", { id: "acct-limit" }, limit.ConcurrentExecutions)],
      ["Unreserved", h("span", { id: "acct-unreserved" }, limit.UnreservedConcurrentExecutions)],
      ["Reserved by functions", h("span", { id: "acct-reserved" }, limit.ConcurrentExecutions - limit.UnreservedConcurrentExecutions)]])),
  h("div", { class: "card acct" }, h("h2", {}, "Code storage and functions"),
    kv("acct-usage", [["Functions", h("span", { id: "acct-functions-count" }, usage.FunctionCount)],
      ["Code storage used", `${mb(usage.TotalCodeSize)} of ${mb(limit.TotalCodeSize)}`],
      ["Zipped package limit", mb(limit.CodeSizeZipped)], ["Unzipped package limit", mb(limit.CodeSizeUnzipped)]])),
  fns.el);
  fns.load();
}

registerPage({ path: "account", label: "Account", order: 90, render: accountPage });
