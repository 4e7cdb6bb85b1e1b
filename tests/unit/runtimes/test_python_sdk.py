"""The runtime-owned SDK directory: the server's boto3 closure, built once, atomically."""

from __future__ import annotations

import importlib.metadata
import os
from pathlib import Path

import pytest

from ovis.runtimes.python import sdk


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OVIS_PYTHON_SDK_DIR", str(tmp_path / "sdk"))
    return tmp_path / "sdk"


def test_the_closure_is_boto3_and_what_it_needs_without_extras() -> None:
    names = set(sdk.closure())
    assert {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "urllib3"} <= names
    assert "awscrt" not in names and "uvicorn" not in names and "click" not in names
    assert sdk.versions()["boto3"] == importlib.metadata.version("boto3")


def test_ensure_builds_the_directory_once_and_it_holds_only_the_sdk(root: Path) -> None:
    path = sdk.ensure("python3.11")
    assert path == root / "python3.11"
    assert sdk.read_manifest(path) == sdk.versions()
    assert sdk.top_level_names(path) == sdk.DEFAULT_TOP_LEVEL
    assert (path / "boto3" / "__init__.py").is_file()
    assert any(p.name.startswith("boto3-") for p in path.glob("*.dist-info"))
    assert not (path / "bin").exists()  # console scripts are not the SDK's
    assert os.stat(path).st_mode & 0o005 == 0o005  # readable by the instances' uids
    inode = os.stat(path).st_ino
    assert sdk.ensure("python3.11") == path and os.stat(path).st_ino == inode  # kept as is
    assert not [p for p in root.iterdir() if p.name.startswith(".")]  # no work dirs left


def test_a_stale_directory_is_replaced(root: Path) -> None:
    path = sdk.ensure("python3.11")
    (path / sdk.MANIFEST).write_text('{"boto3": "0.0.1"}')
    assert sdk.read_manifest(sdk.ensure("python3.11")) == sdk.versions()


def test_bundled_finds_sdk_packages_and_modules_a_function_ships(tmp_path: Path) -> None:
    (tmp_path / "code" / "botocore").mkdir(parents=True)
    (tmp_path / "layer").mkdir()
    (tmp_path / "layer" / "six.py").write_text("")
    dirs = [str(tmp_path / "code"), str(tmp_path / "layer"), str(tmp_path / "absent")]
    assert sdk.bundled(sdk.DEFAULT_TOP_LEVEL, dirs) == ["botocore", "six"]
    assert sdk.bundled(sdk.DEFAULT_TOP_LEVEL, [str(tmp_path / "absent")]) == []


class NoRecord(importlib.metadata.Distribution):
    """A distribution installed without a RECORD (as some system packages are)."""

    def __init__(self, site: Path) -> None:
        self.site = site

    def read_text(self, filename: str) -> str | None:
        return "pkg\nmod\n" if filename == "top_level.txt" else None

    def locate_file(self, path: str | os.PathLike[str]) -> Path:
        return self.site / str(path)


def test_a_distribution_without_a_record_is_copied_by_its_top_level_names(tmp_path: Path) -> None:
    site, dest = tmp_path / "site", tmp_path / "dest"
    (site / "pkg" / "sub").mkdir(parents=True)
    (site / "pkg" / "sub" / "__init__.py").write_text("X = 1\n")
    (site / "mod.py").write_text("Y = 2\n")
    dest.mkdir()
    sdk._install(NoRecord(site), dest)
    assert (dest / "pkg" / "sub" / "__init__.py").read_text() == "X = 1\n"
    assert (dest / "mod.py").read_text() == "Y = 2\n"
