"""Ovis's own unsigned endpoints under ``/_ovis/``: health, and presigned code downloads.

``GET /_ovis/health`` answers the composition root's health document (supervisor status plus
version and counts). ``GET /_ovis/code/<sha256>.zip?expires=..&signature=..`` serves a
deployment package for the URL ``CodeUrlSigner.url`` made (GetFunction's Code.Location),
until it expires; anything else answers S3's XML AccessDenied, as a bad presigned URL would.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from ovis.frontdoor.http import Receive, Scope, Send, respond

PREFIX = "/_ovis/"
CODE_PREFIX = "/_ovis/code/"


class CodeUrlSigner:
    """Presigned, expiring download URLs for deployment packages (GetFunction's Code.Location)."""

    def __init__(self, base_url: str, secret: bytes, ttl_s: int = 600) -> None:
        self.base_url = base_url
        self.secret = secret
        self.ttl_s = ttl_s

    def _sig(self, digest: str, expires: int) -> str:
        return hmac.new(self.secret, f"{digest}:{expires}".encode(), hashlib.sha256).hexdigest()

    def url(self, digest: str) -> str:
        expires = int(time.time()) + self.ttl_s
        sig = self._sig(digest, expires)
        return f"{self.base_url}/_ovis/code/{digest}.zip?expires={expires}&signature={sig}"

    def check(self, digest: str, expires: str, signature: str) -> bool:
        try:
            exp = int(expires)
        except ValueError:
            return False
        return exp >= time.time() and hmac.compare_digest(self._sig(digest, exp), signature)


class InternalService:
    """A router service: claims every ``/_ovis/`` path the services before it left."""

    name = "internal"

    def __init__(
        self,
        code_root: Callable[[str], Path],
        signer: CodeUrlSigner,
        health: Callable[[], dict[str, Any]],
    ) -> None:
        self.code_root = code_root
        self.signer = signer
        self.health = health

    def match(self, scope: Scope) -> bool | None:
        path: str = scope["path"]
        return True if path.startswith(PREFIX) else None

    async def serve(self, scope: Scope, receive: Receive, send: Send, token: Any) -> None:
        path: str = scope["path"]
        if path == "/_ovis/health":
            doc = json.dumps(self.health()).encode()
            await respond(send, 200, {"Content-Type": "application/json"}, doc)
            return
        if path.startswith(CODE_PREFIX) and path.endswith(".zip"):
            await self._code(scope, send, path[len(CODE_PREFIX) : -4])
            return
        await respond(send, 404, {"Content-Type": "application/json"}, b'{"message":"not found"}')

    async def _code(self, scope: Scope, send: Send, digest: str) -> None:
        q = parse_qs(scope["query_string"].decode("latin-1"))
        ok = self.signer.check(digest, q.get("expires", [""])[0], q.get("signature", [""])[0])
        zip_path = self.code_root(digest)
        if ok and len(digest) == 64 and zip_path.is_file():
            await respond(send, 200, {"Content-Type": "application/zip"}, zip_path.read_bytes())
            return
        await respond(
            send,
            403,
            {"Content-Type": "application/xml"},
            b"<Error><Code>AccessDenied</Code><Message>Request has expired or "
            b"the signature does not match</Message></Error>",
        )
