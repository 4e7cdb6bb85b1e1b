"""What an instance printed during one phase (init, or one invocation), capped, never silently.

Contract: ``append()`` keeps the LAST ``cap`` bytes, cut at a line start; whatever it drops is
counted, and ``text()`` then begins with one marker line saying how much (bytes and lines) was
dropped. ``clear()`` starts the next phase (and its counts) from nothing. Not thread-safe: the
instance uses it from the event loop only.
"""

from __future__ import annotations

LOG_CAP_BYTES = 1 << 20  # per phase: a runaway logger must not exhaust the server


class LogBuffer:
    def __init__(self, cap: int = LOG_CAP_BYTES) -> None:
        self.cap = cap
        self._buf = bytearray()
        self.dropped_bytes = 0
        self.dropped_lines = 0

    def __len__(self) -> int:
        return len(self._buf)

    def append(self, chunk: bytes) -> None:
        self._buf += chunk
        if len(self._buf) <= self.cap:
            return
        cut = len(self._buf) - self.cap
        newline = self._buf.find(b"\n", cut - 1)  # keep whole lines: drop through a line end
        if newline >= 0 and newline < len(self._buf) - 1:
            cut = newline + 1
        self.dropped_lines += self._buf.count(b"\n", 0, cut)
        self.dropped_bytes += cut
        del self._buf[:cut]

    def text(self) -> bytes:
        """The kept output, after the truncation marker if anything was dropped."""
        if not self.dropped_bytes:
            return bytes(self._buf)
        return marker(self.dropped_bytes, self.dropped_lines, self.cap) + bytes(self._buf)

    def clear(self) -> None:
        self._buf.clear()
        self.dropped_bytes = 0
        self.dropped_lines = 0


def marker(dropped_bytes: int, dropped_lines: int, cap: int) -> bytes:
    return (
        f"[ovis] log output truncated: {dropped_bytes} bytes ({dropped_lines} lines) dropped "
        f"before this line; each invocation keeps its last {cap} bytes of output\n"
    ).encode()
