"""Projection expressions (GetItem, Query, Scan, BatchGetItem, TransactGetItems):

    projection := path ( ',' path )*

Applying one keeps only those document paths of an item, nested maps and lists preserved
(list elements kept in their order, compacted), as AWS returns them.
"""

from __future__ import annotations

from typing import Any

from ovis.services.dynamodb.expressions import Parser, Path, Placeholders, get
from ovis.services.dynamodb.values import Item, Value


class ProjectionParser(Parser):
    def parse(self) -> list[Path]:
        paths = [self.path()]
        while self.is_op(","):
            self.i += 1
            paths.append(self.path())
        self.end()
        return paths


def parse_projection(text: str, ph: Placeholders) -> list[Path]:
    return ProjectionParser(text, "ProjectionExpression", ph).parse()


def project(item: Item, paths: list[Path] | None) -> Item:
    """``item`` reduced to ``paths`` (all of it when None)."""
    if paths is None:
        return item
    tree: dict[Any, Any] = {}
    for path in paths:
        v = get(item, path)
        if v is None:
            continue
        cur = tree
        for p in path[:-1]:
            cur = cur.setdefault(p, {})
            if not isinstance(cur, dict) or "__value__" in cur:
                break  # a shorter path already takes the whole container
        else:
            cur[path[-1]] = {"__value__": v}
    return {str(k): _build(sub) for k, sub in tree.items()}


def _build(node: dict[Any, Any]) -> Value:
    if "__value__" in node:
        value: Value = node["__value__"]
        return value
    keys = list(node)
    if keys and isinstance(keys[0], int):
        return {"L": [_build(node[i]) for i in sorted(keys)]}
    return {"M": {str(k): _build(sub) for k, sub in node.items()}}
