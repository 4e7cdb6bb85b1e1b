"""SqliteStorage: one SQLite file, migrated on open, seen through one repository per aggregate.

Contract: opening creates the file (and its directory) if needed and applies pending
migrations (``migrate``); a database newer than this code raises ``SchemaVersionError`` and
is left untouched. Every repository is synchronous, thread-safe and durable on return, and
shares the one connection. ``close()`` is idempotent; afterwards every repository method
raises ``StorageClosedError``. Several storages (processes) may open one file: WAL mode lets
each see what the others committed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ovis.storage.sqlite.async_events import SqliteAsyncEvents
from ovis.storage.sqlite.autoscaling import SqliteAutoscaling
from ovis.storage.sqlite.concurrency import SqliteConcurrency
from ovis.storage.sqlite.dynamodb import SqliteDynamoDb
from ovis.storage.sqlite.engine import Engine
from ovis.storage.sqlite.event_buses import SqliteEventBuses
from ovis.storage.sqlite.event_invoke import SqliteEventInvoke
from ovis.storage.sqlite.event_source_mappings import SqliteEventSourceMappings
from ovis.storage.sqlite.functions import SqliteFunctions
from ovis.storage.sqlite.iam import SqliteIam
from ovis.storage.sqlite.layers import SqliteLayers
from ovis.storage.sqlite.log_groups import SqliteLogGroups
from ovis.storage.sqlite.logs import SqliteLogs
from ovis.storage.sqlite.metrics import SqliteMetrics
from ovis.storage.sqlite.migrate import migrate
from ovis.storage.sqlite.pipelines import SqlitePipelines
from ovis.storage.sqlite.policies import SqlitePolicies
from ovis.storage.sqlite.queues import SqliteQueues
from ovis.storage.sqlite.s3 import SqliteS3
from ovis.storage.sqlite.schedules import SqliteSchedules
from ovis.storage.sqlite.schemas import SqliteSchemas
from ovis.storage.sqlite.stacks import SqliteStacks
from ovis.storage.sqlite.stream_checkpoints import SqliteStreamCheckpoints
from ovis.storage.sqlite.streams import SqliteStreams
from ovis.storage.sqlite.tags import SqliteTags
from ovis.storage.sqlite.topics import SqliteTopics
from ovis.storage.sqlite.urls import SqliteUrls


class SqliteStorage:
    def __init__(self, path: Path) -> None:
        self._engine = Engine(path)
        try:
            self.schema_version = migrate(self._engine)
        except BaseException:
            self._engine.close()
            raise
        self.functions = SqliteFunctions(self._engine)
        self.concurrency = SqliteConcurrency(self._engine)
        self.tags = SqliteTags(self._engine)
        self.logs = SqliteLogs(self._engine)
        self.log_groups = SqliteLogGroups(self._engine)
        self.async_events = SqliteAsyncEvents(self._engine)
        self.event_invoke = SqliteEventInvoke(self._engine)
        self.layers = SqliteLayers(self._engine)
        self.autoscaling = SqliteAutoscaling(self._engine)
        self.queues = SqliteQueues(self._engine)
        self.urls = SqliteUrls(self._engine)
        self.policies = SqlitePolicies(self._engine)
        self.streams = SqliteStreams(self._engine)
        self.event_source_mappings = SqliteEventSourceMappings(self._engine)
        self.schedules = SqliteSchedules(self._engine)
        self.topics = SqliteTopics(self._engine)
        self.iam = SqliteIam(self._engine)
        self.checkpoints = SqliteStreamCheckpoints(self._engine)  # stream mappings
        self.s3 = SqliteS3(self._engine)
        self.event_buses = SqliteEventBuses(self._engine)
        self.metrics = SqliteMetrics(self._engine)  # CloudWatch metrics and alarms
        self.stacks = SqliteStacks(self._engine)  # CloudFormation
        self.schemas = SqliteSchemas(self._engine)  # EventBridge Schemas (test events)
        self.dynamodb = SqliteDynamoDb(self._engine)  # DynamoDB tables, items, change records
        self.pipelines = SqlitePipelines(self._engine)  # application pipelines (ovis.apps)

    def observe_commits(self, observer: Callable[[str, float], None] | None) -> None:
        """Call ``observer(kind, seconds)`` after every write (``Engine.on_commit``'s contract):
        the store latency ``/metrics`` serves. None: stop."""
        self._engine.on_commit = observer

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._engine.close()
