"""What a target receives: the event, ``Input``, ``InputPath`` or ``InputTransformer``, with
EventBridge's rules.

- No input setting: the event's JSON. ``Input``: that JSON text as given. ``InputPath``: the
  JSON of the value at that path (``null`` when the path names nothing).
- Paths are EventBridge's JSONPath subset: ``$``, dot notation (names of letters, digits,
  ``-``, ``_`` and ``/``), array indices ``[n]`` and wildcards (``.*``, ``[*]``, which make the
  result a list). Anything else is refused at PutTargets (``check_path``).
- ``InputTransformer``: each ``<name>`` of the template whose name is a key of InputPathsMap or
  a predefined variable (``aws.events.rule-arn``, ``aws.events.rule-name``,
  ``aws.events.event.ingestion-time``, ``aws.events.event`` (the event without ``detail``),
  ``aws.events.event.json`` (the whole event)) is replaced; other text is kept as written.
  AWS's quoting: inside a JSON string literal of the template a string value goes in as its
  raw text and an object or array as its JSON with the inner quotes removed; outside strings,
  in a template that is JSON (it starts with ``{``, ``[`` or ``"``), every value goes in as
  JSON (so strings get their quotes); in a plain-text template strings go in raw. A path that
  names nothing gives the empty string inside a string and ``null`` elsewhere in JSON. Values
  are not escaped (EventBridge does not escape them either).
"""

from __future__ import annotations

import json
import re
from typing import Any

from ovis.services.events.errors import ValidationException

PREDEFINED = (
    "aws.events.rule-arn",
    "aws.events.rule-name",
    "aws.events.event.ingestion-time",
    "aws.events.event",
    "aws.events.event.json",
)
MAX_VARIABLES = 100
_NAME = re.compile(r"[A-Za-z0-9_\-/]+")
_TOKEN = re.compile(r"\.(\*|[A-Za-z0-9_\-/]+)|\[(\*|\d+)\]")
_PLACEHOLDER = re.compile(r"<([^<>\s]+)>")
_MISSING: Any = object()

Step = str | int  # a member name, an index, or "*" (a wildcard)


def parse_path(path: str) -> list[Step] | None:
    """The steps of an EventBridge JSON path, or None if it is not one."""
    if not path.startswith("$"):
        return None
    steps: list[Step] = []
    pos = 1
    while pos < len(path):
        m = _TOKEN.match(path, pos)
        if m is None:
            return None
        name, index = m.group(1), m.group(2)
        if name is not None:
            steps.append(name)
        else:
            steps.append("*" if index == "*" else int(index))
        pos = m.end()
    return steps


def check_path(path: str, what: str) -> list[Step]:
    steps = parse_path(path)
    if steps is None:
        raise ValidationException(f"{what} {path} is not a valid JSON path.")
    return steps


def select(event: Any, steps: list[Step]) -> Any:
    """The value the path's steps name in ``event`` (_MISSING if none); a wildcard makes the
    result a list of every match."""
    values = [event]
    many = False
    for step in steps:
        out: list[Any] = []
        for v in values:
            if step == "*":
                many = True
                if isinstance(v, dict):
                    out.extend(v.values())
                elif isinstance(v, list):
                    out.extend(v)
            elif isinstance(step, int):
                if isinstance(v, list) and step < len(v):
                    out.append(v[step])
            elif isinstance(v, dict) and step in v:
                out.append(v[step])
        values = out
    if many:
        return values
    return values[0] if values else _MISSING


def check_transformer(transformer: dict[str, Any]) -> None:
    """Refuse an InputTransformer EventBridge would refuse (PutTargets)."""
    paths = transformer.get("InputPathsMap") or {}
    if len(paths) > MAX_VARIABLES:
        raise ValidationException(
            f"InputTransformer.InputPathsMap can have at most {MAX_VARIABLES} variables."
        )
    for key, path in paths.items():
        if key in PREDEFINED or not _NAME.fullmatch(key):
            raise ValidationException(
                f"InputTransformer.InputPathsMap key {key} is reserved or not valid."
            )
        check_path(path, f"InputTransformer.InputPathsMap[{key}]")


def _string_context(template: str, end: int) -> bool:
    """Whether position ``end`` of ``template`` is inside a JSON string literal."""
    inside = False
    escaped = False
    for ch in template[:end]:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            inside = not inside
    return inside


def _in_string(value: Any) -> str:
    if value is _MISSING:
        return ""
    if isinstance(value, str):
        return value
    text = json.dumps(value)
    return text.replace('"', "") if isinstance(value, dict | list) else text


def render_template(template: str, variables: dict[str, Any]) -> str:
    """``template`` with its placeholders replaced (module docstring for the quoting)."""
    is_json = template.lstrip()[:1] in ("{", "[", '"')
    out: list[str] = []
    last = 0
    for m in _PLACEHOLDER.finditer(template):
        name = m.group(1)
        if name not in variables:
            continue
        value = variables[name]
        out.append(template[last : m.start()])
        if _string_context(template, m.start()):
            out.append(_in_string(value))
        elif is_json:
            out.append("null" if value is _MISSING else json.dumps(value))
        else:
            out.append(
                _in_string(value) if not isinstance(value, dict | list) else json.dumps(value)
            )
        last = m.end()
    out.append(template[last:])
    return "".join(out)


def target_input(
    target: dict[str, Any],
    event: dict[str, Any],
    event_json: str,
    rule_arn: str,
    rule_name: str,
    ingestion_time: str,
) -> str:
    """What ``target`` receives for ``event`` (``event_json`` is its JSON)."""
    if "Input" in target:
        return str(target["Input"])
    if "InputPath" in target:
        value = select(event, parse_path(target["InputPath"]) or [])
        return "null" if value is _MISSING else json.dumps(value)
    transformer = target.get("InputTransformer")
    if not transformer:
        return event_json
    variables: dict[str, Any] = {
        "aws.events.rule-arn": rule_arn,
        "aws.events.rule-name": rule_name,
        "aws.events.event.ingestion-time": ingestion_time,
        "aws.events.event": {k: v for k, v in event.items() if k != "detail"},
        "aws.events.event.json": event,
    }
    for key, path in (transformer.get("InputPathsMap") or {}).items():
        variables[key] = select(event, parse_path(path) or [])
    return render_template(str(transformer["InputTemplate"]), variables)
