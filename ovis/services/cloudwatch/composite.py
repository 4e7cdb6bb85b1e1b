"""Composite alarms' rules: the AlarmRule language, parsed once and evaluated over the states of
the alarms it names.

Contract: ``parse_rule(text)`` answers a ``Rule`` or raises ``InvalidParameterValue`` with what
is wrong. The language, as AWS defines it: ``ALARM(x)``, ``OK(x)``, ``INSUFFICIENT_DATA(x)``
(true when alarm ``x`` is in that state; ``x`` an alarm name, bare or double-quoted, or its ARN),
``TRUE``, ``FALSE``, ``NOT``, ``AND``, ``OR`` (binding in that order, tightest first) and
parentheses. A rule holds -> the composite alarm is ALARM; it does not -> OK. An alarm the rule
names that does not exist is in no state (every state function of it is false).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ovis.services.cloudwatch.errors import InvalidParameterValue

MAX_RULE = 10240  # characters, AWS's limit
STATE_FUNCTIONS = {"ALARM": "ALARM", "OK": "OK", "INSUFFICIENT_DATA": "INSUFFICIENT_DATA"}
_TOKEN = re.compile(r'\s*(?:(\()|(\))|"((?:[^"\\]|\\.)*)"|([^\s()"]+))')
_ARN = re.compile(r"arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:(.+)")

States = Mapping[str, str]  # alarm name -> state value


@dataclass(frozen=True)
class Rule:
    text: str
    names: tuple[str, ...]  # the alarms it reads, in order of appearance, once each
    holds: Callable[[States], bool]


def alarm_name(ref: str) -> str:
    """An alarm named in a rule: its name, whether given as the name or as its ARN."""
    m = _ARN.fullmatch(ref)
    return m.group(1) if m else ref


def _invalid(text: str, why: str) -> InvalidParameterValue:
    return InvalidParameterValue(f"Error in alarm rule '{text[:200]}': {why}")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks: list[tuple[str, str]] = []  # (kind, text): ( ) q(uoted) w(ord)
        i = 0
        stripped = text.rstrip()
        while i < len(stripped):
            m = _TOKEN.match(stripped, i)
            if m is None:
                raise _invalid(text, f"unexpected '{stripped[i : i + 20].strip()}'.")
            if m.group(1):
                self.toks.append(("(", "("))
            elif m.group(2):
                self.toks.append((")", ")"))
            elif m.group(3) is not None:
                self.toks.append(("q", m.group(3).replace('\\"', '"')))
            else:
                self.toks.append(("w", m.group(4)))
            i = m.end()
        self.i = 0
        self.names: list[str] = []

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        t = self.peek()
        if t is None:
            raise _invalid(self.text, "the rule ends too early.")
        self.i += 1
        return t

    def parse(self) -> Callable[[States], bool]:
        if not self.toks:
            raise _invalid(self.text, "the rule is empty.")
        f = self.disjunction()
        if self.peek() is not None:
            raise _invalid(self.text, f"unexpected '{self.take()[1]}'.")
        return f

    def _keyword(self, word: str) -> bool:
        t = self.peek()
        if t is not None and t[0] == "w" and t[1] == word:
            self.i += 1
            return True
        return False

    def disjunction(self) -> Callable[[States], bool]:
        parts = [self.conjunction()]
        while self._keyword("OR"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else (lambda s: any(p(s) for p in parts))

    def conjunction(self) -> Callable[[States], bool]:
        parts = [self.negation()]
        while self._keyword("AND"):
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else (lambda s: all(p(s) for p in parts))

    def negation(self) -> Callable[[States], bool]:
        if self._keyword("NOT"):
            inner = self.negation()
            return lambda s: not inner(s)
        return self.atom()

    def atom(self) -> Callable[[States], bool]:
        kind, word = self.take()
        if kind == "(":
            inner = self.disjunction()
            if self.take()[0] != ")":
                raise _invalid(self.text, "a '(' is not closed.")
            return inner
        if kind == "w" and word == "TRUE":
            return lambda _s: True
        if kind == "w" and word == "FALSE":
            return lambda _s: False
        if kind != "w" or word not in STATE_FUNCTIONS:
            raise _invalid(
                self.text,
                f"expected ALARM(), OK(), INSUFFICIENT_DATA(), TRUE or FALSE, found '{word}'.",
            )
        if self.take()[0] != "(":
            raise _invalid(self.text, f"{word} takes an alarm name in parentheses.")
        ref_kind, ref = self.take()
        if ref_kind not in ("q", "w") or not ref:
            raise _invalid(self.text, f"{word}() needs an alarm name.")
        if self.take()[0] != ")":
            raise _invalid(self.text, f"{word}({ref} is not closed.")
        name = alarm_name(ref)
        if name not in self.names:
            self.names.append(name)
        state = STATE_FUNCTIONS[word]
        return lambda s: s.get(name) == state


def parse_rule(text: str) -> Rule:
    if len(text) > MAX_RULE:
        raise InvalidParameterValue(f"AlarmRule must be at most {MAX_RULE} characters.")
    p = _Parser(text)
    holds = p.parse()
    return Rule(text, tuple(p.names), holds)
