"""The application templates: every directory under ``templates/`` with an ``app.json``.

Contract: read-only package data, read afresh on each call; ``get`` of an unknown name raises
``UnknownTemplate`` whose message lists the known names. A template's ``files()`` are what the
application's initial commit holds (``app.json`` excluded; build leftovers skipped).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable

SKIP = frozenset({"__pycache__", ".pytest_cache", "build.json"})


class UnknownTemplate(LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(
            f"No application template named {name!r}. Known templates: {', '.join(known)}."
        )


@dataclass(frozen=True)
class AppTemplate:
    name: str
    title: str
    description: str
    root: Traversable = field(repr=False, compare=False)

    def files(self) -> dict[str, bytes]:
        return dict(_walk(self.root, ""))

    def summary(self) -> dict[str, str]:
        return {"Name": self.name, "Title": self.title, "Description": self.description}


def _walk(node: Traversable, prefix: str) -> Iterator[tuple[str, bytes]]:
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.name in SKIP or (not prefix and child.name == "app.json"):
            continue
        path = f"{prefix}{child.name}"
        if child.is_dir():
            yield from _walk(child, path + "/")
        else:
            yield path, child.read_bytes()


def list_templates() -> list[AppTemplate]:
    here = resources.files("ovis.apps") / "templates"
    found = []
    for d in here.iterdir():
        if d.is_dir() and (d / "app.json").is_file():
            meta = json.loads((d / "app.json").read_text())
            found.append(AppTemplate(d.name, meta["title"], meta["description"], d))
    return sorted(found, key=lambda t: t.name)


def get(name: str) -> AppTemplate:
    templates = list_templates()
    for t in templates:
        if t.name == name:
            return t
    raise UnknownTemplate(name, [t.name for t in templates])
