"""`make run` installs the server and nothing of the test or lint tooling (issue #11)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent

# Distributions that only the tests, linters and browser tests need.
DEV_ONLY = {
    "pytest",
    "pytest-xdist",
    "pytest-timeout",
    "pytest-cov",
    "coverage",
    "ruff",
    "mypy",
    "awscli",
    "awslambdaric",
    "playwright",
    "import-linter",
}


@pytest.mark.timeout(600)  # a fresh venv from PyPI: boto3, uvicorn, aws-sam-translator, ...
def test_the_server_install_has_no_test_tools(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.pop("OVIS_TEST_COVERAGE", None)
    # The Python install `make run` depends on (its other prerequisite, node-runtimes, puts
    # npm packages under the venv's share/, no Python distribution), into a fresh virtualenv.
    subprocess.run(
        [
            "make",
            "-C",
            str(ROOT),
            f"{venv}/.server-stamp",
            f"VENV={venv}",
            f"PYTHON={sys.executable}",
        ],
        check=True,
        env=env,
        capture_output=True,
        timeout=600,
    )
    out = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import importlib.metadata as m, json;"
            "print(json.dumps(sorted({d.metadata['Name'].lower() for d in m.distributions()})))",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    installed = set(json.loads(out.stdout))
    assert "ovis" in installed and "boto3" in installed and "uvicorn" in installed
    assert installed & DEV_ONLY == set()
    assert (venv / "bin" / "ovis").exists()
