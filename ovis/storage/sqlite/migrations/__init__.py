"""The SQLite schema's migrations, in order: ``mNNNN_<what>.py`` defines ``VERSION`` (NNNN)
and ``upgrade(db)``, which runs inside the transaction that also records the version. A
migration is never edited once released; a schema change is a new module listed here."""

from __future__ import annotations

from ovis.storage.sqlite.migrations import (
    m0001_initial,
    m0002_async_results_by_function,
    m0003_streams,
    m0004_event_source_mappings,
    m0005_stream_checkpoints,
    m0006_topics,
    m0007_event_buses,
    m0008_schedules,
    m0009_iam,
    m0010_s3,
    m0011_stacks,
    m0012_metrics,
    m0013_log_groups,
    m0014_s3_object_tags,
    m0015_log_streams_subscriptions,
    m0016_schemas,
    m0017_composite_alarms,
    m0018_pipelines,
    m0019_dynamodb,
    m0025_pipeline_build_memory,
)
from ovis.storage.sqlite.migrations.base import Migration

MIGRATIONS: tuple[Migration, ...] = (
    Migration(m0001_initial.VERSION, "initial schema", m0001_initial.upgrade),
    Migration(
        m0002_async_results_by_function.VERSION,
        "index async results by function",
        m0002_async_results_by_function.upgrade,
    ),
    Migration(m0003_streams.VERSION, "kinesis streams", m0003_streams.upgrade),
    Migration(
        m0004_event_source_mappings.VERSION,
        "event source mappings",
        m0004_event_source_mappings.upgrade,
    ),
    Migration(
        m0005_stream_checkpoints.VERSION,
        "stream event source mappings' checkpoints",
        m0005_stream_checkpoints.upgrade,
    ),
    Migration(m0006_topics.VERSION, "SNS topics, subscriptions and outbox", m0006_topics.upgrade),
    Migration(m0007_event_buses.VERSION, "event buses", m0007_event_buses.upgrade),
    Migration(m0008_schedules.VERSION, "EventBridge Scheduler", m0008_schedules.upgrade),
    Migration(m0009_iam.VERSION, "iam roles and policies, sts credentials", m0009_iam.upgrade),
    Migration(m0010_s3.VERSION, "s3 buckets and objects", m0010_s3.upgrade),
    Migration(m0011_stacks.VERSION, "cloudformation stacks", m0011_stacks.upgrade),
    Migration(m0012_metrics.VERSION, "cloudwatch metrics and alarms", m0012_metrics.upgrade),
    Migration(m0013_log_groups.VERSION, "declared log groups", m0013_log_groups.upgrade),
    Migration(m0014_s3_object_tags.VERSION, "s3 object tags", m0014_s3_object_tags.upgrade),
    Migration(
        m0015_log_streams_subscriptions.VERSION,
        "log streams and subscription filters",
        m0015_log_streams_subscriptions.upgrade,
    ),
    Migration(m0016_schemas.VERSION, "eventbridge schemas registry", m0016_schemas.upgrade),
    Migration(
        m0017_composite_alarms.VERSION,
        "cloudwatch composite alarms and datapoints by time",
        m0017_composite_alarms.upgrade,
    ),
    Migration(m0018_pipelines.VERSION, "application pipelines", m0018_pipelines.upgrade),
    Migration(
        m0019_dynamodb.VERSION, "dynamodb tables, items and stream records", m0019_dynamodb.upgrade
    ),
    Migration(
        m0025_pipeline_build_memory.VERSION,
        "pipeline build memory limits",
        m0025_pipeline_build_memory.upgrade,
    ),
)
