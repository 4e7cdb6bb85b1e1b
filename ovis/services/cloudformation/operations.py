"""The CloudFormation operations (query protocol, XML replies): one handler per operation,
``(ctx, params) -> output``. The query codec parses and validates members against the botocore
model (lengths, patterns, enums); the use cases (stacks.py) do the rest. Operations of the
model that are not listed answer InvalidAction (the front door's OperationNotSupported).

Paging: ``NextToken`` is the offset of the next item in the listing as it is when asked (the
listings are ordered: newest events first, stacks by creation)."""

from __future__ import annotations

import json
from typing import Any

from ovis.errors import ValidationError
from ovis.models.stack import ChangeSet, Stack, StackEvent, StackResource
from ovis.services.cloudformation.commands import (
    CreateChangeSet,
    CreateStack,
    StackChange,
    TemplateSource,
)
from ovis.services.cloudformation.stacks import StackService, required_capabilities
from ovis.services.cloudformation.template import declared_parameters, parse_template, transforms
from ovis.services.context import Handler, RequestContext

PAGE = 100


def _page(items: list[Any], token: str | None, size: int = PAGE) -> tuple[list[Any], str | None]:
    start = 0
    if token:
        try:
            start = int(token)
        except ValueError:
            raise ValidationError(f"Invalid NextToken: {token}") from None
        if start < 0:
            raise ValidationError(f"Invalid NextToken: {token}")
    end = start + size
    return items[start:end], (str(end) if end < len(items) else None)


def _with_token(out: dict[str, Any], token: str | None) -> dict[str, Any]:
    if token is not None:
        out["NextToken"] = token
    return out


def _tags(params: dict[str, Any]) -> tuple[tuple[str, str], ...] | None:
    tags = params.get("Tags")
    if tags is None:
        return None
    return tuple((str(t["Key"]), str(t["Value"])) for t in tags)


def _change(params: dict[str, Any]) -> StackChange:
    parameters: list[tuple[str, str | None]] = []
    for p in params.get("Parameters") or []:
        key = p.get("ParameterKey")
        if not key:
            raise ValidationError("ParameterKey must be specified for each parameter.")
        if p.get("UsePreviousValue"):
            if "ParameterValue" in p:
                raise ValidationError(
                    f"Invalid input for parameter key {key}. Cannot specify usePreviousValue as "
                    "true and non empty value for a parameter"
                )
            parameters.append((key, None))
        else:
            parameters.append((key, str(p.get("ParameterValue", ""))))
    notes = params.get("NotificationARNs")
    return StackChange(
        params["StackName"],
        TemplateSource(
            params.get("TemplateBody"),
            params.get("TemplateURL"),
            bool(params.get("UsePreviousTemplate")),
        ),
        tuple(parameters),
        tuple(params.get("Capabilities") or ()),
        _tags(params),
        tuple(notes) if notes is not None else None,
        params.get("RoleARN"),
        params.get("ClientRequestToken") or params.get("ClientToken"),
    )


def _parameters(values: dict[str, str], no_echo: tuple[str, ...]) -> list[dict[str, Any]]:
    return [
        {"ParameterKey": k, "ParameterValue": "****" if k in no_echo else v}
        for k, v in values.items()
    ]


def _tags_api(tags: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags]


def stack_to_api(s: Stack) -> dict[str, Any]:
    out: dict[str, Any] = {
        "StackId": s.stack_id,
        "StackName": s.name,
        "CreationTime": s.created_s,
        "StackStatus": s.status,
        "DisableRollback": s.disable_rollback,
        "NotificationARNs": list(s.notification_arns),
        "Tags": _tags_api(s.tags),
        "EnableTerminationProtection": s.termination_protection,
        "RollbackConfiguration": {},
        "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
    }
    if s.parameters:
        out["Parameters"] = _parameters(s.parameters, s.no_echo)
    if s.capabilities:
        out["Capabilities"] = list(s.capabilities)
    if s.outputs:
        out["Outputs"] = [
            {
                "OutputKey": o.key,
                "OutputValue": o.value,
                **({"Description": o.description} if o.description else {}),
                **({"ExportName": o.export_name} if o.export_name else {}),
            }
            for o in s.outputs
        ]
    if s.status_reason:
        out["StackStatusReason"] = s.status_reason
    if s.description:
        out["Description"] = s.description
    if s.updated_s is not None:
        out["LastUpdatedTime"] = s.updated_s
    if s.deleted_s is not None:
        out["DeletionTime"] = s.deleted_s
    if s.change_set_id:
        out["ChangeSetId"] = s.change_set_id
    if s.role_arn:
        out["RoleARN"] = s.role_arn
    if s.timeout_minutes is not None:
        out["TimeoutInMinutes"] = s.timeout_minutes
    return out


def event_to_api(e: StackEvent) -> dict[str, Any]:
    out: dict[str, Any] = {
        "StackId": e.stack_id,
        "EventId": e.event_id,
        "StackName": e.stack_name,
        "LogicalResourceId": e.logical_id,
        "PhysicalResourceId": e.physical_id,
        "ResourceType": e.resource_type,
        "Timestamp": e.timestamp,
        "ResourceStatus": e.status,
    }
    if e.reason:
        out["ResourceStatusReason"] = e.reason
    if e.properties is not None:
        out["ResourceProperties"] = e.properties
    if e.client_request_token:
        out["ClientRequestToken"] = e.client_request_token
    return out


def _resource_common(r: StackResource) -> dict[str, Any]:
    out: dict[str, Any] = {
        "LogicalResourceId": r.logical_id,
        "ResourceType": r.type,
        "ResourceStatus": r.status,
        "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"},
    }
    if r.physical_id:
        out["PhysicalResourceId"] = r.physical_id
    if r.status_reason:
        out["ResourceStatusReason"] = r.status_reason
    return out


def change_set_summary(c: ChangeSet) -> dict[str, Any]:
    out: dict[str, Any] = {
        "StackId": c.stack_id,
        "StackName": c.stack_name,
        "ChangeSetId": c.change_set_id,
        "ChangeSetName": c.name,
        "ExecutionStatus": c.execution_status,
        "Status": c.status,
        "CreationTime": c.created_s,
        "IncludeNestedStacks": False,
    }
    if c.status_reason:
        out["StatusReason"] = c.status_reason
    if c.description:
        out["Description"] = c.description
    return out


class CloudFormationApi:
    def __init__(self, stacks: StackService) -> None:
        self.stacks = stacks
        self.handlers: dict[str, Handler] = {
            "CreateStack": self.create_stack,
            "UpdateStack": self.update_stack,
            "DeleteStack": self.delete_stack,
            "DescribeStacks": self.describe_stacks,
            "DescribeStackEvents": self.describe_stack_events,
            "DescribeStackResource": self.describe_stack_resource,
            "DescribeStackResources": self.describe_stack_resources,
            "ListStackResources": self.list_stack_resources,
            "ListStacks": self.list_stacks,
            "GetTemplate": self.get_template,
            "GetTemplateSummary": self.get_template_summary,
            "ValidateTemplate": self.validate_template,
            "ListExports": self.list_exports,
            "ListImports": self.list_imports,
            "UpdateTerminationProtection": self.update_termination_protection,
            "ContinueUpdateRollback": self.continue_update_rollback,
            "CreateChangeSet": self.create_change_set,
            "DescribeChangeSet": self.describe_change_set,
            "ExecuteChangeSet": self.execute_change_set,
            "DeleteChangeSet": self.delete_change_set,
            "ListChangeSets": self.list_change_sets,
        }

    # ---- stacks

    async def create_stack(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        sid = await self.stacks.create_stack(
            CreateStack(
                _change(params),
                bool(params.get("DisableRollback", False)),
                params.get("OnFailure"),
                params.get("TimeoutInMinutes"),
                bool(params.get("EnableTerminationProtection", False)),
            )
        )
        return {"StackId": sid}

    async def update_stack(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"StackId": await self.stacks.update_stack(_change(params))}

    async def delete_stack(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        await self.stacks.delete_stack(
            params["StackName"],
            params.get("ClientRequestToken"),
            tuple(params.get("RetainResources") or ()),
        )
        await self._settle(self.stacks.book.find(params["StackName"]))
        return {}

    async def _settle(self, stack: Stack | None) -> None:
        """Answer once the stack's operation rests, within the server's settle time."""
        if stack is not None:
            sid = stack.stack_id
            await self.stacks.ops.settle(lambda: sid not in self.stacks.ops.running)

    async def describe_stacks(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params.get("StackName")
        items = [self.stacks.stack(name)] if name else self.stacks.book.live()
        page, token = _page(items, params.get("NextToken"))
        return _with_token({"Stacks": [stack_to_api(s) for s in page]}, token)

    async def describe_stack_events(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        stack = self.stacks.stack(params["StackName"])
        events = await self.stacks.events(stack.stack_id)
        page, token = _page(events, params.get("NextToken"))
        return _with_token({"StackEvents": [event_to_api(e) for e in page]}, token)

    def _resources(self, stack: Stack) -> list[StackResource]:
        return list(self.stacks.book.resources_of(stack.stack_id).values())

    async def describe_stack_resource(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        stack = self.stacks.stack(params["StackName"])
        lid = params["LogicalResourceId"]
        r = self.stacks.book.resources_of(stack.stack_id).get(lid)
        if r is None:
            raise ValidationError(f"Resource {lid} does not exist for stack {stack.name}")
        out = {
            "StackName": stack.name,
            "StackId": stack.stack_id,
            "LastUpdatedTimestamp": r.updated_s,
            **_resource_common(r),
        }
        if r.metadata is not None:
            out["Metadata"] = json.dumps(r.metadata)
        return {"StackResourceDetail": out}

    async def describe_stack_resources(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        name, physical = params.get("StackName"), params.get("PhysicalResourceId")
        if name and physical:
            raise ValidationError("Specify either StackName or PhysicalResourceId, not both.")
        if name:
            stack = self.stacks.stack(name)
        elif physical:
            found = next(
                (
                    s
                    for s in self.stacks.book.live()
                    for r in self._resources(s)
                    if r.physical_id == physical
                ),
                None,
            )
            if found is None:
                raise ValidationError(f"Stack for {physical} does not exist")
            stack = found
        else:
            raise ValidationError("Either StackName or PhysicalResourceId must be specified.")
        lid = params.get("LogicalResourceId")
        rows = [
            {
                "StackName": stack.name,
                "StackId": stack.stack_id,
                "Timestamp": r.updated_s,
                **_resource_common(r),
            }
            for r in self._resources(stack)
            if lid is None or r.logical_id == lid
        ]
        return {"StackResources": rows}

    async def list_stack_resources(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        stack = self.stacks.stack(params["StackName"])
        page, token = _page(self._resources(stack), params.get("NextToken"))
        rows = [{"LastUpdatedTimestamp": r.updated_s, **_resource_common(r)} for r in page]
        return _with_token({"StackResourceSummaries": rows}, token)

    async def list_stacks(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        items = self.stacks.list_stacks(set(params.get("StackStatusFilter") or ()))
        page, token = _page(items, params.get("NextToken"))
        rows = []
        for s in page:
            row: dict[str, Any] = {
                "StackId": s.stack_id,
                "StackName": s.name,
                "CreationTime": s.created_s,
                "StackStatus": s.status,
                "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
            }
            if s.description:
                row["TemplateDescription"] = s.description
            if s.updated_s is not None:
                row["LastUpdatedTime"] = s.updated_s
            if s.deleted_s is not None:
                row["DeletionTime"] = s.deleted_s
            if s.status_reason:
                row["StackStatusReason"] = s.status_reason
            rows.append(row)
        return _with_token({"StackSummaries": rows}, token)

    async def update_termination_protection(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        sid = await self.stacks.set_termination_protection(
            params["StackName"], bool(params["EnableTerminationProtection"])
        )
        return {"StackId": sid}

    async def continue_update_rollback(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        await self.stacks.continue_update_rollback(
            params["StackName"], tuple(params.get("ResourcesToSkip") or ())
        )
        return {}

    # ---- templates

    async def get_template(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stage = params.get("TemplateStage") or "Original"
        cs_name = params.get("ChangeSetName")
        if cs_name:
            cs = self.stacks.change_set(cs_name, params.get("StackName"))
            body, processed = cs.template_body, cs.template
        else:
            name = params.get("StackName")
            if not name:
                raise ValidationError("StackName must be specified.")
            stack = self.stacks.stack(name)
            body, processed = stack.template_body, stack.template
        text = body if stage == "Original" else json.dumps(processed)
        return {"TemplateBody": text, "StagesAvailable": ["Original", "Processed"]}

    async def _template(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params.get("StackName")
        if name and (params.get("TemplateBody") or params.get("TemplateURL")):
            raise ValidationError(
                "Specify exactly one of TemplateBody, TemplateURL, StackName or StackSetName."
            )
        if name:
            stack = self.stacks.live_stack(name)
            return parse_template(stack.template_body)
        body = await self.stacks.template_body(
            TemplateSource(params.get("TemplateBody"), params.get("TemplateURL"))
        )
        return parse_template(body)

    @staticmethod
    def _capabilities(doc: dict[str, Any], out: dict[str, Any]) -> None:
        caps, types = required_capabilities(doc)
        if transforms(doc):
            caps = sorted({*caps, "CAPABILITY_AUTO_EXPAND"})
        if caps:
            out["Capabilities"] = caps
            reason = "The following resource(s) require capabilities: "
            out["CapabilitiesReason"] = reason + f"[{', '.join(types or transforms(doc))}]"
        if transforms(doc):
            out["DeclaredTransforms"] = transforms(doc)

    async def get_template_summary(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        doc = await self._template(params)
        out: dict[str, Any] = {
            "Parameters": [
                {
                    "ParameterKey": p.name,
                    "ParameterType": p.type,
                    "NoEcho": p.no_echo,
                    "ParameterConstraints": (
                        {"AllowedValues": list(p.allowed_values)} if p.allowed_values else {}
                    ),
                    **({"DefaultValue": p.default} if p.default is not None else {}),
                    **({"Description": p.description} if p.description else {}),
                }
                for p in declared_parameters(doc)
            ],
            "ResourceTypes": sorted(
                {
                    str(r.get("Type"))
                    for r in (doc.get("Resources") or {}).values()
                    if isinstance(r, dict) and r.get("Type")
                }
            ),
            "Version": str(doc.get("AWSTemplateFormatVersion", "2010-09-09")),
        }
        if isinstance(doc.get("Description"), str):
            out["Description"] = doc["Description"]
        if doc.get("Metadata") is not None:
            out["Metadata"] = json.dumps(doc["Metadata"])
        self._capabilities(doc, out)
        return out

    async def validate_template(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        doc = await self._template(params)
        if not transforms(doc):
            self.stacks.check_types(doc)
        out: dict[str, Any] = {
            "Parameters": [
                {
                    "ParameterKey": p.name,
                    "NoEcho": p.no_echo,
                    **({"DefaultValue": p.default} if p.default is not None else {}),
                    **({"Description": p.description} if p.description else {}),
                }
                for p in declared_parameters(doc)
            ],
        }
        if isinstance(doc.get("Description"), str):
            out["Description"] = doc["Description"]
        self._capabilities(doc, out)
        return out

    # ---- exports

    async def list_exports(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        rows = [
            {"ExportingStackId": sid, "Name": n, "Value": v}
            for n, v, sid in self.stacks.exports.all()
        ]
        page, token = _page(rows, params.get("NextToken"))
        return _with_token({"Exports": page}, token)

    async def list_imports(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["ExportName"]
        if self.stacks.exports.owner(name) is None:
            raise ValidationError(f"Export '{name}' is not imported by any stack.")
        users = self.stacks.exports.importers(name)
        if not users:
            raise ValidationError(f"Export '{name}' is not imported by any stack.")
        page, token = _page(users, params.get("NextToken"))
        return _with_token({"Imports": page}, token)

    # ---- change sets

    async def create_change_set(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        cs_id, stack_id = await self.stacks.create_change_set(
            CreateChangeSet(
                _change(params),
                params["ChangeSetName"],
                params.get("ChangeSetType") or "UPDATE",
                params.get("Description"),
                params.get("OnStackFailure"),
            )
        )

        def computed() -> bool:
            cs = self.stacks.book.change_sets.get(cs_id)
            return cs is None or cs.status not in ("CREATE_PENDING", "CREATE_IN_PROGRESS")

        await self.stacks.ops.settle(computed)
        return {"Id": cs_id, "StackId": stack_id}

    async def describe_change_set(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        c = self.stacks.change_set(params["ChangeSetName"], params.get("StackName"))
        page, token = _page(list(c.changes), params.get("NextToken"))
        out = change_set_summary(c)
        out.pop("IncludeNestedStacks")
        out.update(
            {
                "Parameters": _parameters(c.parameters, c.no_echo),
                "NotificationARNs": list(c.notification_arns),
                "RollbackConfiguration": {},
                "Capabilities": list(c.capabilities),
                "Tags": _tags_api(c.tags),
                "Changes": page,
                "IncludeNestedStacks": False,
            }
        )
        if not c.parameters:
            out.pop("Parameters")
        if c.on_stack_failure:
            out["OnStackFailure"] = c.on_stack_failure
        return _with_token(out, token)

    async def execute_change_set(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        cs = self.stacks.change_set(params["ChangeSetName"], params.get("StackName"))
        await self.stacks.execute_change_set(
            params["ChangeSetName"],
            params.get("StackName"),
            params.get("ClientRequestToken"),
            params.get("DisableRollback"),
        )
        await self._settle(self.stacks.book.stacks.get(cs.stack_id))
        return {}

    async def delete_change_set(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        await self.stacks.delete_change_set(params["ChangeSetName"], params.get("StackName"))
        return {}

    async def list_change_sets(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        items = self.stacks.change_sets_of(params["StackName"])
        page, token = _page(items, params.get("NextToken"))
        return _with_token({"Summaries": [change_set_summary(c) for c in page]}, token)
