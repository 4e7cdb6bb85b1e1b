"""Shard iterators: self-contained, tamper-evident tokens, so GetRecords needs no table.

A token names the stream (and its creation time: a re-created stream of the same name does not
accept the old one's iterators), the shard, the position (after record number ``n``) and when
it was issued, signed with HMAC-SHA256 under the server's secret. ``decode`` raises
InvalidArgumentException for anything not issued by this server (tampered, truncated, another
server's) and ExpiredIteratorException 5 minutes after issue, as AWS.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from dataclasses import dataclass

from ovis.services.kinesis.errors import ExpiredIteratorException, InvalidArgumentException
from ovis.services.kinesis.limits import ITERATOR_TTL_MS


@dataclass(frozen=True, slots=True)
class Position:
    stream: str
    created_ms: int
    shard: int
    after_n: int
    issued_ms: int


class IteratorCodec:
    def __init__(self, secret: bytes) -> None:
        self._key = hashlib.sha256(b"kinesis-iterators\0" + secret).digest()

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:16]

    def encode(self, p: Position) -> str:
        payload = f"{p.created_ms}|{p.shard}|{p.after_n}|{p.issued_ms}|{p.stream}".encode()
        return base64.urlsafe_b64encode(payload + self._mac(payload)).decode()

    def decode(self, token: str, now_ms: int) -> Position:
        try:
            raw = base64.urlsafe_b64decode(token.encode())
            payload, mac = raw[:-16], raw[-16:]
            if len(raw) <= 16 or not hmac.compare_digest(mac, self._mac(payload)):
                raise ValueError("bad mac")
            created, shard, after, issued, stream = payload.decode().split("|", 4)
            p = Position(stream, int(created), int(shard), int(after), int(issued))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise InvalidArgumentException("Invalid ShardIterator.") from None
        if now_ms - p.issued_ms > ITERATOR_TTL_MS:
            raise ExpiredIteratorException(
                f"Iterator expired. The iterator was created at time {_iso(p.issued_ms)} "
                f"while right now it is {_iso(now_ms)} which is further in the future than the "
                f"tolerated delay of {ITERATOR_TTL_MS} milliseconds."
            )
        return p


def _iso(ms: int) -> str:
    return time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(ms / 1000))
