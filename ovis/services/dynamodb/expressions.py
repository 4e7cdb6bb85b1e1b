"""What every expression grammar shares: the tokenizer, document paths, operands, and the
substitution of ExpressionAttributeNames / ExpressionAttributeValues.

DynamoDB's expression language is small and has quirks of its own (``#name`` and ``:value``
placeholders, document paths with ``.`` and ``[n]``, functions that only take paths in some
positions); no maintained Python parser implements it (parsimonious/lark grammars would still
need all of the semantics below), so each grammar is a small recursive-descent parser of ours:
``condition.py``, ``update.py``, ``projection.py`` and ``key_condition.py``.

Errors use AWS's wording: ``Invalid <Kind>Expression: Syntax error; token: "<tok>", near:
"<text>"``, undefined placeholders and unused ones (``Placeholders.check_unused``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ovis.services.dynamodb.errors import ValidationException
from ovis.services.dynamodb.values import Value, check

Path = tuple[str | int, ...]

_TOKEN = re.compile(
    r"\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<hash>#[A-Za-z0-9_]+)|(?P<colon>:[A-Za-z0-9_]+)"
    r"|(?P<int>[0-9]+)|(?P<op><>|<=|>=|[=<>()\[\],.+\-]))"
)


@dataclass(frozen=True)
class Token:
    kind: str  # name, hash, colon, int, op, eof
    text: str
    pos: int


def tokenize(text: str, kind: str) -> list[Token]:
    out: list[Token] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ValidationException(
                f'Invalid {kind}: Syntax error; token: "{text[pos]}", near: '
                f'"{text[max(0, pos - 4) : pos + 4]}"'
            )
        k = m.lastgroup or "op"
        out.append(Token(k, m.group(k), m.start(k)))
        pos = m.end()
    out.append(Token("eof", "<EOF>", len(text)))
    return out


@dataclass
class Placeholders:
    """ExpressionAttributeNames / Values of one request, and which ones were used."""

    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, Value] = field(default_factory=dict)
    used_names: set[str] = field(default_factory=set)
    used_values: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, p: dict[str, Any]) -> Placeholders:
        values = {k: check(v) for k, v in (p.get("ExpressionAttributeValues") or {}).items()}
        return cls(dict(p.get("ExpressionAttributeNames") or {}), values)

    def name(self, token: str) -> str:
        if token not in self.names:
            raise ValidationException(
                "An expression attribute name used in the document path is not defined; "
                f"attribute name: {token}"
            )
        self.used_names.add(token)
        return self.names[token]

    def value(self, token: str) -> Value:
        if token not in self.values:
            raise ValidationException(
                "An expression attribute value used in expression is not defined; "
                f"attribute value: {token}"
            )
        self.used_values.add(token)
        return self.values[token]

    def check_unused(self) -> None:
        names = set(self.names) - self.used_names
        if names:
            raise ValidationException(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: "
                f"{{{', '.join(sorted(names))}}}"
            )
        values = set(self.values) - self.used_values
        if values:
            raise ValidationException(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: "
                f"{{{', '.join(sorted(values))}}}"
            )


@dataclass(frozen=True)
class Operand:
    """``kind``: path (``path``), value (``value``), size (``path``), if_not_exists (``path``,
    ``args[0]``), list_append (``args``), plus / minus (``args``)."""

    kind: str
    path: Path = ()
    value: Value | None = None
    args: tuple[Operand, ...] = ()


class Parser:
    """The recursive-descent base: a token cursor over one expression of one ``kind``
    (e.g. "ConditionExpression"), resolving placeholders as it goes."""

    def __init__(self, text: str, kind: str, ph: Placeholders) -> None:
        if not text.strip():
            raise ValidationException(f"Invalid {kind}: The expression can not be empty;")
        self.text = text
        self.kind = kind
        self.ph = ph
        self.tokens = tokenize(text, kind)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self) -> Token:
        """The token after the current one (the end stays the end)."""
        return self.tokens[min(self.i + 1, len(self.tokens) - 1)]

    def next(self) -> Token:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def error(self, t: Token | None = None) -> ValidationException:
        t = t or self.tok
        near = self.text[max(0, t.pos - 8) : t.pos + len(t.text) + 8].strip()
        return ValidationException(
            f'Invalid {self.kind}: Syntax error; token: "{t.text}", near: "{near}"'
        )

    def is_op(self, text: str) -> bool:
        return self.tok.kind == "op" and self.tok.text == text

    def is_word(self, word: str) -> bool:
        return self.tok.kind == "name" and self.tok.text.upper() == word

    def expect_op(self, text: str) -> None:
        if not self.is_op(text):
            raise self.error()
        self.i += 1

    def end(self) -> None:
        if self.tok.kind != "eof":
            raise self.error()

    def path(self) -> Path:
        t = self.next()
        if t.kind == "name":
            parts: list[str | int] = [t.text]
        elif t.kind == "hash":
            parts = [self.ph.name(t.text)]
        else:
            raise self.error(t)
        while True:
            if self.is_op("."):
                self.i += 1
                t = self.next()
                if t.kind == "name":
                    parts.append(t.text)
                elif t.kind == "hash":
                    parts.append(self.ph.name(t.text))
                else:
                    raise self.error(t)
            elif self.is_op("["):
                self.i += 1
                t = self.next()
                if t.kind != "int":
                    raise self.error(t)
                parts.append(int(t.text))
                self.expect_op("]")
            else:
                return tuple(parts)

    def function_args(self) -> list[Operand]:
        self.expect_op("(")
        args = [self.operand()]
        while self.is_op(","):
            self.i += 1
            args.append(self.operand())
        self.expect_op(")")
        return args

    def operand(self) -> Operand:
        """A path, a :value or a function call (the grammars override ``call``)."""
        t = self.tok
        if t.kind == "colon":
            self.i += 1
            return Operand("value", value=self.ph.value(t.text))
        if (
            t.kind == "name"
            and self.tokens[self.i + 1].kind == "op"
            and (self.tokens[self.i + 1].text == "(")
        ):
            self.i += 1
            return self.call(t, self.function_args())
        if t.kind in ("name", "hash"):
            return Operand("path", self.path())
        raise self.error()

    def call(self, name: Token, args: list[Operand]) -> Operand:
        raise ValidationException(
            f"Invalid {self.kind}: Invalid function name; function: {name.text}"
        )


def path_text(path: Path) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


# ---- document paths over items --------------------------------------------------------------


def get(item: dict[str, Value], path: Path) -> Value | None:
    cur: Any = {"M": item}
    for p in path:
        if isinstance(p, int):
            if "L" not in cur or p >= len(cur["L"]):
                return None
            cur = cur["L"][p]
        else:
            if "M" not in cur or p not in cur["M"]:
                return None
            cur = cur["M"][p]
    return dict(cur)


def resolve(item: dict[str, Value], op: Operand) -> Value | None:
    """The value of a path, :value or size() operand against ``item`` (None: missing)."""
    if op.kind == "value":
        return op.value
    if op.kind == "path":
        return get(item, op.path)
    if op.kind == "size":
        v = get(item, op.path)
        if v is None:
            return None
        t, x = next(iter(v.items()))
        if t in ("N", "BOOL", "NULL"):
            return None
        return {"N": str(len(x))}
    raise ValidationException(f"Invalid operand {op.kind}")  # pragma: no cover - parser
