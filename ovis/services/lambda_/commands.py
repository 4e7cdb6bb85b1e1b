"""Lambda's typed commands: what a use case is asked to do, built at the edge from the
validated request (wire names and shapes stop at the handlers).

Conventions: immutable values; ``None`` means "not given" (updates leave that setting alone);
members the server stores without interpreting them (VpcConfig, KMSKeyArn, ...) travel in
``passthrough`` as the client sent them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class CodeSource:
    """Where a deployment package comes from (FunctionCode / UpdateFunctionCode members)."""

    zip_file: bytes | None = None
    image_uri: str | None = None
    s3_bucket: str | None = None
    s3_key: str | None = None
    s3_object_version: str | None = None


@dataclass(frozen=True, slots=True)
class CreateFunction:
    function_name: str
    role: str
    code: CodeSource
    runtime: str | None = None
    handler: str | None = None
    package_type: str = "Zip"
    description: str = ""
    timeout: int = 3
    memory_size: int = 128
    environment: Mapping[str, Any] | None = None  # {"Variables": {...}}, checked by the use case
    architectures: tuple[str, ...] = ("x86_64",)
    ephemeral_storage_mb: int = 512
    tracing_mode: str = "PassThrough"
    dead_letter_target: str | None = None
    logging_config: Mapping[str, Any] = field(default_factory=dict)
    layers: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    passthrough: Mapping[str, Any] = field(default_factory=dict)
    publish: bool = False


@dataclass(frozen=True, slots=True)
class UpdateFunctionConfiguration:
    """Every setting is None when not given; ``dead_letter_target`` "" clears the target."""

    function_name: str
    revision_id: str | None = None
    role: str | None = None
    runtime: str | None = None
    handler: str | None = None
    description: str | None = None
    timeout: int | None = None
    memory_size: int | None = None
    environment: Mapping[str, Any] | None = None
    ephemeral_storage_mb: int | None = None
    tracing_mode: str | None = None
    dead_letter_target: str | None = None
    logging_config: Mapping[str, Any] | None = None
    layers: tuple[str, ...] | None = None
    image_config: Mapping[str, Any] | None = None
    passthrough: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class UpdateFunctionCode:
    function_name: str
    code: CodeSource
    revision_id: str | None = None
    dry_run: bool = False
    publish: bool = False


@dataclass(frozen=True, slots=True)
class PublishVersion:
    function_name: str
    code_sha256: str | None = None
    description: str | None = None
    revision_id: str | None = None


@dataclass(frozen=True, slots=True)
class Invoke:
    """One Invoke / InvokeWithResponseStream call (``function_name`` as the caller wrote it)."""

    function_name: str
    qualifier: str | None
    invocation_type: str  # RequestResponse | Event | DryRun
    payload: bytes
    tail: bool  # LogType Tail: return the last 4 KB of the log
    client_context: str | None  # base64 JSON as sent (checked by the use case)
    request_id: str
    trace_header: str | None  # the caller's X-Amzn-Trace-Id (its Lineage counts recursion)

    @staticmethod
    def of(p: Mapping[str, Any], request_id: str, trace_header: str | None) -> Invoke:
        """The command from Invoke's (or InvokeWithResponseStream's) validated input members."""
        return Invoke(
            p["FunctionName"],
            p.get("Qualifier"),
            p.get("InvocationType", "RequestResponse"),
            p.get("Payload") or b"",
            p.get("LogType") == "Tail",
            p.get("ClientContext"),
            request_id,
            trace_header,
        )


@dataclass(frozen=True, slots=True)
class InvokeAsync:
    function_name: str
    payload: bytes
    request_id: str
    trace_header: str | None


@dataclass(frozen=True, slots=True)
class CreateAlias:
    function_name: str
    name: str
    function_version: str
    description: str = ""
    weights: Mapping[str, float] = field(default_factory=dict)  # version -> traffic share


@dataclass(frozen=True, slots=True)
class UpdateAlias:
    """Settings left None stay as they are."""

    function_name: str
    name: str
    function_version: str | None = None
    description: str | None = None
    weights: Mapping[str, float] | None = None
    revision_id: str | None = None


@dataclass(frozen=True, slots=True)
class CreateFunctionUrlConfig:
    function_name: str
    qualifier: str | None
    auth_type: str
    invoke_mode: str = "BUFFERED"
    cors: Mapping[str, Any] | None = None  # the Cors structure as sent


@dataclass(frozen=True, slots=True)
class UpdateFunctionUrlConfig:
    """Settings left None stay as they are."""

    function_name: str
    qualifier: str | None
    auth_type: str | None = None
    invoke_mode: str | None = None
    cors: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class AddPermission:
    """One statement for a function's resource policy (conditions None when not given)."""

    function_name: str
    qualifier: str | None
    statement_id: str
    action: str
    principal: str
    source_arn: str | None = None
    source_account: str | None = None
    principal_org_id: str | None = None
    event_source_token: str | None = None
    function_url_auth_type: str | None = None
    invoked_via_function_url: bool = False
    revision_id: str | None = None


@dataclass(frozen=True, slots=True)
class Destination:
    """A DestinationConfig member: given (with its ARN, None clears it) or not."""

    destination: str | None


@dataclass(frozen=True, slots=True)
class PutEventInvokeConfig:
    """Put (``merge`` False: replaces) or Update (``merge`` True: changes what is given)."""

    function_name: str
    qualifier: str | None
    merge: bool
    max_retries: int | None = None
    max_age_s: int | None = None
    destinations_given: bool = False  # DestinationConfig was sent
    on_success: Destination | None = None  # None: OnSuccess not in DestinationConfig
    on_failure: Destination | None = None


@dataclass(frozen=True, slots=True)
class PublishLayerVersion:
    layer_name: str  # a name or a layer ARN, as the caller wrote it
    content: CodeSource
    description: str = ""
    compatible_runtimes: tuple[str, ...] | None = None  # None: not given (not the same as ())
    compatible_architectures: tuple[str, ...] | None = None
    license_info: str | None = None

    @staticmethod
    def of(p: Mapping[str, Any]) -> PublishLayerVersion:
        """The command from PublishLayerVersion's validated input members."""
        content = p.get("Content") or {}
        runtimes = p.get("CompatibleRuntimes")
        archs = p.get("CompatibleArchitectures")
        return PublishLayerVersion(
            p["LayerName"],
            CodeSource(
                zip_file=content.get("ZipFile"),
                s3_bucket=content.get("S3Bucket"),
                s3_key=content.get("S3Key"),
                s3_object_version=content.get("S3ObjectVersion"),
            ),
            p.get("Description") or "",
            None if runtimes is None else tuple(runtimes),
            None if archs is None else tuple(archs),
            p.get("LicenseInfo"),
        )
