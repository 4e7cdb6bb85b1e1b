"""ServiceTriggers: how other services (SNS, EventBridge, Scheduler, later S3) start a function.

Contract: ``invoke_async`` is an asynchronous invocation (InvocationType=Event) of
``function_arn`` (unqualified, a version or an alias), durable when it returns — the event is in
the async queue, with its retries, destinations and dead-letter queue — and answers the request
id. With a ``principal`` (``sns.amazonaws.com``, ``events.amazonaws.com``...), the function's
resource policy must allow that service for ``source_arn``/``source_account`` first, as AWS
requires (AddPermission); ``principal=None`` skips the check (Scheduler invokes with its
execution role, not a resource policy). It raises ``DeliveryError`` (ovis.invoke.destinations)
with a reason when the function does not exist or the policy refuses; the caller retries or
dead-letters as its own service does.

Service packages don't import this module: each declares the one method it needs as a protocol
and the composition root passes a ServiceTriggers.
"""

from __future__ import annotations

import uuid

from ovis.errors import ApiError
from ovis.invoke.async_queue import AsyncQueue
from ovis.invoke.destinations import DeliveryError
from ovis.models.function import LATEST
from ovis.services.lambda_.functions import FunctionService
from ovis.services.lambda_.permissions import PolicyService


class ServiceTriggers:
    def __init__(
        self, functions: FunctionService, policies: PolicyService, queue: AsyncQueue
    ) -> None:
        self.functions = functions
        self.policies = policies
        self.queue = queue

    async def invoke_async(
        self,
        function_arn: str,
        payload: bytes,
        *,
        principal: str | None,
        source_arn: str,
        source_account: str,
    ) -> str:
        try:
            name, qualifier = self.functions.ref(function_arn)
            self.functions.qualifiers.version(name, qualifier or LATEST)  # 404 if none
        except ApiError as e:
            raise DeliveryError(f"{e.code}: {e.message}") from e
        if principal is not None and not self.policies.allows_service(
            name, qualifier or "", principal, source_arn, source_account
        ):
            raise DeliveryError(
                f"{principal} is not authorized to invoke {function_arn} for {source_arn}: "
                "the function's resource policy has no statement allowing it (AddPermission)"
            )
        request_id = str(uuid.uuid4())
        await self.queue.submit(name, qualifier or LATEST, payload, request_id)
        return request_id
