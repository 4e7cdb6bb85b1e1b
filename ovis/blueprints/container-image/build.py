"""Build this blueprint's container image as an OCI archive, without Docker.

    python build.py [--busybox PATH] [--output image.tar]
    ovis image import image.tar --name ovis-blueprint-container:1

The image is one layer: a statically linked busybox (this host's, e.g. Debian's busybox-static)
with the applets the runtime uses, and image/ (the bootstrap and the handler) under /lambda.
Its entrypoint is /lambda/bootstrap, its command the handler. Standard library only; the archive
is byte-stable for the same inputs (fixed timestamps), so importing it twice is a no-op.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import shutil
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
APPLETS = ["sh", "cat", "cut", "echo", "grep", "ls", "rm", "sed", "tr", "uname", "wget"]
CONFIG = {
    "Entrypoint": ["/lambda/bootstrap"],
    "Cmd": ["handler.handler"],
    "Env": ["PATH=/bin"],
    "WorkingDir": "/lambda",
}
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _entry(tf: tarfile.TarFile, name: str, data: bytes | None, mode: int, link: str = "") -> None:
    info = tarfile.TarInfo(name)
    info.mtime, info.mode = 0, mode
    if link:
        info.type, info.linkname = tarfile.SYMTYPE, link
    elif data is None:
        info.type = tarfile.DIRTYPE
    else:
        info.size = len(data)
    tf.addfile(info, io.BytesIO(data) if data is not None else None)


def layer(busybox: Path) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for d in ("bin", "lambda", "tmp"):
            _entry(tf, d, None, 0o1777 if d == "tmp" else 0o755)
        _entry(tf, "bin/busybox", busybox.read_bytes(), 0o755)
        for applet in APPLETS:
            _entry(tf, f"bin/{applet}", None, 0o777, link="busybox")
        for path in sorted((HERE / "image").iterdir()):
            mode = 0o755 if path.name == "bootstrap" else 0o644
            _entry(tf, f"lambda/{path.name}", path.read_bytes(), mode)
    return buf.getvalue()


def build(busybox: Path, output: Path) -> str:
    """Write the OCI archive to `output`; returns the image manifest's digest."""
    tar = layer(busybox)
    blob = gzip.compress(tar, mtime=0)
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": CONFIG,
            "rootfs": {"type": "layers", "diff_ids": [_sha(tar)]},
        }
    ).encode()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": _sha(config),
                "size": len(config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": _sha(blob),
                    "size": len(blob),
                }
            ],
        }
    ).encode()
    index = {
        "schemaVersion": 2,
        "manifests": [{"mediaType": OCI_MANIFEST, "digest": _sha(manifest), "size": len(manifest)}],
    }
    with tarfile.open(output, "w") as tf:
        _entry(tf, "oci-layout", b'{"imageLayoutVersion": "1.0.0"}', 0o644)
        _entry(tf, "index.json", json.dumps(index).encode(), 0o644)
        for data in (blob, config, manifest):
            _entry(tf, f"blobs/sha256/{_sha(data)[7:]}", data, 0o644)
    return _sha(manifest)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--busybox", type=Path, help="a static busybox (default: on PATH)")
    parser.add_argument("--output", "-o", type=Path, default=HERE / "image.tar")
    args = parser.parse_args()
    busybox = args.busybox or (Path(p) if (p := shutil.which("busybox")) else None)
    if busybox is None or not busybox.is_file():
        print("no busybox found: install busybox-static or pass --busybox", file=sys.stderr)
        return 1
    digest = build(busybox, args.output)
    print(f"wrote {args.output} ({digest})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
