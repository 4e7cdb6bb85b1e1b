"""Input constraints of a botocore shape, checked with AWS's exact wording.

``1 validation error detected: Value '1000' at 'timeout' failed to satisfy constraint: Member
must have value less than or equal to 900``; several errors are counted and joined with "; ".
Checked: required members, min/max length (strings, blobs, lists, maps) and value (numbers),
enums and patterns, at every depth (``ephemeralStorage.size``, ``tags.member``, ``x.key``).

The shape is compiled once into closures that visit only members that carry a constraint, so
validating a request costs a few dict lookups; recursive shapes (DynamoDB's AttributeValue) are
compiled once and re-entered through a trampoline.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from botocore.model import Shape

from ovis.errors import ApiError, ValidationException
from ovis.protocols.model import NUMBERS, camel, is_document, shape_key

# check(value, path, errors): appends AWS-worded messages for ``value`` found at ``path``.
Check = Callable[[Any, str, list[str]], None]


class Validator:
    """Validates the input members of one operation; raises ``error`` (ValidationException, or
    the query protocol's ValidationError) with every violation found. Immutable."""

    def __init__(self, shape: Shape | None, error: type[ApiError] = ValidationException) -> None:
        self._error = error
        self._check = _Compiler().compile(shape) if shape is not None else None

    def __call__(self, params: dict[str, Any]) -> None:
        if self._check is None:
            return
        errors: list[str] = []
        try:
            self._check(params, "", errors)
        except RecursionError:  # recursive shapes (DynamoDB's AttributeValue) nested absurdly
            raise self._error("The input is nested too deeply to validate.") from None
        if errors:
            n = len(errors)
            raise self._error(
                f"{n} validation error{'s' if n > 1 else ''} detected: " + "; ".join(errors)
            )


def _msg(value: Any, path: str, constraint: str) -> str:
    shown = "null" if value is None else f"'{value}'"
    return f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}"


@cache
def _pattern(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern, re.DOTALL)
    except re.error:  # Java-only syntax: the shape's other constraints still apply
        return None


class _Compiler:
    """Turns shapes into checks; ``None`` means the shape has nothing to check."""

    def __init__(self) -> None:
        self._done: dict[tuple[str, str], Check | None] = {}
        self._pending: set[tuple[str, str]] = set()

    def compile(self, shape: Shape) -> Check | None:
        key = shape_key(shape)
        if key in self._done:
            return self._done[key]
        if key in self._pending:  # a recursive reference: resolved when compilation ends
            done = self._done
            return lambda v, p, e: _call(done[key], v, p, e)
        self._pending.add(key)
        check = self._build(shape)
        self._pending.discard(key)
        self._done[key] = check
        return check

    def _build(self, shape: Shape) -> Check | None:
        t = shape.type_name
        if t == "structure":
            return None if is_document(shape) else self._structure(shape)
        meta = shape.metadata
        lo, hi = meta.get("min"), meta.get("max")
        checks: list[Check] = []
        if t in ("string", "blob", "list", "map"):
            if lo is not None or hi is not None:
                checks.append(_length(lo, hi))
        elif t in NUMBERS and (lo is not None or hi is not None):
            checks.append(_range(lo, hi))
        if t == "string":
            if shape.enum:
                checks.append(_enum(list(shape.enum)))
            pattern = meta.get("pattern")
            if pattern and _pattern(pattern) is not None:
                checks.append(_regex(pattern))
        elif t == "list":
            item = self.compile(shape.member)
            if item is not None:
                checks.append(_items(item))
        elif t == "map":
            k = self.compile(shape.key)
            v = self.compile(shape.value)
            if k is not None or v is not None:
                checks.append(_entries(k, v))
        if not checks:
            return None
        if len(checks) == 1:
            return checks[0]
        return _all(tuple(checks))

    def _structure(self, shape: Shape) -> Check | None:
        required = tuple((name, camel(name)) for name in shape.required_members)
        members: list[tuple[str, str, Check]] = []
        for name, member in shape.members.items():
            check = self.compile(member)
            if check is not None:
                members.append((name, camel(name), check))
        if not required and not members:
            return None
        checked = tuple(members)

        def structure(value: Any, path: str, errors: list[str]) -> None:
            prefix = path + "." if path else ""
            for name, cname in required:
                if value.get(name) is None:
                    errors.append(
                        f"Value null at '{prefix}{cname}' failed to satisfy constraint: "
                        "Member must not be null"
                    )
            for name, cname, check in checked:
                v = value.get(name)
                if v is not None:
                    check(v, prefix + cname, errors)

        return structure


def _call(check: Check | None, value: Any, path: str, errors: list[str]) -> None:
    if check is not None:
        check(value, path, errors)


def _all(checks: tuple[Check, ...]) -> Check:
    def every(value: Any, path: str, errors: list[str]) -> None:
        for check in checks:
            check(value, path, errors)

    return every


def _length(lo: Any, hi: Any) -> Check:
    def length(value: Any, path: str, errors: list[str]) -> None:
        size = len(value)
        shown = None if isinstance(value, bytes | bytearray | dict | list) else value
        if lo is not None and size < lo:
            errors.append(
                _msg(shown, path, f"Member must have length greater than or equal to {lo}")
            )
        if hi is not None and size > hi:
            errors.append(_msg(shown, path, f"Member must have length less than or equal to {hi}"))

    return length


def _range(lo: Any, hi: Any) -> Check:
    def value_range(value: Any, path: str, errors: list[str]) -> None:
        if lo is not None and value < lo:
            errors.append(
                _msg(value, path, f"Member must have value greater than or equal to {lo}")
            )
        if hi is not None and value > hi:
            errors.append(_msg(value, path, f"Member must have value less than or equal to {hi}"))

    return value_range


def _enum(values: list[str]) -> Check:
    allowed = frozenset(values)
    constraint = f"Member must satisfy enum value set: [{', '.join(values)}]"

    def enum(value: Any, path: str, errors: list[str]) -> None:
        if value not in allowed:
            errors.append(_msg(value, path, constraint))

    return enum


def _regex(pattern: str) -> Check:
    compiled = _pattern(pattern)
    assert compiled is not None
    fullmatch = compiled.fullmatch
    constraint = f"Member must satisfy regular expression pattern: {pattern}"

    def regex(value: Any, path: str, errors: list[str]) -> None:
        if fullmatch(value) is None:
            errors.append(_msg(value, path, constraint))

    return regex


def _items(item: Check) -> Check:
    def items(value: Any, path: str, errors: list[str]) -> None:
        item_path = path + ".member"
        for v in value:
            item(v, item_path, errors)

    return items


def _entries(key: Check | None, val: Check | None) -> Check:
    def entries(value: Any, path: str, errors: list[str]) -> None:
        kpath, vpath = path + ".key", path + ".value"
        for k, v in value.items():
            if key is not None:
                key(k, kpath, errors)
            if val is not None:
                val(v, vpath, errors)

    return entries
