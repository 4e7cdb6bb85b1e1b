"""The resource handlers of the non-Lambda services (SQS, SNS, Logs, IAM, EventBridge,
Scheduler, Kinesis, S3): one handler per type, each in its family's module."""

from __future__ import annotations

from ovis.services.calls import ServiceCalls
from ovis.services.cloudformation.resources.base import ResourceProvider
from ovis.services.cloudformation.resources.events_rules import EventBusProvider, RuleProvider
from ovis.services.cloudformation.resources.iam_policies import (
    ManagedPolicyProvider,
    PolicyProvider,
)
from ovis.services.cloudformation.resources.iam_roles import RoleProvider
from ovis.services.cloudformation.resources.kinesis_streams import StreamProvider
from ovis.services.cloudformation.resources.logs_groups import LogGroupProvider
from ovis.services.cloudformation.resources.s3_buckets import (
    BucketPolicyProvider,
    BucketProvider,
)
from ovis.services.cloudformation.resources.scheduler_schedules import (
    ScheduleGroupProvider,
    ScheduleProvider,
)
from ovis.services.cloudformation.resources.sns_topics import (
    SubscriptionProvider,
    TopicPolicyProvider,
    TopicProvider,
)
from ovis.services.cloudformation.resources.sqs_queues import QueuePolicyProvider, QueueProvider


def providers(calls: ServiceCalls) -> list[ResourceProvider]:
    return [
        RoleProvider(calls),
        PolicyProvider(calls),
        ManagedPolicyProvider(calls),
        QueueProvider(calls),
        QueuePolicyProvider(calls),
        TopicProvider(calls),
        SubscriptionProvider(calls),
        TopicPolicyProvider(calls),
        LogGroupProvider(calls),
        RuleProvider(calls),
        EventBusProvider(calls),
        ScheduleProvider(calls),
        ScheduleGroupProvider(calls),
        StreamProvider(calls),
        BucketProvider(calls),
        BucketPolicyProvider(calls),
    ]
