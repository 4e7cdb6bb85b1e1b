"""The calls Terraform's hashicorp/aws provider makes, in its order and with its parameters,
for each resource docs/terraform.md lists: create, the read after it (the read every plan
repeats), an update and delete, against a live server through boto3 (the provider's Go SDK
sends the same operations). Each test checks the answers the provider relies on: the shapes it
flattens into state and the error codes it treats as "not set" or "gone"."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import ACCOUNT, REGION, ServerProcess, make_client, zip_bytes

CODE_V1 = "def handler(event, context):\n    return {'v': 1, 'event': event}\n"
CODE_V2 = "def handler(event, context):\n    return {'v': 2, 'event': event}\n"
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


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def code(name: str) -> str:
    """The error code of a failed call (the provider matches these, never messages alone)."""
    return str(name)


def error_of(call: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(ClientError) as e:
        call()
    err: dict[str, Any] = e.value.response["Error"]
    err["Status"] = e.value.response["ResponseMetadata"]["HTTPStatusCode"]
    return err


def until(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Poll ``check`` (as the provider's waiters do) until it answers something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def aws(server: ServerProcess) -> Callable[[str], Any]:
    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            kw: dict[str, Any] = {}
            if service == "s3":  # the provider block's s3_use_path_style = true
                kw["config"] = Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"})
            clients[service] = make_client(server.url, service, **kw)
        return clients[service]

    return client


def make_role(aws: Callable[[str], Any]) -> str:
    name = uniq("tf-role")
    return str(aws("iam").create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"])


def make_function(aws: Callable[[str], Any], publish: bool = True) -> tuple[str, str]:
    """A function as aws_lambda_function creates it: (name, ARN)."""
    lam = aws("lambda")
    name = uniq("tf-fn")
    out = lam.create_function(
        FunctionName=name,
        Code={"ZipFile": zip_bytes({"app.py": CODE_V1})},
        Description="",
        MemorySize=128,
        PackageType="Zip",
        Publish=publish,
        Role=make_role(aws),
        Timeout=3,
        Handler="app.handler",
        Runtime="python3.11",
    )
    until(lambda: lam.get_function(FunctionName=name)["Configuration"]["State"] == "Active")
    # with Publish the answer names the new version (as AWS): the function's ARN is unqualified
    assert out["Version"] == ("1" if publish else "$LATEST")
    return name, str(out["FunctionArn"]).removesuffix(":1")


# ---- IAM


def test_iam_role_policy_attachment_and_inline_policy(aws: Callable[[str], Any]) -> None:
    iam = aws("iam")
    name = uniq("tf-role")
    # aws_iam_role create: CreateRole (tags inline), then the read
    iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=TRUST,
        Path="/",
        MaxSessionDuration=3600,
        Description="tf role",
        Tags=[{"Key": "team", "Value": "a"}],
    )
    role = iam.get_role(RoleName=name)["Role"]
    assert role["Description"] == "tf role" and role["MaxSessionDuration"] == 3600
    assert role["Tags"] == [{"Key": "team", "Value": "a"}]
    assert "RoleLastUsed" in role or "RoleId" in role
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == []
    assert iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"] == []

    # aws_iam_policy create: CreatePolicy, then GetPolicy + GetPolicyVersion (the document)
    doc = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}],
    }
    pol = iam.create_policy(
        PolicyName=uniq("tf-pol"),
        Path="/",
        PolicyDocument=json.dumps(doc),
        Description="d",
        Tags=[{"Key": "k", "Value": "v"}],
    )["Policy"]
    got = iam.get_policy(PolicyArn=pol["Arn"])["Policy"]
    assert got["DefaultVersionId"] == "v1" and got["Tags"] == [{"Key": "k", "Value": "v"}]
    ver = iam.get_policy_version(PolicyArn=pol["Arn"], VersionId="v1")["PolicyVersion"]
    assert ver["Document"] == doc and ver["IsDefaultVersion"]
    # update: ListPolicyVersions (to prune at 5), CreatePolicyVersion as default
    assert len(iam.list_policy_versions(PolicyArn=pol["Arn"])["Versions"]) == 1
    doc2 = {**doc, "Statement": [{**doc["Statement"][0], "Action": "logs:PutLogEvents"}]}
    iam.create_policy_version(
        PolicyArn=pol["Arn"], PolicyDocument=json.dumps(doc2), SetAsDefault=True
    )
    assert iam.get_policy(PolicyArn=pol["Arn"])["Policy"]["DefaultVersionId"] == "v2"

    # aws_iam_role_policy_attachment: AttachRolePolicy, read by ListAttachedRolePolicies
    iam.attach_role_policy(RoleName=name, PolicyArn=pol["Arn"])
    attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    assert [a["PolicyArn"] for a in attached] == [pol["Arn"]]
    # aws_iam_role_policy: PutRolePolicy, read by GetRolePolicy
    iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=json.dumps(doc))
    inline = iam.get_role_policy(RoleName=name, PolicyName="inline")
    assert inline["PolicyDocument"] == doc and inline["RoleName"] == name
    # aws_iam_role update: UpdateAssumeRolePolicy, UpdateRole; tags TagRole/UntagRole
    iam.update_role(RoleName=name, Description="changed", MaxSessionDuration=7200)
    iam.tag_role(RoleName=name, Tags=[{"Key": "env", "Value": "dev"}])
    iam.untag_role(RoleName=name, TagKeys=["team"])
    role = iam.get_role(RoleName=name)["Role"]
    assert role["Description"] == "changed" and role["Tags"] == [{"Key": "env", "Value": "dev"}]

    # a role with policies cannot go first (the provider's delete order exists for this)
    assert error_of(lambda: iam.delete_role(RoleName=name))["Code"] == "DeleteConflict"
    # destroy: aws_iam_role_policy DeleteRolePolicy, attachment DetachRolePolicy (its read
    # after: gone from ListAttachedRolePolicies), aws_iam_policy ListPolicyVersions +
    # DeletePolicyVersion (non-default) + DeletePolicy, aws_iam_role
    # ListInstanceProfilesForRole + DeleteRole
    iam.delete_role_policy(RoleName=name, PolicyName="inline")
    err = error_of(lambda: iam.get_role_policy(RoleName=name, PolicyName="inline"))
    assert err["Code"] == "NoSuchEntity"
    iam.detach_role_policy(RoleName=name, PolicyArn=pol["Arn"])
    assert iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"] == []
    for v in iam.list_policy_versions(PolicyArn=pol["Arn"])["Versions"]:
        if not v["IsDefaultVersion"]:
            iam.delete_policy_version(PolicyArn=pol["Arn"], VersionId=v["VersionId"])
    iam.delete_policy(PolicyArn=pol["Arn"])
    assert error_of(lambda: iam.get_policy(PolicyArn=pol["Arn"]))["Code"] == "NoSuchEntity"
    assert iam.list_instance_profiles_for_role(RoleName=name)["InstanceProfiles"] == []
    iam.delete_role(RoleName=name)
    assert error_of(lambda: iam.get_role(RoleName=name))["Code"] == "NoSuchEntity"


# ---- Lambda


def test_lambda_function_create_read_code_change_delete(aws: Callable[[str], Any]) -> None:
    lam = aws("lambda")
    name = uniq("tf-fn")
    role = make_role(aws)
    lam.create_function(
        FunctionName=name,
        Code={"ZipFile": zip_bytes({"app.py": CODE_V1})},
        Description="",
        MemorySize=128,
        PackageType="Zip",
        Publish=True,
        Role=role,
        Tags={"app": "tf"},
        Timeout=3,
        Handler="app.handler",
        Runtime="python3.11",
        Environment={"Variables": {"STAGE": "1"}},
    )
    # waitFunctionCreated: GetFunction until State leaves Pending
    fn = until(
        lambda: (
            (g := lam.get_function(FunctionName=name))["Configuration"]["State"] == "Active" and g
        )
    )
    # reserved_concurrent_executions set: PutFunctionConcurrency
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=2)

    # the read (after create and on every plan)
    fn = lam.get_function(FunctionName=name)
    cfg = fn["Configuration"]
    assert fn["Code"]["RepositoryType"] == "S3" and "Location" in fn["Code"]
    assert fn["Tags"] == {"app": "tf"} and fn["Concurrency"]["ReservedConcurrentExecutions"] == 2
    for member in ("CodeSha256", "CodeSize", "LastModified", "MemorySize", "Role", "Timeout"):
        assert member in cfg
    assert cfg["PackageType"] == "Zip" and cfg["Architectures"] == ["x86_64"]
    assert cfg["TracingConfig"] == {"Mode": "PassThrough"}
    assert cfg["EphemeralStorage"] == {"Size": 512}
    assert cfg["LoggingConfig"]["LogFormat"] == "Text"
    assert cfg["Environment"] == {"Variables": {"STAGE": "1"}}
    assert cfg["LastUpdateStatus"] == "Successful"
    # findLatestFunctionVersionByName: ListVersionsByFunction, all pages, the last entry
    versions = lam.list_versions_by_function(FunctionName=name)["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1"]
    assert versions[-1]["FunctionArn"].endswith(f":function:{name}:1")
    # the read fails the whole apply when this errors (issue #15): it answers "no config"
    csc = lam.get_function_code_signing_config(FunctionName=name)
    assert csc["CodeSigningConfigArn"] == "" and csc["FunctionName"] == name
    # a missing function's reads answer ResourceNotFoundException (the provider's "gone")
    err = error_of(lambda: lam.get_function_code_signing_config(FunctionName=name + "-x"))
    assert err["Code"] == "ResourceNotFoundException"

    # a code change applied in place: UpdateFunctionConfiguration, wait, UpdateFunctionCode,
    # wait (GetFunction's LastUpdateStatus), PublishVersion (publish = true), wait on it
    lam.update_function_configuration(FunctionName=name, Description="v2", Timeout=5)
    until(
        lambda: (
            lam.get_function(FunctionName=name)["Configuration"]["LastUpdateStatus"] == "Successful"
        )
    )
    lam.update_function_code(FunctionName=name, ZipFile=zip_bytes({"app.py": CODE_V2}))
    until(
        lambda: (
            lam.get_function(FunctionName=name)["Configuration"]["LastUpdateStatus"] == "Successful"
        )
    )
    pub = lam.publish_version(FunctionName=name)
    assert pub["Version"] == "2"
    got = lam.get_function_configuration(FunctionName=pub["FunctionArn"], Qualifier="2")
    assert got["State"] == "Active" and got["LastUpdateStatus"] == "Successful"
    out = json.loads(lam.invoke(FunctionName=name, Payload=b"{}")["Payload"].read())
    assert out["v"] == 2
    versions = lam.list_versions_by_function(FunctionName=name)["Versions"]
    assert versions[-1]["Version"] == "2"
    # tags: TagResource / UntagResource, read back by GetFunction
    arn = cfg["FunctionArn"]
    lam.tag_resource(Resource=arn, Tags={"env": "dev"})
    lam.untag_resource(Resource=arn, TagKeys=["app"])
    assert lam.get_function(FunctionName=name)["Tags"] == {"env": "dev"}
    # reserved concurrency removed: DeleteFunctionConcurrency
    lam.delete_function_concurrency(FunctionName=name)
    assert "Concurrency" not in lam.get_function(FunctionName=name)

    # destroy: DeleteFunction, then waitFunctionDeleted (GetFunction until NotFound)
    lam.delete_function(FunctionName=name)
    err = error_of(lambda: lam.get_function(FunctionName=name))
    assert err["Code"] == "ResourceNotFoundException" and err["Status"] == 404
    # a second delete (already gone) is what the provider ignores
    assert error_of(lambda: lam.delete_function(FunctionName=name))["Code"] == (
        "ResourceNotFoundException"
    )


def test_lambda_alias(aws: Callable[[str], Any]) -> None:
    lam = aws("lambda")
    name, _arn = make_function(aws)
    # CreateAlias, then GetAlias (the read)
    created = lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1", Description="")
    got = lam.get_alias(FunctionName=name, Name="live")
    assert got["AliasArn"] == created["AliasArn"] and got["FunctionVersion"] == "1"
    assert got["AliasArn"].endswith(f":function:{name}:live")
    lam.publish_version(FunctionName=name, Description="again")  # no change: still 1
    lam.update_function_code(FunctionName=name, ZipFile=zip_bytes({"app.py": CODE_V2}))
    v2 = lam.publish_version(FunctionName=name)["Version"]
    # update: UpdateAlias (function_version, routing_config)
    lam.update_alias(FunctionName=name, Name="live", FunctionVersion=v2, Description="d")
    got = lam.get_alias(FunctionName=name, Name="live")
    assert got["FunctionVersion"] == v2 and got["Description"] == "d"
    lam.update_alias(
        FunctionName=name,
        Name="live",
        FunctionVersion=v2,
        RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}},
    )
    got = lam.get_alias(FunctionName=name, Name="live")
    assert got["RoutingConfig"] == {"AdditionalVersionWeights": {"1": 0.5}}
    lam.delete_alias(FunctionName=name, Name="live")
    err = error_of(lambda: lam.get_alias(FunctionName=name, Name="live"))
    assert err["Code"] == "ResourceNotFoundException"


def test_lambda_function_url_and_permission(aws: Callable[[str], Any]) -> None:
    lam = aws("lambda")
    name, arn = make_function(aws)
    # aws_lambda_function_url: CreateFunctionUrlConfig, then (authorization_type NONE)
    # AddPermission FunctionURLAllowPublicAccess, then GetFunctionUrlConfig
    url = lam.create_function_url_config(
        FunctionName=name,
        AuthType="NONE",
        InvokeMode="BUFFERED",
        Cors={"AllowOrigins": ["*"], "AllowMethods": ["GET"]},
    )
    lam.add_permission(
        FunctionName=name,
        StatementId="FunctionURLAllowPublicAccess",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    # a second add of that statement answers the conflict message the provider ignores
    err = error_of(
        lambda: lam.add_permission(
            FunctionName=name,
            StatementId="FunctionURLAllowPublicAccess",
            Action="lambda:InvokeFunctionUrl",
            Principal="*",
            FunctionUrlAuthType="NONE",
        )
    )
    assert err["Code"] == "ResourceConflictException"
    assert (
        "The statement id (FunctionURLAllowPublicAccess) provided already exists" in err["Message"]
    )
    got = lam.get_function_url_config(FunctionName=name)
    assert got["FunctionUrl"] == url["FunctionUrl"] and got["AuthType"] == "NONE"
    assert got["FunctionArn"] == arn and got["InvokeMode"] == "BUFFERED"
    assert got["Cors"]["AllowOrigins"] == ["*"]

    # aws_lambda_permission: AddPermission, then GetPolicy and the statement by Sid
    rule_arn = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/tf-rule"
    lam.add_permission(
        FunctionName=name,
        StatementId="AllowEvents",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule_arn,
    )
    policy = json.loads(lam.get_policy(FunctionName=name)["Policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    st = by_sid["AllowEvents"]
    assert st["Effect"] == "Allow" and st["Action"] == "lambda:InvokeFunction"
    assert st["Principal"] == {"Service": "events.amazonaws.com"}
    assert st["Resource"] == arn
    assert st["Condition"] == {"ArnLike": {"AWS:SourceArn": rule_arn}}
    url_st = by_sid["FunctionURLAllowPublicAccess"]
    assert url_st["Principal"] == "*"
    assert url_st["Condition"] == {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}

    # update: UpdateFunctionUrlConfig
    lam.update_function_url_config(FunctionName=name, AuthType="AWS_IAM")
    assert lam.get_function_url_config(FunctionName=name)["AuthType"] == "AWS_IAM"
    # destroy: RemovePermission (then GetPolicy until the Sid is gone), DeleteFunctionUrlConfig
    lam.remove_permission(FunctionName=name, StatementId="AllowEvents")
    lam.remove_permission(FunctionName=name, StatementId="FunctionURLAllowPublicAccess")
    err = error_of(lambda: lam.get_policy(FunctionName=name))
    assert err["Code"] == "ResourceNotFoundException"
    err = error_of(lambda: lam.remove_permission(FunctionName=name, StatementId="AllowEvents"))
    assert err["Code"] == "ResourceNotFoundException"
    lam.delete_function_url_config(FunctionName=name)
    err = error_of(lambda: lam.get_function_url_config(FunctionName=name))
    assert err["Code"] == "ResourceNotFoundException"


def test_lambda_layer_version(aws: Callable[[str], Any]) -> None:
    lam = aws("lambda")
    layer = uniq("tf-layer")
    # PublishLayerVersion; the resource's id is the LayerVersionArn, read by GetLayerVersion
    out = lam.publish_layer_version(
        LayerName=layer,
        Content={"ZipFile": zip_bytes({"python/helper.py": "X = 1\n"})},
        CompatibleRuntimes=["python3.11"],
        CompatibleArchitectures=["x86_64"],
        Description="d",
        LicenseInfo="MIT",
    )
    arn = out["LayerVersionArn"]
    assert arn == f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{layer}:1"
    got = lam.get_layer_version(LayerName=layer, VersionNumber=1)
    assert got["LayerArn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{layer}"
    assert got["CompatibleRuntimes"] == ["python3.11"] and got["LicenseInfo"] == "MIT"
    assert got["CompatibleArchitectures"] == ["x86_64"]
    assert got["Content"]["CodeSha256"] and got["Content"]["CodeSize"] > 0
    # the function uses it (layers = [arn])
    name, _ = make_function(aws)
    lam.update_function_configuration(FunctionName=name, Layers=[arn])
    until(
        lambda: (
            lam.get_function(FunctionName=name)["Configuration"]["LastUpdateStatus"] == "Successful"
        )
    )
    layers = lam.get_function(FunctionName=name)["Configuration"]["Layers"]
    assert [x["Arn"] for x in layers] == [arn]
    # destroy: DeleteLayerVersion; the read then answers not found
    lam.delete_layer_version(LayerName=layer, VersionNumber=1)
    err = error_of(lambda: lam.get_layer_version(LayerName=layer, VersionNumber=1))
    assert err["Code"] == "ResourceNotFoundException"


def test_lambda_event_source_mapping(aws: Callable[[str], Any]) -> None:
    lam, sqs = aws("lambda"), aws("sqs")
    name, arn = make_function(aws)
    q = sqs.create_queue(QueueName=uniq("tf-esm"))["QueueUrl"]
    q_arn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    # CreateEventSourceMapping (with Tags), waitEventSourceMappingCreated (GetEventSourceMapping
    # until State leaves Creating/Enabling), then the read: GetEventSourceMapping + ListTags
    created = lam.create_event_source_mapping(
        FunctionName=name,
        EventSourceArn=q_arn,
        BatchSize=5,
        Enabled=True,
        MaximumBatchingWindowInSeconds=0,
        Tags={"m": "1"},
    )
    uuid_ = created["UUID"]
    got = until(
        lambda: (
            (m := lam.get_event_source_mapping(UUID=uuid_))["State"] in ("Enabled", "Disabled")
            and m
        )
    )
    assert got["State"] == "Enabled" and got["FunctionArn"] == arn
    assert got["EventSourceArn"] == q_arn and got["BatchSize"] == 5
    esm_arn = got["EventSourceMappingArn"]
    assert esm_arn == f"arn:aws:lambda:{REGION}:{ACCOUNT}:event-source-mapping:{uuid_}"
    assert lam.list_tags(Resource=esm_arn)["Tags"] == {"m": "1"}
    # update: UpdateEventSourceMapping, wait until the state settles
    lam.update_event_source_mapping(UUID=uuid_, BatchSize=10, Enabled=False)
    got = until(
        lambda: (m := lam.get_event_source_mapping(UUID=uuid_))["State"] == "Disabled" and m
    )
    assert got["BatchSize"] == 10
    # destroy: DeleteEventSourceMapping, then GetEventSourceMapping until NotFound
    lam.delete_event_source_mapping(UUID=uuid_)

    def gone() -> bool:
        try:
            return lam.get_event_source_mapping(UUID=uuid_)["State"] == "Deleted"
        except lam.exceptions.ResourceNotFoundException:
            return True

    until(gone)


def test_lambda_event_invoke_config_and_provisioned_concurrency(aws: Callable[[str], Any]) -> None:
    lam, sqs = aws("lambda"), aws("sqs")
    name, arn = make_function(aws)
    q = sqs.create_queue(QueueName=uniq("tf-dest"))["QueueUrl"]
    q_arn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    # aws_lambda_function_event_invoke_config: PutFunctionEventInvokeConfig, then
    # GetFunctionEventInvokeConfig; update = Put again; destroy = Delete
    lam.put_function_event_invoke_config(
        FunctionName=name,
        MaximumEventAgeInSeconds=60,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": q_arn}},
    )
    got = lam.get_function_event_invoke_config(FunctionName=name)
    assert got["FunctionArn"] == f"{arn}:$LATEST"
    assert got["MaximumEventAgeInSeconds"] == 60 and got["MaximumRetryAttempts"] == 0
    assert got["DestinationConfig"]["OnFailure"] == {"Destination": q_arn}
    lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1)
    got = lam.get_function_event_invoke_config(FunctionName=name)
    assert got["MaximumRetryAttempts"] == 1 and "MaximumEventAgeInSeconds" not in got
    lam.delete_function_event_invoke_config(FunctionName=name)
    err = error_of(lambda: lam.get_function_event_invoke_config(FunctionName=name))
    assert err["Code"] == "ResourceNotFoundException"

    # aws_lambda_provisioned_concurrency_config: Put, wait GetProvisionedConcurrencyConfig
    # until READY (IN_PROGRESS pending, FAILED an error), update = Put, destroy = Delete
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=1
    )
    got = until(
        lambda: (
            (c := lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="live"))[
                "Status"
            ]
            != "IN_PROGRESS"
            and c
        )
    )
    assert got["Status"] == "READY" and got["RequestedProvisionedConcurrentExecutions"] == 1
    lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    err = error_of(
        lambda: lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    )
    assert err["Code"] == "ProvisionedConcurrencyConfigNotFoundException"


# ---- SQS, SNS, EventBridge


def test_sqs_queue(aws: Callable[[str], Any]) -> None:
    sqs = aws("sqs")
    name = uniq("tf-q")
    # CreateQueue with attributes and tags, then the read: GetQueueAttributes(All) (also the
    # waiter that compares them to the config) + ListQueueTags
    url = sqs.create_queue(
        QueueName=name,
        Attributes={"VisibilityTimeout": "60", "MessageRetentionPeriod": "86400"},
        tags={"team": "a"},
    )["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "60" and attrs["MessageRetentionPeriod"] == "86400"
    for a in ("QueueArn", "DelaySeconds", "MaximumMessageSize", "ReceiveMessageWaitTimeSeconds"):
        assert a in attrs
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "a"}
    assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == url
    # update: SetQueueAttributes, TagQueue/UntagQueue
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "30"})
    sqs.tag_queue(QueueUrl=url, Tags={"env": "dev"})
    sqs.untag_queue(QueueUrl=url, TagKeys=["team"])
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "30"
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "dev"}
    # destroy: DeleteQueue, then the read until QueueDoesNotExist
    sqs.delete_queue(QueueUrl=url)
    err = error_of(lambda: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]))
    assert err["Code"] in ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


def test_sns_topic_and_subscription(aws: Callable[[str], Any]) -> None:
    sns, sqs = aws("sns"), aws("sqs")
    name = uniq("tf-t")
    # CreateTopic (attributes + tags), then GetTopicAttributes + ListTagsForResource
    arn = sns.create_topic(
        Name=name, Attributes={"DisplayName": "tf"}, Tags=[{"Key": "a", "Value": "b"}]
    )["TopicArn"]
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attrs["TopicArn"] == arn and attrs["DisplayName"] == "tf"
    assert attrs["Owner"] == ACCOUNT and "Policy" in attrs and "EffectiveDeliveryPolicy" in attrs
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "a", "Value": "b"}]
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="x")
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["DisplayName"] == "x"

    # aws_sns_topic_subscription: Subscribe (ReturnSubscriptionArn), waits on
    # GetSubscriptionAttributes (PendingConfirmation false for sqs), SetSubscriptionAttributes
    q = sqs.create_queue(QueueName=uniq("tf-sub"))["QueueUrl"]
    q_arn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sub = sns.subscribe(
        TopicArn=arn,
        Protocol="sqs",
        Endpoint=q_arn,
        Attributes={"RawMessageDelivery": "true"},
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    assert sub.startswith(arn + ":")
    sa = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert sa["PendingConfirmation"] == "false" and sa["RawMessageDelivery"] == "true"
    assert sa["Protocol"] == "sqs" and sa["Endpoint"] == q_arn and sa["TopicArn"] == arn
    assert sa["ConfirmationWasAuthenticated"] == "true" and sa["Owner"] == ACCOUNT
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue='{"k": ["v"]}'
    )
    sa = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert json.loads(sa["FilterPolicy"]) == {"k": ["v"]}
    # destroy: Unsubscribe (then the read until NotFound), DeleteTopic (then until NotFound)
    sns.unsubscribe(SubscriptionArn=sub)
    err = error_of(lambda: sns.get_subscription_attributes(SubscriptionArn=sub))
    assert err["Code"] == "NotFound"
    sns.delete_topic(TopicArn=arn)
    assert error_of(lambda: sns.get_topic_attributes(TopicArn=arn))["Code"] == "NotFound"


def test_cloudwatch_event_rule_and_target(aws: Callable[[str], Any]) -> None:
    ev, lam = aws("events"), aws("lambda")
    name = uniq("tf-rule")
    fn, fn_arn = make_function(aws)
    # PutRule (tags inline), then DescribeRule + ListTagsForResource
    rule_arn = ev.put_rule(
        Name=name,
        ScheduleExpression="rate(5 minutes)",
        State="ENABLED",
        Description="tf",
        EventBusName="default",
        Tags=[{"Key": "a", "Value": "b"}],
    )["RuleArn"]
    got = ev.describe_rule(Name=name, EventBusName="default")
    assert got["Arn"] == rule_arn and got["State"] == "ENABLED" and got["Description"] == "tf"
    assert got["ScheduleExpression"] == "rate(5 minutes)" and got["EventBusName"] == "default"
    assert ev.list_tags_for_resource(ResourceARN=rule_arn)["Tags"] == [{"Key": "a", "Value": "b"}]
    # aws_cloudwatch_event_target: PutTargets, read by ListTargetsByRule (the Id)
    lam.add_permission(
        FunctionName=fn,
        StatementId="events",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule_arn,
    )
    out = ev.put_targets(
        Rule=name, EventBusName="default", Targets=[{"Id": "fn", "Arn": fn_arn, "Input": "{}"}]
    )
    assert out["FailedEntryCount"] == 0
    targets = ev.list_targets_by_rule(Rule=name, EventBusName="default")["Targets"]
    assert targets == [{"Id": "fn", "Arn": fn_arn, "Input": "{}"}]
    # update: PutRule again (pattern instead of schedule), DisableRule
    ev.put_rule(
        Name=name, EventPattern=json.dumps({"source": ["tf"]}), State="DISABLED", Description="tf"
    )
    got = ev.describe_rule(Name=name)
    assert got["State"] == "DISABLED" and json.loads(got["EventPattern"]) == {"source": ["tf"]}
    # a rule with targets cannot be deleted (the provider retries until its targets are gone)
    err = error_of(lambda: ev.delete_rule(Name=name))
    assert err["Code"] == "ValidationException"
    # destroy: RemoveTargets, DeleteRule; reads then answer ResourceNotFoundException
    assert ev.remove_targets(Rule=name, EventBusName="default", Ids=["fn"])["FailedEntryCount"] == 0
    ev.delete_rule(Name=name, EventBusName="default")
    err = error_of(lambda: ev.describe_rule(Name=name))
    assert err["Code"] == "ResourceNotFoundException"


# ---- S3


NOT_SET = {
    "get_bucket_cors": "NoSuchCORSConfiguration",
    "get_bucket_website": "NoSuchWebsiteConfiguration",
    "get_bucket_lifecycle_configuration": "NoSuchLifecycleConfiguration",
    "get_bucket_replication": "ReplicationConfigurationNotFoundError",
    "get_object_lock_configuration": "ObjectLockConfigurationNotFoundError",
    "get_bucket_policy": "NoSuchBucketPolicy",
    "get_bucket_tagging": "NoSuchTagSet",
    "get_public_access_block": "NoSuchPublicAccessBlockConfiguration",
}


def test_s3_bucket_reads_of_a_fresh_bucket(aws: Callable[[str], Any]) -> None:
    s3 = aws("s3")
    name = uniq("tf-bucket")
    # create: CreateBucket, then HeadBucket until found (its x-amz-bucket-region is the
    # bucket_region attribute), then PutBucketTagging for tags
    s3.create_bucket(Bucket=name)
    assert s3.head_bucket(Bucket=name)["BucketRegion"] == REGION
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})
    # the read: every sub-resource; unset ones answer the codes the provider treats as unset
    for op, expected in NOT_SET.items():
        if op == "get_bucket_tagging":
            continue
        err = error_of(lambda op=op: getattr(s3, op)(Bucket=name))  # type: ignore[misc]
        assert (err["Code"], err["Status"]) == (expected, 404), op
    acl = s3.get_bucket_acl(Bucket=name)
    owner = acl["Owner"]["ID"]
    assert acl["Grants"] == [
        {
            "Grantee": {"DisplayName": "ovis", "ID": owner, "Type": "CanonicalUser"},
            "Permission": "FULL_CONTROL",
        }
    ]
    assert "Status" not in s3.get_bucket_versioning(Bucket=name)
    assert "Status" not in s3.get_bucket_accelerate_configuration(Bucket=name)
    assert s3.get_bucket_request_payment(Bucket=name)["Payer"] == "BucketOwner"
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=name)
    enc = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]
    assert enc["Rules"] == [
        {
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
            "BucketKeyEnabled": False,
        }
    ]
    own = s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]
    assert own == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert s3.get_bucket_tagging(Bucket=name)["TagSet"] == [{"Key": "a", "Value": "b"}]
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] is None
    # a missing bucket: every read answers NoSuchBucket first (the provider's "gone")
    for op in (*NOT_SET, "get_bucket_acl", "get_bucket_encryption", "get_bucket_logging"):
        err = error_of(lambda op=op: getattr(s3, op)(Bucket=name + "-x"))  # type: ignore[misc]
        assert err["Code"] == "NoSuchBucket", op
    # configurations this server would not honour are refused, never stored silently
    err = error_of(
        lambda: s3.put_bucket_cors(
            Bucket=name,
            CORSConfiguration={"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]},
        )
    )
    assert err["Code"] == "NotImplemented"
    # deleting a configuration that is not there succeeds, as S3
    s3.delete_bucket_cors(Bucket=name)
    s3.delete_bucket_lifecycle(Bucket=name)
    # update: versioning (aws_s3_bucket_versioning / versioning block) is stored and read back
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    # destroy: DeleteBucketTagging on tag removal, DeleteBucket, then HeadBucket 404
    s3.delete_bucket_tagging(Bucket=name)
    assert error_of(lambda: s3.get_bucket_tagging(Bucket=name))["Code"] == "NoSuchTagSet"
    s3.delete_bucket(Bucket=name)
    assert error_of(lambda: s3.head_bucket(Bucket=name))["Status"] == 404


def test_s3_object_and_bucket_notification(aws: Callable[[str], Any]) -> None:
    s3, lam = aws("s3"), aws("lambda")
    bucket = uniq("tf-objects")
    s3.create_bucket(Bucket=bucket)
    # aws_s3_object: PutObject (tags as the x-amz-tagging header), read by HeadObject +
    # GetObjectTagging
    s3.put_object(
        Bucket=bucket,
        Key="conf/app.json",
        Body=b'{"a": 1}',
        ContentType="application/json",
        Tagging="team=a&env=dev%20x",
        Metadata={"owner": "tf"},
    )
    head = s3.head_object(Bucket=bucket, Key="conf/app.json")
    assert head["ContentType"] == "application/json" and head["ContentLength"] == 8
    assert head["Metadata"] == {"owner": "tf"} and head["ETag"].startswith('"')
    tags = s3.get_object_tagging(Bucket=bucket, Key="conf/app.json")["TagSet"]
    assert tags == [{"Key": "team", "Value": "a"}, {"Key": "env", "Value": "dev x"}]
    assert s3.get_object(Bucket=bucket, Key="conf/app.json")["TagCount"] == 2
    # update of tags only: PutObjectTagging (content untouched)
    s3.put_object_tagging(
        Bucket=bucket, Key="conf/app.json", Tagging={"TagSet": [{"Key": "team", "Value": "b"}]}
    )
    assert s3.get_object_tagging(Bucket=bucket, Key="conf/app.json")["TagSet"] == [
        {"Key": "team", "Value": "b"}
    ]
    assert s3.head_object(Bucket=bucket, Key="conf/app.json")["ETag"] == head["ETag"]
    err = error_of(
        lambda: s3.put_object_tagging(
            Bucket=bucket,
            Key="conf/app.json",
            Tagging={"TagSet": [{"Key": f"k{i}", "Value": "v"} for i in range(11)]},
        )
    )
    assert err["Code"] == "InvalidTag"
    assert error_of(lambda: s3.get_object_tagging(Bucket=bucket, Key="nope"))["Code"] == "NoSuchKey"

    # aws_s3_bucket_notification: PutBucketNotificationConfiguration, read by
    # GetBucketNotificationConfiguration; destroy puts an empty configuration
    fn, fn_arn = make_function(aws)
    lam.add_permission(
        FunctionName=fn,
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn=f"arn:aws:s3:::{bucket}",
    )
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {
                    "Id": "tf",
                    "LambdaFunctionArn": fn_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}]}},
                }
            ]
        },
    )
    conf = s3.get_bucket_notification_configuration(Bucket=bucket)
    (lc,) = conf["LambdaFunctionConfigurations"]
    assert lc["Id"] == "tf" and lc["LambdaFunctionArn"] == fn_arn
    assert lc["Events"] == ["s3:ObjectCreated:*"]
    assert lc["Filter"]["Key"]["FilterRules"] == [{"Name": "Prefix", "Value": "in/"}] or lc[
        "Filter"
    ]["Key"]["FilterRules"] == [{"Name": "prefix", "Value": "in/"}]
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    conf = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert "LambdaFunctionConfigurations" not in conf
    # aws_s3_object destroy: DeleteObject (unversioned bucket), then HeadObject 404
    s3.delete_object(Bucket=bucket, Key="conf/app.json")
    assert error_of(lambda: s3.head_object(Bucket=bucket, Key="conf/app.json"))["Status"] == 404
    s3.delete_bucket(Bucket=bucket)


def test_s3_bucket_force_destroy(aws: Callable[[str], Any]) -> None:
    """force_destroy = true: DeleteBucket answers BucketNotEmpty, the provider lists every
    version (ListObjectVersions, all pages) and deletes them with DeleteObjects by
    (Key, VersionId), then deletes the bucket again."""
    s3 = aws("s3")
    bucket = uniq("tf-force")
    s3.create_bucket(Bucket=bucket)
    keys = [f"k{i:02d}" for i in range(5)]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    assert error_of(lambda: s3.delete_bucket(Bucket=bucket))["Code"] == "BucketNotEmpty"
    listed: list[dict[str, Any]] = []
    page = s3.list_object_versions(Bucket=bucket, MaxKeys=2)
    while True:
        listed += page.get("Versions", [])
        assert "DeleteMarkers" not in page
        if not page["IsTruncated"]:
            break
        page = s3.list_object_versions(
            Bucket=bucket,
            MaxKeys=2,
            KeyMarker=page["NextKeyMarker"],
            VersionIdMarker=page["NextVersionIdMarker"],
        )
    assert [v["Key"] for v in listed] == keys
    assert {(v["VersionId"], v["IsLatest"]) for v in listed} == {("null", True)}
    out = s3.delete_objects(
        Bucket=bucket,
        Delete={"Objects": [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in listed]},
    )
    assert sorted(d["Key"] for d in out["Deleted"]) == keys and "Errors" not in out
    s3.delete_bucket(Bucket=bucket)
    assert error_of(lambda: s3.list_object_versions(Bucket=bucket))["Code"] == "NoSuchBucket"


# ---- CloudWatch Logs


def test_cloudwatch_log_group(aws: Callable[[str], Any]) -> None:
    logs = aws("logs")
    name = "/tf/" + uniq("group")
    # CreateLogGroup (class STANDARD, tags inline), PutRetentionPolicy, then the read:
    # DescribeLogGroups by prefix (the exact name) and ListTagsForResource (ARN without :*)
    logs.create_log_group(logGroupName=name, logGroupClass="STANDARD", tags={"a": "b"})
    logs.put_retention_policy(logGroupName=name, retentionInDays=14)
    (g,) = [
        g
        for g in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
        if g["logGroupName"] == name
    ]
    arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}"
    assert g["arn"] == arn + ":*" and g["logGroupArn"] == arn
    assert g["retentionInDays"] == 14 and g["logGroupClass"] == "STANDARD"
    assert "kmsKeyId" not in g and isinstance(g["creationTime"], int)
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"a": "b"}
    err = error_of(lambda: logs.create_log_group(logGroupName=name))
    assert err["Code"] == "ResourceAlreadyExistsException"
    err = error_of(lambda: logs.put_retention_policy(logGroupName=name, retentionInDays=8))
    assert err["Code"] == "InvalidParameterException"
    # update: PutRetentionPolicy / DeleteRetentionPolicy, TagResource / UntagResource
    logs.delete_retention_policy(logGroupName=name)
    logs.tag_resource(resourceArn=arn, tags={"env": "dev"})
    logs.untag_resource(resourceArn=arn, tagKeys=["a"])
    (g,) = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    assert "retentionInDays" not in g
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"env": "dev"}
    # destroy: DeleteLogGroup; the read then finds nothing, a second delete is NotFound
    logs.delete_log_group(logGroupName=name)
    assert logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"] == []
    err = error_of(lambda: logs.delete_log_group(logGroupName=name))
    assert err["Code"] == "ResourceNotFoundException"


def test_log_group_of_a_function_with_retention(aws: Callable[[str], Any]) -> None:
    """The common Terraform pattern: aws_cloudwatch_log_group "/aws/lambda/<fn>" declared next
    to the function; the function's lines land in it and the declaration keeps them."""
    logs, lam = aws("logs"), aws("lambda")
    fn, _ = make_function(aws)
    group = f"/aws/lambda/{fn}"
    logs.create_log_group(logGroupName=group)
    logs.put_retention_policy(logGroupName=group, retentionInDays=1)
    lam.invoke(FunctionName=fn, Payload=b'{"x": 1}')
    until(lambda: logs.filter_log_events(logGroupName=group)["events"])
    (g,) = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert g["retentionInDays"] == 1
    # events older than the retention are not answered
    old = logs.filter_log_events(
        logGroupName=group, endTime=int(time.time() * 1000) - 2 * 86_400_000
    )
    assert old["events"] == []
    logs.delete_log_group(logGroupName=group)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"] == []
