"""A scheduled job: each run logs {"job", "task", "run"} (run: the time the rule fired)."""

import json
import os
from datetime import UTC, datetime
from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    run = {
        "job": os.environ.get("JOB_NAME", "job"),
        "task": (event or {}).get("task"),
        "run": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    print("JOB " + json.dumps(run))
    return run
