"""The console's function pages, over the Lambda service's own operations (in process, through
``ServiceCalls``): whatever the console does, boto3 sees at once, with the same validation and
the same errors.

Listing: the console asks for one page at a time (``page``, ``size``), filtered by a substring of
the name (case-insensitive) and sorted by name, runtime, memory or last modified. The server
reads the function list (ListFunctions, every page) and answers just the page asked for, so the
browser never holds more than ``size`` rows however many functions there are.
"""

from __future__ import annotations

import asyncio
import base64
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ovis.errors import InvalidParameterValueException
from ovis.frontdoor.console import package_files
from ovis.frontdoor.console.routes import ConsoleError, ConsoleRequest, as_int
from ovis.frontdoor.console.starter import starter, zip_files
from ovis.services.calls import Caller, ServiceCalls

SORT_KEYS = {
    "name": lambda f: f.get("FunctionName", "").lower(),
    "runtime": lambda f: f.get("Runtime", ""),
    "memory": lambda f: f.get("MemorySize", 0),
    "modified": lambda f: f.get("LastModified", ""),
}
MAX_PAGE = 100
LIST_BATCH = 1000  # ListFunctions pages read per console page (AWS allows up to 10,000)
SUMMARY = (
    "FunctionName",
    "FunctionArn",
    "Runtime",
    "MemorySize",
    "Timeout",
    "LastModified",
    "PackageType",
    "Handler",
    "State",
)


class ConsoleFunctions:
    def __init__(self, calls: ServiceCalls, zip_path: Callable[[str], Path]) -> None:
        self.calls = calls
        self.zip_path = zip_path  # hex SHA-256 -> where the code store keeps that zip

    async def route(self, req: ConsoleRequest) -> dict[str, Any] | None:
        """``functions`` and ``functions/NAME[/code|zip|delete|configuration|invoke]``."""
        parts, method, caller = req.parts, req.method, req.caller
        if parts[0] != "functions" or len(parts) > 3:
            return None
        if len(parts) == 1:
            if method == "GET":
                q = req.query
                return await self.list(
                    caller,
                    q.get("q", ""),
                    q.get("sort", "name"),
                    q.get("order", "asc"),
                    as_int(q.get("page", "1"), "page"),
                    as_int(q.get("size", "25"), "size"),
                )
            return await self.create(caller, req.doc())
        name = parts[1]
        if len(parts) == 2:
            return await self.get(caller, name) if method == "GET" else None
        action = parts[2]
        if method == "GET":
            return await self.code(caller, name) if action == "code" else None
        if action == "code":
            return await self.deploy(caller, name, req.doc())
        if action == "zip":
            return await self.upload(caller, name, req.body)
        if action == "delete":
            return await self.delete(caller, name)
        if action == "configuration":
            return await self.configure(caller, name, req.doc())
        if action == "invoke":
            payload = req.doc().get("Payload", "{}")
            if not isinstance(payload, str):
                raise ConsoleError(400, "ValidationException", "Payload must be a string.")
            return await self.invoke(caller, name, payload)
        return None

    async def _package(self, caller: Caller, name: str) -> tuple[dict[str, Any], bytes]:
        """The function's configuration and its deployment package (zip functions only)."""
        cfg = (await self._lambda(caller, "GetFunction", {"FunctionName": name}))["Configuration"]
        if cfg.get("PackageType") == "Image":
            raise InvalidParameterValueException(
                "The function is a container image; its code is not a package to edit."
            )
        digest = base64.b64decode(cfg["CodeSha256"]).hex()
        path = self.zip_path(digest)
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise InvalidParameterValueException("The function's package is not stored.") from None
        return cfg, data

    async def code(self, caller: Caller, name: str) -> dict[str, Any]:
        cfg, data = await self._package(caller, name)
        try:
            listed, editable = package_files.files(data)
        except zipfile.BadZipFile:
            raise InvalidParameterValueException("The function's package is not a zip.") from None
        return {
            "Files": [{"Path": f.path, "Size": f.size, "Text": f.text} for f in listed],
            "Editable": editable,
            "Handler": cfg.get("Handler"),
            "RevisionId": cfg.get("RevisionId"),
        }

    async def deploy(self, caller: Caller, name: str, doc: dict[str, Any]) -> dict[str, Any]:
        """UpdateFunctionCode with the package's files edited; with the RevisionId the page
        loaded, so a change made elsewhere meanwhile is not overwritten (PreconditionFailed)."""
        changes = doc.get("Files")
        if not isinstance(changes, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in changes.items()
        ):
            raise InvalidParameterValueException("Files must map paths to their text.")
        _cfg, data = await self._package(caller, name)
        try:
            package = package_files.edited(data, changes)
        except ValueError as e:
            raise InvalidParameterValueException(str(e)) from None
        params: dict[str, Any] = {"FunctionName": name, "ZipFile": package}
        if isinstance(doc.get("RevisionId"), str):
            params["RevisionId"] = doc["RevisionId"]
        return await self._lambda(caller, "UpdateFunctionCode", params)

    async def _lambda(self, caller: Caller, op: str, params: dict[str, Any]) -> dict[str, Any]:
        return await self.calls("lambda", op, params, caller)

    async def list(
        self, caller: Caller, query: str, sort: str, order: str, page: int, size: int
    ) -> dict[str, Any]:
        if sort not in SORT_KEYS:
            raise InvalidParameterValueException(f"sort must be one of {', '.join(SORT_KEYS)}.")
        if order not in ("asc", "desc"):
            raise InvalidParameterValueException("order must be asc or desc.")
        if not 1 <= size <= MAX_PAGE or page < 1:
            raise InvalidParameterValueException(f"page must be >= 1 and size 1..{MAX_PAGE}.")
        functions: list[dict[str, Any]] = []
        marker: str | None = None
        while True:
            params: dict[str, Any] = {"MaxItems": LIST_BATCH}
            if marker:
                params["Marker"] = marker
            out = await self._lambda(caller, "ListFunctions", params)
            functions.extend(out.get("Functions", []))
            marker = out.get("NextMarker")
            if not marker:
                break
        needle = query.strip().lower()
        if needle:
            functions = [f for f in functions if needle in f["FunctionName"].lower()]
        functions.sort(key=SORT_KEYS[sort], reverse=order == "desc")
        start = (page - 1) * size
        rows = [{k: f[k] for k in SUMMARY if k in f} for f in functions[start : start + size]]
        return {"Functions": rows, "Total": len(functions), "Page": page, "Size": size}

    async def create(self, caller: Caller, doc: dict[str, Any]) -> dict[str, Any]:
        runtime = str(doc.get("Runtime") or "python3.11")
        try:
            handler, files = starter(runtime)
        except ValueError as e:
            raise InvalidParameterValueException(str(e)) from None
        role = doc.get("Role") or f"arn:aws:iam::{caller.account_id}:role/lambda-role"
        params: dict[str, Any] = {
            "FunctionName": doc.get("FunctionName") or "",
            "Runtime": runtime,
            "Role": role,
            "Handler": handler,
            "Code": {"ZipFile": zip_files(files)},
        }
        return await self._lambda(caller, "CreateFunction", params)

    async def upload(self, caller: Caller, name: str, package: bytes) -> dict[str, Any]:
        """UpdateFunctionCode with an uploaded zip, checked by Lambda as any ZipFile is."""
        return await self._lambda(
            caller, "UpdateFunctionCode", {"FunctionName": name, "ZipFile": package}
        )

    async def delete(self, caller: Caller, name: str) -> dict[str, Any]:
        await self._lambda(caller, "DeleteFunction", {"FunctionName": name})
        return {"Deleted": name}

    async def get(self, caller: Caller, name: str) -> dict[str, Any]:
        out = await self._lambda(caller, "GetFunction", {"FunctionName": name})
        return {"Configuration": out.get("Configuration", {}), "Tags": out.get("Tags", {})}

    async def configure(self, caller: Caller, name: str, doc: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {"FunctionName": name}
        for key in ("MemorySize", "Timeout", "Description", "Handler"):
            if key in doc:
                params[key] = doc[key]
        if "Environment" in doc:
            env = doc["Environment"]
            if not isinstance(env, dict):
                raise InvalidParameterValueException("Environment must be an object.")
            params["Environment"] = {"Variables": {str(k): str(v) for k, v in env.items()}}
        return await self._lambda(caller, "UpdateFunctionConfiguration", params)

    async def invoke(self, caller: Caller, name: str, payload: str) -> dict[str, Any]:
        out = await self._lambda(
            caller,
            "Invoke",
            {"FunctionName": name, "Payload": payload.encode(), "LogType": "Tail"},
        )
        body = out.get("Payload") or b""
        log = (
            base64.b64decode(out["LogResult"]).decode("utf-8", "replace")
            if out.get("LogResult")
            else ""
        )
        return {
            "StatusCode": out.get("StatusCode"),
            "FunctionError": out.get("FunctionError"),
            "Payload": body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body),
            "Log": log,
            "ExecutedVersion": out.get("ExecutedVersion"),
        }
