"""Metric math: GetMetricData's ``Expression`` language (the part Ovis speaks), parsed to a
tree once and evaluated over the time series of the other queries.

Grammar: numbers, query ids (``m1``), ``+ - * /`` with the usual precedence and unary minus,
parentheses, arrays ``[m1, m2]``, and the functions ``SUM AVG MIN MAX`` (of one series: a
scalar; of an array: a series, per timestamp over the series that have a value there),
``FILL(x, value | REPEAT | LINEAR)`` and ``METRICS("label filter")``.

Semantics as AWS documents them: series with series combine at timestamps both have; with a
scalar, every value; division by zero gives no value at that timestamp. FILL gives every
timestamp of the query's period grid a value: the given one, the previous value (REPEAT) or a
straight line between the neighbours (LINEAR; edges repeat the nearest value). A syntax error
or an unknown id is a ``ValidationError`` naming the expression.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ovis.errors import ValidationException


@dataclass
class Series:
    points: dict[int, float]  # timestamp ms -> value
    label: str = ""


Value = float | Series | list[Series]


@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Ref:
    id: str


@dataclass(frozen=True)
class Keyword:
    name: str  # REPEAT | LINEAR


@dataclass(frozen=True)
class Text:
    value: str


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class BinOp:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Array:
    items: tuple[Node, ...]


Node = Num | Ref | Keyword | Text | Call | BinOp | Array

_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<str>\"[^\"]*\"|'[^']*')|(?P<op>[-+*/(),\[\]]))"
)
FUNCTIONS = frozenset({"SUM", "AVG", "MIN", "MAX", "FILL", "METRICS"})
KEYWORDS = frozenset({"REPEAT", "LINEAR"})


def _error(expr: str, why: str) -> ValidationException:
    return ValidationException(f"Error in expression '{expr}': {why}")


def parse(expr: str) -> Node:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = expr.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise _error(expr, f"unexpected character at position {pos + 1}")
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    parser = _Parser(expr, tokens)
    node = parser.expr()
    if parser.i != len(tokens):
        raise _error(expr, f"unexpected '{tokens[parser.i][1]}'")
    return node


class _Parser:
    def __init__(self, expr: str, tokens: list[tuple[str, str]]) -> None:
        self.src = expr
        self.tokens = tokens
        self.i = 0

    def peek(self) -> str | None:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        if self.i >= len(self.tokens):
            raise _error(self.src, "unexpected end of expression")
        t = self.tokens[self.i]
        self.i += 1
        return t

    def expect(self, op: str) -> None:
        _kind, value = self.take()
        if value != op:
            raise _error(self.src, f"expected '{op}', found '{value}'")

    def expr(self) -> Node:
        node = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()[1]
            node = BinOp(op, node, self.term())
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.peek() in ("*", "/"):
            op = self.take()[1]
            node = BinOp(op, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.peek() == "-":
            self.take()
            return BinOp("*", Num(-1.0), self.unary())
        return self.primary()

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "num":
            return Num(float(value))
        if kind == "str":
            return Text(value[1:-1])
        if value == "(":
            node = self.expr()
            self.expect(")")
            return node
        if value == "[":
            items = [self.expr()]
            while self.peek() == ",":
                self.take()
                items.append(self.expr())
            self.expect("]")
            return Array(tuple(items))
        if kind == "name":
            upper = value.upper()
            if upper in FUNCTIONS and self.peek() == "(":
                self.take()
                args: list[Node] = []
                if self.peek() != ")":
                    args.append(self.expr())
                    while self.peek() == ",":
                        self.take()
                        args.append(self.expr())
                self.expect(")")
                return Call(upper, tuple(args))
            if upper in KEYWORDS:
                return Keyword(upper)
            return Ref(value)
        raise _error(self.src, f"unexpected '{value}'")


def references(node: Node) -> set[str]:
    """The query ids an expression reads (METRICS() reads every metric query: "*")."""
    if isinstance(node, Ref):
        return {node.id}
    if isinstance(node, Call):
        out: set[str] = {"*"} if node.name == "METRICS" else set()
        for a in node.args:
            out |= references(a)
        return out
    if isinstance(node, BinOp):
        return references(node.left) | references(node.right)
    if isinstance(node, Array):
        return set().union(*(references(i) for i in node.items))
    return set()


@dataclass
class Context:
    expr: str
    series: dict[str, Value]  # query id -> its result
    metric_ids: list[str]  # MetricStat query ids, in request order (METRICS())
    grid: list[int]  # the period's timestamps in [start, end)
    labels: dict[str, str] = field(default_factory=dict)


def evaluate(node: Node, ctx: Context) -> Value:
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Ref):
        if node.id not in ctx.series:
            raise _error(ctx.expr, f"Unrecognized metric id: {node.id}")
        return ctx.series[node.id]
    if isinstance(node, Array):
        out: list[Series] = []
        for item in node.items:
            v = evaluate(item, ctx)
            if isinstance(v, list):
                out.extend(v)
            elif isinstance(v, Series):
                out.append(v)
            else:
                raise _error(ctx.expr, "an array holds time series only")
        return out
    if isinstance(node, BinOp):
        return _binop(node.op, evaluate(node.left, ctx), evaluate(node.right, ctx))
    if isinstance(node, Call):
        return _call(node, ctx)
    raise _error(ctx.expr, f"'{getattr(node, 'name', getattr(node, 'value', ''))}' is no value")


_OPS: dict[str, Callable[[float, float], float | None]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: None if b == 0 else a / b,
}


def _binop(op: str, a: Value, b: Value) -> Value:
    f = _OPS[op]
    if isinstance(a, list):
        return [_as_series(_binop(op, s, b)) for s in a]
    if isinstance(b, list):
        return [_as_series(_binop(op, a, s)) for s in b]
    if isinstance(a, Series) and isinstance(b, Series):
        pts = {t: f(a.points[t], b.points[t]) for t in a.points if t in b.points}
        return Series({t: v for t, v in pts.items() if v is not None and math.isfinite(v)})
    if isinstance(a, Series):
        assert not isinstance(b, Series)
        pts = {t: f(v, b) for t, v in a.points.items()}
        return Series({t: v for t, v in pts.items() if v is not None}, a.label)
    if isinstance(b, Series):
        pts = {t: f(a, v) for t, v in b.points.items()}
        return Series({t: v for t, v in pts.items() if v is not None}, b.label)
    r = f(a, b)
    return math.nan if r is None else r


def _as_series(v: Value) -> Series:
    assert isinstance(v, Series)
    return v


_REDUCE: dict[str, Callable[[list[float]], float]] = {
    "SUM": sum,
    "AVG": lambda xs: sum(xs) / len(xs),
    "MIN": min,
    "MAX": max,
}


def _call(node: Call, ctx: Context) -> Value:
    name = node.name
    if name == "METRICS":
        flt = ""
        if node.args:
            arg = node.args[0]
            if not isinstance(arg, Text) or len(node.args) > 1:
                raise _error(ctx.expr, "METRICS takes one optional string")
            flt = arg.value
        out = []
        for i in ctx.metric_ids:
            v = ctx.series.get(i)
            if isinstance(v, Series) and flt in (v.label or ctx.labels.get(i, "")):
                out.append(v)
        return out
    if name in _REDUCE:
        if len(node.args) != 1:
            raise _error(ctx.expr, f"{name} takes one argument")
        reduced = evaluate(node.args[0], ctx)
        reduce = _REDUCE[name]
        if isinstance(reduced, Series):
            vals = list(reduced.points.values())
            return reduce(vals) if vals else math.nan
        if isinstance(reduced, list):
            stamps: dict[int, list[float]] = {}
            for s in reduced:
                for t, v in s.points.items():
                    stamps.setdefault(t, []).append(v)
            return Series({t: reduce(vs) for t, vs in sorted(stamps.items())})
        return reduced
    # FILL
    if len(node.args) != 2:
        raise _error(ctx.expr, "FILL takes a time series and a value, REPEAT or LINEAR")
    target = evaluate(node.args[0], ctx)
    how = node.args[1]
    fill: str | float
    if isinstance(how, Keyword):
        fill = how.name
    else:
        v = evaluate(how, ctx)
        if not isinstance(v, float | int):
            raise _error(ctx.expr, "FILL's value must be a number, REPEAT or LINEAR")
        fill = float(v)
    if isinstance(target, list):
        return [_fill(s, fill, ctx.grid) for s in target]
    if isinstance(target, Series):
        return _fill(target, fill, ctx.grid)
    raise _error(ctx.expr, "FILL's first argument must be a time series")


def _fill(s: Series, how: str | float, grid: list[int]) -> Series:
    have = s.points
    out: dict[int, float] = {}
    known = sorted(have)
    for t in grid:
        if t in have:
            out[t] = have[t]
            continue
        if isinstance(how, float):
            out[t] = how
            continue
        before = [k for k in known if k < t]
        after = [k for k in known if k > t]
        if how == "REPEAT":
            if before:
                out[t] = have[before[-1]]
            elif after:
                out[t] = have[after[0]]
        elif before and after:  # LINEAR
            t0, t1 = before[-1], after[0]
            out[t] = have[t0] + (have[t1] - have[t0]) * (t - t0) / (t1 - t0)
        elif before or after:
            out[t] = have[before[-1]] if before else have[after[0]]
    for t, v in have.items():
        out.setdefault(t, v)
    return Series(dict(sorted(out.items())), s.label)
