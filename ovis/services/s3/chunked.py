"""aws-chunked request bodies (``Content-Encoding: aws-chunked``), decoded incrementally.

Wire form: ``<hex size>[;chunk-signature=<sig>]\\r\\n<data>\\r\\n`` ... a zero-size chunk, then
optional trailer lines (``x-amz-checksum-crc32:<b64>``, ``x-amz-trailer-signature:<sig>``) and a
blank line. With a signed payload (``STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]``) every
chunk's signature chains from the request's seed signature and is checked when the chunk ends;
the trailer's when the body ends. A body that ends early, or is malformed, raises S3's error;
the caller must then discard everything it wrote (nothing is stored until the end).
"""

from __future__ import annotations

import hashlib
import hmac

from ovis.auth.sigv4 import SignedPayload
from ovis.services.s3.errors import IncompleteBody, InvalidRequest, SignatureDoesNotMatch

_MAX_LINE = 4096


class ChunkDecoder:
    """Feed raw body bytes; get the decoded data back. ``finish()`` checks the end."""

    def __init__(self, signed: SignedPayload | None) -> None:
        # signed: None for STREAMING-UNSIGNED-PAYLOAD-TRAILER (no chunk signatures)
        self._signed = signed
        self._previous = signed.seed if signed is not None else ""
        self._buf = bytearray()
        self._left = -1  # data bytes left in the current chunk; -1: reading a size line
        self._crlf = False  # expecting the CRLF after a chunk's data
        self._sig = ""
        self._chunk_hash = hashlib.sha256()
        self._done = False  # the zero chunk was read
        self._ended = False  # the trailer's blank line was read
        self.trailers: dict[str, str] = {}
        self._trailer_bytes = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        out: list[bytes] = []
        buf = self._buf
        while buf:
            if self._ended:
                raise InvalidRequest("Unexpected data after the end of an aws-chunked body.")
            if self._done:
                if not self._trailer_line():
                    break
                continue
            if self._crlf:
                if len(buf) < 2:
                    break
                if buf[:2] != b"\r\n":
                    raise InvalidRequest("Invalid aws-chunked body: missing CRLF after a chunk.")
                del buf[:2]
                self._crlf = False
                self._end_chunk()
                continue
            if self._left < 0:
                i = buf.find(b"\r\n")
                if i < 0:
                    if len(buf) > _MAX_LINE:
                        raise InvalidRequest("Invalid aws-chunked body: chunk header too long.")
                    break
                self._start_chunk(bytes(buf[:i]))
                del buf[: i + 2]
                continue
            take = min(self._left, len(buf))
            piece = bytes(buf[:take])
            del buf[:take]
            self._left -= take
            if self._signed is not None:
                self._chunk_hash.update(piece)
            if piece:
                out.append(piece)
            if self._left == 0:
                self._left = -1
                self._crlf = True
        return out

    def finish(self) -> dict[str, str]:
        """The trailers; raises if the body stopped before its end."""
        if not self._done or (self._buf and not self._ended):
            if self._done and self._trailer_line(final=True):
                return self.trailers
            raise IncompleteBody()
        return self.trailers

    def _start_chunk(self, line: bytes) -> None:
        size_text, _, ext = line.partition(b";")
        try:
            size = int(size_text.strip(), 16)
        except ValueError:
            raise InvalidRequest("Invalid aws-chunked body: bad chunk size.") from None
        sig = ""
        if ext.startswith(b"chunk-signature="):
            sig = ext[len(b"chunk-signature=") :].decode("latin-1").strip()
        if self._signed is not None and not sig:
            raise SignatureDoesNotMatch("A chunk of a signed aws-chunked body has no signature.")
        self._sig = sig
        self._chunk_hash = hashlib.sha256()
        if size == 0:
            self._end_chunk()
            self._done = True
        else:
            self._left = size

    def _end_chunk(self) -> None:
        if self._signed is None:
            return
        want = self._signed.chunk_signature(self._previous, self._chunk_hash.hexdigest())
        if not hmac.compare_digest(want, self._sig):
            raise SignatureDoesNotMatch()
        self._previous = want

    def _trailer_line(self, final: bool = False) -> bool:
        buf = self._buf
        i = buf.find(b"\r\n")
        if i < 0:
            if not final or not buf:
                if len(buf) > _MAX_LINE:
                    raise InvalidRequest("Invalid aws-chunked body: trailer too long.")
                return False
            i = len(buf)  # a last line without CRLF
        line = bytes(buf[:i])
        del buf[: i + 2]
        if not line:
            self._ended = True
            return True
        name, sep, value = line.decode("latin-1").partition(":")
        if not sep:
            raise InvalidRequest("Invalid aws-chunked body: malformed trailer.")
        name = name.strip().lower()
        if name == "x-amz-trailer-signature":
            if self._signed is not None:
                want = self._signed.trailer_signature(self._previous, bytes(self._trailer_bytes))
                if not hmac.compare_digest(want, value.strip()):
                    raise SignatureDoesNotMatch()
        else:
            self.trailers[name] = value.strip()
            self._trailer_bytes += line + b"\n"
        if final:
            self._ended = True
        return True
