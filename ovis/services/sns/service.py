"""The SNS service package's face to the front door."""

from __future__ import annotations

from ovis.services.sns.operations import SnsApi
from ovis.services.sns.topics import TopicService
from ovis.services.table import ServiceTable


def sns_service(topics: TopicService) -> ServiceTable:
    return ServiceTable("sns", SnsApi(topics).handlers)
