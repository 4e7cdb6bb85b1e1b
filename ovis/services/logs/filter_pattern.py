"""The CloudWatch Logs filter pattern language, as FilterLogEvents and subscription filters
apply it (one parser for all of them).

Contract: ``compile_pattern(text)`` answers a predicate over a message, or raises
``LogsInvalidParameter`` for a pattern it cannot read. Matching is case-sensitive, as AWS's is.
The three kinds AWS defines:

- Terms (unstructured lines): the empty pattern matches every line; terms separated by spaces
  must all occur (``ERROR timeout``); a double-quoted term keeps spaces and punctuation
  (``"status 500"``); ``?term`` alternatives (a line matching any ``?`` term, when the pattern
  has only those); ``-term`` exclusions (with at least one other term); ``%regex%`` a regular
  expression searched in the line.
- JSON (``{ ... }``, for lines that are one JSON object; other lines never match): selectors
  ``$.a.b``, ``$.list[0]``, ``$.list[*].x`` (any element); ``=`` / ``!=`` against a string
  (``"quoted"`` or bare, ``*`` a wildcard), a ``%regex%`` or a number; ``<``, ``<=``, ``>``,
  ``>=`` against a number (the field must be a JSON number); ``IS TRUE``, ``IS FALSE``,
  ``IS NULL`` (present and null), ``NOT EXISTS`` (absent); ``&&`` (binding tighter) and ``||``
  with parentheses. ``= *`` holds for any present value; every other comparison needs the field
  present.
- Space-delimited (``[ip, user, ..., status=5*, size>1000]``): the line is split at spaces,
  text in double quotes or square brackets being one field (without them); the pattern's
  comma-separated fields bind the line's fields by position, ``...`` standing for any number of
  them (without one the counts must be equal). A field may carry conditions on its name (and on
  names before it), with the JSON comparisons, ``&&`` and ``||``: a number compares numerically
  when the field reads as one, else as text; ``*`` is a wildcard.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ovis.services.logs.groups import LogsInvalidParameter

Matcher = Callable[[str], bool]


def compile_pattern(text: str) -> Matcher:
    text = text.strip()
    if not text:
        return lambda _message: True
    if text[0] == "{":
        return _json_pattern(text)
    if text[0] == "[":
        return _delimited_pattern(text)
    return _term_pattern(text)


def _invalid(text: str, why: str) -> LogsInvalidParameter:
    return LogsInvalidParameter(f"Invalid filter pattern '{text}': {why}")


def _regex(body: str, text: str) -> re.Pattern[str]:
    try:
        return re.compile(body)
    except re.error as e:
        raise _invalid(text, f"bad regular expression %{body}%: {e}") from None


# ---- terms ------------------------------------------------------------------------------------


def _terms(text: str) -> list[str]:
    terms: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        prefix = ""
        if text[i] in "?-" and i + 1 < n and text[i + 1] in '"%':
            prefix, i = text[i], i + 1
        if text[i] in '"%':
            close = text[i]
            end = text.find(close, i + 1)
            if end < 0:
                raise LogsInvalidParameter("Invalid character(s) in term '" + text[start:] + "'")
            mark = "\0" if close == '"' else "\1"  # \0: quoted, kept as is; \1: a regex
            terms.append(prefix + mark + text[i + 1 : end])
            i = end + 1
            continue
        while i < n and not text[i].isspace():
            i += 1
        terms.append(text[start:i])
    return terms


def _contains(term: str) -> Matcher:
    return lambda message: term in message


def _term_pattern(text: str) -> Matcher:
    required: list[Matcher] = []
    optional: list[Matcher] = []
    excluded: list[Matcher] = []
    for term in _terms(text):
        kind = term[0] if term[0] in "?-" and len(term) > 1 else ""
        body = term[1:] if kind else term
        test: Matcher
        if body.startswith("\1"):
            test = _regex(body[1:], text).search  # type: ignore[assignment]
        else:
            body = body.removeprefix("\0")
            if not body:
                continue
            test = _contains(body)
        {"": required, "?": optional, "-": excluded}[kind].append(test)
    if not required and not optional:
        raise _invalid(text, "an exclusion needs a term to match.")

    def match(message: str) -> bool:
        if any(t(message) for t in excluded):
            return False
        if required:
            return all(t(message) for t in required)
        return any(t(message) for t in optional)

    return match


# ---- expressions (JSON and space-delimited conditions) ------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>"(?:[^"\\]|\\.)*")
    | (?P<re>%[^%]*%)
    | (?P<op>&&|\|\||!=|<=|>=|=|<|>|\(|\))
    | (?P<word>[^\s=!<>()&|"]+)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Tok:
    kind: str  # str | re | op | word
    text: str


def _tokens(expr: str, text: str) -> list[_Tok]:
    out: list[_Tok] = []
    i = 0
    expr = expr.rstrip()
    while i < len(expr):
        m = _TOKEN.match(expr, i)
        if m is None or m.end() == i:
            raise _invalid(text, f"unexpected '{expr[i:].strip()[:20]}'.")
        kind = m.lastgroup or "word"
        out.append(_Tok(kind, m.group(kind)))
        i = m.end()
    return out


Resolve = Callable[[str], list[Any]]  # a selector or field name -> its values ([] absent)
Cond = Callable[[Resolve], bool]


def _number(s: str) -> float | None:
    try:
        v = float(s)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _wildcard(s: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(p) for p in s.split("*")), re.DOTALL)


class _Parser:
    """Recursive descent over the tokens: or := and ('||' and)*; and := atom ('&&' atom)*;
    atom := '(' or ')' | NAME OP VALUE | NAME IS (TRUE|FALSE|NULL) | NAME NOT EXISTS."""

    def __init__(self, tokens: list[_Tok], text: str, numeric_fields: bool) -> None:
        self.toks, self.i, self.text = tokens, 0, text
        self.numeric_fields = numeric_fields  # space-delimited: text fields that read as numbers
        self.names: list[str] = []  # every selector / field name the conditions read

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        t = self.peek()
        if t is None:
            raise _invalid(self.text, "the pattern ends too early.")
        self.i += 1
        return t

    def parse(self) -> Cond:
        cond = self.disjunction()
        if self.peek() is not None:
            raise _invalid(self.text, f"unexpected '{self.take().text}'.")
        return cond

    def disjunction(self) -> Cond:
        parts = [self.conjunction()]
        while (t := self.peek()) is not None and t.text == "||" and t.kind == "op":
            self.i += 1
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else (lambda r: any(p(r) for p in parts))

    def conjunction(self) -> Cond:
        parts = [self.atom()]
        while (t := self.peek()) is not None and t.text == "&&" and t.kind == "op":
            self.i += 1
            parts.append(self.atom())
        return parts[0] if len(parts) == 1 else (lambda r: all(p(r) for p in parts))

    def atom(self) -> Cond:
        t = self.take()
        if t.kind == "op" and t.text == "(":
            inner = self.disjunction()
            close = self.take()
            if close.text != ")":
                raise _invalid(self.text, "a '(' is not closed.")
            return inner
        if t.kind != "word":
            raise _invalid(self.text, f"expected a selector, found '{t.text}'.")
        name = t.text
        self.names.append(name)
        op = self.take()
        if op.kind == "word" and op.text == "IS":
            what = self.take().text
            checks: dict[str, Callable[[Any], bool]] = {
                "TRUE": lambda v: v is True,
                "FALSE": lambda v: v is False,
                "NULL": lambda v: v is None,
            }
            if what not in checks:
                raise _invalid(self.text, f"IS must be followed by TRUE, FALSE or NULL: {what}")
            check = checks[what]
            return lambda r: any(check(v) for v in r(name))
        if op.kind == "word" and op.text == "NOT":
            if self.take().text != "EXISTS":
                raise _invalid(self.text, "NOT must be followed by EXISTS.")
            return lambda r: not r(name)
        if op.kind != "op" or op.text not in ("=", "!=", "<", "<=", ">", ">="):
            raise _invalid(self.text, f"expected a comparison after {name}, found '{op.text}'.")
        value = self.take()
        if value.kind == "op":
            raise _invalid(self.text, f"expected a value after {name} {op.text}.")
        test = self._comparison(op.text, value)
        return lambda r: any(test(v) for v in r(name))

    def _comparison(self, op: str, value: _Tok) -> Callable[[Any], bool]:
        numeric_fields = self.numeric_fields

        def as_number(v: Any) -> float | None:
            if isinstance(v, bool):
                return None
            if isinstance(v, int | float):
                return float(v)
            if numeric_fields and isinstance(v, str):
                return _number(v)
            return None

        number = _number(value.text) if value.kind == "word" else None
        if op not in ("=", "!="):
            if number is None:
                raise _invalid(self.text, f"{op} needs a number, found {value.text}.")
            limit: float = number
            cmp: Callable[[float], bool] = {
                "<": lambda a: a < limit,
                "<=": lambda a: a <= limit,
                ">": lambda a: a > limit,
                ">=": lambda a: a >= limit,
            }[op]
            return lambda v: (n := as_number(v)) is not None and cmp(n)
        equal: Callable[[Any], bool]
        if value.kind == "re":
            rx = _regex(value.text[1:-1], self.text)
            equal = lambda v: isinstance(v, str) and rx.search(v) is not None  # noqa: E731
        elif value.kind == "word" and value.text == "*":
            equal = lambda v: True  # noqa: E731
        elif number is not None:
            literal = value.text

            def equal(v: Any) -> bool:
                n = as_number(v)
                return n == number if n is not None else v == literal

        else:
            s = json.loads(value.text) if value.kind == "str" else value.text
            if "*" in s:
                rx = _wildcard(s)
                equal = lambda v: isinstance(v, str) and rx.fullmatch(v) is not None  # noqa: E731
            else:
                equal = lambda v: v == s  # noqa: E731
        if op == "=":
            return equal
        return lambda v: not equal(v)


# ---- JSON -------------------------------------------------------------------------------------

_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+|\*)\]")


def _selector(path: str, text: str) -> Callable[[Any], list[Any]]:
    if not path.startswith("$"):
        raise _invalid(text, f"a JSON selector starts with $: {path}")
    steps: list[str | int | None] = []  # key, index, or None for [*]
    i = 1
    while i < len(path):
        m = _STEP.match(path, i)
        if m is None:
            raise _invalid(text, f"bad JSON selector {path}")
        if m.group(1) is not None:
            steps.append(m.group(1))
        else:
            steps.append(None if m.group(2) == "*" else int(m.group(2)))
        i = m.end()

    def resolve(doc: Any) -> list[Any]:
        values = [doc]
        for step in steps:
            nxt: list[Any] = []
            for v in values:
                if isinstance(step, str):
                    if isinstance(v, dict) and step in v:
                        nxt.append(v[step])
                    elif step == "*" and isinstance(v, dict):
                        nxt.extend(v.values())
                elif isinstance(v, list):
                    if step is None:
                        nxt.extend(v)
                    elif step < len(v):
                        nxt.append(v[step])
            values = nxt
        return values

    return resolve


def _json_pattern(text: str) -> Matcher:
    if not text.endswith("}"):
        raise _invalid(text, "a JSON pattern is enclosed in { }.")
    tokens = _tokens(text[1:-1], text)
    if not tokens:
        raise _invalid(text, "the JSON pattern is empty.")
    parser = _Parser(tokens, text, numeric_fields=False)
    cond = parser.parse()
    selectors = {name: _selector(name, text) for name in parser.names}

    def match(message: str) -> bool:
        body = message.strip()
        if not body.startswith("{"):
            return False
        try:
            doc = json.loads(body)
        except ValueError:
            return False
        return cond(lambda name: selectors[name](doc))

    return match


# ---- space-delimited --------------------------------------------------------------------------

_FIELD = re.compile(r'"([^"]*)"|\[([^\]]*)\]|(\S+)')
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\.\.\.")


def split_fields(message: str) -> list[str]:
    """A line's space-delimited fields: quoted and bracketed text is one field, unwrapped."""
    out = []
    for m in _FIELD.finditer(message):
        g = m.group(1) if m.group(1) is not None else m.group(2)
        out.append(g if g is not None else m.group(3))
    return out


def _split_commas(body: str, text: str) -> list[str]:
    parts: list[str] = []
    cur: list[str] = []
    depth, quoted = 0, False
    for ch in body:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        if ch == "," and not quoted and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    if quoted:
        raise _invalid(text, "a quote is not closed.")
    parts.append("".join(cur).strip())
    return parts


def _delimited_pattern(text: str) -> Matcher:
    if not text.endswith("]"):
        raise _invalid(text, "a space-delimited pattern is enclosed in [ ].")
    names: list[str] = []
    conds: list[Cond] = []
    for field_spec in _split_commas(text[1:-1], text):
        m = _NAME.match(field_spec)
        if m is None:
            raise _invalid(text, f"a field must start with a name: '{field_spec}'")
        name = m.group(0)
        names.append(name)
        rest = field_spec[m.end() :].strip()
        if rest:
            if name == "...":
                raise _invalid(text, "... takes no condition.")
            parser = _Parser(_tokens(field_spec, text), text, numeric_fields=True)
            conds.append(parser.parse())
            unknown = [n for n in parser.names if n not in names]
            if unknown:
                raise _invalid(text, f"a condition names an unknown field: {unknown[0]}")
    if all(n == "..." for n in names):
        raise _invalid(text, "name at least one field.")

    def bindings(fields: list[str], i: int, j: int, bound: dict[str, str]) -> bool:
        """Whether fields[j:] can bind names[i:] with every condition holding at the end."""
        if i == len(names):
            return j == len(fields) and all(
                c(lambda n: [bound[n]] if n in bound else []) for c in conds
            )
        if names[i] == "...":
            return any(bindings(fields, i + 1, k, bound) for k in range(j, len(fields) + 1))
        if j == len(fields):
            return False
        bound[names[i]] = fields[j]
        try:
            return bindings(fields, i + 1, j + 1, bound)
        finally:
            del bound[names[i]]

    def match(message: str) -> bool:
        return bindings(split_fields(message), 0, 0, {})

    return match
