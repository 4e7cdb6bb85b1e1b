"""What the CloudFormation service stores: stacks (deleted ones too, until purged), each
stack's resources and events, and change sets.

Contract (whatever the backend): synchronous, thread-safe, durable on return; each method is
one transaction. ``cfn_save`` writes a stack, some of its resources and events together, so a
status and the event announcing it are never seen apart (and a crash never leaves one
without the other). Events come back newest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ovis.models.stack import ChangeSet, Stack, StackEvent, StackResource


class StackRepository(Protocol):
    def cfn_stacks(self) -> list[Stack]:
        """Every stack, deleted ones included."""
        ...

    def cfn_resources(self, stack_id: str) -> list[StackResource]: ...

    def cfn_save(
        self,
        *,
        stack: Stack | None = None,
        resources: Sequence[StackResource] = (),
        events: Sequence[StackEvent] = (),
        removed: Sequence[str] = (),
        stack_id: str = "",
    ) -> None:
        """One transaction: put ``stack`` and ``resources``, append ``events``, delete the
        resources named in ``removed`` (logical ids of ``stack_id``, or of ``stack``)."""
        ...

    def cfn_events(self, stack_id: str) -> list[StackEvent]:
        """The stack's events, newest first."""
        ...

    def cfn_purge_stack(self, stack_id: str) -> None:
        """Forget a deleted stack: its row, resources, events and change sets."""
        ...

    def cfn_change_sets(self) -> list[ChangeSet]: ...
    def cfn_put_change_set(self, change_set: ChangeSet) -> None: ...
    def cfn_delete_change_sets(self, change_set_ids: Sequence[str]) -> None: ...
