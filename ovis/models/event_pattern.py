"""Event patterns in EventBridge's syntax: compiled once, matched against any JSON object.

One matcher serves EventBridge rules (and TestEventPattern) and the FilterCriteria of event
source mappings. ``compile_pattern`` validates a pattern (JSON text or an already decoded
dict) as EventBridge does and returns an :class:`EventPattern`; ``EventPattern.matches(event)``
answers whether a decoded JSON object matches it.

Contract:

- An ``EventPattern`` is immutable and holds no mutable state, so one instance may be shared
  by any number of threads and tasks. ``matches`` parses nothing: the pattern is compiled into
  closures, sets and precompiled regular expressions.
- Every field of a pattern object must match (AND); the values of a field's array are
  alternatives (OR); ``"$or": [pattern, pattern, ...]`` matches when any of its patterns does.
  A nested pattern object matches a nested event object; over an array of objects it matches
  when one element matches all of its fields.
- A leaf (array) matches the event's value at that path, or any element of it when the value
  is an array (nested arrays are flattened; objects inside are not leaves). Values compare by
  JSON type: ``"1"`` never equals ``1``, ``true`` never equals ``1``; numbers compare by value
  (``3`` equals ``3.0``). ``null`` matches a JSON null and ``""`` the empty string.
- A missing field (or one holding an object, or an empty array) has no value: it matches
  only ``{"exists": false}``; every other operator, ``anything-but`` included, needs a value.
  ``{"exists": true}`` matches any leaf value, null included.
- Operators: exact values, ``prefix`` and ``suffix`` (plain or ``{"equals-ignore-case": s}``),
  ``equals-ignore-case``, ``wildcard`` (``*`` any run of characters, ``\\*`` a literal star,
  ``\\\\`` a backslash), ``anything-but`` (a value, a list of strings or of numbers, or
  ``prefix`` / ``suffix`` / ``equals-ignore-case`` / ``wildcard``), ``numeric`` (``["=", n]``
  or one or two bounds), ``exists`` and ``cidr`` (IPv4 or IPv6). String operators never match
  non-strings and ``numeric`` never matches strings.
- Errors: an invalid pattern raises :class:`ovis.errors.InvalidEventPatternException` whose
  message is ``Event pattern is not valid. Reason: ...``. ``matches`` raises nothing for any
  JSON-decoded event.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ovis.errors import InvalidEventPatternException

__all__ = ["EventPattern", "compile_pattern"]

# EventBridge's numeric matching works within these bounds (inclusive).
NUMERIC_LIMIT = 5.0e9
# Pattern objects deeper than this are refused (EventBridge bounds a pattern's size and depth).
MAX_DEPTH = 50
MAX_PATTERN_CHARS = 4096

_MISSING: Any = object()

Pred = Callable[[Any], bool]  # one leaf value -> matches?
ObjMatch = Callable[[dict[str, Any]], bool]  # one event object -> matches?

_STRING_OPS = frozenset({"prefix", "suffix", "equals-ignore-case", "wildcard"})
_OPERATORS = _STRING_OPS | {"anything-but", "numeric", "exists", "cidr"}
_LOWER = frozenset({">", ">="})
_UPPER = frozenset({"<", "<="})


def _invalid(reason: str) -> InvalidEventPatternException:
    return InvalidEventPatternException(f"Event pattern is not valid. Reason: {reason}")


@dataclass(frozen=True)
class EventPattern:
    """A compiled, validated event pattern. ``source`` is its canonical JSON text."""

    source: str
    _match: ObjMatch = field(repr=False, compare=False)

    def matches(self, event: dict[str, Any]) -> bool:
        """Whether ``event`` (a decoded JSON object) matches; a non-dict never does."""
        return isinstance(event, dict) and self._match(event)


def compile_pattern(pattern: str | bytes | dict[str, Any]) -> EventPattern:
    """Validate ``pattern`` (JSON text or a decoded object) and compile it.

    Raises InvalidEventPatternException for text that is not JSON, a root that is not an
    object, and every construct EventBridge refuses."""
    if isinstance(pattern, str | bytes):
        if len(pattern) > MAX_PATTERN_CHARS:
            raise _invalid(f"Event pattern is longer than {MAX_PATTERN_CHARS} characters")
        try:
            doc = json.loads(pattern, parse_constant=_refuse_constant)
        except (ValueError, UnicodeDecodeError) as e:
            raise _invalid(f"Filter is not valid JSON: {e}") from None
    else:
        doc = pattern
    if not isinstance(doc, dict):
        raise _invalid("Filter is not an object")
    matcher = _compile_object(doc, "", 1)
    return EventPattern(json.dumps(doc, separators=(",", ":"), sort_keys=True), matcher)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


# --- objects ---------------------------------------------------------------------------------


def _compile_object(doc: dict[str, Any], path: str, depth: int) -> ObjMatch:
    if depth > MAX_DEPTH:
        raise _invalid(f"Event pattern is nested deeper than {MAX_DEPTH} levels")
    if not doc:
        raise _invalid("Empty objects are not allowed")
    parts: list[ObjMatch] = []
    for key, value in doc.items():
        where = f"{path}.{key}" if path else key
        if key == "$or":
            parts.append(_compile_or(value, path, depth))
        elif isinstance(value, dict):
            parts.append(_nested(key, _compile_object(value, where, depth + 1)))
        elif isinstance(value, list):
            parts.append(_leaf(key, _compile_leaf(value, where)))
        else:
            raise _invalid(f'"{where}" must be an object or an array')
    if len(parts) == 1:
        return parts[0]
    all_parts = tuple(parts)
    return lambda obj: all(p(obj) for p in all_parts)


def _compile_or(value: Any, path: str, depth: int) -> ObjMatch:
    if not isinstance(value, list) or len(value) < 2:
        raise _invalid('"$or" must be an array of at least two pattern objects')
    subs: list[ObjMatch] = []
    for item in value:
        if not isinstance(item, dict):
            raise _invalid('"$or" must be an array of at least two pattern objects')
        subs.append(_compile_object(item, path, depth + 1))
    alternatives = tuple(subs)
    return lambda obj: any(s(obj) for s in alternatives)


def _nested(key: str, sub: ObjMatch) -> ObjMatch:
    empty: dict[str, Any] = {}

    def match(obj: dict[str, Any]) -> bool:
        value = obj.get(key, _MISSING)
        if isinstance(value, dict):
            return sub(value)
        if isinstance(value, list):
            objects = [v for v in _flatten(value) if isinstance(v, dict)]
            if objects:
                return any(sub(o) for o in objects)
        # No object here: its fields are all missing (only "exists": false can match).
        return sub(empty)

    return match


def _flatten(values: list[Any]) -> Iterator[Any]:
    for v in values:
        if isinstance(v, list):
            yield from _flatten(v)
        else:
            yield v


def _leaf_values(value: Any) -> list[Any]:
    if value is _MISSING or isinstance(value, dict):
        return []
    if isinstance(value, list):
        return [v for v in _flatten(value) if not isinstance(v, dict)]
    return [value]


# --- leaves ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Leaf:
    exact: frozenset[tuple[str, Any]]
    preds: tuple[Pred, ...]
    if_absent: bool  # {"exists": false}
    if_present: bool  # {"exists": true}


def _leaf(key: str, leaf: _Leaf) -> ObjMatch:
    exact, preds, if_absent, if_present = leaf.exact, leaf.preds, leaf.if_absent, leaf.if_present

    def match(obj: dict[str, Any]) -> bool:
        values = _leaf_values(obj.get(key, _MISSING))
        if not values:
            return if_absent
        if if_present:
            return True
        for v in values:
            if exact and _key(v) in exact:
                return True
            for p in preds:
                if p(v):
                    return True
        return False

    return match


def _key(v: Any) -> tuple[str, Any]:
    """A value's identity for exact matching: its JSON type and value (numbers by value)."""
    if v is None:
        return ("null", None)
    if isinstance(v, bool):
        return ("bool", v)
    if isinstance(v, str):
        return ("str", v)
    if isinstance(v, int | float):
        return ("num", float(v))
    return ("other", id(v))


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _compile_leaf(values: list[Any], where: str) -> _Leaf:
    if not values:
        raise _invalid(f'"{where}": empty arrays are not allowed')
    exact: set[tuple[str, Any]] = set()
    preds: list[Pred] = []
    if_absent = if_present = False
    for item in values:
        if isinstance(item, dict):
            op, arg = _single_operator(item, where)
            if op == "exists":
                if not isinstance(arg, bool):
                    raise _invalid(f'"{where}": exists match pattern must be either true or false.')
                if arg:
                    if_present = True
                else:
                    if_absent = True
            else:
                preds.append(_compile_operator(op, arg, where))
        elif isinstance(item, list):
            raise _invalid(f'"{where}": arrays are not allowed inside a match array')
        elif item is None or isinstance(item, str | bool):
            exact.add(_key(item))
        elif _is_number(item):
            _check_number(item, where)
            exact.add(_key(item))
        else:
            raise _invalid(f'"{where}": unsupported value {item!r}')
    return _Leaf(frozenset(exact), tuple(preds), if_absent, if_present)


def _single_operator(item: dict[str, Any], where: str) -> tuple[str, Any]:
    if len(item) != 1:
        raise _invalid(f'"{where}": a match object must hold exactly one operator')
    op, arg = next(iter(item.items()))
    if op not in _OPERATORS:
        raise _invalid(f'"{where}": Unrecognized match type {op}')
    return op, arg


def _compile_operator(op: str, arg: Any, where: str) -> Pred:
    if op == "prefix" or op == "suffix":
        return _affix(op, arg, where)
    if op == "equals-ignore-case":
        folded = _string_arg(op, arg, where).lower()
        return lambda v: isinstance(v, str) and v.lower() == folded
    if op == "wildcard":
        rx = _wildcard(_string_arg(op, arg, where), where)
        return lambda v: isinstance(v, str) and rx.fullmatch(v) is not None
    if op == "numeric":
        return _numeric(arg, where)
    if op == "cidr":
        return _cidr(arg, where)
    return _anything_but(arg, where)


def _string_arg(op: str, arg: Any, where: str) -> str:
    if not isinstance(arg, str):
        raise _invalid(f'"{where}": {op} match pattern must be a string')
    return arg


def _affix(op: str, arg: Any, where: str) -> Pred:
    start = op == "prefix"
    if isinstance(arg, dict):
        inner, text = _single_operator(arg, where)
        if inner != "equals-ignore-case":
            raise _invalid(f'"{where}": Unsupported {op} pattern: {inner}')
        folded = _string_arg(f"{op} equals-ignore-case", text, where).lower()
        if start:
            return lambda v: isinstance(v, str) and v.lower().startswith(folded)
        return lambda v: isinstance(v, str) and v.lower().endswith(folded)
    s = _string_arg(op, arg, where)
    if start:
        return lambda v: isinstance(v, str) and v.startswith(s)
    return lambda v: isinstance(v, str) and v.endswith(s)


def _wildcard(text: str, where: str) -> re.Pattern[str]:
    out: list[str] = []
    i, previous_star = 0, False
    while i < len(text):
        c = text[i]
        if c == "\\":
            nxt = text[i + 1 : i + 2]
            if nxt not in ("*", "\\"):
                raise _invalid(f'"{where}": Invalid escape in wildcard pattern {text}')
            out.append(re.escape(nxt))
            i, previous_star = i + 2, False
            continue
        if c == "*":
            if previous_star:
                raise _invalid(
                    f'"{where}": Consecutive wildcard characters at pos {i} in {text} '
                    "are not allowed"
                )
            out.append(".*")
            previous_star = True
        else:
            out.append(re.escape(c))
            previous_star = False
        i += 1
    return re.compile("".join(out), re.DOTALL)


def _check_number(n: Any, where: str) -> float:
    if not _is_number(n) or not math.isfinite(n):
        raise _invalid(f'"{where}": Value of numeric match must be a number')
    if not -NUMERIC_LIMIT <= n <= NUMERIC_LIMIT:
        raise _invalid(f'"{where}": Value must be between -5.0E9 and 5.0E9, inclusive')
    return float(n)


def _numeric(arg: Any, where: str) -> Pred:
    if not isinstance(arg, list) or len(arg) not in (2, 4):
        raise _invalid(f'"{where}": Value of numeric must be an array of 2 or 4 elements')
    pairs = [(arg[i], arg[i + 1]) for i in range(0, len(arg), 2)]
    for op, _ in pairs:
        if op not in ("=", "<", "<=", ">", ">="):
            raise _invalid(f'"{where}": Unrecognized numeric range operator: {op}')
    if len(pairs) == 1:
        op, n = pairs[0]
        x = _check_number(n, where)
        return {
            "=": lambda v: _is_number(v) and v == x,
            "<": lambda v: _is_number(v) and v < x,
            "<=": lambda v: _is_number(v) and v <= x,
            ">": lambda v: _is_number(v) and v > x,
            ">=": lambda v: _is_number(v) and v >= x,
        }[op]
    lows = [p for p in pairs if p[0] in _LOWER]
    highs = [p for p in pairs if p[0] in _UPPER]
    if len(lows) != 1 or len(highs) != 1:
        raise _invalid(
            f'"{where}": Bad numeric range operator: a range needs one > or >= bound'
            " and one < or <= bound"
        )
    (low_op, low_n), (high_op, high_n) = lows[0], highs[0]
    lo, hi = _check_number(low_n, where), _check_number(high_n, where)
    if lo >= hi:
        raise _invalid(f'"{where}": Bottom must be less than top')
    lo_open, hi_open = low_op == ">", high_op == "<"

    def in_range(v: Any) -> bool:
        if not _is_number(v):
            return False
        above: bool = v > lo if lo_open else v >= lo
        below: bool = v < hi if hi_open else v <= hi
        return above and below

    return in_range


def _cidr(arg: Any, where: str) -> Pred:
    text = _string_arg("cidr", arg, where)
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise _invalid(f"\"{where}\": Malformed CIDR, one '/' required") from None

    def in_net(v: Any) -> bool:
        if not isinstance(v, str):
            return False
        try:
            return ipaddress.ip_address(v) in net
        except ValueError:
            return False

    return in_net


def _anything_but(arg: Any, where: str) -> Pred:
    if isinstance(arg, dict):
        op, inner = _single_operator(arg, where)
        if op not in _STRING_OPS:
            raise _invalid(f'"{where}": Unsupported anything-but pattern: {op}')
        if op in ("equals-ignore-case", "wildcard") and isinstance(inner, list):
            if not inner:
                raise _invalid(f'"{where}": anything-but {op} list must not be empty')
            positives = tuple(_compile_operator(op, s, where) for s in inner)
        else:
            positives = (_compile_operator(op, inner, where),)
        # Strings only: anything-but of a string operator never matches a non-string.
        return lambda v: isinstance(v, str) and not any(p(v) for p in positives)
    items = arg if isinstance(arg, list) else [arg]
    if not items:
        raise _invalid(f'"{where}": anything-but list must not be empty')
    if all(isinstance(i, str) for i in items):
        strings = frozenset(items)
        return lambda v: not (isinstance(v, str) and v in strings)
    if all(_is_number(i) for i in items):
        numbers = frozenset(_check_number(i, where) for i in items)
        return lambda v: not (_is_number(v) and float(v) in numbers)
    raise _invalid(
        f'"{where}": Inside anything-but list, values must be all strings or all numbers'
    )
