"""CloudWatch datapoints, metrics, alarms and alarm history (``MetricRepository`` and
``AlarmRepository`` of ``ovis.services.cloudwatch.repository``).

Contract: synchronous, thread-safe, durable on return; ``put_data`` stores a batch and marks
its metrics seen in one transaction; ``put_alarm`` and ``set_alarm_state`` write the alarm and
its history item in one transaction. Dimensions are stored as canonical JSON (sorted pairs), so
equal dimension sets are one metric.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from ovis.models.metric import Alarm, AlarmHistoryItem, AlarmState, Datum, MetricKey
from ovis.storage.sqlite.engine import Engine


def _dims(key: MetricKey) -> str:
    return json.dumps([list(p) for p in key.dimensions], separators=(",", ":"))


def _key(namespace: str, name: str, dims: str) -> MetricKey:
    return MetricKey(namespace, name, tuple((str(n), str(v)) for n, v in json.loads(dims)))


class SqliteMetrics:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # ---- datapoints and metrics

    def put_data(self, data: Sequence[Datum]) -> None:
        if not data:
            return
        now = int(time.time() * 1000)
        rows = []
        seen: dict[tuple[str, str, str], int] = {}
        for d in data:
            dims = _dims(d.key)
            values = json.dumps([[v, c] for v, c in d.values.items()], separators=(",", ":"))
            k = d.key
            head = (k.namespace, k.name, dims, d.timestamp_ms, d.unit, d.count, d.total)
            res = (int(d.high_resolution), 1 if d.high_resolution else 60)
            rows.append((*head, d.minimum, d.maximum, values, *res))
            seen[(d.key.namespace, d.key.name, dims)] = now
        with self._engine.transaction() as db:
            db.executemany(
                "INSERT INTO cw_data (namespace, name, dims, ts_ms, unit, count, total, minimum, "
                "maximum, values_json, high_res, period_s) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                rows,
            )
            db.executemany(
                "INSERT INTO cw_metrics (namespace, name, dims, last_put_ms) VALUES (?,?,?,?) "
                "ON CONFLICT (namespace, name, dims) "
                "DO UPDATE SET last_put_ms = excluded.last_put_ms",
                [(*k, ms) for k, ms in seen.items()],
            )

    def data(self, key: MetricKey, start_ms: int, end_ms: int) -> list[Datum]:
        rows = self._engine.read(
            "SELECT ts_ms, unit, count, total, minimum, maximum, values_json, high_res "
            "FROM cw_data WHERE namespace = ? AND name = ? AND dims = ? "
            "AND ts_ms >= ? AND ts_ms < ? ORDER BY ts_ms, id",
            (key.namespace, key.name, _dims(key), start_ms, end_ms),
        )
        return [
            Datum(
                key,
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                {v: c for v, c in json.loads(r[6])},
                bool(r[7]),
            )
            for r in rows
        ]

    # ---- retention

    def roll_up(self, period_s: int, before_ms: int, to_period_s: int, limit: int) -> int:
        """Merge up to ``limit`` rows of resolution ``period_s`` older than ``before_ms`` into
        rows of ``to_period_s`` (one per metric, unit and period among them), in one short
        transaction; answers how many rows were merged (0: none left)."""
        with self._engine.transaction() as db:
            rows = db.execute(
                "SELECT id, namespace, name, dims, ts_ms, unit, count, total, minimum, maximum, "
                "values_json FROM cw_data WHERE period_s = ? AND ts_ms < ? LIMIT ?",
                (period_s, before_ms, limit),
            ).fetchall()
            if not rows:
                return 0
            step = to_period_s * 1000
            merged: dict[tuple[str, str, str, int, str], list[Any]] = {}
            for _id, ns, name, dims, ts, unit, count, total, lo, hi, values in rows:
                k = (ns, name, dims, ts // step * step, unit)
                m = merged.get(k)
                hist = {float(v): float(c) for v, c in json.loads(values)}
                if m is None:
                    merged[k] = [count, total, lo, hi, hist]
                    continue
                m[0] += count
                m[1] += total
                m[2] = min(m[2], lo)
                m[3] = max(m[3], hi)
                for v, c in hist.items():
                    m[4][v] = m[4].get(v, 0.0) + c
            db.executemany("DELETE FROM cw_data WHERE id = ?", [(r[0],) for r in rows])
            db.executemany(
                "INSERT INTO cw_data (namespace, name, dims, ts_ms, unit, count, total, minimum, "
                "maximum, values_json, high_res, period_s) VALUES (?,?,?,?,?,?,?,?,?,?,0,?)",
                [
                    (
                        *k[:4],
                        k[4],
                        count,
                        total,
                        lo,
                        hi,
                        json.dumps([[v, c] for v, c in hist.items()], separators=(",", ":")),
                        to_period_s,
                    )
                    for k, (count, total, lo, hi, hist) in merged.items()
                ],
            )
            return len(rows)

    def delete_data(self, period_s: int, before_ms: int, limit: int) -> int:
        """Delete up to ``limit`` rows of resolution ``period_s`` older than ``before_ms``."""
        with self._engine.transaction() as db:
            cur = db.execute(
                "DELETE FROM cw_data WHERE id IN (SELECT id FROM cw_data WHERE period_s = ? "
                "AND ts_ms < ? LIMIT ?)",
                (period_s, before_ms, limit),
            )
            return int(cur.rowcount)

    def forget_metrics(self, last_put_before_ms: int) -> int:
        """Drop the metrics not put since ``last_put_before_ms`` (their data is gone)."""
        with self._engine.transaction() as db:
            cur = db.execute("DELETE FROM cw_metrics WHERE last_put_ms < ?", (last_put_before_ms,))
            return int(cur.rowcount)

    def metrics(
        self, namespace: str | None, name: str | None, seen_since_ms: int
    ) -> list[tuple[MetricKey, int]]:
        sql = "SELECT namespace, name, dims, last_put_ms FROM cw_metrics WHERE last_put_ms >= ?"
        params: list[Any] = [seen_since_ms]
        if namespace is not None:
            sql += " AND namespace = ?"
            params.append(namespace)
        if name is not None:
            sql += " AND name = ?"
            params.append(name)
        rows = self._engine.read(sql + " ORDER BY namespace, name, dims", params)
        return [(_key(r[0], r[1], r[2]), r[3]) for r in rows]

    # ---- alarms

    def put_alarm(self, alarm: Alarm, history: AlarmHistoryItem) -> None:
        s = alarm.state
        with self._engine.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO cw_alarms (name, arn, config, state, reason, reason_data, "
                "state_updated_ms, transitioned_ms, actions_enabled, config_updated_ms, "
                "alarm_type) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    alarm.name,
                    alarm.arn,
                    json.dumps(alarm.config),
                    s.value,
                    s.reason,
                    s.reason_data,
                    s.updated_ms,
                    alarm.transitioned_ms,
                    int(alarm.actions_enabled),
                    alarm.configuration_updated_ms,
                    "CompositeAlarm" if "AlarmRule" in alarm.config else "MetricAlarm",
                ),
            )
            _insert_history(db, history)

    def alarms(self) -> list[Alarm]:
        rows = self._engine.read(f"SELECT {_ALARM_COLS} FROM cw_alarms ORDER BY name")
        return [_alarm(r) for r in rows]

    def alarm(self, name: str) -> Alarm | None:
        rows = self._engine.read(f"SELECT {_ALARM_COLS} FROM cw_alarms WHERE name = ?", (name,))
        return _alarm(rows[0]) if rows else None

    def delete_alarms(self, names: Sequence[str]) -> None:
        with self._engine.transaction() as db:
            db.executemany("DELETE FROM cw_alarms WHERE name = ?", [(n,) for n in names])
            db.executemany("DELETE FROM cw_alarm_history WHERE alarm = ?", [(n,) for n in names])

    def set_alarm_state(
        self, name: str, state: AlarmState, history: AlarmHistoryItem, transitioned: bool
    ) -> bool:
        with self._engine.transaction() as db:
            cur = db.execute(
                "UPDATE cw_alarms SET state = ?, reason = ?, reason_data = ?, state_updated_ms = ?"
                + (", transitioned_ms = ?" if transitioned else "")
                + " WHERE name = ?",
                (state.value, state.reason, state.reason_data, state.updated_ms)
                + ((state.updated_ms,) if transitioned else ())
                + (name,),
            )
            if cur.rowcount == 0:
                return False
            _insert_history(db, history)
            return True

    def set_actions_enabled(self, names: Sequence[str], enabled: bool) -> None:
        with self._engine.transaction() as db:
            db.executemany(
                "UPDATE cw_alarms SET actions_enabled = ? WHERE name = ?",
                [(int(enabled), n) for n in names],
            )

    def add_history(self, item: AlarmHistoryItem) -> None:
        with self._engine.transaction() as db:
            _insert_history(db, item)

    def history(
        self, name: str | None, item_type: str | None, start_ms: int, end_ms: int
    ) -> list[AlarmHistoryItem]:
        sql = (
            "SELECT alarm, alarm_type, ts_ms, item_type, summary, data FROM cw_alarm_history "
            "WHERE ts_ms >= ? AND ts_ms <= ?"
        )
        params: list[Any] = [start_ms, end_ms]
        if name is not None:
            sql += " AND alarm = ?"
            params.append(name)
        if item_type is not None:
            sql += " AND item_type = ?"
            params.append(item_type)
        rows = self._engine.read(sql + " ORDER BY ts_ms DESC, id DESC", params)
        return [AlarmHistoryItem(*r) for r in rows]


_ALARM_COLS = (
    "name, arn, config, state, reason, reason_data, state_updated_ms, transitioned_ms, "
    "actions_enabled, config_updated_ms"
)


def _alarm(r: Any) -> Alarm:
    return Alarm(
        r[0],
        r[1],
        json.loads(r[2]),
        AlarmState(r[3], r[4], r[5], r[6]),
        bool(r[8]),
        r[9],
        r[7],
    )


def _insert_history(db: Any, h: AlarmHistoryItem) -> None:
    db.execute(
        "INSERT INTO cw_alarm_history (alarm, alarm_type, ts_ms, item_type, summary, data) "
        "VALUES (?,?,?,?,?,?)",
        (h.alarm_name, h.alarm_type, h.timestamp_ms, h.item_type, h.summary, h.data),
    )
