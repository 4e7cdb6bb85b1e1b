"""What a template would change in a stack: the ``Change`` list of a change set.

Contract: ``changes(resources, plan, ctx, providers)`` is pure (it reads the stack's resources
as they are and the new template's plan) and answers the API's ``Change`` shapes: ``Add`` for
a resource the stack lacks, ``Remove`` for one the template no longer has (with its
``PolicyAction``), ``Modify`` for one whose resolved properties differ, with one ``Detail``
per changed top-level property. A property whose value depends on a resource being added or
replaced cannot be known before execution: it is a ``Dynamic`` change, and makes the
replacement ``Conditional`` when it is a create-only property. The engine applies the same
rule (a create-only property that changed replaces the resource).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ovis.errors import ApiError
from ovis.models.stack import StackResource
from ovis.services.cloudformation.engine import Lookup
from ovis.services.cloudformation.resources.base import ResourceProvider
from ovis.services.cloudformation.template import Context, Plan, references, resolve


def _topological(p: Plan) -> list[str]:
    done: set[str] = set()
    out: list[str] = []

    def visit(lid: str, seen: frozenset[str]) -> None:
        if lid in done or lid in seen or lid not in p.resources:
            return
        for d in sorted(p.resources[lid].depends_on):
            visit(d, seen | {lid})
        done.add(lid)
        out.append(lid)

    for lid in p.resources:
        visit(lid, frozenset())
    return out


def changes(
    resources: Mapping[str, StackResource],
    p: Plan,
    ctx: Context,
    providers: Mapping[str, ResourceProvider],
) -> list[dict[str, Any]]:
    live = {lid: r for lid, r in resources.items() if r.status != "DELETE_COMPLETE"}
    lookup = Lookup(live)
    renewed: set[str] = set()  # added or (maybe) replaced: their Ref and GetAtt will change
    modified: set[str] = set()  # updated in place: their GetAtt may change
    out: list[dict[str, Any]] = []
    for lid in _topological(p):
        decl = p.resources[lid]
        rec = live.get(lid)
        if rec is None:
            renewed.add(lid)
            out.append(_change("Add", lid, decl.type))
            continue
        provider = providers.get(decl.type)
        create_only = provider.create_only if provider is not None else frozenset()
        details: list[dict[str, Any]] = []
        replacement = "False"
        for key in sorted({*(decl.properties or {}), *rec.properties}):
            raw = (decl.properties or {}).get(key)
            refs = references(raw) if raw is not None else set()
            dynamic = bool(refs & renewed) or bool(refs & modified and _uses_get_att(raw))
            recreate = "Always" if key in create_only else "Never"
            if not dynamic:
                try:
                    value = resolve(raw, ctx, p, lookup) if raw is not None else None
                except ApiError:
                    dynamic = True
                else:
                    if value == rec.properties.get(key):
                        continue
            source = "ResourceReference" if dynamic else "DirectModification"
            if dynamic and recreate == "Always":
                recreate = "Conditionally"
            details.append(
                {
                    "Target": {
                        "Attribute": "Properties",
                        "Name": key,
                        "RequiresRecreation": recreate,
                    },
                    "Evaluation": "Dynamic" if dynamic else "Static",
                    "ChangeSource": source,
                    **({"CausingEntity": sorted(refs)[0]} if dynamic and refs else {}),
                }
            )
            if recreate == "Always":
                replacement = "True"
            elif recreate == "Conditionally" and replacement == "False":
                replacement = "Conditional"
        if rec.type != decl.type:
            replacement = "True"
        elif not details:
            continue
        if replacement == "False":
            modified.add(lid)
        else:
            renewed.add(lid)
        scope = ["Properties"] if details else []
        if any(d["Target"]["Name"] == "Tags" for d in details):
            scope.append("Tags")
        change = _change("Modify", lid, decl.type, rec.physical_id)
        rc = change["ResourceChange"]
        rc.update(Replacement=replacement, Scope=scope, Details=details)
        if replacement == "True":
            rc["PolicyAction"] = (
                "ReplaceAndRetain" if rec.update_replace_policy == "Retain" else "ReplaceAndDelete"
            )
        out.append(change)
    for lid, rec in live.items():
        if lid not in p.resources:
            change = _change("Remove", lid, rec.type, rec.physical_id)
            change["ResourceChange"]["PolicyAction"] = (
                "Retain" if rec.deletion_policy == "Retain" else "Delete"
            )
            out.append(change)
    return out


def _uses_get_att(value: Any) -> bool:
    if isinstance(value, dict):
        if "Fn::GetAtt" in value or "Fn::Sub" in value:  # ${X.Attr} reads an attribute
            return True
        return any(_uses_get_att(v) for v in value.values())
    if isinstance(value, list):
        return any(_uses_get_att(v) for v in value)
    return False


def _change(
    action: str, logical_id: str, type_name: str, physical_id: str | None = None
) -> dict[str, Any]:
    rc: dict[str, Any] = {
        "Action": action,
        "LogicalResourceId": logical_id,
        "ResourceType": type_name,
        "Scope": [],
        "Details": [],
    }
    if physical_id:
        rc["PhysicalResourceId"] = physical_id
    return {"Type": "Resource", "HookInvocationCount": 0, "ResourceChange": rc}
