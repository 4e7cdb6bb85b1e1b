"""Build container images in tests, without Docker or downloads: layers as tars, then an OCI
layout (directory or archive) or a `docker save` tarball around them."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    from compression import zstd as _zstd  # Python 3.14+

    def _zstd_compress(data: bytes) -> bytes:
        return _zstd.compress(data)

except ImportError:
    import zstandard

    def _zstd_compress(data: bytes) -> bytes:
        return zstandard.ZstdCompressor().compress(data)


@dataclass
class Layer:
    """Entries of one layer: (name, content bytes | None for a dir, mode, symlink/hardlink)."""

    entries: list[tuple[str, str, bytes | str | None, int]] = field(default_factory=list)

    def dir(self, name: str, mode: int = 0o755) -> Layer:
        self.entries.append((name, "dir", None, mode))
        return self

    def file(self, name: str, data: bytes | str, mode: int = 0o644) -> Layer:
        self.entries.append((name, "file", data.encode() if isinstance(data, str) else data, mode))
        return self

    def symlink(self, name: str, target: str) -> Layer:
        self.entries.append((name, "symlink", target, 0o777))
        return self

    def hardlink(self, name: str, target: str) -> Layer:
        self.entries.append((name, "hardlink", target, 0o644))
        return self

    def whiteout(self, name: str) -> Layer:
        parent, _, base = name.rpartition("/")
        return self.file(f"{parent}/.wh.{base}" if parent else f".wh.{base}", b"")

    def opaque(self, directory: str) -> Layer:
        return self.file(f"{directory}/.wh..wh..opq", b"")

    def tar(self) -> bytes:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
            for name, kind, data, mode in self.entries:
                info = tarfile.TarInfo(name)
                info.mode = mode
                info.mtime = int(time.time())
                if kind == "dir":
                    info.type = tarfile.DIRTYPE
                    tf.addfile(info)
                elif kind == "symlink":
                    info.type = tarfile.SYMTYPE
                    info.linkname = str(data)
                    tf.addfile(info)
                elif kind == "hardlink":
                    info.type = tarfile.LNKTYPE
                    info.linkname = str(data)
                    tf.addfile(info)
                else:
                    assert isinstance(data, bytes)
                    info.size = len(data)
                    tf.addfile(info, io.BytesIO(data))
        return buf.getvalue()


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def compress(data: bytes, how: str) -> bytes:
    if how == "gzip":
        return gzip.compress(data)
    if how == "zstd":
        return _zstd_compress(data)
    return data


MEDIA = {
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
    "tar": "application/vnd.oci.image.layer.v1.tar",
}


def image_config(tars: list[bytes], **cfg: Any) -> bytes:
    return json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": cfg,
            "rootfs": {"type": "layers", "diff_ids": [sha(t) for t in tars]},
        }
    ).encode()


def oci_blobs(
    layers: list[tuple[Layer, str]], ref_name: str | None = None, **cfg: Any
) -> tuple[dict[str, bytes], dict[str, Any], str]:
    """(blobs by digest, index.json, manifest digest)."""
    tars = [layer.tar() for layer, _ in layers]
    blobs: dict[str, bytes] = {}
    descs = []
    for tar, (_, how) in zip(tars, layers, strict=True):
        blob = compress(tar, how)
        blobs[sha(blob)] = blob
        descs.append({"mediaType": MEDIA[how], "digest": sha(blob), "size": len(blob)})
    config = image_config(tars, **cfg)
    blobs[sha(config)] = config
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": sha(config),
                "size": len(config),
            },
            "layers": descs,
        }
    ).encode()
    blobs[sha(manifest)] = manifest
    desc: dict[str, Any] = {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": sha(manifest),
        "size": len(manifest),
    }
    if ref_name:
        desc["annotations"] = {"org.opencontainers.image.ref.name": ref_name}
    index = {"schemaVersion": 2, "manifests": [desc]}
    return blobs, index, sha(manifest)


def _add(tf: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tf.addfile(info, io.BytesIO(data))


def oci_archive(
    path: Path, layers: list[tuple[Layer, str]], ref_name: str | None = None, **cfg: Any
) -> str:
    """Write an OCI archive (tar of an image layout); returns the manifest digest."""
    blobs, index, digest = oci_blobs(layers, ref_name, **cfg)
    with tarfile.open(path, "w") as tf:
        _add(tf, "oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
        _add(tf, "index.json", json.dumps(index).encode())
        for d, blob in blobs.items():
            _add(tf, f"blobs/sha256/{d[7:]}", blob)
    return digest


def oci_layout(
    path: Path, layers: list[tuple[Layer, str]], ref_name: str | None = None, **cfg: Any
) -> str:
    """Write an OCI image layout directory; returns the manifest digest."""
    blobs, index, digest = oci_blobs(layers, ref_name, **cfg)
    (path / "blobs" / "sha256").mkdir(parents=True)
    (path / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (path / "index.json").write_text(json.dumps(index))
    for d, blob in blobs.items():
        (path / "blobs" / "sha256" / d[7:]).write_bytes(blob)
    return digest


def docker_save(
    path: Path, layers: list[Layer], repo_tags: list[str] | None = None, **cfg: Any
) -> None:
    """Write a `docker save` tarball (the classic format: <id>/layer.tar, <config>.json)."""
    tars = [layer.tar() for layer in layers]
    config = image_config(tars, **cfg)
    config_name = f"{sha(config)[7:]}.json"
    names = [f"{sha(t)[7:]}/layer.tar" for t in tars]
    manifest = [{"Config": config_name, "RepoTags": repo_tags, "Layers": names}]
    with tarfile.open(path, "w") as tf:
        _add(tf, config_name, config)
        for name, tar in zip(names, tars, strict=True):
            _add(tf, name, tar)
        _add(tf, "manifest.json", json.dumps(manifest).encode())
