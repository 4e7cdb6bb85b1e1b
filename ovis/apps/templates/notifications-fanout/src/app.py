"""A notification's subscriber: each SNS record becomes one formatted line in the log."""

from typing import Any


def format_line(subject: str | None, message: str, attributes: dict[str, Any]) -> str:
    level = attributes.get("level", {}).get("Value", "info")
    return f"[{level}] {subject or '(no subject)'}: {message}"


def handler(event: dict[str, Any], context: Any) -> dict[str, list[str]]:
    lines = []
    for record in event.get("Records", []):
        sns = record["Sns"]
        line = format_line(sns.get("Subject"), sns["Message"], sns.get("MessageAttributes") or {})
        print(line)
        lines.append(line)
    return {"lines": lines}
