// What the service pages (queues, streams, topics, buses, stacks, account) share: formatting
// epoch timestamps, key/value lists, tables, a pager over server-side tokens, a typed
// confirmation, and running an async action with its error shown in the page.

import { h, errorBox } from "./core.js";

// Epoch seconds (number or numeric string, as the APIs give them) as "YYYY-MM-DD HH:MM:SS UTC".
export function fmtTime(seconds) {
  if (seconds === undefined || seconds === null || seconds === "") return "—";
  const d = new Date(Number(seconds) * 1000);
  return Number.isNaN(d.getTime()) ? String(seconds) : d.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}
// Epoch milliseconds (SQS's SentTimestamp and friends).
export function fmtMs(ms) { return ms ? fmtTime(Number(ms) / 1000) : "—"; }

// The last segment of an ARN or URL ("arn:aws:sqs:r:a:q1" -> "q1", ".../000000000000/q1" -> "q1").
export function lastPart(s) { return String(s ?? "").split(/[:/]/).pop(); }

export function kv(id, rows) {
  return h("dl", { class: "kv", id }, ...rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "—")]));
}

// A table with a header row; `rows` are arrays of cells (text or nodes). Empty: one muted row.
export function table(id, headers, rows, empty = "None.") {
  const body = rows.length
    ? rows.map((r) => h("tr", {}, ...r.map((c) => h("td", {}, c ?? "—"))))
    : [h("tr", { class: "empty" }, h("td", { colspan: String(headers.length), class: "muted" }, empty))];
  return h("table", { id }, h("thead", {}, h("tr", {}, ...headers.map((x) => h("th", {}, x)))), h("tbody", {}, ...body));
}

// Runs `fn` with `err` cleared first and any failure's message shown in it; `button` (if given)
// is disabled while it runs, so a double click does not send twice.
export async function guard(err, fn, button) {
  err.textContent = "";
  if (button) button.disabled = true;
  try { return await fn(); } catch (e) { err.textContent = e.message; return undefined; }
  finally { if (button) button.disabled = false; }
}

// Server-side paging: `fetchPage(token)` reads one page and resolves to `{ node, next }`: what
// to show, and the next page's token (nothing at the end). Previous goes back through the tokens
// seen so far; a failed read shows its message in `err` and stays on the page it was on. Only the
// latest load is shown: a slower earlier one (say, from before a filter was typed) is dropped, so
// its rows and token never mix with the current ones.
export function pager(prefix, fetchPage, err) {
  const tokens = [undefined];
  let at = 0, shown = 0, latest = 0;
  const holder = h("div", { id: prefix + "-list" });
  const prev = h("button", { id: prefix + "-prev", type: "button", disabled: true }, "Previous");
  const next = h("button", { id: prefix + "-next", type: "button", disabled: true }, "Next");
  const where = h("span", { class: "muted", id: prefix + "-page" });
  const buttons = () => { prev.disabled = shown === 0; next.disabled = tokens.length <= shown + 1; };
  async function load(to) {
    const mine = ++latest;
    prev.disabled = next.disabled = true;
    err.textContent = "";
    let page;
    try { page = await fetchPage(tokens[to]); }
    catch (e) { if (mine === latest) { err.textContent = e.message; buttons(); } return; }
    if (mine !== latest) return;
    holder.replaceChildren(page.node);
    at = shown = to;
    tokens.length = at + 1;
    if (page.next) tokens.push(page.next);
    buttons();
    where.textContent = `page ${at + 1}`;
  }
  prev.addEventListener("click", () => load(at - 1));
  next.addEventListener("click", () => load(at + 1));
  return {
    el: h("div", {}, holder, h("div", { class: "row pager" }, prev, next, where)),
    // from the first page again (a filter changed, or something was added)
    load: () => { tokens.length = 1; shown = 0; return load(0); },
    // a new load is coming (a filter is being typed): drop the one in flight, no paging meanwhile
    hold: () => { latest += 1; prev.disabled = next.disabled = true; },
  };
}

// A destructive action behind typing `word`: the button is enabled only once it is typed.
export function confirmAction(prefix, label, word, action) {
  const err = errorBox(prefix + "-error");
  const input = h("input", { type: "text", id: prefix + "-confirm", placeholder: `type ${word} to confirm` });
  const button = h("button", { type: "button", id: prefix + "-button", class: "danger", disabled: true }, label);
  input.addEventListener("input", () => { button.disabled = input.value !== word; });
  button.addEventListener("click", () => guard(err, async () => { await action(); input.value = ""; }, button)
    .then(() => { button.disabled = input.value !== word; }));
  return h("div", {}, h("p", { class: "row" }, input, button), err);
}

// "name=value" lines -> SQS/SNS message attributes (String, or Number when the value is one);
// undefined when there are none.
export function messageAttributes(text) {
  const out = {};
  for (const line of text.split("\n").map((l) => l.trim()).filter(Boolean)) {
    const at = line.indexOf("=");
    if (at < 1) throw new Error(`Attribute line "${line}" is not name=value.`);
    const name = line.slice(0, at).trim(), value = line.slice(at + 1).trim();
    out[name] = /^-?\d+(\.\d+)?$/.test(value) ? { DataType: "Number", StringValue: value } : { DataType: "String", StringValue: value };
  }
  return Object.keys(out).length ? out : undefined; // an empty map is left out of the call
}

export function attributesText(attrs) {
  return Object.entries(attrs ?? {}).map(([k, v]) => `${k}=${v.StringValue ?? v.Value ?? ""}`).join(", ");
}

// Whether the page still shows `hash` (a refresh timer stops once the user moved on).
export function stillOn(hash) { return location.hash === hash; }

export function field(label, input) { return [h("label", { for: input.id }, label), input]; }
