"""Typed inputs of the IAM use cases that take more than one or two members."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CreateRole:
    name: str
    trust_policy: str
    path: str = "/"
    description: str = ""
    max_session_s: int = 3600
    permissions_boundary: str = ""
    tags: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class CreatePolicy:
    name: str
    document: str
    path: str = "/"
    description: str = ""
    tags: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ListPolicies:
    scope: str = "All"  # All | AWS | Local
    only_attached: bool = False
    path_prefix: str = "/"
    usage_filter: str = ""  # PermissionsPolicy | PermissionsBoundary | ""
    marker: str | None = None
    max_items: int | None = None
