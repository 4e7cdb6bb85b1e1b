"""The console's code editor: CodeMirror 6 pinned by the committed ``package.json`` +
``package-lock.json`` here, bundled with ``entry.js`` by esbuild into one ES module,
``<sys.prefix>/share/ovis/console/codemirror.js`` (``python -m
ovis.frontdoor.console.editor.install``; ``make run`` and ``make test`` run it).

Contract: the functions here only look at the file system (no process is run); the bundle
counts as installed once the file exists, because the installer renames a finished bundle into
place and never leaves a partial one there.
"""

from __future__ import annotations

import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parent  # package.json, package-lock.json, entry.js
BUNDLE = "codemirror.js"  # what the page imports: /console/static/codemirror.js


def bundle_dir() -> Path:
    """Where the bundle is installed (the same for the installer and the server)."""
    return Path(sys.prefix) / "share" / "ovis" / "console"


def bundle_path(root: Path | None = None) -> Path | None:
    """The installed bundle, or None when it is not installed (the page then falls back to
    a plain textarea and says so)."""
    path = (root or bundle_dir()) / BUNDLE
    return path if path.is_file() else None
