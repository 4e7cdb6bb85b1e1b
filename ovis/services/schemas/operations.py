"""The EventBridge Schemas operation table (the subset the console's shareable test events
need): handlers taking (ctx, validated input) and answering the output members. The rest-json
codec checks shapes, lengths and enums from the botocore model before a handler runs."""

from __future__ import annotations

from typing import Any

from ovis.models.schema_registry import Registry, Schema
from ovis.services.context import Handler, RequestContext
from ovis.services.schemas.commands import CreateSchema, Page, UpdateSchema
from ovis.services.schemas.registries import RegistryService
from ovis.services.schemas.schemas import SchemaService


def _registry(r: Registry) -> dict[str, Any]:
    out: dict[str, Any] = {"RegistryArn": r.arn, "RegistryName": r.name, "Tags": r.tags}
    if r.description is not None:
        out["Description"] = r.description
    return out


def _schema(s: Schema, content: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "SchemaArn": s.arn,
        "SchemaName": s.name,
        "SchemaVersion": str(s.version),
        "Type": s.type,
        "Tags": s.tags,
        "LastModified": s.modified_ms / 1000,
        "VersionCreatedDate": s.version_created_ms / 1000,
    }
    if s.description is not None:
        out["Description"] = s.description
    if content:
        out["Content"] = s.content
    return out


def _page(p: dict[str, Any]) -> Page:
    return Page(limit=p.get("Limit"), next_token=p.get("NextToken"))


def _paged(key: str, items: list[dict[str, Any]], token: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {key: items}
    if token:
        out["NextToken"] = token
    return out


class SchemasApi:
    def __init__(self, registries: RegistryService, schemas: SchemaService) -> None:
        self.registries = registries
        self.schemas = schemas
        self.handlers: dict[str, Handler] = {
            "CreateRegistry": self.create_registry,
            "DescribeRegistry": self.describe_registry,
            "ListRegistries": self.list_registries,
            "DeleteRegistry": self.delete_registry,
            "CreateSchema": self.create_schema,
            "UpdateSchema": self.update_schema,
            "DescribeSchema": self.describe_schema,
            "ListSchemas": self.list_schemas,
            "DeleteSchema": self.delete_schema,
            "ListSchemaVersions": self.list_schema_versions,
        }

    # ---- registries

    async def create_registry(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        r = await self.registries.create(
            p["RegistryName"], p.get("Description"), p.get("Tags") or {}
        )
        return _registry(r)

    async def describe_registry(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        return _registry(await self.registries.get(p["RegistryName"]))

    async def list_registries(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        found, token = await self.registries.find(
            p.get("RegistryNamePrefix"), p.get("Scope"), _page(p)
        )
        return _paged("Registries", [_registry(r) for r in found], token)

    async def delete_registry(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.registries.delete(p["RegistryName"])
        return {}

    # ---- schemas

    async def create_schema(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        cmd = CreateSchema(
            registry=p["RegistryName"],
            name=p["SchemaName"],
            type=p["Type"],
            content=p["Content"],
            description=p.get("Description"),
            tags=p.get("Tags") or {},
        )
        return _schema(await self.schemas.create(cmd))

    async def update_schema(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        cmd = UpdateSchema(
            registry=p["RegistryName"],
            name=p["SchemaName"],
            type=p.get("Type"),
            content=p.get("Content"),
            description=p.get("Description"),
        )
        return _schema(await self.schemas.update(cmd))

    async def describe_schema(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        registry, name = p["RegistryName"], p["SchemaName"]
        schema = await self.schemas.get(registry, name)
        out = _schema(schema, content=True)
        asked = p.get("SchemaVersion")
        if asked is not None and asked != str(schema.version):
            v = await self.schemas.get_version(registry, name, asked)
            out.update(
                SchemaVersion=str(v.version),
                Type=v.type,
                Content=v.content,
                VersionCreatedDate=v.created_ms / 1000,
            )
        return out

    async def list_schemas(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        found, token = await self.schemas.find(
            p["RegistryName"], p.get("SchemaNamePrefix"), _page(p)
        )
        items = [
            {
                "SchemaArn": s.arn,
                "SchemaName": s.name,
                "Tags": s.tags,
                "LastModified": s.modified_ms / 1000,
                "VersionCount": s.version_count,
            }
            for s in found
        ]
        return _paged("Schemas", items, token)

    async def delete_schema(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        await self.schemas.delete(p["RegistryName"], p["SchemaName"])
        return {}

    async def list_schema_versions(self, ctx: RequestContext, p: dict[str, Any]) -> dict[str, Any]:
        registry, name = p["RegistryName"], p["SchemaName"]
        found, token = await self.schemas.versions(registry, name, _page(p))
        arn = (await self.schemas.get(registry, name)).arn
        items = [
            {"SchemaArn": arn, "SchemaName": name, "SchemaVersion": str(v.version), "Type": v.type}
            for v in found
        ]
        return _paged("SchemaVersions", items, token)
