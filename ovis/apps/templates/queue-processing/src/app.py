"""An SQS consumer: each message body is a JSON order {"id", "quantity"}; a message that is not
one is a batch item failure (it returns to the queue, then goes to the dead-letter queue)."""

import json
from typing import Any


def process(body: str) -> int:
    order = json.loads(body)
    quantity = order["quantity"]
    if not isinstance(quantity, int) or quantity <= 0:
        raise ValueError("quantity must be a positive integer")
    return quantity


def handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    failures = []
    for record in event.get("Records", []):
        try:
            process(record["body"])
        except (ValueError, KeyError, TypeError):
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
