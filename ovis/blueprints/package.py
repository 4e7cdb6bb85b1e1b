"""A blueprint (or a directory written from one) as CloudFormation deploys it: what
``sam package`` does, in process.

``package_files(template_text, files, bucket)`` zips each ``AWS::Serverless::Function``'s local
``CodeUri`` directory and points it at ``s3://BUCKET/blueprints/<sha256>.zip``; the caller uploads
``Package.artifacts`` (key -> zip bytes) to that bucket, then creates the stack with
``Package.template_body()``. ``Overrides`` apply the form's presets (function name, memory,
timeout, environment) to the main function first.

Contract: pure (no I/O); the same inputs give the same keys and bytes (zip entries sorted, fixed
timestamps), so a re-deploy of unchanged code is not a code change; a ``CodeUri`` naming files
that do not exist raises ``PackageError``; ``bootstrap`` files are executable in the zip.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ovis.blueprints.catalog import EXECUTABLE, Blueprint
from ovis.services.cloudformation.template.parse import parse_template

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
KEY_PREFIX = "blueprints/"


class PackageError(ValueError):
    pass


@dataclass(frozen=True)
class Overrides:
    """The form's presets for the main function; None leaves the template's value."""

    function_name: str | None = None
    memory: int | None = None
    timeout: int | None = None
    environment: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Package:
    template: dict[str, Any]
    artifacts: dict[str, bytes] = field(default_factory=dict)  # S3 key -> zip

    def template_body(self) -> str:
        return json.dumps(self.template, indent=1)


def zip_files(files: Mapping[str, bytes]) -> bytes:
    """A deterministic zip of ``files`` (relative path -> bytes)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, ZIP_DATE)
            mode = 0o755 if path.rsplit("/", 1)[-1] in EXECUTABLE else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, files[path])
    return buf.getvalue()


def _code_files(files: Mapping[str, bytes], code_uri: str) -> dict[str, bytes]:
    prefix = code_uri.strip().removeprefix("./").rstrip("/")
    if prefix in ("", "."):
        return dict(files)
    chosen = {p[len(prefix) + 1 :]: b for p, b in files.items() if p.startswith(prefix + "/")}
    if not chosen:
        raise PackageError(f"CodeUri {code_uri!r} names no files")
    return chosen


def _apply(props: dict[str, Any], o: Overrides) -> None:
    if o.function_name:
        props["FunctionName"] = o.function_name
    if o.memory is not None:
        props["MemorySize"] = o.memory
    if o.timeout is not None:
        props["Timeout"] = o.timeout
    if o.environment is not None:
        env = dict(props.get("Environment") or {})
        env["Variables"] = dict(o.environment)
        props["Environment"] = env
        if not o.environment:
            props.pop("Environment")


def package_files(
    template_text: str,
    files: Mapping[str, bytes],
    bucket: str,
    main_function: str = "",
    overrides: Overrides | None = None,
) -> Package:
    """The packaged template for ``template_text`` whose code is ``files`` (paths relative to
    the template's directory); ``overrides`` apply to resource ``main_function``."""
    template = parse_template(template_text)
    resources = template.get("Resources") or {}
    if overrides is not None:
        if main_function not in resources:
            raise PackageError(f"the template has no resource {main_function!r}")
        _apply(resources[main_function].setdefault("Properties", {}), overrides)
    artifacts: dict[str, bytes] = {}
    for resource in resources.values():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource.get("Properties") or {}
        uri = props.get("CodeUri")
        if not isinstance(uri, str) or uri.startswith("s3://"):
            continue
        blob = zip_files(_code_files(files, uri))
        key = f"{KEY_PREFIX}{hashlib.sha256(blob).hexdigest()}.zip"
        artifacts[key] = blob
        props["CodeUri"] = f"s3://{bucket}/{key}"
    return Package(template, artifacts)


def package_blueprint(bp: Blueprint, bucket: str, overrides: Overrides | None = None) -> Package:
    """``package_files`` of the blueprint's own template and code."""
    return package_files(bp.template_text(), bp.files(), bucket, bp.function, overrides)
