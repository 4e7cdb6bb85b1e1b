"""Function configurations and launch contexts for the adapter tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ovis.models.function import FunctionConfig
from ovis.runtimes.base import ImageSource, LaunchContext, Transport
from ovis.storage.images import ImageRecord

LAMBDA_ENV = {"AWS_LAMBDA_FUNCTION_NAME": "fn", "AWS_REGION": "us-east-1"}


def config(runtime: str = "python3.11", **kw: Any) -> FunctionConfig:
    fields: dict[str, Any] = {
        "name": "fn",
        "version": "$LATEST",
        "runtime": runtime,
        "role": "arn:aws:iam::000000000000:role/r",
        "handler": "app.handler",
        "code_sha256": "",
        "code_size": 0,
        "code_digest": "abc",
        "last_modified": "",
        "revision_id": "r1",
        **kw,
    }
    return FunctionConfig(**fields)


def context(
    namespaces: bool = True,
    transport: Transport = "channel",
    interpreters: dict[str, str] | None = None,
    images: ImageSource | None = None,
    code_dir: str = "/data/code/trees/abc",
    layers: tuple[str, ...] = ("/data/code/trees/l1",),
) -> LaunchContext:
    return LaunchContext(
        code_dir=code_dir,
        layers=layers,
        lambda_env=LAMBDA_ENV,
        namespaces=namespaces,
        isolation="isolation: test",
        interpreters=interpreters or {},
        python_transport=transport,
        images=images,
    )


class Images:
    """An ImageSource with one image whose root filesystem is ``rootfs``."""

    def __init__(self, record: ImageRecord, rootfs: Path) -> None:
        self.record = record
        self.rootfs = rootfs

    def get(self, digest: str) -> ImageRecord | None:
        return self.record if digest == self.record.digest else None

    def rootfs_path(self, digest: str) -> Path:
        return self.rootfs
