"""IAM tags: keys compare case-insensitively (a new value replaces the old key's), at most 50
per resource, and one request may not name a key twice."""

from __future__ import annotations

from collections.abc import Iterable

from ovis.services.iam.errors import InvalidInputException, LimitExceededException

MAX_TAGS = 50
Tags = tuple[tuple[str, str], ...]


def checked(tags: Iterable[dict[str, str]] | None) -> Tags:
    """The Tags members of a request as pairs, refusing repeated keys."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for t in tags or ():
        key = t["Key"]
        if key.lower() in seen:
            raise InvalidInputException(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive."
            )
        seen.add(key.lower())
        out.append((key, t.get("Value", "")))
    if len(out) > MAX_TAGS:
        raise LimitExceededException("The number of tags has reached the maximum limit.")
    return tuple(out)


def merged(existing: Tags, new: Tags) -> Tags:
    by_key = {k.lower(): (k, v) for k, v in existing}
    for k, v in new:
        by_key[k.lower()] = (k, v)
    if len(by_key) > MAX_TAGS:
        raise LimitExceededException("The number of tags has reached the maximum limit.")
    return tuple(by_key.values())


def without(existing: Tags, keys: Iterable[str]) -> Tags:
    gone = {k.lower() for k in keys}
    return tuple((k, v) for k, v in existing if k.lower() not in gone)


def to_api(tags: Tags) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags]
