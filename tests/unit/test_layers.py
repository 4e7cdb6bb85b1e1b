"""LayerService without a server: resolving the layer ARNs a function references, the version
counter in the store, and layer ARN parsing (ovis.services.lambda_.layers, ovis.models.layer)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ovis.errors import InvalidParameterValueException, ValidationException
from ovis.models.arn import ArnError
from ovis.models.layer import LayerRef, LayerVersion, parse_layer_name, parse_layer_version_arn
from ovis.services.lambda_.commands import PublishLayerVersion
from ovis.services.lambda_.layers import LayerService, ResolvedLayer
from ovis.settings import Settings
from ovis.storage.code import CodeStore
from ovis.storage.sqlite import SqliteStorage
from tests.conftest import ACCOUNT, REGION, zip_bytes

ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer"


@pytest.fixture
def service(tmp_path: Path) -> Iterator[LayerService]:
    store = SqliteStorage(tmp_path / "ovis.db")
    yield LayerService(Settings(data_dir=tmp_path), store.layers, CodeStore(tmp_path / "code"))
    store.close()


def publish(
    service: LayerService, name: str, files: dict[str, str | bytes] | None = None, **kw: Any
) -> LayerVersion:
    data = zip_bytes(files or {"python/mod.py": f"NAME = {name!r}\n"})
    cmd = PublishLayerVersion.of({"LayerName": name, "Content": {"ZipFile": data}, **kw})
    return asyncio.run(service.publish(cmd))


def test_resolve_returns_the_installed_versions_in_order(service: LayerService) -> None:
    a = publish(service, "a", {"python/a.py": "A = 1\n", "bin/run": "x" * 1000})
    publish(service, "b")
    b2 = publish(service, "b", {"python/b.py": "B = 2\n"})
    got = service.resolve([f"{ARN}:b:2", f"{ARN}:a:1"])
    assert got == [
        ResolvedLayer(
            f"{ARN}:b:2", "b", 2, b2.digest, b2.code_sha256, b2.code_size, b2.unzipped_size
        ),
        ResolvedLayer(f"{ARN}:a:1", "a", 1, a.digest, a.code_sha256, a.code_size, 1006),
    ]
    tree = service.code.tree_path(got[1].digest)
    assert (tree / "python" / "a.py").read_text() == "A = 1\n"
    assert (tree / "bin" / "run").stat().st_size == 1000
    assert service.code.zip_path(got[1].digest).stat().st_size == a.code_size
    assert got[0].to_api() == {"Arn": f"{ARN}:b:2", "CodeSize": b2.code_size}
    assert service.resolve([]) == []


def test_resolve_refuses_more_than_five_layers(service: LayerService) -> None:
    arns = [f"{ARN}:l{i}:1" for i in range(6)]
    for i in range(6):
        publish(service, f"l{i}")
    assert len(service.resolve(arns[:5])) == 5
    with pytest.raises(InvalidParameterValueException) as ei:
        service.resolve(arns)
    assert ei.value.message == "Cannot reference more than 5 layers."


@pytest.mark.parametrize(
    "arn",
    [
        f"{ARN}:nope:1",
        f"{ARN}:known:2",
        f"{ARN}:known:{2**64}",
        f"arn:aws:lambda:{REGION}:123456789012:layer:known:1",
        "arn:aws:lambda:::awslayer:AWSLambda-Python",
    ],
    ids=["unknown-layer", "unknown-version", "huge-version", "other-account", "aws-managed"],
)
def test_resolve_unknown_version(service: LayerService, arn: str) -> None:
    publish(service, "known")
    publish(service, "other")
    with pytest.raises(InvalidParameterValueException) as ei:
        service.resolve([f"{ARN}:other:1", arn])
    assert ei.value.message == f"Layer version {arn} does not exist."


@pytest.mark.parametrize(
    "arn",
    [f"{ARN}:known", "known:1", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f:1", ""],
)
def test_resolve_malformed_arn(service: LayerService, arn: str) -> None:
    with pytest.raises(ValidationException) as ei:
        service.resolve([arn])
    assert ei.value.message.startswith(
        f"1 validation error detected: Value '[{arn}]' at 'layers' failed to satisfy constraint"
    )


def test_resolve_other_region(service: LayerService) -> None:
    with pytest.raises(InvalidParameterValueException) as ei:
        service.resolve([f"arn:aws:lambda:eu-west-1:{ACCOUNT}:layer:x:1"])
    assert ei.value.message == (
        f"Layers are not in the same region as the function. Layers are expected to be in region "
        f"{REGION}."
    )


@pytest.mark.parametrize("second", [2, 1])
def test_resolve_two_versions_of_one_layer(service: LayerService, second: int) -> None:
    publish(service, "dup")
    publish(service, "dup")
    with pytest.raises(InvalidParameterValueException) as ei:
        service.resolve([f"{ARN}:dup:1", f"{ARN}:dup:{second}"])
    assert ei.value.message == (
        "Two different versions of the same layer are not allowed to be referenced in the same "
        f"function. {ARN}:dup:1 and {ARN}:dup:{second} are versions of the same layer."
    )


def test_deleted_versions_still_resolve_for_functions_that_use_them(
    service: LayerService,
) -> None:
    v = publish(service, "old")
    asyncio.run(service.delete("old", 1))
    arn = f"{ARN}:old:1"
    # Hidden from the API...
    with pytest.raises(Exception, match="does not exist"):
        asyncio.run(service.get("old", 1))
    # ...but its content stays and it resolves (by default, and for a function that has it).
    assert service.resolve([arn])[0].digest == v.digest
    assert service.code.has_tree(v.digest)
    assert service.resolve([arn], attached=[arn])[0].version == 1
    # AWS refuses adding a deleted version to a function that did not use it.
    for attached in ((), [f"{ARN}:other:1"]):
        with pytest.raises(InvalidParameterValueException) as ei:
            service.resolve([arn], attached=attached)
        assert ei.value.message == f"Layer version {arn} does not exist."


def test_version_counter_survives_deleting_every_version(service: LayerService) -> None:
    assert [publish(service, "c").version for _ in range(3)] == [1, 2, 3]
    for n in (1, 2, 3):
        asyncio.run(service.delete("c", n))
    assert service.store.list_layer_versions("c") == []
    assert publish(service, "c").version == 4
    assert publish(service, "d").version == 1


def test_store_round_trip(service: LayerService) -> None:
    v = publish(
        service,
        "rt",
        Description="desc",
        CompatibleRuntimes=["python3.11"],
        CompatibleArchitectures=[],
        LicenseInfo="MIT",
    )
    stored = service.store.get_layer_version("rt", 1)
    assert stored == v
    assert stored is not None
    assert (stored.compatible_runtimes, stored.compatible_architectures) == (("python3.11",), ())
    assert stored.license_info == "MIT" and not stored.deleted
    bare = publish(service, "bare")
    assert (bare.compatible_runtimes, bare.compatible_architectures, bare.license_info) == (
        None,
        None,
        None,
    )
    assert service.store.get_layer_version("rt", 9) is None


def test_parse_layer_arns() -> None:
    assert parse_layer_name("my-layer") == LayerRef("my-layer")
    assert parse_layer_name(f"{ARN}:my_layer") == LayerRef("my_layer", REGION, ACCOUNT)
    assert parse_layer_version_arn(f"{ARN}:x:12") == LayerRef("x", REGION, ACCOUNT, 12)
    assert parse_layer_version_arn("arn:aws:lambda:::awslayer:Name") is None
    for bad in (f"{ARN}:x:1", "a" * 141, "bad name", ""):
        with pytest.raises(ArnError):
            parse_layer_name(bad)
    for bad in (f"{ARN}:x", f"{ARN}:x:v1", "x:1"):
        with pytest.raises(ArnError):
            parse_layer_version_arn(bad)
