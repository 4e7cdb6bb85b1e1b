"""A small HTTP/1.1 client for delivering to http(s) subscriptions (one POST per connection).

Contract: ``post`` sends one request with a Content-Length body and answers the response's
status code; it raises OSError (refused, reset, TLS failure) or TimeoutError (no complete
status line within ``timeout_s``). The response body is read and discarded. https uses the
system's default TLS verification. Enough for SNS's deliveries; no redirects, no keep-alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from urllib.parse import urlsplit


class HttpClient:
    async def post(self, url: str, headers: dict[str, str], body: bytes, timeout_s: float) -> int:
        return await asyncio.wait_for(self._post(url, headers, body), timeout_s)

    async def _post(self, url: str, headers: dict[str, str], body: bytes) -> int:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise OSError(f"not an http(s) URL: {url}")
        tls = parts.scheme == "https"
        port = parts.port or (443 if tls else 80)
        reader, writer = await asyncio.open_connection(
            parts.hostname, port, ssl=ssl.create_default_context() if tls else None
        )
        try:
            target = parts.path or "/"
            if parts.query:
                target += "?" + parts.query
            host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
            lines = [f"POST {target} HTTP/1.1", f"Host: {host}", "Connection: close"]
            lines += [f"{k}: {v}" for k, v in headers.items()]
            lines.append(f"Content-Length: {len(body)}")
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            await writer.drain()
            status_line = await reader.readline()
            fields = status_line.decode("latin-1").split(" ", 2)
            if len(fields) < 2 or not fields[0].startswith("HTTP/"):
                raise OSError(f"not an HTTP response from {url}")
            try:
                status = int(fields[1])
            except ValueError:
                raise OSError(f"not an HTTP response from {url}") from None
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass  # headers: the status is all SNS reads
            return status
        finally:
            writer.close()
            with contextlib.suppress(OSError, ssl.SSLError):
                await writer.wait_closed()
