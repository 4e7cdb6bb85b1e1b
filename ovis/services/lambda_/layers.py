"""Layer use cases: publish, read, list, delete, version permissions, and resolving the layer
version ARNs a function references.

A layer version's zip is validated and installed exactly like function code (content-addressed
in the CodeStore: ``code.tree_path(digest)`` is its extracted tree). Version numbers come from a
per-layer counter that survives deleting every version, as on AWS. Deleting a version only hides
it from Get/List and drops its policy: functions that already use it keep working.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ovis.errors import (
    ApiError,
    InvalidParameterValueException,
    PreconditionFailedException,
    ResourceConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from ovis.models.arn import ArnError, layer_arn
from ovis.models.layer import LayerVersion, parse_layer_name, parse_layer_version_arn
from ovis.services.lambda_.commands import PublishLayerVersion
from ovis.services.lambda_.package import install_package
from ovis.services.lambda_.paging import decode_marker, encode_marker
from ovis.services.lambda_.repositories import LayerRepository
from ovis.services.lambda_.s3_code import ObjectReader, fetch_package
from ovis.settings import Settings
from ovis.storage.code import CodeStore

MAX_LAYERS = 5  # per function
MAX_POLICY_BYTES = 20 * 1024
LAYER_ACTION = "lambda:GetLayerVersion"
NOT_FOUND = "The resource you requested does not exist."
LAYER_VERSION_ARN_PATTERN = (
    "(arn:(aws[a-zA-Z-]*)?:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:"
    "layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+)"
)
PAGE_SIZE = 50
MAX_VERSION = 2**63 - 1  # SQLite's INTEGER; anything larger cannot exist


class PolicyLengthExceededException(ApiError):
    code, status = "PolicyLengthExceededException", 400


@dataclass(frozen=True)
class ResolvedLayer:
    """A layer version a function references, ready to mount at /opt."""

    arn: str  # the layer version ARN, canonical form
    name: str
    version: int
    digest: str  # hex sha256: the CodeStore key; code.tree_path(digest) is the extracted tree
    code_sha256: str  # base64 sha256 of the zip
    code_size: int  # zip bytes
    unzipped_size: int

    def to_api(self) -> dict[str, Any]:
        """The entry of FunctionConfiguration.Layers."""
        return {"Arn": self.arn, "CodeSize": self.code_size}


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def _matches(v: LayerVersion, runtime: str | None, arch: str | None) -> bool:
    if runtime is not None and runtime not in (v.compatible_runtimes or ()):
        return False
    return arch is None or arch in (v.compatible_architectures or ())


class LayerService:
    def __init__(
        self,
        settings: Settings,
        store: LayerRepository,
        code: CodeStore,
        objects: ObjectReader | None = None,
    ) -> None:
        self.objects = objects  # layer archives from S3 (None: not offered)
        self.settings = settings
        self.store = store
        self.code = code
        # Policy read-modify-writes and deletions, one at a time (checks then writes).
        self._policy_lock = asyncio.Lock()

    # ---- names and ARNs --------------------------------------------------------------------

    def layer_arn(self, name: str) -> str:
        return layer_arn(self.settings.region, self.settings.account_id, name)

    def version_arn(self, name: str, version: int) -> str:
        return layer_arn(self.settings.region, self.settings.account_id, name, version)

    def _name(self, text: str) -> str | None:
        """The layer name a LayerName parameter refers to; None if it is another account's or
        region's (nothing of those exists here)."""
        try:
            ref = parse_layer_name(text)
        except ArnError:
            raise ValidationException(
                f"1 validation error detected: Value '{text}' at 'layerName' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: "
                "(arn:(aws[a-zA-Z-]*)?:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-"
                "\\d{1}:\\d{12}:layer:[a-zA-Z0-9-_]{1,140}|[a-zA-Z0-9-_]{1,140})"
            ) from None
        if ref.account not in (None, self.settings.account_id) or ref.region not in (
            None,
            self.settings.region,
        ):
            return None
        return ref.name

    @staticmethod
    def _check_version(version: int) -> int:
        if version < 1:
            raise InvalidParameterValueException("Layer Version Cannot be less than 1")
        return version

    async def _live(self, name: str | None, version: int) -> LayerVersion | None:
        if name is None or version > MAX_VERSION:
            return None
        v = await asyncio.to_thread(self.store.get_layer_version, name, version)
        return None if v is None or v.deleted else v

    # ---- use cases -------------------------------------------------------------------------

    async def publish(self, cmd: PublishLayerVersion) -> LayerVersion:
        name = self._name(cmd.layer_name)
        if name is None:
            raise InvalidParameterValueException(
                f"Layers can only be published in this server's account "
                f"({self.settings.account_id}) and region ({self.settings.region})."
            )
        content = cmd.content
        data = content.zip_file
        if content.s3_bucket or content.s3_key or content.s3_object_version:
            if self.objects is None:
                raise InvalidParameterValueException(
                    "S3 content locations are not supported by this server: upload the layer "
                    "archive with Content.ZipFile."
                )
            data = await fetch_package(
                self.objects,
                content.s3_bucket,
                content.s3_key,
                content.s3_object_version,
                "Content",
            )
        if not data:
            raise InvalidParameterValueException(
                "Please provide a source for the layer content: Content.ZipFile is required."
            )
        info = await install_package(self.code, data)
        draft = LayerVersion(
            name=name,
            version=0,  # assigned by the store, atomically
            digest=info.digest,
            code_sha256=info.sha256_b64,
            code_size=info.size,
            unzipped_size=info.unzipped_size,
            description=cmd.description,
            created=_now_iso(),
            compatible_runtimes=cmd.compatible_runtimes,
            compatible_architectures=cmd.compatible_architectures,
            license_info=cmd.license_info,
        )
        return await asyncio.to_thread(self.store.publish_layer_version, draft)

    async def get(self, layer_name: str, version: int) -> LayerVersion:
        self._check_version(version)
        v = await self._live(self._name(layer_name), version)
        if v is None:
            raise ResourceNotFoundException(NOT_FOUND)
        return v

    async def get_by_arn(self, arn: str) -> LayerVersion:
        try:
            ref = parse_layer_version_arn(arn)
        except ArnError:
            raise ValidationException(
                f"1 validation error detected: Value '{arn}' at 'arn' failed to satisfy "
                f"constraint: Member must satisfy regular expression pattern: "
                f"{LAYER_VERSION_ARN_PATTERN}"
            ) from None
        if ref is None or (ref.account, ref.region) != (
            self.settings.account_id,
            self.settings.region,
        ):
            raise ResourceNotFoundException(NOT_FOUND)
        assert ref.version is not None
        self._check_version(ref.version)
        v = await self._live(ref.name, ref.version)
        if v is None:
            raise ResourceNotFoundException(NOT_FOUND)
        return v

    async def list_layers(
        self,
        runtime: str | None = None,
        arch: str | None = None,
        marker: str | None = None,
        max_items: int | None = None,
    ) -> tuple[list[LayerVersion], str | None]:
        """The latest version matching the filters of each layer, by layer name."""
        after = decode_marker(marker) if marker else None
        versions = await asyncio.to_thread(self.store.list_layer_versions, None)
        latest: dict[str, LayerVersion] = {}
        for v in versions:  # by name, newest first: the first match per name is the latest
            if v.name not in latest and _matches(v, runtime, arch):
                latest[v.name] = v
        items = [latest[n] for n in sorted(latest) if after is None or n > after]
        limit = max_items or PAGE_SIZE
        page = items[:limit]
        next_marker = encode_marker(page[-1].name) if len(items) > limit else None
        return page, next_marker

    async def list_versions(
        self,
        layer_name: str,
        runtime: str | None = None,
        arch: str | None = None,
        marker: str | None = None,
        max_items: int | None = None,
    ) -> tuple[list[LayerVersion], str | None]:
        """A layer's live versions matching the filters, newest first (none: an empty list)."""
        name = self._name(layer_name)
        before: int | None = None
        if marker:
            text = decode_marker(marker)
            if not text.isdigit():
                raise InvalidParameterValueException("Invalid marker.")
            before = int(text)
        if name is None:
            return [], None
        versions = await asyncio.to_thread(self.store.list_layer_versions, name)
        items = [
            v
            for v in versions
            if _matches(v, runtime, arch) and (before is None or v.version < before)
        ]
        limit = max_items or PAGE_SIZE
        page = items[:limit]
        next_marker = encode_marker(str(page[-1].version)) if len(items) > limit else None
        return page, next_marker

    async def delete(self, layer_name: str, version: int) -> None:
        """Hide a version; a missing layer or version is a no-op, as on AWS."""
        self._check_version(version)
        name = self._name(layer_name)
        if name is None or version > MAX_VERSION:
            return
        async with self._policy_lock:
            await asyncio.to_thread(self.store.delete_layer_version, name, version)

    # ---- permissions -----------------------------------------------------------------------

    async def _policy_target(self, layer_name: str, version: int) -> LayerVersion:
        self._check_version(version)
        name = self._name(layer_name)
        v = await self._live(name, version)
        if v is None:
            ref = parse_layer_name(layer_name)
            shown = layer_arn(
                ref.region or self.settings.region,
                ref.account or self.settings.account_id,
                ref.name,
                version,
            )
            raise ResourceNotFoundException(f"Layer version {shown} does not exist.")
        return v

    @staticmethod
    def _check_revision(revision_id: str | None, current: str | None) -> None:
        if revision_id is not None and revision_id != current:
            raise PreconditionFailedException(
                "The Revision Id provided does not match the latest Revision Id. Call the "
                "GetLayerPolicy API to retrieve the latest Revision Id"
            )

    def _statement(
        self, v: LayerVersion, sid: str, action: str, principal: str, org_id: str | None
    ) -> dict[str, Any]:
        if action != LAYER_ACTION:  # the model's pattern is unanchored; AWS allows only this
            raise ValidationException(
                f"1 validation error detected: Value '{action}' at 'action' failed to satisfy "
                f"constraint: Member must satisfy regular expression pattern: {LAYER_ACTION}"
            )
        who: str | dict[str, str]
        if principal == "*":
            who = "*"
        elif principal.isdigit():
            who = {"AWS": f"arn:aws:iam::{principal}:root"}
        else:
            who = {"AWS": principal}
        statement: dict[str, Any] = {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": who,
            "Action": LAYER_ACTION,
            "Resource": self.version_arn(v.name, v.version),
        }
        if org_id:
            statement["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": org_id}}
        return statement

    async def add_permission(
        self,
        layer_name: str,
        version: int,
        statement_id: str,
        action: str,
        principal: str,
        organization_id: str | None = None,
        revision_id: str | None = None,
    ) -> tuple[dict[str, Any], str]:
        """(the new statement, the policy's new revision id)."""
        async with self._policy_lock:
            v = await self._policy_target(layer_name, version)
            statement = self._statement(v, statement_id, action, principal, organization_id)
            current = await asyncio.to_thread(self.store.get_layer_policy, v.name, v.version)
            statements, revision = current or ([], None)
            self._check_revision(revision_id, revision)
            if any(s.get("Sid") == statement_id for s in statements):
                raise ResourceConflictException(
                    f"The statement id ({statement_id}) provided already exists. Please provide "
                    "a new statement id, or remove the existing statement."
                )
            statements = [*statements, statement]
            if len(json.dumps(self._document(statements))) > MAX_POLICY_BYTES:
                raise PolicyLengthExceededException(
                    "The final policy size is bigger than the limit."
                )
            new_revision = str(uuid.uuid4())
            await asyncio.to_thread(
                self.store.put_layer_policy, v.name, v.version, statements, new_revision
            )
            return statement, new_revision

    async def remove_permission(
        self, layer_name: str, version: int, statement_id: str, revision_id: str | None = None
    ) -> None:
        async with self._policy_lock:
            v = await self._policy_target(layer_name, version)
            current = await asyncio.to_thread(self.store.get_layer_policy, v.name, v.version)
            statements, revision = current or ([], None)
            self._check_revision(revision_id, revision)
            kept = [s for s in statements if s.get("Sid") != statement_id]
            if len(kept) == len(statements):
                raise ResourceNotFoundException(
                    f"Statement {statement_id} is not found in resource policy."
                )
            await asyncio.to_thread(
                self.store.put_layer_policy, v.name, v.version, kept, str(uuid.uuid4())
            )

    async def get_policy(self, layer_name: str, version: int) -> tuple[dict[str, Any], str]:
        """(the policy document, its revision id)."""
        v = await self._policy_target(layer_name, version)
        current = await asyncio.to_thread(self.store.get_layer_policy, v.name, v.version)
        if current is None:
            raise ResourceNotFoundException("No policy is associated with the given resource.")
        statements, revision = current
        return self._document(statements), revision

    @staticmethod
    def _document(statements: list[dict[str, Any]]) -> dict[str, Any]:
        return {"Version": "2012-10-17", "Id": "default", "Statement": statements}

    # ---- functions' layers -----------------------------------------------------------------

    def _may_keep(self, v: LayerVersion, arn: str, attached: Collection[str] | None) -> bool:
        """May a function reference deleted version ``v``? Only if it already did."""
        return (
            attached is None or arn in attached or self.version_arn(v.name, v.version) in attached
        )

    def resolve(
        self, arns: list[str], attached: Collection[str] | None = None
    ) -> list[ResolvedLayer]:
        """The layer versions ``arns`` name, in order, or the error AWS gives for the list.

        Deleted versions resolve when ``attached`` is None (the function already uses them);
        pass a function's current layer ARNs (or ``()`` on create) to refuse deleted versions
        that are not among them, as AWS refuses adding a deleted version to a function.
        Synchronous: one indexed SQLite read per ARN.
        """
        if len(arns) > MAX_LAYERS:
            raise InvalidParameterValueException(f"Cannot reference more than {MAX_LAYERS} layers.")
        refs = []
        for arn in arns:
            try:
                if not 1 <= len(arn) <= 2048:
                    raise ArnError(arn)
                ref = parse_layer_version_arn(arn)
            except ArnError:
                raise ValidationException(
                    f"1 validation error detected: Value '[{', '.join(arns)}]' at 'layers' "
                    "failed to satisfy constraint: Member must satisfy constraint: [Member must "
                    "have length less than or equal to 2048, Member must have length greater "
                    "than or equal to 1, Member must satisfy regular expression pattern: "
                    f"{LAYER_VERSION_ARN_PATTERN}, Member must not be null]"
                ) from None
            refs.append(ref)
        for ref in refs:
            if ref is not None and ref.region != self.settings.region:
                raise InvalidParameterValueException(
                    "Layers are not in the same region as the function. Layers are expected to "
                    f"be in region {self.settings.region}."
                )
        seen: dict[tuple[str | None, str], str] = {}
        for arn, ref in zip(arns, refs, strict=True):
            if ref is None:
                continue
            key = (ref.account, ref.name)
            if key in seen:
                raise InvalidParameterValueException(
                    "Two different versions of the same layer are not allowed to be referenced "
                    f"in the same function. {seen[key]} and {arn} are versions of the same layer."
                )
            seen[key] = arn
        out = []
        for arn, ref in zip(arns, refs, strict=True):
            v = None
            if ref is not None and ref.account == self.settings.account_id:
                assert ref.version is not None
                if ref.version <= MAX_VERSION:
                    v = self.store.get_layer_version(ref.name, ref.version)
            if v is None or (v.deleted and not self._may_keep(v, arn, attached)):
                raise InvalidParameterValueException(f"Layer version {arn} does not exist.")
            out.append(
                ResolvedLayer(
                    arn=self.version_arn(v.name, v.version),
                    name=v.name,
                    version=v.version,
                    digest=v.digest,
                    code_sha256=v.code_sha256,
                    code_size=v.code_size,
                    unzipped_size=v.unzipped_size,
                )
            )
        return out
