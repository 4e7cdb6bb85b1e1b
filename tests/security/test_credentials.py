"""A function's credentials, probed from inside the function as an attacker's code would.

Issue #19's first finding: every instance held the server's master key, so one function could
list every function, read another's environment, download its code, replace its environment and
call /_ovis/admin/. Now each instance runs with a role session for its execution role, and the
server evaluates that role's policies: these probes are refused unless the role allows them, and
the admin endpoints refuse role sessions always.

One private server (distinctive admin keys, so that a leak is a substring search), one module.
"""

from __future__ import annotations

import json
import os
import secrets
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.conftest import (
    ACCOUNT,
    REGION,
    ROLE,
    ServerProcess,
    make_client,
    start_server,
    zip_bytes,
)

POLL_S = 0.05  # between polls of a condition (each has a deadline)
ADMIN_KEY = "AKIAOVISADMIN" + secrets.token_hex(4).upper()
ADMIN_SECRET = secrets.token_urlsafe(30)
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)

# Runs inside the function: every probe's outcome (an error code, an HTTP status or "ok").
PROBE = r"""
import json, os, urllib.error, urllib.request
import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ClientError


def code(call):
    try:
        call()
        return "ok"
    except ClientError as e:
        return e.response["Error"]["Code"]


def admin():
    creds = boto3.Session().get_credentials().get_frozen_credentials()
    url = os.environ["AWS_ENDPOINT_URL"] + "/_ovis/admin/async/pending"
    req = AWSRequest(method="GET", url=url)
    SigV4Auth(creds, "lambda", os.environ["AWS_REGION"]).add_auth(req)
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=dict(req.headers))) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def handler(event, context):
    lam, sqs, s3 = boto3.client("lambda"), boto3.client("sqs"), boto3.client("s3")
    victim = event["victim"]
    out = {
        "identity": boto3.client("sts").get_caller_identity()["Arn"],
        "list_functions": code(lambda: lam.list_functions()),
        "read_env": code(lambda: lam.get_function_configuration(FunctionName=victim)),
        "download_code": code(lambda: lam.get_function(FunctionName=victim)),
        "replace_env": code(lambda: lam.update_function_configuration(
            FunctionName=victim, Environment={"Variables": {"PWNED": "1"}})),
        "invoke_victim": code(lambda: lam.invoke(FunctionName=victim)),
        "own_config": code(lambda: lam.get_function_configuration(
            FunctionName=context.function_name)),
        "other_account": code(lambda: lam.get_function_configuration(
            FunctionName="arn:aws:lambda:us-east-1:111122223333:function:elsewhere")),
        "send_allowed": code(lambda: sqs.send_message(
            QueueUrl=event["allowed_queue"], MessageBody="x")),
        "send_denied": code(lambda: sqs.send_message(
            QueueUrl=event["denied_queue"], MessageBody="x")),
        "list_buckets": code(lambda: s3.list_buckets()),
        "admin": admin(),
    }
    try:
        lam.list_functions()
    except ClientError as e:
        out["message"] = e.response["Error"]["Message"]
        out["status"] = e.response["ResponseMetadata"]["HTTPStatusCode"]
    return out
"""

ENV = r"""
import os


def handler(event, context):
    try:  # the process's initial environment block (not os.environ): what a dump would show
        with open("/proc/self/environ", "rb") as f:
            proc = f.read().decode("utf-8", "replace")
    except PermissionError:  # a non-dumpable instance (setuid from the zygote): unreadable
        proc = None
    return {"env": dict(os.environ), "proc": proc}
"""


# In the server's own environment only: nothing of it may reach an instance.
CANARY = "cred-canary-" + secrets.token_hex(12)


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    before = os.environ.get("OVIS_TEST_SERVER_CANARY")
    os.environ["OVIS_TEST_SERVER_CANARY"] = CANARY  # start_server passes os.environ on
    try:
        s = start_server(
            tmp_path_factory.mktemp("cred") / "data", "--credentials", f"{ADMIN_KEY}:{ADMIN_SECRET}"
        )
    finally:
        if before is None:
            os.environ.pop("OVIS_TEST_SERVER_CANARY")
        else:
            os.environ["OVIS_TEST_SERVER_CANARY"] = before
    yield s
    s.stop()


def _client(srv: ServerProcess, service: str) -> Any:
    return make_client(srv.url, service, access_key=ADMIN_KEY, secret_key=ADMIN_SECRET)


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _function(srv: ServerProcess, name: str, code: str, role: str, **kw: Any) -> str:
    lam = _client(srv, "lambda")
    arn: str = lam.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": zip_bytes({"app.py": code})},
        Timeout=30,
        **kw,
    )["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})
    return arn


def _invoke(srv: ServerProcess, name: str, event: Any = None) -> Any:
    resp = _client(srv, "lambda").invoke(FunctionName=name, Payload=json.dumps(event or {}))
    body = json.loads(resp["Payload"].read())
    assert "FunctionError" not in resp, body
    return body


def _role(srv: ServerProcess, policy: dict[str, Any] | None = None, managed: str = "") -> str:
    iam = _client(srv, "iam")
    name = _name("cred-role")
    arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    if policy is not None:
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    if managed:
        iam.attach_role_policy(RoleName=name, PolicyArn=managed)
    return arn


def test_the_environment_holds_a_role_session_and_no_server_secret(srv: ServerProcess) -> None:
    name = _name("cred-env")
    _function(srv, name, ENV, ROLE)
    got = _invoke(srv, name)
    env: dict[str, str] = got["env"]
    assert env["AWS_ACCESS_KEY_ID"].startswith("ASIA") and len(env["AWS_ACCESS_KEY_ID"]) == 20
    assert env["AWS_SECRET_ACCESS_KEY"] and env["AWS_SESSION_TOKEN"]
    server_secret = (srv.data_dir / "server-secret").read_bytes()
    for text in (json.dumps(env), got["proc"] or ""):
        assert ADMIN_KEY not in text and ADMIN_SECRET not in text and CANARY not in text
        assert server_secret.hex() not in text
    # the session is the function's role, named after the function, as on Lambda
    who = make_client(
        srv.url,
        "sts",
        access_key=env["AWS_ACCESS_KEY_ID"],
        secret_key=env["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=env["AWS_SESSION_TOKEN"],
    ).get_caller_identity()
    assert who["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/lambda-role/{name}"


def test_a_functions_role_session_is_held_to_its_policies(srv: ServerProcess) -> None:
    sqs = _client(srv, "sqs")
    allowed = sqs.create_queue(QueueName=_name("cred-ok"))["QueueUrl"]
    denied = sqs.create_queue(QueueName=_name("cred-no"))["QueueUrl"]
    denied_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{denied.rsplit('/', 1)[-1]}"
    victim = _name("cred-victim")
    _function(
        srv,
        victim,
        "def handler(e, c):\n    return 1\n",
        ROLE,
        Environment={"Variables": {"SECRET": "victims-own"}},
    )
    probe = _name("cred-probe")
    probe_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{probe}"
    limited = _role(
        srv,
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "lambda:GetFunctionConfiguration",
                    "Resource": probe_arn,
                },
                {
                    "Effect": "Allow",
                    "Action": "sqs:*",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:RequestedRegion": REGION}},
                },
                {"Effect": "Deny", "Action": "sqs:SendMessage", "Resource": denied_arn},
            ],
        },
    )
    _function(srv, probe, PROBE, limited)
    event = {"victim": victim, "allowed_queue": allowed, "denied_queue": denied}
    got = _invoke(srv, probe, event)
    assert (
        got.pop("identity")
        == f"arn:aws:sts::{ACCOUNT}:assumed-role/{limited.split('/')[-1]}/{probe}"
    )
    action = "lambda:ListFunctions"
    assert got.pop("message") == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{limited.split('/')[-1]}/{probe} is not "
        f"authorized to perform: {action} on resource: * because no identity-based policy allows "
        f"the {action} action"
    )
    assert got == {
        "status": 403,
        "list_functions": "AccessDeniedException",
        "read_env": "AccessDeniedException",
        "download_code": "AccessDeniedException",
        "replace_env": "AccessDeniedException",
        "invoke_victim": "AccessDeniedException",
        "own_config": "ok",
        "other_account": "AccessDeniedException",
        "send_allowed": "ok",
        "send_denied": "AccessDenied",  # the explicit Deny wins over sqs:*
        "list_buckets": "AccessDenied",  # S3's XML error
        "admin": 403,
    }
    victim_env = _client(srv, "lambda").get_function_configuration(FunctionName=victim)
    assert victim_env["Environment"]["Variables"] == {"SECRET": "victims-own"}

    # an administrator role may use every API, but never the admin endpoints
    admin = _name("cred-admin")
    _function(srv, admin, PROBE, _role(srv, managed="arn:aws:iam::aws:policy/AdministratorAccess"))
    got = _invoke(srv, admin, event)
    assert (got["list_functions"], got["read_env"], got["send_denied"]) == ("ok", "ok", "ok")
    assert got["admin"] == 403

    # a role ARN that names no role (role/lambda-role): its own account's resources only
    loose = _name("cred-loose")
    _function(srv, loose, PROBE, ROLE)
    got = _invoke(srv, loose, event)
    assert (got["list_functions"], got["read_env"], got["own_config"]) == ("ok", "ok", "ok")
    assert got["other_account"] == "AccessDeniedException"
    assert got["admin"] == 403
    # the server's own keys keep the admin endpoints
    assert _admin_status(srv) == 200


def _admin_status(srv: ServerProcess) -> int:
    url = f"{srv.url}/_ovis/admin/async/pending"
    req = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(ADMIN_KEY, ADMIN_SECRET), "lambda", REGION).add_auth(req)
    with urllib.request.urlopen(urllib.request.Request(url, headers=dict(req.headers))) as r:
        return int(r.status)


def test_sessions_are_renewed_at_half_life_and_expire(tmp_path: Path) -> None:
    # 6 h scaled to ~4.3 s: renewed (a new instance, a new key) after ~2.2 s
    srv = start_server(tmp_path / "data", "--sts-duration-scale", "0.0002")
    try:
        lam = srv.client("lambda")
        name = _name("cred-renew")
        lam.create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": zip_bytes({"app.py": ENV})},
        )
        lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})

        def env() -> dict[str, str]:
            out: dict[str, str] = json.loads(lam.invoke(FunctionName=name)["Payload"].read())["env"]
            return out

        first = env()
        deadline = time.monotonic() + 30
        while (now := env())["AWS_ACCESS_KEY_ID"] == first["AWS_ACCESS_KEY_ID"]:
            assert time.monotonic() < deadline, "the session was never renewed"
            time.sleep(POLL_S)
        assert now["AWS_SESSION_TOKEN"] != first["AWS_SESSION_TOKEN"]
        old = make_client(
            srv.url,
            "sts",
            access_key=first["AWS_ACCESS_KEY_ID"],
            secret_key=first["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=first["AWS_SESSION_TOKEN"],
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                old.get_caller_identity()
            except ClientError as e:
                assert e.response["Error"]["Code"] == "ExpiredToken"
                break
            assert time.monotonic() < deadline, "the old session never expired"
            time.sleep(POLL_S)

        # provisioned instances too: replaced by ones with a new session (calls meanwhile go
        # on-demand, never to an instance whose session is past half-life)
        version = lam.publish_version(FunctionName=name)["Version"]
        lam.put_provisioned_concurrency_config(
            FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=1
        )

        def provisioned_key() -> str | None:
            resp = lam.invoke(FunctionName=name, Qualifier=version)
            got: dict[str, str] = json.loads(resp["Payload"].read())["env"]
            kind = got["AWS_LAMBDA_INITIALIZATION_TYPE"]
            return got["AWS_ACCESS_KEY_ID"] if kind == "provisioned-concurrency" else None

        deadline = time.monotonic() + 30
        while (key := provisioned_key()) is None:
            assert time.monotonic() < deadline, "never served by a provisioned instance"
            time.sleep(POLL_S)
        while (other := provisioned_key()) in (None, key):
            assert time.monotonic() < deadline, "the provisioned session was never renewed"
            time.sleep(POLL_S)
        assert other is not None and other.startswith("ASIA")
    finally:
        srv.stop()
