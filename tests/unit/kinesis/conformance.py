"""Checked by mypy (tests/unit/kinesis/test_stream_source.py): the stream service IS a
``StreamSource`` for event source mappings, structurally (no isinstance, no import of it by
the service)."""

from __future__ import annotations

from ovis.services.kinesis.repository import StreamRepository, StreamTagRepository
from ovis.services.kinesis.streams import StreamService
from ovis.services.lambda_.esm.sources import StreamSource


def as_source(store: StreamRepository, tags: StreamTagRepository) -> StreamSource:
    source: StreamSource = StreamService(store, tags, "us-east-1", "000000000000", b"k")
    return source
