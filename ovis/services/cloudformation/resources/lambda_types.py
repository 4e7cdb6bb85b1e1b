"""The resource handlers of the Lambda family (see registry.py): one provider per type, each in
its own ``lambda_<type>.py`` module."""

from __future__ import annotations

from ovis.services.calls import ServiceCalls
from ovis.services.cloudformation.resources.base import ResourceProvider
from ovis.services.cloudformation.resources.lambda_function import FunctionProvider


def providers(calls: ServiceCalls) -> list[ResourceProvider]:
    return [FunctionProvider(calls)]
