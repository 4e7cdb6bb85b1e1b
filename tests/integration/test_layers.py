"""Lambda layers as a boto3 user drives them, against a live server.

AWS's documented behaviour is the reference: publish from a zip (S3 refused here), get by name and
by ARN, list with runtime/architecture filters and Marker/MaxItems pagination (newest version
first), version numbers that never restart, idempotent deletes, version permissions with AWS's
policy document and RevisionId preconditions, and zips validated exactly like function code.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import urllib.error
import urllib.request
import uuid
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import ACCOUNT, REGION, ServerProcess, make_client, start_server, zip_bytes

CREATED = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")
UNZIP_ERROR = "Could not unzip uploaded file. Please check your file, then try to upload again."
NOT_FOUND = "The resource you requested does not exist."
LAYER: dict[str, str | bytes] = {
    "python/helper.py": "VALUE = 42\n",
    "bin/tool": "#!/bin/sh\necho hi\n",
}


def uid(prefix: str = "layer") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def layer_arn(name: str, version: int | None = None) -> str:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{name}"
    return arn if version is None else f"{arn}:{version}"


def b64sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def expect_error(call: Callable[..., Any], code: str, status: int, **kw: Any) -> str:
    """Run a boto3 call that must fail with ``code``/``status``; return the message."""
    with pytest.raises(ClientError) as ei:
        call(**kw)
    err = ei.value.response["Error"]
    assert (err["Code"], ei.value.response["ResponseMetadata"]["HTTPStatusCode"]) == (
        code,
        status,
    ), err
    return str(err["Message"])


def publish(lam: Any, name: str, files: dict[str, str | bytes] | None = None, **kw: Any) -> dict:
    resp = lam.publish_layer_version(
        LayerName=name, Content={"ZipFile": zip_bytes(files or LAYER)}, **kw
    )
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 201
    resp.pop("ResponseMetadata")
    return dict(resp)


def without_location(resp: dict) -> dict:
    out = {k: v for k, v in resp.items() if k != "ResponseMetadata"}
    out["Content"] = {k: v for k, v in out["Content"].items() if k != "Location"}
    return out


def versions_of(lam: Any, name: str, **kw: Any) -> list[int]:
    return [v["Version"] for v in lam.list_layer_versions(LayerName=name, **kw)["LayerVersions"]]


# ---- publish and get --------------------------------------------------------------------------


def test_publish_returns_aws_shape(lam: Any) -> None:
    name = uid()
    data = zip_bytes(LAYER)
    resp = lam.publish_layer_version(
        LayerName=name,
        Description="shared helpers",
        Content={"ZipFile": data},
        CompatibleRuntimes=["python3.11", "python3.12"],
        CompatibleArchitectures=["x86_64", "arm64"],
        LicenseInfo="MIT",
    )
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 201
    resp.pop("ResponseMetadata")
    location = resp["Content"].pop("Location")
    assert location.startswith("http")
    created = resp.pop("CreatedDate")
    assert CREATED.match(created), created
    assert resp == {
        "Content": {"CodeSha256": b64sha256(data), "CodeSize": len(data)},
        "LayerArn": layer_arn(name),
        "LayerVersionArn": layer_arn(name, 1),
        "Description": "shared helpers",
        "Version": 1,
        "CompatibleRuntimes": ["python3.11", "python3.12"],
        "CompatibleArchitectures": ["x86_64", "arm64"],
        "LicenseInfo": "MIT",
    }


def test_publish_omits_what_was_not_given_and_echoes_empty_lists(lam: Any) -> None:
    bare = publish(lam, uid())
    assert bare["Description"] == ""
    for key in ("CompatibleRuntimes", "CompatibleArchitectures", "LicenseInfo"):
        assert key not in bare
    empty = publish(lam, uid(), CompatibleRuntimes=[], CompatibleArchitectures=[])
    assert empty["CompatibleRuntimes"] == []
    assert empty["CompatibleArchitectures"] == []
    assert "LicenseInfo" not in empty


def test_each_publish_is_a_new_version_even_with_the_same_content(lam: Any) -> None:
    name = uid()
    first = publish(lam, name)
    second = publish(lam, name)
    assert (first["Version"], second["Version"]) == (1, 2)
    assert second["LayerVersionArn"] == layer_arn(name, 2)
    assert first["Content"]["CodeSha256"] == second["Content"]["CodeSha256"]


def test_get_layer_version_by_name_arn_and_version_arn(lam: Any) -> None:
    name = uid()
    published = publish(lam, name, Description="d", LicenseInfo="Apache-2.0")
    expected = without_location(published)
    by_name = lam.get_layer_version(LayerName=name, VersionNumber=1)
    assert by_name["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert without_location(by_name) == expected
    by_layer_arn = lam.get_layer_version(LayerName=layer_arn(name), VersionNumber=1)
    assert without_location(by_layer_arn) == expected
    by_arn = lam.get_layer_version_by_arn(Arn=layer_arn(name, 1))
    assert without_location(by_arn) == expected


def test_get_errors(lam: Any) -> None:
    name = uid()
    publish(lam, name)
    get = lam.get_layer_version
    assert (
        expect_error(get, "ResourceNotFoundException", 404, LayerName=uid(), VersionNumber=1)
        == NOT_FOUND
    )
    assert (
        expect_error(get, "ResourceNotFoundException", 404, LayerName=name, VersionNumber=2)
        == NOT_FOUND
    )
    for bad in (0, -1):
        msg = expect_error(
            get, "InvalidParameterValueException", 400, LayerName=name, VersionNumber=bad
        )
        assert msg == "Layer Version Cannot be less than 1"
    huge = 2**63
    expect_error(get, "ResourceNotFoundException", 404, LayerName=name, VersionNumber=huge)
    lam.delete_layer_version(LayerName=name, VersionNumber=huge)
    other_account = f"arn:aws:lambda:{REGION}:123456789012:layer:{name}"
    expect_error(get, "ResourceNotFoundException", 404, LayerName=other_account, VersionNumber=1)

    by_arn = lam.get_layer_version_by_arn
    msg = expect_error(by_arn, "ValidationException", 400, Arn=layer_arn(name))  # no version
    assert f"Value '{layer_arn(name)}' at 'arn' failed to satisfy constraint" in msg
    assert (
        expect_error(by_arn, "ResourceNotFoundException", 404, Arn=layer_arn(name, 2)) == NOT_FOUND
    )
    expect_error(by_arn, "ResourceNotFoundException", 404, Arn=f"{other_account}:1")
    expect_error(
        by_arn,
        "ResourceNotFoundException",
        404,
        Arn=f"arn:aws:lambda:eu-west-1:{ACCOUNT}:layer:{name}:1",
    )
    expect_error(by_arn, "ResourceNotFoundException", 404, Arn="arn:aws:lambda:::awslayer:Any")


def test_content_location_downloads_the_exact_zip(lam: Any, server: ServerProcess) -> None:
    name = uid()
    data = zip_bytes({**LAYER, "python/blob.bin": uuid.uuid4().bytes * 500})
    lam.publish_layer_version(LayerName=name, Content={"ZipFile": data})
    for resp in (
        lam.get_layer_version(LayerName=name, VersionNumber=1),
        lam.get_layer_version_by_arn(Arn=layer_arn(name, 1)),
    ):
        location = resp["Content"]["Location"]
        assert location.startswith(server.url + "/")
        with urllib.request.urlopen(location, timeout=10) as r:
            assert r.status == 200
            assert r.read() == data
    tampered = re.sub(r"signature=[0-9a-f]+", "signature=" + "0" * 64, location)
    with pytest.raises(urllib.error.HTTPError) as ei:
        urllib.request.urlopen(tampered, timeout=10)
    assert ei.value.code == 403
    ei.value.close()


def test_layer_name_as_arn_and_foreign_arns(lam: Any) -> None:
    name = uid()
    resp = publish(lam, layer_arn(name))
    assert resp["LayerVersionArn"] == layer_arn(name, 1)
    assert publish(lam, name)["Version"] == 2
    msg = expect_error(
        lam.publish_layer_version,
        "InvalidParameterValueException",
        400,
        LayerName=f"arn:aws:lambda:{REGION}:123456789012:layer:{name}",
        Content={"ZipFile": zip_bytes(LAYER)},
    )
    assert "account" in msg


def test_concurrent_publishes_get_distinct_versions(lam: Any) -> None:
    name = uid()
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda i: publish(lam, name, {"n.txt": str(i)})["Version"], range(8)))
    assert sorted(got) == list(range(1, 9))
    assert versions_of(lam, name) == list(range(8, 0, -1))


# ---- content validation -----------------------------------------------------------------------


def _zip_with_symlink(link_name: str, target: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("python/ok.py", "X = 1\n")
        info = zipfile.ZipInfo(link_name)
        info.external_attr = 0o120777 << 16  # S_IFLNK | 0777
        zf.writestr(info, target)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"this is not a zip file", UNZIP_ERROR),
        (b"PK\x03\x04" + b"\x00" * 100, UNZIP_ERROR),
        (zip_bytes({"python/a.py": "x"})[:-30], UNZIP_ERROR),
        (zip_bytes({"python/a.py": "x", "../evil.py": "pwned"}), "evil.py"),
        (zip_bytes({"/etc/cron.d/evil": "pwned"}), "evil"),
        (_zip_with_symlink("python/link", "../../../../etc/passwd"), "symlink"),
        (_zip_with_symlink("python/link", "/etc/passwd"), "symlink"),
    ],
    ids=["text", "bare-header", "truncated", "parent", "absolute", "symlink-up", "symlink-abs"],
)
def test_invalid_zip_is_refused_and_consumes_no_version(lam: Any, data: bytes, needle: str) -> None:
    name = uid()
    msg = expect_error(
        lam.publish_layer_version,
        "InvalidParameterValueException",
        400,
        LayerName=name,
        Content={"ZipFile": data},
    )
    assert needle in msg
    assert versions_of(lam, name) == []
    assert publish(lam, name)["Version"] == 1


def test_s3_content_and_missing_zip_are_refused(lam: Any) -> None:
    name = uid()
    msg = expect_error(
        lam.publish_layer_version,
        "InvalidParameterValueException",
        400,
        LayerName=name,
        Content={"S3Bucket": "no-such-layer-bucket", "S3Key": "layer.zip"},
    )
    assert msg.startswith("Error occurred while GetObject. S3 Error Code: NoSuchBucket.")
    msg = expect_error(
        lam.publish_layer_version,
        "InvalidParameterValueException",
        400,
        LayerName=name,
        Content={},
    )
    assert "ZipFile" in msg
    assert versions_of(lam, name) == []


def test_invalid_runtime_and_architecture_fail_validation(lam: Any, raw_client: Any) -> None:
    msg = expect_error(
        raw_client.publish_layer_version,
        "ValidationException",
        400,
        LayerName=uid(),
        Content={"ZipFile": zip_bytes(LAYER)},
        CompatibleArchitectures=["sparc"],
    )
    assert "compatibleArchitectures" in msg
    expect_error(raw_client.list_layers, "ValidationException", 400, CompatibleRuntime="cobol")
    expect_error(
        raw_client.list_layer_versions,
        "ValidationException",
        400,
        LayerName=uid(),
        CompatibleArchitecture="sparc",
    )
    for bad in (0, 51):
        expect_error(raw_client.list_layers, "ValidationException", 400, MaxItems=bad)


# ---- delete -----------------------------------------------------------------------------------


def test_delete_hides_the_version_and_missing_deletes_are_no_ops(lam: Any) -> None:
    name = uid()
    publish(lam, name)
    publish(lam, name)
    for layer, version in ((uid(), 1), (name, 7), (name, 1), (name, 1)):
        resp = lam.delete_layer_version(LayerName=layer, VersionNumber=version)
        assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    expect_error(
        lam.get_layer_version, "ResourceNotFoundException", 404, LayerName=name, VersionNumber=1
    )
    expect_error(
        lam.get_layer_version_by_arn, "ResourceNotFoundException", 404, Arn=layer_arn(name, 1)
    )
    assert versions_of(lam, name) == [2]
    msg = expect_error(
        lam.delete_layer_version,
        "InvalidParameterValueException",
        400,
        LayerName=name,
        VersionNumber=-1,
    )
    assert msg == "Layer Version Cannot be less than 1"


def test_version_numbers_never_restart(lam: Any) -> None:
    name = uid()
    publish(lam, name)
    publish(lam, name)
    lam.delete_layer_version(LayerName=name, VersionNumber=1)
    lam.delete_layer_version(LayerName=name, VersionNumber=2)
    assert versions_of(lam, name) == []
    names = [layer["LayerName"] for layer in _all_layers(lam)]
    assert name not in names
    again = publish(lam, name)
    assert again["Version"] == 3
    assert again["LayerVersionArn"] == layer_arn(name, 3)
    assert versions_of(lam, name) == [3]


# ---- list -------------------------------------------------------------------------------------


def _all_layers(lam: Any, **kw: Any) -> list[dict]:
    pages = lam.get_paginator("list_layers").paginate(**kw)
    return [layer for page in pages for layer in page["Layers"]]


def test_list_layer_versions_filters_and_pagination(lam: Any) -> None:
    name = uid()
    specs: list[dict[str, Any]] = [
        {"CompatibleRuntimes": ["python3.11"], "CompatibleArchitectures": ["x86_64"]},
        {"CompatibleRuntimes": ["python3.12"], "CompatibleArchitectures": ["arm64"]},
        {},
        {"CompatibleRuntimes": ["python3.11", "python3.12"], "CompatibleArchitectures": ["arm64"]},
        {"CompatibleRuntimes": ["python3.11"], "CompatibleArchitectures": ["x86_64", "arm64"]},
    ]
    for i, spec in enumerate(specs, 1):
        publish(lam, name, Description=f"v{i}", **spec)

    resp = lam.list_layer_versions(LayerName=name)
    assert "NextMarker" not in resp
    items = resp["LayerVersions"]
    assert [v["Version"] for v in items] == [5, 4, 3, 2, 1]
    first = items[-1]
    assert set(first) == {
        "LayerVersionArn",
        "Version",
        "Description",
        "CreatedDate",
        "CompatibleRuntimes",
        "CompatibleArchitectures",
    }
    assert first["LayerVersionArn"] == layer_arn(name, 1)
    assert set(items[2]) == {"LayerVersionArn", "Version", "Description", "CreatedDate"}
    assert versions_of(lam, layer_arn(name)) == [5, 4, 3, 2, 1]

    assert versions_of(lam, name, CompatibleRuntime="python3.11") == [5, 4, 1]
    assert versions_of(lam, name, CompatibleArchitecture="arm64") == [5, 4, 2]
    assert versions_of(
        lam, name, CompatibleRuntime="python3.12", CompatibleArchitecture="arm64"
    ) == [4, 2]
    assert versions_of(lam, name, CompatibleRuntime="nodejs20.x") == []

    seen: list[int] = []
    marker: str | None = None
    pages = 0
    while True:
        kw: dict[str, Any] = {"LayerName": name, "MaxItems": 2}
        if marker:
            kw["Marker"] = marker
        page = lam.list_layer_versions(**kw)
        pages += 1
        assert len(page["LayerVersions"]) <= 2
        seen += [v["Version"] for v in page["LayerVersions"]]
        marker = page.get("NextMarker")
        if not marker:
            break
    assert (seen, pages) == ([5, 4, 3, 2, 1], 3)

    paginated = lam.get_paginator("list_layer_versions").paginate(
        LayerName=name, CompatibleRuntime="python3.11", PaginationConfig={"PageSize": 1}
    )
    assert [v["Version"] for p in paginated for v in p["LayerVersions"]] == [5, 4, 1]

    # An unknown layer lists nothing (AWS answers 200 with an empty list).
    empty = lam.list_layer_versions(LayerName=uid())
    assert empty["LayerVersions"] == [] and "NextMarker" not in empty
    expect_error(
        lam.list_layer_versions, "InvalidParameterValueException", 400, LayerName=name, Marker="%%%"
    )


@pytest.fixture
def private(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server of our own: ListLayers sees every layer of the account."""
    srv = start_server(tmp_path / "data")
    yield srv
    srv.stop()


def test_list_layers_latest_matching_version_filters_and_pagination(private: ServerProcess) -> None:
    lam: Any = private.client()
    assert lam.list_layers()["Layers"] == []
    publish(lam, "alpha", CompatibleRuntimes=["python3.11"], CompatibleArchitectures=["x86_64"])
    publish(lam, "alpha", CompatibleRuntimes=["python3.12"], CompatibleArchitectures=["arm64"])
    publish(lam, "beta", CompatibleRuntimes=["python3.11"], LicenseInfo="MIT")
    publish(lam, "delta")
    publish(lam, "gamma", CompatibleRuntimes=["python3.12"], CompatibleArchitectures=["x86_64"])
    publish(lam, "gone")
    lam.delete_layer_version(LayerName="gone", VersionNumber=1)

    layers = lam.list_layers()["Layers"]
    assert [layer["LayerName"] for layer in layers] == ["alpha", "beta", "delta", "gamma"]
    alpha = layers[0]
    assert alpha["LayerArn"] == layer_arn("alpha")
    latest = alpha["LatestMatchingVersion"]
    assert latest["Version"] == 2
    assert latest["LayerVersionArn"] == layer_arn("alpha", 2)
    assert latest["CompatibleRuntimes"] == ["python3.12"]
    assert CREATED.match(latest["CreatedDate"])
    assert layers[1]["LatestMatchingVersion"]["LicenseInfo"] == "MIT"

    def latest_versions(**kw: Any) -> dict[str, int]:
        return {
            layer["LayerName"]: layer["LatestMatchingVersion"]["Version"]
            for layer in _all_layers(lam, **kw)
        }

    assert latest_versions(CompatibleRuntime="python3.11") == {"alpha": 1, "beta": 1}
    assert latest_versions(CompatibleArchitecture="x86_64") == {"alpha": 1, "gamma": 1}
    assert latest_versions(CompatibleRuntime="python3.12", CompatibleArchitecture="arm64") == {
        "alpha": 2
    }

    page1 = lam.list_layers(MaxItems=3)
    assert [layer["LayerName"] for layer in page1["Layers"]] == ["alpha", "beta", "delta"]
    page2 = lam.list_layers(MaxItems=3, Marker=page1["NextMarker"])
    assert [layer["LayerName"] for layer in page2["Layers"]] == ["gamma"]
    assert "NextMarker" not in page2
    paged = lam.get_paginator("list_layers").paginate(PaginationConfig={"PageSize": 1})
    assert [layer["LayerName"] for p in paged for layer in p["Layers"]] == [
        "alpha",
        "beta",
        "delta",
        "gamma",
    ]

    # Deleting the newest version makes the previous one the latest.
    lam.delete_layer_version(LayerName="alpha", VersionNumber=2)
    assert latest_versions()["alpha"] == 1


def test_version_counter_and_content_survive_a_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    srv = start_server(data_dir)
    try:
        lam: Any = srv.client()
        name = uid()
        data = zip_bytes({"python/kept.py": "KEPT = True\n"})
        publish(lam, name)
        lam.publish_layer_version(LayerName=name, Description="kept", Content={"ZipFile": data})
        lam.delete_layer_version(LayerName=name, VersionNumber=1)
        lam.add_layer_version_permission(
            LayerName=name,
            VersionNumber=2,
            StatementId="keep",
            Action="lambda:GetLayerVersion",
            Principal="*",
        )
    finally:
        srv.stop()
    srv = start_server(data_dir)
    try:
        lam = srv.client()
        assert versions_of(lam, name) == [2]
        got = lam.get_layer_version(LayerName=name, VersionNumber=2)
        assert got["Description"] == "kept"
        with urllib.request.urlopen(got["Content"]["Location"], timeout=10) as r:
            assert r.read() == data
        policy = json.loads(lam.get_layer_version_policy(LayerName=name, VersionNumber=2)["Policy"])
        assert [s["Sid"] for s in policy["Statement"]] == ["keep"]
        lam.delete_layer_version(LayerName=name, VersionNumber=2)
        assert publish(lam, name)["Version"] == 3
    finally:
        srv.stop()


# ---- permissions ------------------------------------------------------------------------------


def add_permission(
    lam, name: str, sid: str, principal: str = "*", version: int = 1, **kw: Any
) -> dict:
    resp = lam.add_layer_version_permission(
        LayerName=name,
        VersionNumber=version,
        StatementId=sid,
        Action="lambda:GetLayerVersion",
        Principal=principal,
        **kw,
    )
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 201
    return dict(resp)


def test_policy_lifecycle(lam: Any) -> None:
    name = uid()
    publish(lam, name)
    resource = layer_arn(name, 1)
    msg = expect_error(
        lam.get_layer_version_policy,
        "ResourceNotFoundException",
        404,
        LayerName=name,
        VersionNumber=1,
    )
    assert msg == "No policy is associated with the given resource."

    s1 = add_permission(lam, name, "s1")
    everyone = {
        "Sid": "s1",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "lambda:GetLayerVersion",
        "Resource": resource,
    }
    assert json.loads(s1["Statement"]) == everyone
    policy = lam.get_layer_version_policy(LayerName=name, VersionNumber=1)
    assert policy["RevisionId"] == s1["RevisionId"]
    assert json.loads(policy["Policy"]) == {
        "Version": "2012-10-17",
        "Id": "default",
        "Statement": [everyone],
    }

    s2 = add_permission(lam, name, "s2", "123456789012", RevisionId=policy["RevisionId"])
    assert s2["RevisionId"] != s1["RevisionId"]
    account = json.loads(s2["Statement"])
    assert account["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    s3 = add_permission(lam, name, "s3", OrganizationId="o-abcdefghij")
    org = json.loads(s3["Statement"])
    assert org["Principal"] == "*"
    assert org["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}}
    s4 = add_permission(lam, name, "s4", "arn:aws:iam::210987654321:root")
    assert json.loads(s4["Statement"])["Principal"] == {"AWS": "arn:aws:iam::210987654321:root"}

    policy = lam.get_layer_version_policy(LayerName=name, VersionNumber=1)
    assert [s["Sid"] for s in json.loads(policy["Policy"])["Statement"]] == ["s1", "s2", "s3", "s4"]
    assert policy["RevisionId"] == s4["RevisionId"]

    resp = lam.remove_layer_version_permission(
        LayerName=name, VersionNumber=1, StatementId="s2", RevisionId=policy["RevisionId"]
    )
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    after = lam.get_layer_version_policy(LayerName=name, VersionNumber=1)
    assert [s["Sid"] for s in json.loads(after["Policy"])["Statement"]] == ["s1", "s3", "s4"]
    assert after["RevisionId"] != policy["RevisionId"]

    for sid in ("s1", "s3", "s4"):
        lam.remove_layer_version_permission(LayerName=name, VersionNumber=1, StatementId=sid)
    expect_error(
        lam.get_layer_version_policy,
        "ResourceNotFoundException",
        404,
        LayerName=name,
        VersionNumber=1,
    )


def test_policy_errors(lam: Any) -> None:
    name = uid()
    publish(lam, name)
    add_permission(lam, name, "s1")
    msg = expect_error(
        lam.add_layer_version_permission,
        "ResourceConflictException",
        409,
        LayerName=name,
        VersionNumber=1,
        StatementId="s1",
        Action="lambda:GetLayerVersion",
        Principal="*",
    )
    assert msg == (
        "The statement id (s1) provided already exists. Please provide a new statement id, or "
        "remove the existing statement."
    )
    wrong_revision = (
        "The Revision Id provided does not match the latest Revision Id. Call the GetLayerPolicy "
        "API to retrieve the latest Revision Id"
    )
    msg = expect_error(
        lam.add_layer_version_permission,
        "PreconditionFailedException",
        412,
        LayerName=name,
        VersionNumber=1,
        StatementId="s2",
        Action="lambda:GetLayerVersion",
        Principal="*",
        RevisionId="wrong",
    )
    assert msg == wrong_revision
    msg = expect_error(
        lam.remove_layer_version_permission,
        "PreconditionFailedException",
        412,
        LayerName=name,
        VersionNumber=1,
        StatementId="s1",
        RevisionId="wrong",
    )
    assert msg == wrong_revision
    msg = expect_error(
        lam.remove_layer_version_permission,
        "ResourceNotFoundException",
        404,
        LayerName=name,
        VersionNumber=1,
        StatementId="nope",
    )
    assert msg == "Statement nope is not found in resource policy."
    msg = expect_error(
        lam.add_layer_version_permission,
        "ValidationException",
        400,
        LayerName=name,
        VersionNumber=1,
        StatementId="s9",
        Action="*",
        Principal="*",
    )
    assert "at 'action' failed to satisfy constraint" in msg

    missing = uid()
    for layer, version in ((missing, 1), (name, 2)):
        expected = f"Layer version {layer_arn(layer, version)} does not exist."
        calls: list[tuple[Callable[..., Any], dict[str, Any]]] = [
            (
                lam.add_layer_version_permission,
                {"StatementId": "x", "Action": "lambda:GetLayerVersion", "Principal": "*"},
            ),
            (lam.get_layer_version_policy, {}),
            (lam.remove_layer_version_permission, {"StatementId": "s1"}),
        ]
        for call, extra in calls:
            msg = expect_error(
                call,
                "ResourceNotFoundException",
                404,
                LayerName=layer,
                VersionNumber=version,
                **extra,
            )
            assert msg == expected
    expect_error(
        lam.get_layer_version_policy,
        "InvalidParameterValueException",
        400,
        LayerName=name,
        VersionNumber=0,
    )


def test_deleting_a_version_drops_its_policy(lam: Any) -> None:
    name = uid()
    publish(lam, name)
    add_permission(lam, name, "s1")
    lam.delete_layer_version(LayerName=name, VersionNumber=1)
    msg = expect_error(
        lam.get_layer_version_policy,
        "ResourceNotFoundException",
        404,
        LayerName=name,
        VersionNumber=1,
    )
    assert msg == f"Layer version {layer_arn(name, 1)} does not exist."


@pytest.fixture(scope="module")
def raw_client(server: ServerProcess) -> Any:
    """A client without botocore's own parameter validation: the server must answer."""
    cfg = Config(parameter_validation=False, retries={"max_attempts": 1}, read_timeout=120)
    return make_client(server.url, config=cfg)
