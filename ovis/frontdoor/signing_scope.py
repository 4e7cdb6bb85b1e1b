"""What credential scope a request must be signed with: the front door's ``ScopeRule``.

AWS serves each service on its own host, so a request's service is known before its signature
is read; Ovis serves every service on one port and routes most requests by the scope itself.
``RequestScopes.expect`` recovers the service from the request's own shape, without trusting the
scope, so the verifier can refuse a request signed for another service or region:

* ``X-Amz-Target`` (JSON and CBOR-by-target services) names the service by its target prefix;
* ``smithy-protocol: rpc-v2-cbor`` with ``/service/<Name>/operation/<Op>`` names it by path;
* ``/_ovis/admin/...`` is signed like the Lambda API (the ovis CLI's operator calls);
* a REST-JSON path names it by its first segment (``/2015-03-31/...`` is Lambda's), unless the
  segment is shared by two services or the request is signed as only S3 signs (scoped ``s3``
  with S3's ``x-amz-content-sha256``, or an S3 presigned URL: a bucket may be called ``v1``);
* a query-protocol call (``Action`` and ``Version`` in the query string or form body) names it
  by the API version (``2010-03-31`` is SNS's);
* anything else is S3's (path- or host-style buckets), except a request scoped to a REST-JSON
  service at a path none of its routes has: that service answers it (UnknownOperation), as its
  own endpoint would.

Regions: a regional service accepts the server's region only. IAM and STS (global endpoints
that SDKs given an endpoint URL sign with the client's region) and S3 (whose buckets live in
regions of their own here) accept any region of AWS's partitions. Errors are worded per
protocol: ``query`` and ``s3`` say ``SignatureDoesNotMatch``, the others
``InvalidSignatureException``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from urllib.parse import parse_qs

from ovis.auth.sigv4 import ExpectedScope
from ovis.protocols.model import service_model
from ovis.services.context import AwsService

_ADMIN_PREFIX = b"/_ovis/admin"
_FORM = b"application/x-www-form-urlencoded"
# Services whose endpoint accepts requests signed for any region (see the module docstring).
_ANY_REGION = frozenset({"iam", "sts", "s3"})


def _s3_signed(headers: Mapping[bytes, bytes], params: Mapping[str, str]) -> bool:
    """Signed the way only S3's signers sign: scoped ``s3`` with S3's payload header (every
    header-signed S3 request has it), or an S3 presigned URL."""
    auth = headers.get(b"authorization")
    if auth is not None:
        return b"/s3/" in auth and b"x-amz-content-sha256" in headers
    return "/s3/" in params.get("X-Amz-Credential", "") or "AWSAccessKeyId" in params


@cache
def aws_regions() -> frozenset[str]:
    """Every region of botocore's partitions (aws, aws-cn, aws-us-gov, ...)."""
    text = resources.files("botocore").joinpath("data/endpoints.json").read_text()
    doc = json.loads(text)
    return frozenset(r for p in doc["partitions"] for r in p.get("regions", {}))


class RequestScopes:
    """The ``ScopeRule`` of the server's own services, built once from their botocore models."""

    __slots__ = ("_admin", "_by_target", "_by_version", "_cbor", "_rest", "_rest_scopes", "_s3")

    def __init__(self, services: Sequence[AwsService], region: str) -> None:
        regional = frozenset({region})
        anywhere = aws_regions() | regional
        self._by_target: dict[str, ExpectedScope] = {}
        self._by_version: dict[str, ExpectedScope] = {}
        self._cbor: dict[str, ExpectedScope] = {}
        self._rest: dict[str, ExpectedScope] = {}
        self._rest_scopes: set[bytes] = set()  # "/<signing>/" of the REST-JSON services
        shared: set[str] = set()
        self._s3: ExpectedScope | None = None
        for service in services:
            model = service_model(service.name)
            meta = model.metadata
            signing: str = meta.get("signingName") or meta["endpointPrefix"]
            regions = anywhere if signing in _ANY_REGION else regional
            protocol = meta.get("protocol", "")
            style = "query" if protocol == "query" else "s3" if protocol == "rest-xml" else "json"
            scope = ExpectedScope(signing, regions, style)
            if "targetPrefix" in meta:
                self._by_target[meta["targetPrefix"]] = scope
                if protocol == "smithy-rpc-v2-cbor":
                    self._cbor[meta["targetPrefix"]] = scope
            if protocol == "query" or "awsQueryCompatible" in meta:
                self._by_version[meta["apiVersion"]] = ExpectedScope(signing, regions, "query")
            if protocol == "rest-json":
                self._rest_scopes.add(f"/{signing}/".encode())
                for op in model.operation_names:
                    uri: str = model.operation_model(op).http["requestUri"]
                    segment = uri.split("?")[0].split("/")[1]
                    known = self._rest.get(segment)
                    if known is not None and known.service != signing:
                        shared.add(segment)
                    self._rest[segment] = scope
            if protocol == "rest-xml":
                self._s3 = scope
        for segment in shared:
            del self._rest[segment]
        self._admin = ExpectedScope("lambda", regional, "json")

    def expect(
        self,
        method: str,
        raw_path: bytes,
        params: Mapping[str, str],
        headers: Mapping[bytes, bytes],
        body: bytes | None,
    ) -> ExpectedScope | None:
        target = headers.get(b"x-amz-target")
        if target is not None:
            return self._by_target.get(target.decode("latin-1").partition(".")[0])
        if headers.get(b"smithy-protocol") is not None and raw_path.startswith(b"/service/"):
            return self._cbor.get(raw_path.split(b"/")[2].decode("latin-1"))
        if raw_path.startswith(_ADMIN_PREFIX):
            return self._admin
        segment = raw_path.split(b"/", 2)[1].decode("latin-1") if raw_path[:1] == b"/" else ""
        rest = self._rest.get(segment)
        if rest is not None and not (self._s3 is not None and _s3_signed(headers, params)):
            return rest
        action = "Action" in params
        version = params.get("Version")
        form_body = method == "POST" and headers.get(b"content-type", b"").startswith(_FORM)
        if not action and body and form_body:
            form = parse_qs(body.decode("latin-1"))
            action = "Action" in form
            version = form.get("Version", [None])[-1]
        if action:  # a query call without a known Version is left unchecked
            return self._by_version.get(version) if version is not None else None
        if self._signed_for_rest(headers, params):
            return None  # a path none of its routes has: that service's UnknownOperation
        return self._s3

    def _signed_for_rest(self, headers: Mapping[bytes, bytes], params: Mapping[str, str]) -> bool:
        scope = headers.get(b"authorization") or params.get("X-Amz-Credential", "").encode()
        return any(s in scope for s in self._rest_scopes)
