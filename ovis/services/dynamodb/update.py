"""Update expressions (UpdateItem's UpdateExpression): grammar and application.

    update  := section+            (each of SET, REMOVE, ADD, DELETE at most once)
    section := SET action (',' action)* | REMOVE path (',' path)*
             | ADD path operand (',' path operand)* | DELETE path operand (',' ...)*
    action  := path '=' value
    value   := operand ( ('+' | '-') operand )?
    operand := path | :value | if_not_exists(path, value) | list_append(value, value)

Every right-hand side is evaluated against the item as it was before the update (as AWS
does); two actions on overlapping paths are rejected.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from decimal import Decimal

from ovis.services.dynamodb.errors import ValidationException
from ovis.services.dynamodb.expressions import (
    Operand,
    Parser,
    Path,
    Placeholders,
    Token,
    get,
    resolve,
)
from ovis.services.dynamodb.values import CONTEXT, Item, Value, number, number_text, type_of

KIND = "UpdateExpression"
SECTIONS = ("SET", "REMOVE", "ADD", "DELETE")
_TYPE_NAMES = {
    "S": "STRING", "N": "NUMBER", "B": "BINARY", "BOOL": "BOOLEAN", "NULL": "NULL", "M": "MAP",
    "L": "LIST", "SS": "SET", "NS": "SET", "BS": "SET",
}  # fmt: skip


@dataclass(frozen=True)
class Action:
    section: str
    path: Path
    value: Operand | None = None


class UpdateParser(Parser):
    def parse(self) -> list[Action]:
        actions: list[Action] = []
        seen: set[str] = set()
        while self.tok.kind != "eof":
            t = self.tok
            word = t.text.upper() if t.kind == "name" else ""
            if word not in SECTIONS:
                raise self.error()
            if word in seen:
                raise ValidationException(
                    f'Invalid {KIND}: The "{word}" section can only be used once in an update '
                    "expression;"
                )
            seen.add(word)
            self.i += 1
            while True:
                actions.append(self.action(word))
                if not self.is_op(","):
                    break
                self.i += 1
        self._check_overlaps(actions)
        return actions

    def action(self, section: str) -> Action:
        path = self.path()
        if section == "REMOVE":
            return Action(section, path)
        if section == "SET":
            self.expect_op("=")
            return Action(section, path, self.value())
        return Action(section, path, self.operand())

    def value(self) -> Operand:
        left = self.operand()
        if self.is_op("+") or self.is_op("-"):
            op = "plus" if self.next().text == "+" else "minus"
            return Operand(op, args=(left, self.operand()))
        return left

    def call(self, name: Token, args: list[Operand]) -> Operand:
        if name.text == "if_not_exists":
            if len(args) != 2:
                raise ValidationException(
                    f"Invalid {KIND}: Incorrect number of operands for operator or function; "
                    f"operator or function: if_not_exists, number of operands: {len(args)}"
                )
            if args[0].kind != "path":
                raise ValidationException(
                    f"Invalid {KIND}: Operator or function requires a document path; "
                    "operator or function: if_not_exists"
                )
            return Operand("if_not_exists", args[0].path, args=(args[1],))
        if name.text == "list_append":
            if len(args) != 2:
                raise ValidationException(
                    f"Invalid {KIND}: Incorrect number of operands for operator or function; "
                    f"operator or function: list_append, number of operands: {len(args)}"
                )
            return Operand("list_append", args=tuple(args))
        return super().call(name, args)

    @staticmethod
    def _check_overlaps(actions: list[Action]) -> None:
        paths = [a.path for a in actions]
        for i, p in enumerate(paths):
            for q in paths[i + 1 :]:
                n = min(len(p), len(q))
                if p[:n] == q[:n]:
                    raise ValidationException(
                        f"Invalid {KIND}: Two document paths overlap with each other; must "
                        "remove or rewrite one of these paths; path one: "
                        f"[{', '.join(map(str, p))}], path two: [{', '.join(map(str, q))}]"
                    )


def parse_update(text: str, ph: Placeholders) -> list[Action]:
    return UpdateParser(text, KIND, ph).parse()


def _wrong_type(operator: str, v: Value) -> ValidationException:
    return ValidationException(
        "An operand in the update expression has an incorrect data type"
        if operator in ("+", "-")
        else f"Invalid {KIND}: Incorrect operand type for operator or function; operator: "
        f"{operator}, operand type: {_TYPE_NAMES[type_of(v)]}"
    )


def _value(item: Item, op: Operand) -> Value:
    if op.kind == "if_not_exists":
        have = get(item, op.path)
        return have if have is not None else _value(item, op.args[0])
    if op.kind == "list_append":
        a, b = (_value(item, x) for x in op.args)
        for v in (a, b):
            if type_of(v) != "L":
                raise _wrong_type("list_append", v)
        return {"L": [*a["L"], *b["L"]]}
    if op.kind in ("plus", "minus"):
        a, b = (_value(item, x) for x in op.args)
        for v in (a, b):
            if type_of(v) != "N":
                raise _wrong_type("+", v)
        x, y = Decimal(a["N"]), Decimal(b["N"])
        r = CONTEXT.add(x, y) if op.kind == "plus" else CONTEXT.subtract(x, y)
        return {"N": number_text(number(str(r)))}
    got = resolve(item, op)
    if got is None:
        raise ValidationException(
            "The provided expression refers to an attribute that does not exist in the item"
        )
    return got


def _invalid_path() -> ValidationException:
    return ValidationException(
        "The document path provided in the update expression is invalid for update"
    )


def _parent(item: Item, path: Path) -> Value:
    cur: Value = {"M": item}
    for p in path[:-1]:
        if isinstance(p, int):
            if "L" not in cur or p >= len(cur["L"]):
                raise _invalid_path()
            cur = cur["L"][p]
        else:
            if "M" not in cur or p not in cur["M"]:
                raise _invalid_path()
            cur = cur["M"][p]
    return cur


def _set(item: Item, path: Path, v: Value) -> None:
    parent, last = _parent(item, path), path[-1]
    if isinstance(last, int):
        if "L" not in parent:
            raise _invalid_path()
        lst = parent["L"]
        if last >= len(lst):
            lst.append(v)
        else:
            lst[last] = v
    else:
        if "M" not in parent:
            raise _invalid_path()
        parent["M"][last] = v


def _remove(item: Item, path: Path) -> None:
    try:
        parent = _parent(item, path)
    except ValidationException:
        return
    last = path[-1]
    if isinstance(last, int):
        if "L" in parent and last < len(parent["L"]):
            del parent["L"][last]
    elif "M" in parent:
        parent["M"].pop(last, None)


def apply(actions: list[Action], old: Item) -> Item:
    """The item after ``actions``; ``old`` is not changed. Values are computed from ``old``."""
    new = copy.deepcopy(old)
    for a in actions:
        if a.section == "REMOVE":
            _remove(new, a.path)
            continue
        assert a.value is not None
        if a.section == "SET":
            _set(new, a.path, _value(old, a.value))
            continue
        operand = _value(old, a.value)
        have = get(old, a.path)
        t = type_of(operand)
        if a.section == "ADD":
            if t not in ("N", "SS", "NS", "BS"):
                raise _wrong_type("ADD", operand)
            if have is None:
                _set(new, a.path, operand)
            elif t == "N" and type_of(have) == "N":
                total = CONTEXT.add(Decimal(have["N"]), Decimal(operand["N"]))
                _set(new, a.path, {"N": number_text(number(str(total)))})
            elif t == type_of(have):
                merged = list(have[t]) + [x for x in operand[t] if x not in have[t]]
                _set(new, a.path, {t: merged})
            else:
                raise ValidationException(
                    "An operand in the update expression has an incorrect data type"
                )
        else:  # DELETE
            if t not in ("SS", "NS", "BS"):
                raise _wrong_type("DELETE", operand)
            if have is None:
                continue
            if type_of(have) != t:
                raise ValidationException(
                    "An operand in the update expression has an incorrect data type"
                )
            left = [x for x in have[t] if x not in operand[t]]
            if left:
                _set(new, a.path, {t: left})
            else:
                _remove(new, a.path)
    return new
