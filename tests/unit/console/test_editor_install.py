"""The editor bundle's installer (ovis/frontdoor/console/editor/install.py): without npm it
builds nothing and says so (an error only with --require); a current bundle costs no build
(no npm needed); a change of the sources makes it stale."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ovis.frontdoor.console.editor import BUNDLE, SOURCE, bundle_path
from ovis.frontdoor.console.editor.install import STAMP, install, is_current, source_digest


def test_without_npm_nothing_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert install(tmp_path / "root", require_npm=False) == 0
    assert "npm not found" in capsys.readouterr().err
    assert bundle_path(tmp_path / "root") is None
    assert install(tmp_path / "root", require_npm=True) == 1


def test_a_current_bundle_is_left_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / BUNDLE).write_text("export const built = 1;\n")
    (root / STAMP).write_text(source_digest() + "\n")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no npm: a rebuild would fail
    assert is_current(root)
    assert install(root, require_npm=True) == 0
    assert (root / BUNDLE).read_text() == "export const built = 1;\n"


def test_a_changed_source_is_stale(tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(SOURCE, source, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    root = tmp_path / "root"
    root.mkdir()
    (root / BUNDLE).write_text("old")
    (root / STAMP).write_text(source_digest(source) + "\n")
    assert is_current(root, source)
    (source / "entry.js").write_text((source / "entry.js").read_text() + "// changed\n")
    assert not is_current(root, source)


def test_assets_serve_the_bundle_or_say_it_is_missing(tmp_path: Path) -> None:
    from ovis.frontdoor.console.service import NO_EDITOR, _assets

    assert _assets(tmp_path)[BUNDLE] == NO_EDITOR  # the Code tab then keeps its textarea
    (tmp_path / BUNDLE).write_text("export const EditorView = 1;\n")
    assets = _assets(tmp_path)
    assert assets[BUNDLE] == b"export const EditorView = 1;\n"
    assert b"registerFunctionTab" in assets["fn_code.js"]
