"""STS against a live server, with boto3 and the AWS CLI: who the caller is, AssumeRole and
GetSessionToken, and temporary credentials accepted by every service on the port until they
expire (and across a kill -9), refused with a wrong or missing session token."""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import ACCOUNT, ServerProcess, make_client, start_server
from tests.integration.test_awscli import AWS, Cli

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


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _role(server: ServerProcess, **kw: Any) -> dict[str, Any]:
    """A role whose sessions may do anything (role sessions are IAM-evaluated: without a
    policy they could do nothing; tests/security/ covers what policies refuse)."""
    iam = server.client("iam")
    role = iam.create_role(  # type: ignore[attr-defined]
        RoleName=_name("sts"), AssumeRolePolicyDocument=TRUST, **kw
    )["Role"]
    iam.attach_role_policy(  # type: ignore[attr-defined]
        RoleName=role["RoleName"], PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    return role  # type: ignore[no-any-return]


def _as(server: ServerProcess, service: str, creds: dict[str, Any], token: str | None = "") -> Any:
    return make_client(
        server.url,
        service,
        access_key=creds["AccessKeyId"],
        secret_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"] if token == "" else token,
    )


def _unchecked(server: ServerProcess, service: str) -> Any:
    """A client that sends what it is given (the server's validation is under test)."""
    cfg = Config(retries={"max_attempts": 1}, parameter_validation=False)
    return make_client(server.url, service, config=cfg)


def _code(e: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = e.value.response["Error"]
    return err["Code"], err["Message"]


def test_get_caller_identity_of_the_static_key_is_the_account_root(server: ServerProcess) -> None:
    who = server.client("sts").get_caller_identity()  # type: ignore[attr-defined]
    assert (who["Account"], who["Arn"], who["UserId"]) == (
        ACCOUNT,
        f"arn:aws:iam::{ACCOUNT}:root",
        ACCOUNT,
    )


def test_assume_role_issues_credentials_that_every_service_accepts(server: ServerProcess) -> None:
    role = _role(server)
    sts = server.client("sts")
    before = datetime.now(UTC)
    got = sts.assume_role(  # type: ignore[attr-defined]
        RoleArn=role["Arn"], RoleSessionName="deploy@ci", DurationSeconds=1800
    )
    creds = got["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    assert len(creds["SecretAccessKey"]) == 40 and creds["SessionToken"]
    lifetime = (creds["Expiration"] - before).total_seconds()
    assert 1790 <= lifetime <= 1801
    arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/{role['RoleName']}/deploy@ci"
    assert got["AssumedRoleUser"] == {
        "AssumedRoleId": f"{role['RoleId']}:deploy@ci",
        "Arn": arn,
    }
    who = _as(server, "sts", creds).get_caller_identity()
    assert (who["Account"], who["Arn"], who["UserId"]) == (
        ACCOUNT,
        arn,
        f"{role['RoleId']}:deploy@ci",
    )
    # the same credentials on the other services of the port
    assert "Functions" in _as(server, "lambda", creds).list_functions()
    _as(server, "sqs", creds).list_queues()
    _as(server, "iam", creds).get_role(RoleName=role["RoleName"])


def test_a_wrong_or_missing_session_token_is_refused(server: ServerProcess) -> None:
    creds = server.client("sts").assume_role(  # type: ignore[attr-defined]
        RoleArn=_role(server)["Arn"], RoleSessionName="s1"
    )["Credentials"]
    for token in ("not-the-token", None):
        with pytest.raises(ClientError) as e:
            _as(server, "lambda", creds, token).list_functions()
        assert _code(e) == (
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        )
        with pytest.raises(ClientError) as e:
            _as(server, "sts", creds, token).get_caller_identity()
        assert _code(e) == (
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        )
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_assume_role_refusals(server: ServerProcess) -> None:
    sts = server.client("sts")
    missing = f"arn:aws:iam::{ACCOUNT}:role/{_name('nope')}"
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=missing, RoleSessionName="s1")  # type: ignore[attr-defined]
    assert _code(e) == (
        "AccessDenied",
        f"User: arn:aws:iam::{ACCOUNT}:root is not authorized to perform: sts:AssumeRole on "
        f"resource: {missing}",
    )
    role = _role(server)
    with pytest.raises(ClientError) as e:
        sts.assume_role(  # type: ignore[attr-defined]
            RoleArn=role["Arn"], RoleSessionName="s1", DurationSeconds=3601
        )
    assert _code(e) == (
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    )
    raw = _unchecked(server, "sts")
    with pytest.raises(ClientError) as e:
        raw.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", DurationSeconds=899)
    assert _code(e)[0] == "ValidationError" and "durationSeconds" in _code(e)[1], _code(e)
    for bad in ("x", "has space", "a" * 65):
        with pytest.raises(ClientError) as e:
            raw.assume_role(RoleArn=role["Arn"], RoleSessionName=bad)
        assert _code(e)[0] == "ValidationError", bad
    with pytest.raises(ClientError) as e:
        sts.assume_role(  # type: ignore[attr-defined]
            RoleArn=role["Arn"], RoleSessionName="s1", Policy='{"Statement": 1}'
        )
    assert _code(e) == ("MalformedPolicyDocument", "Syntax errors in policy.")


def test_a_longer_max_session_duration_allows_longer_sessions(server: ServerProcess) -> None:
    role = _role(server, MaxSessionDuration=7200)
    got = server.client("sts").assume_role(  # type: ignore[attr-defined]
        RoleArn=role["Arn"], RoleSessionName="long", DurationSeconds=7200
    )
    lifetime = (got["Credentials"]["Expiration"] - datetime.now(UTC)).total_seconds()
    assert 7190 <= lifetime <= 7201
    # role chaining: at most an hour, whatever the role allows
    chained = _as(server, "sts", got["Credentials"])
    with pytest.raises(ClientError) as e:
        chained.assume_role(RoleArn=role["Arn"], RoleSessionName="again", DurationSeconds=3601)
    assert _code(e) == (
        "ValidationError",
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by "
        "role chaining.",
    )
    again = chained.assume_role(RoleArn=role["Arn"], RoleSessionName="again")
    assert again["AssumedRoleUser"]["Arn"].endswith(f"/{role['RoleName']}/again")


def test_get_session_token(server: ServerProcess) -> None:
    sts = server.client("sts")
    creds = sts.get_session_token(DurationSeconds=900)["Credentials"]  # type: ignore[attr-defined]
    assert creds["AccessKeyId"].startswith("ASIA")
    lifetime = (creds["Expiration"] - datetime.now(UTC)).total_seconds()
    assert 890 <= lifetime <= 901
    session = _as(server, "sts", creds)
    # a session token's caller is the long-term identity behind it
    assert session.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    with pytest.raises(ClientError) as e:
        session.get_session_token()
    assert _code(e) == ("AccessDenied", "Cannot call GetSessionToken with session credentials")
    for bad in (899, 129601):
        with pytest.raises(ClientError) as e:
            _unchecked(server, "sts").get_session_token(DurationSeconds=bad)
        assert _code(e)[0] == "ValidationError"
    default = sts.get_session_token()["Credentials"]  # type: ignore[attr-defined]
    assert 43190 <= (default["Expiration"] - datetime.now(UTC)).total_seconds() <= 43201


def _until(check: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        out = check()
        if out or time.monotonic() > deadline:
            return out
        time.sleep(0.05)


def test_temporary_credentials_expire_and_survive_a_kill9(tmp_path: Path) -> None:
    # 0.002 x 900 s: the shortest session AWS allows lasts 1.8 s here.
    srv = start_server(tmp_path / "data", "--sts-duration-scale", "0.002")
    try:
        role = _role(srv)
        sts = srv.client("sts")
        short = sts.assume_role(  # type: ignore[attr-defined]
            RoleArn=role["Arn"], RoleSessionName="short", DurationSeconds=900
        )["Credentials"]
        lam = _as(srv, "lambda", short)
        assert "Functions" in lam.list_functions()

        def expired() -> bool:
            try:
                lam.list_functions()
            except ClientError as e:
                err = e.response["Error"]
                assert (err["Code"], err["Message"]) == (
                    "ExpiredTokenException",
                    "The security token included in the request is expired",
                )
                return True
            return False

        assert _until(expired), "credentials never expired"
        with pytest.raises(ClientError) as e:
            _as(srv, "sts", short).get_caller_identity()
        assert _code(e) == ("ExpiredToken", "The security token included in the request is expired")

        # 43200 x 0.002 s = 86 s: still valid after a kill -9 and a restart
        long = sts.assume_role(  # type: ignore[attr-defined]
            RoleArn=_role(srv, MaxSessionDuration=43200)["Arn"],
            RoleSessionName="long",
            DurationSeconds=43200,
        )["Credentials"]
        os.killpg(srv.proc.pid, signal.SIGKILL)
        srv.proc.wait(10)
    finally:
        srv.stop()
    srv = start_server(tmp_path / "data", "--sts-duration-scale", "0.002", port=srv.port)
    try:
        who = _as(srv, "sts", long).get_caller_identity()
        assert who["Arn"].endswith("/long")
        assert "Functions" in _as(srv, "lambda", long).list_functions()
        with pytest.raises(ClientError) as e:
            _as(srv, "lambda", short).list_functions()
        assert _code(e)[0] == "ExpiredTokenException"
        # and the roles are still there
        assert srv.client("iam").get_role(RoleName=role["RoleName"])["Role"]["Arn"] == role["Arn"]  # type: ignore[attr-defined]
    finally:
        srv.stop()


@pytest.mark.skipif(not AWS.exists(), reason="awscli is not installed in the venv")
def test_sts_with_the_aws_cli(server: ServerProcess, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    cli = Cli(server.url, home)
    who = cli.ok("sts", "get-caller-identity")
    assert who["Arn"] == f"arn:aws:iam::{ACCOUNT}:root" and who["Account"] == ACCOUNT
    name = _name("cli-sts")
    role = cli.ok(
        "iam", "create-role", "--role-name", name, "--assume-role-policy-document", TRUST
    )["Role"]
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"  # role sessions are IAM-evaluated
    cli.ok("iam", "attach-role-policy", "--role-name", name, "--policy-arn", admin)
    got = cli.ok(
        "sts",
        "assume-role",
        "--role-arn",
        role["Arn"],
        "--role-session-name",
        "cli",
        "--duration-seconds",
        "900",
    )
    creds = got["Credentials"]
    env = {
        "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
        "AWS_SESSION_TOKEN": creds["SessionToken"],
    }
    p = cli.run("sts", "get-caller-identity", env=env)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{name}/cli"
    p = cli.run("lambda", "list-functions", env=env)
    assert p.returncode == 0, p.stderr
    err = cli.fails("lambda", "list-functions", env={**env, "AWS_SESSION_TOKEN": "forged"})
    assert "UnrecognizedClientException" in err
    session = cli.ok("sts", "get-session-token", "--duration-seconds", "900")["Credentials"]
    assert session["AccessKeyId"].startswith("ASIA")
    err = cli.fails(
        "sts",
        "assume-role",
        "--role-arn",
        role["Arn"],
        "--role-session-name",
        "x1",
        "--duration-seconds",
        "7200",
    )
    assert "ValidationError" in err


def test_aws_iam_function_urls_accept_temporary_credentials(server: ServerProcess) -> None:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from tests.conftest import REGION, create_python_function
    from tests.integration.urls import Url, request

    lam = server.client("lambda")
    name = _name("urlsts")
    create_python_function(lam, name, "def handler(event, context):\n    return {'ok': True}\n")
    url = Url(
        server, lam.create_function_url_config(FunctionName=name, AuthType="AWS_IAM")["FunctionUrl"]
    )  # type: ignore[attr-defined]
    creds = server.client("sts").assume_role(  # type: ignore[attr-defined]
        RoleArn=_role(server)["Arn"], RoleSessionName="url"
    )["Credentials"]

    def call(token: str) -> int:
        req = AWSRequest(method="GET", url=f"http://{url.host}/")
        signer = Credentials(creds["AccessKeyId"], creds["SecretAccessKey"], token)
        SigV4Auth(signer, "lambda", REGION).add_auth(req)
        hdrs = [(k, v) for k, v in req.headers.items() if k.lower() != "host"]
        return request(server.port, "GET", "/", host=url.host, headers=hdrs).status

    assert call(creds["SessionToken"]) == 200
    assert call("forged") == 403
