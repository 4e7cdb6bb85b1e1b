"""What a function reported failed with ReportBatchItemFailures (``batchItemFailures``).

Contract: ``failed_items(payload, ids)`` reads a successful invocation's response:
- a set of item identifiers (message ids for SQS, sequence numbers for streams) that failed;
- the empty set when all succeeded: an empty or null response, a response that is not a JSON
  object, a missing, null or empty ``batchItemFailures``, as AWS counts them successes;
- None when the response is invalid, which fails the whole batch as on AWS: an entry that is not
  an object, an ``itemIdentifier`` that is missing, null, empty, not a string or not in ``ids``.
"""

from __future__ import annotations

import json
from collections.abc import Collection


def failed_items(payload: bytes, ids: Collection[str]) -> set[str] | None:
    try:
        doc = json.loads(payload) if payload.strip() else None
    except (ValueError, UnicodeDecodeError):
        return set()
    if not isinstance(doc, dict):
        return set()
    failures = doc.get("batchItemFailures")
    if failures is None or failures == []:
        return set()
    if not isinstance(failures, list):
        return None
    failed: set[str] = set()
    for entry in failures:
        ident = entry.get("itemIdentifier") if isinstance(entry, dict) else None
        if not isinstance(ident, str) or not ident or ident not in ids:
            return None
        failed.add(ident)
    return failed
