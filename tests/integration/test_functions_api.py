"""The Lambda management API as a boto3 user drives it, against a live server.

AWS's documented behaviour is the reference and botocore's ``lambda`` model the spec: states and
waiters, code hashes and downloads, name forms, pagination, updates with revision preconditions,
tags, account settings, and every validation error with its exception class and HTTP status.
The last part sends raw SigV4-signed HTTP (malformed JSON, wrong types, unknown paths, wrong
methods) and requires a 4xx AWS-shaped error for each, never a 5xx.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import random
import re
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.conftest import ACCOUNT, REGION, ROLE, create_python_function, make_client, zip_bytes

ECHO = "def handler(event, context):\n    return {'echo': event}\n"
LAST_MODIFIED = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")
UNZIP_ERROR = "Could not unzip uploaded file. Please check your file, then try to upload again."
FAST = {"Delay": 0.05, "MaxAttempts": 400}  # waiter polling: at most 20 s


def uid(prefix: str = "fn") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


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


@pytest.fixture(scope="module")
def raw(server):  # type: ignore[no-untyped-def]
    """A client without botocore's own parameter validation: the server must answer."""
    cfg = Config(parameter_validation=False, retries={"max_attempts": 1}, read_timeout=120)
    return make_client(server.url, config=cfg)


@pytest.fixture(scope="module")
def echo_fn(lam) -> str:  # type: ignore[no-untyped-def]
    name = uid("echo")
    create_python_function(lam, name, ECHO)
    return name


def create_args(name: str, **kw: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "FunctionName": name,
        "Runtime": "python3.11",
        "Role": ROLE,
        "Handler": "app.handler",
        "Code": {"ZipFile": zip_bytes({"app.py": ECHO})},
    }
    args.update(kw)
    return args


def assert_absent(lam, name: str) -> None:  # type: ignore[no-untyped-def]
    expect_error(lam.get_function, "ResourceNotFoundException", 404, FunctionName=name)


# ---- create, states, waiters ----------------------------------------------------------------


def test_create_returns_pending_then_active(lam) -> None:  # type: ignore[no-untyped-def]
    name = uid()
    data = zip_bytes({"app.py": ECHO, "lib/util.py": "X = 1\n"})
    resp = lam.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": data},
        Description="first",
        Timeout=7,
        MemorySize=256,
        Environment={"Variables": {"GREETING": "hello"}},
    )
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert resp["State"] == "Pending"
    assert resp["StateReasonCode"] == "Creating"
    assert resp["FunctionName"] == name
    assert resp["FunctionArn"] == arn(name)
    assert resp["Version"] == "$LATEST"
    assert resp["PackageType"] == "Zip"
    assert resp["CodeSha256"] == b64sha256(data)
    assert resp["CodeSize"] == len(data)
    assert LAST_MODIFIED.match(resp["LastModified"]), resp["LastModified"]
    assert (resp["Timeout"], resp["MemorySize"], resp["Description"]) == (7, 256, "first")
    assert resp["Environment"] == {"Variables": {"GREETING": "hello"}}
    assert resp["Role"] == ROLE and resp["Runtime"] == "python3.11"
    assert uuid.UUID(resp["RevisionId"])

    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=FAST)
    cfg = lam.get_function_configuration(FunctionName=name)
    assert cfg["State"] == "Active"
    assert cfg["LastUpdateStatus"] == "Successful"
    assert "StateReasonCode" not in cfg
    assert cfg["CodeSha256"] == resp["CodeSha256"]
    out = lam.invoke(FunctionName=name, Payload=b'{"x": 1}')
    assert json.loads(out["Payload"].read()) == {"echo": {"x": 1}}


def test_get_function_code_location_serves_the_zip(lam, server) -> None:  # type: ignore[no-untyped-def]
    name = uid()
    data = zip_bytes({"app.py": ECHO, "data.bin": os.urandom(3000)})
    lam.create_function(**create_args(name, Code={"ZipFile": data}, Tags={"team": "core"}))
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=FAST)

    got = lam.get_function(FunctionName=name)
    assert got["Configuration"]["FunctionName"] == name
    assert got["Configuration"]["State"] == "Active"
    assert got["Configuration"]["CodeSha256"] == b64sha256(data)
    assert got["Tags"] == {"team": "core"}
    assert got["Code"]["RepositoryType"] == "S3"
    location = got["Code"]["Location"]
    assert location.startswith(server.url + "/")
    with urllib.request.urlopen(location, timeout=10) as r:
        assert r.status == 200
        assert r.read() == data

    # The URL is presigned: tampering with the signature is refused.
    tampered = re.sub(r"signature=[0-9a-f]+", "signature=" + "0" * 64, location)
    with pytest.raises(urllib.error.HTTPError) as ei:
        urllib.request.urlopen(tampered, timeout=10)
    assert ei.value.code == 403
    ei.value.close()


def test_get_function_name_forms(lam, echo_fn) -> None:  # type: ignore[no-untyped-def]
    forms = [
        echo_fn,
        arn(echo_fn),
        f"{ACCOUNT}:function:{echo_fn}",
        f"{echo_fn}:$LATEST",
        f"{arn(echo_fn)}:$LATEST",
    ]
    for form in forms:
        got = lam.get_function(FunctionName=form)["Configuration"]
        assert got["FunctionName"] == echo_fn, form
        assert got["FunctionArn"].startswith(arn(echo_fn)), form
        cfg = lam.get_function_configuration(FunctionName=form)
        assert cfg["FunctionName"] == echo_fn, form
        assert cfg["RevisionId"] == got["RevisionId"]
    assert (
        lam.get_function(FunctionName=echo_fn, Qualifier="$LATEST")["Configuration"]["Version"]
        == "$LATEST"
    )


def test_get_function_code_signing_config_reports_none(lam, echo_fn) -> None:  # type: ignore[no-untyped-def]
    for form in (echo_fn, arn(echo_fn)):
        got = lam.get_function_code_signing_config(FunctionName=form)
        assert (got["FunctionName"], got["CodeSigningConfigArn"]) == (echo_fn, "")
    expect_error(
        lam.get_function_code_signing_config,
        "ResourceNotFoundException",
        404,
        FunctionName="no-such-function",
    )


def test_get_function_in_another_account_or_version_is_not_found(lam, echo_fn) -> None:  # type: ignore[no-untyped-def]
    other = f"arn:aws:lambda:{REGION}:111111111111:function:{echo_fn}"
    expect_error(lam.get_function, "ResourceNotFoundException", 404, FunctionName=other)
    expect_error(lam.get_function, "ResourceNotFoundException", 404, FunctionName=f"{echo_fn}:7")
    msg = expect_error(
        lam.get_function,
        "InvalidParameterValueException",
        400,
        FunctionName=f"{echo_fn}:1",
        Qualifier="2",
    )
    assert "qualifier" in msg


def test_duplicate_create_is_conflict(lam, echo_fn) -> None:  # type: ignore[no-untyped-def]
    before = lam.get_function_configuration(FunctionName=echo_fn)
    msg = expect_error(
        lam.create_function, "ResourceConflictException", 409, **create_args(echo_fn)
    )
    assert echo_fn in msg
    after = lam.get_function_configuration(FunctionName=echo_fn)
    assert after["RevisionId"] == before["RevisionId"]  # untouched


def test_delete_then_get_is_not_found(lam) -> None:  # type: ignore[no-untyped-def]
    name = uid()
    create_python_function(lam, name, ECHO, Tags={"k": "v"})
    resp = lam.delete_function(FunctionName=name)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204  # AWS: 204 No Content
    msg = expect_error(lam.get_function, "ResourceNotFoundException", 404, FunctionName=name)
    assert msg == f"Function not found: {arn(name)}"
    expect_error(
        lam.get_function_configuration, "ResourceNotFoundException", 404, FunctionName=name
    )
    expect_error(lam.invoke, "ResourceNotFoundException", 404, FunctionName=name)
    expect_error(lam.delete_function, "ResourceNotFoundException", 404, FunctionName=name)
    expect_error(lam.list_tags, "ResourceNotFoundException", 404, Resource=arn(name))
    assert name not in {f["FunctionName"] for f in all_functions(lam)}
    # The name is free again, and the new function does not inherit the old tags.
    create_python_function(lam, name, ECHO)
    assert "Tags" not in lam.get_function(FunctionName=name)
    lam.delete_function(FunctionName=arn(name))  # by ARN too
    assert_absent(lam, name)


def test_delete_latest_qualifier_is_refused(lam, echo_fn) -> None:  # type: ignore[no-untyped-def]
    expect_error(
        lam.delete_function,
        "InvalidParameterValueException",
        400,
        FunctionName=echo_fn,
        Qualifier="$LATEST",
    )
    assert lam.get_function(FunctionName=echo_fn)["Configuration"]["State"] == "Active"


# ---- list -----------------------------------------------------------------------------------


def all_functions(lam) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    out: list[dict[str, Any]] = []
    for page in lam.get_paginator("list_functions").paginate():
        out.extend(page["Functions"])
    return out


def test_list_functions_pagination(lam) -> None:  # type: ignore[no-untyped-def]
    prefix = uid("page")
    names = {f"{prefix}-{i}" for i in range(7)}
    for n in sorted(names):
        lam.create_function(**create_args(n))

    # By hand: MaxItems=3 and NextMarker until there is none.
    seen: list[str] = []
    marker: str | None = None
    pages = 0
    while True:
        kw: dict[str, Any] = {"MaxItems": 3}
        if marker:
            kw["Marker"] = marker
        page = lam.list_functions(**kw)
        pages += 1
        assert len(page["Functions"]) <= 3
        seen.extend(f["FunctionName"] for f in page["Functions"])
        marker = page.get("NextMarker")
        if not marker:
            break
        assert len(page["Functions"]) == 3  # only the last page may be short
        assert pages < 1000
    assert len(seen) == len(set(seen)), "a function was listed twice"
    mine = [s for s in seen if s.startswith(prefix)]
    assert sorted(mine) == sorted(names)
    assert pages >= 3

    # With boto3's paginator.
    seen2: list[str] = []
    for page in lam.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 3}):
        assert len(page["Functions"]) <= 3
        seen2.extend(f["FunctionName"] for f in page["Functions"])
    assert len(seen2) == len(set(seen2))
    assert names <= set(seen2)
    assert sorted(seen2) == sorted(seen)

    # MaxItems larger than everything: one page, no marker.
    page = lam.list_functions(MaxItems=10000)
    assert "NextMarker" not in page
    assert names <= {f["FunctionName"] for f in page["Functions"]}

    # The listed configuration is the full FunctionConfiguration.
    one = next(f for f in page["Functions"] if f["FunctionName"] == f"{prefix}-0")
    assert one["FunctionArn"] == arn(f"{prefix}-0")
    assert one["Runtime"] == "python3.11"
    assert LAST_MODIFIED.match(one["LastModified"])


# ---- updates --------------------------------------------------------------------------------


def test_update_code_then_function_updated_waiter(lam) -> None:  # type: ignore[no-untyped-def]
    name = uid()
    first = create_python_function(lam, name, ECHO)
    v1 = lam.get_function_configuration(FunctionName=name)
    new = zip_bytes({"app.py": "def handler(event, context):\n    return 'v2'\n"})

    resp = lam.update_function_code(FunctionName=name, ZipFile=new)
    assert resp["LastUpdateStatus"] == "InProgress"
    assert resp["State"] == "Active"
    assert resp["CodeSha256"] == b64sha256(new) != first["CodeSha256"]
    assert resp["CodeSize"] == len(new)
    assert resp["RevisionId"] != v1["RevisionId"]
    assert LAST_MODIFIED.match(resp["LastModified"])
    assert resp["LastModified"] >= v1["LastModified"]

    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig=FAST)
    got = lam.get_function(FunctionName=name)
    assert got["Configuration"]["LastUpdateStatus"] == "Successful"
    assert got["Configuration"]["CodeSha256"] == b64sha256(new)
    with urllib.request.urlopen(got["Code"]["Location"], timeout=10) as r:
        assert r.read() == new
    out = lam.invoke(FunctionName=name, Payload=b"{}")
    assert json.loads(out["Payload"].read()) == "v2"


def test_update_code_dry_run_changes_nothing(lam) -> None:  # type: ignore[no-untyped-def]
    name = uid()
    create_python_function(lam, name, ECHO)
    before = lam.get_function_configuration(FunctionName=name)
    new = zip_bytes({"app.py": "def handler(e, c):\n    return 'dry'\n"})
    resp = lam.update_function_code(FunctionName=name, ZipFile=new, DryRun=True)
    assert resp["CodeSha256"] == b64sha256(new)
    after = lam.get_function_configuration(FunctionName=name)
    assert after["CodeSha256"] == before["CodeSha256"]
    assert after["RevisionId"] == before["RevisionId"]


def test_update_configuration(lam) -> None:  # type: ignore[no-untyped-def]
    name = uid()
    code = (
        "import os\n"
        "def handler(event, context):\n    return 'a'\n"
        "def other(event, context):\n"
        "    return {'greeting': os.environ.get('GREETING'), "
        "'memory': str(context.memory_limit_in_mb)}\n"
    )
    create_python_function(lam, name, code, Environment={"Variables": {"OLD": "1"}})
    v1 = lam.get_function_configuration(FunctionName=name)

    resp = lam.update_function_configuration(
        FunctionName=name,
        Timeout=30,
        MemorySize=512,
        Environment={"Variables": {"GREETING": "hi"}},
        Description="updated",
        Handler="app.other",
    )
    assert resp["LastUpdateStatus"] == "InProgress"
    assert resp["RevisionId"] != v1["RevisionId"]
    assert (resp["Timeout"], resp["MemorySize"], resp["Description"], resp["Handler"]) == (
        30,
        512,
        "updated",
        "app.other",
    )
    assert resp["Environment"] == {"Variables": {"GREETING": "hi"}}  # replaced, not merged
    assert resp["CodeSha256"] == v1["CodeSha256"]  # code untouched
    assert LAST_MODIFIED.match(resp["LastModified"])

    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig=FAST)
    cfg = lam.get_function_configuration(FunctionName=name)
    assert cfg["LastUpdateStatus"] == "Successful"
    assert (cfg["Timeout"], cfg["MemorySize"], cfg["Handler"]) == (30, 512, "app.other")
    out = lam.invoke(FunctionName=name, Payload=b"{}")
    assert json.loads(out["Payload"].read()) == {"greeting": "hi", "memory": "512"}

    # Only what is sent changes; an empty Variables map clears the environment.
    resp = lam.update_function_configuration(
        FunctionName=name, Environment={"Variables": {}}, RevisionId=cfg["RevisionId"]
    )
    assert "Environment" not in resp or resp["Environment"].get("Variables") in ({}, None)
    assert (resp["Timeout"], resp["Description"]) == (30, "updated")
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig=FAST)


def test_revision_id_precondition(lam) -> None:  # type: ignore[no-untyped-def]
    name = uid()
    create_python_function(lam, name, ECHO)
    rev0 = lam.get_function(FunctionName=name)["Configuration"]["RevisionId"]

    resp = lam.update_function_configuration(FunctionName=name, Timeout=10, RevisionId=rev0)
    rev1 = resp["RevisionId"]
    assert rev1 != rev0
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig=FAST)

    # The stale revision is refused, for configuration and for code, and nothing changes.
    msg = expect_error(
        lam.update_function_configuration,
        "PreconditionFailedException",
        412,
        FunctionName=name,
        Timeout=20,
        RevisionId=rev0,
    )
    assert "Revision Id" in msg
    expect_error(
        lam.update_function_code,
        "PreconditionFailedException",
        412,
        FunctionName=name,
        ZipFile=zip_bytes({"app.py": ECHO + "# v2\n"}),
        RevisionId=rev0,
    )
    current = lam.get_function_configuration(FunctionName=name)
    assert current["Timeout"] == 10

    # The current revision works.
    rev = current["RevisionId"]
    resp = lam.update_function_code(
        FunctionName=name, ZipFile=zip_bytes({"app.py": ECHO + "# v3\n"}), RevisionId=rev
    )
    assert resp["RevisionId"] not in (rev0, rev1, rev)
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig=FAST)


def _codes(results: list[Any]) -> list[str]:
    return sorted(
        "ok" if not isinstance(r, ClientError) else r.response["Error"]["Code"] for r in results
    )


def _concurrently(call: Callable[[int], Any], n: int = 8) -> list[Any]:
    def attempt(i: int) -> Any:
        try:
            return call(i)
        except ClientError as e:
            return e

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(attempt, range(n)))


def test_concurrent_creates_of_one_name(lam) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        name = uid("race")
        results = _concurrently(
            lambda i, name=name: lam.create_function(
                **create_args(name, Code={"ZipFile": zip_bytes({"app.py": ECHO + f"# {i}"})})
            )
        )
        assert _codes(results) == ["ResourceConflictException"] * 7 + ["ok"]
        winner = next(r for r in results if not isinstance(r, ClientError))
        lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=FAST)
        cfg = lam.get_function_configuration(FunctionName=name)
        assert cfg["CodeSha256"] == winner["CodeSha256"]  # the 201 answer is what was stored


def test_concurrent_updates_with_one_revision_id(lam) -> None:  # type: ignore[no-untyped-def]
    """RevisionId is an optimistic lock: of N updates sent with the same id, one wins."""
    for _ in range(3):
        name = uid("race")
        create_python_function(lam, name, ECHO)
        rev = lam.get_function_configuration(FunctionName=name)["RevisionId"]
        results = _concurrently(
            lambda i, name=name, rev=rev: lam.update_function_configuration(
                FunctionName=name, Timeout=10 + i, RevisionId=rev
            )
        )
        codes = _codes(results)
        assert codes.count("ok") == 1, codes
        assert set(codes) <= {"ok", "PreconditionFailedException", "ResourceConflictException"}
        winner = next(r for r in results if not isinstance(r, ClientError))
        lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig=FAST)
        cfg = lam.get_function_configuration(FunctionName=name)
        assert cfg["Timeout"] == winner["Timeout"]


def test_delete_right_after_create_stays_deleted(lam) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        name = uid("race")
        lam.create_function(**create_args(name))
        lam.delete_function(FunctionName=name)
        assert_absent(lam, name)
        # The activation that was pending must not bring it back.
        lam.list_functions(MaxItems=1)
        assert_absent(lam, name)


def test_update_missing_function_is_not_found(lam) -> None:  # type: ignore[no-untyped-def]
    name = uid("missing")
    expect_error(
        lam.update_function_configuration,
        "ResourceNotFoundException",
        404,
        FunctionName=name,
        Timeout=5,
    )
    expect_error(
        lam.update_function_code,
        "ResourceNotFoundException",
        404,
        FunctionName=name,
        ZipFile=zip_bytes({"app.py": ECHO}),
    )


# ---- account settings -----------------------------------------------------------------------


def test_get_account_settings(lam) -> None:  # type: ignore[no-untyped-def]
    s = lam.get_account_settings()
    limit, usage = s["AccountLimit"], s["AccountUsage"]
    assert limit["ConcurrentExecutions"] == 1000
    assert 0 < limit["UnreservedConcurrentExecutions"] <= limit["ConcurrentExecutions"]
    assert limit["CodeSizeZipped"] == 50 * 1024 * 1024
    assert limit["CodeSizeUnzipped"] == 250 * 1024 * 1024
    assert limit["TotalCodeSize"] > 0
    count = usage["FunctionCount"]
    assert count == len(all_functions(lam))
    name = uid()
    data = zip_bytes({"app.py": ECHO})
    lam.create_function(**create_args(name, Code={"ZipFile": data}))
    s2 = lam.get_account_settings()
    assert s2["AccountUsage"]["FunctionCount"] == count + 1
    assert s2["AccountUsage"]["TotalCodeSize"] == usage["TotalCodeSize"] + len(data)
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=FAST)
    lam.delete_function(FunctionName=name)
    assert lam.get_account_settings()["AccountUsage"]["FunctionCount"] == count


# ---- tags -----------------------------------------------------------------------------------


def test_tags_lifecycle(lam) -> None:  # type: ignore[no-untyped-def]
    name = uid()
    create_python_function(lam, name, ECHO, Tags={"team": "core", "env": "dev"})
    fn_arn = lam.get_function_configuration(FunctionName=name)["FunctionArn"]
    assert lam.list_tags(Resource=fn_arn)["Tags"] == {"team": "core", "env": "dev"}

    resp = lam.tag_resource(Resource=fn_arn, Tags={"env": "prod", "cost": "42"})
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert lam.list_tags(Resource=fn_arn)["Tags"] == {"team": "core", "env": "prod", "cost": "42"}

    resp = lam.untag_resource(Resource=fn_arn, TagKeys=["team", "cost", "never-set"])
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert lam.list_tags(Resource=fn_arn)["Tags"] == {"env": "prod"}
    assert lam.get_function(FunctionName=name)["Tags"] == {"env": "prod"}

    lam.untag_resource(Resource=fn_arn, TagKeys=["env"])
    assert lam.list_tags(Resource=fn_arn)["Tags"] == {}
    assert "Tags" not in lam.get_function(FunctionName=name)


def test_tags_errors(lam, raw, echo_fn) -> None:  # type: ignore[no-untyped-def]
    expect_error(lam.list_tags, "ResourceNotFoundException", 404, Resource=arn(uid("missing")))
    expect_error(
        lam.tag_resource,
        "ResourceNotFoundException",
        404,
        Resource=arn(uid("missing")),
        Tags={"a": "b"},
    )
    expect_error(lam.list_tags, "InvalidParameterValueException", 400, Resource=arn(echo_fn) + ":1")
    expect_error(raw.list_tags, "ValidationException", 400, Resource=echo_fn)  # not an ARN


# ---- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "Timeout",
            0,
            "1 validation error detected: Value '0' at 'timeout' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1",
        ),
        (
            "Timeout",
            1000,
            "1 validation error detected: Value '1000' at 'timeout' failed to satisfy "
            "constraint: Member must have value less than or equal to 900",
        ),
        (
            "MemorySize",
            64,
            "1 validation error detected: Value '64' at 'memorySize' failed to satisfy "
            "constraint: Member must have value greater than or equal to 128",
        ),
        (
            "MemorySize",
            20000,
            "1 validation error detected: Value '20000' at 'memorySize' failed to satisfy "
            "constraint: Member must have value less than or equal to 10240",
        ),
    ],
)
def test_limits_on_create_and_update(lam, raw, echo_fn, field, value, message) -> None:  # type: ignore[no-untyped-def]
    name = uid()
    got = expect_error(
        raw.create_function, "ValidationException", 400, **create_args(name, **{field: value})
    )
    assert got == message
    assert_absent(lam, name)
    before = lam.get_function_configuration(FunctionName=echo_fn)
    got = expect_error(
        raw.update_function_configuration,
        "ValidationException",
        400,
        FunctionName=echo_fn,
        **{field: value},
    )
    assert got == message
    after = lam.get_function_configuration(FunctionName=echo_fn)
    assert after["RevisionId"] == before["RevisionId"]


def test_limits_at_the_boundaries_are_accepted(lam) -> None:  # type: ignore[no-untyped-def]
    name = uid()
    resp = lam.create_function(**create_args(name, Timeout=900, MemorySize=10240))
    assert (resp["Timeout"], resp["MemorySize"]) == (900, 10240)
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=FAST)
    resp = lam.update_function_configuration(FunctionName=name, Timeout=1, MemorySize=128)
    assert (resp["Timeout"], resp["MemorySize"]) == (1, 128)


def test_two_validation_errors(lam, raw) -> None:  # type: ignore[no-untyped-def]
    msg = expect_error(
        raw.create_function,
        "ValidationException",
        400,
        **create_args(uid(), Timeout=0, MemorySize=64),
    )
    assert msg.startswith("2 validation errors detected: ")
    assert "'timeout'" in msg and "'memorySize'" in msg and "; " in msg


def test_environment_over_4kb(lam) -> None:  # type: ignore[no-untyped-def]
    name = uid()
    msg = expect_error(
        lam.create_function,
        "InvalidParameterValueException",
        400,
        **create_args(name, Environment={"Variables": {"BIG": "x" * 4100}}),
    )
    assert "exceeded the 4KB limit" in msg
    assert_absent(lam, name)
    # Many small variables add up as well.
    many = {f"VAR_{i:03d}": "v" * 40 for i in range(100)}
    expect_error(
        lam.create_function,
        "InvalidParameterValueException",
        400,
        **create_args(name, Environment={"Variables": many}),
    )
    assert_absent(lam, name)


def test_environment_reserved_keys(lam, echo_fn) -> None:  # type: ignore[no-untyped-def]
    name = uid()
    env = {"Variables": {"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "x", "MINE": "ok"}}
    msg = expect_error(
        lam.create_function,
        "InvalidParameterValueException",
        400,
        **create_args(name, Environment=env),
    )
    assert "reserved keys" in msg
    assert "AWS_ACCESS_KEY_ID" in msg and "AWS_REGION" in msg and "MINE" not in msg
    assert_absent(lam, name)
    expect_error(
        lam.update_function_configuration,
        "InvalidParameterValueException",
        400,
        FunctionName=echo_fn,
        Environment={"Variables": {"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:1"}},
    )


def test_unknown_runtime_is_validation_error(lam) -> None:  # type: ignore[no-untyped-def]
    name = uid()
    msg = expect_error(
        lam.create_function, "ValidationException", 400, **create_args(name, Runtime="python2.9")
    )
    assert msg.startswith(
        "1 validation error detected: Value 'python2.9' at 'runtime' failed to satisfy "
        "constraint: Member must satisfy enum value set: ["
    )
    assert_absent(lam, name)


def test_unsupported_runtime_lists_supported_ones(lam, echo_fn) -> None:  # type: ignore[no-untyped-def]
    name = uid()
    msg = expect_error(
        lam.create_function,
        "InvalidParameterValueException",
        400,
        **create_args(name, Runtime="java21"),
    )
    assert "java21" in msg and "python3.11" in msg
    assert_absent(lam, name)
    msg = expect_error(
        lam.update_function_configuration,
        "InvalidParameterValueException",
        400,
        FunctionName=echo_fn,
        Runtime="ruby3.3",
    )
    assert "python3.11" in msg
    assert lam.get_function_configuration(FunctionName=echo_fn)["Runtime"] == "python3.11"


@pytest.mark.parametrize(
    "data",
    [b"this is not a zip file", b"PK\x03\x04" + b"\x00" * 100, zip_bytes({"a.py": "x"})[:-30]],
    ids=["text", "bare-header", "truncated"],
)
def test_invalid_zip(lam, data: bytes) -> None:  # type: ignore[no-untyped-def]
    name = uid()
    msg = expect_error(
        lam.create_function,
        "InvalidParameterValueException",
        400,
        **create_args(name, Code={"ZipFile": data}),
    )
    assert msg == UNZIP_ERROR
    assert_absent(lam, name)


def test_update_code_with_invalid_zip_keeps_old_code(lam, echo_fn) -> None:  # type: ignore[no-untyped-def]
    before = lam.get_function_configuration(FunctionName=echo_fn)
    msg = expect_error(
        lam.update_function_code,
        "InvalidParameterValueException",
        400,
        FunctionName=echo_fn,
        ZipFile=b"garbage",
    )
    assert msg == UNZIP_ERROR
    after = lam.get_function_configuration(FunctionName=echo_fn)
    assert (after["CodeSha256"], after["RevisionId"]) == (
        before["CodeSha256"],
        before["RevisionId"],
    )


def test_zip_with_parent_traversal_is_refused(lam) -> None:  # type: ignore[no-untyped-def]
    name = uid()
    data = zip_bytes({"app.py": ECHO, "../evil.py": "print('pwned')"})
    msg = expect_error(
        lam.create_function,
        "InvalidParameterValueException",
        400,
        **create_args(name, Code={"ZipFile": data}),
    )
    assert "evil.py" in msg
    assert_absent(lam, name)


def _zip_with_symlink(link_name: str, target: str, extra: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, c in extra.items():
            zf.writestr(n, c)
        info = zipfile.ZipInfo(link_name)
        info.external_attr = (0o120777) << 16  # S_IFLNK | 0777
        zf.writestr(info, target)
    return buf.getvalue()


@pytest.mark.parametrize("target", ["../../../../../../etc/passwd", "/etc/passwd", ".."])
def test_zip_with_symlink_outside_is_refused(lam, target: str) -> None:  # type: ignore[no-untyped-def]
    name = uid()
    data = _zip_with_symlink("link", target, {"app.py": ECHO})
    msg = expect_error(
        lam.create_function,
        "InvalidParameterValueException",
        400,
        **create_args(name, Code={"ZipFile": data}),
    )
    assert "symlink" in msg
    assert_absent(lam, name)


def test_zip_with_symlink_inside_is_accepted(lam) -> None:  # type: ignore[no-untyped-def]
    name = uid()
    data = _zip_with_symlink("alias.py", "app.py", {"app.py": ECHO})
    lam.create_function(**create_args(name, Code={"ZipFile": data}, Handler="alias.handler"))
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=FAST)
    out = lam.invoke(FunctionName=name, Payload=b'"via-link"')
    assert json.loads(out["Payload"].read()) == {"echo": "via-link"}


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    """260 MiB of zeros in one entry: ~250 KB compressed, over the 250 MB unzipped limit."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("app.py", ECHO)
        with zf.open("zeros.bin", "w", force_zip64=True) as f:
            chunk = bytes(4 << 20)
            for _ in range(65):
                f.write(chunk)
    data = buf.getvalue()
    assert len(data) < 2 << 20
    return data


def test_zip_bomb_is_refused(lam, zip_bomb: bytes) -> None:  # type: ignore[no-untyped-def]
    name = uid()
    msg = expect_error(
        lam.create_function,
        "InvalidParameterValueException",
        400,
        **create_args(name, Code={"ZipFile": zip_bomb}),
    )
    assert "262144000" in msg
    assert_absent(lam, name)


def _lying_bomb() -> bytes:
    """260 MiB of zeros whose local and central headers both claim 1000 bytes unzipped."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("app.py", ECHO)
        with zf.open("zeros.bin", "w") as f:
            chunk = bytes(4 << 20)
            for _ in range(65):
                f.write(chunk)
        offset = zf.getinfo("zeros.bin").header_offset
    data = bytearray(buf.getvalue())
    assert data[offset : offset + 4] == b"PK\x03\x04"
    data[offset + 22 : offset + 26] = (1000).to_bytes(4, "little")
    central = data.rfind(b"PK\x01\x02")  # the last central entry is zeros.bin
    assert data[central + 46 : central + 55] == b"zeros.bin"
    data[central + 24 : central + 28] = (1000).to_bytes(4, "little")
    return bytes(data)


def test_zip_bomb_with_lying_headers_is_refused(lam) -> None:  # type: ignore[no-untyped-def]
    name = uid()
    data = _lying_bomb()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert sum(i.file_size for i in zf.infolist()) < 2000  # the headers claim it is tiny
    expect_error(
        lam.create_function,
        "InvalidParameterValueException",
        400,
        **create_args(name, Code={"ZipFile": data}),
    )
    assert_absent(lam, name)


def _random_zip(size: int) -> bytes:
    """An incompressible (stored) zip of about ``size`` bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("app.py", ECHO)
        zf.writestr("blob.bin", random.randbytes(size))
    return buf.getvalue()


# Each case uploads ~70 MB of base64 over loopback: about a second each, kept on purpose.
@pytest.mark.parametrize(
    "size",
    [50 * 1024 * 1024 + 64 * 1024, 51 * 1024 * 1024],
    ids=["just-over-50MiB", "51MiB-past-request-limit"],
)
def test_zip_over_50mb_is_413(lam, size: int) -> None:  # type: ignore[no-untyped-def]
    name = uid()
    data = _random_zip(size)
    assert len(data) > 50 * 1024 * 1024
    started = time.monotonic()
    msg = expect_error(
        lam.create_function,
        "RequestEntityTooLargeException",
        413,
        **create_args(name, Code={"ZipFile": data}),
    )
    assert "must be smaller than" in msg
    assert time.monotonic() - started < 30
    assert_absent(lam, name)


def test_sync_invoke_payload_over_6mb_is_413(lam, echo_fn) -> None:  # type: ignore[no-untyped-def]
    payload = json.dumps({"blob": "x" * (6 * 1024 * 1024)}).encode()
    msg = expect_error(
        lam.invoke, "RequestTooLargeException", 413, FunctionName=echo_fn, Payload=payload
    )
    assert "6291456" in msg
    # Exactly at the limit is fine.
    name = uid("size")
    create_python_function(lam, name, "def handler(event, context):\n    return len(event)\n")
    at_limit = b'"' + b"y" * (6 * 1024 * 1024 - 2) + b'"'
    assert len(at_limit) == 6 * 1024 * 1024
    out = lam.invoke(FunctionName=name, Payload=at_limit)
    assert (out["StatusCode"], json.loads(out["Payload"].read())) == (200, 6 * 1024 * 1024 - 2)


def test_invoke_missing_function(lam) -> None:  # type: ignore[no-untyped-def]
    name = uid("missing")
    msg = expect_error(lam.invoke, "ResourceNotFoundException", 404, FunctionName=name)
    assert msg == f"Function not found: {arn(name)}"
    expect_error(lam.invoke, "ResourceNotFoundException", 404, FunctionName=arn(name))
    expect_error(
        lam.invoke, "ResourceNotFoundException", 404, FunctionName=name, InvocationType="Event"
    )


@pytest.mark.parametrize("bad", ["bad name", "bad!name", "bad.name", "bad/name", "a" * 141])
def test_bad_function_name_characters(lam, raw, bad: str) -> None:  # type: ignore[no-untyped-def]
    for call, kw in [
        (raw.get_function, {"FunctionName": bad}),
        (raw.get_function_configuration, {"FunctionName": bad}),
        (raw.invoke, {"FunctionName": bad, "Payload": b"{}"}),
        (raw.delete_function, {"FunctionName": bad}),
        (raw.create_function, create_args(bad)),
    ]:
        msg = expect_error(call, "ValidationException", 400, **kw)
        assert "functionName" in msg


def test_create_name_too_long_for_a_function(lam) -> None:  # type: ignore[no-untyped-def]
    name = "n" * 65  # the pattern allows more, a function name does not
    expect_error(lam.create_function, "ValidationException", 400, **create_args(name))


def test_missing_required_members(raw) -> None:  # type: ignore[no-untyped-def]
    msg = expect_error(
        raw.create_function, "ValidationException", 400, FunctionName=uid(), Runtime="python3.11"
    )
    assert msg.startswith("2 validation errors detected: ")
    assert "Value null at 'role'" in msg and "Value null at 'code'" in msg


# ---- raw HTTP: malformed requests never cause a 5xx --------------------------------------------


class Raw:
    """SigV4-signed requests built by hand, sent with urllib."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.creds = Credentials("test", "test")

    def send(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, Any, bytes]:
        req = AWSRequest(method=method, url=self.url + path, data=body, headers=headers or {})
        SigV4Auth(self.creds, "lambda", REGION).add_auth(req)
        prepared = req.prepare()
        r = urllib.request.Request(
            prepared.url, data=body or None, method=method, headers=dict(prepared.headers)
        )
        try:
            with urllib.request.urlopen(r, timeout=60) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as e:
            with e:
                return e.code, e.headers, e.read()


@pytest.fixture(scope="module")
def http(server) -> Raw:  # type: ignore[no-untyped-def]
    return Raw(server.url)


def assert_aws_error(status: int, headers: Any, body: bytes, case: Any = None) -> tuple[str, Any]:
    assert 400 <= status < 500, (case, status, body[:300])
    etype = headers.get("x-amzn-ErrorType")
    assert etype, (case, status, dict(headers))
    assert headers.get("x-amzn-RequestId")
    doc = json.loads(body)
    assert isinstance(doc, dict), (case, body[:300])
    assert isinstance(doc.get("message") or doc.get("Message"), str), (case, doc)
    return etype, doc


FN = "/2015-03-31/functions"
FN_BODY: dict[str, Any] = {
    "FunctionName": "fuzz-never-created",
    "Runtime": "python3.11",
    "Role": ROLE,
    "Handler": "app.handler",
    "Code": {"ZipFile": base64.b64encode(b"not a zip").decode()},
}
DEEP = b"[" * 100_000 + b"]" * 100_000


def _with(**kw: Any) -> bytes:
    return json.dumps({**FN_BODY, **kw}).encode()


MALFORMED: list[tuple[str, str, bytes, str | None]] = [
    # (method, path, body, expected x-amzn-ErrorType or None for "any 4xx")
    ("POST", FN, b"{not json", "InvalidRequestContentException"),
    ("POST", FN, b"[1, 2]", "InvalidRequestContentException"),
    ("POST", FN, b'"string"', "InvalidRequestContentException"),
    ("POST", FN, b"null", "InvalidRequestContentException"),
    ("POST", FN, b"\xff\xfe\xfd", "InvalidRequestContentException"),
    ("POST", FN, b"{}", "ValidationException"),
    ("POST", FN, b"", "ValidationException"),
    ("POST", FN, DEEP, "InvalidRequestContentException"),
    ("POST", FN, b'{"FunctionName": ' + DEEP + b"}", "InvalidRequestContentException"),
    ("POST", FN, _with(Timeout="3"), "InvalidRequestContentException"),
    ("POST", FN, _with(Timeout=3.5), "InvalidRequestContentException"),
    ("POST", FN, _with(MemorySize=True), "InvalidRequestContentException"),
    ("POST", FN, _with(Timeout=10**30), "ValidationException"),
    ("POST", FN, _with(Code="zip"), "InvalidRequestContentException"),
    ("POST", FN, _with(Code={"ZipFile": "@@@"}), "InvalidRequestContentException"),
    ("POST", FN, _with(Code={}), "InvalidParameterValueException"),
    ("POST", FN, _with(Environment={"Variables": ["A=1"]}), "InvalidRequestContentException"),
    ("POST", FN, _with(Tags=["a"]), "InvalidRequestContentException"),
    ("POST", FN, _with(Architectures="x86_64"), "InvalidRequestContentException"),
    ("POST", FN, _with(FunctionName=None), "ValidationException"),
    ("POST", FN, _with(FunctionName="fuzz:1"), None),
    ("POST", FN, _with(PackageType="Image"), "InvalidParameterValueException"),
    ("POST", FN, json.dumps(FN_BODY).encode(), "InvalidParameterValueException"),  # not a zip
    ("POST", FN, b'{"FunctionName": "\\ud800"}', "ValidationException"),
    ("POST", FN, b'{"Timeout": ' + b"9" * 5000 + b"}", "InvalidRequestContentException"),
    ("PUT", FN + "/fuzz-missing/configuration", b'{"Timeout": "3"}', None),
    ("PUT", FN + "/fuzz-missing/configuration", b"{bad", "InvalidRequestContentException"),
    ("PUT", FN + "/fuzz-missing/configuration", b"[]", "InvalidRequestContentException"),
    ("PUT", FN + "/fuzz-missing/configuration", b'{"Timeout": 0}', "ValidationException"),
    ("PUT", FN + "/fuzz-missing/code", b'{"ZipFile": 5}', "InvalidRequestContentException"),
    ("PUT", FN + "/fuzz-missing/code", b"{}", None),
    ("POST", FN + "/fuzz-missing/invocations", b"{bad", None),
    ("POST", FN + "/fuzz-missing/invocations", DEEP, None),
    ("GET", FN + "?MaxItems=abc", b"", "ValidationException"),
    ("GET", FN + "?MaxItems=0", b"", "ValidationException"),
    ("GET", FN + "?MaxItems=99999999999999999999", b"", "ValidationException"),
    ("GET", FN + "?FunctionVersion=BOGUS", b"", "ValidationException"),
    ("GET", FN + "/fuzz-missing", b"", "ResourceNotFoundException"),
    ("GET", FN + "/bad%20name", b"", "ValidationException"),
    ("GET", FN + "/%00", b"", "ValidationException"),
    ("GET", FN + "/%FF%FE", b"", "ValidationException"),
    ("GET", FN + "/" + "a" * 5000, b"", "ValidationException"),
    ("GET", FN + "/fuzz:1?Qualifier=2", b"", "InvalidParameterValueException"),
    ("GET", FN + "/" + quote("arn:aws:lambda:us-east-1:0:layer:x", safe=""), b"", None),
    ("GET", "/2017-03-31/tags/not-an-arn", b"", "ValidationException"),
    (
        "POST",
        "/2017-03-31/tags/" + quote(f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:x", safe=""),
        b'{"Tags": "x"}',
        "InvalidRequestContentException",
    ),
    (
        "POST",
        "/2017-03-31/tags/" + quote(f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:x", safe=""),
        b"{}",
        "ValidationException",
    ),
    # unknown paths
    ("GET", "/", b"", "UnknownOperationException"),
    ("GET", "/nope", b"", "UnknownOperationException"),
    ("GET", "/2015-03-31/nope", b"", "UnknownOperationException"),
    ("GET", FN + "/a/b/c/d/e/f", b"", "UnknownOperationException"),
    ("POST", "/2099-01-01/functions", b"{}", "UnknownOperationException"),
    # wrong methods
    ("PATCH", FN, b"", "MethodNotAllowedException"),
    ("DELETE", FN, b"", "MethodNotAllowedException"),
    ("PUT", FN + "/x", b"{}", "MethodNotAllowedException"),
    ("POST", "/2016-08-19/account-settings", b"", "MethodNotAllowedException"),
    ("GET", FN + "/x/code", b"", "MethodNotAllowedException"),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    MALFORMED,
    ids=[f"{i}-{m}-{p[:40]}" for i, (m, p, _b, _e) in enumerate(MALFORMED)],
)
def test_malformed_requests_get_4xx(
    http: Raw, method: str, path: str, body: bytes, expected: str | None
) -> None:
    status, headers, out = http.send(method, path, body)
    etype, _doc = assert_aws_error(status, headers, out, (method, path, body[:60]))
    if expected is not None:
        assert etype == expected, (method, path, body[:60], out[:300])
    if etype == "UnknownOperationException":
        assert status == 404
    if etype == "MethodNotAllowedException":
        assert status == 405


def _wrong_values(shape_type: str) -> list[Any]:
    pool: list[Any] = ["s", "", 7, -1, 0, 2**63, 1.25, True, False, [], ["x"], {}, {"k": "v"}]
    ok = {
        "string": (str,),
        "integer": (int,),
        "long": (int,),
        "boolean": (bool,),
        "list": (list,),
        "map": (dict,),
        "structure": (dict,),
        "blob": (str,),
    }.get(shape_type, ())
    return [
        v for v in pool if not isinstance(v, ok) or isinstance(v, bool) != (shape_type == "boolean")
    ]


def test_fuzz_wrong_json_types(http: Raw, lam) -> None:  # type: ignore[no-untyped-def]
    """Every member of CreateFunction / UpdateFunctionConfiguration with wrong-typed values."""
    rng = random.Random(1234)
    cases: list[tuple[str, str, bytes]] = []
    for op, method, path, base in [
        ("CreateFunction", "POST", FN, FN_BODY),
        ("UpdateFunctionConfiguration", "PUT", FN + "/fuzz-missing/configuration", {}),
    ]:
        shape = lam.meta.service_model.operation_model(op).input_shape
        for member_name, member in shape.members.items():
            if member.serialization.get("location"):
                continue  # uri/header members are not in the body
            values = _wrong_values(member.type_name)
            for value in rng.sample(values, min(4, len(values))):
                cases.append((method, path, json.dumps({**base, member_name: value}).encode()))
            if member.type_name == "structure":
                for sub_name, sub in member.members.items():
                    for value in rng.sample(_wrong_values(sub.type_name), 2):
                        doc = {**base, member_name: {sub_name: value}}
                        cases.append((method, path, json.dumps(doc).encode()))
    assert len(cases) > 80
    for method, path, body in cases:
        status, headers, out = http.send(method, path, body)
        assert_aws_error(status, headers, out, (method, path, body[:200]))


def test_fuzz_random_bytes(http: Raw) -> None:
    rng = random.Random(99)
    for i in range(40):
        body = rng.randbytes(rng.randrange(1, 300))
        if i % 2:
            body = b"{" + body  # looks like JSON for a moment
        for method, path in [("POST", FN), ("PUT", FN + "/fuzz-missing/configuration")]:
            status, headers, out = http.send(method, path, body)
            assert_aws_error(status, headers, out, (method, path, body))
