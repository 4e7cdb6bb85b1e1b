"""The ASGI application: authentication, routing by protocol, AWS-shaped errors.

Per request: read the body (bounded), verify SigV4, dispatch — Lambda REST routes through the
botocore model, JSON-1.1 ``X-Amz-Target`` calls to the Logs API, ``/_ovis/*`` for health and code
downloads — and render. Any ApiError becomes AWS's JSON error with ``x-amzn-ErrorType``; anything
unexpected is logged and answered as a ServiceException, never as a bare 500 page.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from ovis.frontdoor.admin import AdminApi
from ovis.services.autoscaling.operations import AutoscalingApi
from ovis.services.lambda_.url_endpoint import FunctionUrls
from ovis.services.lambda_.function_ops import LambdaApi
from ovis.services.logs.operations import LogsApi
from ovis.frontdoor.legacy_codecs import Request, RestJsonService
from ovis.frontdoor.sigv4 import SigV4Verifier
from ovis.services.sqs.operations import SqsApi
from ovis.services.lambda_.streaming import StreamingBody
from ovis.errors import ApiError, RequestEntityTooLargeException, ServiceException

log = logging.getLogger(__name__)

# AWS's front door refuses bodies past ~70 MB (a 50 MB zip, base64-encoded, plus JSON).
MAX_BODY_BYTES = 70_167_211

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


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


class App:
    def __init__(
        self,
        verifier: SigV4Verifier,
        lambda_api: LambdaApi,
        logs_api: LogsApi,
        code_root: Callable[[str], Path],
        signer: CodeUrlSigner,
        health: Callable[[], dict[str, Any]],
        autoscaling_api: AutoscalingApi | None = None,
    ) -> None:
        self.verifier = verifier
        self.autoscaling_api = autoscaling_api
        self.lambda_api = lambda_api
        self.logs_api = logs_api
        self.code_root = code_root
        self.signer = signer
        self.health = health
        self.rest = RestJsonService("lambda")
        self.admin: AdminApi | None = None  # operator endpoints under /_ovis/admin/ (SigV4)
        # SQS: AmazonSQS.* JSON-1.0 targets, and query-protocol (Action=...) form requests
        self.sqs_api: SqsApi | None = None
        # Function URLs: <url-id>.lambda-url.<region>.localhost hosts and /_ovis/url/<url-id>/
        self.function_urls: FunctionUrls | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if self.function_urls is not None:  # before SigV4: URLs authorize on their own
            url = self.function_urls.match(scope)
            if url is not None:
                await self.function_urls.serve(scope, receive, send, *url)
                return
        rid = str(uuid.uuid4())
        out: bytes | StreamingBody
        try:
            path: str = scope["path"]
            if path.startswith("/_ovis/admin/") and self.admin is not None:
                body = await _read_body(receive, MAX_BODY_BYTES)
                raw = scope.get("raw_path") or path.encode()
                self.verifier.verify(
                    scope["method"], raw, scope["query_string"], scope["headers"], body
                )
                status, out_headers, out = await self.admin.handle(
                    scope["method"], path, scope["query_string"].decode("latin-1"), body
                )
                out_headers.setdefault("x-amzn-RequestId", rid)
                await _respond(send, status, out_headers, out)
                return
            if path.startswith("/_ovis/"):
                await self._internal(scope, send)
                return
            body = await _read_body(receive, MAX_BODY_BYTES)
            headers = scope["headers"]
            raw_path: bytes = scope.get("raw_path") or path.encode()
            query_string: bytes = scope["query_string"]
            self.verifier.verify(scope["method"], raw_path, query_string, headers, body)
            hmap = {k.decode("latin-1"): v.decode("latin-1") for k, v in headers}
            target = hmap.get("x-amz-target")
            if target is not None:
                status, out_headers, out = await self._json_target(target, body)
            elif self.sqs_api is not None and (
                sqs := self.sqs_api.query_params(scope["method"], hmap, query_string, body)
            ):
                status, out_headers, out = await self.sqs_api.query(sqs, path, rid)
            else:
                status, out_headers, out = await self._rest(
                    scope, raw_path, query_string, hmap, body, rid
                )
        except ApiError as e:
            status, out_headers, out = _error(e)
            if self.sqs_api is not None and (
                sqs_error := self.sqs_api.front_door_error(scope["headers"], e)
            ):
                status, out_headers, out = sqs_error
        except Exception:
            log.exception("unhandled error serving %s %s", scope.get("method"), scope.get("path"))
            status, out_headers, out = _error(ServiceException("An internal error occurred."))
        out_headers.setdefault("x-amzn-RequestId", rid)
        if isinstance(out, StreamingBody):  # InvokeWithResponseStream: sent as it is produced
            await out.send(send, status, out_headers)
            return
        await _respond(send, status, out_headers, out)

    async def _rest(
        self,
        scope: Scope,
        raw_path: bytes,
        query_string: bytes,
        hmap: dict[str, str],
        body: bytes,
        rid: str,
    ) -> tuple[int, dict[str, str], bytes | StreamingBody]:
        query = parse_qs(query_string.decode("latin-1"), keep_blank_values=True)
        flat = {k: v[-1] for k, v in query.items()}
        route, labels = self.rest.match(scope["method"], raw_path.decode("latin-1"), flat)
        req = Request(
            scope["method"], raw_path.decode("latin-1"), query_string.decode("latin-1"), hmap, body
        )
        params = self.rest.parse(route, labels, req, query)
        # The caller's X-Ray header: its Lineage carries recursion hops through invocations.
        params["__trace"] = hmap.get("x-amzn-trace-id")
        handler = self.lambda_api.handlers.get(route.operation.name)
        if handler is None:
            raise UnsupportedOperation(route.operation.name)
        result = await handler(params, rid)
        stream = result.get("EventStream")
        if isinstance(stream, StreamingBody):
            return stream.status, stream.headers, stream
        return self.rest.serialize(route.operation, result)

    async def _json_target(self, target: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        service, _, operation = target.partition(".")
        if service == "AmazonSQS" and self.sqs_api is not None:
            return await self.sqs_api.json(operation, body)
        if service == "Logs_20140328":
            call = self.logs_api.call
        elif service == "AnyScaleFrontendService" and self.autoscaling_api is not None:
            call = self.autoscaling_api.call
        else:
            raise UnsupportedOperation(target)
        try:
            params = json.loads(body or b"{}")
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            raise SerializationError("Could not parse the request body as JSON.") from None
        if not isinstance(params, dict):
            raise SerializationError("The request body must be a JSON object.")
        result = await call(operation, params)
        return 200, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(result).encode()

    async def _internal(self, scope: Scope, send: Send) -> None:
        path: str = scope["path"]
        if path == "/_ovis/health":
            await _respond(
                send, 200, {"Content-Type": "application/json"}, json.dumps(self.health()).encode()
            )
            return
        if path.startswith("/_ovis/code/") and path.endswith(".zip"):
            digest = path[len("/_ovis/code/") : -4]
            q = parse_qs(scope["query_string"].decode("latin-1"))
            ok = self.signer.check(digest, q.get("expires", [""])[0], q.get("signature", [""])[0])
            zip_path = self.code_root(digest)
            if ok and len(digest) == 64 and zip_path.is_file():
                await _respond(
                    send, 200, {"Content-Type": "application/zip"}, zip_path.read_bytes()
                )
                return
            await _respond(
                send,
                403,
                {"Content-Type": "application/xml"},
                b"<Error><Code>AccessDenied</Code><Message>Request has expired or "
                b"the signature does not match</Message></Error>",
            )
            return
        await _respond(send, 404, {"Content-Type": "application/json"}, b'{"message":"not found"}')


class UnsupportedOperation(ApiError):
    code, status = "UnsupportedOperationException", 400

    def __init__(self, operation: str) -> None:
        super().__init__(f"The operation {operation} is not supported by this server yet.")


class SerializationError(ApiError):
    code, status = "SerializationException", 400

    def body(self) -> dict[str, Any]:
        return {"__type": self.code, "message": self.message}


def _error(e: ApiError) -> tuple[int, dict[str, str], bytes]:
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": e.code, **e.headers}
    return e.status, headers, json.dumps(e.body()).encode()


async def _read_body(receive: Receive, limit: int) -> bytes:
    msg = await receive()
    body = msg.get("body", b"")
    if not msg.get("more_body"):
        return body
    chunks = [body]
    size = len(body)
    while True:
        msg = await receive()
        chunk = msg.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise RequestEntityTooLargeException(
                f"Request must be smaller than {limit} bytes for the operation"
            )
        chunks.append(chunk)
        if not msg.get("more_body"):
            return b"".join(chunks)


async def _respond(send: Send, status: int, headers: dict[str, str], body: bytes) -> None:
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
