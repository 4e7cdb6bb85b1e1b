"""The `ovis` CLI end to end against a live server, as a user runs it in a terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path


def ovis(server, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    env = dict(
        os.environ,
        OVIS_ENDPOINT_URL=server.url,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_REGION="us-east-1",
        COLUMNS="200",
    )
    return subprocess.run(
        [sys.executable, "-m", "ovis", *args],
        input=stdin,
        text=True,
        capture_output=True,
        env=env,
        timeout=60,
    )


def test_deploy_invoke_list_logs_delete(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    name = f"cli-{uuid.uuid4().hex[:8]}"
    src = tmp_path / "fn"
    src.mkdir()
    (src / "app.py").write_text(
        "def handler(event, context):\n    print('cli-log-line')\n    return {'got': event}\n"
    )
    r = ovis(server, "deploy", str(src), "--name", name, "--env", "STAGE=test")
    assert r.returncode == 0, r.stderr
    assert name in r.stdout

    r = ovis(server, "invoke", name, '{"a": 1}', "--raw")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"got": {"a": 1}}

    r = ovis(server, "invoke", name, "-", "--raw", "--logs", stdin='{"b": 2}')
    assert r.returncode == 0 and json.loads(r.stdout) == {"got": {"b": 2}}
    assert "cli-log-line" in r.stderr and "REPORT RequestId" in r.stderr

    r = ovis(server, "list")
    assert r.returncode == 0 and name in r.stdout and "python3.11" in r.stdout

    # Redeploy with new code: an update, not a conflict.
    (src / "app.py").write_text("def handler(event, context):\n    return 'v2'\n")
    assert ovis(server, "deploy", str(src), "--name", name).returncode == 0
    assert json.loads(ovis(server, "invoke", name, "--raw").stdout) == "v2"

    r = ovis(server, "logs", name)
    assert r.returncode == 0, r.stderr
    assert "cli-log-line" in r.stdout and "START RequestId" in r.stdout

    r = ovis(server, "delete", name, "--yes")
    assert r.returncode == 0
    r = ovis(server, "invoke", name)
    assert r.returncode == 1 and "ResourceNotFoundException" in r.stderr


def test_function_error_exit_code(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    name = f"cli-err-{uuid.uuid4().hex[:8]}"
    (tmp_path / "app.py").write_text("def handler(e, c):\n    raise ValueError('nope')\n")
    assert ovis(server, "deploy", str(tmp_path), "--name", name).returncode == 0
    r = ovis(server, "invoke", name)
    assert r.returncode == 1
    assert "ValueError" in r.stdout + r.stderr


def test_server_not_running_hint() -> None:
    env = dict(
        os.environ,
        OVIS_ENDPOINT_URL="http://127.0.0.1:9",
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
    )
    r = subprocess.run(
        [sys.executable, "-m", "ovis", "list"], text=True, capture_output=True, env=env, timeout=60
    )
    assert r.returncode == 1
    assert "ovis server" in r.stderr or "make run" in r.stderr
