"""Deployment package safety: what inspect_zip refuses and what extract_zip never writes."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import stat
import zipfile
from pathlib import Path

import pytest

from ovis.errors import InvalidParameterValueException, RequestEntityTooLargeException
from ovis.services.lambda_ import package
from ovis.services.lambda_.package import (
    MAX_UNZIPPED_BYTES,
    UNZIP_ERROR,
    extract_zip,
    inspect_zip,
)


def make_zip(
    entries: list[tuple[str, bytes | str, int | None]],
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """A zip of (name, content, unix mode or None) entries, in order."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, content, mode in entries:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = compression
            if mode is not None:
                info.external_attr = mode << 16
            zf.writestr(info, content)
    return buf.getvalue()


def symlink(name: str, target: str) -> tuple[str, str, int]:
    return (name, target, stat.S_IFLNK | 0o777)


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    """An empty extraction directory two levels below tmp_path (room to detect escapes)."""
    d = tmp_path / "outer" / "inner" / "dest"
    d.mkdir(parents=True)
    return d


def all_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


# ---- inspect_zip ----------------------------------------------------------------------------


def test_inspect_reports_digest_size_and_unzipped_size() -> None:
    data = make_zip([("app.py", "x = 1\n", None), ("pkg/mod.py", b"y" * 1000, None)])
    info = inspect_zip(data)
    digest = hashlib.sha256(data).digest()
    assert info.digest == digest.hex()
    assert info.sha256_b64 == base64.b64encode(digest).decode()
    assert info.size == len(data)
    assert info.unzipped_size == 6 + 1000


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not a zip at all",
        b"PK\x03\x04" + b"\x00" * 40,  # a local header and nothing else
        make_zip([("app.py", "x = 1\n", None)])[:-10],  # truncated central directory
    ],
)
def test_not_a_zip(data: bytes) -> None:
    with pytest.raises(InvalidParameterValueException) as ei:
        inspect_zip(data)
    assert ei.value.message == UNZIP_ERROR
    assert ei.value.status == 400


def test_corrupt_member_is_refused() -> None:
    data = bytearray(make_zip([("app.py", b"a" * 5000, None)], zipfile.ZIP_STORED))
    data[100] ^= 0xFF  # inside the stored bytes: CRC mismatch
    with pytest.raises(InvalidParameterValueException) as ei:
        inspect_zip(bytes(data))
    assert ei.value.message == UNZIP_ERROR


@pytest.mark.parametrize(
    "name",
    ["../evil.py", "a/../../evil.py", "/etc/evil.py", "..", "..\\evil.py", "a/..\\..\\evil.py"],
)
def test_names_escaping_the_package_are_refused(name: str) -> None:
    data = make_zip([("app.py", "x", None), (name, "pwned", None)])
    with pytest.raises(InvalidParameterValueException) as ei:
        inspect_zip(data)
    assert "points outside the package" in ei.value.message


def test_names_that_stay_inside_are_fine() -> None:
    inspect_zip(make_zip([("a/../b.py", "x", None), ("./c.py", "y", None), ("d/", "", None)]))


def test_declared_unzipped_size_over_budget() -> None:
    # 300 KB of zeros compresses to a few hundred bytes; the budget is what is compared.
    data = make_zip([("zeros.bin", bytes(300_000), None)])
    assert len(data) < 2_000
    with pytest.raises(InvalidParameterValueException) as ei:
        inspect_zip(data, budget=256_000)
    assert ei.value.message == "Unzipped size must be smaller than 256000 bytes"
    assert inspect_zip(data, budget=300_000).unzipped_size == 300_000


def test_declared_size_sums_all_entries() -> None:
    data = make_zip([(f"f{i}.bin", bytes(60_000), None) for i in range(5)])
    with pytest.raises(InvalidParameterValueException):
        inspect_zip(data, budget=299_999)
    inspect_zip(data, budget=300_000)


def test_default_budget_is_250_mb() -> None:
    assert MAX_UNZIPPED_BYTES == 250 * 1024 * 1024  # AWS: 262,144,000 bytes


def test_zip_over_upload_limit_is_413(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(package, "MAX_ZIP_BYTES", 1000)
    data = make_zip([("blob.bin", os.urandom(2000), None)], zipfile.ZIP_STORED)
    with pytest.raises(RequestEntityTooLargeException) as ei:
        inspect_zip(data)
    assert ei.value.status == 413


# ---- extract_zip ----------------------------------------------------------------------------


def test_extract_writes_files_and_modes(dest: Path) -> None:
    data = make_zip(
        [
            ("app.py", "def handler(e, c):\n    return 1\n", 0o100644),
            ("bin/tool", "#!/bin/sh\n", 0o100777),  # world-writable in the zip
            ("lib/", "", stat.S_IFDIR | 0o755),
            ("lib/data.txt", "data", None),  # no unix mode at all
            ("lib/secret", "s", 0o100000),  # no permission bits: still readable afterwards
        ]
    )
    extract_zip(data, dest)
    assert (dest / "app.py").read_text().startswith("def handler")
    assert (dest / "lib" / "data.txt").read_text() == "data"
    assert stat.S_IMODE((dest / "bin" / "tool").stat().st_mode) == 0o755  # no group/other write
    assert stat.S_IMODE((dest / "app.py").stat().st_mode) == 0o644
    assert stat.S_IMODE((dest / "lib" / "data.txt").stat().st_mode) == 0o644
    assert stat.S_IMODE((dest / "lib" / "secret").stat().st_mode) == 0o444


def test_extract_refuses_traversal(dest: Path) -> None:
    with pytest.raises(InvalidParameterValueException):
        extract_zip(make_zip([("../evil.py", "pwned", None)]), dest)
    assert not (dest.parent / "evil.py").exists()


def test_symlink_inside_the_package_is_kept(dest: Path) -> None:
    data = make_zip([("real.py", "x = 1\n", None), symlink("alias.py", "real.py")])
    extract_zip(data, dest)
    assert os.readlink(dest / "alias.py") == "real.py"
    assert (dest / "alias.py").read_text() == "x = 1\n"


@pytest.mark.parametrize(
    "target", ["../outside", "../../../../etc/passwd", "/etc/passwd", "a/../../x"]
)
def test_symlink_pointing_outside_is_refused(dest: Path, target: str) -> None:
    data = make_zip([("app.py", "x", None), symlink("link", target)])
    with pytest.raises(InvalidParameterValueException) as ei:
        extract_zip(data, dest)
    assert "symlink" in ei.value.message and "outside the package" in ei.value.message


def test_write_through_symlinked_directory_is_refused(dest: Path) -> None:
    data = make_zip([symlink("up", ".."), ("up/evil.py", "pwned", None)])
    with pytest.raises(InvalidParameterValueException):
        extract_zip(data, dest)
    assert not (dest.parent / "evil.py").exists()


def test_symlink_chain_cannot_escape(dest: Path, tmp_path: Path) -> None:
    """Each link looks inside on its own ("L/../../.." is "." lexically) but chained they escape.

    q/r/L -> ../.. resolves to the root; E -> q/r/L/../../.. then resolves to the root's
    grandparent, and E/evil.py would be written outside the package.
    """
    data = make_zip(
        [
            ("q/r/keep.txt", "k", None),
            symlink("q/r/L", "../.."),
            symlink("E", "q/r/L/../../.."),
            ("E/evil.py", "pwned", None),
        ]
    )
    with pytest.raises(InvalidParameterValueException):
        extract_zip(data, dest)
    assert not any(p.name == "evil.py" for p in tmp_path.rglob("*"))


def test_symlink_that_escapes_only_after_a_later_link_is_refused(dest: Path) -> None:
    """A checked before B exists: x/B/../.. is lexically the root; once B exists it is not."""
    data = make_zip(
        [
            ("x/", "", stat.S_IFDIR | 0o755),
            ("q/r/keep.txt", "k", None),
            symlink("q/r/L", "../.."),
            symlink("A", "x/B/../.."),
            symlink("x/B", "../q/r/L"),
        ]
    )
    with pytest.raises(InvalidParameterValueException) as ei:
        extract_zip(data, dest)
    assert "outside the package" in ei.value.message


def test_actual_bytes_are_counted_not_only_headers(dest: Path) -> None:
    # inspect_zip trusts the central directory; extract_zip counts what it really writes.
    data = make_zip([("a.bin", bytes(70_000), None), ("b.bin", bytes(70_000), None)])
    with pytest.raises(InvalidParameterValueException) as ei:
        extract_zip(data, dest, budget=100_000)
    assert ei.value.message == "Unzipped size must be smaller than 100000 bytes"


def test_extract_of_garbage_is_unzip_error(dest: Path) -> None:
    with pytest.raises(InvalidParameterValueException) as ei:
        extract_zip(b"garbage", dest)
    assert ei.value.message == UNZIP_ERROR


def test_extracted_tree_matches_the_zip(dest: Path) -> None:
    files = {"app.py": b"print(1)\n", "pkg/__init__.py": b"", "pkg/deep/x.json": b"{}"}
    extract_zip(make_zip([(n, c, None) for n, c in files.items()]), dest)
    assert {k for k in all_files(dest) if (dest / k).is_file()} == set(files)
    for name, content in files.items():
        assert (dest / name).read_bytes() == content
