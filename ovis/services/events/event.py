"""The EventBridge event envelope, and PutEvents entries checked the way EventBridge checks them.

An event as every target sees it (AWS's field order)::

    {"version": "0", "id": uuid, "detail-type": ..., "source": ..., "account": ...,
     "time": "2024-01-01T00:00:00Z", "region": ..., "resources": [...], "detail": {...}}

``time`` is the entry's Time (else the moment it was accepted) in ISO 8601, UTC, seconds.
Scheduled rules emit ``detail-type`` "Scheduled Event" from ``source`` "aws.events" with the
rule's ARN as the only resource and an empty detail.

Entry size is computed as AWS documents it (Time 14 bytes when given; Source, DetailType,
Detail and every Resource by their UTF-8 length); a request's entries may add up to 256 KB.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

MAX_REQUEST_BYTES = 256 * 1024
SCHEDULED_DETAIL_TYPE = "Scheduled Event"
SCHEDULED_SOURCE = "aws.events"


@dataclass(frozen=True)
class EntryError:
    """A PutEvents entry refused on its own (its ErrorCode and ErrorMessage)."""

    code: str
    message: str


def iso_seconds(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def entry_size(entry: dict[str, Any]) -> int:
    size = 14 if entry.get("Time") is not None else 0
    for key in ("Source", "DetailType", "Detail"):
        value = entry.get(key)
        if isinstance(value, str):
            size += len(value.encode())
    for resource in entry.get("Resources") or ():
        if isinstance(resource, str):
            size += len(resource.encode())
    return size


def _time_ms(value: Any, now_ms: int) -> int:
    if isinstance(value, datetime):
        t = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return int(t.timestamp() * 1000)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value * 1000)
    if isinstance(value, str):
        try:
            return _time_ms(datetime.fromisoformat(value.replace("Z", "+00:00")), now_ms)
        except ValueError:
            return now_ms
    return now_ms


def envelope(
    *,
    source: str,
    detail_type: str,
    detail: dict[str, Any],
    resources: list[str],
    account: str,
    region: str,
    time_ms: int,
    event_id: str | None = None,
) -> dict[str, Any]:
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": iso_seconds(time_ms),
        "region": region,
        "resources": list(resources),
        "detail": detail,
    }


def from_entry(
    entry: dict[str, Any], account: str, region: str, now_ms: int
) -> dict[str, Any] | EntryError:
    """The event of one PutEvents entry, or why EventBridge refuses the entry."""
    for key in ("Source", "DetailType", "Detail"):
        if not entry.get(key):
            return EntryError(
                "InvalidArgument",
                f"Parameter {key} is not valid. Reason: {key} is a required argument.",
            )
    source = entry["Source"]
    if source.startswith("aws."):  # AWS services' own sources
        return EntryError("NotAuthorizedForSourceException", "Not authorized for the source.")
    try:
        detail = json.loads(entry["Detail"])
    except (ValueError, RecursionError):
        detail = None
    if not isinstance(detail, dict):
        return EntryError("MalformedDetail", "Detail is malformed.")
    return envelope(
        source=source,
        detail_type=entry["DetailType"],
        detail=detail,
        resources=list(entry.get("Resources") or ()),
        account=account,
        region=region,
        time_ms=_time_ms(entry.get("Time"), now_ms),
    )


def scheduled(rule_arn: str, account: str, region: str, slot_ms: int) -> dict[str, Any]:
    return envelope(
        source=SCHEDULED_SOURCE,
        detail_type=SCHEDULED_DETAIL_TYPE,
        detail={},
        resources=[rule_arn],
        account=account,
        region=region,
        time_ms=slot_ms,
    )
