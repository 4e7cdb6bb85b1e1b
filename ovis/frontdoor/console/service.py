"""The console's router service: everything under ``/console``.

  GET  /console/                 the single page (index.html); /console redirects here
  GET  /console/static/NAME      the page's assets, from this package's static/ directory
  GET  /console/api/session      who is signed in, and the CSRF token the page must send
  POST /console/api/signin       {"AccessKeyId", "SecretAccessKey"[, "SessionToken"]}
  POST /console/api/signout
  GET  /console/api/runtimes     the runtimes this host runs (what Create offers)
  GET  /console/api/functions?q=&sort=name|runtime|memory|modified&order=asc|desc&page=&size=
  POST /console/api/functions    create from scratch {"FunctionName", "Runtime"[, "Role"]}
  GET  /console/api/functions/NAME
  GET  /console/api/functions/NAME/code            the package's files (text where editable)
  POST /console/api/functions/NAME/code            {"Files": {path: text}, "RevisionId"}: deploy
  POST /console/api/functions/NAME/zip             the body is a zip: UpdateFunctionCode
  POST /console/api/functions/NAME/delete          DeleteFunction
  POST /console/api/functions/NAME/configuration   {"MemorySize", "Timeout", "Environment"...}
  POST /console/api/functions/NAME/invoke          {"Payload": "<json text>"}
  POST /console/api/call/SERVICE/OPERATION         any operation, JSON in and out (calls.py)

The API is answered by parts (routes.py), asked in order; functions.py and calls.py are two;
apps.py (``/console/api/apps``) is given by the composition root.

Contract: every API call but ``session`` and ``signin`` needs a live session (cookie
``ovis_console``, HttpOnly, SameSite=Strict, Path=/console); every POST needs the CSRF token
in ``X-CSRF-Token`` (the session's, or before sign-in the pre-session token bound to the
``ovis_console_pre`` cookie), else 403 and nothing is done. Answers are JSON; errors are
``{"Error": {"Code", "Message"}}`` with the service's own status and code (a bad request is a
4xx, never a 500). Calls run as the signed-in key's principal in the server's account and
region. Pages are served with a Content-Security-Policy allowing only this origin, so the page
can load nothing from anywhere else.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Callable, Sequence
from http.cookies import SimpleCookie
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

from ovis.auth.credentials import CredentialBook
from ovis.errors import ApiError
from ovis.frontdoor.console.blueprints import ConsoleBlueprints
from ovis.frontdoor.console.calls import ConsoleCalls
from ovis.frontdoor.console.editor import BUNDLE, bundle_path
from ovis.frontdoor.console.functions import ConsoleFunctions
from ovis.frontdoor.console.routes import ConsoleError, ConsolePart, ConsoleRequest, json_doc
from ovis.frontdoor.console.sessions import Session, Sessions
from ovis.frontdoor.http import Receive, Scope, Send, read_body, respond
from ovis.services.calls import Caller, ServiceCalls

log = logging.getLogger("ovis.console")

PREFIX = "/console"
SESSION_COOKIE = "ovis_console"
PRE_COOKIE = "ovis_console_pre"
MAX_API_BODY = 6 * 1024 * 1024  # a small package's files, as JSON
MAX_ZIP_UPLOAD = 50 * 1024 * 1024  # Lambda's limit for a zip uploaded directly
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
# The page's policy adds a nonce, new at every response, to style-src: CodeMirror writes its
# styles into a <style> element (style-mod uses adopted style sheets only inside a shadow root)
# and stamps it with EditorView.cspNonce, which the page reads from its script element's nonce
# (hidden from the DOM's attributes, so markup injection cannot learn it). Unlike
# 'unsafe-inline', a <style> or style attribute injected without the nonce stays refused.
# (Only style-src names it: the script itself loads from 'self'.)
PAGE_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'nonce-{nonce}'")
PAGE_SCRIPT = b'<script type="module" '
# /console/static/codemirror.js when the editor bundle is not built (no npm at install time):
# the Code tab sees no EditorView and keeps its textarea, saying why.
NO_EDITOR = (
    b"// The editor bundle is not installed (make node-runtimes needs npm): plain textareas.\n"
    b'export const unavailable = "The code editor is not installed on this server '
    b'(building it needs npm); a plain text area is used instead.";\n'
)
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}


def _assets(editor_root: Path | None = None) -> dict[str, bytes]:
    """Every file of static/, read once at start (a handful of small files), and the editor
    bundle ``codemirror.js`` built by ``ovis.frontdoor.console.editor.install`` under
    ``editor_root`` (default: the venv's, ``bundle_dir()``), or a stub module saying it is
    missing."""
    root = resources.files("ovis.frontdoor.console") / "static"
    assets = {p.name: p.read_bytes() for p in root.iterdir() if p.is_file()}
    bundle = bundle_path(editor_root)
    assets[BUNDLE] = bundle.read_bytes() if bundle is not None else NO_EDITOR
    return assets


def _page(body: bytes) -> tuple[bytes, str]:
    """index.html with a fresh nonce on its script element, and the policy naming it."""
    nonce = secrets.token_urlsafe(18)
    tagged = body.replace(PAGE_SCRIPT, PAGE_SCRIPT + f'nonce="{nonce}" '.encode(), 1)
    return tagged, PAGE_CSP.format(nonce=nonce)


class ConsoleService:
    name = "console"

    def __init__(
        self,
        calls: ServiceCalls,
        credentials: CredentialBook,
        zip_path: Callable[[str], Path],
        key: bytes,
        account_id: str,
        region: str,
        runtimes: Sequence[str] = (),
        services: Sequence[str] = (),
        extra_parts: Sequence[ConsolePart] = (),  # parts the composition root adds (apps.py)
    ) -> None:
        self.sessions = Sessions(credentials, key)
        self.credentials = credentials
        self.functions = ConsoleFunctions(calls, zip_path)
        # the API's parts, asked in order (routes.py)
        self.parts: list[ConsolePart] = [
            self.functions,
            ConsoleCalls(calls, services),
            ConsoleBlueprints(calls),
            *extra_parts,
        ]
        self.account_id = account_id
        self.region = region
        self.assets = _assets()
        # what Create offers: the runtimes this host runs that have starter code, Python
        # first, newest first within a family
        self.runtimes = sorted(
            (r for r in runtimes if r.startswith(("python", "nodejs"))), key=_runtime_order
        )

    def match(self, scope: Scope) -> bool | None:
        path: str = scope["path"]
        return True if path == PREFIX or path.startswith(PREFIX + "/") else None

    async def serve(self, scope: Scope, receive: Receive, send: Send, token: Any) -> None:
        path: str = scope["path"]
        method: str = scope["method"]
        if path == PREFIX:
            await respond(send, 301, {"Location": PREFIX + "/"}, b"")
            return
        rest = path[len(PREFIX) :]
        if rest.startswith("/api/"):
            await self._api(scope, receive, send, method, rest[len("/api") :])
            return
        if method not in ("GET", "HEAD"):
            await self._json(send, 405, _err("MethodNotAllowed", "Use GET for pages."))
            return
        name = "index.html" if rest == "/" else rest.removeprefix("/static/")
        body = self.assets.get(name) if (rest == "/" or rest.startswith("/static/")) else None
        if body is None:
            await respond(send, 404, {"Content-Type": "text/plain"}, b"Not found")
            return
        ext = name[name.rfind(".") :]
        body, csp = _page(body) if name == "index.html" else (body, CSP)
        headers = {
            "Content-Type": TYPES.get(ext, "application/octet-stream"),
            "Content-Security-Policy": csp,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
            "Content-Length": str(len(body)),  # a HEAD answer states the length too
        }
        await respond(send, 200, headers, b"" if method == "HEAD" else body)

    # ---- the JSON API ------------------------------------------------------------------------

    async def _api(
        self, scope: Scope, receive: Receive, send: Send, method: str, path: str
    ) -> None:
        cookies = _cookies(scope)
        headers = _headers(scope)
        set_cookies: list[str] = []
        try:
            limit = MAX_ZIP_UPLOAD if path.endswith("/zip") else MAX_API_BODY
            body = await read_body(receive, limit)
            session = self.sessions.get(cookies.get(SESSION_COOKIE))
            if path == "/session" and method == "GET":
                out = self._session_info(session, cookies, set_cookies, scope)
            elif path == "/signin" and method == "POST":
                if not self.sessions.check_pre_token(
                    cookies.get(PRE_COOKIE), headers.get("x-csrf-token")
                ):
                    raise ConsoleError(403, "InvalidCsrfToken", "Missing or invalid CSRF token.")
                out = self._sign_in(json_doc(body), cookies, set_cookies, scope)
            else:
                if session is None:
                    raise ConsoleError(401, "NotSignedIn", "Sign in to use the console.")
                if method == "POST" and not Sessions.check_csrf(
                    session, headers.get("x-csrf-token")
                ):
                    raise ConsoleError(403, "InvalidCsrfToken", "Missing or invalid CSRF token.")
                if path == "/signout" and method == "POST":
                    self.sessions.sign_out(session.sid)
                    set_cookies.append(_cookie(SESSION_COOKIE, "", scope, expire=True))
                    out = {"SignedIn": False}
                else:
                    out = await self._route(session, method, path, scope, body)
            status = 200
        except ConsoleError as e:
            status, out = e.status, _err(e.code, e.message)
        except ApiError as e:
            status, out = e.status, _err(e.code, e.message)
        await self._json(send, status, out, set_cookies)

    def _session_info(
        self,
        session: Session | None,
        cookies: dict[str, str],
        set_cookies: list[str],
        scope: Scope,
    ) -> dict[str, Any]:
        if session is not None:
            return {"SignedIn": True, "AccessKeyId": session.access_key, "CsrfToken": session.csrf}
        nonce = cookies.get(PRE_COOKIE)
        if not nonce:
            nonce = secrets.token_urlsafe(24)
            set_cookies.append(_cookie(PRE_COOKIE, nonce, scope))
        return {"SignedIn": False, "CsrfToken": self.sessions.pre_token(nonce)}

    def _sign_in(
        self, doc: dict[str, Any], cookies: dict[str, str], set_cookies: list[str], scope: Scope
    ) -> dict[str, Any]:
        access_key, secret = doc.get("AccessKeyId"), doc.get("SecretAccessKey")
        token = doc.get("SessionToken") or ""
        if (
            not isinstance(access_key, str)
            or not isinstance(secret, str)
            or not isinstance(token, str)
        ):
            raise ConsoleError(
                400, "ValidationException", "AccessKeyId and SecretAccessKey are required."
            )
        old = cookies.get(SESSION_COOKIE)
        self.sessions.sign_out(old)  # a new session id at every sign-in (no fixation)
        session = self.sessions.sign_in(access_key, secret, token)
        if session is None:
            raise ConsoleError(
                401, "InvalidCredentials", "The access key or secret access key is not valid."
            )
        set_cookies.append(_cookie(SESSION_COOKIE, session.sid, scope))
        log.info("console sign-in by %s", access_key)
        return {"SignedIn": True, "AccessKeyId": access_key, "CsrfToken": session.csrf}

    async def _route(
        self, session: Session, method: str, path: str, scope: Scope, body: bytes
    ) -> dict[str, Any]:
        caller = Caller(
            self.account_id,
            self.region,
            self.credentials.principal(session.access_key).arn,
            session.access_key,
        )
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if parts == ["runtimes"] and method == "GET":
            return {"Runtimes": self.runtimes}
        query = {k: v[-1] for k, v in parse_qs(scope["query_string"].decode("latin-1")).items()}
        req = ConsoleRequest(caller, method, parts, query, body)
        for part in self.parts:
            out = await part.route(req)
            if out is not None:
                return out
        raise ConsoleError(404, "UnknownOperation", f"No console operation {method} {path}.")

    async def _json(
        self, send: Send, status: int, out: dict[str, Any], set_cookies: list[str] | None = None
    ) -> None:
        raw = [
            (b"content-type", b"application/json"),
            (b"cache-control", b"no-store"),
            (b"x-content-type-options", b"nosniff"),
        ]
        for c in set_cookies or []:
            raw.append((b"set-cookie", c.encode("latin-1")))
        body = json.dumps(out, default=str).encode()
        raw.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})


def _runtime_order(runtime: str) -> tuple[bool, str, int, int]:
    """python3.13 before python3.9 (versions compared as numbers); Python, then Node."""
    m = re.fullmatch(r"([a-z]+)(\d+)(?:\.(\d+)|\.x)?", runtime)
    if m is None:
        return (True, runtime, 0, 0)
    family = m.group(1)
    return (family != "python", family, -int(m.group(2)), -int(m.group(3) or 0))


def _err(code: str, message: str) -> dict[str, Any]:
    return {"Error": {"Code": code, "Message": message}}


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _cookies(scope: Scope) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for k, v in scope["headers"]:
        if k.lower() == b"cookie":
            try:
                jar.load(v.decode("latin-1"))
            except Exception:  # a malformed cookie header is treated as no cookie
                continue
    return {k: m.value for k, m in jar.items()}


def _cookie(name: str, value: str, scope: Scope, expire: bool = False) -> str:
    parts = [f"{name}={value}", "Path=/console", "HttpOnly", "SameSite=Strict"]
    if scope.get("scheme") == "https":
        parts.append("Secure")
    if expire:
        parts.append("Max-Age=0")
    return "; ".join(parts)
