"""Calling a service's operations in process: how one service drives another (CloudFormation's
resource handlers create functions, queues, roles...) without the HTTP API.

Contract: ``await calls(service, operation, params, caller)`` checks ``params`` against the
operation's botocore input shape exactly as the front door does after parsing (same error,
same wording: the service's ``ValidationException``, the query protocol's ``ValidationError``,
S3's ``InvalidArgument``; SQS checks its own), then runs the service's handler with a
``RequestContext`` for ``caller`` and returns the handler's output as a client would read it:
members the handler left ``None`` are dropped at every depth, as the serializers drop them. Service
errors propagate as the ``ApiError`` the service raised. ``params`` are parsed shapes, as a
codec hands them over: bytes for blobs, numbers for timestamps, dicts for maps, lists for
lists. An operation the service does not serve raises ``OperationNotSupported``.

Why in process and not over HTTP: one path from request to typed command per service (its
operation table), so a template's resource behaves exactly as the same call from boto3 would,
with no loopback connection, no signing and no serialization on the way.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from ovis.errors import OperationNotSupported
from ovis.protocols.registry import codec_for
from ovis.services.context import AwsService, RequestContext


@dataclass(frozen=True)
class Caller:
    """On whose behalf a call is made: the account and region it lands in, and the principal
    the service sees (CloudFormation passes the stack's caller)."""

    account_id: str
    region: str
    principal_arn: str = ""
    access_key: str = ""


class ServiceCalls(Protocol):
    async def __call__(
        self, service: str, operation: str, params: dict[str, Any], caller: Caller
    ) -> dict[str, Any]: ...


class Authorizer(Protocol):
    """The front door's IAM check (``ovis/services/iam/authorizer.py``): raises AccessDenied."""

    def authorize(
        self, service: str, operation: str, params: Any, access_key: str, region: str
    ) -> None: ...


class InProcessCalls:
    """``ServiceCalls`` over the service packages' operation tables. Immutable once built.
    With an ``authorizer``, a call for a caller's key is authorized as the same request over
    HTTP would be (a role session signed into the console is held to its policies)."""

    def __init__(self, services: Iterable[AwsService]) -> None:
        self._services = {s.name: s for s in services}
        self.authorizer: Authorizer | None = None

    async def __call__(
        self, service: str, operation: str, params: dict[str, Any], caller: Caller
    ) -> dict[str, Any]:
        svc = self._services[service]  # a wiring bug if absent: KeyError
        handler = svc.operations.get(operation)
        if handler is None:
            raise OperationNotSupported(service, operation, codec_for(service).protocol)
        codec_for(service).check(operation, params)
        if self.authorizer is not None and caller.access_key:
            self.authorizer.authorize(service, operation, params, caller.access_key, caller.region)
        ctx = RequestContext(
            str(uuid.uuid4()),
            service,
            operation,
            caller.region,
            caller.account_id,
            caller.access_key,
            caller.principal_arn,
        )
        return _present(await handler(ctx, params))


def _present(out: dict[str, Any]) -> dict[str, Any]:
    return {k: _value(v) for k, v in out.items() if v is not None}


def _value(v: Any) -> Any:
    if isinstance(v, dict):
        return _present(v)
    if isinstance(v, list):
        return [_value(x) for x in v if x is not None]
    return v
