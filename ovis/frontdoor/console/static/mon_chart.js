// The Monitor tab's chart: an inline SVG line chart of one or more time series over a fixed
// time window, with axes, a dot per datapoint carrying a hover title, and a legend. No chart
// library and no canvas: everything is SVG drawn with core.js `svg()`, styled by console.css.
//
// chart({ id, title, unit, start, end, series: [{ label, points: [[ms, value], ...] }],
//         summary }) -> element
//   start/end: the window in epoch ms (the x axis); points need not be sorted; a series with
//   no points draws nothing. `summary` is a node shown under the title (the page's total).

import { h, svg } from "./core.js";

const W = 360, H = 170, PAD = { l: 40, r: 10, t: 10, b: 24 };
// Colours as SVG presentation attributes and legend classes: the CSP forbids inline styles.
const COLORS = ["#0972d3", "#d91515", "#037f0c", "#8456ce", "#e07941"];

// The smallest "nice" number (1, 2 or 5 times a power of ten) at or above x: y axis tops.
export function niceCeil(x) {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

export function formatValue(v, unit = "") {
  const n = Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v * 100) / 100) : v.toFixed(2);
  return unit ? `${n} ${unit}` : n;
}

function timeLabel(ms, spanMs) {
  const d = new Date(ms);
  const hm = `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
  return spanMs > 86_400_000 - 1 ? `${d.getMonth() + 1}/${d.getDate()} ${hm}` : hm;
}

export function chart({ id, title, unit = "", start, end, series, summary }) {
  const all = series.flatMap((s) => s.points.map((p) => p[1]));
  const top = niceCeil(Math.max(0, ...all));
  const span = Math.max(1, end - start);
  const x = (ms) => PAD.l + ((ms - start) / span) * (W - PAD.l - PAD.r);
  const y = (v) => H - PAD.b - (v / top) * (H - PAD.t - PAD.b);
  const grid = [];
  for (const f of [0, 0.5, 1]) {
    const v = top * f;
    grid.push(svg("line", { class: "mon-grid", x1: PAD.l, x2: W - PAD.r, y1: y(v), y2: y(v) }),
      svg("text", { class: "mon-tick", x: PAD.l - 6, y: y(v) + 4, "text-anchor": "end" }, formatValue(v)));
  }
  for (const f of [0, 0.5, 1]) {
    const ms = start + span * f;
    grid.push(svg("text", { class: "mon-tick", x: x(ms), y: H - 8, "text-anchor": f === 0 ? "start" : f === 1 ? "end" : "middle" },
      timeLabel(ms, span)));
  }
  const axes = svg("path", { class: "mon-axis", d: `M${PAD.l},${PAD.t} V${H - PAD.b} H${W - PAD.r}` });
  const lines = series.map((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = [...s.points].sort((a, b) => a[0] - b[0]);
    const d = pts.map(([t, v], k) => `${k ? "L" : "M"}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    return svg("g", { class: "mon-series", "data-label": s.label },
      pts.length > 1 ? svg("path", { class: "mon-line", d, stroke: color }) : null,
      ...pts.map(([t, v]) => svg("circle", { class: "mon-point", cx: x(t).toFixed(1), cy: y(v).toFixed(1), r: 3, fill: color },
        svg("title", {}, `${s.label}: ${formatValue(v, unit)} at ${new Date(t).toLocaleString()}`))));
  });
  const empty = all.length === 0
    ? svg("text", { class: "mon-empty", x: (PAD.l + W - PAD.r) / 2, y: (PAD.t + H - PAD.b) / 2, "text-anchor": "middle" }, "No data")
    : null;
  const legend = h("div", { class: "mon-legend" }, ...series.map((s, i) =>
    h("span", {}, h("i", { class: "mon-swatch mon-c" + (i % COLORS.length) }), s.label)));
  return h("figure", { class: "mon-chart", id: "mon-chart-" + id },
    h("figcaption", {}, h("strong", {}, title), unit ? h("span", { class: "muted" }, ` (${unit})`) : "", summary ?? ""),
    svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title }, ...grid, axes, ...lines, empty),
    legend);
}
