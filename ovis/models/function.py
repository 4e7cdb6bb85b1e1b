"""A function version's configuration, as stored and as rendered to the Lambda API."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from ovis.models.arn import function_arn

LATEST = "$LATEST"


class State:
    PENDING = "Pending"
    ACTIVE = "Active"
    INACTIVE = "Inactive"
    FAILED = "Failed"


class UpdateStatus:
    IN_PROGRESS = "InProgress"
    SUCCESSFUL = "Successful"
    FAILED = "Failed"


# Members we accept and echo back without acting on them (yet); stored verbatim.
PASSTHROUGH = (
    "VpcConfig",
    "KMSKeyArn",
    "FileSystemConfigs",
    "SnapStart",
    "ImageConfig",
)


@dataclass(frozen=True)
class FunctionConfig:
    name: str
    version: str
    runtime: str
    role: str
    handler: str
    code_sha256: str  # base64 SHA-256 of the zip, as the API reports it
    code_size: int
    code_digest: str  # hex SHA-256: the content-addressed key of the zip and its extracted tree
    last_modified: str
    revision_id: str
    description: str = ""
    timeout: int = 3
    memory_size: int = 128
    environment: dict[str, str] = field(default_factory=dict)
    package_type: str = "Zip"
    architectures: tuple[str, ...] = ("x86_64",)
    ephemeral_storage: int = 512
    tracing_mode: str = "PassThrough"
    dead_letter_target: str | None = None
    layers: tuple[str, ...] = ()  # layer version ARNs, in order
    layer_digests: tuple[str, ...] = ()  # their CodeStore keys (extracted at /opt in order)
    layer_sizes: tuple[int, ...] = ()  # their CodeSize
    layers_unzipped: int = 0  # their total unzipped size (counts against the 250 MB limit)
    code_unzipped: int = 0
    logging_config: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    state: str = State.PENDING
    state_reason: str | None = None
    state_reason_code: str | None = None
    last_update_status: str | None = None
    last_update_status_reason: str | None = None
    last_update_status_reason_code: str | None = None
    published_from: str | None = None  # a version: the $LATEST revision it was published from
    # PackageType=Image: the ImageUri as given, what it resolved to when the code was set
    # (``name@sha256:<manifest digest>``, pinned like Lambda pins it), and ImageConfig overrides.
    image_uri: str | None = None
    resolved_image_uri: str | None = None
    image_digest: str | None = None  # "sha256:<hex>" of the manifest: the ImageStore's key
    image_config: dict[str, Any] = field(default_factory=dict)

    __hash__ = None  # type: ignore[assignment]  # holds dicts; compared, never hashed

    def replace(self, **changes: Any) -> FunctionConfig:
        return dataclasses.replace(self, **changes)

    def log_group(self) -> str:
        return str(self.logging_config.get("LogGroup") or f"/aws/lambda/{self.name}")

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FunctionConfig:
        data = dict(data)
        data["architectures"] = tuple(data.get("architectures") or ("x86_64",))
        for key in ("layers", "layer_digests", "layer_sizes"):
            data[key] = tuple(data.get(key) or ())
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def to_api(self, region: str, account: str) -> dict[str, Any]:
        """The FunctionConfiguration shape of the Lambda API."""
        out: dict[str, Any] = {
            "FunctionName": self.name,
            "FunctionArn": function_arn(region, account, self.name, None),
            "Runtime": self.runtime,
            "Role": self.role,
            "Handler": self.handler,
            "CodeSize": self.code_size,
            "Description": self.description,
            "Timeout": self.timeout,
            "MemorySize": self.memory_size,
            "LastModified": self.last_modified,
            "CodeSha256": self.code_sha256,
            "Version": self.version,
            "TracingConfig": {"Mode": self.tracing_mode},
            "RevisionId": self.revision_id,
            "State": self.state,
            "PackageType": self.package_type,
            "Architectures": list(self.architectures),
            "EphemeralStorage": {"Size": self.ephemeral_storage},
            "LoggingConfig": {
                "LogFormat": "Text",
                "LogGroup": self.log_group(),
                **self.logging_config,
            },
            "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
        }
        if self.version != LATEST:
            out["FunctionArn"] = function_arn(region, account, self.name, self.version)
        if self.environment:
            out["Environment"] = {"Variables": dict(self.environment)}
        if self.dead_letter_target:
            out["DeadLetterConfig"] = {"TargetArn": self.dead_letter_target}
        if self.layers:
            sizes = self.layer_sizes or (0,) * len(self.layers)
            out["Layers"] = [
                {"Arn": arn, "CodeSize": size}
                for arn, size in zip(self.layers, sizes, strict=False)
            ]
        for key, attr in (
            ("StateReason", "state_reason"),
            ("StateReasonCode", "state_reason_code"),
            ("LastUpdateStatus", "last_update_status"),
            ("LastUpdateStatusReason", "last_update_status_reason"),
            ("LastUpdateStatusReasonCode", "last_update_status_reason_code"),
        ):
            value = getattr(self, attr)
            if value is not None:
                out[key] = value
        out.update(self.extra)
        if self.package_type == "Image":  # no Runtime or Handler; ImageConfig as AWS echoes it
            out.pop("Runtime", None)
            out.pop("Handler", None)
            if self.image_config:
                out["ImageConfigResponse"] = {"ImageConfig": dict(self.image_config)}
        return out
