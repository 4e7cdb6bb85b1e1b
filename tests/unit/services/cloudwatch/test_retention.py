"""The retention loop over a real SQLite store: each resolution rolled up into the next as it
ages (statistics and distributions kept), the oldest deleted, small batches."""

from __future__ import annotations

import asyncio
from pathlib import Path

from ovis.models.metric import Datum, MetricKey
from ovis.services.cloudwatch.retention import DAY_S, MetricRetention
from ovis.services.cloudwatch.statistics import buckets
from ovis.storage.sqlite import SqliteStorage

KEY = MetricKey("Test/Retention", "Latency", (("Api", "orders"),))
NOW = 1_800_000_000_000  # a fixed "now" (ms), on an hour boundary
DAY = DAY_S * 1000


def datum(ts: int, value: float, high: bool = False) -> Datum:
    return Datum(KEY, ts, "Milliseconds", 1.0, value, value, value, {value: 1.0}, high)


def test_each_tier_rolls_into_the_next_and_the_oldest_goes(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "ovis.db")
    try:
        store = storage.metrics
        minute = 60_000
        data = [
            datum(NOW - 60_000, 1.0, high=True),  # recent: kept as it is
            datum(NOW - 4 * 3600_000 + 1000, 2.0, high=True),  # > 3 h: into its minute
            datum(NOW - 4 * 3600_000 + 2000, 4.0, high=True),
            # > 15 days: three minutes of one 5-minute period merge into one row
            *(datum(NOW - 16 * DAY + i * minute, v) for i, v in enumerate((3.0, 5.0, 10.0))),
            datum(NOW - 70 * DAY + 7 * minute, 8.0),  # > 63 days: into its hour (in 2 passes)
            datum(NOW - 500 * DAY, 99.0),  # > 455 days: gone (once it is an hourly row)
        ]
        store.put_data(data)
        retention = MetricRetention(store, batch=2)  # batches smaller than the work: loops
        for _ in range(4):  # each pass moves every row at most one tier on
            asyncio.run(retention.prune(now_ms=NOW))
        rows = store.data(KEY, 0, NOW + 1)
        # a period may be several rows (merged in different batches): queries add them up
        by_ts = buckets(rows, 0, 1)
        assert by_ts[NOW - 60_000].values == {1.0: 1.0}
        hi_minute = (NOW - 4 * 3600_000) // minute * minute
        assert (by_ts[hi_minute].count, by_ts[hi_minute].total) == (2.0, 6.0)
        five = (NOW - 16 * DAY) // 300_000 * 300_000
        m = by_ts[five]
        assert (m.count, m.total, m.minimum, m.maximum) == (3.0, 18.0, 3.0, 10.0)
        assert m.values == {3.0: 1.0, 5.0: 1.0, 10.0: 1.0}  # percentiles still computable
        hour = (NOW - 70 * DAY + 7 * minute) // 3600_000 * 3600_000
        assert by_ts[hour].total == 8.0
        assert sorted(by_ts) == [hour, five, hi_minute, NOW - 60_000]  # 99.0 is gone
        assert retention.deleted == 1 and retention.rolled >= 6
        assert asyncio.run(retention.prune(now_ms=NOW)) == 0  # nothing left to do
        # a metric last put before the oldest tier's age is no longer listed
        assert [k for k, _ in store.metrics("Test/Retention", None, 0)] == [KEY]
        asyncio.run(retention.prune(now_ms=NOW + 456 * DAY))
        assert store.metrics("Test/Retention", None, 0) == []
        assert store.data(KEY, 0, NOW + 1) == []
    finally:
        storage.close()


def test_time_scale_shrinks_every_age(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "ovis.db")
    try:
        store = storage.metrics
        store.put_data([datum(NOW - 1_000_000, 1.0), datum(NOW - 1000, 2.0)])
        # 15 days * 1e-3 = 1296 s; 63 days = 5443 s; 455 days = 39312 s
        retention = MetricRetention(store, time_scale=1e-3)
        asyncio.run(retention.prune(now_ms=NOW))
        assert sorted(d.total for d in store.data(KEY, 0, NOW + 1)) == [1.0, 2.0]
        asyncio.run(retention.prune(now_ms=NOW + 400_000))  # the first is now 1400 s old
        five = (NOW - 1_000_000) // 300_000 * 300_000
        assert {d.timestamp_ms: d.total for d in store.data(KEY, 0, NOW + 1)} == {
            five: 1.0,
            NOW - 1000: 2.0,
        }
        asyncio.run(retention.prune(now_ms=NOW + 50_000_000))  # past 39312 s: all gone
        assert store.data(KEY, 0, NOW + 1) == []
    finally:
        storage.close()
