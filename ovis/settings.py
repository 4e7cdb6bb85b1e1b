"""Server settings: one frozen object, built once by the CLI and passed explicitly."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8910
    data_dir: Path = Path(".ovis-data")
    region: str = "us-east-1"
    account_id: str = "000000000000"
    # access key -> secret key accepted by SigV4 verification
    credentials: dict[str, str] = field(default_factory=lambda: {"test": "test"})
    # Credentials of other accounts: access key -> (secret, account id). Only function URLs with
    # AuthType AWS_IAM accept them (allowed by resource policy statements naming the account).
    foreign_credentials: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Largest clock skew accepted on signed requests (AWS: 5 minutes).
    max_clock_skew_s: int = 300
    # Account concurrency limit (AWS default 1000).
    concurrent_executions: int = 1000
    # Idle warm instances are frozen after this many seconds, reclaimed after idle_ttl_s.
    idle_ttl_s: float = 300.0
    freeze_after_s: float = 0.5
    # MemorySize that live instances may reserve in total before idle ones are evicted (LRU);
    # 0 means 80% of the host's memory.
    memory_budget_mb: int = 0
    # Namespaces, cgroups and per-instance uids where the host allows them.
    isolation: bool = True
    # "zygote" forks instances from a pre-imported runtime process; "exec" starts a fresh
    # interpreter per instance (the naive baseline, kept for benchmarks).
    spawn_mode: str = "zygote"
    # The managed Python runtime talks to the server over "channel" (private socketpair) or
    # "http" (the public Runtime API, exactly what custom runtimes use).
    python_transport: str = "channel"
    # Async invocation pollers.
    async_workers: int = 8
    # Multiplies async retry delays (AWS: ~1 and ~2 minutes) and ledger redelivery backoff;
    # tests shrink it.
    async_retry_scale: float = 1.0
    # Multiplies SNS delivery retry delays (AWS's delivery policies: 1-20 s for Lambda and SQS,
    # 20 s for http/https by default); tests shrink it.
    sns_retry_scale: float = 1.0
    # CloudFormation: CreateChangeSet, ExecuteChangeSet and DeleteStack answer once the change
    # set is computed / the stack's operation has finished, or after this many seconds,
    # whichever comes first (0: at once, as AWS). The SAM CLI and the AWS CLI poll those with
    # fixed 5-30 s delays after a first immediate look, so a few seconds here let them see the
    # end state at that first look.
    cfn_settle_s: float = 0.0
    # Public base URL of the server (used in Code.Location etc.); derived from host/port if empty.
    public_url: str = ""
    # Seconds between Application Auto Scaling evaluations of provisioned concurrency utilization
    # (AWS evaluates one CloudWatch datapoint a minute).
    autoscaling_interval_s: float = 60.0
    # Multiplies EventBridge's time: scheduled rules' rate periods, target retry backoff and
    # the event age limit (RetryPolicy); tests shrink it.
    events_time_scale: float = 1.0
    # Lambda's CreateFunction/UpdateFunctionConfiguration refuse a Role that is not an IAM role
    # of this server whose trust policy lets lambda.amazonaws.com assume it, and STS AssumeRole
    # requires the role's trust policy to name the caller (AWS's behaviour); off by default:
    # any role ARN is accepted and any existing role may be assumed.
    strict_iam: bool = False
    # Multiplies how long STS's temporary credentials really last (DurationSeconds is still
    # checked as given); tests shrink it to see credentials expire.
    sts_duration_scale: float = 1.0
    # CloudWatch metrics: the platform emits AWS/Lambda (and AWS/SQS) metrics and EMF log lines
    # become custom metrics; off leaves the invoke path without any metrics work (benchmarks).
    metrics: bool = True
    # Multiplies CloudWatch's clock: how often alarms are evaluated (AWS: once a minute, or each
    # period for shorter ones), the platform metrics' aggregation period (a minute), and the
    # ages at which datapoints are rolled up and dropped (15/63/455 days); tests shrink it.
    # Datapoints keep their real timestamps.
    cloudwatch_time_scale: float = 1.0
    # The server's own log: "debug" | "info" | "warning" | "error" (access lines are "info").
    log_level: str = "info"

    def with_(self, **changes: object) -> Settings:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"
