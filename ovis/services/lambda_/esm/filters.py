"""RecordFilter: a mapping's FilterCriteria, applied to the records a poller is about to batch.

Contract: ``keep(record)`` is True when the mapping has no filters or when any of its patterns
(EventBridge syntax, compiled once by ``ovis.models.event_pattern``) matches the record in its
Lambda event shape, with the data field decoded as AWS does:

- SQS (``body``): a body that is a JSON object or array is matched as that JSON; any other
  body is matched as the plain string. So ``{"body": {"k": [...]}}`` never matches a plain
  body and ``{"body": [{"prefix": ...}]}`` never matches a JSON one: AWS drops a message whose
  body and pattern disagree in format.
- Kinesis (``data``): the base64-decoded data, when it is a JSON object or array, is matched as
  that JSON; otherwise the record has no ``data`` for the patterns (only patterns that leave
  ``data`` out, or ask ``{"exists": false}``, match), as AWS requires JSON on both sides.
- DynamoDB streams: the record as it is (patterns name ``eventName``, ``dynamodb``...).

A record that no pattern keeps is dropped by the poller (an SQS message is deleted, a stream
record is skipped and checkpointed past). ``keep`` never raises for any record.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any

from ovis.models.event_pattern import EventPattern, compile_pattern
from ovis.models.event_source_mapping import EventSourceMapping, SourceKind


def _json(text: str | bytes) -> Any:
    """The JSON object or array ``text`` holds, or None (scalars count as plain text)."""
    try:
        value = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, (dict, list)) else None


class RecordFilter:
    def __init__(self, patterns: Sequence[str], kind: SourceKind) -> None:
        self.patterns: tuple[EventPattern, ...] = tuple(compile_pattern(p) for p in patterns)
        self.kind = kind

    @classmethod
    def of(cls, mapping: EventSourceMapping) -> RecordFilter:
        return cls(mapping.filter_patterns, mapping.source or SourceKind.SQS)

    @property
    def active(self) -> bool:
        return bool(self.patterns)

    def keep(self, record: dict[str, Any]) -> bool:
        """``record``: one Lambda event record (SQS: the record; Kinesis: the record, whose
        ``kinesis`` object's fields are what the patterns see, ``data`` decoded)."""
        if not self.patterns:
            return True
        doc = self._document(record)
        return any(p.matches(doc) for p in self.patterns)

    def _document(self, record: dict[str, Any]) -> dict[str, Any]:
        if self.kind is SourceKind.SQS:
            body = record.get("body", "")
            parsed = _json(body)
            return {**record, "body": body if parsed is None else parsed}
        if self.kind is SourceKind.DYNAMODB:  # patterns name the record's own fields
            return record
        inner = record.get("kinesis")
        doc = dict(inner) if isinstance(inner, dict) else {}
        data = doc.pop("data", None)
        if isinstance(data, str):
            try:
                parsed = _json(base64.b64decode(data, validate=True))
            except (binascii.Error, ValueError):
                parsed = None
            if parsed is not None:
                doc["data"] = parsed
        return doc
