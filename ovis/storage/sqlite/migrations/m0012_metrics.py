"""Migration 12: CloudWatch metrics and alarms (``ovis.services.cloudwatch``).

``cw_data``: one row per stored datapoint (a PutMetricData entry or a flush of the platform's
aggregator), keyed by metric and timestamp; ``values_json`` holds the value distribution (for
percentiles). ``cw_metrics``: each metric once, with the time it was last put (ListMetrics,
RecentlyActive). ``cw_alarms`` (configuration as JSON, state columns) and ``cw_alarm_history``.
New tables only. (Version 11 is left to a migration developed alongside this one.)
"""

from __future__ import annotations

import sqlite3

VERSION = 12


def upgrade(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS cw_metrics (namespace TEXT NOT NULL, name TEXT NOT NULL, "
        "dims TEXT NOT NULL, last_put_ms INTEGER NOT NULL, "
        "PRIMARY KEY (namespace, name, dims)) WITHOUT ROWID"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS cw_data (id INTEGER PRIMARY KEY, namespace TEXT NOT NULL, "
        "name TEXT NOT NULL, dims TEXT NOT NULL, ts_ms INTEGER NOT NULL, unit TEXT NOT NULL, "
        "count REAL NOT NULL, total REAL NOT NULL, minimum REAL NOT NULL, maximum REAL NOT NULL, "
        "values_json TEXT NOT NULL, high_res INTEGER NOT NULL)"
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS cw_data_metric ON cw_data (namespace, name, dims, ts_ms)"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS cw_alarms (name TEXT PRIMARY KEY, arn TEXT NOT NULL, "
        "config TEXT NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL, reason_data TEXT, "
        "state_updated_ms INTEGER NOT NULL, transitioned_ms INTEGER NOT NULL, "
        "actions_enabled INTEGER NOT NULL, config_updated_ms INTEGER NOT NULL)"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS cw_alarm_history (id INTEGER PRIMARY KEY, alarm TEXT NOT NULL, "
        "alarm_type TEXT NOT NULL, ts_ms INTEGER NOT NULL, item_type TEXT NOT NULL, "
        "summary TEXT NOT NULL, data TEXT NOT NULL)"
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS cw_alarm_history_alarm ON cw_alarm_history (alarm, ts_ms)"
    )
