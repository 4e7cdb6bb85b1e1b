"""The resource handlers of this family (filled in by its owner; see registry.py)."""

from __future__ import annotations

from ovis.services.calls import ServiceCalls
from ovis.services.cloudformation.resources.base import ResourceProvider


def providers(calls: ServiceCalls) -> list[ResourceProvider]:
    return []
