"""Migration 17: CloudWatch composite alarms, and datapoint pruning.

``cw_alarms.alarm_type``: "MetricAlarm" (every alarm stored before) or "CompositeAlarm" (its
configuration holds an ``AlarmRule``), written with the alarm, so the two kinds can be told
apart without reading configurations. ``cw_data.period_s``: the resolution a datapoint row
stands for (1: high resolution, 60: standard, 300 and 3600: rolled up by the retention loop,
as AWS keeps older data at coarser periods); ``cw_data_period_ts`` finds the rows of one
resolution older than a time without scanning the table. (Version 16 is left to a migration
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
    columns = {r[1] for r in db.execute("PRAGMA table_info(cw_data)")}
    if "period_s" not in columns:
        db.execute("ALTER TABLE cw_data ADD COLUMN period_s INTEGER NOT NULL DEFAULT 60")
        db.execute("UPDATE cw_data SET period_s = 1 WHERE high_res = 1")
    db.execute("CREATE INDEX IF NOT EXISTS cw_data_period_ts ON cw_data (period_s, ts_ms)")
