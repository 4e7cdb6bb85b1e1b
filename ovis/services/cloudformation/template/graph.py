"""Resource dependencies: the order CloudFormation may create resources in.

A resource depends on what it names in ``DependsOn`` and on every resource its properties
refer to (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``). ``order`` is a topological order (creation
order; deletion is its reverse); ``ready`` answers which resources may start now given those
done, so independent resources can be created concurrently. Cycles are refused with AWS's
"Circular dependency between resources: [A, B]".
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from ovis.services.cloudformation.template.errors import TemplateError


def topological_order(deps: Mapping[str, frozenset[str]]) -> list[str]:
    """``deps``' keys, each after everything it depends on; ties keep ``deps``' order."""
    remaining = {name: set(d) for name, d in deps.items()}
    done: set[str] = set()
    out: list[str] = []
    while remaining:
        batch = [name for name, d in remaining.items() if d <= done]
        if not batch:
            raise TemplateError(
                f"Circular dependency between resources: [{', '.join(_cyclic(remaining))}]"
            )
        for name in batch:
            out.append(name)
            done.add(name)
            del remaining[name]
    return out


def _cyclic(remaining: Mapping[str, set[str]]) -> list[str]:
    """The resources on a cycle (or waiting on one), as AWS lists them: sorted."""
    # Peel off resources nothing left depends on: what stays is cycles and their dependents'
    # closure reduced to the strongly connected part.
    nodes = set(remaining)
    changed = True
    while changed:
        changed = False
        needed = {d for name in nodes for d in remaining[name] if d in nodes}
        for name in list(nodes):
            if name not in needed:
                nodes.discard(name)
                changed = True
    return sorted(nodes)


def ready(
    done: Collection[str], deps: Mapping[str, frozenset[str]], started: Collection[str] = ()
) -> list[str]:
    """Resources not done nor started whose dependencies are all done, in ``deps``' order."""
    done_set = set(done)
    return [
        name
        for name, d in deps.items()
        if name not in done_set and name not in started and d <= done_set
    ]
