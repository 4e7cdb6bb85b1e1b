"""SQS-compatible queues (ovis.services.sqs): queues, their messages and FIFO deduplication keys.

Contract: synchronous, thread-safe, durable on return; every write is one transaction (a
receive marks what it delivers in flight, or moves it to the dead-letter queue, atomically).
A queue's tags live in the tags repository under its ARN and are deleted by the caller.
"""

from __future__ import annotations

import json
from typing import Any

from ovis.models.queue import QueueMessage, QueueReceive, QueueRecord
from ovis.storage.sqlite.engine import Engine

_CHUNK = 400  # rows per statement (well under SQLite's limit on bound variables)


def _chunks(items: list[Any]) -> list[list[Any]]:
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]


class SqliteQueues:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    _SQS_COLUMNS = (
        "id, queue, message_id, body, attributes, system, sent_ms, visible_ms, group_id, "
        "dedup_id, receive_count, first_receive_ms, receipt, sequence"
    )
    # Standard queues: any visible message, oldest visibility first (best-effort order).
    _SQS_READY = (
        f"SELECT {_SQS_COLUMNS} FROM sqs_messages WHERE queue = ? AND visible_ms <= ? "
        "ORDER BY visible_ms, id LIMIT ?"
    )
    # FIFO queues: in arrival order, a message whose group has nothing in flight and nothing
    # earlier still hidden (delayed, or in flight: a group delivers one batch at a time).
    _SQS_READY_FIFO = (
        f"SELECT {_SQS_COLUMNS} FROM sqs_messages AS m WHERE m.queue = ? AND m.visible_ms <= ? "
        "AND NOT EXISTS (SELECT 1 FROM sqs_messages AS b WHERE b.queue = m.queue "
        "AND b.group_id = m.group_id AND b.visible_ms > ? AND (b.id < m.id OR b.receipt != '')) "
        "ORDER BY m.id LIMIT ?"
    )

    @staticmethod
    def _sqs_message(r: tuple[Any, ...]) -> QueueMessage:
        return QueueMessage(
            queue=r[1],
            message_id=r[2],
            body=r[3],
            attributes=r[4],
            system=r[5],
            sent_ms=r[6],
            visible_ms=r[7],
            group_id=r[8],
            dedup_id=r[9],
            row=r[0],
            receive_count=r[10],
            first_receive_ms=r[11],
            receipt=r[12],
            sequence=r[13],
        )

    def sqs_queues(self) -> list[QueueRecord]:
        rows = self._engine.read(
            "SELECT name, attributes, created_s, modified_s FROM sqs_queues ORDER BY name"
        )
        return [QueueRecord(r[0], json.loads(r[1]), r[2], r[3]) for r in rows]

    def sqs_put_queue(self, queue: QueueRecord) -> None:
        """Create the queue or replace its attributes (its FIFO sequence counter is kept)."""
        self._engine.write(
            "INSERT INTO sqs_queues (name, attributes, created_s, modified_s) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET attributes = excluded.attributes, "
            "modified_s = excluded.modified_s",
            (queue.name, json.dumps(queue.attributes), queue.created_s, queue.modified_s),
        )

    def sqs_delete_queue(self, name: str) -> None:
        """The queue, its messages and its deduplication keys (tags: ``delete_tags``)."""
        with self._engine.transaction() as db:
            db.execute("DELETE FROM sqs_messages WHERE queue = ?", (name,))
            db.execute("DELETE FROM sqs_dedup WHERE queue = ?", (name,))
            db.execute("DELETE FROM sqs_queues WHERE name = ?", (name,))

    def sqs_send(
        self, queue: str, messages: list[QueueMessage], dedup_keys: list[str], dedup_until_ms: int
    ) -> list[tuple[str, int]] | None:
        """Store ``messages`` in order; None (and nothing stored) if the queue is gone.

        A message with a deduplication key (FIFO) gets the queue's next sequence number, unless
        the key was seen before ``sent_ms`` within its window: then it is not stored and the
        original's (message id, sequence) is returned in its place. Others get sequence 0.
        """
        out: list[tuple[str, int]] = []
        with self._engine.transaction() as db:
            row = db.execute("SELECT sequence FROM sqs_queues WHERE name = ?", (queue,)).fetchone()
            if row is None:
                return None
            sequence = int(row[0])
            for m, key in zip(messages, dedup_keys, strict=True):
                seq = 0
                if key:
                    dup = db.execute(
                        "SELECT message_id, sequence FROM sqs_dedup "
                        "WHERE queue = ? AND key = ? AND until_ms > ?",
                        (queue, key, m.sent_ms),
                    ).fetchone()
                    if dup is not None:
                        out.append((dup[0], int(dup[1])))
                        continue
                    sequence += 1
                    seq = sequence
                    db.execute(
                        "INSERT OR REPLACE INTO sqs_dedup (queue, key, message_id, sequence, "
                        "until_ms) VALUES (?, ?, ?, ?, ?)",
                        (queue, key, m.message_id, seq, dedup_until_ms),
                    )
                db.execute(
                    "INSERT INTO sqs_messages (queue, message_id, body, attributes, system, "
                    "sent_ms, visible_ms, group_id, dedup_id, sequence) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        queue,
                        m.message_id,
                        m.body,
                        m.attributes,
                        m.system,
                        m.sent_ms,
                        m.visible_ms,
                        m.group_id,
                        m.dedup_id,
                        seq,
                    ),
                )
                out.append((m.message_id, seq))
            db.execute("UPDATE sqs_queues SET sequence = ? WHERE name = ?", (sequence, queue))
        return out

    def sqs_receive(
        self,
        queue: str,
        now_ms: int,
        limit: int,
        visible_ms: int,
        nonce: str,
        fifo: bool,
        max_receives: int = 0,
        dead_letter: str = "",
        dead_letter_system: str = "",
    ) -> QueueReceive:
        """Take up to ``limit`` ready messages and mark them in flight until ``now_ms +
        visible_ms`` under receipt ``nonce``, in one transaction. With ``max_receives``, a
        message already received that many times moves to the ``dead_letter`` queue instead
        (receive count kept, ``dead_letter_system`` merged into its system attributes)."""
        delivered: list[QueueMessage] = []
        taken: set[int] = set()
        marks: list[int] = []  # rows this pass delivers
        until = now_ms + visible_ms
        moved = 0
        with self._engine.transaction() as db:
            dlq = db.execute("SELECT 1 FROM sqs_queues WHERE name = ?", (dead_letter,))
            if dlq.fetchone() is None or dead_letter == queue:
                dead_letter = ""  # a policy naming a deleted queue moves nothing
            while len(delivered) < limit:
                want = limit - len(delivered) + len(taken)
                if fifo:
                    rows = db.execute(self._SQS_READY_FIFO, (queue, now_ms, now_ms, want))
                else:
                    rows = db.execute(self._SQS_READY, (queue, now_ms, want))
                moved_now = 0
                for r in rows.fetchall():
                    row, receive_count = r[0], r[10]
                    if row in taken or len(delivered) >= limit:
                        continue
                    if dead_letter and max_receives and receive_count >= max_receives:
                        system = {
                            **json.loads(r[5] or "{}"),
                            **json.loads(dead_letter_system or "{}"),
                        }
                        db.execute(
                            "UPDATE sqs_messages SET queue = ?, visible_ms = ?, receipt = '', "
                            "system = ? WHERE id = ?",
                            (dead_letter, now_ms, json.dumps(system), row),
                        )
                        moved_now += 1
                        continue
                    first = r[11] or now_ms
                    taken.add(row)
                    marks.append(row)
                    delivered.append(
                        QueueMessage(
                            queue=r[1],
                            message_id=r[2],
                            body=r[3],
                            attributes=r[4],
                            system=r[5],
                            sent_ms=r[6],
                            visible_ms=until,
                            group_id=r[8],
                            dedup_id=r[9],
                            row=row,
                            receive_count=receive_count + 1,
                            first_receive_ms=first,
                            receipt=nonce,
                            sequence=r[13],
                        )
                    )
                # One statement marks this pass's messages in flight (before a next pass looks:
                # a FIFO group in flight must block its later messages). One statement, not one
                # per row: each statement step hands the GIL back and forth with the event loop.
                for chunk in _chunks(marks):
                    db.execute(
                        "UPDATE sqs_messages SET receive_count = receive_count + 1, "
                        "first_receive_ms = CASE WHEN first_receive_ms = 0 THEN ? "
                        "ELSE first_receive_ms END, receipt = ?, visible_ms = ? "
                        f"WHERE id IN ({','.join('?' * len(chunk))})",
                        (now_ms, nonce, until, *chunk),
                    )
                marks.clear()
                moved += moved_now
                if not moved_now:
                    break
            (nxt,) = db.execute(
                "SELECT MIN(visible_ms) FROM sqs_messages WHERE queue = ? AND visible_ms > ?",
                (queue, now_ms),
            ).fetchone()
        return QueueReceive(delivered, moved, None if nxt is None else int(nxt))

    def sqs_delete_messages(self, queue: str, handles: list[tuple[int, str]]) -> list[bool]:
        """Delete each (row, receipt nonce) that is still the message's latest receipt.

        A few statements whatever the number of handles (each statement step hands the GIL
        back and forth with the event loop, so one per handle would stall under load)."""
        wanted = set(handles)
        live: set[tuple[int, str]] = set()
        with self._engine.transaction() as db:
            for chunk in _chunks(sorted({row for row, _ in wanted})):
                marks = ",".join("?" * len(chunk))
                (found,) = db.execute(
                    "SELECT json_group_array(json_array(id, receipt)) FROM sqs_messages "
                    f"WHERE id IN ({marks}) AND queue = ? AND receipt != ''",
                    (*chunk, queue),
                ).fetchone()
                matched = [(int(r), str(n)) for r, n in json.loads(found)]
                gone = [h for h in matched if h in wanted]
                if gone:
                    live.update(gone)
                    db.execute(
                        f"DELETE FROM sqs_messages WHERE id IN ({','.join('?' * len(gone))})",
                        [row for row, _ in gone],
                    )
        out: list[bool] = []
        for h in handles:  # a handle named twice deletes once
            out.append(h in live)
            live.discard(h)
        return out

    def sqs_change_visibility(
        self, queue: str, changes: list[tuple[int, str, int]], now_ms: int
    ) -> list[str]:
        """Set each (row, receipt nonce)'s next visibility; per change "ok", "invalid" (gone or
        received again since) or "not_inflight" (its visibility timeout already ran out)."""
        out: list[str] = []
        with self._engine.transaction() as db:
            for row, nonce, until in changes:
                r = db.execute(
                    "SELECT receipt, visible_ms FROM sqs_messages WHERE id = ? AND queue = ?",
                    (row, queue),
                ).fetchone()
                if r is None or not nonce or r[0] != nonce:
                    out.append("invalid")
                elif r[1] <= now_ms:
                    out.append("not_inflight")
                else:
                    db.execute("UPDATE sqs_messages SET visible_ms = ? WHERE id = ?", (until, row))
                    out.append("ok")
        return out

    def sqs_purge(self, queue: str) -> None:
        self._engine.write("DELETE FROM sqs_messages WHERE queue = ?", (queue,))

    def sqs_counts(self, queue: str, now_ms: int) -> tuple[int, int, int]:
        """(visible, in flight, delayed) messages of the queue."""
        (r,) = self._engine.read(
            "SELECT COALESCE(SUM(visible_ms <= ?), 0), "
            "COALESCE(SUM(visible_ms > ? AND receipt != ''), 0), "
            "COALESCE(SUM(visible_ms > ? AND receipt = ''), 0) FROM sqs_messages WHERE queue = ?",
            (now_ms, now_ms, now_ms, queue),
        )
        return int(r[0]), int(r[1]), int(r[2])

    def sqs_expire(self, cutoffs: dict[str, int], now_ms: int) -> int:
        """Delete messages sent before their queue's cutoff and deduplication keys past their
        window; returns how many messages went."""
        n = 0
        with self._engine.transaction() as db:
            for queue, cutoff in cutoffs.items():
                n += db.execute(
                    "DELETE FROM sqs_messages WHERE queue = ? AND sent_ms < ?", (queue, cutoff)
                ).rowcount
            db.execute("DELETE FROM sqs_dedup WHERE until_ms <= ?", (now_ms,))
        return n
