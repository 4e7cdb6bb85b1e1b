"""Where the runtime-owned Node.js pieces live: the AWS SDK and Node builds from the npm registry.

``python -m ovis.runtimes.node.install`` installs each bundle of this package (a directory here
with a committed ``package.json`` + ``package-lock.json``: ``sdk``, ``node22``) with ``npm ci``
into ``<sys.prefix>/share/ovis/node/<bundle>``: inside the server's virtualenv, outside its data
directory, readable by every uid (instances run as unprivileged uids of their own).

Contract: the functions here only look at the file system (no process is run); a bundle counts
as installed once its directory exists, because the installer renames a finished install into
place and never leaves a partial one there.
"""

from __future__ import annotations

import sys
from pathlib import Path

SOURCES = Path(__file__).resolve().parent  # the committed package.json + lock of each bundle
BUNDLES = ("sdk", "node22")


def runtime_dir() -> Path:
    """Where the bundles are installed (the same for the installer and the server)."""
    return Path(sys.prefix) / "share" / "ovis" / "node"


def sdk_modules(root: Path | None = None) -> Path | None:
    """The installed SDK's ``node_modules`` (what Lambda has at /var/runtime/node_modules), or
    None when the SDK is not installed."""
    modules = (root or runtime_dir()) / "sdk" / "node_modules"
    return modules if (modules / "@aws-sdk").is_dir() else None


def node_binaries(root: Path | None = None) -> list[Path]:
    """The runtime-owned node executables (``node<N>/node_modules/node-<os>-<cpu>/bin/node``),
    in name order; which Node version each one is, only running it tells."""
    base = root or runtime_dir()
    return sorted(p for p in base.glob("node[0-9]*/node_modules/node-*/bin/node") if p.is_file())
