"""A JSON API behind a function URL: GET /health, GET /version (the build that deployed this
code), GET /items/{id}, POST /items (JSON body). Unknown paths answer 404; a known path with
another method answers 405 with Allow."""

import json
import os
from pathlib import Path
from typing import Any

ITEMS: dict[str, Any] = {}


def build_info() -> dict[str, Any]:
    """What the pipeline's build stage wrote beside the code (empty when run from source)."""
    path = Path(__file__).with_name("build.json")
    return json.loads(path.read_text()) if path.exists() else {}


def respond(status: int, body: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json", **(headers or {})},
        "body": json.dumps(body),
    }


def route(method: str, path: str, body: str) -> dict[str, Any]:
    if path == "/health":
        if method != "GET":
            return respond(405, {"error": "method not allowed"}, {"allow": "GET"})
        return respond(200, {"ok": True, "service": os.environ.get("SERVICE_NAME", "api")})
    if path == "/version":
        return respond(200, build_info())
    if path == "/items":
        if method != "POST":
            return respond(405, {"error": "method not allowed"}, {"allow": "POST"})
        try:
            item = json.loads(body or "{}")
        except ValueError:
            return respond(400, {"error": "the body must be JSON"})
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            return respond(400, {"error": "an item is an object with a string id"})
        ITEMS[item["id"]] = item
        return respond(201, item)
    if path.startswith("/items/"):
        found = ITEMS.get(path.removeprefix("/items/"))
        return respond(200, found) if found else respond(404, {"error": "no such item"})
    return respond(404, {"error": f"no route for {path}"})


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    http = event.get("requestContext", {}).get("http", {})
    return route(http.get("method", "GET"), event.get("rawPath", "/"), event.get("body") or "")


def version(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return build_info()
