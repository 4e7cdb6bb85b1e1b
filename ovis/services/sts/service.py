"""The STS service package's face to the front door."""

from __future__ import annotations

from ovis.services.sts.operations import StsApi
from ovis.services.sts.sessions import StsService
from ovis.services.table import ServiceTable


def sts_service(sts: StsService) -> ServiceTable:
    return ServiceTable("sts", StsApi(sts).handlers)
