// The function page's Monitor tab: the AWS/Lambda metrics of the function (FunctionName
// dimension) drawn from ONE GetMetricData call per refresh, as Lambda's console shows them.
//
// Route: #/functions/NAME/monitor[/RANGE] with RANGE one of RANGES' keys (default 1h). Every
// chart of a Sum statistic prints the sum of its series' values in #mon-total-<chart id>, so
// what the page shows can be checked against GetMetricData's own sums. It refreshes on the
// button and every 60 s while the tab is shown; the timer stops at the first hashchange (any
// navigation re-renders the tab, which starts its own).

import { h, call, errorBox } from "./core.js";
import { registerFunctionTab } from "./registry.js";
import { chart, formatValue } from "./mon_chart.js";

// Range -> [seconds shown, period in seconds]: the period keeps each chart near 15-60 points.
export const RANGES = {
  "15m": [900, 60, "15 minutes"],
  "1h": [3600, 60, "1 hour"],
  "3h": [10800, 300, "3 hours"],
  "12h": [43200, 900, "12 hours"],
  "1d": [86400, 3600, "1 day"],
};
const REFRESH_MS = 60_000;

// The charts: which queries each draws, its unit, and how it is summed up (sum: the total of a
// count; peak: the largest value; rate: the overall success rate from the totals).
const CHARTS = [
  { id: "invocations", title: "Invocations", series: [["inv", "Invocations"]], total: "sum" },
  { id: "duration", title: "Duration", unit: "ms", series: [["dmin", "Minimum"], ["davg", "Average"], ["dmax", "Maximum"]], total: "peak" },
  { id: "errors", title: "Errors", series: [["err", "Errors"]], total: "sum" },
  { id: "success", title: "Success rate", unit: "%", series: [["rate", "Success rate"]], total: "rate" },
  { id: "throttles", title: "Throttles", series: [["thr", "Throttles"]], total: "sum" },
  { id: "concurrency", title: "Concurrent executions", series: [["conc", "Maximum"]], total: "peak" },
  { id: "asyncage", title: "Async event age", unit: "ms", series: [["age", "Maximum"]], total: "peak" },
  { id: "dropped", title: "Async events dropped", series: [["drop", "Dropped"]], total: "sum" },
  { id: "iterator", title: "Iterator age", unit: "ms", series: [["iter", "Maximum"]], total: "peak" },
];

export function metricQueries(name, period) {
  const stat = (Id, MetricName, Stat) => ({
    Id, ReturnData: true,
    MetricStat: { Metric: { Namespace: "AWS/Lambda", MetricName, Dimensions: [{ Name: "FunctionName", Value: name }] }, Period: period, Stat },
  });
  return [
    stat("inv", "Invocations", "Sum"),
    stat("dmin", "Duration", "Minimum"), stat("davg", "Duration", "Average"), stat("dmax", "Duration", "Maximum"),
    stat("err", "Errors", "Sum"),
    // AWS's console's own expression: no value where there was no invocation (0 / 0)
    { Id: "rate", Label: "Success rate (%)", Expression: "100 - 100 * err / MAX([err, inv])", ReturnData: true },
    stat("thr", "Throttles", "Sum"),
    stat("conc", "ConcurrentExecutions", "Maximum"),
    stat("age", "AsyncEventAge", "Maximum"),
    stat("drop", "AsyncEventsDropped", "Sum"),
    stat("iter", "IteratorAge", "Maximum"),
  ];
}

// Every page of one GetMetricData call (NextToken only when a window outgrows MaxDatapoints),
// as id -> [[ms, value], ...].
async function fetchSeries(name, startS, endS, period) {
  const out = {};
  let token;
  do {
    const res = await call("cloudwatch", "GetMetricData", {
      MetricDataQueries: metricQueries(name, period), StartTime: startS, EndTime: endS,
      ScanBy: "TimestampAscending", ...(token ? { NextToken: token } : {}),
    });
    for (const r of res.MetricDataResults ?? []) {
      const pts = out[r.Id] ?? (out[r.Id] = []);
      (r.Timestamps ?? []).forEach((t, i) => pts.push([t * 1000, r.Values[i]]));
    }
    token = res.NextToken;
  } while (token);
  return out;
}

const sumOf = (pts) => pts.reduce((a, p) => a + p[1], 0);

function summary(c, data, totals) {
  const el = (id, text) => h("span", { class: "mon-total", id }, text);
  if (c.total === "sum") return h("span", { class: "mon-summary" }, "Total ", el("mon-total-" + c.id, formatValue(totals[c.series[0][0]])));
  if (c.total === "rate") {
    const inv = totals.inv, err = totals.err;
    const text = Math.max(inv, err) > 0 ? formatValue(100 - (100 * err) / Math.max(inv, err), "%") : "—";
    return h("span", { class: "mon-summary" }, "Overall ", el("mon-rate-" + c.id, text));
  }
  const peak = Math.max(...c.series.flatMap(([id]) => (data[id] ?? []).map((p) => p[1])));
  return h("span", { class: "mon-summary" }, "Peak ", el("mon-peak-" + c.id, Number.isFinite(peak) ? formatValue(peak, c.unit) : "—"));
}

function monitorTab(panel, cfg, _fn, rest) {
  const name = cfg.FunctionName;
  const range = RANGES[rest[0]] ? rest[0] : "1h";
  const [seconds, period] = RANGES[range];
  const err = errorBox("mon-error");
  const grid = h("div", { class: "mon-grid-layout", id: "mon-charts" });
  const updated = h("span", { class: "muted", id: "mon-updated" }, "Loading…");
  const refresh = h("button", { type: "button", id: "mon-refresh" }, "Refresh");
  const picker = h("div", { class: "mon-ranges", role: "group", "aria-label": "Time range" },
    ...Object.entries(RANGES).map(([key, [, , label]]) => h("button", {
      type: "button", id: "mon-range-" + key, "aria-pressed": String(key === range),
      onclick: () => { location.hash = `#/functions/${encodeURIComponent(name)}/monitor/${key}`; },
    }, label)));
  let seq = 0;
  async function load() {
    const mine = ++seq;
    const now = Math.floor(Date.now() / 1000);
    const startS = Math.floor((now - seconds) / period) * period;
    const endS = Math.ceil((now + 1) / period) * period;
    refresh.disabled = true;
    try {
      const data = await fetchSeries(name, startS, endS, period);
      if (mine !== seq) return; // a later refresh owns the page
      const totals = Object.fromEntries(Object.entries(data).map(([id, pts]) => [id, sumOf(pts)]));
      grid.replaceChildren(...CHARTS.map((c) => chart({
        id: c.id, title: c.title, unit: c.unit, start: startS * 1000, end: endS * 1000,
        series: c.series.map(([id, label]) => ({ label, points: data[id] ?? [] })),
        summary: summary(c, data, totals),
      })));
      err.textContent = "";
      updated.textContent = `Updated ${new Date().toLocaleTimeString()} · period ${period / 60} min`;
      updated.dataset.loads = String(Number(updated.dataset.loads ?? 0) + 1);
    } catch (e) {
      if (mine === seq) err.textContent = e.message;
    } finally { refresh.disabled = false; }
  }
  refresh.addEventListener("click", load);
  const timer = setInterval(() => { if (panel.isConnected) load(); else clearInterval(timer); }, REFRESH_MS);
  window.addEventListener("hashchange", () => clearInterval(timer), { once: true });
  panel.replaceChildren(
    h("div", { class: "row" }, h("h2", { class: "grow" }, "Metrics"), picker, refresh),
    h("p", {}, updated), err, grid);
  load();
}

registerFunctionTab({ id: "monitor", label: "Monitor", order: 40, render: monitorTab });
