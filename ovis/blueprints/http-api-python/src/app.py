"""A JSON API behind a function URL (payload format 2.0), routed by method and path.

Routes: GET /health, GET /hello/{name}, POST /echo (returns the JSON body it was sent).
An unknown path is a 404 and a known path with another method a 405, both as JSON.
"""

import base64
import json
import os
import re
from collections.abc import Callable
from typing import Any

Response = dict[str, Any]
Route = Callable[[dict[str, Any], dict[str, str]], Response]


def _json(status: int, doc: Any, headers: dict[str, str] | None = None) -> Response:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json", **(headers or {})},
        "body": json.dumps(doc),
    }


def health(event: dict[str, Any], params: dict[str, str]) -> Response:
    return _json(200, {"ok": True, "service": os.environ.get("SERVICE_NAME", "api")})


def hello(event: dict[str, Any], params: dict[str, str]) -> Response:
    return _json(200, {"message": f"Hello, {params['name']}!"})


def echo(event: dict[str, Any], params: dict[str, str]) -> Response:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    try:
        doc = json.loads(body or "null")
    except ValueError:
        return _json(400, {"error": "the body must be JSON"})
    return _json(200, {"echo": doc})


# (pattern, {method: handler}); a pattern's named groups become the handler's params.
ROUTES: list[tuple[re.Pattern[str], dict[str, Route]]] = [
    (re.compile(r"^/health$"), {"GET": health}),
    (re.compile(r"^/hello/(?P<name>[^/]+)$"), {"GET": hello}),
    (re.compile(r"^/echo$"), {"POST": echo}),
]


def handler(event: dict[str, Any], context: Any) -> Response:
    http = event.get("requestContext", {}).get("http", {})
    method, path = http.get("method", "GET"), event.get("rawPath", "/")
    for pattern, methods in ROUTES:
        match = pattern.match(path)
        if match is None:
            continue
        route = methods.get(method)
        if route is None:
            return _json(405, {"error": f"{method} not allowed"}, {"allow": ", ".join(methods)})
        return route(event, match.groupdict())
    return _json(404, {"error": f"no route for {path}"})
