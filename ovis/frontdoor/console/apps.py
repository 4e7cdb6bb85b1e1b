"""The console's applications and their pipeline runs (ovis/apps/, docs/apps.md):

  GET  /console/api/apps                           {"Apps": [app + "LatestRun"], "Templates"}
  POST /console/api/apps                           {"Name", "Template", "Branch"?,
                                                   "BuildTimeoutSeconds"?, "BuildMemorySize"?}
                                                   -> the app and its first run
  GET  /console/api/apps/NAME                      {"App", "Runs": [newest first]}
  POST /console/api/apps/NAME/runs                 {"Commit"?}: a re-run (default: the
                                                   branch's latest commit) -> the new run
  GET  /console/api/apps/NAME/runs/SEQ             one run
  GET  /console/api/apps/NAME/runs/SEQ/log         {"Stages": {stage: [{"Time", "Message"}]},
                                                   "Truncated"}: the run's log, per stage

The same use cases as ``/_ovis/apps`` (``AppService``), as the signed-in key: an application
created here is owned by that key (its builds get an STS session of it). The log is the run's
CloudWatch Logs stream (``/ovis/pipelines/NAME``, ``run-SEQ``), read through the logs service and
cut at the pipeline's stage markers (``==> stage NAME``; the lines before the first marker go
with ``source``). The page polls these while a run is in progress. Errors are the apps' own
(400 InvalidParameterValueException, 404 ResourceNotFoundException, 409
ResourceConflictException); a body member of the wrong type is a 400 ValidationException.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ovis.apps import catalog
from ovis.apps.models import Run
from ovis.apps.service import AppService
from ovis.errors import ApiError
from ovis.frontdoor.console.routes import ConsoleError, ConsoleRequest, as_int
from ovis.services.calls import Caller, ServiceCalls

MARKER = "==> stage "
MAX_LOG_EVENTS = 20_000  # a run's log read for the page (a build's output beyond is cut)


def _text(doc: dict[str, Any], key: str, default: str | None = None) -> str:
    value = doc.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise ConsoleError(400, "ValidationException", f"{key} is required (a string).")
    return value.strip()


def _int(doc: dict[str, Any], key: str, default: int) -> int:
    value = doc.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConsoleError(400, "ValidationException", f"{key} must be an integer.")
    return value


def split_stages(events: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Log events by the stage whose marker came before them (``source`` before any)."""
    stages: dict[str, list[dict[str, Any]]] = {}
    current = "source"
    for e in events:
        message = str(e.get("message", ""))
        if message.startswith(MARKER):
            current = message[len(MARKER) :].strip()
        stages.setdefault(current, []).append({"Time": e.get("timestamp"), "Message": message})
    return stages


class ConsoleApps:
    """The applications part (routes.py's contract)."""

    def __init__(self, apps: AppService, calls: ServiceCalls) -> None:
        self.apps = apps
        self.calls = calls

    async def route(self, req: ConsoleRequest) -> dict[str, Any] | None:
        if req.parts[0] != "apps":
            return None
        rest = req.parts[1:]
        if not rest:
            if req.method == "GET":
                return await self.listing()
            return await self.create(req)
        name = rest[0]
        if len(rest) == 1 and req.method == "GET":
            app = await asyncio.to_thread(self.apps.get, name)
            runs = await asyncio.to_thread(self.apps.runs, name)
            return {"App": self.apps.describe(app), "Runs": [r.to_json() for r in reversed(runs)]}
        if len(rest) == 2 and rest[1] == "runs" and req.method == "POST":
            doc = req.doc()
            commit = doc.get("Commit")
            if commit is not None and not isinstance(commit, str):
                raise ConsoleError(400, "ValidationException", "Commit must be a string.")
            return (await self.apps.rerun(name, commit or None)).to_json()
        if len(rest) >= 3 and rest[1] == "runs" and req.method == "GET":
            run = await asyncio.to_thread(self.apps.run, name, as_int(rest[2], "The run id"))
            if len(rest) == 3:
                return run.to_json()
            if len(rest) == 4 and rest[3] == "log":
                return await self.log(req.caller, run)
        return None

    async def listing(self) -> dict[str, Any]:
        def read() -> list[dict[str, Any]]:
            out = []
            for app in self.apps.apps():
                runs = self.apps.runs(app.name)
                latest = runs[-1].to_json() if runs else None
                out.append({**self.apps.describe(app), "LatestRun": latest})
            return out

        return {
            "Apps": await asyncio.to_thread(read),
            "Templates": [t.summary() for t in catalog.list_templates()],
        }

    async def create(self, req: ConsoleRequest) -> dict[str, Any]:
        doc = req.doc()
        branch = doc.get("Branch") or "main"
        app, run = await self.apps.create(
            _text(doc, "Name"),
            _text(doc, "Template"),
            _text({"Branch": branch}, "Branch"),
            req.caller.access_key,
            _int(doc, "BuildTimeoutSeconds", 300),
            _int(doc, "BuildMemorySize", 3072),
        )
        return {**self.apps.describe(app), "Run": run.to_json() if run else None}

    async def log(self, caller: Caller, run: Run) -> dict[str, Any]:
        group = f"/ovis/pipelines/{run.app}"
        events: list[dict[str, Any]] = []
        token: str | None = None
        params: dict[str, Any] = {
            "logGroupName": group,
            "logStreamName": run.log_stream,
            "startFromHead": True,
        }
        while len(events) < MAX_LOG_EVENTS:
            try:
                out = await self.calls(
                    "logs",
                    "GetLogEvents",
                    {**params, **({"nextToken": token} if token else {})},
                    caller,
                )
            except ApiError as e:
                if e.code == "ResourceNotFoundException":
                    break  # a queued run has no log yet
                raise
            page = out.get("events") or []
            events.extend(page)
            nxt = out.get("nextForwardToken")
            if not page or nxt == token:
                break
            token = nxt
        truncated = len(events) >= MAX_LOG_EVENTS
        return {"Stages": split_stages(events[:MAX_LOG_EVENTS]), "Truncated": truncated}
