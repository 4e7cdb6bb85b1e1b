"""Function use cases: create, read, list, update code and configuration, delete, tags.

Every write validates fully before anything is stored (never a half-written state), persists
through the registry, then moves the function's state machine: create -> Pending -> Active,
update -> LastUpdateStatus InProgress -> Successful, as boto3's waiters expect.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from ovis.errors import (
    InvalidParameterValueException,
    PreconditionFailedException,
    ResourceConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from ovis.invoke.qualifiers import Qualifiers
from ovis.invoke.registry import FunctionRegistry
from ovis.models.arn import ArnError, function_arn, parse_function_ref
from ovis.models.function import LATEST, FunctionConfig, State, UpdateStatus
from ovis.services.lambda_.commands import (
    CodeSource,
    CreateFunction,
    UpdateFunctionCode,
    UpdateFunctionConfiguration,
)
from ovis.services.lambda_.layers import LayerService
from ovis.services.lambda_.limits import check_tag_count
from ovis.services.lambda_.package import MAX_UNZIPPED_BYTES, install_package
from ovis.services.lambda_.paging import paginate
from ovis.services.lambda_.repositories import TagRepository
from ovis.services.lambda_.s3_code import ObjectReader, fetch_package
from ovis.settings import Settings
from ovis.storage.code import CodeStore
from ovis.storage.images import ImageError, ImageStore

MAX_TIMEOUT_S = 900
MAX_MEMORY_MB = 10240  # the botocore model allows more (managed instances); functions do not
ENV_LIMIT_BYTES = 4096
RESERVED_ENV = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)


ROLE_NOT_ASSUMABLE = "The role defined for the function cannot be assumed by Lambda."


class RoleChecker(Protocol):
    """Whether Lambda may assume a function's execution role (the server's --strict-iam)."""

    async def lambda_can_assume(self, role_arn: str) -> bool: ...


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


class FunctionService:
    def __init__(
        self,
        settings: Settings,
        registry: FunctionRegistry,
        code: CodeStore,
        runtimes: dict[str, str],
        layers: LayerService | None = None,
        images: ImageStore | None = None,
        *,
        tags: TagRepository,
        roles: RoleChecker | None = None,
        objects: ObjectReader | None = None,
    ) -> None:
        self.objects = objects  # deployment packages from S3 (None: not offered)
        self.settings = settings
        self.roles = roles  # None: any role ARN is accepted
        self.tag_store = tags  # tags by ARN (`tags` is the ListTags use case)
        self.registry = registry
        self.qualifiers = Qualifiers(registry, settings.region, settings.account_id)
        self.code = code
        self.layers = layers
        self.images = images  # container images (PackageType=Image), imported by `ovis image`
        self.runtimes = runtimes  # supported runtime name -> interpreter path
        self._activations: set[asyncio.Task[None]] = set()
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}  # name -> (lock, holders+waiters)

    @contextlib.asynccontextmanager
    async def _serialized(self, name: str) -> AsyncIterator[None]:
        """One write at a time per function name.

        Each write checks (exists? revision? in progress?) and then awaits the store; without
        this, concurrent requests all pass the check and all write (two creates of one name
        both succeed, N updates with the same RevisionId all succeed).
        """
        lock, users = self._locks.get(name) or (asyncio.Lock(), 0)
        self._locks[name] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[name]
            if users == 1:
                del self._locks[name]
            else:
                self._locks[name] = (lock, users - 1)

    # ---- lookups ---------------------------------------------------------------------------

    def arn(self, name: str, qualifier: str | None = None) -> str:
        return function_arn(self.settings.region, self.settings.account_id, name, qualifier)

    def ref(self, text: str, qualifier: str | None = None) -> tuple[str, str | None]:
        """(name, qualifier) from any FunctionName form; a Qualifier parameter must agree."""
        return self.qualifiers.ref(text, qualifier)

    def get_config(self, text: str, qualifier: str | None = None) -> FunctionConfig:
        """The configuration of the version a name (with qualifier: version or alias) means."""
        name, q = self.qualifiers.ref(text, qualifier)
        return self.qualifiers.config(name, q)

    def render(self, cfg: FunctionConfig) -> dict[str, Any]:
        return cfg.to_api(self.settings.region, self.settings.account_id)

    # ---- validation ------------------------------------------------------------------------

    def _check_runtime(self, runtime: str | None, handler: str | None) -> None:
        if runtime is None or handler is None:
            raise InvalidParameterValueException(
                "Runtime and Handler are mandatory parameters for functions created with "
                "deployment packages."
            )
        if runtime not in self.runtimes:
            supported = ", ".join(sorted(self.runtimes))
            raise InvalidParameterValueException(
                f"The runtime parameter of {runtime} is not supported by this server. "
                f"Supported runtimes on this host: {supported}."
            )

    @staticmethod
    def _check_limits(timeout: int | None, memory_size: int | None) -> None:
        errors = [
            f"Value '{value}' at '{wire}' failed to satisfy constraint: Member must have value "
            f"less than or equal to {limit}"
            for value, wire, limit in (
                (timeout, "timeout", MAX_TIMEOUT_S),
                (memory_size, "memorySize", MAX_MEMORY_MB),
            )
            if value is not None and value > limit
        ]
        if errors:
            n = len(errors)
            raise ValidationException(
                f"{n} validation error{'s' if n > 1 else ''} detected: " + "; ".join(errors)
            )

    @staticmethod
    def _check_environment(env: Mapping[str, Any] | None) -> dict[str, str]:
        variables = dict((env or {}).get("Variables") or {})
        reserved = sorted(k for k in variables if k in RESERVED_ENV)
        if reserved:
            raise InvalidParameterValueException(
                "Lambda was unable to configure your environment variables because the "
                "environment variables you have provided contains reserved keys that are "
                "currently not supported for modification. Reserved keys used in this request: "
                + ", ".join(reserved)
            )
        if len(json.dumps(variables, separators=(",", ":"))) > ENV_LIMIT_BYTES:
            raise InvalidParameterValueException(
                "Lambda was unable to configure your environment variables because the "
                "environment variables you have provided exceeded the 4KB limit. String "
                f"measured: {json.dumps(variables, separators=(',', ':'))[:64]}..."
            )
        return {str(k): str(v) for k, v in variables.items()}

    async def _check_role(self, role: str) -> None:
        if self.roles is not None and not await self.roles.lambda_can_assume(role):
            raise InvalidParameterValueException(ROLE_NOT_ASSUMABLE)

    def _layer_changes(
        self, arns: Sequence[str], attached: tuple[str, ...], code_unzipped: int
    ) -> dict[str, Any]:
        """Resolve ``Layers`` and check function plus layers against the unzipped limit."""
        if self.layers is None:
            raise InvalidParameterValueException("Layers are not supported by this server.")
        resolved = self.layers.resolve(list(arns), attached=attached)
        total = sum(layer.unzipped_size for layer in resolved)
        self._check_unzipped(code_unzipped + total)
        return {
            "layers": tuple(layer.arn for layer in resolved),
            "layer_digests": tuple(layer.digest for layer in resolved),
            "layer_sizes": tuple(layer.code_size for layer in resolved),
            "layers_unzipped": total,
        }

    @staticmethod
    def _check_unzipped(total: int) -> None:
        if total > MAX_UNZIPPED_BYTES:
            raise InvalidParameterValueException(
                "Function code combined with layers exceeds the maximum allowed size of "
                f"{MAX_UNZIPPED_BYTES} bytes. The actual size is {total} bytes."
            )

    async def _install_code(self, code: CodeSource) -> tuple[str, str, int, int]:
        """(digest, sha256_b64, size, unzipped size) after validating and installing the zip."""
        if code.image_uri:
            raise InvalidParameterValueException(
                "Please don't provide ImageUri when the intended function PackageType is Zip."
            )
        data = code.zip_file
        if code.s3_bucket or code.s3_key:
            if data:
                raise InvalidParameterValueException(
                    "Please do not provide other FunctionCode parameters when providing a "
                    "S3 location."
                )
            data = await fetch_package(
                self.objects, code.s3_bucket, code.s3_key, code.s3_object_version
            )
        if not data:
            raise InvalidParameterValueException(
                "Please provide a source for function code: ZipFile is required."
            )
        info = await install_package(self.code, data)
        return info.digest, info.sha256_b64, info.size, info.unzipped_size

    def _resolve_image(self, uri: str | None) -> dict[str, Any]:
        """The FunctionConfig fields of an imported image that ``uri`` names (the digest is
        pinned now, as Lambda pins it: re-importing a tag later changes nothing here)."""
        if self.images is None:
            raise InvalidParameterValueException(
                "Container image functions are not supported by this server."
            )
        if not uri:
            raise InvalidParameterValueException(
                "Please provide ImageUri when the intended function PackageType is Image."
            )
        try:
            found = self.images.resolve(uri)
        except ImageError:
            raise InvalidParameterValueException(
                f"Source image {uri} is not valid. Provide a valid source image."
            ) from None
        if found is None:
            raise InvalidParameterValueException(
                f"Source image {uri} does not exist. Provide a valid source image. (This server "
                "knows the images imported with `ovis image import FILE --name NAME:TAG`; "
                "`ovis image list` shows them.)"
            )
        ref, record = found
        return {
            "package_type": "Image",
            "image_uri": uri,
            "resolved_image_uri": f"{ref.name}@{record.digest}",
            "image_digest": record.digest,
            "code_digest": record.hex,
            "code_sha256": record.hex,
            "code_size": 0,
        }

    @staticmethod
    def _refuse_zip_settings(
        runtime: str | None, handler: str | None, layers: Sequence[str] | None
    ) -> None:
        if runtime or handler or layers:
            raise InvalidParameterValueException(
                "Please don't provide Handler or Runtime or Layer when the intended function "
                "PackageType is Image."
            )

    def _code_ready(self, cfg: FunctionConfig) -> bool:
        if cfg.package_type == "Image":
            return (
                self.images is not None
                and cfg.image_digest is not None
                and self.images.has_rootfs(cfg.image_digest)
            )
        return self.code.has_tree(cfg.code_digest)

    # ---- use cases -------------------------------------------------------------------------

    async def create(self, cmd: CreateFunction) -> FunctionConfig:
        async with self._serialized(self.ref(cmd.function_name)[0]):
            return await self._create(cmd)

    async def _create(self, cmd: CreateFunction) -> FunctionConfig:
        name, q = self.ref(cmd.function_name)
        if q is not None:
            raise InvalidParameterValueException("Unsupported: qualified function name on create.")
        image = cmd.package_type == "Image"
        self._check_limits(cmd.timeout, cmd.memory_size)  # AWS's validation layer answers first
        if image:
            self._refuse_zip_settings(cmd.runtime, cmd.handler, cmd.layers)
        else:
            self._check_runtime(cmd.runtime, cmd.handler)
        env = self._check_environment(cmd.environment)
        await self._check_role(cmd.role)
        if self.registry.get(name, LATEST) is not None:
            raise ResourceConflictException(f"Function already exist: {name}")
        image_fields: dict[str, Any] = {}
        if image:
            image_fields = await asyncio.to_thread(self._resolve_image, cmd.code.image_uri)
            image_fields["image_config"] = dict(cmd.passthrough.get("ImageConfig") or {})
            digest, sha, size, unzipped = "", "", 0, 0  # set by image_fields
        else:
            digest, sha, size, unzipped = await self._install_code(cmd.code)
        layer_changes = self._layer_changes(cmd.layers, (), unzipped) if cmd.layers else {}
        if self.registry.get(name, LATEST) is not None:  # created while we were unzipping
            raise ResourceConflictException(f"Function already exist: {name}")
        zip_code = {"code_sha256": sha, "code_size": size, "code_digest": digest}
        cfg = FunctionConfig(
            name=name,
            version=LATEST,
            runtime=cmd.runtime or "",
            role=cmd.role,
            handler=cmd.handler or "",
            **(image_fields or zip_code),
            last_modified=_now_iso(),
            revision_id=str(uuid.uuid4()),
            description=cmd.description,
            timeout=cmd.timeout,
            memory_size=cmd.memory_size,
            environment=env,
            architectures=cmd.architectures,
            ephemeral_storage=cmd.ephemeral_storage_mb,
            tracing_mode=cmd.tracing_mode,
            dead_letter_target=cmd.dead_letter_target,
            logging_config=dict(cmd.logging_config),
            extra={k: v for k, v in cmd.passthrough.items() if not (image and k == "ImageConfig")},
            code_unzipped=unzipped,
            **layer_changes,
            state=State.PENDING,
            state_reason="The function is being created.",
            state_reason_code="Creating",
        )
        await self.registry.put(cfg)
        tags = dict(cmd.tags)
        if tags:
            await asyncio.to_thread(self.tag_store.put_tags, self.arn(name), tags)
        self._schedule_activation(name)
        return cfg

    def _schedule_activation(self, name: str) -> None:
        task = asyncio.get_running_loop().create_task(self._activate(name))
        self._activations.add(task)
        task.add_done_callback(self._activations.discard)

    async def wait_update(self, name: str) -> None:
        """Wait until pending state transitions (Pending -> Active, InProgress -> done) ran."""
        pending = [t for t in self._activations if not t.done()]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    async def _activate(self, name: str) -> None:
        async with self._serialized(name):  # never resurrect a function deleted meanwhile
            await self._transition(name)

    async def _transition(self, name: str) -> None:
        """Pending -> Active and InProgress -> Successful once the code is in place."""
        cfg = self.registry.get(name, LATEST)
        if cfg is None:
            return
        ok = self._code_ready(cfg)
        if cfg.state == State.PENDING:
            cfg = cfg.replace(
                state=State.ACTIVE if ok else State.FAILED,
                state_reason=None if ok else "The function's code could not be installed.",
                state_reason_code=None if ok else "InternalError",
                last_update_status=UpdateStatus.SUCCESSFUL if ok else UpdateStatus.FAILED,
            )
        elif cfg.last_update_status == UpdateStatus.IN_PROGRESS:
            cfg = cfg.replace(
                last_update_status=UpdateStatus.SUCCESSFUL if ok else UpdateStatus.FAILED,
                last_update_status_reason=None,
                last_update_status_reason_code=None,
            )
        else:
            return
        await self.registry.put(cfg)

    async def resume_transitions(self) -> None:
        """After a restart: finish transitions a crash interrupted."""
        for cfg in self.registry.all():
            if cfg.state == State.PENDING or cfg.last_update_status == UpdateStatus.IN_PROGRESS:
                await self._activate(cfg.name)

    def _updatable(self, text: str, revision_id: str | None) -> FunctionConfig:
        name, q = self.ref(text)
        if q not in (None, LATEST):
            raise InvalidParameterValueException("Only $LATEST can be updated.")
        cfg = self.registry.get(name, LATEST)
        if cfg is None:
            raise ResourceNotFoundException(f"Function not found: {self.arn(name)}")
        if cfg.last_update_status == UpdateStatus.IN_PROGRESS or cfg.state == State.PENDING:
            raise ResourceConflictException(
                "The operation cannot be performed at this time. An update is in progress for "
                f"resource: {self.arn(name)}"
            )
        if revision_id is not None and revision_id != cfg.revision_id:
            raise PreconditionFailedException(
                "The Revision Id provided does not match the latest Revision Id. Call the "
                "GetFunction/GetAlias API to retrieve the latest Revision Id"
            )
        return cfg

    async def update_code(self, cmd: UpdateFunctionCode) -> FunctionConfig:
        async with self._serialized(self.ref(cmd.function_name)[0]):
            return await self._update_code(cmd)

    async def _update_code(self, cmd: UpdateFunctionCode) -> FunctionConfig:
        cfg = self._updatable(cmd.function_name, cmd.revision_id)
        if cfg.package_type == "Image":
            return await self._update_image(cfg, cmd)
        if cmd.code.image_uri:
            raise InvalidParameterValueException(
                "Please don't provide ImageUri when updating a function with packageType Zip."
            )
        digest, sha, size, unzipped = await self._install_code(cmd.code)
        self._check_unzipped(unzipped + cfg.layers_unzipped)
        if cmd.dry_run:
            return cfg.replace(code_sha256=sha, code_size=size)
        cfg = self.registry.get(cfg.name, LATEST) or cfg
        return await self._start_update(
            cfg,
            code_sha256=sha,
            code_size=size,
            code_digest=digest,
            code_unzipped=unzipped,
        )

    async def _update_image(self, cfg: FunctionConfig, cmd: UpdateFunctionCode) -> FunctionConfig:
        code = cmd.code
        if not code.image_uri or code.zip_file or code.s3_bucket:
            raise InvalidParameterValueException(
                "Please provide ImageUri when updating a function with packageType Image."
            )
        fields = await asyncio.to_thread(self._resolve_image, code.image_uri)
        if cmd.dry_run:
            return cfg.replace(**fields)
        cfg = self.registry.get(cfg.name, LATEST) or cfg
        return await self._start_update(cfg, **fields)

    async def update_configuration(self, cmd: UpdateFunctionConfiguration) -> FunctionConfig:
        async with self._serialized(self.ref(cmd.function_name)[0]):
            return await self._update_configuration(cmd)

    async def _update_configuration(self, cmd: UpdateFunctionConfiguration) -> FunctionConfig:
        cfg = self._updatable(cmd.function_name, cmd.revision_id)
        changes: dict[str, Any] = {}
        runtime = cmd.runtime if cmd.runtime is not None else cfg.runtime
        handler = cmd.handler if cmd.handler is not None else cfg.handler
        self._check_limits(cmd.timeout, cmd.memory_size)
        image = cfg.package_type == "Image"
        if image:
            self._refuse_zip_settings(cmd.runtime, cmd.handler, cmd.layers)
            if cmd.image_config is not None:
                changes["image_config"] = dict(cmd.image_config)
        elif cmd.runtime is not None or cmd.handler is not None:
            self._check_runtime(runtime, handler)
        if cmd.environment is not None:
            changes["environment"] = self._check_environment(cmd.environment)
        if cmd.role is not None:
            await self._check_role(cmd.role)
        simple = {
            "role": cmd.role,
            "description": cmd.description,
            "timeout": cmd.timeout,
            "memory_size": cmd.memory_size,
            "runtime": cmd.runtime,
            "handler": cmd.handler,
            "ephemeral_storage": cmd.ephemeral_storage_mb,
            "tracing_mode": cmd.tracing_mode,
        }
        changes.update({attr: v for attr, v in simple.items() if v is not None})
        if cmd.dead_letter_target is not None:
            changes["dead_letter_target"] = cmd.dead_letter_target or None
        if cmd.logging_config is not None:
            changes["logging_config"] = dict(cmd.logging_config)
        if cmd.layers is not None:
            changes.update(self._layer_changes(cmd.layers, cfg.layers, cfg.code_unzipped))
        extra = dict(cfg.extra)
        extra.update(
            {k: v for k, v in cmd.passthrough.items() if not (image and k == "ImageConfig")}
        )
        return await self._start_update(cfg, **changes, extra=extra)

    async def _start_update(self, cfg: FunctionConfig, **changes: Any) -> FunctionConfig:
        """Store an update with LastUpdateStatus InProgress; the activation task ends it."""
        cfg = cfg.replace(
            **changes,
            last_modified=_now_iso(),
            revision_id=str(uuid.uuid4()),
            last_update_status=UpdateStatus.IN_PROGRESS,
            last_update_status_reason="The function is being created.",
            last_update_status_reason_code="Creating",
        )
        await self.registry.put(cfg)
        self._schedule_activation(cfg.name)
        return cfg

    async def _delete_version(self, name: str, version: str) -> None:
        if not version.isdigit() or self.registry.get(name, version) is None:
            raise ResourceNotFoundException(f"Function not found: {self.arn(name, version)}")
        users = [
            a.name
            for a in self.registry.aliases(name)
            if a.version == version or version in a.weights
        ]
        if users:
            raise ResourceConflictException(
                "Unable to delete version because the following aliases reference it: "
                f"[{', '.join(users)}]"
            )
        await self.registry.delete_version(name, version)

    async def delete(self, text: str, qualifier: str | None) -> None:
        async with self._serialized(self.ref(text, qualifier)[0]):
            await self._delete(text, qualifier)

    async def _delete(self, text: str, qualifier: str | None) -> None:
        name, q = self.ref(text, qualifier)
        if self.registry.get(name, LATEST) is None:
            raise ResourceNotFoundException(f"Function not found: {self.arn(name)}")
        if q == LATEST:
            raise InvalidParameterValueException(
                "$LATEST version cannot be deleted without deleting the function."
            )
        if q is not None:
            await self._delete_version(name, q)
            return
        await self.registry.delete(name)
        await asyncio.to_thread(self.tag_store.delete_tags, self.arn(name))

    def list_functions(
        self, marker: str | None, max_items: int | None
    ) -> tuple[list[FunctionConfig], str | None]:
        page, next_marker = paginate(
            self.registry.names(), marker, max_items, key=lambda n: n, sorted_by_key=True
        )
        configs = [c for n in page if (c := self.registry.get(n, LATEST)) is not None]
        return configs, next_marker

    # ---- tags ------------------------------------------------------------------------------

    def _tag_target(self, arn: str) -> str:
        try:
            ref = parse_function_ref(arn)
        except ArnError:
            raise InvalidParameterValueException(f"Invalid resource ARN: {arn}") from None
        if not arn.startswith("arn:"):
            raise ValidationException(
                f"1 validation error detected: Value '{arn}' at 'resource' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: arn:.*"
            )
        if ref.qualifier is not None:
            raise InvalidParameterValueException(
                "Tags on function aliases and versions are not supported. Please specify a "
                "function ARN."
            )
        if (
            self.registry.get(ref.name, LATEST) is None
            or ref.account != self.settings.account_id
            or ref.region != self.settings.region
        ):
            raise ResourceNotFoundException(f"Function not found: {arn}")
        return self.arn(ref.name)

    async def tag(self, arn: str, tags: dict[str, str]) -> None:
        target = self._tag_target(arn)
        check_tag_count(tags, await asyncio.to_thread(self.tag_store.get_tags, target))
        await asyncio.to_thread(self.tag_store.put_tags, target, tags)

    async def untag(self, arn: str, keys: list[str]) -> None:
        await asyncio.to_thread(self.tag_store.delete_tags, self._tag_target(arn), keys)

    async def tags(self, arn: str) -> dict[str, str]:
        return await asyncio.to_thread(self.tag_store.get_tags, self._tag_target(arn))

    async def tags_of(self, name: str) -> dict[str, str]:
        return await asyncio.to_thread(self.tag_store.get_tags, self.arn(name))

    def account_settings(self, unreserved: int | None = None) -> dict[str, Any]:
        total = sum(c.code_size for c in self.registry.all())
        limit = self.settings.concurrent_executions
        unreserved = limit if unreserved is None else unreserved
        return {
            "AccountLimit": {
                "TotalCodeSize": 80530636800,
                "CodeSizeUnzipped": MAX_UNZIPPED_BYTES,
                "CodeSizeZipped": 52428800,
                "ConcurrentExecutions": limit,
                "UnreservedConcurrentExecutions": unreserved,
            },
            "AccountUsage": {"TotalCodeSize": total, "FunctionCount": len(self.registry.names())},
        }


def epoch_ms() -> int:
    return int(time.time() * 1000)
