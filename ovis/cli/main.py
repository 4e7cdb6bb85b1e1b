"""The ``ovis`` command group and ``ovis server``; everyday commands live in commands.py."""

from __future__ import annotations

from pathlib import Path

import click

from ovis import __version__
from ovis.cli import apps, async_ops, blueprints, commands, image
from ovis.cli.connection import CREDENTIALS_HELP
from ovis.cli.data_dir import data_dir_option


@click.group(epilog=CREDENTIALS_HELP)
@click.version_option(__version__, prog_name="ovis")
def cli() -> None:
    """Ovis: a self-hosted serverless platform that speaks the AWS Lambda API.

    Commands other than `server` and `image` talk to a running server through its AWS API
    (--endpoint-url / OVIS_ENDPOINT_URL, default http://127.0.0.1:8910).
    """


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8910, show_default=True, type=int, help="Port to listen on.")
@data_dir_option("Where state is kept.")
@click.option("--region", default="us-east-1", show_default=True)
@click.option("--account-id", default="000000000000", show_default=True)
@click.option(
    "--credentials",
    "credentials",
    multiple=True,
    metavar="KEY:SECRET",
    help="Accepted access key and secret (repeatable). Default test:test.",
)
@click.option(
    "--foreign-credentials",
    "foreign_credentials",
    multiple=True,
    metavar="KEY:SECRET:ACCOUNT",
    help="Another account's access key (repeatable): accepted by AWS_IAM function URLs whose "
    "resource policy allows that account.",
)
@click.option(
    "--spawn-mode",
    type=click.Choice(["zygote", "exec"]),
    default="zygote",
    show_default=True,
    help="exec starts a fresh interpreter per instance (baseline).",
)
@click.option(
    "--python-transport",
    type=click.Choice(["channel", "http"]),
    default="channel",
    show_default=True,
    help="How the managed Python runtime talks to the server.",
)
@click.option(
    "--idle-ttl",
    default=300.0,
    show_default=True,
    type=float,
    help="Seconds an idle instance stays warm.",
)
@click.option(
    "--freeze-after",
    default=0.5,
    show_default=True,
    type=float,
    help="Seconds before an idle instance is frozen (negative: never).",
)
@click.option(
    "--memory-budget",
    default=0,
    type=int,
    help="MB of MemorySize live instances may reserve (0: 80% of host memory).",
)
@click.option(
    "--async-retry-scale",
    default=1.0,
    show_default=True,
    type=float,
    help="Scale async retry delays (1.0: about 1 and 2 minutes, as AWS).",
)
@click.option(
    "--cfn-settle",
    default=0.0,
    show_default=True,
    type=float,
    help="Seconds CloudFormation's CreateChangeSet, ExecuteChangeSet and DeleteStack wait for "
    "their work to finish before answering (0: answer at once, as AWS). A few seconds spare "
    "`sam deploy`/`sam delete`/`aws cloudformation deploy` their 5-30 s polling delays.",
)
@click.option(
    "--sns-retry-scale",
    default=1.0,
    show_default=True,
    type=float,
    help="Scale SNS delivery retry delays (1.0: AWS's delivery policies).",
)
@click.option(
    "--no-isolation",
    is_flag=True,
    help="Run instances as plain processes (no namespaces, cgroups or uid drop).",
)
@click.option(
    "--concurrency-limit",
    default=1000,
    show_default=True,
    type=int,
    help="Account concurrency limit.",
)
@click.option("--public-url", default="", help="Base URL clients use to reach this server.")
@click.option(
    "--autoscaling-interval",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=0.05),
    help="Seconds between autoscaling evaluations of provisioned concurrency.",
)
@click.option(
    "--events-time-scale",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0.0001),
    help="Scale EventBridge's time: scheduled rules' rate periods and target retry backoff "
    "(1.0: as AWS).",
)
@click.option(
    "--strict-iam",
    is_flag=True,
    help="Lambda refuses a function Role that is not an IAM role of this server which "
    "lambda.amazonaws.com may assume, and AssumeRole needs a trust policy naming the caller "
    "(default: any role ARN is accepted, any role may be assumed).",
)
@click.option(
    "--sts-duration-scale",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0.0001),
    help="Scale how long STS temporary credentials last (1.0: DurationSeconds, as AWS).",
)
@click.option(
    "--no-metrics",
    is_flag=True,
    help="Emit no CloudWatch metrics from the platform (AWS/Lambda, AWS/SQS, EMF log lines).",
)
@click.option(
    "--cloudwatch-time-scale",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0.0001),
    help="Scale how often CloudWatch alarms are evaluated (1.0: each minute, as AWS).",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
    help="The server's log: info shows an access line per API request and why requests were "
    "refused; debug adds internal detail.",
)
def server(
    host: str,
    port: int,
    data_dir: Path,
    region: str,
    account_id: str,
    credentials: tuple[str, ...],
    foreign_credentials: tuple[str, ...],
    spawn_mode: str,
    python_transport: str,
    idle_ttl: float,
    freeze_after: float,
    memory_budget: int,
    async_retry_scale: float,
    cfn_settle: float,
    sns_retry_scale: float,
    no_isolation: bool,
    concurrency_limit: int,
    public_url: str,
    autoscaling_interval: float,
    events_time_scale: float,
    strict_iam: bool,
    sts_duration_scale: float,
    no_metrics: bool,
    cloudwatch_time_scale: float,
    log_level: str,
) -> None:
    """Run the server in the foreground (SIGTERM or Ctrl-C stops it cleanly)."""
    from ovis.server import run
    from ovis.settings import Settings

    creds = {"test": "test"}
    if credentials:
        creds = {}
        for pair in credentials:
            key, sep, secret = pair.partition(":")
            if not sep or not key or not secret:
                raise click.BadParameter(
                    f"expected KEY:SECRET, got {pair!r}", param_hint="--credentials"
                )
            creds[key] = secret
    foreign: dict[str, tuple[str, str]] = {}
    for triple in foreign_credentials:
        key, _, rest = triple.partition(":")
        secret, _, account = rest.rpartition(":")
        if not key or not secret or not (account.isdigit() and len(account) == 12):
            raise click.BadParameter(
                f"expected KEY:SECRET:ACCOUNT (a 12-digit account id), got {triple!r}",
                param_hint="--foreign-credentials",
            )
        foreign[key] = (secret, account)
    from ovis.server import PortInUse

    try:
        run(
            Settings(
                host=host,
                port=port,
                data_dir=data_dir,
                region=region,
                account_id=account_id,
                credentials=creds,
                foreign_credentials=foreign,
                spawn_mode=spawn_mode,
                python_transport=python_transport,
                idle_ttl_s=idle_ttl,
                freeze_after_s=freeze_after,
                memory_budget_mb=memory_budget,
                isolation=not no_isolation,
                async_retry_scale=async_retry_scale,
                cfn_settle_s=cfn_settle,
                sns_retry_scale=sns_retry_scale,
                concurrent_executions=concurrency_limit,
                public_url=public_url,
                autoscaling_interval_s=autoscaling_interval,
                events_time_scale=events_time_scale,
                strict_iam=strict_iam,
                sts_duration_scale=sts_duration_scale,
                metrics=not no_metrics,
                cloudwatch_time_scale=cloudwatch_time_scale,
                log_level=log_level,
            )
        )
    except PortInUse as e:
        raise click.ClickException(str(e)) from None


commands.register(cli)
async_ops.register(cli)
apps.register(cli)
cli.add_command(image.image)
cli.add_command(blueprints.list_blueprints)
cli.add_command(blueprints.init)
