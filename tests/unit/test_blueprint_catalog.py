"""The blueprint catalog and its packaging (ovis/blueprints/catalog.py, package.py): what every
blueprint must carry, what init writes and refuses, and what packaging produces."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from ovis.blueprints import catalog
from ovis.blueprints.package import (
    Overrides,
    PackageError,
    package_blueprint,
    package_files,
    zip_files,
)


def test_at_least_twelve_blueprints_in_python_and_node() -> None:
    blueprints = catalog.list_blueprints()
    assert len(blueprints) >= 12
    assert [b.name for b in blueprints] == sorted(b.name for b in blueprints)
    runtimes = {b.runtime for b in blueprints}
    assert {"python3.11", "nodejs22.x", "provided.al2023", "image"} <= runtimes


@pytest.mark.parametrize("bp", catalog.list_blueprints(), ids=lambda b: b.name)
def test_each_blueprint_is_a_sam_template_whose_main_function_has_presets(
    bp: catalog.Blueprint,
) -> None:
    template = bp.template()
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    main = template["Resources"][bp.function]
    assert main["Type"] == "AWS::Serverless::Function"
    presets = bp.presets()
    assert presets.memory and presets.timeout and presets.environment
    if presets.package_type == "Zip":
        assert presets.runtime == bp.runtime
        code = main["Properties"]["CodeUri"]
        assert any(p.startswith(code) for p in bp.files()), (code, list(bp.files()))
    assert bp.title and bp.description and bp.trigger
    assert "FunctionName" in template["Outputs"]


def test_get_unknown_names_the_known_ones() -> None:
    with pytest.raises(catalog.UnknownBlueprint) as e:
        catalog.get("nope")
    assert str(e.value).startswith("No blueprint named 'nope'. Known blueprints: canary-python, ")


def test_write_to_refuses_a_non_empty_directory_unless_forced(tmp_path: Path) -> None:
    written = catalog.write_to("hello-node", tmp_path / "app")
    assert sorted(p.name for p in written) == ["index.mjs", "template.yaml"]
    (tmp_path / "app" / "keep.txt").write_text("k")
    with pytest.raises(catalog.DirectoryNotEmpty):
        catalog.write_to("hello-node", tmp_path / "app")
    catalog.write_to("hello-node", tmp_path / "app", force=True)
    assert (tmp_path / "app" / "keep.txt").read_text() == "k"
    (tmp_path / "file").write_text("x")
    with pytest.raises(catalog.DirectoryNotEmpty):
        catalog.write_to("hello-node", tmp_path / "file")


def test_package_points_code_at_s3_and_applies_overrides() -> None:
    bp = catalog.get("shell-runtime")
    pkg = package_blueprint(
        bp, "bkt", Overrides("my-fn", memory=512, timeout=9, environment={"A": "1"})
    )
    props = pkg.template["Resources"]["ShellFunction"]["Properties"]
    (key,) = pkg.artifacts
    assert props["CodeUri"] == f"s3://bkt/{key}" and key.startswith("blueprints/")
    assert (props["FunctionName"], props["MemorySize"], props["Timeout"]) == ("my-fn", 512, 9)
    assert props["Environment"] == {"Variables": {"A": "1"}}
    with zipfile.ZipFile(io.BytesIO(pkg.artifacts[key])) as zf:
        assert sorted(zf.namelist()) == ["bootstrap", "function.sh"]
        assert zf.getinfo("bootstrap").external_attr >> 16 & 0o777 == 0o755
    # same inputs, same bytes: an unchanged re-deploy is not a code change
    assert package_blueprint(bp, "bkt").artifacts == pkg.artifacts
    assert json.loads(pkg.template_body()) == pkg.template


def test_package_refuses_a_code_uri_without_files() -> None:
    with pytest.raises(PackageError, match="CodeUri 'lib/' names no files"):
        package_files(
            "Resources:\n  F:\n    Type: AWS::Serverless::Function\n"
            "    Properties: {CodeUri: lib/, Runtime: python3.11, Handler: a.b}\n",
            {"src/a.py": b""},
            "bkt",
        )
    assert zip_files({}) == zip_files({})
