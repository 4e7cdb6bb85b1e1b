"""The resource handlers of the Lambda family (see registry.py): one provider per type, each in
its own ``lambda_<type>.py`` module."""

from __future__ import annotations

from ovis.services.calls import ServiceCalls
from ovis.services.cloudformation.resources.base import ResourceProvider
from ovis.services.cloudformation.resources.lambda_alias import AliasProvider
from ovis.services.cloudformation.resources.lambda_event_invoke_config import (
    EventInvokeConfigProvider,
)
from ovis.services.cloudformation.resources.lambda_event_source_mapping import (
    EventSourceMappingProvider,
)
from ovis.services.cloudformation.resources.lambda_function import FunctionProvider
from ovis.services.cloudformation.resources.lambda_layer import (
    LayerVersionPermissionProvider,
    LayerVersionProvider,
)
from ovis.services.cloudformation.resources.lambda_permission import PermissionProvider
from ovis.services.cloudformation.resources.lambda_url import UrlProvider
from ovis.services.cloudformation.resources.lambda_version import VersionProvider


def providers(calls: ServiceCalls) -> list[ResourceProvider]:
    return [
        FunctionProvider(calls),
        VersionProvider(calls),
        AliasProvider(calls),
        PermissionProvider(calls),
        UrlProvider(calls),
        LayerVersionProvider(calls),
        LayerVersionPermissionProvider(calls),
        EventSourceMappingProvider(calls),
        EventInvokeConfigProvider(calls),
    ]
