"""Contract tests every storage backend must pass.

``backend`` is parametrized by backend name: a new backend (PostgreSQL) is one more entry in
``BACKENDS`` and one more branch in ``_open_backend``, building a fresh database per test.
``storage`` is a fresh storage on that database; ``backend.open()`` opens a SECOND, independent
storage (its own connection) on the same database: what it sees is what was committed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pytest

from ovis.invoke.repositories import (
    AsyncEventRepository,
    FunctionRepository,
    ProvisionedConcurrencyRepository,
    ReservedConcurrencyRepository,
)
from ovis.logs.repository import LogRepository
from ovis.services.cloudformation.repository import StackRepository
from ovis.services.cloudwatch.repository import CloudWatchRepository
from ovis.services.events.repository import EventBusRepository
from ovis.services.kinesis.repository import StreamRepository
from ovis.services.lambda_.esm.repository import MappingRepository
from ovis.services.lambda_.repositories import (
    AutoscalingRepository,
    EventInvokeRepository,
    LayerRepository,
    PolicyRepository,
    TagRepository,
    UrlRepository,
)
from ovis.services.logs.repository import LogGroupRepository
from ovis.services.s3.repository import S3Repository
from ovis.services.scheduler.repository import ScheduleRepository
from ovis.services.sns.repository import TopicRepository
from ovis.services.sqs.repository import QueueRepository
from ovis.storage.sqlite import SqliteStorage

BACKENDS = ["sqlite"]


class ConcurrencyRepository(
    ReservedConcurrencyRepository, ProvisionedConcurrencyRepository, Protocol
):
    pass


class Storage(Protocol):
    """What a backend's storage object offers: one repository per aggregate, and close().
    (Typing the fixtures with it makes mypy check each backend against every protocol.)"""

    @property
    def functions(self) -> FunctionRepository: ...
    @property
    def concurrency(self) -> ConcurrencyRepository: ...
    @property
    def tags(self) -> TagRepository: ...
    @property
    def logs(self) -> LogRepository: ...
    @property
    def log_groups(self) -> LogGroupRepository: ...
    @property
    def async_events(self) -> AsyncEventRepository: ...
    @property
    def event_invoke(self) -> EventInvokeRepository: ...
    @property
    def layers(self) -> LayerRepository: ...
    @property
    def autoscaling(self) -> AutoscalingRepository: ...
    @property
    def queues(self) -> QueueRepository: ...
    @property
    def urls(self) -> UrlRepository: ...
    @property
    def policies(self) -> PolicyRepository: ...
    @property
    def streams(self) -> StreamRepository: ...
    def event_source_mappings(self) -> MappingRepository: ...
    def schedules(self) -> ScheduleRepository: ...
    def topics(self) -> TopicRepository: ...
    @property
    def s3(self) -> S3Repository: ...
    def event_buses(self) -> EventBusRepository: ...
    @property
    def metrics(self) -> CloudWatchRepository: ...
    def stacks(self) -> StackRepository: ...
    def close(self) -> None: ...


@dataclass
class Backend:
    name: str
    factory: Callable[[], Storage]
    opened: list[Storage] = field(default_factory=list)

    def open(self) -> Storage:
        """A new, independent storage on this test's database (closed at teardown)."""
        s = self.factory()
        self.opened.append(s)
        return s


def _open_backend(name: str, tmp_path: Path) -> Callable[[], Storage]:
    if name == "sqlite":
        path = tmp_path / "ovis.db"

        def sqlite() -> Storage:
            return SqliteStorage(path)

        return sqlite
    raise AssertionError(f"unknown backend {name}")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    b = Backend(request.param, _open_backend(request.param, tmp_path))
    yield b
    for s in b.opened:
        s.close()


@pytest.fixture
def storage(backend: Backend) -> Storage:
    return backend.open()
