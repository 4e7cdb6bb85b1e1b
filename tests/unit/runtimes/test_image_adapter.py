"""PackageType=Image: ENTRYPOINT + CMD in the image rootfs, ImageConfig overrides, Env layering."""

from __future__ import annotations

import sys
from pathlib import Path

from ovis.runtimes.base import Start
from ovis.runtimes.image.adapter import IMAGE_PATH, ImageAdapter
from ovis.storage.images import ImageRecord
from tests.unit.runtimes.configs import LAMBDA_ENV, Images, config, context

DIGEST = "sha256:" + "a" * 64


def image(tmp_path: Path, **kw: object) -> Images:
    rootfs = tmp_path / "rootfs"
    (rootfs / "app").mkdir(parents=True)
    entry = rootfs / "app" / "run"
    entry.write_text("#!/bin/sh\n")
    entry.chmod(0o755)
    record = ImageRecord(
        DIGEST,
        "sha256:" + "b" * 64,
        (),
        entrypoint=("/app/run",),
        cmd=("app.handler",),
        workdir="/app",
        env={"PATH": "/app/bin:/usr/bin", "IMAGE_ONLY": "1", "AWS_REGION": "image-region"},
    )
    return Images(record, rootfs)


def test_entrypoint_cmd_rootfs_and_env_layering(tmp_path: Path) -> None:
    images = image(tmp_path)
    cfg = config("", package_type="Image", image_digest=DIGEST, environment={"MINE": "2"})
    spec = ImageAdapter().launch(cfg, context(images=images))
    assert spec.start is Start.EXEC_IN_ROOTFS and spec.search_path
    assert spec.argv == ("/app/run", "app.handler")
    assert spec.cwd == "/app"
    assert spec.rootfs == str(images.rootfs) and spec.layers == ()
    assert spec.transport == "http" and spec.interpreter == sys.executable
    assert dict(spec.env) == {
        "PATH": "/app/bin:/usr/bin",  # the image's Env over the default PATH...
        "TZ": ":UTC",
        "LAMBDA_TASK_ROOT": "/var/task",
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "IMAGE_ONLY": "1",
        **LAMBDA_ENV,  # ...under Lambda's variables
        "MINE": "2",
        "_HANDLER": "app.handler",
    }
    assert spec.preflight() is None


def test_image_config_overrides_entrypoint_command_and_workdir(tmp_path: Path) -> None:
    overrides = {"EntryPoint": ["/app/run", "-v"], "Command": ["other.fn"], "WorkingDirectory": "/"}
    cfg = config("", package_type="Image", image_digest=DIGEST, image_config=overrides)
    spec = ImageAdapter().launch(cfg, context(images=image(tmp_path)))
    assert spec.argv == ("/app/run", "-v", "other.fn")
    assert spec.cwd == "/"
    assert spec.env["_HANDLER"] == "other.fn"


def test_refusals(tmp_path: Path) -> None:
    adapter = ImageAdapter()
    cfg = config("", package_type="Image", image_digest=DIGEST)
    no_ns = adapter.launch(cfg, context(namespaces=False, images=image(tmp_path))).preflight()
    assert no_ns is not None and no_ns.error_type == "Runtime.Unknown"
    assert "need mount namespaces" in no_ns.message and "isolation: test" in no_ns.message
    gone = adapter.launch(cfg, context(images=None)).preflight()
    assert gone is not None and gone.message == "the image is not in this server's store"
    bare = config("", package_type="Image", image_digest="sha256:" + "c" * 64)
    nothing = adapter.launch(bare, context(images=image(tmp_path / "x"))).preflight()
    assert nothing is not None and nothing.message == "the image has no ENTRYPOINT or CMD"
    assert adapter.launch(bare, context(images=image(tmp_path / "y"))).env["PATH"] == IMAGE_PATH
    broken = config(
        "", package_type="Image", image_digest=DIGEST, image_config={"EntryPoint": ["nope"]}
    )
    problem = adapter.launch(broken, context(images=image(tmp_path / "z"))).preflight()
    assert problem is not None and problem.error_type == "Runtime.InvalidEntrypoint"
