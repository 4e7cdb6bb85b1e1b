"""Embedded Metric Format: valid EMF lines become metric values, anything else none."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ovis.logs.emf import emit_emf, maybe_emf, metrics_of


def line(**kw: Any) -> str:
    doc = {
        "_aws": {
            "Timestamp": 1_700_000_000_000,
            "CloudWatchMetrics": [
                {
                    "Namespace": "Shop",
                    "Dimensions": [["Service", "Stage"], ["Service"]],
                    "Metrics": [{"Name": "Latency", "Unit": "Milliseconds"}, {"Name": "Hits"}],
                }
            ],
        },
        "Service": "checkout",
        "Stage": "prod",
        "Latency": [10, 20],
        "Hits": 1,
    }
    doc.update(kw)
    return json.dumps(doc)


def test_values_per_dimension_set() -> None:
    got = list(metrics_of(line()))
    assert len(got) == 2 * 2 + 2  # two latencies and one hit, under two dimension sets each
    lat = [v for v in got if v.name == "Latency" and len(v.dims) == 2]
    assert [v.value for v in lat] == [10.0, 20.0]
    assert lat[0].dims == (("Service", "checkout"), ("Stage", "prod"))
    assert lat[0].unit == "Milliseconds" and lat[0].ts_ms == 1_700_000_000_000
    assert {v.unit for v in got if v.name == "Hits"} == {"None"}


@pytest.mark.parametrize(
    "text",
    [
        "plain text",
        '{"_aws": 1}',
        '{"_aws": {"CloudWatchMetrics": []}}',  # no Timestamp
        "[1, 2]",
        '{"_aws": {"Timestamp": 1, "CloudWatchMetrics": [{"Namespace": "", "Metrics": []}]}}',
        "{not json _aws",
    ],
)
def test_non_emf_lines_give_nothing(text: str) -> None:
    assert list(metrics_of(text)) == []


def test_missing_dimension_values_and_bad_values_are_skipped() -> None:
    got = list(metrics_of(line(Stage=5, Hits="x", Latency=[1, "two", float("inf")])))
    assert [(v.name, v.value, len(v.dims)) for v in got] == [("Latency", 1.0, 1)]


def test_emit_feeds_the_sink() -> None:
    seen: list[tuple[Any, ...]] = []

    class Sink:
        def put(self, *args: Any) -> None:
            seen.append(args)

    emit_emf(["START RequestId: x", line(), "END RequestId: x"], Sink())
    assert len(seen) == 6
    assert not maybe_emf("START RequestId: x") and maybe_emf("  " + line())
