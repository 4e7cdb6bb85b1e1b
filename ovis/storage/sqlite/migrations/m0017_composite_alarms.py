"""Migration 17: CloudWatch composite alarms, and datapoint pruning.

``cw_alarms.alarm_type``: "MetricAlarm" (every alarm stored before) or "CompositeAlarm" (its
configuration holds an ``AlarmRule``), written with the alarm, so the two kinds can be told
apart without reading configurations. ``cw_data_ts``: datapoints by timestamp, so the pruning
loop finds the oldest rows without scanning the table. (Version 16 is left to a migration
developed alongside this one.)
"""

from __future__ import annotations

import sqlite3

VERSION = 17


def upgrade(db: sqlite3.Connection) -> None:
    columns = {r[1] for r in db.execute("PRAGMA table_info(cw_alarms)")}
    if "alarm_type" not in columns:
        db.execute(
            "ALTER TABLE cw_alarms ADD COLUMN alarm_type TEXT NOT NULL DEFAULT 'MetricAlarm'"
        )
    db.execute("CREATE INDEX IF NOT EXISTS cw_data_ts ON cw_data (ts_ms)")
