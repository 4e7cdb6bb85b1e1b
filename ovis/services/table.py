"""The plain ``AwsService`` every service package exposes: a botocore name and its table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ovis.services.context import Handler


@dataclass(frozen=True)
class ServiceTable:
    """An ``AwsService``: ``operations`` maps a botocore operation name to its handler.
    Immutable once built; the front door reads it per request with one dict lookup."""

    name: str
    operations: Mapping[str, Handler]


def merge(*tables: Mapping[str, Handler]) -> dict[str, Handler]:
    """One table from several; an operation in two of them is a wiring bug."""
    out: dict[str, Handler] = {}
    for table in tables:
        twice = out.keys() & table.keys()
        if twice:
            raise ValueError(f"operations defined twice: {sorted(twice)}")
        out.update(table)
    return out
