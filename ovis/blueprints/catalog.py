"""The blueprint catalog: every directory beside this module with a ``blueprint.json``.

The one API: ``list_blueprints()``, ``get(name)`` and ``write_to(name, directory)``. A blueprint's
presets (runtime, memory, timeout, environment) are read from its template's main function
(``blueprint.json``'s ``function``), so the template is the single source of truth for them.

Contract: the catalog is read-only package data, read afresh on each call (a dozen small files);
``get`` of an unknown name raises ``UnknownBlueprint`` whose message lists the known names;
``write_to`` refuses a non-empty directory unless ``force`` and never deletes anything in it
(``force`` only overwrites the blueprint's own files).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from ovis.services.cloudformation.template.parse import parse_template

# Files that must be executable once written (the shell runtimes' entry points).
EXECUTABLE = frozenset({"bootstrap"})
# Never shipped: what a build or a Python import leaves beside the sources.
SKIP = frozenset({"__pycache__", ".aws-sam", "image.tar", "node_modules"})


class UnknownBlueprint(LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"No blueprint named {name!r}. Known blueprints: {', '.join(known)}.")
        self.name = name


class DirectoryNotEmpty(Exception):
    pass


@dataclass(frozen=True)
class Presets:
    """The main function's configuration as the template sets it (None: the service default)."""

    runtime: str
    memory: int | None
    timeout: int | None
    environment: dict[str, str] = field(default_factory=dict)
    package_type: str = "Zip"


@dataclass(frozen=True)
class Blueprint:
    name: str
    title: str
    description: str
    runtime: str
    trigger: str
    function: str  # the logical id of the main function in template.yaml
    root: Traversable = field(repr=False, compare=False)

    def template_text(self) -> str:
        return (self.root / "template.yaml").read_text()

    def template(self) -> dict[str, Any]:
        """The template as CloudFormation reads it (short tags in their long form)."""
        return parse_template(self.template_text())

    def presets(self) -> Presets:
        props = self.template()["Resources"][self.function].get("Properties", {})
        variables = (props.get("Environment") or {}).get("Variables") or {}
        return Presets(
            runtime=str(props.get("Runtime", self.runtime)),
            memory=props.get("MemorySize"),
            timeout=props.get("Timeout"),
            environment={str(k): str(v) for k, v in variables.items()},
            package_type=str(props.get("PackageType", "Zip")),
        )

    def files(self) -> dict[str, bytes]:
        """Every file of the blueprint by its relative path ("template.yaml", "src/app.py")."""
        return dict(_walk(self.root, ""))

    def summary(self) -> dict[str, Any]:
        """What a listing shows: name, title, description, runtime, trigger."""
        return {
            "Name": self.name,
            "Title": self.title,
            "Description": self.description,
            "Runtime": self.runtime,
            "Trigger": self.trigger,
        }


def _walk(node: Traversable, prefix: str) -> Iterator[tuple[str, bytes]]:
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.name in SKIP or child.name == "blueprint.json":
            continue
        path = f"{prefix}{child.name}"
        if child.is_dir():
            yield from _walk(child, path + "/")
        else:
            yield path, child.read_bytes()


def _load(root: Traversable) -> Blueprint:
    meta = json.loads((root / "blueprint.json").read_text())
    return Blueprint(
        name=root.name,
        title=meta["title"],
        description=meta["description"],
        runtime=meta["runtime"],
        trigger=meta["trigger"],
        function=meta["function"],
        root=root,
    )


def list_blueprints() -> list[Blueprint]:
    """Every blueprint, sorted by name."""
    here = resources.files("ovis.blueprints")
    found = [_load(d) for d in here.iterdir() if d.is_dir() and (d / "blueprint.json").is_file()]
    return sorted(found, key=lambda b: b.name)


def get(name: str) -> Blueprint:
    """The blueprint called ``name``; ``UnknownBlueprint`` (listing the known ones) if none."""
    blueprints = list_blueprints()
    for bp in blueprints:
        if bp.name == name:
            return bp
    raise UnknownBlueprint(name, [b.name for b in blueprints])


def write_to(name: str, directory: Path, force: bool = False) -> list[Path]:
    """Write blueprint ``name``'s files into ``directory`` (created if missing); returns the
    paths written. A non-empty directory is refused (``DirectoryNotEmpty``) unless ``force``."""
    bp = get(name)
    if directory.exists() and not directory.is_dir():
        raise DirectoryNotEmpty(f"{directory} exists and is not a directory")
    if directory.is_dir() and any(directory.iterdir()) and not force:
        raise DirectoryNotEmpty(f"{directory} is not empty (use --force to write into it)")
    written = []
    for rel, data in bp.files().items():
        target = directory / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        if target.name in EXECUTABLE:
            target.chmod(0o755)
        written.append(target)
    return written
