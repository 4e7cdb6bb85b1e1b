"""AWS::S3::Bucket and AWS::S3::BucketPolicy over the S3 operations.

Bucket: Ref is the bucket name (generated ones are lowercase, 63 chars at most); GetAtt Arn,
DomainName, RegionalDomainName, DualStackDomainName, WebsiteURL. Create is CreateBucket, then
PutBucketTagging, PutBucketVersioning and PutBucketNotificationConfiguration as asked; when a
later call fails the bucket is deleted again. A bucket that already exists fails the resource.
Update re-puts what changed (tags, versioning, the whole notification configuration). Delete
of a non-empty bucket fails with S3's own error ("The bucket you tried to delete is not
empty"), as on AWS; a missing bucket is success.

What is honoured beyond the S3 calls, and why:
- PublicAccessBlockConfiguration is accepted: every request to this server's S3 must be SigV4
  signed (there is no anonymous access), so every bucket is already closed to the public.
- BucketEncryption is accepted and means what AWS's default does for reads
  (GetBucketEncryption answers the default SSE configuration): objects are kept in the
  server's private data directory; there is no KMS here, so a KMS key is not used.
Configurations the S3 service does not serve (CORS, lifecycle, website, logging, replication,
object lock, ...) fail the resource naming the property.

BucketPolicy: PutBucketPolicy of ``PolicyDocument`` on ``Bucket``; delete removes it (gone
bucket = success).
"""

from __future__ import annotations

from typing import Any, ClassVar

from ovis.errors import ApiError
from ovis.services.calls import Caller, ServiceCalls
from ovis.services.cloudformation.resources.base import (
    ResourceFailed,
    ResourceRequest,
    ResourceResult,
)
from ovis.services.cloudformation.resources.coerce import as_bool, as_list, as_str
from ovis.services.cloudformation.resources.service_props import (
    as_object,
    check_properties,
    error_code,
    json_text,
    tag_list,
)

MAX_NAME = 63
PROPERTIES = (
    "BucketName",
    "Tags",
    "VersioningConfiguration",
    "NotificationConfiguration",
    "PublicAccessBlockConfiguration",
    "BucketEncryption",
)
NOT_SERVED = "the S3 service here does not serve this configuration"
UNSUPPORTED = {
    name: NOT_SERVED
    for name in (
        "AbacStatus",
        "AccelerateConfiguration",
        "AccessControl",
        "AnalyticsConfigurations",
        "CorsConfiguration",
        "IntelligentTieringConfigurations",
        "InventoryConfigurations",
        "LifecycleConfiguration",
        "LoggingConfiguration",
        "MetadataConfiguration",
        "MetadataTableConfiguration",
        "MetricsConfigurations",
        "ObjectLockConfiguration",
        "ObjectLockEnabled",
        "OwnershipControls",
        "ReplicationConfiguration",
        "WebsiteConfiguration",
    )
}
PUBLIC_ACCESS_KEYS = (
    "BlockPublicAcls",
    "BlockPublicPolicy",
    "IgnorePublicAcls",
    "RestrictPublicBuckets",
)
SSE_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")


def check_public_access(value: Any) -> None:
    block = as_object(value, "PublicAccessBlockConfiguration")
    for key, flag in block.items():
        if key not in PUBLIC_ACCESS_KEYS:
            raise ResourceFailed(
                f"Encountered unsupported property PublicAccessBlockConfiguration.{key}"
            )
        as_bool(flag, f"PublicAccessBlockConfiguration.{key}")


def check_encryption(value: Any) -> None:
    enc = as_object(value, "BucketEncryption")
    rules = as_list(
        enc.get("ServerSideEncryptionConfiguration"), "ServerSideEncryptionConfiguration"
    )
    for rule in rules:
        default = as_object(rule, "ServerSideEncryptionRule").get("ServerSideEncryptionByDefault")
        if default is None:
            continue
        algorithm = as_object(default, "ServerSideEncryptionByDefault").get("SSEAlgorithm")
        if algorithm not in SSE_ALGORITHMS:
            raise ResourceFailed(
                f"Value of property SSEAlgorithm must be one of {list(SSE_ALGORITHMS)}"
            )


def _filter(item: dict[str, Any], where: str) -> dict[str, Any] | None:
    flt = item.get("Filter")
    if flt is None:
        return None
    key = as_object(as_object(flt, f"{where}.Filter").get("S3Key") or {}, f"{where}.Filter.S3Key")
    rules = [
        {"Name": as_str(r.get("Name"), "Name"), "Value": as_str(r.get("Value"), "Value")}
        for r in (as_object(r, "Rules") for r in as_list(key.get("Rules") or [], "Rules"))
    ]
    return {"Key": {"FilterRules": rules}}


def notification_configuration(value: Any) -> dict[str, Any]:
    """CloudFormation's NotificationConfiguration as PutBucketNotificationConfiguration's."""
    cfg = as_object(value or {}, "NotificationConfiguration")
    kinds = {
        "LambdaConfigurations": ("LambdaFunctionConfigurations", "Function", "LambdaFunctionArn"),
        "QueueConfigurations": ("QueueConfigurations", "Queue", "QueueArn"),
        "TopicConfigurations": ("TopicConfigurations", "Topic", "TopicArn"),
    }
    out: dict[str, Any] = {}
    for key in cfg:
        if key not in kinds and key != "EventBridgeConfiguration":
            raise ResourceFailed(
                f"Encountered unsupported property NotificationConfiguration.{key}"
            )
    for key, (api_key, target_key, api_target) in kinds.items():
        items = []
        for raw in as_list(cfg.get(key) or [], key):
            item = as_object(raw, key)
            for k in item:
                if k not in ("Event", "Filter", target_key):
                    raise ResourceFailed(f"Encountered unsupported property {key}.{k}")
            if not item.get("Event") or not item.get(target_key):
                raise ResourceFailed(
                    f"Property validation failure: [{key} items need Event and {target_key}]"
                )
            entry: dict[str, Any] = {
                api_target: as_str(item[target_key], target_key),
                "Events": [as_str(item["Event"], "Event")],
            }
            flt = _filter(item, key)
            if flt is not None:
                entry["Filter"] = flt
            items.append(entry)
        if items:
            out[api_key] = items
    if "EventBridgeConfiguration" in cfg:
        eb = as_object(cfg["EventBridgeConfiguration"], "EventBridgeConfiguration")
        if as_bool(eb.get("EventBridgeEnabled", True), "EventBridgeEnabled"):
            out["EventBridgeConfiguration"] = {}
    return out


class BucketProvider:
    type_name: ClassVar[str] = "AWS::S3::Bucket"
    create_only: ClassVar[frozenset[str]] = frozenset({"BucketName"})
    attributes: ClassVar[frozenset[str]] = frozenset(
        {"Arn", "DomainName", "RegionalDomainName", "DualStackDomainName", "WebsiteURL"}
    )

    def __init__(self, calls: ServiceCalls) -> None:
        self.calls = calls

    @staticmethod
    def _check(props: dict[str, Any]) -> None:
        check_properties(props, PROPERTIES, UNSUPPORTED)
        if props.get("PublicAccessBlockConfiguration") is not None:
            check_public_access(props["PublicAccessBlockConfiguration"])
        if props.get("BucketEncryption") is not None:
            check_encryption(props["BucketEncryption"])

    def _name(self, req: ResourceRequest) -> str:
        if req.physical_id:
            return req.physical_id
        if req.properties.get("BucketName"):
            return as_str(req.properties["BucketName"], "BucketName")
        return req.physical_name(None, MAX_NAME, lowercase=True)

    @staticmethod
    def _result(req: ResourceRequest, name: str) -> ResourceResult:
        region = req.stack.caller.region
        return ResourceResult(
            name,
            {
                "Arn": f"arn:aws:s3:::{name}",
                "DomainName": f"{name}.s3.amazonaws.com",
                "RegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
                "DualStackDomainName": f"{name}.s3.dualstack.{region}.amazonaws.com",
                "WebsiteURL": f"http://{name}.s3-website-{region}.amazonaws.com",
            },
        )

    async def _tags(self, caller: Caller, name: str, value: Any) -> None:
        tags = tag_list(value or [])
        if tags:
            await self.calls(
                "s3", "PutBucketTagging", {"Bucket": name, "Tagging": {"TagSet": tags}}, caller
            )
        else:
            await self.calls("s3", "DeleteBucketTagging", {"Bucket": name}, caller)

    async def _versioning(self, caller: Caller, name: str, value: Any) -> None:
        status = as_str(
            as_object(value, "VersioningConfiguration").get("Status", ""),
            "VersioningConfiguration.Status",
        )
        await self.calls(
            "s3",
            "PutBucketVersioning",
            {"Bucket": name, "VersioningConfiguration": {"Status": status}},
            caller,
        )

    async def _notifications(self, caller: Caller, name: str, config: dict[str, Any]) -> None:
        await self.calls(
            "s3",
            "PutBucketNotificationConfiguration",
            {"Bucket": name, "NotificationConfiguration": config},
            caller,
        )

    async def create(self, req: ResourceRequest) -> ResourceResult:
        p = req.properties
        self._check(p)
        notifications = notification_configuration(p.get("NotificationConfiguration"))
        name = self._name(req)
        caller = req.stack.caller
        params: dict[str, Any] = {"Bucket": name}
        if caller.region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": caller.region}
        try:
            await self.calls("s3", "CreateBucket", params, caller)
        except ApiError as e:
            if error_code(e) in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise ResourceFailed(f"{name} already exists") from e
            raise
        try:
            if p.get("Tags"):
                await self._tags(caller, name, p["Tags"])
            if p.get("VersioningConfiguration") is not None:
                await self._versioning(caller, name, p["VersioningConfiguration"])
            if notifications:
                await self._notifications(caller, name, notifications)
        except BaseException:
            await self._delete(caller, name)
            raise
        return self._result(req, name)

    async def update(self, req: ResourceRequest) -> ResourceResult:
        p, prev = req.properties, req.previous_properties or {}
        self._check(p)
        notifications = notification_configuration(p.get("NotificationConfiguration"))
        name = self._name(req)
        caller = req.stack.caller
        if prev.get("Tags") != p.get("Tags"):
            await self._tags(caller, name, p.get("Tags"))
        if prev.get("VersioningConfiguration") != p.get("VersioningConfiguration"):
            # a versioned bucket never goes back to unversioned: removing the property
            # suspends versioning, as CloudFormation does
            await self._versioning(
                caller, name, p.get("VersioningConfiguration") or {"Status": "Suspended"}
            )
        if notification_configuration(prev.get("NotificationConfiguration")) != notifications:
            await self._notifications(caller, name, notifications)
        return self._result(req, name)

    async def _delete(self, caller: Caller, name: str) -> None:
        try:
            await self.calls("s3", "DeleteBucket", {"Bucket": name}, caller)
        except ApiError as e:
            if error_code(e) != "NoSuchBucket":
                raise

    async def delete(self, req: ResourceRequest) -> None:
        await self._delete(req.stack.caller, self._name(req))


class BucketPolicyProvider:
    type_name: ClassVar[str] = "AWS::S3::BucketPolicy"
    create_only: ClassVar[frozenset[str]] = frozenset({"Bucket"})
    attributes: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, calls: ServiceCalls) -> None:
        self.calls = calls

    async def _put(self, req: ResourceRequest) -> ResourceResult:
        check_properties(
            req.properties, ("Bucket", "PolicyDocument"), required=("Bucket", "PolicyDocument")
        )
        bucket = as_str(req.properties["Bucket"], "Bucket")
        await self.calls(
            "s3",
            "PutBucketPolicy",
            {
                "Bucket": bucket,
                "Policy": json_text(req.properties["PolicyDocument"], "PolicyDocument"),
            },
            req.stack.caller,
        )
        return ResourceResult(req.physical_id or req.physical_name(None, 128))

    async def create(self, req: ResourceRequest) -> ResourceResult:
        return await self._put(req)

    async def update(self, req: ResourceRequest) -> ResourceResult:
        return await self._put(req)

    async def delete(self, req: ResourceRequest) -> None:
        bucket = req.properties.get("Bucket")
        if not bucket:
            return
        try:
            await self.calls(
                "s3", "DeleteBucketPolicy", {"Bucket": as_str(bucket, "Bucket")}, req.stack.caller
            )
        except ApiError as e:
            if error_code(e) not in ("NoSuchBucket", "NoSuchBucketPolicy"):
                raise
