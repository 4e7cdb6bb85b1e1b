"""The one place that picks a protocol codec for a service (``ovis.protocols.base.Codec``).

Today these are the codecs the server always had (``legacy_codecs``, ``legacy_sqs_codecs``);
``ovis.protocols`` replaces them by changing this function only. Codecs are immutable and
shared: the front door calls this once per service at construction, never per request.
"""

from __future__ import annotations

from ovis.frontdoor.legacy_codecs import (
    JsonCodec,
    RestJsonCodec,
    UnsupportedServiceCodec,
    service_model,
)
from ovis.frontdoor.legacy_sqs_codecs import SqsJsonCodec, SqsQueryCodec
from ovis.protocols.base import Codec

# Services whose handlers check the members they read themselves (no model validation).
_UNVALIDATED = frozenset({"logs"})


def codec_for(service_name: str, protocol: str | None = None) -> Codec:
    """The codec for ``service_name`` (a botocore service name) in ``protocol`` (default: the
    model's). A service or protocol this server has no codec for gets one that answers every
    request with "not supported" in that protocol's error format."""
    if protocol is None:
        protocol = service_model(service_name).metadata["protocol"]
    if service_name == "sqs":
        return SqsQueryCodec() if protocol == "query" else SqsJsonCodec()
    if protocol == "rest-json" and service_name == "lambda":
        return RestJsonCodec(service_name)
    if protocol == "json":
        return JsonCodec(service_name, validate=service_name not in _UNVALIDATED)
    return UnsupportedServiceCodec(service_name, protocol)
