"""ImageStore: import OCI layouts, OCI archives and docker save tarballs; layers, whiteouts and the
safety rules of unpacking; references."""

from __future__ import annotations

import json
import os
import stat
import tarfile
import uuid
from pathlib import Path

import pytest

from ovis.storage.images import (
    ImageError,
    ImageStore,
    Reference,
    parse_reference,
    resolve_in_rootfs,
)
from tests.imagebuild import Layer, docker_save, oci_archive, oci_layout


def base_layer() -> Layer:
    return (
        Layer()
        .dir("bin")
        .file("bin/tool", "#!/bin/sh\necho tool\n", 0o755)
        .symlink("bin/alias", "tool")
        .dir("etc")
        .file("etc/secret.txt", "lower secret\n")
        .file("etc/keep.txt", "kept\n")
        .dir("data")
        .file("data/old.txt", "old\n")
        .dir("data/sub")
        .file("data/sub/deep.txt", "deep\n")
        .symlink("usrlink", "/bin")
    )


def upper_layer() -> Layer:
    return (
        Layer()
        .whiteout("etc/secret.txt")
        .dir("data")
        .file("data/new.txt", "new\n")  # listed before the opaque marker: still kept
        .opaque("data")
        .file("etc/added.txt", "added\n")
    )


@pytest.fixture
def store(tmp_path: Path) -> ImageStore:
    return ImageStore(tmp_path / "data" / "images")


def test_oci_archive_two_layers_whiteout_and_opaque(store: ImageStore, tmp_path: Path) -> None:
    archive = tmp_path / "img.tar"
    digest = oci_archive(
        archive,
        [(base_layer(), "gzip"), (upper_layer(), "zstd")],
        Entrypoint=["/bin/tool"],
        Cmd=["handler.main"],
        WorkingDir="/data",
        Env=["PATH=/bin", "GREETING=hello=world"],
        User="1000",
    )
    result = store.import_archive(archive, "myimg:1.0")
    rec = result.record
    assert result.unpacked
    assert rec.digest == digest
    assert result.references == ("myimg:1.0", f"myimg@{digest}")
    assert rec.entrypoint == ("/bin/tool",) and rec.cmd == ("handler.main",)
    assert rec.workdir == "/data" and rec.user == "1000"
    assert rec.env == {"PATH": "/bin", "GREETING": "hello=world"}
    assert len(rec.layers) == 2

    root = store.rootfs_path(digest)
    assert not (root / "etc" / "secret.txt").exists()  # whiteout
    assert (root / "etc" / "keep.txt").read_text() == "kept\n"
    assert (root / "etc" / "added.txt").read_text() == "added\n"
    assert sorted(os.listdir(root / "data")) == ["new.txt"]  # opaque: lower children gone
    assert not any(n.startswith(".wh.") for _, _, files in os.walk(root) for n in files)
    assert os.readlink(root / "bin" / "alias") == "tool"
    assert stat.S_IMODE((root / "bin" / "tool").stat().st_mode) == 0o755
    for name, mode in (("proc", 0o555), ("dev", 0o755), ("tmp", 0o1777)):
        assert stat.S_IMODE((root / name).stat().st_mode) == mode
    assert resolve_in_rootfs(root, "/usrlink/tool") == str(root / "bin" / "tool")

    for text in ("myimg:1.0", f"myimg@{digest}", f"myimg:1.0@{digest}"):
        found = store.resolve(text)
        assert found is not None and found[1].digest == digest, text
    assert store.resolve("myimg:2.0") is None
    assert store.resolve("myimg") is None  # myimg:latest was never imported
    assert store.resolve("other@" + digest) is None

    again = store.import_archive(archive, "myimg")  # same content, another tag: no unpack
    assert not again.unpacked and again.record.size == rec.size > 0
    assert store.resolve("myimg")[1].digest == digest  # type: ignore[index]


def test_oci_layout_directory_and_name_from_annotation(store: ImageStore, tmp_path: Path) -> None:
    layout = tmp_path / "layout"
    digest = oci_layout(layout, [(base_layer(), "tar")], ref_name="fromlayout:v2", Cmd=["x"])
    result = store.import_archive(layout)
    assert result.references == ("fromlayout:v2", f"fromlayout@{digest}")
    assert (store.rootfs_path(digest) / "data" / "sub" / "deep.txt").read_text() == "deep\n"


def test_no_name_anywhere_is_refused(store: ImageStore, tmp_path: Path) -> None:
    archive = tmp_path / "img.tar"
    oci_archive(archive, [(base_layer(), "gzip")], ref_name="latest")  # a tag, not a name
    with pytest.raises(ImageError, match="--name"):
        store.import_archive(archive)


def test_docker_save_tarball(store: ImageStore, tmp_path: Path) -> None:
    archive = tmp_path / "saved.tar"
    docker_save(
        archive,
        [base_layer(), upper_layer()],
        repo_tags=["public.ecr.aws/lambda/example:3.12"],
        Entrypoint=["/bin/tool"],
        Env=["A=1"],
    )
    result = store.import_archive(archive)
    _ref, rec = store.resolve("public.ecr.aws/lambda/example:3.12")  # type: ignore[misc]
    assert rec.digest == result.record.digest and rec.source == "docker-save"
    assert result.references[1] == f"public.ecr.aws/lambda/example@{rec.digest}"
    root = store.rootfs_path(rec.digest)
    assert not (root / "etc" / "secret.txt").exists()
    assert sorted(os.listdir(root / "data")) == ["new.txt"]
    manifest = json.loads(store.blob_path(rec.digest).read_bytes())
    assert [layer["digest"] for layer in manifest["layers"]] == list(rec.layers)


def _tamper(archive: Path, out: Path, victim: str, data: bytes) -> None:
    with tarfile.open(archive) as src, tarfile.open(out, "w") as dst:
        for m in src.getmembers():
            f = src.extractfile(m)
            content = f.read() if f else b""
            if m.name == victim:
                content = data
                m.size = len(data)
            dst.addfile(m, __import__("io").BytesIO(content))


def test_corrupt_blob_is_refused(store: ImageStore, tmp_path: Path) -> None:
    archive = tmp_path / "img.tar"
    digest = oci_archive(archive, [(base_layer(), "gzip")], ref_name="x:1")
    with tarfile.open(archive) as tf:
        manifest = json.loads(tf.extractfile(f"blobs/sha256/{digest[7:]}").read())  # type: ignore[union-attr]
    layer = manifest["layers"][0]["digest"][7:]
    bad = tmp_path / "bad.tar"
    _tamper(archive, bad, f"blobs/sha256/{layer}", b"\x1f\x8b not the layer")
    with pytest.raises(ImageError, match="corrupt or tampered"):
        store.import_archive(bad)
    assert store.resolve("x:1") is None
    assert list((store.root / "tmp").iterdir()) == []


def test_diff_id_mismatch_is_refused(store: ImageStore, tmp_path: Path) -> None:
    """The config's diff_ids name each layer's uncompressed content."""
    from tests import imagebuild

    original = imagebuild.image_config

    def lying(tars: list[bytes], **cfg: object) -> bytes:
        return original([*tars[:-1], b"something else"], **cfg)

    imagebuild.image_config = lying  # type: ignore[assignment]
    try:
        archive = tmp_path / "img.tar"
        oci_archive(archive, [(base_layer(), "gzip")], ref_name="x:1")
    finally:
        imagebuild.image_config = original
    with pytest.raises(ImageError, match="uncompressed digest"):
        store.import_archive(archive)


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        (Layer().file("../escape.txt", "x"), "path traversal"),
        (Layer().file("a/../../escape.txt", "x"), "path traversal"),
        (Layer().dir("a").symlink("a/up", "../../etc/passwd"), "points outside"),
        (Layer().hardlink("pw", "../etc/passwd"), "path traversal"),
        (Layer().hardlink("pw", "/no/such/file"), "no file to link to"),
    ],
)
def test_escapes_are_refused(store: ImageStore, tmp_path: Path, layer: Layer, message: str) -> None:
    archive = tmp_path / "img.tar"
    oci_archive(archive, [(layer, "gzip")], ref_name="evil:1")
    with pytest.raises(ImageError, match=message):
        store.import_archive(archive)
    assert not (tmp_path / "escape.txt").exists()
    assert not (store.root / "escape.txt").exists()
    assert store.resolve("evil:1") is None


def test_absolute_symlinks_resolve_inside_the_rootfs(store: ImageStore, tmp_path: Path) -> None:
    """A layer's symlink to a host path, then a file written through it: it lands inside."""
    outside = tmp_path / f"outside-{uuid.uuid4().hex[:8]}"
    outside.mkdir()
    lower = Layer().symlink("trap", str(outside)).symlink("up", "/../../..")
    upper = Layer().file("trap/pwned.txt", "x").file("up/also.txt", "y")
    archive = tmp_path / "img.tar"
    digest = oci_archive(archive, [(lower, "gzip"), (upper, "gzip")], ref_name="trap:1")
    store.import_archive(archive)
    root = store.rootfs_path(digest)
    assert list(outside.iterdir()) == []
    assert (root / str(outside).lstrip("/") / "pwned.txt").read_text() == "x"
    assert (root / "also.txt").read_text() == "y"


def test_hardlinks_setuid_and_leading_slashes(store: ImageStore, tmp_path: Path) -> None:
    layer = (
        Layer()
        .dir("/bin")
        .file("/bin/su", "binary", 0o4755)
        .hardlink("./bin/su2", "bin/su")
        .file("./etc/nested/deep.conf", "made parents")
    )
    archive = tmp_path / "img.tar"
    digest = oci_archive(archive, [(layer, "tar")], ref_name="links:1")
    store.import_archive(archive)
    root = store.rootfs_path(digest)
    st = (root / "bin" / "su").stat()
    assert stat.S_IMODE(st.st_mode) == 0o755  # set-uid dropped
    assert st.st_nlink == 2 and (root / "bin" / "su2").stat().st_ino == st.st_ino
    assert (root / "etc" / "nested" / "deep.conf").read_text() == "made parents"


def test_not_an_image(store: ImageStore, tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar"
    with tarfile.open(junk, "w"):
        pass
    with pytest.raises(ImageError, match="not an OCI image layout"):
        store.import_archive(junk)
    text = tmp_path / "text.txt"
    text.write_text("hello")
    with pytest.raises(ImageError, match="not a readable tar"):
        store.import_archive(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("app", Reference("app", "latest")),
        ("app:1.2", Reference("app", "1.2")),
        ("localhost:5000/team/app", Reference("localhost:5000/team/app", "latest")),
        (
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1",
            Reference("123456789012.dkr.ecr.us-east-1.amazonaws.com/app", "v1"),
        ),
        ("app@sha256:" + "a" * 64, Reference("app", None, "sha256:" + "a" * 64)),
    ],
)
def test_parse_reference(text: str, expected: Reference) -> None:
    assert parse_reference(text) == expected


@pytest.mark.parametrize("text", ["", "App:1", "app:", "app@sha256:abc", "app@md5:" + "a" * 64])
def test_parse_reference_rejects(text: str) -> None:
    with pytest.raises(ImageError):
        parse_reference(text)


def test_multi_platform_index_picks_the_host_platform(store: ImageStore, tmp_path: Path) -> None:
    """An index of per-platform manifests (with an attestation): only this host's is imported."""
    import hashlib
    import platform

    from tests.imagebuild import oci_blobs

    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    blobs, inner, digest = oci_blobs([(base_layer(), "gzip")])
    (desc,) = inner["manifests"]
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {**desc, "platform": {"os": "linux", "architecture": arch}},
            {
                **desc,
                "digest": "sha256:" + "1" * 64,
                "platform": {"os": "linux", "architecture": "s390x"},
            },
            {
                **desc,
                "digest": "sha256:" + "2" * 64,
                "platform": {"os": "unknown", "architecture": "unknown"},
                "annotations": {"vnd.docker.reference.type": "attestation-manifest"},
            },
        ],
    }
    raw = json.dumps(index).encode()
    index_digest = "sha256:" + hashlib.sha256(raw).hexdigest()
    blobs[index_digest] = raw
    layout = tmp_path / "layout"
    (layout / "blobs" / "sha256").mkdir(parents=True)
    (layout / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    top = {
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "digest": index_digest,
        "size": len(raw),
        "annotations": {"io.containerd.image.name": "docker.io/library/multi:3"},
    }
    (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [top]}))
    for d, blob in blobs.items():
        (layout / "blobs" / "sha256" / d[7:]).write_bytes(blob)
    result = store.import_archive(layout)
    assert result.record.digest == digest
    assert result.references[0] == "docker.io/library/multi:3"


def test_cli_import_and_list(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from ovis.cli.main import cli

    archive = tmp_path / "img.tar"
    digest = oci_archive(archive, [(base_layer(), "gzip"), (upper_layer(), "zstd")], Cmd=["x.y"])
    data = str(tmp_path / "data")
    runner = CliRunner()
    r = runner.invoke(cli, ["image", "import", str(archive), "--name", "cli:1", "--data-dir", data])
    assert r.exit_code == 0, r.output
    assert "Imported sha256:" in r.output and "2 layers" in r.output
    assert f"ImageUri: cli@{digest}" in r.output
    r = runner.invoke(cli, ["image", "import", str(archive), "--name", "cli:2", "--data-dir", data])
    assert r.exit_code == 0 and "Already imported" in r.output
    r = runner.invoke(cli, ["image", "list", "--data-dir", data])
    assert "cli:1" in r.output and "cli:2" in r.output and "x.y" in r.output
    bad = tmp_path / "bad.tar"
    bad.write_bytes(b"not a tar at all")
    r = runner.invoke(cli, ["image", "import", str(bad), "--name", "x:1", "--data-dir", data])
    assert r.exit_code == 1 and "not a readable tar archive" in r.output
    r = runner.invoke(
        cli, ["image", "import", str(archive), "--name", "Bad:Name", "--data-dir", data]
    )
    assert r.exit_code == 1 and "not a valid image reference" in r.output


def test_opaque_directory_over_a_lower_symlink(store: ImageStore, tmp_path: Path) -> None:
    """A layer that turns a symlinked directory into a real one hides nothing behind the link."""
    lower = Layer().dir("usr").dir("usr/lib").file("usr/lib/keep.so", "k").symlink("lib", "usr/lib")
    upper = Layer().dir("lib").opaque("lib").file("lib/new.so", "n").whiteout("lib/keep.so")
    archive = tmp_path / "img.tar"
    digest = oci_archive(archive, [(lower, "gzip"), (upper, "gzip")], ref_name="links:2")
    store.import_archive(archive)
    root = store.rootfs_path(digest)
    assert (root / "usr" / "lib" / "keep.so").read_text() == "k"
    assert not (root / "lib").is_symlink() and sorted(os.listdir(root / "lib")) == ["new.so"]
