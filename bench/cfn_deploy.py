"""CloudFormation: time to deploy and to delete a 20-resource stack (6 queues, 6 topics, 4
roles, 4 functions, each function using a role), through boto3 and the stack waiters.

A script, not a test. Starts its own Ovis server. The time includes what each service does
for its resources (a function becomes Active when its zygote has its code); the waiters poll
DescribeStacks every 0.1 s, so each figure is at most 0.1 s late. After each deploy the script
checks that all 20 resources are CREATE_COMPLETE and invokes one function (not timed).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import boto3
from botocore.config import Config
from common import (
    ACCESS_KEY,
    REGION,
    SECRET_KEY,
    machine_info,
    print_table,
    start_ovis,
    write_results,
)

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
CODE = "def handler(event, context):\n    return {'ok': True}\n"


def template() -> dict:  # type: ignore[type-arg]
    res: dict = {}  # type: ignore[type-arg]
    for i in range(6):
        res[f"Queue{i}"] = {"Type": "AWS::SQS::Queue"}
        res[f"Topic{i}"] = {"Type": "AWS::SNS::Topic"}
    for i in range(4):
        res[f"Role{i}"] = {
            "Type": "AWS::IAM::Role",
            "Properties": {"AssumeRolePolicyDocument": TRUST},
        }
        res[f"Fn{i}"] = {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Runtime": "python3.11",
                "Handler": "index.handler",
                "Role": {"Fn::GetAtt": [f"Role{i}", "Arn"]},
                "Code": {"ZipFile": CODE},
                "Environment": {"Variables": {"QUEUE": {"Ref": f"Queue{i}"}}},
            },
        }
    return {"Resources": res}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    server, url = start_ovis()
    try:
        cfn = boto3.client(
            "cloudformation",
            endpoint_url=url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(retries={"max_attempts": 1}),
        )
        lam = boto3.client(
            "lambda",
            endpoint_url=url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )
        body = json.dumps(template())
        fast = {"Delay": 0.1, "MaxAttempts": 3000}
        deploy, delete = [], []
        for r in range(args.rounds):
            name = f"bench-{r}"
            t0 = time.perf_counter()
            cfn.create_stack(StackName=name, TemplateBody=body, Capabilities=["CAPABILITY_IAM"])
            cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=fast)
            deploy.append(time.perf_counter() - t0)
            res = cfn.describe_stack_resources(StackName=name)["StackResources"]
            done = [r for r in res if r["ResourceStatus"] == "CREATE_COMPLETE"]
            assert len(done) == 20, res  # every resource made, not just the stack's status
            fn = next(r["PhysicalResourceId"] for r in res if r["LogicalResourceId"] == "Fn0")
            out = lam.invoke(FunctionName=fn, Payload=b"{}")["Payload"].read()
            assert json.loads(out) == {"ok": True}, out
            t0 = time.perf_counter()
            cfn.delete_stack(StackName=name)
            cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=fast)
            delete.append(time.perf_counter() - t0)
        rows = [
            [
                "deploy (create_stack -> CREATE_COMPLETE)",
                f"{statistics.median(deploy):.2f} s",
                f"{min(deploy):.2f} s",
                f"{max(deploy):.2f} s",
            ],
            [
                "delete (delete_stack -> DELETE_COMPLETE)",
                f"{statistics.median(delete):.2f} s",
                f"{min(delete):.2f} s",
                f"{max(delete):.2f} s",
            ],
        ]
        print_table(["20 resources", "median", "min", "max"], rows)
        path = write_results(
            "cfn_deploy", {"deploy_s": deploy, "delete_s": delete, "machine": machine_info()}
        )
        print(f"results: {path}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
