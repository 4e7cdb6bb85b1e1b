"""Condition expressions (ConditionExpression, FilterExpression): grammar and evaluation.

    condition  := disjunct ( OR disjunct )*
    disjunct   := conjunct ( AND conjunct )*
    conjunct   := NOT conjunct | '(' condition ')' | function | comparison
    comparison := operand ( comparator operand | BETWEEN operand AND operand
                            | IN '(' operand ( ',' operand )* ')' )
    function   := attribute_exists(path) | attribute_not_exists(path)
                | attribute_type(path, :t) | begins_with(path, operand) | contains(path, operand)
    operand    := path | :value | size(path)

Precedence as AWS documents it: NOT, then AND, then OR. A comparison with a missing
attribute is false (``<>`` is true: the values differ).
"""

from __future__ import annotations

from dataclasses import dataclass

from ovis.services.dynamodb.errors import ValidationException
from ovis.services.dynamodb.expressions import Operand, Parser, Placeholders, Token, resolve
from ovis.services.dynamodb.values import Item, Value, equal, ordered, type_of

COMPARATORS = ("=", "<>", "<", "<=", ">", ">=")
FUNCTIONS = (
    "attribute_exists",
    "attribute_not_exists",
    "attribute_type",
    "begins_with",
    "contains",
)


@dataclass(frozen=True)
class Cond:
    """``op``: a comparator, BETWEEN, IN, AND, OR, NOT or a function name."""

    op: str
    operands: tuple[Operand, ...] = ()
    children: tuple[Cond, ...] = ()


class ConditionParser(Parser):
    def parse(self) -> Cond:
        c = self.condition()
        self.end()
        return c

    def condition(self) -> Cond:
        c = self.disjunct()
        while self.is_word("OR"):
            self.i += 1
            c = Cond("OR", children=(c, self.disjunct()))
        return c

    def disjunct(self) -> Cond:
        c = self.conjunct()
        while self.is_word("AND"):
            self.i += 1
            c = Cond("AND", children=(c, self.conjunct()))
        return c

    def conjunct(self) -> Cond:
        if self.is_word("NOT"):
            self.i += 1
            return Cond("NOT", children=(self.conjunct(),))
        if self.is_op("("):
            self.i += 1
            c = self.condition()
            self.expect_op(")")
            return c
        t = self.tok
        nxt = self.peek()
        if t.kind == "name" and t.text in FUNCTIONS and nxt.kind == "op" and nxt.text == "(":
            self.i += 1
            return self.function(t, self.function_args())
        left = self.operand()
        if self.tok.kind == "op" and self.tok.text in COMPARATORS:
            op = self.next().text
            return Cond(op, (left, self.operand()))
        if self.is_word("BETWEEN"):
            self.i += 1
            low = self.operand()
            if not self.is_word("AND"):
                raise self.error()
            self.i += 1
            return Cond("BETWEEN", (left, low, self.operand()))
        if self.is_word("IN"):
            self.i += 1
            self.expect_op("(")
            items = [left, self.operand()]
            while self.is_op(","):
                self.i += 1
                items.append(self.operand())
            self.expect_op(")")
            return Cond("IN", tuple(items))
        raise self.error()

    def function(self, name: Token, args: list[Operand]) -> Cond:
        want = {"attribute_exists": 1, "attribute_not_exists": 1}.get(name.text, 2)
        if len(args) != want:
            raise ValidationException(
                f"Invalid {self.kind}: Incorrect number of operands for operator or function; "
                f"operator or function: {name.text}, number of operands: {len(args)}"
            )
        if args[0].kind != "path":
            raise ValidationException(
                f"Invalid {self.kind}: Operator or function requires a document path; "
                f"operator or function: {name.text}"
            )
        return Cond(name.text, tuple(args))

    def call(self, name: Token, args: list[Operand]) -> Operand:
        if name.text == "size":
            if len(args) != 1 or args[0].kind != "path":
                raise ValidationException(
                    f"Invalid {self.kind}: Operator or function requires a document path; "
                    "operator or function: size"
                )
            return Operand("size", args[0].path)
        if name.text in FUNCTIONS:
            raise ValidationException(
                f"Invalid {self.kind}: The function is not allowed to be used this way in an "
                f"expression; function: {name.text}"
            )
        return super().call(name, args)


def parse_condition(text: str, ph: Placeholders, kind: str = "ConditionExpression") -> Cond:
    return ConditionParser(text, kind, ph).parse()


def _contains(hay: Value, needle: Value) -> bool:
    t = type_of(hay)
    if t == "S":
        return type_of(needle) == "S" and needle["S"] in hay["S"]
    if t == "B":
        return type_of(needle) == "B" and needle["B"] in hay["B"]
    if t in ("SS", "NS", "BS"):
        member = {"SS": "S", "NS": "N", "BS": "B"}[t]
        return type_of(needle) == member and any(equal({member: x}, needle) for x in hay[t])
    if t == "L":
        return any(equal(x, needle) for x in hay["L"])
    return False


def evaluate(c: Cond, item: Item) -> bool:
    op = c.op
    if op == "AND":
        return evaluate(c.children[0], item) and evaluate(c.children[1], item)
    if op == "OR":
        return evaluate(c.children[0], item) or evaluate(c.children[1], item)
    if op == "NOT":
        return not evaluate(c.children[0], item)
    if op == "attribute_exists":
        return resolve(item, c.operands[0]) is not None
    if op == "attribute_not_exists":
        return resolve(item, c.operands[0]) is None
    vals = [resolve(item, o) for o in c.operands]
    a = vals[0]
    if op == "<>":
        return a is None or vals[1] is None or not equal(a, vals[1])
    if a is None:
        return False
    if op == "attribute_type":
        want = vals[1]
        if want is None or type_of(want) != "S":
            return False
        return type_of(a) == str(want["S"])
    if op == "begins_with":
        b = vals[1]
        if b is None or type_of(a) != type_of(b) or type_of(a) not in ("S", "B"):
            return False
        return bool(a[type_of(a)].startswith(b[type_of(b)]))
    if op == "contains":
        return vals[1] is not None and _contains(a, vals[1])
    if op == "IN":
        return any(v is not None and equal(a, v) for v in vals[1:])
    if op == "BETWEEN":
        lo, hi = vals[1], vals[2]
        if lo is None or hi is None:
            return False
        x, y = ordered(a, lo), ordered(a, hi)
        return x is not None and y is not None and x >= 0 and y <= 0
    b = vals[1]
    if b is None:
        return False
    if op == "=":
        return equal(a, b)
    r = ordered(a, b)
    if r is None:
        return False
    return {"<": r < 0, "<=": r <= 0, ">": r > 0, ">=": r >= 0}[op]
