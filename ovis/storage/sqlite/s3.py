"""S3 metadata (ovis.services.s3): buckets, objects, multipart uploads, the notification outbox.

Contract: synchronous, thread-safe, durable on return; each write is one transaction. An object
write (put, delete, multipart completion) records its notifications in the outbox in the same
transaction, so an acknowledged change always has its events queued. Methods that replace or
drop rows answer the blobs no longer referenced, for the caller to delete from the object store
after the commit (a crash in between leaves an orphan blob, swept on start, never a dangling row).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ovis.models.s3 import Bucket, ObjectRecord, OutboxEvent, Part, Upload
from ovis.storage.sqlite.engine import Engine

_OBJ = (
    "bucket, key, blob, size, etag, last_modified_ms, content_type, metadata, headers, "
    "checksums, parts, tags"
)
_BUCKET = "name, region, created_ms, versioning, policy, tags, notification"
_UPLOAD = (
    "upload_id, bucket, key, initiated_ms, content_type, metadata, headers, checksum_algorithm"
)
_PART = "upload_id, number, blob, size, etag, last_modified_ms, checksums"
NewEvent = tuple[str, str, str]  # (destination, kind, body)


def _bucket(r: Sequence[Any]) -> Bucket:
    tags = json.loads(r[5]) if r[5] is not None else None
    return Bucket(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        tuple((k, v) for k, v in tags) if tags is not None else None,
        json.loads(r[6]),
    )


def _object(r: Sequence[Any]) -> ObjectRecord:
    return ObjectRecord(
        r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]), json.loads(r[8]),
        json.loads(r[9]), r[10], tuple((k, v) for k, v in json.loads(r[11])),
    )  # fmt: skip


def _upload(r: Sequence[Any]) -> Upload:
    return Upload(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), json.loads(r[6]), r[7])


def _part(r: Sequence[Any]) -> Part:
    return Part(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]))


def _object_row(o: ObjectRecord) -> tuple[Any, ...]:
    return (
        o.bucket, o.key, o.blob, o.size, o.etag, o.last_modified_ms, o.content_type,
        json.dumps(o.metadata), json.dumps(o.headers), json.dumps(o.checksums), o.parts,
        json.dumps([list(t) for t in o.tags]),
    )  # fmt: skip


class SqliteS3:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # ---- buckets

    def create_bucket(self, bucket: Bucket) -> bool:
        """False (and nothing written) when the name is taken."""
        n = self._engine.write(
            "INSERT OR IGNORE INTO s3_buckets (name, region, created_ms) VALUES (?, ?, ?)",
            (bucket.name, bucket.region, bucket.created_ms),
        )
        return n == 1

    def bucket(self, name: str) -> Bucket | None:
        rows = self._engine.read(f"SELECT {_BUCKET} FROM s3_buckets WHERE name = ?", (name,))
        return _bucket(rows[0]) if rows else None

    def buckets(self) -> list[Bucket]:
        rows = self._engine.read(f"SELECT {_BUCKET} FROM s3_buckets ORDER BY name")
        return [_bucket(r) for r in rows]

    def delete_bucket(self, name: str) -> str:
        """ "deleted", "missing" or "not-empty" (objects or multipart uploads remain)."""
        with self._engine.transaction() as db:
            if db.execute("SELECT 1 FROM s3_buckets WHERE name = ?", (name,)).fetchone() is None:
                return "missing"
            busy = db.execute(
                "SELECT 1 FROM s3_objects WHERE bucket = ? UNION ALL "
                "SELECT 1 FROM s3_uploads WHERE bucket = ? LIMIT 1",
                (name, name),
            ).fetchone()
            if busy is not None:
                return "not-empty"
            db.execute("DELETE FROM s3_buckets WHERE name = ?", (name,))
            return "deleted"

    def set_bucket(self, name: str, **fields: Any) -> bool:
        """Set configuration columns (versioning, policy, tags, notification); False if no
        such bucket. JSON-valued fields are given as Python values."""
        cols = []
        values: list[Any] = []
        for col, value in fields.items():
            assert col in ("versioning", "policy", "tags", "notification")
            cols.append(f"{col} = ?")
            if col == "tags":
                value = json.dumps([list(t) for t in value]) if value is not None else None
            elif col == "notification":
                value = json.dumps(value)
            values.append(value)
        n = self._engine.write(
            f"UPDATE s3_buckets SET {', '.join(cols)} WHERE name = ?", (*values, name)
        )
        return n == 1

    # ---- objects

    def object(self, bucket: str, key: str) -> ObjectRecord | None:
        rows = self._engine.read(
            f"SELECT {_OBJ} FROM s3_objects WHERE bucket = ? AND key = ?", (bucket, key)
        )
        return _object(rows[0]) if rows else None

    def objects(self, bucket: str, prefix: str, after: str, limit: int) -> list[ObjectRecord]:
        """Up to ``limit`` objects whose key starts with ``prefix`` and sorts after ``after``,
        in key order (UTF-8 binary, as S3 lists)."""
        low = max(after, prefix)
        op = ">" if after >= prefix and after else ">="
        if prefix:
            rows = self._engine.read(
                f"SELECT {_OBJ} FROM s3_objects WHERE bucket = ? AND key {op} ? "
                "AND substr(key, 1, ?) = ? ORDER BY key LIMIT ?",
                (bucket, low, len(prefix), prefix, limit),
            )
        else:
            rows = self._engine.read(
                f"SELECT {_OBJ} FROM s3_objects WHERE bucket = ? AND key {op} ? "
                "ORDER BY key LIMIT ?",
                (bucket, low, limit),
            )
        return [_object(r) for r in rows]

    def put_object(self, obj: ObjectRecord, events: Sequence[NewEvent]) -> str | None:
        """Store (or replace) an object and queue its events; answers the replaced blob."""
        with self._engine.transaction() as db:
            if (
                db.execute("SELECT 1 FROM s3_buckets WHERE name = ?", (obj.bucket,)).fetchone()
                is None
            ):
                raise LookupError(obj.bucket)
            old = db.execute(
                "SELECT blob FROM s3_objects WHERE bucket = ? AND key = ?", (obj.bucket, obj.key)
            ).fetchone()
            db.execute(
                f"INSERT OR REPLACE INTO s3_objects ({_OBJ}) VALUES ({', '.join('?' * 12)})",
                _object_row(obj),
            )
            self._queue(db, events)
            return str(old[0]) if old is not None and old[0] != obj.blob else None

    def set_object_tags(self, bucket: str, key: str, tags: Sequence[tuple[str, str]]) -> bool:
        """Replace an object's tag set (its content and metadata untouched); False if no such
        object."""
        n = self._engine.write(
            "UPDATE s3_objects SET tags = ? WHERE bucket = ? AND key = ?",
            (json.dumps([list(t) for t in tags]), bucket, key),
        )
        return n == 1

    def delete_object(
        self, bucket: str, key: str, events: Sequence[NewEvent]
    ) -> ObjectRecord | None:
        """Delete an object (its events queued only if it existed); answers what was deleted."""
        with self._engine.transaction() as db:
            row = db.execute(
                f"SELECT {_OBJ} FROM s3_objects WHERE bucket = ? AND key = ?", (bucket, key)
            ).fetchone()
            if row is None:
                return None
            db.execute("DELETE FROM s3_objects WHERE bucket = ? AND key = ?", (bucket, key))
            self._queue(db, events)
            return _object(row)

    # ---- multipart uploads

    def create_upload(self, upload: Upload) -> None:
        self._engine.write(
            f"INSERT INTO s3_uploads ({_UPLOAD}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                upload.upload_id, upload.bucket, upload.key, upload.initiated_ms,
                upload.content_type, json.dumps(upload.metadata), json.dumps(upload.headers),
                upload.checksum_algorithm,
            ),
        )  # fmt: skip

    def upload(self, upload_id: str) -> Upload | None:
        rows = self._engine.read(
            f"SELECT {_UPLOAD} FROM s3_uploads WHERE upload_id = ?", (upload_id,)
        )
        return _upload(rows[0]) if rows else None

    def uploads(self, bucket: str, prefix: str = "") -> list[Upload]:
        rows = self._engine.read(
            f"SELECT {_UPLOAD} FROM s3_uploads WHERE bucket = ? AND substr(key, 1, ?) = ? "
            "ORDER BY key, initiated_ms",
            (bucket, len(prefix), prefix),
        )
        return [_upload(r) for r in rows]

    def put_part(self, part: Part) -> str | None:
        """Store a part (replacing one of the same number); answers the replaced blob. Raises
        LookupError if the upload is gone (completed or aborted meanwhile)."""
        with self._engine.transaction() as db:
            if (
                db.execute(
                    "SELECT 1 FROM s3_uploads WHERE upload_id = ?", (part.upload_id,)
                ).fetchone()
                is None
            ):
                raise LookupError(part.upload_id)
            old = db.execute(
                "SELECT blob FROM s3_parts WHERE upload_id = ? AND number = ?",
                (part.upload_id, part.number),
            ).fetchone()
            db.execute(
                f"INSERT OR REPLACE INTO s3_parts ({_PART}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    part.upload_id, part.number, part.blob, part.size, part.etag,
                    part.last_modified_ms, json.dumps(part.checksums),
                ),
            )  # fmt: skip
            return str(old[0]) if old is not None else None

    def parts(self, upload_id: str) -> list[Part]:
        rows = self._engine.read(
            f"SELECT {_PART} FROM s3_parts WHERE upload_id = ? ORDER BY number", (upload_id,)
        )
        return [_part(r) for r in rows]

    def complete_upload(
        self, upload_id: str, obj: ObjectRecord, events: Sequence[NewEvent]
    ) -> list[str] | None:
        """Replace the upload by its object, atomically; answers the blobs to delete (the
        parts and any replaced object), None if the upload is gone."""
        with self._engine.transaction() as db:
            if (
                db.execute("SELECT 1 FROM s3_uploads WHERE upload_id = ?", (upload_id,)).fetchone()
                is None
            ):
                return None
            garbage = [
                str(r[0])
                for r in db.execute("SELECT blob FROM s3_parts WHERE upload_id = ?", (upload_id,))
            ]
            old = db.execute(
                "SELECT blob FROM s3_objects WHERE bucket = ? AND key = ?", (obj.bucket, obj.key)
            ).fetchone()
            if old is not None:
                garbage.append(str(old[0]))
            db.execute("DELETE FROM s3_parts WHERE upload_id = ?", (upload_id,))
            db.execute("DELETE FROM s3_uploads WHERE upload_id = ?", (upload_id,))
            db.execute(
                f"INSERT OR REPLACE INTO s3_objects ({_OBJ}) VALUES ({', '.join('?' * 12)})",
                _object_row(obj),
            )
            self._queue(db, events)
            return garbage

    def abort_upload(self, upload_id: str) -> list[str] | None:
        """Drop an upload and its parts; answers the part blobs, None if no such upload."""
        with self._engine.transaction() as db:
            if (
                db.execute("SELECT 1 FROM s3_uploads WHERE upload_id = ?", (upload_id,)).fetchone()
                is None
            ):
                return None
            blobs = [
                str(r[0])
                for r in db.execute("SELECT blob FROM s3_parts WHERE upload_id = ?", (upload_id,))
            ]
            db.execute("DELETE FROM s3_parts WHERE upload_id = ?", (upload_id,))
            db.execute("DELETE FROM s3_uploads WHERE upload_id = ?", (upload_id,))
            return blobs

    # ---- blobs and the outbox

    def referenced_blobs(self) -> set[str]:
        rows = self._engine.read("SELECT blob FROM s3_objects UNION SELECT blob FROM s3_parts")
        return {str(r[0]) for r in rows}

    def outbox(self, now_ms: int, limit: int) -> list[OutboxEvent]:
        rows = self._engine.read(
            "SELECT id, destination, kind, body, attempts FROM s3_outbox WHERE due_ms <= ? "
            "ORDER BY id LIMIT ?",
            (now_ms, limit),
        )
        return [OutboxEvent(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    def outbox_done(self, event_id: int) -> None:
        self._engine.write("DELETE FROM s3_outbox WHERE id = ?", (event_id,))

    def outbox_retry(self, event_id: int, due_ms: int) -> None:
        self._engine.write(
            "UPDATE s3_outbox SET attempts = attempts + 1, due_ms = ? WHERE id = ?",
            (due_ms, event_id),
        )

    @staticmethod
    def _queue(db: Any, events: Sequence[NewEvent]) -> None:
        if events:
            db.executemany(
                "INSERT INTO s3_outbox (destination, kind, body) VALUES (?, ?, ?)", events
            )
