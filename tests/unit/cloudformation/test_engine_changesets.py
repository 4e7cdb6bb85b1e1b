"""Change set diffs (changesets.py): Add/Modify/Remove, Replacement from create-only
properties, Static vs Dynamic evaluation when a value depends on a resource being replaced."""

from __future__ import annotations

from typing import Any, ClassVar

from ovis.models.stack import StackResource
from ovis.services.cloudformation.changesets import changes
from ovis.services.cloudformation.resources.base import ResourceRequest, ResourceResult
from ovis.services.cloudformation.template import Context, plan

SID = "arn:aws:cloudformation:us-east-1:000000000000:stack/s/1"


class Thing:
    type_name: ClassVar[str] = "Test::Thing"
    create_only: ClassVar[frozenset[str]] = frozenset({"Kind"})
    attributes: ClassVar[frozenset[str]] = frozenset({"Arn"})

    async def create(self, req: ResourceRequest) -> ResourceResult:
        raise NotImplementedError

    async def update(self, req: ResourceRequest) -> ResourceResult:
        raise NotImplementedError

    async def delete(self, req: ResourceRequest) -> None:
        raise NotImplementedError


def rec(lid: str, props: dict[str, Any], policy: str = "Delete") -> StackResource:
    return StackResource(
        SID,
        lid,
        "Test::Thing",
        "CREATE_COMPLETE",
        "T",
        physical_id=f"{lid}-id",
        properties=props,
        attributes={"Arn": f"arn:{lid}"},
        deletion_policy=policy,
    )


def diff(template: dict[str, Any], existing: list[StackResource]) -> dict[str, dict[str, Any]]:
    ctx = Context("s", SID, "us-east-1", "000000000000")
    p = plan(template, ctx)
    out = changes({r.logical_id: r for r in existing}, p, ctx, {"Test::Thing": Thing()})
    return {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in out}


def test_add_modify_remove_and_unchanged() -> None:
    tpl = {
        "Resources": {
            "Same": {"Type": "Test::Thing", "Properties": {"V": 1}},
            "Mod": {"Type": "Test::Thing", "Properties": {"V": 2}},
            "New": {"Type": "Test::Thing"},
        }
    }
    got = diff(tpl, [rec("Same", {"V": 1}), rec("Mod", {"V": 1}), rec("Gone", {}, "Retain")])
    assert set(got) == {"Mod", "New", "Gone"}
    assert got["New"]["Action"] == "Add"
    assert got["Gone"]["Action"] == "Remove" and got["Gone"]["PolicyAction"] == "Retain"
    mod = got["Mod"]
    assert (mod["Action"], mod["Replacement"], mod["Scope"]) == ("Modify", "False", ["Properties"])
    assert mod["PhysicalResourceId"] == "Mod-id"
    assert mod["Details"] == [
        {
            "Target": {"Attribute": "Properties", "Name": "V", "RequiresRecreation": "Never"},
            "Evaluation": "Static",
            "ChangeSource": "DirectModification",
        }
    ]


def test_replacement_and_dynamic_dependents() -> None:
    tpl = {
        "Resources": {
            "A": {"Type": "Test::Thing", "Properties": {"Kind": "new"}},
            "B": {"Type": "Test::Thing", "Properties": {"Kind": {"Ref": "A"}}},
            "C": {"Type": "Test::Thing", "Properties": {"V": {"Fn::GetAtt": ["A", "Arn"]}}},
        }
    }
    existing = [rec("A", {"Kind": "old"}), rec("B", {"Kind": "A-id"}), rec("C", {"V": "arn:A"})]
    got = diff(tpl, existing)
    assert got["A"]["Replacement"] == "True"
    assert got["A"]["PolicyAction"] == "ReplaceAndDelete"
    # B's create-only Kind is A's id, which the replacement changes: maybe replaced
    assert got["B"]["Replacement"] == "Conditional"
    assert got["B"]["Details"][0]["Evaluation"] == "Dynamic"
    assert got["B"]["Details"][0]["Target"]["RequiresRecreation"] == "Conditionally"
    assert got["C"]["Replacement"] == "False"
    assert got["C"]["Details"][0]["ChangeSource"] == "ResourceReference"
