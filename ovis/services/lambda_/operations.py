"""Lambda's operation table: every operation name this server implements -> its handler."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ovis.invoke.async_queue import AsyncQueue
from ovis.invoke.invoker import Invoker
from ovis.invoke.provisioned import ProvisionedService
from ovis.services.context import Handler
from ovis.services.lambda_.concurrency import ConcurrencyService
from ovis.services.lambda_.esm.mappings import MappingService
from ovis.services.lambda_.esm_ops import TAG_OPERATIONS, MappingsApi
from ovis.services.lambda_.event_invoke import EventInvokeService
from ovis.services.lambda_.event_invoke_ops import AsyncApi
from ovis.services.lambda_.function_ops import LambdaApi
from ovis.services.lambda_.functions import FunctionService
from ovis.services.lambda_.layer_ops import LayersApi
from ovis.services.lambda_.layers import LayerService
from ovis.services.lambda_.permissions import PolicyService
from ovis.services.lambda_.provisioned_ops import ProvisionedApi
from ovis.services.lambda_.streaming import StreamingApi
from ovis.services.lambda_.url_ops import UrlsApi
from ovis.services.lambda_.urls import UrlService
from ovis.services.lambda_.version_ops import VersionsApi
from ovis.services.lambda_.versions import VersionService
from ovis.services.table import merge


@dataclass(frozen=True)
class LambdaUseCases:
    """The use cases Lambda's handlers call (built by the composition root)."""

    functions: FunctionService
    invoker: Invoker
    queue: AsyncQueue
    code_url: Callable[[str], str]  # presigned download URL of a package digest
    concurrency: ConcurrencyService
    versions: VersionService
    layers: LayerService
    provisioned: ProvisionedService
    event_invoke: EventInvokeService
    urls: UrlService
    policies: PolicyService
    mappings: MappingService | None = None  # event source mappings (None: not served)


def lambda_operations(u: LambdaUseCases) -> dict[str, Handler]:
    functions = dict(
        LambdaApi(
            u.functions, u.invoker, u.queue, u.code_url, u.concurrency, publish=u.versions.publish
        ).handlers
    )
    mappings: dict[str, Handler] = {}
    if u.mappings is not None:
        # tag operations serve mapping ARNs too: the mappings table answers those and hands
        # every other ARN to the function table's handlers
        tags = {op: functions.pop(op) for op in TAG_OPERATIONS}
        mappings = MappingsApi(u.mappings, tags).handlers
    return merge(
        functions,
        VersionsApi(u.versions).handlers,
        LayersApi(u.layers, u.code_url).handlers,
        ProvisionedApi(u.provisioned, u.functions).handlers,
        AsyncApi(u.event_invoke).handlers,
        UrlsApi(u.urls, u.policies).handlers,
        StreamingApi(u.functions, u.invoker).handlers,
        mappings,
    )
