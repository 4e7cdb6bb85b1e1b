"""Typed commands of the item use cases (frozen): built from the wire by ``operations.py``
(parsing every expression up front, so a request with a bad expression changes nothing) and
executed by ``items.py`` alone or as one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from ovis.services.dynamodb.condition import Cond
from ovis.services.dynamodb.expressions import Path
from ovis.services.dynamodb.key_condition import KeyCondition
from ovis.services.dynamodb.update import Action
from ovis.services.dynamodb.values import Item


@dataclass(frozen=True)
class Write:
    """One item write: ``kind`` Put (``item``), Update (``actions``), Delete or
    ConditionCheck, each with an optional ``condition``. ``key`` is the primary key."""

    kind: str
    table: str
    key: Item
    item: Item | None = None
    actions: tuple[Action, ...] | None = None
    condition: Cond | None = None
    return_values: str = "NONE"
    return_on_failure: str = "NONE"


@dataclass(frozen=True)
class Read:
    table: str
    key: Item
    projection: list[Path] | None = None


@dataclass(frozen=True)
class Query:
    table: str
    index: str | None
    key: KeyCondition
    filter: Cond | None = None
    projection: list[Path] | None = None
    forward: bool = True
    limit: int | None = None
    start: Item | None = None
    count_only: bool = False


@dataclass(frozen=True)
class Scan:
    table: str
    index: str | None
    filter: Cond | None = None
    projection: list[Path] | None = None
    limit: int | None = None
    start: Item | None = None
    segment: int = 0
    total_segments: int = 1
    count_only: bool = False


@dataclass(frozen=True)
class Page:
    items: list[Item]
    count: int
    scanned: int
    last_key: Item | None
