"""IAM against a live server, with boto3 and the AWS CLI: roles, trust policies, tags, inline
and managed policies with versions, attachments, AWS managed policies, malformed documents, and
Lambda's --strict-iam."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ACCOUNT, ServerProcess, start_server, zip_bytes
from tests.integration.test_awscli import AWS, Cli

BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def _trust(service: str = "lambda.amazonaws.com") -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
            ],
        }
    )


def _doc(action: str = "s3:GetObject", resource: str = "*") -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}],
        }
    )


def _name(prefix: str = "role") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _code(e: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = e.value.response["Error"]
    return err["Code"], err["Message"]


@pytest.fixture(scope="module")
def iam(server: ServerProcess) -> Any:
    return server.client("iam")


def test_role_lifecycle(iam: Any) -> None:
    name = _name()
    created = iam.create_role(
        RoleName=name,
        Path="/service/",
        AssumeRolePolicyDocument=_trust(),
        Description="runs things",
        MaxSessionDuration=7200,
        Tags=[{"Key": "team", "Value": "a"}],
    )["Role"]
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/service/{name}"
    assert created["RoleId"].startswith("AROA") and len(created["RoleId"]) == 21
    assert created["AssumeRolePolicyDocument"] == json.loads(_trust())
    got = iam.get_role(RoleName=name)["Role"]
    assert {k: got[k] for k in ("Path", "RoleName", "RoleId", "Description")} == {
        "Path": "/service/",
        "RoleName": name,
        "RoleId": created["RoleId"],
        "Description": "runs things",
    }
    assert got["MaxSessionDuration"] == 7200 and got["Tags"] == [{"Key": "team", "Value": "a"}]

    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName=name.upper(), AssumeRolePolicyDocument=_trust())
    assert _code(e) == ("EntityAlreadyExists", f"Role with name {name.upper()} already exists.")

    iam.update_role(RoleName=name, Description="changed", MaxSessionDuration=3600)
    assert iam.get_role(RoleName=name)["Role"]["MaxSessionDuration"] == 3600
    described = iam.update_role_description(RoleName=name, Description="again")["Role"]
    assert described["Description"] == "again"
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=_trust("ec2.amazonaws.com"))
    doc = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
    assert doc["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}

    iam.delete_role(RoleName=name)
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName=name)
    assert _code(e) == ("NoSuchEntity", f"The role with name {name} cannot be found.")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_trust_policy_is_stored_as_given_and_url_encoded_on_the_wire(iam: Any) -> None:
    name = _name()
    given = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=given)
    raw: list[bytes] = []
    hook = lambda http_response, **kw: raw.append(http_response.content)  # noqa: E731
    iam.meta.events.register("after-call.iam.GetRole", hook)
    try:
        iam.get_role(RoleName=name)
    finally:
        iam.meta.events.unregister("after-call.iam.GetRole", hook)
    from urllib.parse import quote

    assert (
        f"<AssumeRolePolicyDocument>{quote(given, safe='-_.~')}</AssumeRolePolicyDocument>".encode()
        in raw[0]
    )


def test_list_roles_with_path_prefix_and_paging(iam: Any) -> None:
    path = f"/{uuid.uuid4().hex[:8]}/"
    names = sorted(_name("pg") for _ in range(5))
    for n in names:
        iam.create_role(RoleName=n, Path=path, AssumeRolePolicyDocument=_trust())
    first = iam.list_roles(PathPrefix=path, MaxItems=2)
    assert [r["RoleName"] for r in first["Roles"]] == names[:2] and first["IsTruncated"]
    seen = [r["RoleName"] for r in first["Roles"]]
    marker = first["Marker"]
    while marker:
        page = iam.list_roles(PathPrefix=path, MaxItems=2, Marker=marker)
        seen += [r["RoleName"] for r in page["Roles"]]
        marker = page.get("Marker")
    assert seen == names
    paginated = [
        r["RoleName"]
        for p in iam.get_paginator("list_roles").paginate(
            PathPrefix=path, PaginationConfig={"PageSize": 3}
        )
        for r in p["Roles"]
    ]
    assert paginated == names


def test_role_tags(iam: Any) -> None:
    name = _name()
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=_trust())
    iam.tag_role(RoleName=name, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    iam.tag_role(RoleName=name, Tags=[{"Key": "A", "Value": "3"}])  # keys ignore case
    assert iam.list_role_tags(RoleName=name)["Tags"] == [
        {"Key": "A", "Value": "3"},
        {"Key": "b", "Value": "2"},
    ]
    iam.untag_role(RoleName=name, TagKeys=["a"])
    assert iam.list_role_tags(RoleName=name)["Tags"] == [{"Key": "b", "Value": "2"}]
    with pytest.raises(ClientError) as e:
        iam.tag_role(RoleName=name, Tags=[{"Key": "x", "Value": "1"}, {"Key": "X", "Value": "2"}])
    assert _code(e)[0] == "InvalidInput"
    with pytest.raises(ClientError) as e:
        iam.tag_role(RoleName=name, Tags=[{"Key": f"k{i}", "Value": ""} for i in range(50)])
    assert _code(e) == ("LimitExceeded", "The number of tags has reached the maximum limit.")


def test_inline_role_policies(iam: Any) -> None:
    name = _name()
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=_trust())
    iam.put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=_doc())
    iam.put_role_policy(RoleName=name, PolicyName="logs", PolicyDocument=_doc("logs:*"))
    iam.put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=_doc("s3:List*"))
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == ["logs", "read"]
    got = iam.get_role_policy(RoleName=name, PolicyName="read")
    assert got["PolicyDocument"] == json.loads(_doc("s3:List*")) and got["RoleName"] == name
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName=name)
    assert _code(e) == ("DeleteConflict", "Cannot delete entity, must delete policies first.")
    iam.delete_role_policy(RoleName=name, PolicyName="read")
    iam.delete_role_policy(RoleName=name, PolicyName="logs")
    with pytest.raises(ClientError) as e:
        iam.get_role_policy(RoleName=name, PolicyName="read")
    assert _code(e) == ("NoSuchEntity", "The role policy with name read cannot be found.")
    with pytest.raises(ClientError) as e:
        iam.put_role_policy(RoleName=_name("gone"), PolicyName="p", PolicyDocument=_doc())
    assert _code(e)[0] == "NoSuchEntity"
    iam.delete_role(RoleName=name)


def test_managed_policies_versions_and_attachments(iam: Any) -> None:
    role = _name()
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=_trust())
    pname = _name("pol")
    policy = iam.create_policy(
        PolicyName=pname, Path="/app/", PolicyDocument=_doc(), Description="d"
    )["Policy"]
    arn = policy["Arn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:policy/app/{pname}"
    assert policy["PolicyId"].startswith("ANPA") and policy["DefaultVersionId"] == "v1"
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName=pname, PolicyDocument=_doc())
    assert _code(e)[0] == "EntityAlreadyExists"

    for i in range(2, 6):
        v = iam.create_policy_version(
            PolicyArn=arn, PolicyDocument=_doc(f"s3:Get{i}"), SetAsDefault=(i == 3)
        )["PolicyVersion"]
        assert v["VersionId"] == f"v{i}"
    with pytest.raises(ClientError) as e:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=_doc())
    assert _code(e) == (
        "LimitExceeded",
        "A managed policy can have up to 5 versions. Before you create a new version, you must "
        "delete an existing version.",
    )
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    listed = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in listed] == [
        ("v5", False),
        ("v4", False),
        ("v3", True),
        ("v2", False),
        ("v1", False),
    ]
    got = iam.get_policy_version(PolicyArn=arn, VersionId="v3")["PolicyVersion"]
    assert got["Document"] == json.loads(_doc("s3:Get3")) and got["IsDefaultVersion"]
    with pytest.raises(ClientError) as e:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v3")
    assert _code(e) == ("DeleteConflict", "Cannot delete the default version of a policy.")
    iam.delete_policy_version(PolicyArn=arn, VersionId="v5")
    v6 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=_doc())["PolicyVersion"]
    assert v6["VersionId"] == "v6"  # never reused
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v6")

    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    iam.attach_role_policy(RoleName=role, PolicyArn=BASIC)
    attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    assert sorted(a["PolicyArn"] for a in attached) == sorted([arn, BASIC])
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    entities = iam.list_entities_for_policy(PolicyArn=arn)
    assert [r["RoleName"] for r in entities["PolicyRoles"]] == [role]
    assert entities["PolicyUsers"] == [] and entities["PolicyGroups"] == []
    local = iam.list_policies(Scope="Local", OnlyAttached=True, PathPrefix="/app/")["Policies"]
    assert arn in [p["Arn"] for p in local]
    assert iam.list_instance_profiles_for_role(RoleName=role)["InstanceProfiles"] == []

    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=arn)
    assert _code(e) == ("DeleteConflict", "Cannot delete a policy attached to entities.")
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName=role)
    assert _code(e) == ("DeleteConflict", "Cannot delete entity, must detach all policies first.")
    iam.detach_role_policy(RoleName=role, PolicyArn=arn)
    iam.detach_role_policy(RoleName=role, PolicyArn=BASIC)
    with pytest.raises(ClientError) as e:
        iam.detach_role_policy(RoleName=role, PolicyArn=arn)
    assert _code(e) == ("NoSuchEntity", f"Policy {arn} was not found.")
    with pytest.raises(ClientError) as e:
        iam.delete_policy(PolicyArn=arn)
    assert _code(e)[0] == "DeleteConflict" and "more than one version" in _code(e)[1]
    for v in ("v1", "v2", "v3", "v4"):
        iam.delete_policy_version(PolicyArn=arn, VersionId=v)
    iam.delete_policy(PolicyArn=arn)
    with pytest.raises(ClientError) as e:
        iam.get_policy(PolicyArn=arn)
    assert _code(e) == ("NoSuchEntity", f"Policy {arn} was not found.")
    missing = f"arn:aws:iam::{ACCOUNT}:policy/{_name('nope')}"
    with pytest.raises(ClientError) as e:
        iam.attach_role_policy(RoleName=role, PolicyArn=missing)
    assert _code(e) == ("NoSuchEntity", f"Policy {missing} does not exist or is not attachable.")
    iam.delete_role(RoleName=role)


@pytest.mark.parametrize(
    ("arn", "action"),
    [
        (BASIC, "logs:PutLogEvents"),
        (
            "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
            "sqs:ReceiveMessage",
        ),
        (
            "arn:aws:iam::aws:policy/service-role/AWSLambdaKinesisExecutionRole",
            "kinesis:GetRecords",
        ),
        (
            "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole",
            "dynamodb:GetRecords",
        ),
        (
            "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
            "ec2:CreateNetworkInterface",
        ),
        ("arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess", "xray:PutTraceSegments"),
        ("arn:aws:iam::aws:policy/AWSLambda_FullAccess", "lambda:*"),
        ("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "s3:Get*"),
        ("arn:aws:iam::aws:policy/AmazonSQSFullAccess", "sqs:*"),
        ("arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess", "dynamodb:*"),
        ("arn:aws:iam::aws:policy/CloudWatchLogsFullAccess", "logs:*"),
        ("arn:aws:iam::aws:policy/AdministratorAccess", "*"),
    ],
)
def test_aws_managed_policies_are_known_with_their_documents(
    iam: Any, arn: str, action: str
) -> None:
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    assert policy["Arn"] == arn and policy["PolicyName"] == arn.rsplit("/", 1)[1]
    doc = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])[
        "PolicyVersion"
    ]["Document"]
    actions = [
        a
        for st in doc["Statement"]
        for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])
    ]
    assert action in actions
    listed = {p["Arn"] for p in iam.list_policies(Scope="AWS", MaxItems=1000)["Policies"]}
    assert arn in listed
    with pytest.raises(ClientError):
        iam.delete_policy(PolicyArn=arn)


MALFORMED = [
    ("not json", "This policy contains invalid Json"),
    ('{"Version": "2012-10-17"}', "Syntax errors in policy."),
    (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "s3:*", "Resource": "*"}]}',
        "Syntax errors in policy.",
    ),
    (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*"}]}',
        "Policy statement must contain actions.",
    ),
    (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}',
        "Policy statement must contain resources.",
    ),
    (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "getobject", "Resource": "*"}]}',
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
    ),
    (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "bucket"}]}',
        'Resource bucket must be in ARN format or "*".',
    ),
    (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Principal": "*"}]}',
        "Policy document should not specify a principal.",
    ),
    (
        '{"Version": "2012-10-17", "Statement": [{"Sid": "a", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}, {"Sid": "a", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}',
        "Statement IDs (SID) in a single policy must be unique.",
    ),
    (
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Extra": 1}]}',
        "Syntax errors in policy.",
    ),
]


@pytest.mark.parametrize(("document", "message"), MALFORMED)
def test_malformed_policies_are_refused(iam: Any, document: str, message: str) -> None:
    role = _name()
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=_trust())
    with pytest.raises(ClientError) as e:
        iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=document)
    assert _code(e) == ("MalformedPolicyDocument", message)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as e:
        iam.create_policy(PolicyName=_name("bad"), PolicyDocument=document)
    assert _code(e) == ("MalformedPolicyDocument", message)
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == []  # nothing half-written


def test_malformed_trust_policies_are_refused(iam: Any) -> None:
    name = _name()
    cases = [
        (
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}, "Resource": "*"}]}',
            "Has prohibited field Resource.",
        ),
        (
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda"}}]}',
            'Invalid principal in policy: "SERVICE":"lambda"',
        ),
        ("{}", "Syntax errors in policy."),
    ]
    for document, message in cases:
        with pytest.raises(ClientError) as e:
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=document)
        assert _code(e) == ("MalformedPolicyDocument", message)
    with pytest.raises(ClientError):
        iam.get_role(RoleName=name)  # nothing created
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=_trust())
    with pytest.raises(ClientError) as e:
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=cases[0][0])
    assert _code(e)[0] == "MalformedPolicyDocument"


def test_unsupported_iam_operations_answer_invalid_action(iam: Any) -> None:
    with pytest.raises(ClientError) as e:
        iam.list_users()
    assert _code(e)[0] == "InvalidAction"


def _create_function(lam: Any, name: str, role: str) -> Any:
    return lam.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": zip_bytes({"app.py": "def handler(e, c):\n    return e\n"})},
    )


def test_strict_iam_refuses_roles_lambda_cannot_assume(tmp_path: Path) -> None:
    srv = start_server(tmp_path / "data", "--strict-iam")
    try:
        iam, lam = srv.client("iam"), srv.client("lambda")
        good = iam.create_role(RoleName=_name(), AssumeRolePolicyDocument=_trust())["Role"]  # type: ignore[attr-defined]
        ec2 = iam.create_role(  # type: ignore[attr-defined]
            RoleName=_name(), AssumeRolePolicyDocument=_trust("ec2.amazonaws.com")
        )["Role"]
        missing = f"arn:aws:iam::{ACCOUNT}:role/{_name('nope')}"
        for role in (missing, ec2["Arn"]):
            with pytest.raises(ClientError) as e:
                _create_function(lam, _name("fn"), role)
            assert _code(e) == (
                "InvalidParameterValueException",
                "The role defined for the function cannot be assumed by Lambda.",
            )
        name = _name("fn")
        assert _create_function(lam, name, good["Arn"])["Role"] == good["Arn"]
        with pytest.raises(ClientError) as e:
            lam.update_function_configuration(FunctionName=name, Role=ec2["Arn"])  # type: ignore[attr-defined]
        assert _code(e)[0] == "InvalidParameterValueException"
        # the trust policy is read when the function is written: allowing Lambda later works
        iam.update_assume_role_policy(RoleName=ec2["RoleName"], PolicyDocument=_trust())  # type: ignore[attr-defined]
        lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.05})  # type: ignore[attr-defined]
        lam.update_function_configuration(FunctionName=name, Role=ec2["Arn"])  # type: ignore[attr-defined]

        # and STS: only a role whose trust policy names the caller may be assumed
        sts = srv.client("sts")
        with pytest.raises(ClientError) as e:
            sts.assume_role(RoleArn=good["Arn"], RoleSessionName="s1")  # type: ignore[attr-defined]
        assert _code(e)[0] == "AccessDenied"
        trusting = iam.create_role(  # type: ignore[attr-defined]
            RoleName=_name(),
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": ACCOUNT},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )["Role"]
        got = sts.assume_role(RoleArn=trusting["Arn"], RoleSessionName="s1")  # type: ignore[attr-defined]
        assert got["AssumedRoleUser"]["Arn"].endswith(f"/{trusting['RoleName']}/s1")
    finally:
        srv.stop()


@pytest.mark.skipif(not AWS.exists(), reason="awscli is not installed in the venv")
def test_iam_with_the_aws_cli(server: ServerProcess, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    cli = Cli(server.url, home)
    name = _name("cli")
    role = cli.ok(
        "iam", "create-role", "--role-name", name, "--assume-role-policy-document", _trust()
    )["Role"]
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/{name}"
    got = cli.ok("iam", "get-role", "--role-name", name)["Role"]
    assert got["AssumeRolePolicyDocument"] == json.loads(_trust())
    cli.ok(
        "iam",
        "put-role-policy",
        "--role-name",
        name,
        "--policy-name",
        "p",
        "--policy-document",
        _doc(),
    )
    assert cli.ok("iam", "list-role-policies", "--role-name", name)["PolicyNames"] == ["p"]
    policy = cli.ok(
        "iam", "create-policy", "--policy-name", _name("clip"), "--policy-document", _doc()
    )["Policy"]
    cli.ok("iam", "attach-role-policy", "--role-name", name, "--policy-arn", policy["Arn"])
    cli.ok("iam", "attach-role-policy", "--role-name", name, "--policy-arn", BASIC)
    attached = cli.ok("iam", "list-attached-role-policies", "--role-name", name)["AttachedPolicies"]
    assert {a["PolicyArn"] for a in attached} == {policy["Arn"], BASIC}
    err = cli.fails("iam", "delete-role", "--role-name", name)
    assert "DeleteConflict" in err
    err = cli.fails(
        "iam",
        "create-policy",
        "--policy-name",
        _name("bad"),
        "--policy-document",
        '{"Statement": []}',
    )
    assert "MalformedPolicyDocument" in err and "Syntax errors in policy." in err
    names = [r["RoleName"] for r in cli.ok("iam", "list-roles")["Roles"]]
    assert name in names
    cli.ok("iam", "detach-role-policy", "--role-name", name, "--policy-arn", policy["Arn"])
    cli.ok("iam", "detach-role-policy", "--role-name", name, "--policy-arn", BASIC)
    cli.ok("iam", "delete-role-policy", "--role-name", name, "--policy-name", "p")
    cli.ok("iam", "delete-role", "--role-name", name)
    err = cli.fails("iam", "get-role", "--role-name", name)
    assert "NoSuchEntity" in err


def test_iam_is_global_whatever_region_the_client_signs_for(server: ServerProcess) -> None:
    import boto3

    name = _name()
    server.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=_trust())  # type: ignore[attr-defined]
    for region in ("us-east-1", "eu-west-1"):
        kw: dict[str, Any] = dict(
            endpoint_url=server.url,
            region_name=region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        iam = boto3.client("iam", **kw)
        assert iam.get_role(RoleName=name)["Role"]["RoleName"] == name
        sts = boto3.client("sts", **kw)
        assert sts.get_caller_identity()["Account"] == ACCOUNT
