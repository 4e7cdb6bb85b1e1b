"""Signed calls to Ovis's operator endpoints (/_ovis/admin/...), as the ovis CLI makes them."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def admin(url: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else b""
    req = AWSRequest(method=method, url=url + "/_ovis/admin" + path, data=data)
    SigV4Auth(Credentials("test", "test"), "lambda", "us-east-1").add_auth(req)
    prepared = urllib.request.Request(
        req.url, data=data or None, method=method, headers=dict(req.headers.items())
    )
    with urllib.request.urlopen(prepared, timeout=30) as r:
        return json.loads(r.read())
