"""The registry picks the adapter by package type, then by runtime name; host runtimes."""

from __future__ import annotations

import sys

import pytest

from ovis.runtimes.image.adapter import ImageAdapter
from ovis.runtimes.node.adapter import NodeAdapter
from ovis.runtimes.provided.adapter import ProvidedAdapter
from ovis.runtimes.python.adapter import PythonAdapter
from ovis.runtimes.registry import CUSTOM_RUNTIMES, RuntimeRegistry, host_runtimes
from tests.unit.runtimes.configs import config


def test_adapter_for_each_runtime_family() -> None:
    registry = RuntimeRegistry()
    assert isinstance(registry.adapter_for(config("python3.13")), PythonAdapter)
    assert isinstance(registry.adapter_for(config("nodejs22.x")), NodeAdapter)
    assert isinstance(registry.adapter_for(config("provided.al2")), ProvidedAdapter)
    image = config("", package_type="Image")
    assert isinstance(registry.adapter_for(image), ImageAdapter)
    with pytest.raises(LookupError):
        registry.adapter_for(config("java21"))


def test_host_runtimes_include_this_python_and_the_custom_runtimes() -> None:
    own = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    found = host_runtimes([own, "python3.0", "nodejs0.x", *CUSTOM_RUNTIMES])
    assert found[own] == sys.executable
    assert "python3.0" not in found and "nodejs0.x" not in found
    assert all(found[name] == "" for name in CUSTOM_RUNTIMES)
