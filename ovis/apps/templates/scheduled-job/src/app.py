"""A scheduled job: each fire runs the task its input names and logs one report line."""

import json
import os
import time
from typing import Any

TASKS = ("report", "cleanup")


def run_task(task: str, now: float) -> dict[str, Any]:
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; known: {', '.join(TASKS)}")
    return {"job": os.environ.get("JOB_NAME", "job"), "task": task, "at": int(now)}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    report = run_task(str(event.get("task", "report")), time.time())
    print(json.dumps(report))
    return report
