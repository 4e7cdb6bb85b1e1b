"""CloudWatch Embedded Metric Format: a log line that is a JSON object with an ``_aws`` member
declaring metrics becomes those metrics, as CloudWatch Logs extracts them on AWS.

``metrics_of(line)`` returns nothing for any line that is not valid EMF (the line stays an
ordinary log line either way). Per the specification: ``_aws.Timestamp`` (epoch ms) stamps the
values; each ``CloudWatchMetrics`` directive names a Namespace, Dimensions (a list of dimension
sets, each a list of member names whose values are strings of the root object) and Metrics
(``Name``, optional ``Unit``); a metric's value is the root member of its name, a number or a
list of up to 100 numbers. A dimension set naming a member that is absent is skipped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ovis.models.metric import MetricPut

MAX_VALUES = 100
MAX_DIMENSIONS = 30


@dataclass(frozen=True)
class EmfValue:
    namespace: str
    name: str
    dims: tuple[tuple[str, str], ...]
    value: float
    unit: str
    ts_ms: int


def maybe_emf(line: str) -> bool:
    """A cheap test before parsing: only lines that could be EMF are decoded."""
    return '"_aws"' in line and line.lstrip().startswith("{")


def metrics_of(line: str) -> Iterator[EmfValue]:
    try:
        doc = json.loads(line)
    except (ValueError, RecursionError):
        return
    if not isinstance(doc, dict):
        return
    meta = doc.get("_aws")
    if not isinstance(meta, dict):
        return
    ts = meta.get("Timestamp")
    if not isinstance(ts, int | float) or isinstance(ts, bool):
        return
    directives = meta.get("CloudWatchMetrics")
    if not isinstance(directives, list):
        return
    for d in directives:
        yield from _directive(doc, d, int(ts))


def _directive(doc: dict[str, Any], d: Any, ts: int) -> Iterator[EmfValue]:
    if not isinstance(d, dict):
        return
    ns = d.get("Namespace")
    metrics = d.get("Metrics")
    dim_sets = d.get("Dimensions", [[]])
    if not isinstance(ns, str) or not ns or not isinstance(metrics, list):
        return
    if not isinstance(dim_sets, list):
        return
    sets: list[tuple[tuple[str, str], ...]] = []
    for names in dim_sets:
        if not isinstance(names, list) or len(names) > MAX_DIMENSIONS:
            continue
        values = [doc.get(n) for n in names]
        if not all(isinstance(n, str) for n in names) or not all(
            isinstance(v, str) for v in values
        ):
            continue
        sets.append(tuple(sorted(zip(names, values, strict=True))))  # type: ignore[arg-type]
    if not sets:
        return
    for m in metrics:
        if not isinstance(m, dict) or not isinstance(m.get("Name"), str):
            continue
        name = m["Name"]
        unit = m.get("Unit") if isinstance(m.get("Unit"), str) else "None"
        raw = doc.get(name)
        values = raw[:MAX_VALUES] if isinstance(raw, list) else [raw]
        for v in values:
            if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v):
                continue
            for dims in sets:
                yield EmfValue(ns, name, dims, float(v), unit or "None", ts)


def emit_emf(lines: list[str], sink: MetricPut) -> None:
    for line in lines:
        if maybe_emf(line):
            for v in metrics_of(line):
                sink.put(v.namespace, v.name, v.dims, v.value, v.unit, v.ts_ms)
