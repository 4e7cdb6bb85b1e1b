"""Migration 10: S3-compatible buckets and objects (``ovis.services.s3``).

``s3_buckets`` (configuration as JSON columns), ``s3_objects`` keyed by (bucket, key) so a
listing is an index range in UTF-8 binary order (S3's), ``s3_uploads`` and ``s3_parts`` for
multipart uploads, and ``s3_outbox``: notifications written in the same transaction as the
object change they report, deleted once delivered. Contents live in the object store; rows
name their blob. New tables only.
"""

from __future__ import annotations

import sqlite3

VERSION = 10


def upgrade(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS s3_buckets (name TEXT PRIMARY KEY, region TEXT NOT NULL, "
        "created_ms INTEGER NOT NULL, versioning TEXT NOT NULL DEFAULT '', policy TEXT, "
        "tags TEXT, notification TEXT NOT NULL DEFAULT '{}')"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS s3_objects (bucket TEXT NOT NULL, key TEXT NOT NULL, "
        "blob TEXT NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL, "
        "last_modified_ms INTEGER NOT NULL, content_type TEXT NOT NULL, metadata TEXT NOT NULL, "
        "headers TEXT NOT NULL, checksums TEXT NOT NULL, parts INTEGER NOT NULL DEFAULT 0, "
        "PRIMARY KEY (bucket, key)) WITHOUT ROWID"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS s3_uploads (upload_id TEXT PRIMARY KEY, bucket TEXT NOT "
        "NULL, key TEXT NOT NULL, initiated_ms INTEGER NOT NULL, content_type TEXT NOT NULL, "
        "metadata TEXT NOT NULL, headers TEXT NOT NULL, checksum_algorithm TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX IF NOT EXISTS s3_uploads_bucket ON s3_uploads (bucket, key)")
    db.execute(
        "CREATE TABLE IF NOT EXISTS s3_parts (upload_id TEXT NOT NULL, number INTEGER NOT NULL, "
        "blob TEXT NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL, "
        "last_modified_ms INTEGER NOT NULL, checksums TEXT NOT NULL, "
        "PRIMARY KEY (upload_id, number)) WITHOUT ROWID"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS s3_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, "
        "destination TEXT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL, "
        "attempts INTEGER NOT NULL DEFAULT 0, due_ms INTEGER NOT NULL DEFAULT 0)"
    )
