"""An SNS subscriber: logs each notification (subject, message, attributes) as one JSON line."""

import json
import os
from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    prefix = os.environ.get("LOG_PREFIX", "notification")
    for record in event.get("Records", []):
        sns = record["Sns"]
        attributes = {k: v.get("Value") for k, v in (sns.get("MessageAttributes") or {}).items()}
        line = {
            "subject": sns.get("Subject"),
            "message": sns["Message"],
            "attributes": attributes,
            "topic": sns["TopicArn"],
        }
        print(f"{prefix} {json.dumps(line)}")
    return {"handled": len(event.get("Records", []))}
