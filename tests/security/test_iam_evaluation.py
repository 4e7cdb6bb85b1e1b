"""IAM evaluation of role sessions over the wire: AssumeRole sessions calling Lambda, SQS, SNS
and S3 with boto3, refused in each protocol's own AccessDenied unless a policy allows the call.
The server's own keys (the ``server`` fixture's) keep full access."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ACCOUNT, REGION, ServerProcess, make_client, start_server, zip_bytes

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "sts:AssumeRole",
            },
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            },
        ],
    }
)


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _session(srv: ServerProcess, *policies: str, boundary: str = "", session: str = "") -> Any:
    """(role, a client factory for a session of a new role with ``policies`` inline)."""
    iam = srv.client("iam")
    kw: dict[str, Any] = {"PermissionsBoundary": boundary} if boundary else {}
    role = iam.create_role(RoleName=_name("eval"), AssumeRolePolicyDocument=TRUST, **kw)["Role"]  # type: ignore[attr-defined]
    for i, policy in enumerate(policies):
        iam.put_role_policy(RoleName=role["RoleName"], PolicyName=f"p{i}", PolicyDocument=policy)  # type: ignore[attr-defined]
    extra = {"Policy": session} if session else {}
    creds = srv.client("sts").assume_role(  # type: ignore[attr-defined]
        RoleArn=role["Arn"], RoleSessionName="eval", **extra
    )["Credentials"]

    def client(service: str) -> Any:
        return make_client(
            srv.url,
            service,
            access_key=creds["AccessKeyId"],
            secret_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )

    return role, client


def _refused(call: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as e:
        call()
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"]


def _function(srv: ServerProcess, role: str = f"arn:aws:iam::{ACCOUNT}:role/lambda-role") -> str:
    lam = srv.client("lambda")
    name = _name("eval-fn")
    lam.create_function(  # type: ignore[attr-defined]
        FunctionName=name,
        Runtime="python3.11",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": zip_bytes({"app.py": CALLS})},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})  # type: ignore[attr-defined]
    return name


CALLS = """
import boto3
from botocore.exceptions import ClientError


def handler(event, context):
    try:
        boto3.client("lambda").list_functions()
        return "ok"
    except ClientError as e:
        return e.response["Error"]["Code"]
"""


def test_identity_policies_deny_allow_and_default_deny_per_protocol(server: ServerProcess) -> None:
    fn = _function(server)
    fn_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{fn}"
    sqs, sns, s3 = server.client("sqs"), server.client("sns"), server.client("s3")
    queue = sqs.create_queue(QueueName=_name("eval-q"))["QueueUrl"]  # type: ignore[attr-defined]
    topic = sns.create_topic(Name=_name("eval-t"))["TopicArn"]  # type: ignore[attr-defined]
    bucket = _name("eval-b")
    s3.create_bucket(Bucket=bucket)  # type: ignore[attr-defined]
    s3.put_object(Bucket=bucket, Key="public/a", Body=b"a")  # type: ignore[attr-defined]
    s3.put_object(Bucket=bucket, Key="private/b", Body=b"b")  # type: ignore[attr-defined]
    role, client = _session(
        server,
        _doc(
            {"Effect": "Allow", "Action": "lambda:Get*", "Resource": f"{fn_arn}*"},
            {"Effect": "Allow", "NotAction": ["iam:*", "sns:*", "lambda:*"], "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": "s3:GetObject",
                "NotResource": f"arn:aws:s3:::{bucket}/public/*",
            },
        ),
    )
    session_arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/{role['RoleName']}/eval"
    lam = client("lambda")
    assert lam.get_function_configuration(FunctionName=fn)["FunctionName"] == fn
    code, status, message = _refused(lambda: lam.invoke(FunctionName=fn))
    assert (code, status) == ("AccessDeniedException", 403)
    assert message == (
        f"User: {session_arn} is not authorized to perform: lambda:InvokeFunction on resource: "
        f"{fn_arn} because no identity-based policy allows the lambda:InvokeFunction action"
    )
    assert _refused(lambda: lam.list_functions())[:2] == ("AccessDeniedException", 403)
    # NotAction: everything but IAM, SNS and Lambda
    client("sqs").send_message(QueueUrl=queue, MessageBody="x")
    assert _refused(lambda: client("sns").publish(TopicArn=topic, Message="x"))[:2] == (
        "AccessDenied",
        403,
    )
    assert _refused(lambda: client("iam").list_roles())[:2] == ("AccessDenied", 403)
    # NotResource in a Deny: only public/ may be read; S3 answers its XML AccessDenied
    own_s3 = client("s3")
    assert own_s3.get_object(Bucket=bucket, Key="public/a")["Body"].read() == b"a"
    code, status, message = _refused(lambda: own_s3.get_object(Bucket=bucket, Key="private/b"))
    assert (code, status) == ("AccessDenied", 403)
    assert message.endswith("with an explicit deny in an identity-based policy")
    # GetCallerIdentity needs no permission; the static key is never evaluated
    assert client("sts").get_caller_identity()["Arn"] == session_arn
    assert "Functions" in server.client("lambda").list_functions()  # type: ignore[attr-defined]


def test_resource_policies_boundaries_and_session_policies(server: ServerProcess) -> None:
    lam, sqs = server.client("lambda"), server.client("sqs")
    fn = _function(server)
    role, client = _session(server)  # no identity policy at all
    assert _refused(lambda: client("lambda").invoke(FunctionName=fn))[0] == "AccessDeniedException"
    # a function policy naming the role grants Invoke (same account: either policy suffices)
    lam.add_permission(  # type: ignore[attr-defined]
        FunctionName=fn,
        StatementId="role",
        Action="lambda:InvokeFunction",
        Principal=role["Arn"],
    )
    assert client("lambda").invoke(FunctionName=fn)["StatusCode"] == 200
    # an SQS queue policy naming the role grants SendMessage, and nothing else
    url = sqs.create_queue(QueueName=_name("eval-rq"))["QueueUrl"]  # type: ignore[attr-defined]
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{url.rsplit('/', 1)[-1]}"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": role["Arn"]},
                "Action": "sqs:SendMessage",
                "Resource": arn,
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})  # type: ignore[attr-defined]
    own = client("sqs")
    own.send_message(QueueUrl=url, MessageBody="granted by the queue")
    assert _refused(lambda: own.receive_message(QueueUrl=url))[:2] == ("AccessDenied", 403)
    # likewise an SNS topic policy
    sns = server.client("sns")
    topic = sns.create_topic(Name=_name("eval-rt"))["TopicArn"]  # type: ignore[attr-defined]
    assert _refused(lambda: client("sns").publish(TopicArn=topic, Message="m"))[0] == "AccessDenied"
    grant = {**policy["Statement"][0], "Action": "sns:Publish", "Resource": topic}  # type: ignore[index]
    sns.set_topic_attributes(  # type: ignore[attr-defined]
        TopicArn=topic,
        AttributeName="Policy",
        AttributeValue=json.dumps({"Version": "2012-10-17", "Statement": [grant]}),
    )
    assert client("sns").publish(TopicArn=topic, Message="m")["MessageId"]

    # a permissions boundary and a session policy both cap what the identity policy allows
    iam = server.client("iam")
    boundary = iam.create_policy(  # type: ignore[attr-defined]
        PolicyName=_name("eval-boundary"),
        PolicyDocument=_doc({"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}),
    )["Policy"]["Arn"]
    everything = _doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
    _r, bounded = _session(server, everything, boundary=boundary)
    bounded("sqs").list_queues()
    assert _refused(lambda: bounded("lambda").list_functions())[0] == "AccessDeniedException"
    session = _doc({"Effect": "Allow", "Action": "lambda:ListFunctions", "Resource": "*"})
    _r, scoped = _session(server, everything, session=session)
    assert "Functions" in scoped("lambda").list_functions()
    assert _refused(lambda: scoped("sqs").list_queues())[0] == "AccessDenied"


def test_strict_iam_denies_a_session_whose_role_is_gone(tmp_path: Path) -> None:
    srv = start_server(tmp_path / "data", "--strict-iam")
    try:
        iam = srv.client("iam")
        role = iam.create_role(RoleName=_name("eval-gone"), AssumeRolePolicyDocument=TRUST)["Role"]  # type: ignore[attr-defined]
        iam.put_role_policy(  # type: ignore[attr-defined]
            RoleName=role["RoleName"],
            PolicyName="all",
            PolicyDocument=_doc({"Effect": "Allow", "Action": "*", "Resource": "*"}),
        )
        fn = _function(srv, role["Arn"])
        lam = srv.client("lambda")

        def inside() -> str:
            out: str = json.loads(lam.invoke(FunctionName=fn)["Payload"].read())  # type: ignore[attr-defined]
            return out

        assert inside() == "ok"
        iam.delete_role_policy(RoleName=role["RoleName"], PolicyName="all")  # type: ignore[attr-defined]
        assert inside() == "AccessDeniedException"  # policies are read per request
        iam.delete_role(RoleName=role["RoleName"])  # type: ignore[attr-defined]
        assert inside() == "AccessDeniedException"  # strict: a missing role allows nothing
    finally:
        srv.stop()


def test_a_role_session_signed_into_the_console_is_held_to_its_policies(
    server: ServerProcess,
) -> None:
    from tests.integration.test_console_api import Browserish

    iam = server.client("iam")
    role = iam.create_role(RoleName=_name("eval-console"), AssumeRolePolicyDocument=TRUST)["Role"]  # type: ignore[attr-defined]
    iam.put_role_policy(  # type: ignore[attr-defined]
        RoleName=role["RoleName"],
        PolicyName="queues",
        PolicyDocument=_doc({"Effect": "Allow", "Action": "sqs:ListQueues", "Resource": "*"}),
    )
    creds = server.client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="web")[  # type: ignore[attr-defined]
        "Credentials"
    ]
    console = Browserish(server.url)
    console.start()
    status, out = console.api(
        "POST",
        "/signin",
        {
            "AccessKeyId": creds["AccessKeyId"],
            "SecretAccessKey": creds["SecretAccessKey"],
            "SessionToken": creds["SessionToken"],
        },
    )
    assert status == 200, out
    console.csrf = out["CsrfToken"]
    status, out = console.api("POST", "/call/sqs/ListQueues", {})
    assert status == 200, out
    status, out = console.api("POST", "/call/lambda/ListFunctions", {})
    assert status == 403, out
    assert "is not authorized to perform: lambda:ListFunctions" in json.dumps(out)
