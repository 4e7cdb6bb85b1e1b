"""``buildspec.yml`` as CodeBuild reads it, the part the pipeline runs: ``version: 0.2``,
``env.variables`` (string values), and ``phases`` install / pre_build / build / post_build,
each with ``commands`` (a list of shell lines).

Contract: ``parse(text)`` returns a ``Buildspec`` or raises ``BuildspecError`` naming what is
wrong (not YAML, an unsupported version, an unknown phase, commands that are not a list of
strings). Phases absent from the file are empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

PHASES = ("install", "pre_build", "build", "post_build")


class BuildspecError(ValueError):
    pass


@dataclass(frozen=True)
class Buildspec:
    variables: dict[str, str] = field(default_factory=dict)
    phases: dict[str, list[str]] = field(default_factory=dict)


def parse(text: str) -> Buildspec:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise BuildspecError(f"buildspec.yml is not valid YAML: {e}") from None
    if not isinstance(doc, dict):
        raise BuildspecError("buildspec.yml must be a mapping")
    if str(doc.get("version")) != "0.2":
        raise BuildspecError(f"buildspec version {doc.get('version')!r} is not supported (0.2)")
    env = doc.get("env") or {}
    raw_vars = (env.get("variables") or {}) if isinstance(env, dict) else None
    if not isinstance(raw_vars, dict):
        raise BuildspecError("env.variables must be a mapping of names to values")
    variables = {str(k): "" if v is None else str(v) for k, v in raw_vars.items()}
    raw_phases = doc.get("phases") or {}
    if not isinstance(raw_phases, dict):
        raise BuildspecError("phases must be a mapping")
    phases: dict[str, list[str]] = {}
    for name, body in raw_phases.items():
        if name not in PHASES:
            raise BuildspecError(f"unknown phase {name!r}; phases are {', '.join(PHASES)}")
        commands = (body or {}).get("commands") if isinstance(body, dict) else None
        if commands is None:
            commands = []
        if not isinstance(commands, list) or not all(isinstance(c, str) for c in commands):
            raise BuildspecError(f"phases.{name}.commands must be a list of strings")
        phases[name] = commands
    return Buildspec(variables, phases)
