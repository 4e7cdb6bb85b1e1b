"""Frames of the private channel between the server and a managed-runtime instance.

A frame is ``!IB`` (length of what follows the length field, kind) then a JSON header of
``!I`` length, then raw bytes (a payload). Kinds:
  server -> instance: INVOKE
  instance -> server: READY (init done), INIT_ERROR, RESULT, ERROR (function error)
Self-contained (stdlib only) so that any runtime interpreter can load it.
"""

from __future__ import annotations

import json
import struct
from typing import Any

INVOKE = 1
READY = 2
INIT_ERROR = 3
RESULT = 4
ERROR = 5

_HEAD = struct.Struct("!IBI")


def encode(kind: int, header: dict[str, Any], payload: bytes = b"") -> bytes:
    h = json.dumps(header, separators=(",", ":")).encode()
    return _HEAD.pack(1 + 4 + len(h) + len(payload), kind, len(h)) + h + payload


def decode(buf: bytes | bytearray | memoryview) -> tuple[int, dict[str, Any], bytes, int] | None:
    """One frame from the start of ``buf``: (kind, header, payload, bytes used), or None."""
    if len(buf) < 9:
        return None
    total, kind, hlen = _HEAD.unpack_from(buf, 0)
    end = 4 + total
    if len(buf) < end:
        return None
    header = json.loads(bytes(buf[9 : 9 + hlen]))
    return kind, header, bytes(buf[9 + hlen : end]), end
