"""The front-door service that serves every registered AWS service.

Per request: read the body (bounded), verify SigV4, pick the target service, build the
``RequestContext``, parse with the service's codec, authorize (the ``Authorizer``: IAM
evaluation of role sessions; the server's own keys pass on one dict lookup), call the
operation (``service.operations[op](ctx, params)``), serialize. The target is found from
what the client sent, in this order:

1. ``X-Amz-Target``: its prefix is a JSON-protocol model's ``targetPrefix``;
2. the SigV4 credential scope's service: a model's signing name. A JSON service that is
   ``awsQueryCompatible`` (SQS) also speaks the query protocol: without ``X-Amz-Target`` its
   requests are ``Action=...`` forms. A Smithy RPC v2 CBOR service (CloudWatch) answers CBOR
   when the request has a ``smithy-protocol`` header, JSON when it has ``X-Amz-Target``, and
   query forms otherwise.

A signing name of a service this server does not have (``sts``, ``s3``, ``iam``...) answers
"not supported" in that service's own protocol (query -> XML ``<ErrorResponse>``, rest-xml ->
``<Error>``, json -> ``{"__type"}``), so its SDK raises a ClientError with a code. An unknown
target prefix answers JSON ``UnknownOperationException``. Errors raised before the target is
known (SigV4, body size) are rendered for the service the request's headers name.

Streaming bodies (S3): a service may list ``stream_inputs``, operations whose blob payload it
reads itself. For those the body is not read here: SigV4 is verified on the claimed payload hash
(``verify_stream``) and the payload member is a ``RequestStream`` carrying the
``SignedPayload``, which the service checks as it reads. A service may also give
``host_labels(host)``: URI labels a Host header binds (a virtual-hosted bucket). An output whose
payload member is not bytes but an async iterable of bytes is sent as it is read (its
``status`` attribute, if any, overrides the status: a 206). Other services are unaffected: no
extra work on their path.

Every error is rendered by the codec; anything unexpected is logged and answered as a
ServiceException, never as a bare 500. On the warm Invoke path the per-request work is what
the request needs: one header map, the codec's route match and parse, dict lookups.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote

import botocore.session

from ovis.auth.sigv4 import SigV4Verifier
from ovis.errors import ApiError, OperationNotSupported, ServiceException
from ovis.frontdoor.access_log import AccessLog
from ovis.frontdoor.http import (
    MAX_BODY_BYTES,
    Receive,
    RequestStream,
    Scope,
    Send,
    read_body,
    respond,
    respond_stream,
)
from ovis.protocols import codec_for
from ovis.protocols.base import Codec, HttpRequest
from ovis.protocols.json import UnknownTargetCodec
from ovis.protocols.model import service_model
from ovis.services.context import AwsService, Handler, RequestContext
from ovis.supervisor import Supervisor

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Binding:
    """One service in one protocol: what a request needs once its target is known."""

    name: str  # botocore service name
    codec: Codec
    operations: Mapping[str, Handler]
    streams: Mapping[str, str]  # operation -> output member sent as a StreamingResult
    stream_inputs: frozenset[str] = frozenset()  # operations whose payload is a RequestStream
    payloads: Mapping[str, str] | None = None  # operation -> input blob payload member
    outputs: Mapping[str, str] | None = None  # operation -> output blob payload member
    host_labels: Callable[[str], Mapping[str, str] | None] | None = None


_NO_OPERATIONS: Mapping[str, Handler] = {}


class Authorizer(Protocol):
    """Decides whether the verified caller may make a parsed request (IAM evaluation:
    ``ovis/services/iam/authorizer.py``); raises the protocol's AccessDenied if not."""

    def authorize(
        self,
        service: str,
        operation: str,
        params: Mapping[str, Any],
        access_key: str,
        region: str,
        secure: bool = False,
    ) -> None: ...


def _streams(service: str) -> dict[str, str]:
    model = service_model(service)
    out: dict[str, str] = {}
    for op_name in model.operation_names:
        shape = model.operation_model(op_name).output_shape
        for name, member in shape.members.items() if shape is not None else ():
            if member.serialization.get("eventstream"):
                out[op_name] = name
    return out


def _blob_payloads(service: str, output: bool) -> dict[str, str]:
    """operation -> its input (or output) payload member when that is a blob."""
    model = service_model(service)
    out: dict[str, str] = {}
    for op_name in model.operation_names:
        op = model.operation_model(op_name)
        shape = op.output_shape if output else op.input_shape
        name = shape.serialization.get("payload") if shape is not None else None
        if shape is not None and name and shape.members[name].type_name == "blob":
            out[op_name] = name
    return out


class AwsFrontDoor:
    """Claims every request (it is the router's last service)."""

    name = "aws"

    def __init__(
        self,
        services: Sequence[AwsService],
        verifier: SigV4Verifier,
        account_id: str,
        access: AccessLog | None = None,
        authorizer: Authorizer | None = None,
    ) -> None:
        self.access = access or AccessLog(Supervisor(), enabled=False)
        self.authorizer = authorizer
        self.verifier = verifier
        self.account_id = account_id
        self.principal_arn = f"arn:aws:iam::{account_id}:root"
        self._by_signing: dict[str, Binding] = {}
        self._by_target: dict[str, Binding] = {}
        self._query: dict[str, Binding] = {}  # signing name -> its query-protocol binding
        self._rpcv2: dict[str, Binding] = {}  # signing name -> its Smithy RPC v2 CBOR binding
        self._foreign: dict[str, Binding] = {}  # signing name -> a service we lack (lazy)
        self._available: frozenset[str] | None = None
        # credential scopes of the services that stream bodies (none: no extra work at all)
        self._stream_scopes: list[bytes] = []
        for service in services:
            model = service_model(service.name)
            meta = model.metadata
            codec = codec_for(service.name)
            stream_inputs: frozenset[str] = getattr(service, "stream_inputs", frozenset())
            binding = Binding(
                service.name,
                codec,
                service.operations,
                _streams(service.name),
                stream_inputs,
                _blob_payloads(service.name, False) if stream_inputs else None,
                _blob_payloads(service.name, True) if stream_inputs else None,
                getattr(service, "host_labels", None),
            )
            signing = meta.get("signingName") or meta["endpointPrefix"]
            if stream_inputs:
                self._stream_scopes.append(f"/{signing}/aws4_request".encode())
            self._by_signing[signing] = binding
            if "targetPrefix" in meta:
                self._by_target[meta["targetPrefix"]] = binding
            if codec.protocol == "smithy-rpc-v2-cbor":  # CloudWatch: also json (by target)
                self._rpcv2[signing] = binding
                if "json" in meta.get("protocols", ()):
                    self._by_target[meta["targetPrefix"]] = Binding(
                        service.name, codec_for(service.name, "json"), service.operations, {}
                    )
            if codec.protocol in ("json", "smithy-rpc-v2-cbor") and "awsQueryCompatible" in meta:
                self._query[signing] = Binding(
                    service.name, codec_for(service.name, "query"), service.operations, {}
                )
        self._default = self._by_signing.get("lambda") or next(iter(self._by_signing.values()))
        # Error-only: a JSON call whose X-Amz-Target prefix no model here has.
        self._unknown_json = Binding("unknown", UnknownTargetCodec(), {}, {})

    def match(self, scope: Scope) -> bool:
        return True

    # ---- one request ---------------------------------------------------------------------

    async def serve(self, scope: Scope, receive: Receive, send: Send, token: Any) -> None:
        rid = str(uuid.uuid4())
        started = time.perf_counter()
        binding: Binding | None = None
        operation = "-"
        request_stream: RequestStream | None = None
        streamed_body = False  # the body is the service's to read (it may stay unread)
        try:
            headers = scope["headers"]
            raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
            query_string: bytes = scope["query_string"]
            method: str = scope["method"]
            streamed = self._streamed(scope) if self._stream_scopes else None
            if streamed is not None:
                streamed_body = True
                binding, operation, labels, hmap = streamed
                ident, signed = self.verifier.verify_stream(method, raw_path, query_string, headers)
                req = HttpRequest(
                    method, raw_path.decode("latin-1"), query_string.decode("latin-1"), hmap, b""
                )
                codec = binding.codec
                params = codec.parse(operation, req, labels)  # type: ignore[call-arg]
                assert binding.payloads is not None
                request_stream = RequestStream(receive, signed, hmap)
                params[binding.payloads[operation]] = request_stream
            else:
                body = await read_body(receive, MAX_BODY_BYTES)
                ident = self.verifier.verify(method, raw_path, query_string, headers, body)
                hmap = {k.decode("latin-1"): v.decode("latin-1") for k, v in headers}
                target = hmap.get("x-amz-target")
                binding = self._binding(target, ident.service, "smithy-protocol" in hmap)
                req = HttpRequest(
                    method, raw_path.decode("latin-1"), query_string.decode("latin-1"), hmap, body
                )
                codec = binding.codec
                labels = binding.host_labels(hmap.get("host", "")) if binding.host_labels else None
                if labels is not None:
                    operation = codec.operation(req, labels)  # type: ignore[call-arg]
                    params = codec.parse(operation, req, labels)  # type: ignore[call-arg]
                else:
                    operation = codec.operation(req)
                    params = codec.parse(operation, req)
            handler = binding.operations.get(operation)
            if handler is None:
                raise OperationNotSupported(binding.name, operation, codec.protocol)
            if self.authorizer is not None:  # after SigV4 and parsing: the resource is known
                self.authorizer.authorize(
                    binding.name, operation, params, ident.access_key, ident.region
                )
            ctx = RequestContext(
                rid,
                binding.name,
                operation,
                ident.region,
                self.account_id,
                ident.access_key,
                self.principal_arn,
                hmap.get("x-amzn-trace-id"),
                hmap.get("user-agent", ""),
            )
            result = await handler(ctx, params)
            member = binding.streams.get(operation)
            if member is not None and (stream := result.get(member)) is not None:
                # InvokeWithResponseStream: sent as it is produced.
                stream.headers.setdefault("x-amzn-RequestId", rid)
                await stream.send(send, stream.status, stream.headers)
                self.access.record(binding.name, operation, stream.status, _ms(started), rid)
                return
            out_member = binding.outputs.get(operation) if binding.outputs else None
            if out_member is not None and not isinstance(
                source := result.get(out_member), bytes | str | None
            ):
                # A body read from disk as it is sent (S3's GetObject).
                resp = codec.serialize(operation, {**result, out_member: None}, rid)
                resp.headers.setdefault("x-amzn-RequestId", rid)
                status = getattr(source, "status", None) or resp.status
                body_source: AsyncIterable[bytes] = source
                await respond_stream(send, status, resp.headers, body_source)
                self.access.record(binding.name, operation, status, _ms(started), rid)
                return
            resp = codec.serialize(operation, result, rid)
            error = ""
        except ApiError as e:
            if binding is None:
                binding = self._binding_of_headers(scope)
            resp = binding.codec.error(e, rid)
            reason = e.extra.get("Reason")  # a throttle's: which limit
            error = f" {e.code}: {e.message}" + (f" ({reason})" if reason else "")
        except Exception:
            log.exception("unhandled error serving %s %s", scope.get("method"), scope.get("path"))
            if binding is None:
                binding = self._binding_of_headers(scope)
            resp = binding.codec.error(ServiceException("An internal error occurred."), rid)
            error = " ServiceException"
        resp.headers.setdefault("x-amzn-RequestId", rid)
        if streamed_body and (request_stream is None or not request_stream.done):
            # answered before the body ended (an error): its rest must not be read as a request
            resp.headers["Connection"] = "close"
        await respond(send, resp.status, resp.headers, resp.body)
        self.access.record(binding.name, operation, resp.status, _ms(started), rid, error)

    # ---- finding the target --------------------------------------------------------------

    def _streamed(
        self, scope: Scope
    ) -> tuple[Binding, str, Mapping[str, str] | None, dict[str, str]] | None:
        """(binding, operation, host labels, headers) of a request whose body its service
        reads itself; None for every other request (whose body is read here)."""
        if scope["method"] not in ("PUT", "POST") or not self._signed_for_streaming(scope):
            return None  # e.g. every Invoke: one header scan, no decoding
        binding = self._binding_of_headers(scope)
        if not binding.stream_inputs:
            return None
        hmap = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        req = HttpRequest(
            scope["method"], raw_path.decode("latin-1"), scope["query_string"].decode(), hmap, b""
        )
        labels = binding.host_labels(hmap.get("host", "")) if binding.host_labels else None
        # only rest-xml services stream (their codec takes the host's labels)
        operation = binding.codec.operation(req, labels)  # type: ignore[call-arg]
        if operation not in binding.stream_inputs:
            return None
        return binding, operation, labels, hmap

    def _binding(self, target: str | None, signing: str, rpcv2: bool = False) -> Binding:
        if rpcv2 and target is None and (b := self._rpcv2.get(signing)) is not None:
            return b
        if target is not None:
            b = self._by_target.get(target.partition(".")[0])
            if b is not None:
                return b
            if signing in self._by_signing:
                return self._unknown_json
            foreign = self._foreign_binding(signing)
            return foreign if foreign.codec.protocol == "json" else self._unknown_json
        b = self._query.get(signing) or self._by_signing.get(signing)
        if b is not None:
            return b
        return self._foreign_binding(signing)

    def _signed_for_streaming(self, scope: Scope) -> bool:
        """Whether the request is signed for a service that streams bodies (cheap: bytes)."""
        for k, v in scope["headers"]:
            if k == b"authorization":
                return any(s in v for s in self._stream_scopes)
        qs: bytes = scope["query_string"]
        if b"AWSAccessKeyId=" in qs:  # S3's legacy presigned URLs
            return True
        if b"X-Amz-Credential=" in qs:
            decoded = unquote(qs.decode("latin-1")).encode("latin-1")
            return any(s in decoded for s in self._stream_scopes)
        return False

    def _binding_of_headers(self, scope: Scope) -> Binding:
        """The target of a request that failed before SigV4 named it (errors only)."""
        target: str | None = None
        signing = ""
        rpcv2 = False
        for k, v in scope["headers"]:
            if k == b"x-amz-target":
                target = v.decode("latin-1")
            elif k == b"smithy-protocol":
                rpcv2 = True
            elif k == b"authorization":
                signing = _scope_service(v.decode("latin-1").partition("Credential=")[2])
        if not signing and b"X-Amz-Credential=" in scope["query_string"]:
            qs = scope["query_string"].decode("latin-1")
            signing = _scope_service(unquote(qs.partition("X-Amz-Credential=")[2]))
        if not signing and b"AWSAccessKeyId=" in scope["query_string"]:
            signing = "s3"  # S3's legacy presigned URLs are the only SigV2 we take
        try:
            return self._binding(target, signing, rpcv2)
        except Exception:  # a model that cannot load must not hide the original error
            log.exception("no binding for signing name %r", signing)
            return self._default

    def _foreign_binding(self, signing: str) -> Binding:
        """A service this server does not have, by signing name: its codec answers every
        operation "not supported" in its protocol. The default (Lambda) when no botocore model
        goes by that name or ``ovis.protocols`` does not speak its protocol (EC2's)."""
        b = self._foreign.get(signing)
        if b is not None:
            return b
        if self._available is None:
            self._available = frozenset(botocore.session.get_session().get_available_services())
        if signing not in self._available:
            return self._default
        try:
            codec = codec_for(signing)
        except ValueError:
            return self._default
        b = self._foreign[signing] = Binding(signing, codec, {}, {})
        return b


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _scope_service(credential: str) -> str:
    """The service of a ``<key>/<date>/<region>/<service>/aws4_request`` scope ("" if none)."""
    parts = credential.split(",", 1)[0].strip().split("/")
    return parts[3] if len(parts) >= 5 else ""
