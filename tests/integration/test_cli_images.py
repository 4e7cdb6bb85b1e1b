"""`ovis image` and the data directory: found like the server finds it (--data-dir,
OVIS_DATA_DIR, .ovis-data), and a failed import leaves nothing behind."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import tarfile
import time
import urllib.request
from pathlib import Path

from tests.conftest import free_port
from tests.imagebuild import Layer, oci_archive
from tests.integration.test_cli import cli_env, ovis

CONFIG = {"Entrypoint": ["/bootstrap"], "Cmd": ["handler.main"], "Env": ["PATH=/bin"]}


def tiny_image(path: Path) -> str:
    """A one-layer OCI archive at `path`; returns its manifest digest."""
    layer = Layer().file("bootstrap", "#!/bin/sh\n", 0o755)
    return oci_archive(path, [(layer, "gzip")], **CONFIG)


def damaged_image(tmp_path: Path) -> Path:
    """A copy of a valid OCI archive whose blobs' bytes no longer match their digests."""
    good, bad = tmp_path / "good.tar", tmp_path / "damaged.tar"
    tiny_image(good)
    with tarfile.open(good) as src, tarfile.open(bad, "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else b""  # type: ignore[union-attr]
            if member.name.startswith("blobs/"):
                data = bytes(b ^ 0xFF for b in data)
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    return bad


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_failed_imports_create_nothing(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    # A missing file: refused before anything is written, default data dir included.
    r = ovis(None, "image", "import", str(tmp_path / "missing.tar"), cwd=work)
    assert r.returncode == 2 and "does not exist" in r.stderr
    # A corrupt archive, into an explicit, an environment and the default data dir.
    corrupt = tmp_path / "corrupt.tar"
    corrupt.write_bytes(b"this is not a tar archive" * 100)
    runs = [
        ("--data-dir", str(work / "explicit" / "deep")),
        (),
    ]
    for extra in runs:
        r = ovis(None, "image", "import", str(corrupt), "--name", "x:1", *extra, cwd=work)
        assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    r = ovis(
        None,
        "image",
        "import",
        str(corrupt),
        env={"OVIS_DATA_DIR": str(work / "from-env")},
        cwd=work,
    )
    assert r.returncode == 1
    # A real archive with a damaged blob fails inside the store, past the format check.
    r = ovis(None, "image", "import", str(damaged_image(tmp_path)), "--name", "x:1", cwd=work)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "digest" in r.stderr.lower() or "sha256" in r.stderr, r.stderr
    assert tree(work) == []


def test_failed_import_into_an_existing_data_dir_keeps_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "keep.txt").write_text("server state\n")
    corrupt = tmp_path / "corrupt.tar"
    corrupt.write_bytes(b"\0" * 4096)
    r = ovis(None, "image", "import", str(corrupt), "--name", "x:1", "--data-dir", str(data))
    assert r.returncode == 1
    assert tree(data) == ["keep.txt"]


def test_image_commands_honour_ovis_data_dir(tmp_path: Path) -> None:
    archive = tmp_path / "img.tar"
    digest = tiny_image(archive)
    data = tmp_path / "shared-data"
    env = {"OVIS_DATA_DIR": str(data)}
    r = ovis(None, "image", "import", str(archive), "--name", "tiny:1", env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "ImageUri: tiny:1" in r.stdout
    assert (data / "images").is_dir() and not (tmp_path / ".ovis-data").exists()

    listed = json.loads(ovis(None, "image", "list", "--json", env=env).stdout)
    assert {"Reference": "tiny:1", "Digest": digest} in [
        {k: e[k] for k in ("Reference", "Digest")} for e in listed
    ]
    rows = ovis(None, "image", "list", env=env).stdout.splitlines()
    assert rows[0].split("\t") == ["Reference", "Digest", "Size", "Command"]
    assert f"tiny:1\t{digest}\t" in "\n".join(rows)  # the whole digest, when piped
    # --data-dir wins over the environment.
    other = json.loads(
        ovis(None, "image", "list", "--json", "--data-dir", str(tmp_path / "none"), env=env).stdout
    )
    assert other == []


def test_server_honours_ovis_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "server-data"
    port = free_port()
    log = tmp_path / "server.log"
    with (
        open(log, "wb") as out,
        subprocess.Popen(
            [sys.executable, "-m", "ovis", "server", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=cli_env(None, {"OVIS_DATA_DIR": str(data)}),
            cwd=tmp_path,
        ) as proc,
    ):
        try:
            deadline = time.monotonic() + 30
            while True:
                assert proc.poll() is None, log.read_text()
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_ovis/health", timeout=1):
                        break
                except OSError:
                    assert time.monotonic() < deadline, log.read_text()
                    time.sleep(0.1)
            assert data.is_dir() and any(data.iterdir())
            assert not (tmp_path / ".ovis-data").exists()
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    r = ovis(None, "server", "--help")
    assert "OVIS_DATA_DIR" in r.stdout
