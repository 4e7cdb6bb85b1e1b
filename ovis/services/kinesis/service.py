"""The Kinesis service package's face to the front door."""

from __future__ import annotations

from ovis.services.kinesis.operations import KinesisApi
from ovis.services.kinesis.streams import StreamService
from ovis.services.table import ServiceTable


def kinesis_service(streams: StreamService) -> ServiceTable:
    return ServiceTable("kinesis", KinesisApi(streams).handlers)
