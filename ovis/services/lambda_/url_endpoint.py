"""Serving function URLs: HTTP requests in, payload format 2.0 events to the function, HTTP out.

A request is for a function URL when its Host is ``<url-id>.lambda-url.<region>.localhost[:port]``
or, for clients that cannot resolve wildcard names, its path is ``/_ovis/url/<url-id>/<path...>``
(the function then sees ``/<path...>``). Per request, as AWS does:

1. CORS preflight (OPTIONS with Origin and Access-Control-Request-Method on a URL with a Cors
   configuration) is answered from the configuration without invoking the function.
2. Auth: AuthType NONE needs a resource policy statement allowing ``lambda:InvokeFunctionUrl``
   to Principal "*" (with Condition ``lambda:FunctionUrlAuthType`` NONE); AWS_IAM needs a valid
   SigV4 signature for service ``lambda`` by the account's own credentials (allowed as IAM
   identity policies would) or by another account that a statement names. Else 403.
3. The event (version 2.0: rawPath, rawQueryString, cookies, headers, queryStringParameters,
   requestContext, body, isBase64Encoded) is invoked synchronously; the result is mapped back:
   a dict with statusCode is the response, any other JSON value becomes a 200 application/json
   response. Function errors answer 502, throttles 429, oversized requests 413.
4. InvokeMode RESPONSE_STREAM: a function that streams its response (a custom runtime or
   Node.js ``awslambda.streamifyResponse``) is relayed chunk by chunk while it runs; with
   ``awslambda.HttpResponseStream.from`` (content type
   ``application/vnd.awslambda.http-integration-response``) the body starts with a JSON prelude
   {statusCode, headers, cookies} and 8 NUL bytes, which become the status line and headers.
   A function that answers without streaming is mapped as in BUFFERED mode.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote

from ovis.auth.sigv4 import SigV4Verifier
from ovis.errors import ApiError, AuthError, TooManyRequestsException
from ovis.invoke.invoker import Invoker, InvokeResult
from ovis.sandbox.instance import Invocation
from ovis.sandbox.streaming import HTTP_INTEGRATION_CONTENT_TYPE, ResponseStream
from ovis.services.lambda_.invocation import MAX_SYNC_PAYLOAD
from ovis.services.lambda_.invocation import trace_id as _trace_id
from ovis.services.lambda_.permissions import PolicyService
from ovis.services.lambda_.streaming import start_streaming
from ovis.services.lambda_.urls import UrlConfig, UrlService

log = logging.getLogger(__name__)

PATH_PREFIX = "/_ovis/url/"
_HOST = re.compile(
    rb"([a-z0-9]{32})\.lambda-url\.([a-z0-9-]+)\.localhost\.?(?::\d+)?", re.IGNORECASE
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Request bodies sent as text; anything else reaches the function base64-encoded.
_TEXT_TYPES = re.compile(
    r"text/.*|application/(json|javascript|xml|([\w.+-]+\+(json|xml)))", re.IGNORECASE
)
_PRELUDE_END = b"\x00" * 8
_DRAIN_LIMIT = 64 * 1024 * 1024
_HOP_BY_HOP = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Headers = list[tuple[str, str]]


class _Reply(Exception):
    """Answer the request now with this status and {"Message": message}; ``why`` is what the
    server log says (the client sees only AWS's terse message, as on AWS)."""

    def __init__(self, status: int, message: str, why: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.why = why


FORBIDDEN = (403, "Forbidden")
INTERNAL = (502, "Internal Server Error")


class FunctionUrls:
    """The function-URL HTTP endpoint: a front-door router service placed before AWS routing
    (URLs authorize on their own, so SigV4 is not required of their callers)."""

    name = "function-urls"

    def __init__(
        self,
        urls: UrlService,
        policies: PolicyService,
        invoker: Invoker,
        verifier: SigV4Verifier,
        accounts: Mapping[str, str],
    ) -> None:
        self.urls = urls
        self.policies = policies
        self.invoker = invoker
        self.functions = urls.functions
        self.settings = urls.settings
        self.verifier = verifier  # knows the account's credentials and other accounts'
        self.accounts = accounts  # access key -> account id, for other accounts' keys

    # ---- routing -------------------------------------------------------------------------

    def match(self, scope: Scope) -> tuple[str, str] | None:
        """(url-id, the path the function sees) when the request is for a function URL."""
        raw: bytes = scope.get("raw_path") or scope["path"].encode()
        if raw.startswith(PATH_PREFIX.encode()):
            url_id, _, rest = raw[len(PATH_PREFIX) :].partition(b"/")
            return url_id.decode("latin-1").lower(), "/" + rest.decode("latin-1")
        for name, value in scope["headers"]:
            if name == b"host":
                m = _HOST.fullmatch(value)
                if m is None or m[2].decode() != self.settings.region:
                    return None
                return m[1].decode().lower(), raw.decode("latin-1")
        return None

    # ---- one request ---------------------------------------------------------------------

    async def serve(
        self, scope: Scope, receive: Receive, send: Send, token: tuple[str, str]
    ) -> None:
        """Answer one request ``match`` claimed (``token`` is what it returned); never raises
        for a request's own faults: every outcome is an HTTP response."""
        url_id, raw_path = token
        rid = str(uuid.uuid4())
        trace = _trace_id(rid)
        base = [("x-amzn-RequestId", rid), ("X-Amzn-Trace-Id", trace.split(";")[0])]
        cfg = self.urls.by_id(url_id)
        try:
            if cfg is None:
                raise _Reply(*FORBIDDEN, "no function URL has this id")
            body = await _read_body(receive, MAX_SYNC_PAYLOAD)
            headers = _header_map(scope["headers"])
            origin = headers.get("origin")
            if (
                scope["method"] == "OPTIONS"
                and cfg.cors
                and origin is not None
                and "access-control-request-method" in headers
            ):
                await _respond(send, 200, base + _preflight(cfg.cors, origin, headers), b"")
                return
            authorizer = self._authorize(cfg, scope, body)
            event = self._event(cfg, scope, headers, raw_path, body, rid, authorizer)
            if len(event) > MAX_SYNC_PAYLOAD:
                raise _Reply(413, "Request Entity Too Large")
            cors = _cors_headers(cfg.cors, origin) if cfg.cors else []
            await self._invoke(cfg, event, rid, trace, base, cors, send)
        except _Reply as r:
            log.info(
                "function URL %s %s %s: %d %s",
                url_id,
                scope["method"],
                raw_path,
                r.status,
                r.why or r.message,
            )
            out = json.dumps({"Message": r.message}, separators=(",", ":")).encode()
            await _respond(send, r.status, [*base, ("Content-Type", "application/json")], out)
        except Exception:
            log.exception("unhandled error serving function URL %s", url_id)
            out = b'{"Message":"Internal Server Error"}'
            with contextlib.suppress(Exception):  # fails if the response already started
                await _respond(send, 500, [*base, ("Content-Type", "application/json")], out)

    def _authorize(self, cfg: UrlConfig, scope: Scope, body: bytes) -> dict[str, Any] | None:
        """The requestContext.authorizer for AWS_IAM callers; raises _Reply(403) if denied."""
        if cfg.auth_type == "NONE":
            if not self.policies.allows_url(cfg.function, cfg.qualifier, "NONE", None):
                raise _Reply(
                    *FORBIDDEN,
                    "AuthType NONE, but no resource policy statement allows "
                    "lambda:InvokeFunctionUrl for Principal * with FunctionUrlAuthType NONE",
                )
            return None
        raw = scope.get("raw_path") or scope["path"].encode()
        try:
            ident = self.verifier.verify(
                scope["method"], raw, scope["query_string"], scope["headers"], body
            )
        except AuthError as e:
            raise _Reply(*FORBIDDEN, f"AuthType AWS_IAM: {e}") from None
        if ident.service != "lambda":
            raise _Reply(*FORBIDDEN, f"AuthType AWS_IAM: signed for {ident.service}, not lambda")
        account = self.accounts.get(ident.access_key, self.settings.account_id)
        own = account == self.settings.account_id
        if not own and not self.policies.allows_url(
            cfg.function, cfg.qualifier, "AWS_IAM", account
        ):
            raise _Reply(
                *FORBIDDEN,
                f"AuthType AWS_IAM: account {account} is not allowed by the resource policy",
            )
        return {
            "iam": {
                "accessKey": ident.access_key,
                "accountId": account,
                "callerId": account,
                "cognitoIdentity": None,
                "principalOrgId": None,
                "userArn": f"arn:aws:iam::{account}:root",
                "userId": account,
            }
        }

    def _event(
        self,
        cfg: UrlConfig,
        scope: Scope,
        headers: dict[str, str],
        raw_path: str,
        body: bytes,
        rid: str,
        authorizer: dict[str, Any] | None,
    ) -> bytes:
        """The payload format 2.0 event for this request."""
        now = time.time()
        headers = dict(headers)
        cookie = headers.pop("cookie", None)
        client = scope.get("client") or ("127.0.0.1", 0)
        server = scope.get("server") or ("127.0.0.1", self.settings.port)
        headers.setdefault("x-forwarded-for", client[0])
        headers.setdefault("x-forwarded-proto", scope.get("scheme", "http"))
        headers.setdefault("x-forwarded-port", str(server[1]))
        headers.setdefault("x-amzn-trace-id", _trace_id(rid).split(";")[0])
        query: str = scope["query_string"].decode("latin-1")
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": raw_path,
            "rawQueryString": query,
        }
        if cookie:
            event["cookies"] = [c.strip() for c in cookie.split(";") if c.strip()]
        event["headers"] = headers
        if query:
            params: dict[str, str] = {}
            for k, v in parse_qsl(query, keep_blank_values=True):
                params[k] = f"{params[k]},{v}" if k in params else v
            event["queryStringParameters"] = params
        gm = time.gmtime(now)
        context: dict[str, Any] = {
            "accountId": "anonymous" if authorizer is None else self.settings.account_id,
            "apiId": cfg.url_id,
            "domainName": self.urls.host(cfg.url_id),
            "domainPrefix": cfg.url_id,
            "http": {
                "method": scope["method"],
                "path": unquote(raw_path),
                "protocol": f"HTTP/{scope.get('http_version', '1.1')}",
                "sourceIp": client[0],
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": rid,
            "routeKey": "$default",
            "stage": "$default",
            "time": (
                f"{gm.tm_mday:02d}/{_MONTHS[gm.tm_mon - 1]}/{gm.tm_year}:"
                f"{gm.tm_hour:02d}:{gm.tm_min:02d}:{gm.tm_sec:02d} +0000"
            ),
            "timeEpoch": int(now * 1000),
        }
        if authorizer is not None:
            context["authorizer"] = authorizer
        event["requestContext"] = context
        if body:
            text = _TEXT_TYPES.fullmatch(headers.get("content-type", "").split(";")[0].strip())
            if text is not None:
                try:
                    event["body"] = body.decode("utf-8")
                    event["isBase64Encoded"] = False
                except UnicodeDecodeError:
                    text = None
            if text is None:
                event["body"] = base64.b64encode(body).decode()
                event["isBase64Encoded"] = True
        else:
            event["isBase64Encoded"] = False
        return json.dumps(event, separators=(",", ":")).encode()

    async def _invoke(
        self,
        cfg: UrlConfig,
        event: bytes,
        rid: str,
        trace: str,
        base: Headers,
        cors: Headers,
        send: Send,
    ) -> None:
        q = cfg.qualifier or None
        stream = ResponseStream() if cfg.invoke_mode == "RESPONSE_STREAM" else None
        inv = Invocation(
            rid, event, self.functions.arn(cfg.function, q), trace_id=trace, stream=stream
        )
        target = (cfg.function, cfg.qualifier) if q else None
        try:
            version = self.invoker.resolve(cfg.function, q)
            if stream is None:
                res = await self.invoker.invoke(version, inv, target=target)
            else:
                task, streamed = await start_streaming(
                    self.invoker, version, inv, stream, False, target
                )
                if streamed:
                    await self._relay(stream, task, base, cors, send)
                    return
                res = task.result()
        except TooManyRequestsException as e:
            raise _Reply(429, "Too Many Requests", f"throttled: {e.extra.get('Reason')}") from None
        except ApiError as e:
            log.info("function URL %s: %s: %s", cfg.url_id, e.code, e.message)
            raise _Reply(*INTERNAL) from None
        status, headers, body = _map_response(res)
        await _respond(send, status, base + _merge_cors(headers, cors), body)

    async def _relay(
        self,
        stream: ResponseStream,
        task: Any,
        base: Headers,
        cors: Headers,
        send: Send,
    ) -> None:
        """Send a streamed response as it arrives."""
        status, headers, first = 200, [("Content-Type", stream.content_type)], b""
        if stream.content_type.split(";")[0].strip() == HTTP_INTEGRATION_CONTENT_TYPE:
            buf = b""
            while _PRELUDE_END not in buf:
                chunk = await stream.read()
                if not chunk:
                    break
                buf += chunk
            prelude, sep, first = buf.partition(_PRELUDE_END)
            if not sep:  # ended without a prelude: what came is the body
                first = prelude
            else:
                status, headers = _prelude(prelude)
        else:
            first = await stream.read()
        if not first and stream.done:
            res: InvokeResult = await task
            if res.function_error:
                raise _Reply(*INTERNAL)
        raw = [
            (k.encode("latin-1"), v.encode("latin-1")) for k, v in base + _merge_cors(headers, cors)
        ]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        chunk = first
        try:
            while chunk:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                chunk = await stream.read()
        finally:
            await send({"type": "http.response.body", "body": b""})
        try:
            await task  # logs, concurrency: the invocation ends before the request does
        except Exception:
            log.exception("streamed invocation failed")


# ---- responses ---------------------------------------------------------------------------


def _map_response(res: InvokeResult) -> tuple[int, Headers, bytes]:
    """AWS's mapping of a function result to an HTTP response (payload format 2.0)."""
    if res.function_error:
        raise _Reply(*INTERNAL)
    try:
        obj = json.loads(res.payload) if res.payload else None
    except (ValueError, RecursionError):
        return 200, [("Content-Type", "application/json")], res.payload
    if not isinstance(obj, dict) or "statusCode" not in obj:
        if isinstance(obj, str):
            return 200, [("Content-Type", "application/json")], obj.encode()
        body = res.payload if obj is not None else b""
        return 200, [("Content-Type", "application/json")], body
    status = obj["statusCode"]
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise _Reply(*INTERNAL)
    headers = _headers_of(obj.get("headers"), obj.get("cookies"))
    given = obj.get("body")
    if given is None:
        data = b""
    elif isinstance(given, str):
        data = given.encode()
    else:
        data = json.dumps(given).encode()
    if obj.get("isBase64Encoded") and data:
        try:
            data = base64.b64decode(data, validate=True)
        except ValueError:
            raise _Reply(*INTERNAL) from None
    return status, headers, data


def _headers_of(headers: Any, cookies: Any) -> Headers:
    out: Headers = []
    if isinstance(headers, dict):
        for k, v in headers.items():
            if isinstance(v, bool):
                value = "true" if v else "false"
            elif isinstance(v, str):
                value = v
            elif isinstance(v, int | float):
                value = str(v)
            else:
                value = "" if v is None else json.dumps(v)
            if str(k).lower() in _HOP_BY_HOP or not _header_safe(str(k), value):
                continue
            out.append((str(k), value))
    if isinstance(cookies, list):
        out.extend(("Set-Cookie", str(c)) for c in cookies if _header_safe("Set-Cookie", str(c)))
    return out


def _header_safe(name: str, value: str) -> bool:
    try:
        name.encode("latin-1")
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return bool(name) and not any(c in name + value for c in "\r\n\0")


def _prelude(data: bytes) -> tuple[int, Headers]:
    """Status and headers from an HttpResponseStream prelude."""
    try:
        obj = json.loads(data or b"{}")
    except ValueError:
        obj = {}
    if not isinstance(obj, dict):
        obj = {}
    status = obj.get("statusCode", 200)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        status = 200
    headers = _headers_of(obj.get("headers"), obj.get("cookies"))
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", "application/octet-stream"))
    return status, headers


# ---- CORS --------------------------------------------------------------------------------


def _allowed_origin(cors: dict[str, Any], origin: str) -> str | None:
    """The Access-Control-Allow-Origin value for ``origin``, None if it is not allowed."""
    for allowed in cors.get("AllowOrigins") or ():
        if allowed == "*":
            return origin if cors.get("AllowCredentials") else "*"
        if allowed.rstrip("/").lower() == origin.rstrip("/").lower():
            return origin
    return None


def _preflight(cors: dict[str, Any], origin: str, headers: dict[str, str]) -> Headers:
    out: Headers = [("Vary", "Origin")]
    value = _allowed_origin(cors, origin)
    if value is None:
        return out
    out.append(("Access-Control-Allow-Origin", value))
    methods = [m.upper() for m in cors.get("AllowMethods") or ()]
    if "*" in methods:
        out.append(("Access-Control-Allow-Methods", headers["access-control-request-method"]))
    elif methods:
        out.append(("Access-Control-Allow-Methods", ",".join(methods)))
    allow_headers = [h.lower() for h in cors.get("AllowHeaders") or ()]
    requested = headers.get("access-control-request-headers")
    if "*" in allow_headers and requested:
        out.append(("Access-Control-Allow-Headers", requested))
    elif allow_headers:
        out.append(("Access-Control-Allow-Headers", ",".join(allow_headers)))
    if cors.get("MaxAge") is not None:
        out.append(("Access-Control-Max-Age", str(cors["MaxAge"])))
    if cors.get("AllowCredentials"):
        out.append(("Access-Control-Allow-Credentials", "true"))
    return out


def _cors_headers(cors: dict[str, Any], origin: str | None) -> Headers:
    """CORS headers of a normal response (they replace any the function set)."""
    out: Headers = [("Vary", "Origin")]
    value = _allowed_origin(cors, origin) if origin is not None else None
    if value is None:
        return out
    out.append(("Access-Control-Allow-Origin", value))
    if cors.get("AllowCredentials"):
        out.append(("Access-Control-Allow-Credentials", "true"))
    if cors.get("ExposeHeaders"):
        out.append(("Access-Control-Expose-Headers", ",".join(cors["ExposeHeaders"])))
    return out


def _merge_cors(headers: Headers, cors: Headers) -> Headers:
    if not cors:
        return headers
    kept = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
    return kept + cors


# ---- HTTP plumbing -----------------------------------------------------------------------


def _header_map(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Lower-cased names; repeated headers comma-joined (payload format 2.0)."""
    out: dict[str, str] = {}
    for k, v in raw:
        name, value = k.decode("latin-1").lower(), v.decode("latin-1")
        out[name] = f"{out[name]},{value}" if name in out else value
    return out


async def _read_body(receive: Receive, limit: int) -> bytes:
    """The request body; past ``limit`` the rest is read and dropped (so the client can read
    the 413 instead of a reset connection), up to a bound."""
    chunks: list[bytes] = []
    size = 0
    while True:
        msg = await receive()
        chunk = msg.get("body", b"")
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        if not msg.get("more_body") or size > _DRAIN_LIMIT:
            if size > limit:
                raise _Reply(413, "Request Entity Too Large")
            return b"".join(chunks)


async def _respond(send: Send, status: int, headers: Headers, body: bytes) -> None:
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
