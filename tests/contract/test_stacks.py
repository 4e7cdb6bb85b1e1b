"""The stack repository contract: stacks, resources and events written together, durable on
return (a second, independent storage sees them), events newest first, purges complete."""

from __future__ import annotations

from ovis.models.stack import (
    ChangeSet,
    Output,
    Previous,
    ResourceState,
    Stack,
    StackEvent,
    StackResource,
)
from tests.contract.conftest import Backend, Storage

SID = "arn:aws:cloudformation:us-east-1:000000000000:stack/s/1"


def _stack(status: str = "CREATE_IN_PROGRESS") -> Stack:
    return Stack(
        SID,
        "s",
        "us-east-1",
        "000000000000",
        status,
        1.0,
        template_body="{}",
        template={"Resources": {}},
        parameters={"P": "v"},
        no_echo=("P",),
        tags=(("k", "v"),),
        outputs=(Output("O", "x", "d", "exp"),),
        previous=Previous("{}", {}, {}, (Output("O", "y"),), None, ("imp",)),
    )


def _event(n: int) -> StackEvent:
    return StackEvent(f"e{n}", SID, "s", "s", SID, "AWS::CloudFormation::Stack", float(n), "X")


def test_save_is_one_write_seen_by_another_storage(storage: Storage, backend: Backend) -> None:
    res = StackResource(
        SID,
        "Q",
        "AWS::SQS::Queue",
        "CREATE_COMPLETE",
        "TOKEN",
        physical_id="url",
        properties={"A": [1, {"b": True}]},
        attributes={"Arn": "arn"},
        depends_on=("T",),
        action="Replace",
        old=ResourceState("AWS::SQS::Queue", "OLD", "old-url", {"A": 1}, {}),
    )
    storage.stacks.cfn_save(stack=_stack(), resources=[res], events=[_event(1), _event(2)])
    other = backend.open()
    assert other.stacks.cfn_stacks() == [_stack()]
    assert other.stacks.cfn_resources(SID) == [res]
    assert [e.event_id for e in other.stacks.cfn_events(SID)] == ["e2", "e1"]
    storage.stacks.cfn_save(stack_id=SID, removed=["Q"], events=[_event(3)])
    assert other.stacks.cfn_resources(SID) == []
    assert [e.event_id for e in other.stacks.cfn_events(SID)] == ["e3", "e2", "e1"]
    storage.stacks.cfn_save(stack=_stack("CREATE_COMPLETE"))
    assert [s.status for s in other.stacks.cfn_stacks()] == ["CREATE_COMPLETE"]


def test_change_sets_and_purge(storage: Storage) -> None:
    cs = ChangeSet(
        "arn:cs/1",
        "c",
        SID,
        "s",
        "CREATE",
        "CREATE_PENDING",
        "UNAVAILABLE",
        1.0,
        "{}",
        {},
        {},
        changes=({"Type": "Resource"},),
    )
    storage.stacks.cfn_save(stack=_stack(), events=[_event(1)])
    storage.stacks.cfn_put_change_set(cs)
    assert storage.stacks.cfn_change_sets() == [cs]
    storage.stacks.cfn_delete_change_sets(["arn:cs/1"])
    assert storage.stacks.cfn_change_sets() == []
    storage.stacks.cfn_put_change_set(cs)
    storage.stacks.cfn_purge_stack(SID)
    assert storage.stacks.cfn_stacks() == []
    assert storage.stacks.cfn_events(SID) == []
    assert storage.stacks.cfn_change_sets() == []
