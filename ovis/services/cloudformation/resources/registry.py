"""Every resource type the stack engine can make: ``providers(calls)`` maps a type name to its
handler. A type missing here fails a change set with a reason naming it."""

from __future__ import annotations

from ovis.services.calls import ServiceCalls
from ovis.services.cloudformation.resources import lambda_types, service_types
from ovis.services.cloudformation.resources.base import ResourceProvider


def providers(calls: ServiceCalls) -> dict[str, ResourceProvider]:
    out: dict[str, ResourceProvider] = {}
    for p in [*lambda_types.providers(calls), *service_types.providers(calls)]:
        if p.type_name in out:
            raise ValueError(f"two handlers for {p.type_name}")  # a wiring bug
        out[p.type_name] = p
    return out
