// The Overview tab's diagram, as SVG: the function in the middle, triggers on the left (an
// arrow into the function from each), destinations on the right (an arrow out to each), layers
// under the function. Each box links to the console page that shows its resource, and carries
// data-kind / data-name (what tests and styles select on).

import { svg } from "./core.js";

const W = 920, COL = 250, FN_W = 240, ROW = 46, BOX_H = 36, PAD = 12;
const KIND_LABEL = {
  sqs: "SQS queue", kinesis: "Kinesis stream", dynamodb: "DynamoDB stream", mapping: "Event source",
  url: "Function URL", sns: "SNS topic", rule: "EventBridge rule", schedule: "Schedule", s3: "S3 bucket",
  "on-success": "On success", "on-failure": "On failure", dlq: "Dead-letter queue", layer: "Layer",
};

function clip(text, n) { text = String(text ?? ""); return text.length > n ? text.slice(0, n - 1) + "…" : text; }

function box(x, y, w, item, role) {
  const kind = item.kind ?? role;
  const g = svg("g", { class: `ov-box ov-${role}`, "data-kind": kind, "data-name": item.name },
    svg("title", {}, item.arn ?? item.name),
    svg("rect", { x, y, width: w, height: BOX_H, rx: 6 }),
    svg("text", { x: x + 10, y: y + 14, class: "ov-kind" }, item.label ? clip(item.label, 34) : KIND_LABEL[kind] ?? kind),
    svg("text", { x: x + 10, y: y + 29, class: "ov-name" }, clip(item.name, Math.floor(w / 7.2))));
  return item.href ? svg("a", { href: item.href }, g) : g;
}

const arrow = (x1, y1, x2, y2) => svg("path", { class: "ov-edge", d: `M${x1},${y1} C${(x1 + x2) / 2},${y1} ${(x1 + x2) / 2},${y2} ${x2},${y2}`, "marker-end": "url(#ov-arrow)" });

export function wiringDiagram(cfg, { triggers, destinations, layers }) {
  const sideRows = Math.max(triggers.length, destinations.length, 1);
  const fnX = (W - FN_W) / 2, fnH = 54;
  const fnY = PAD + Math.max(0, (sideRows * ROW - fnH) / 2);
  const layersTop = fnY + fnH + 24;
  const height = Math.max(PAD + sideRows * ROW, layersTop + layers.length * ROW) + PAD;
  const parts = [svg("defs", {}, svg("marker", { id: "ov-arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
    svg("path", { d: "M0,0 L10,5 L0,10 z", class: "ov-arrowhead" })))];
  const mid = fnY + fnH / 2;
  triggers.forEach((t, i) => {
    const y = PAD + i * ROW;
    parts.push(arrow(PAD + COL, y + BOX_H / 2, fnX, mid), box(PAD, y, COL, t, "trigger"));
  });
  destinations.forEach((d, i) => {
    const y = PAD + i * ROW;
    parts.push(arrow(fnX + FN_W, mid, W - PAD - COL, y + BOX_H / 2), box(W - PAD - COL, y, COL, d, "destination"));
  });
  layers.forEach((l, i) => {
    const y = layersTop + i * ROW;
    parts.push(box(fnX, y, FN_W, { ...l, kind: "layer" }, "layer"));
  });
  if (!triggers.length) parts.push(svg("text", { x: PAD, y: PAD + 22, class: "ov-none", id: "ov-no-triggers" }, "No triggers"));
  if (!destinations.length) parts.push(svg("text", { x: W - PAD - COL, y: PAD + 22, class: "ov-none" }, "No destinations"));
  parts.push(svg("g", { class: "ov-box ov-function", "data-kind": "function", "data-name": cfg.FunctionName },
    svg("rect", { x: fnX, y: fnY, width: FN_W, height: fnH, rx: 8 }),
    svg("text", { x: fnX + FN_W / 2, y: fnY + 22, "text-anchor": "middle", class: "ov-kind" }, "Lambda function"),
    svg("text", { x: fnX + FN_W / 2, y: fnY + 41, "text-anchor": "middle", class: "ov-fn-name" }, clip(cfg.FunctionName, 30))));
  return svg("svg", { viewBox: `0 0 ${W} ${height}`, width: "100%", role: "img", "aria-label": `Triggers and destinations of ${cfg.FunctionName}`, id: "ov-svg" }, ...parts);
}
