"""FunctionTarget: how a poller invokes its mapping's function with one batch.

Contract: ``invoke(payload)`` runs the function synchronously (RequestResponse), exactly as an
Invoke of the mapping's FunctionArn (qualifier, alias weights, provisioned instances) would,
and returns its result (``function_error`` set when the function failed: an error, a timeout,
a crash). It raises ``TooManyRequestsException`` when the function is throttled (reserved or
account concurrency) and ``ResourceNotFoundException`` / ``ResourceConflictException`` when the
function is gone or not Active: the poller keeps the batch and tries again later in every one of
these cases (a throttle never drops a record).
"""

from __future__ import annotations

import uuid

from ovis.invoke.invoker import Invoker, InvokeResult
from ovis.models.arn import parse_function_ref
from ovis.sandbox.instance import Invocation
from ovis.services.lambda_.invocation import trace_id


class FunctionTarget:
    def __init__(self, invoker: Invoker, function_arn: str) -> None:
        ref = parse_function_ref(function_arn)
        self.invoker = invoker
        self.function_arn = function_arn
        self.name = ref.name
        self.qualifier = ref.qualifier

    def iterator_age(self, age_ms: float) -> None:
        """AWS/Lambda IteratorAge (stream mappings): in memory, when metrics are on."""
        if (metrics := self.invoker.metrics) is not None:
            metrics.lambda_metric(self.name, "IteratorAge", age_ms, "Milliseconds")

    async def invoke(self, payload: bytes) -> InvokeResult:
        cfg = self.invoker.resolve(self.name, self.qualifier)
        rid = str(uuid.uuid4())
        inv = Invocation(rid, payload, self.function_arn, trace_id=trace_id(rid))
        target = (self.name, self.qualifier) if self.qualifier else None
        return await self.invoker.invoke(cfg, inv, target=target)
