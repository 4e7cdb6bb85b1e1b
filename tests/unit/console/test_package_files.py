"""The Code tab's view of a package: listing, editing, what is carried over, what is refused."""

from __future__ import annotations

import io
import zipfile

import pytest

from ovis.frontdoor.console import package_files


def _zip(entries: dict[str, bytes], mode: int = 0o644) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            zf.writestr(info, data)
    return buf.getvalue()


def test_files_lists_text_and_binary() -> None:
    listed, editable = package_files.files(_zip({"app.py": b"x = 1\n", "lib.so": b"\xff\x00\xfe"}))
    assert editable
    assert [(f.path, f.size, f.text) for f in listed] == [
        ("app.py", 6, "x = 1\n"),
        ("lib.so", 3, None),
    ]


def test_a_large_package_is_not_editable() -> None:
    big = b"a" * (package_files.MAX_EDITABLE + 1)
    listed, editable = package_files.files(_zip({"big.txt": big}))
    assert not editable and listed[0].text is None


def test_edited_replaces_adds_and_keeps_the_rest_byte_for_byte() -> None:
    old = _zip({"app.py": b"old\n", "bin/tool": b"\x7fELF\x00"}, mode=0o755)
    new = package_files.edited(old, {"app.py": "new\n", "pkg/util.py": "u = 2\n"})
    with zipfile.ZipFile(io.BytesIO(new)) as zf:
        assert zf.namelist() == ["app.py", "bin/tool", "pkg/util.py"]
        assert zf.read("app.py") == b"new\n"
        assert zf.read("bin/tool") == b"\x7fELF\x00"
        assert zf.getinfo("bin/tool").external_attr >> 16 == 0o755
        assert zf.read("pkg/util.py") == b"u = 2\n"


@pytest.mark.parametrize("path", ["", "/etc/passwd", "../x.py", "a/../../x", "a\\b.py", "a//b"])
def test_paths_that_could_escape_are_refused(path: str) -> None:
    with pytest.raises(ValueError):
        package_files.edited(_zip({"app.py": b""}), {path: "x"})
