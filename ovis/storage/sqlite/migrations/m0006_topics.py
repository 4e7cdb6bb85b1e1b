"""Migration 6: SNS-compatible topics, subscriptions, the delivery outbox, FIFO dedup keys.

``sns_deliveries`` is the outbox: one row per (published message, matching subscription),
written in the transaction that acknowledges the Publish and deleted in the one that records
its delivery, so an acknowledged message is delivered at least once across a crash.
"""

from __future__ import annotations

import sqlite3

VERSION = 6


def upgrade(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS sns_topics (arn TEXT PRIMARY KEY, name TEXT NOT NULL, "
        "attributes TEXT NOT NULL, created_ms INTEGER NOT NULL, "
        "sequence INTEGER NOT NULL DEFAULT 0)"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS sns_subscriptions (arn TEXT PRIMARY KEY, "
        "topic_arn TEXT NOT NULL, protocol TEXT NOT NULL, endpoint TEXT NOT NULL, "
        "owner TEXT NOT NULL, attributes TEXT NOT NULL, confirmed INTEGER NOT NULL, "
        "token TEXT NOT NULL, created_ms INTEGER NOT NULL)"
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS sns_subscriptions_topic ON sns_subscriptions (topic_arn)"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS sns_deliveries (id INTEGER PRIMARY KEY AUTOINCREMENT, "
        "subscription_arn TEXT NOT NULL, topic_arn TEXT NOT NULL, kind TEXT NOT NULL, "
        "payload TEXT NOT NULL, due_ms INTEGER NOT NULL, group_id TEXT NOT NULL DEFAULT '', "
        "attempt INTEGER NOT NULL DEFAULT 0, dead INTEGER NOT NULL DEFAULT 0)"
    )
    db.execute("CREATE INDEX IF NOT EXISTS sns_deliveries_due ON sns_deliveries (due_ms)")
    db.execute(
        "CREATE INDEX IF NOT EXISTS sns_deliveries_group "
        "ON sns_deliveries (subscription_arn, group_id, id)"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS sns_dedup (topic_arn TEXT NOT NULL, key TEXT NOT NULL, "
        "message_id TEXT NOT NULL, sequence INTEGER NOT NULL, until_ms INTEGER NOT NULL, "
        "PRIMARY KEY (topic_arn, key))"
    )
