"""The Application Auto Scaling service package's face to the front door."""

from __future__ import annotations

from ovis.services.autoscaling.operations import AutoscalingApi
from ovis.services.autoscaling.scaling import AutoscalingService
from ovis.services.table import ServiceTable


def autoscaling_service(scaling: AutoscalingService) -> ServiceTable:
    return ServiceTable("application-autoscaling", AutoscalingApi(scaling).handlers)
