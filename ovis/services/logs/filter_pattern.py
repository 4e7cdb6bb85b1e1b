"""The CloudWatch Logs filter pattern syntax for unstructured lines, as FilterLogEvents and
subscription filters apply it (one parser for both).

Contract: ``compile_pattern(text)`` answers a predicate over a message, or raises
``LogsInvalidParameter`` for a pattern it cannot read. Supported, as AWS defines them:
the empty pattern (every line); terms separated by spaces, all of which must occur
(``ERROR timeout``); a double-quoted term for text with spaces or punctuation
(``"status 500"``); ``?term`` alternatives (a line matching any ``?`` term, when the pattern
has only those); ``-term`` exclusions (with at least one other term). Matching is
case-sensitive and on substrings, as AWS's is. JSON (``{ $.x = 1 }``) and space-delimited
(``[a, b]``) patterns are refused with a message saying so (not served here).
"""

from __future__ import annotations

from collections.abc import Callable

from ovis.services.logs.groups import LogsInvalidParameter

Matcher = Callable[[str], bool]


def _terms(text: str) -> list[str]:
    terms: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        prefix = ""
        if text[i] in "?-" and i + 1 < n and text[i + 1] == '"':
            prefix, i = text[i], i + 1
        if text[i] == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise LogsInvalidParameter("Invalid character(s) in term '" + text[start:] + "'")
            terms.append(prefix + "\0" + text[i + 1 : end])  # \0: quoted, kept as is
            i = end + 1
            continue
        while i < n and not text[i].isspace():
            i += 1
        terms.append(text[start:i])
    return terms


def compile_pattern(text: str) -> Matcher:
    text = text.strip()
    if not text:
        return lambda _message: True
    if text[0] in "{[":
        raise LogsInvalidParameter(
            "JSON and space-delimited filter patterns are not supported here; use terms, "
            '"quoted terms", ?alternatives and -exclusions.'
        )
    required: list[str] = []
    optional: list[str] = []
    excluded: list[str] = []
    for term in _terms(text):
        kind = term[0] if term[0] in "?-" and len(term) > 1 else ""
        body = term[1:] if kind else term
        body = body.removeprefix("\0")
        if not body:
            continue
        {"": required, "?": optional, "-": excluded}[kind].append(body)
    if not required and not optional:
        raise LogsInvalidParameter(
            f"Invalid filter pattern '{text}': an exclusion needs a term to match."
        )

    def match(message: str) -> bool:
        if any(t in message for t in excluded):
            return False
        if required:
            return all(t in message for t in required)
        return any(t in message for t in optional)

    return match
