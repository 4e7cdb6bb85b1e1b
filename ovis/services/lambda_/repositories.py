"""What the control layer needs from storage: tags, layers (and their policies), event invoke
and recursion configs, function URLs, function resource policies and auto scaling.
(Functions, reserved and provisioned concurrency: ``ovis.invoke.repositories``.)

Contract of every repository here (whatever the backend):
- Methods are synchronous (call them through ``asyncio.to_thread`` from the event loop),
  thread-safe, and durable on return: a write is committed before the method returns.
- A multi-row write is all-or-nothing: when it raises, nothing of it was stored.
- Where a value may be None (or a policy may have no statements), that deletes the entry;
  deleting what does not exist is a no-op.
- Errors are ``ovis.storage.errors`` types: ``ConflictError`` for a broken constraint,
  ``StorageClosedError`` after the storage was closed, ``StorageError`` for anything else.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from ovis.models.layer import LayerVersion


class TagRepository(Protocol):
    """Tags keyed by resource ARN; ``put_tags`` adds or overwrites keys, all-or-nothing."""

    def get_tags(self, arn: str) -> dict[str, str]: ...
    def put_tags(self, arn: str, tags: dict[str, str]) -> None: ...
    def delete_tags(self, arn: str, keys: Iterable[str] | None = None) -> None:
        """Delete ``keys``, or every tag of ``arn`` when ``keys`` is None."""
        ...


class LayerRepository(Protocol):
    """Layer versions, numbered per layer from 1 and never reused (the counter survives the
    deletion of every version; a failed publish does not advance it). Deleting only flags a
    version and drops its policy."""

    def publish_layer_version(self, v: LayerVersion) -> LayerVersion:
        """Store ``v`` under the next version number (``v.version`` ignored); returns it."""
        ...

    def get_layer_version(self, name: str, version: int) -> LayerVersion | None:
        """The version, deleted or not (check ``.deleted``)."""
        ...

    def list_layer_versions(self, name: str | None = None) -> list[LayerVersion]:
        """Live versions of one layer, or of all: by name, newest first."""
        ...

    def delete_layer_version(self, name: str, version: int) -> None: ...
    def get_layer_policy(self, name: str, version: int) -> tuple[list[dict[str, Any]], str] | None:
        """(statements in insertion order, revision id), or None without a policy."""
        ...

    def put_layer_policy(
        self, name: str, version: int, statements: list[dict[str, Any]], revision_id: str
    ) -> None: ...


class EventInvokeRepository(Protocol):
    """Event invoke configs per (function, qualifier) and recursion modes per function."""

    def event_invoke_configs(self) -> list[tuple[str, str, dict[str, object]]]: ...
    def put_event_invoke_config(
        self, function: str, qualifier: str, data: dict[str, object] | None
    ) -> None: ...
    def recursion_configs(self) -> dict[str, str]: ...
    def put_recursion_config(self, function: str, mode: str) -> None: ...


class UrlRepository(Protocol):
    """Function URL configs (the JSON of control.urls.UrlConfig) per (function, qualifier),
    qualifier "" being the unqualified function."""

    def function_url_configs(self) -> list[dict[str, object]]: ...
    def put_function_url_config(
        self, function: str, qualifier: str, data: dict[str, object] | None
    ) -> None: ...


class PolicyRepository(Protocol):
    """Function resource policies per (function, qualifier): (function, qualifier,
    statements in order, revision id)."""

    def function_policies(self) -> list[tuple[str, str, list[dict[str, Any]], str]]: ...
    def put_function_policy(
        self, function: str, qualifier: str, statements: list[dict[str, Any]], revision_id: str
    ) -> None: ...


class AutoscalingRepository(Protocol):
    """Scalable targets and scaling policies as the JSON of their API shapes; deleting a
    target (None ``data``) deletes its policies in the same transaction."""

    def scalable_targets(self) -> list[dict[str, object]]: ...
    def put_scalable_target(
        self, namespace: str, resource_id: str, dimension: str, data: dict[str, object] | None
    ) -> None: ...
    def scaling_policies(self) -> list[dict[str, object]]: ...
    def put_scaling_policy(
        self,
        namespace: str,
        resource_id: str,
        dimension: str,
        name: str,
        data: dict[str, object] | None,
    ) -> None: ...
