"""The console's "create from blueprint" API (ovis/blueprints/):

  GET  /console/api/blueprints               {"Blueprints": [summary + presets]}
  GET  /console/api/blueprints/NAME          one, with its template, parameters and code files
  POST /console/api/blueprints/NAME/deploy   {"StackName", "FunctionName", "MemorySize",
                                             "Timeout", "Environment": {k: v}, "Parameters":
                                             {k: v}} -> {"StackName", "StackId", "FunctionName"}

A deploy is what ``sam package`` + ``aws cloudformation create-stack`` do, as the signed-in
principal through ``ServiceCalls``: the blueprint's code is zipped and put in the account's
artifacts bucket (``ovis-blueprints-ACCOUNT-REGION``, created on first use), and the packaged
template (the form's presets applied to the main function) becomes a stack created with
CAPABILITY_IAM and CAPABILITY_AUTO_EXPAND, so the triggers the template declares are created
with it. CreateStack answers once the stack is accepted; the page follows its progress on the
stack's own page. Bad input is a 400 naming the field; an unknown blueprint a 404; what S3 and
CloudFormation refuse comes back as they refused it.
"""

from __future__ import annotations

import re
from typing import Any

from ovis.blueprints import catalog
from ovis.blueprints.package import Overrides, PackageError, package_blueprint
from ovis.errors import ApiError
from ovis.frontdoor.console.routes import ConsoleError, ConsoleRequest
from ovis.services.calls import Caller, ServiceCalls

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
# CloudFormation's rule for stack names (checked here so the form says so before anything is
# uploaded).
STACK_NAME = re.compile(r"[a-zA-Z][-a-zA-Z0-9]{0,127}")


def _listing(bp: catalog.Blueprint) -> dict[str, Any]:
    p = bp.presets()
    return {
        **bp.summary(),
        "PackageType": p.package_type,
        "MemorySize": p.memory,
        "Timeout": p.timeout,
        "Environment": p.environment,
    }


def _detail(bp: catalog.Blueprint) -> dict[str, Any]:
    template = bp.template()
    params = [
        {
            "Name": k,
            "Default": "" if v.get("Default") is None else str(v["Default"]),
            "Description": str(v.get("Description", "")),
        }
        for k, v in (template.get("Parameters") or {}).items()
    ]
    files: dict[str, str | None] = {}
    for path, data in bp.files().items():
        try:
            files[path] = data.decode()
        except UnicodeDecodeError:
            files[path] = None
    return {
        **_listing(bp),
        "Template": bp.template_text(),
        "TemplateDescription": str(template.get("Description", "")),
        "Parameters": params,
        "Files": files,
    }


def _int(doc: dict[str, Any], key: str) -> int | None:
    value = doc.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConsoleError(400, "ValidationException", f"{key} must be an integer.")
    return value


def _strings(doc: dict[str, Any], key: str) -> dict[str, str] | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and k and isinstance(v, str) for k, v in value.items()
    ):
        raise ConsoleError(
            400, "ValidationException", f"{key} must be an object of non-empty names to strings."
        )
    return value


def _text(doc: dict[str, Any], key: str, required: bool = False) -> str:
    value = doc.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise ConsoleError(400, "ValidationException", f"{key} is required (a string).")
    return value.strip()


class ConsoleBlueprints:
    """The blueprints part (routes.py's contract)."""

    def __init__(self, calls: ServiceCalls) -> None:
        self.calls = calls

    async def route(self, req: ConsoleRequest) -> dict[str, Any] | None:
        if req.parts[0] != "blueprints":
            return None
        rest = req.parts[1:]
        if req.method == "GET" and not rest:
            return {"Blueprints": [_listing(b) for b in catalog.list_blueprints()]}
        if req.method == "GET" and len(rest) == 1:
            return _detail(self._get(rest[0]))
        if req.method == "POST" and len(rest) == 2 and rest[1] == "deploy":
            return await self.deploy(req.caller, self._get(rest[0]), req.doc())
        return None

    @staticmethod
    def _get(name: str) -> catalog.Blueprint:
        try:
            return catalog.get(name)
        except catalog.UnknownBlueprint as e:
            raise ConsoleError(404, "ResourceNotFoundException", str(e.args[0])) from None

    async def deploy(
        self, caller: Caller, bp: catalog.Blueprint, doc: dict[str, Any]
    ) -> dict[str, Any]:
        stack = _text(doc, "StackName", required=True)
        if not STACK_NAME.fullmatch(stack):
            raise ConsoleError(
                400,
                "ValidationError",
                f"Stack name {stack!r} must start with a letter and contain only letters, "
                "digits and hyphens (at most 128).",
            )
        function = _text(doc, "FunctionName")
        overrides = Overrides(
            function_name=function or None,
            memory=_int(doc, "MemorySize"),
            timeout=_int(doc, "Timeout"),
            environment=_strings(doc, "Environment"),
        )
        params = _strings(doc, "Parameters") or {}
        bucket = f"ovis-blueprints-{caller.account_id}-{caller.region}"
        try:
            pkg = package_blueprint(bp, bucket, overrides)
        except PackageError as e:
            raise ConsoleError(400, "ValidationException", str(e)) from None
        if pkg.artifacts:
            await self._ensure_bucket(caller, bucket)
        for key, blob in pkg.artifacts.items():
            await self.calls(
                "s3", "PutObject", {"Bucket": bucket, "Key": key, "Body": blob}, caller
            )
        out = await self.calls(
            "cloudformation",
            "CreateStack",
            {
                "StackName": stack,
                "TemplateBody": pkg.template_body(),
                "Capabilities": CAPABILITIES,
                "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
            },
            caller,
        )
        return {"StackName": stack, "StackId": out.get("StackId", ""), "FunctionName": function}

    async def _ensure_bucket(self, caller: Caller, bucket: str) -> None:
        try:
            await self.calls("s3", "CreateBucket", {"Bucket": bucket}, caller)
        except ApiError as e:
            if e.code != "BucketAlreadyOwnedByYou":
                raise
