// The function page's Logs tab: a live tail of the function's log group /aws/lambda/NAME.
//
// It polls FilterLogEvents once a second while the tab is shown (the first poll reaches back
// LOOKBACK_MS), asking from a little before the newest timestamp seen (lines from several
// instances can arrive slightly out of time order), but never from more than CATCHUP_MS before
// the browser's clock once it has read to the end (so the browser's clock is assumed within a
// minute of the server's), and dropping events already shown by eventId. New lines go at the bottom; the view follows them unless scrolled up; at most
// MAX_LINES are kept. The filter box takes a CloudWatch Logs filter pattern, applied by the
// server; changing it starts the tail again. A group that does not exist yet reads "No logs
// yet" and is looked for again (each second for the first 30 s, then every 5 s). Polling
// stops at the first hashchange (leaving or re-rendering the tab) and while paused.

import { h, call, errorBox } from "./core.js";
import { registerFunctionTab } from "./registry.js";

const POLL_MS = 1000;
const LOOKBACK_MS = 30 * 60_000;
const SLACK_MS = 5000;
const CATCHUP_MS = 60_000; // how far behind the browser's clock a line's timestamp may be
const MAX_LINES = 2000;
const PAGES_PER_POLL = 5;
const MISSING_FAST_CHECKS = 30;
const MISSING_SLOW_MS = 5000;

function clock(ms) {
  const d = new Date(ms);
  const p = (n, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

function logsTab(panel, cfg) {
  const group = "/aws/lambda/" + cfg.FunctionName;
  const err = errorBox("logs-error");
  const status = h("span", { class: "muted", id: "logs-status" }, "Connecting…");
  const filter = h("input", { type: "search", id: "logs-filter", class: "grow", placeholder: 'Filter pattern: ERROR  "exact phrase"  ?either ?or  -excluded' });
  const pause = h("button", { type: "button", id: "logs-pause", "aria-pressed": "false" }, "Pause");
  const clear = h("button", { type: "button", id: "logs-clear" }, "Clear");
  const body = h("tbody", { id: "logs-lines" });
  const view = h("div", { class: "logs-view", id: "logs-view" },
    h("table", { class: "logs-table", id: "logs-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "Time"), h("th", {}, "Stream"), h("th", {}, "Message"))), body));

  let stopped = false, paused = false, timer = 0, generation = 0;
  const origin = Date.now() - LOOKBACK_MS; // the oldest line a (re)started tail shows
  let floor = origin; // nothing new is expected before this: the tail asks from here at most
  let newest = origin;
  let seen = new Map(); // eventId -> timestamp, for events at or after newest - SLACK_MS

  function reset() {
    generation += 1;
    body.replaceChildren();
    seen = new Map();
    floor = newest = origin;
  }

  function append(events) {
    const follow = view.scrollTop + view.clientHeight >= view.scrollHeight - 8;
    for (const e of events) {
      body.append(h("tr", { class: "logs-line", "data-event-id": e.eventId },
        h("td", { class: "logs-time" }, clock(e.timestamp)),
        h("td", { class: "logs-stream", title: e.logStreamName }, e.logStreamName),
        h("td", { class: "logs-message" }, e.message)));
    }
    while (body.childElementCount > MAX_LINES) body.firstElementChild.remove();
    if (follow && events.length) view.scrollTop = view.scrollHeight;
  }

  // Whether the group exists, asked with DescribeLogGroups (a 200 either way) rather than
  // by a FilterLogEvents that would fail: the page stays free of failed requests while waiting.
  // DescribeLogGroups summarises every group on the server, so a group still missing after
  // MISSING_FAST_CHECKS looks is looked for every MISSING_SLOW_MS instead of every second.
  let groupExists = false, missingChecks = 0;
  async function findGroup() {
    missingChecks += 1;
    const res = await call("logs", "DescribeLogGroups", { logGroupNamePrefix: group, limit: 1 });
    return (res.logGroups ?? []).some((g) => g.logGroupName === group);
  }

  async function poll() {
    const mine = generation;
    const pattern = filter.value.trim();
    let token, fresh = [];
    try {
      if (!groupExists) {
        groupExists = await findGroup();
        if (mine !== generation) return;
        if (!groupExists) {
          status.textContent = "No logs yet: the group " + group + " appears at the function's first log line.";
          schedule();
          return;
        }
      }
      for (let page = 0; page < PAGES_PER_POLL; page += 1) {
        const res = await call("logs", "FilterLogEvents", {
          logGroupName: group, startTime: Math.max(floor, newest - SLACK_MS),
          ...(pattern ? { filterPattern: pattern } : {}), ...(token ? { nextToken: token } : {}),
        });
        if (mine !== generation) return;
        fresh.push(...(res.events ?? []).filter((e) => !seen.has(e.eventId)));
        token = res.nextToken;
        if (!token) break;
      }
      // read to the end: a filter that matches nothing must not re-read 30 min every second
      if (!token) floor = Math.max(floor, Date.now() - CATCHUP_MS);
      fresh.sort((a, b) => a.timestamp - b.timestamp || Number(a.eventId) - Number(b.eventId));
      for (const e of fresh) { seen.set(e.eventId, e.timestamp); newest = Math.max(newest, e.timestamp); }
      for (const [id, ts] of seen) if (ts < newest - 2 * SLACK_MS) seen.delete(id);
      append(fresh);
      err.textContent = "";
      status.textContent = body.childElementCount ? `${body.childElementCount} line(s) · live` : "No matching lines yet · live";
      status.dataset.polls = String(Number(status.dataset.polls ?? 0) + 1);
    } catch (e) {
      if (mine !== generation) return;
      if (e.code === "ResourceNotFoundException") { // deleted since: wait for it again
        groupExists = false;
        status.textContent = "No logs yet: the group " + group + " appears at the function's first log line.";
      } else {
        err.textContent = e.message;
        if (e.status >= 400 && e.status < 500 && e.code !== "ThrottlingException") { // same request, same answer
          status.textContent = "Stopped: change the filter pattern to go on.";
          return;
        }
        status.textContent = "Retrying…";
      }
    }
    schedule();
  }

  function schedule() {
    clearTimeout(timer);
    const wait = groupExists || missingChecks < MISSING_FAST_CHECKS ? POLL_MS : MISSING_SLOW_MS;
    if (!stopped && !paused && panel.isConnected) timer = setTimeout(poll, wait);
  }

  // One poll chain at a time: a new generation makes an answer still in flight drop itself.
  function restart() {
    generation += 1;
    clearTimeout(timer);
    if (!stopped && !paused) poll();
  }

  let debounce = 0;
  filter.addEventListener("input", () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => { reset(); restart(); }, 300);
  });
  pause.addEventListener("click", () => {
    paused = !paused;
    pause.textContent = paused ? "Resume" : "Pause";
    pause.setAttribute("aria-pressed", String(paused));
    if (paused) { generation += 1; clearTimeout(timer); status.textContent = "Paused"; } else restart();
  });
  // Clear empties the view only: the tail goes on from where it is.
  clear.addEventListener("click", () => { body.replaceChildren(); });
  window.addEventListener("hashchange", () => { stopped = true; clearTimeout(timer); clearTimeout(debounce); }, { once: true });

  panel.replaceChildren(
    h("div", { class: "row" }, h("h2", { class: "grow" }, "Log group ", h("code", { id: "logs-group" }, group)), status),
    h("div", { class: "row" }, filter, pause, clear), err, view);
  poll();
}

registerFunctionTab({ id: "logs", label: "Logs", order: 45, render: logsTab });
