"""Shard iterator tokens (ovis/services/kinesis/iterators.py): self-contained, signed, 5 minutes."""

from __future__ import annotations

import pytest

from ovis.services.kinesis.errors import ExpiredIteratorException, InvalidArgumentException
from ovis.services.kinesis.iterators import IteratorCodec, Position

P = Position("my|stream", 123, 4, 99, 1_000_000)


def test_a_token_decodes_to_its_position() -> None:
    codec = IteratorCodec(b"secret")
    assert codec.decode(codec.encode(P), P.issued_ms + 1000) == P


def test_tampered_or_foreign_tokens_are_invalid_arguments() -> None:
    codec = IteratorCodec(b"secret")
    token = codec.encode(P)
    flipped = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    for bad in (flipped, token[:-4], "", "not base64!", IteratorCodec(b"other").encode(P)):
        with pytest.raises(InvalidArgumentException, match="Invalid ShardIterator"):
            codec.decode(bad, P.issued_ms)


def test_tokens_expire_five_minutes_after_issue() -> None:
    codec = IteratorCodec(b"secret")
    token = codec.encode(P)
    codec.decode(token, P.issued_ms + 300_000)
    with pytest.raises(ExpiredIteratorException, match="Iterator expired"):
        codec.decode(token, P.issued_ms + 300_001)
