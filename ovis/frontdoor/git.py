"""Git hosting: the applications' repositories at ``/git/NAME.git`` over smart HTTP, each
request served by ``git http-backend`` (CGI, one subprocess per request).

Authentication is HTTP Basic with an access key id as the user and its secret as the password,
checked against the server's credential book (its long-term keys); fetches and pushes both
need it (401 with a ``WWW-Authenticate`` challenge otherwise, so git asks for credentials).

A push triggers the pipeline without any polling: the refs are read before and after the
``git-receive-pack`` request, and the ones it changed go to ``on_push`` before the response is
sent, so when ``git push`` returns its run is already Queued.

Contract: only ``/git/NAME.git/...`` of an existing application's repository is served (404
otherwise); SigV4-signed requests are left to S3 (a bucket named ``git``); request bodies are
bounded like every other front-door body.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import logging
import os
import re
from collections.abc import Awaitable, Callable
from typing import Any

from ovis.apps.gitrepos import GitError, GitRepos
from ovis.auth.credentials import CredentialBook
from ovis.errors import ApiError
from ovis.frontdoor.http import MAX_BODY_BYTES, Receive, Scope, Send, read_body, respond

log = logging.getLogger("ovis.git")

PREFIX = "/git/"
PATH = re.compile(r"/git/([A-Za-z][A-Za-z0-9-]{0,62})\.git(/.*)?")
CGI_TIMEOUT_S = 300.0

OnPush = Callable[[str, dict[str, str]], Awaitable[Any]]


def _text(
    status: int, message: str, extra: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    return (
        status,
        {"Content-Type": "text/plain; charset=utf-8", **(extra or {})},
        (message + "\n").encode(),
    )


class GitService:
    name = "git"

    def __init__(self, repos: GitRepos, credentials: CredentialBook, on_push: OnPush) -> None:
        self.repos = repos
        self.credentials = credentials
        self.on_push = on_push

    def match(self, scope: Scope) -> bool | None:
        """``/git/NAME.git...`` unless the request is SigV4-signed: that is S3 (path style,
        a bucket named ``git``), which git clients never send."""
        path: str = scope["path"]
        if not path.startswith(PREFIX) or PATH.fullmatch(path) is None:
            return None
        for k, v in scope["headers"]:
            if k.lower() == b"authorization" and v.startswith(b"AWS4-"):
                return None
        if b"X-Amz-Signature=" in scope["query_string"]:
            return None
        return True

    def _user(self, headers: list[tuple[bytes, bytes]]) -> str | None:
        """The access key of a valid Basic authorization, else None."""
        value = next((v for k, v in headers if k.lower() == b"authorization"), b"")
        scheme, _, encoded = value.decode("latin-1").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        found = self.credentials.lookup(user) if self.credentials.is_static(user) else None
        if found is None or not hmac.compare_digest(found.secret.encode(), password.encode()):
            return None
        return user

    async def serve(self, scope: Scope, receive: Receive, send: Send, token: Any) -> None:
        try:
            status, headers, body = await self._serve(scope, receive)
        except ApiError as e:
            status, headers, body = _text(e.status, e.message)
        await respond(send, status, headers, body)

    async def _serve(self, scope: Scope, receive: Receive) -> tuple[int, dict[str, str], bytes]:
        m = PATH.fullmatch(scope["path"])
        if m is None or not self.repos.exists(m.group(1)):
            return _text(404, "Repository not found.")
        name, rest = m.group(1), m.group(2) or "/"
        user = self._user(scope["headers"])
        if user is None:
            return _text(
                401,
                "Authentication required: the user is an access key id, the password its secret.",
                {"WWW-Authenticate": 'Basic realm="Ovis git", charset="UTF-8"'},
            )
        body = await read_body(receive, MAX_BODY_BYTES)
        pushing = rest == "/git-receive-pack" and scope["method"] == "POST"
        before = await asyncio.to_thread(self.repos.refs, name) if pushing else {}
        out = await self._cgi(scope, name, rest, user, body)
        if pushing:
            try:
                after = await asyncio.to_thread(self.repos.refs, name)
            except GitError as e:
                log.error("cannot read the refs of %s after a push: %s", name, e)
            else:
                changed = {r: sha for r, sha in after.items() if before.get(r) != sha}
                if changed:
                    await self.on_push(name, changed)
        return out

    async def _cgi(
        self, scope: Scope, name: str, rest: str, user: str, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(self.repos.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": "/nonexistent",
            "REQUEST_METHOD": scope["method"],
            "PATH_INFO": f"/{name}.git{rest}",
            "QUERY_STRING": scope["query_string"].decode("latin-1"),
            "CONTENT_TYPE": headers.get("content-type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": user,
            "REMOTE_ADDR": (scope.get("client") or ("127.0.0.1", 0))[0],
            "SERVER_PROTOCOL": "HTTP/1.1",
            "GATEWAY_INTERFACE": "CGI/1.1",
        }
        if "content-encoding" in headers:
            env["HTTP_CONTENT_ENCODING"] = headers["content-encoding"]
        if "git-protocol" in headers:
            env["GIT_PROTOCOL"] = headers["git-protocol"]
        proc = await asyncio.create_subprocess_exec(
            "git",
            "http-backend",
            env=env,
            # no body (a GET): no pipe, since writing b"" to one the backend has already
            # closed fails under uvloop
            stdin=asyncio.subprocess.PIPE if body else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(body or None), CGI_TIMEOUT_S)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            return _text(504, "git http-backend did not answer in time.")
        parsed = _parse_cgi(out)
        if err or parsed[0] >= 500:
            log.log(
                logging.WARNING if parsed[0] >= 500 else logging.INFO,
                "git http-backend %s %s%s: %d %s",
                scope["method"],
                name,
                rest,
                parsed[0],
                err.decode("utf-8", "replace").strip(),
            )
        return parsed


def _parse_cgi(out: bytes) -> tuple[int, dict[str, str], bytes]:
    """A CGI response: headers (``Status:`` among them) to the first blank line, then the body."""
    for sep in (b"\r\n\r\n", b"\n\n"):
        head, found, body = out.partition(sep)
        if found:
            break
    else:
        return _text(502, "git http-backend answered no headers.")
    status = 200
    headers: dict[str, str] = {}
    for line in head.decode("latin-1").splitlines():
        key, _, value = line.partition(":")
        if key.lower() == "status":
            status = int(value.strip().split(" ", 1)[0])
        elif key:
            headers[key.strip()] = value.strip()
    return status, headers, body
