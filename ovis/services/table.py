"""The plain ``AwsService`` every service package exposes: a botocore name and its table."""

from __future__ import annotations

from collections.abc import Mapping

from ovis.services.context import Handler


class ServiceTable:
    """An ``AwsService``: ``operations`` maps a botocore operation name to its handler.
    Not to be changed once built (a private copy); the front door reads it per request with
    one dict lookup."""

    __slots__ = ("_operations", "name")

    def __init__(self, name: str, operations: Mapping[str, Handler]) -> None:
        self.name = name
        self._operations = dict(operations)

    @property
    def operations(self) -> Mapping[str, Handler]:
        return self._operations


def merge(*tables: Mapping[str, Handler]) -> dict[str, Handler]:
    """One table from several; an operation in two of them is a wiring bug."""
    out: dict[str, Handler] = {}
    for table in tables:
        twice = out.keys() & table.keys()
        if twice:
            raise ValueError(f"operations defined twice: {sorted(twice)}")
        out.update(table)
    return out
