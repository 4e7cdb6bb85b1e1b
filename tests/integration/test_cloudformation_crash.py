"""CloudFormation survives kill -9 mid-operation: on restart a stack found CREATE_IN_PROGRESS
is rolled back (everything it made deleted, found by the persisted tokens even for the
resource whose create never answered), and one found DELETE_IN_PROGRESS finishes deleting.
A stack never stays *_IN_PROGRESS.

The templates are chains (each queue DependsOn the previous one), so the operation runs long
enough to be killed half-way."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from tests.conftest import ServerProcess, start_server
from tests.integration.test_cloudformation import FAST

CHAIN = 120


def chain(prefix: str, n: int = CHAIN) -> dict[str, Any]:
    res: dict[str, Any] = {}
    for i in range(n):
        r: dict[str, Any] = {"Type": "AWS::SQS::Queue"}
        if i:
            r["DependsOn"] = f"Q{i - 1}"
        res[f"Q{i}"] = r
    return {"Resources": res}


def kill9(srv: ServerProcess) -> None:
    os.killpg(srv.proc.pid, signal.SIGKILL)
    srv.proc.wait(10)


def count(cfn: Any, name: str, status: str) -> int:
    res = cfn.describe_stack_resources(StackName=name)["StackResources"]
    return sum(1 for r in res if r["ResourceStatus"] == status)


def wait_for(cond: Any, deadline_s: float = 60) -> None:
    end = time.monotonic() + deadline_s
    while not cond():
        assert time.monotonic() < end, "condition not met in time"
        time.sleep(0.01)


def queues(sqs: Any, prefix: str) -> list[str]:
    return sqs.list_queues(QueueNamePrefix=prefix).get("QueueUrls", [])  # type: ignore[no-any-return]


def test_kill_9_mid_create_rolls_back_and_mid_delete_finishes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    srv = start_server(data)
    try:
        cfn, sqs = srv.client("cloudformation"), srv.client("sqs")
        # ---- mid-create (a kill that came after the last resource is tried again: the
        # machine may run the chain faster than we poll)
        for attempt in range(3):
            name = f"crashy{attempt}"
            cfn.create_stack(StackName=name, TemplateBody=json.dumps(chain(name)))
            wait_for(lambda n=name, c=cfn: count(c, n, "CREATE_COMPLETE") >= 3)
            kill9(srv)
            srv = start_server(data, port=srv.port)
            cfn, sqs = srv.client("cloudformation"), srv.client("sqs")
            wait_for(
                lambda n=name, c=cfn: (
                    not c.describe_stacks(StackName=n)["Stacks"][0]["StackStatus"].endswith(
                        "_IN_PROGRESS"
                    )
                )
            )
            s = cfn.describe_stacks(StackName=name)["Stacks"][0]
            if s["StackStatus"] != "CREATE_COMPLETE":
                break
        assert s["StackStatus"] == "ROLLBACK_COMPLETE", s
        made = count(cfn, name, "DELETE_COMPLETE")
        assert 3 <= made < CHAIN  # it was really half-way
        assert queues(sqs, f"{name}-") == []  # everything it made is gone
        cfn.delete_stack(StackName=name)
        cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=FAST)

        # ---- mid-delete
        cfn.create_stack(StackName="goner", TemplateBody=json.dumps(chain("goner")))
        cfn.get_waiter("stack_create_complete").wait(
            StackName="goner", WaiterConfig={"Delay": 0.2, "MaxAttempts": 600}
        )
        assert len(queues(sqs, "goner-")) == CHAIN
        cfn.delete_stack(StackName="goner")
        wait_for(lambda: count(cfn, "goner", "DELETE_COMPLETE") >= 10)
        kill9(srv)
        srv = start_server(data, port=srv.port)
        cfn, sqs = srv.client("cloudformation"), srv.client("sqs")
        cfn.get_waiter("stack_delete_complete").wait(
            StackName="goner", WaiterConfig={"Delay": 0.2, "MaxAttempts": 600}
        )
        assert queues(sqs, "goner-") == []
    finally:
        srv.stop()
