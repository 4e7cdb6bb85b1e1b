"""The applications' API (SigV4-signed like the admin API; AWS has no such service):

  GET  /_ovis/apps/templates               the application templates
  GET  /_ovis/apps                         every application
  POST /_ovis/apps                         {"Name", "Template", "Branch"?, "BuildTimeoutSeconds"?}
  GET  /_ovis/apps/NAME                    one application (with its clone URL)
  GET  /_ovis/apps/NAME/runs               its runs, oldest first, with their stages
  POST /_ovis/apps/NAME/runs               {"Commit"?}: run it again (default: the branch's
                                           latest commit), as a push would
  GET  /_ovis/apps/NAME/runs/SEQ           one run

Errors are Lambda-style JSON (``x-amzn-ErrorType`` and ``{"Type", "message"}``): 400
InvalidParameterValueException / InvalidRequestContentException, 404 ResourceNotFoundException,
409 ResourceConflictException. The creator's access key is the app's owner (its builds get an
STS session of that key).
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import Any

from ovis.apps import catalog
from ovis.apps.service import AppService
from ovis.auth.sigv4 import Identity, SigV4Verifier
from ovis.errors import ApiError, InvalidRequestContentException, UnknownOperationException
from ovis.frontdoor.http import Receive, Scope, Send, read_body, respond

PREFIX = "/_ovis/apps"
MAX_BODY = 64 * 1024
_RUN = re.compile(r"/([^/]+)/runs/(\d{1,9})")


def _error(e: ApiError) -> tuple[int, dict[str, str], bytes]:
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": e.code, **e.headers}
    return e.status, headers, json.dumps(e.body()).encode()


def _doc(body: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(body or b"{}")
    except ValueError:
        raise InvalidRequestContentException("The body must be a JSON object.") from None
    if not isinstance(doc, dict):
        raise InvalidRequestContentException("The body must be a JSON object.")
    return doc


def _str(doc: dict[str, Any], key: str, default: str | None = None) -> str:
    value = doc.get(key, default)
    if not isinstance(value, str):
        raise InvalidRequestContentException(f"{key} is required and must be a string.")
    return value


def _int(doc: dict[str, Any], key: str, default: int) -> int:
    value = doc.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidRequestContentException(f"{key} must be an integer.")
    return value


class AppsApiService:
    name = "apps-api"

    def __init__(self, apps: AppService, verifier: SigV4Verifier) -> None:
        self.apps = apps
        self.verifier = verifier

    def match(self, scope: Scope) -> bool | None:
        path: str = scope["path"]
        return True if path == PREFIX or path.startswith(PREFIX + "/") else None

    async def serve(self, scope: Scope, receive: Receive, send: Send, token: Any) -> None:
        try:
            body = await read_body(receive, MAX_BODY)
            raw = scope.get("raw_path") or scope["path"].encode()
            signed = self.verifier.verify(
                scope["method"], raw, scope["query_string"], scope["headers"], body
            )
            out = await self._route(scope["method"], scope["path"][len(PREFIX) :], body, signed)
            status, headers, data = 200, {"Content-Type": "application/json"}, json.dumps(out)
            response = (status, headers, data.encode())
        except ApiError as e:
            response = _error(e)
        status, headers, payload = response
        headers.setdefault("x-amzn-RequestId", str(uuid.uuid4()))
        await respond(send, status, headers, payload)

    async def _route(self, method: str, path: str, body: bytes, signed: Identity) -> Any:
        path = path.rstrip("/")
        if method == "GET" and path == "/templates":
            return {"Templates": [t.summary() for t in catalog.list_templates()]}
        if path == "":
            if method == "GET":
                return {"Apps": [self.apps.describe(a) for a in self.apps.apps()]}
            if method == "POST":
                doc = _doc(body)
                timeout = _int(doc, "BuildTimeoutSeconds", 300)
                memory = _int(doc, "BuildMemorySize", 3072)
                app, run = await self.apps.create(
                    _str(doc, "Name"),
                    _str(doc, "Template"),
                    _str(doc, "Branch", "main"),
                    signed.access_key,
                    timeout,
                    memory,
                )
                return {**self.apps.describe(app), "Run": run.to_json() if run else None}
        if method == "POST" and path.endswith("/runs") and path.count("/") == 2:
            doc = _doc(body)
            commit = doc.get("Commit")
            if commit is not None and not isinstance(commit, str):
                raise InvalidRequestContentException("Commit must be a string.")
            run = await self.apps.rerun(path.split("/")[1], commit)
            return run.to_json()
        if method == "GET":
            if m := _RUN.fullmatch(path):
                run = await asyncio.to_thread(self.apps.run, m.group(1), int(m.group(2)))
                return run.to_json()
            if path.endswith("/runs") and path.count("/") == 2:
                runs = await asyncio.to_thread(self.apps.runs, path.split("/")[1])
                return {"Runs": [r.to_json() for r in runs]}
            if path.count("/") == 1:
                app = await asyncio.to_thread(self.apps.get, path[1:])
                return self.apps.describe(app)
        raise UnknownOperationException(f"Unknown apps operation {method} {PREFIX}{path}")
