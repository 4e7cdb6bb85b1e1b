"""An SQS batch consumer that reports partial batch failures.

Each message body is JSON ({"order": ..., ...}); a body that is not JSON or that contains the
POISON_MARKER fails alone: its messageId goes into batchItemFailures, so only it returns to the
queue (and to the dead-letter queue after maxReceiveCount receives) while the rest are deleted.
"""

import json
import os
from typing import Any


def process(body: str) -> None:
    if os.environ.get("POISON_MARKER", "poison") in body:
        raise ValueError("poison message")
    doc = json.loads(body)
    print(json.dumps({"processed": doc}))


def handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    failures = []
    for record in event.get("Records", []):
        try:
            process(record["body"])
        except Exception as e:  # one bad message must not fail the whole batch
            print(json.dumps({"failed": record["messageId"], "error": str(e)}))
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
