"""Lambda layer versions and layer ARNs.

A LayerName parameter is a bare name (``my-layer``) or a layer ARN
(``arn:aws:lambda:us-east-1:000000000000:layer:my-layer``); a layer *version* ARN adds
``:N``. AWS-managed layers (``arn:aws:lambda:::awslayer:NAME``) match the model's pattern but
never exist on this server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ovis.models.arn import ArnError

LAYER_NAME_RE = re.compile(r"^[a-zA-Z0-9-_]{1,140}$")
_LAYER_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-zA-Z-]*)?:lambda:(?P<region>(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?"
    r"-[a-z]+-\d{1}):(?P<account>\d{12}):layer:(?P<name>[a-zA-Z0-9-_]{1,140})"
    r"(:(?P<version>[0-9]+))?$"
)
_AWS_LAYER = re.compile(r"^arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+$")


@dataclass(frozen=True)
class LayerRef:
    name: str
    region: str | None = None  # None: a bare name (this server's region and account)
    account: str | None = None
    version: int | None = None


def parse_layer_name(text: str) -> LayerRef:
    """A LayerName parameter (bare name or layer ARN without version); raises ArnError."""
    if LAYER_NAME_RE.match(text):
        return LayerRef(text)
    m = _LAYER_ARN.match(text)
    if not m or m["version"] is not None:
        raise ArnError(text)
    return LayerRef(m["name"], m["region"], m["account"])


def parse_layer_version_arn(text: str) -> LayerRef | None:
    """A layer version ARN; None for an AWS-managed ``awslayer`` ARN; raises ArnError."""
    if _AWS_LAYER.match(text):
        return None
    m = _LAYER_ARN.match(text)
    if not m or m["version"] is None:
        raise ArnError(text)
    return LayerRef(m["name"], m["region"], m["account"], int(m["version"]))


@dataclass(frozen=True)
class LayerVersion:
    """One published layer version, as stored. ``deleted`` versions are hidden from the API
    but still resolve for the functions that already use them (AWS keeps a copy too)."""

    name: str
    version: int
    digest: str  # hex sha256 of the zip: the CodeStore key
    code_sha256: str  # base64 sha256, as the API shows it
    code_size: int
    unzipped_size: int
    description: str
    created: str  # "2024-01-01T00:00:00.000+0000"
    compatible_runtimes: tuple[str, ...] | None = None  # None: not given (omitted in output)
    compatible_architectures: tuple[str, ...] | None = None
    license_info: str | None = None
    deleted: bool = False
