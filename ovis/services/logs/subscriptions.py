"""Subscription filters (PutSubscriptionFilter / DescribeSubscriptionFilters /
DeleteSubscriptionFilter) with a Lambda destination.

Contract: a filter is durable when the call answers, and receives the group's events stored
after that moment (not the ones before, as AWS). As AWS: at most 2 filters per group
(LimitExceededException), the destination's resource policy must allow
``logs.amazonaws.com`` to invoke it for the group (InvalidParameterException otherwise), and
putting a filter under an existing name replaces it (its delivery position is kept). Only
Lambda destinations are served (Kinesis, Firehose and Logs destinations are refused with
InvalidParameterException). Delivery itself is ``delivery.py``'s.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from typing import Protocol

from ovis.logs.repository import LogRepository
from ovis.models.log_subscription import SubscriptionFilter
from ovis.services.logs.filter_pattern import compile_pattern
from ovis.services.logs.groups import LogsError, LogsInvalidParameter, LogsResourceNotFound
from ovis.services.logs.repository import SubscriptionRepository

MAX_FILTERS = 2
PRINCIPAL = "logs.amazonaws.com"
_FILTER_NAME = re.compile(r"^[^:*]{1,512}$")
_LAMBDA_ARN = re.compile(r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[^:]+(:[^:]+)?$")


class LogsLimitExceeded(LogsError):
    code = "LimitExceededException"


class FunctionTarget(Protocol):
    """``ovis.services.lambda_.triggers.ServiceTriggers``: the policy check and the durable
    asynchronous invoke."""

    def allows(
        self, function_arn: str, *, principal: str, source_arn: str, source_account: str
    ) -> bool: ...

    async def invoke_async(
        self,
        function_arn: str,
        payload: bytes,
        *,
        principal: str | None,
        source_arn: str,
        source_account: str,
    ) -> str: ...


def group_arn(region: str, account: str, group: str) -> str:
    """The source ARN a function's permission names for a group's deliveries."""
    return f"arn:aws:logs:{region}:{account}:log-group:{group}:*"


def check_filter_name(name: object) -> str:
    if not isinstance(name, str) or not _FILTER_NAME.match(name):
        raise LogsInvalidParameter(
            "1 validation error detected: Value '"
            + str(name)
            + "' at 'filterName' failed to satisfy constraint: Member must satisfy regular "
            "expression pattern: [^:*]*"
        )
    return name


class Subscriptions:
    def __init__(
        self,
        repo: SubscriptionRepository,
        logs: LogRepository,
        functions: FunctionTarget | None,
        notify: Callable[[], None] | None = None,
    ) -> None:
        self.repo = repo
        self.logs = logs
        self.functions = functions
        self.notify = notify  # a filter changed: the delivery loop looks again

    async def put(
        self,
        group: str,
        name: str,
        pattern: object,
        destination: object,
        role_arn: object,
        distribution: object,
        region: str,
        account: str,
    ) -> None:
        check_filter_name(name)
        if not isinstance(pattern, str) or len(pattern) > 1024:
            raise LogsInvalidParameter(
                "1 validation error detected: Value at 'filterPattern' failed to satisfy "
                "constraint: Member must have length less than or equal to 1024"
            )
        compile_pattern(pattern)
        if distribution not in (None, "Random", "ByLogStream"):
            raise LogsInvalidParameter(
                f"1 validation error detected: Value '{distribution}' at 'distribution' failed "
                "to satisfy constraint: Member must satisfy enum value set: [Random, ByLogStream]"
            )
        if not isinstance(destination, str) or not destination:
            raise LogsInvalidParameter("destinationArn is required.")
        if not _LAMBDA_ARN.match(destination):
            raise LogsInvalidParameter(
                f"Destination {destination} is not supported here: only AWS Lambda functions "
                "are served as subscription filter destinations."
            )
        if self.functions is None or not self.functions.allows(
            destination,
            principal=PRINCIPAL,
            source_arn=group_arn(region, account, group),
            source_account=account,
        ):
            raise LogsInvalidParameter(
                "Could not execute the lambda function. Make sure you have given CloudWatch "
                "Logs permission to execute your function."
            )
        f = SubscriptionFilter(
            group, name, pattern, destination, int(time.time() * 1000),
            role_arn if isinstance(role_arn, str) else "", str(distribution or "ByLogStream"),
        )  # fmt: skip
        # Deliver what is stored from now on: the newest id now is where delivery starts.
        cursor = await asyncio.to_thread(self.logs.last_log_id)
        if not await asyncio.to_thread(self.repo.put_subscription_filter, f, cursor, MAX_FILTERS):
            raise LogsLimitExceeded("Resource limit exceeded.")
        if self.notify is not None:
            self.notify()

    async def of_group(self, group: str) -> list[SubscriptionFilter]:
        return [f for f, _ in await asyncio.to_thread(self.repo.subscription_filters, group)]

    async def delete(self, group: str, name: str) -> None:
        if not await asyncio.to_thread(self.repo.delete_subscription_filter, group, name):
            raise LogsResourceNotFound("The specified subscription filter does not exist.")
