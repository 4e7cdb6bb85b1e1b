"""The everyday `ovis` commands: invoke, list (ls), get, logs and delete; `register` adds
them and the command groups of the sibling modules (deploy, versions, urls, event configs).

Every command talks to the server only through boto3 clients, exactly as a user's own
scripts would, so the CLI doubles as a smoke test of the public API. How the connection and
credentials are found is described in `ovis.cli.connection`.
"""

from __future__ import annotations

import base64
import copy
import json
import sys
import time
from collections.abc import Iterator
from typing import IO, Any

import click
from botocore.exceptions import ClientError

from ovis.cli import event_config, urls, versions
from ovis.cli.build import build
from ovis.cli.connection import (
    DEFAULT_ENDPOINT,
    DEFAULT_REGION,
    Connection,
    connection_options,
    fail,
)
from ovis.cli.deploy import (
    DEFAULT_ROLE,
    INVOKE_READ_TIMEOUT_S,
    _deploy_settings,
    _get_configuration,
    deploy,
)
from ovis.cli.dev import debug_session, dev
from ovis.cli.inputs import parse_env_pairs, read_payload
from ovis.cli.logs_view import (
    FilterPattern,
    LiveGrouper,
    LogStyle,
    fetch_for_view,
    fetch_log_events,
    follow_log_events,
    parse_duration_ms,
    parse_since,
    render_grouped,
    render_tail,
)
from ovis.cli.naming import function_params
from ovis.cli.packaging import build_zip, handler_module_missing, human_size, zip_entry_names
from ovis.cli.tables import (
    json_option,
    out_console,
    print_fields,
    print_json,
    print_table,
    stdout_is_terminal,
    strip_metadata,
)

# Re-exported: callers and tests have used them from here.
__all__ = [
    "DEFAULT_ENDPOINT",
    "DEFAULT_REGION",
    "DEFAULT_ROLE",
    "Connection",
    "_deploy_settings",
    "build_zip",
    "connection_options",
    "fail",
    "fetch_log_events",
    "follow_log_events",
    "handler_module_missing",
    "human_size",
    "parse_duration_ms",
    "parse_env_pairs",
    "read_payload",
    "register",
    "zip_entry_names",
]


# --------------------------------------------------------------------------------------------
# invoke
# --------------------------------------------------------------------------------------------


def _print_payload(data: bytes, raw: bool) -> None:
    """Write the result: the exact bytes with --raw, else pretty JSON (or text if not JSON)."""
    if raw:
        stream = sys.stdout.buffer
        stream.write(data)
        if sys.stdout.isatty() and not data.endswith(b"\n"):
            stream.write(b"\n")
        stream.flush()
        return
    text = data.decode("utf-8", errors="replace")
    try:
        json.loads(text)
    except ValueError:
        click.echo(text)
    else:
        out_console().print_json(text)


@click.command(short_help="Invoke a function and print its result.")
@click.argument("name")
@click.argument("payload", required=False)
@click.option(
    "--file",
    "-f",
    "payload_file",
    type=click.File("rb"),
    help="Read the JSON payload from a file ('-' for stdin).",
)
@click.option("--qualifier", "-q", help="Version or alias to invoke (or NAME:QUALIFIER).")
@click.option(
    "--async",
    "async_",
    is_flag=True,
    help="Invoke asynchronously (InvocationType=Event); prints the request id.",
)
@click.option(
    "--logs",
    is_flag=True,
    help="Print the last 4 KB of the execution log (LogType=Tail) to stderr, one line per "
    "line (multi-line records such as tracebacks split).",
)
@click.option("--raw", is_flag=True, help="Write the result bytes as they are, no formatting.")
@click.option(
    "--debug",
    is_flag=True,
    help="Run on a new instance that waits for a debugger (debugpy for Python, the inspector "
    "for Node) on a loopback port printed to stderr; local server, $LATEST only.",
)
@click.option(
    "--debug-port", type=int, metavar="PORT", help="The port for --debug (default: free)."
)
@connection_options
def invoke(
    conn: Connection,
    name: str,
    payload: str | None,
    payload_file: IO[bytes] | None,
    qualifier: str | None,
    async_: bool,
    logs: bool,
    raw: bool,
    debug: bool,
    debug_port: int | None,
) -> None:
    """Invoke the function NAME with a JSON PAYLOAD (default {}; '-' reads stdin).

    Prints the result as pretty JSON. A function error (FunctionError) is shown in red
    and exits 1. With --async, queues the event and prints its request id on stdout (the
    id `ovis async results` and the function's logs know it by).
    """
    if async_ and logs:
        raise click.UsageError("--logs needs a synchronous invocation; drop --async")
    if debug and (async_ or qualifier or ":" in name):
        raise click.UsageError("--debug runs $LATEST synchronously: drop --async / --qualifier")
    if debug:
        with debug_session(conn, name, debug_port) as port:
            click.echo(
                f"Debugger: {name} waits on 127.0.0.1:{port} "
                f"(attach: VS Code 'Remote Attach' / debugpy / node inspector; code at /var/task)",
                err=True,
            )
            sys.stderr.flush()
            _invoke(conn, name, payload, payload_file, None, False, logs, raw)
        return
    _invoke(conn, name, payload, payload_file, qualifier, async_, logs, raw)


def _invoke(
    conn: Connection,
    name: str,
    payload: str | None,
    payload_file: IO[bytes] | None,
    qualifier: str | None,
    async_: bool,
    logs: bool,
    raw: bool,
) -> None:
    data = read_payload(payload, payload_file, sys.stdin.buffer)
    params: dict[str, Any] = {
        **function_params(name, qualifier),
        "Payload": data,
        "InvocationType": "Event" if async_ else "RequestResponse",
    }
    if logs:
        params["LogType"] = "Tail"
    lam = conn.client("lambda", read_timeout=INVOKE_READ_TIMEOUT_S)
    resp = lam.invoke(**params)
    if async_:
        meta = resp.get("ResponseMetadata", {})
        request_id = meta.get("HTTPHeaders", {}).get("x-amzn-requestid") or meta.get("RequestId")
        click.echo(f"Queued {name} (StatusCode {resp.get('StatusCode')})", err=True)
        click.echo(request_id or "-")
        return
    body = resp["Payload"].read()
    if logs and resp.get("LogResult"):
        log_text = base64.b64decode(resp["LogResult"]).decode("utf-8", errors="replace")
        click.secho(render_tail(log_text), err=True, dim=True)
    _print_payload(body, raw)
    if resp.get("FunctionError"):
        fail(f"Function error: {resp['FunctionError']}")


# --------------------------------------------------------------------------------------------
# list and get
# --------------------------------------------------------------------------------------------


def _short_time(value: str | None) -> str:
    """'2024-05-01T12:34:56.789+0000' -> '2024-05-01 12:34:56'."""
    if not value:
        return "-"
    return value.replace("T", " ")[:19]


def _function_rows(lam: Any) -> Iterator[dict[str, Any]]:
    """Every function (ListFunctions paginator), with State filled in via GetFunctionConfiguration
    when the listing omits it (as AWS's ListFunctions does)."""
    for page in lam.get_paginator("list_functions").paginate():
        for fn in page.get("Functions", []):
            if "State" not in fn:
                cfg = _get_configuration(lam, fn["FunctionName"]) or {}
                fn = {**fn, "State": cfg.get("State", "-")}
            yield fn


LIST_COLUMNS = [
    ("Name", False),
    ("Runtime", False),
    ("Memory", True),
    ("Timeout", True),
    ("CodeSize", True),
    ("LastModified", False),
    ("State", False),
]


@click.command("list", short_help="List the functions in a table.")
@json_option("Print the ListFunctions entries as a JSON array.")
@connection_options
def list_functions(conn: Connection, as_json: bool) -> None:
    """List the functions in a table (tab-separated when piped; --json for the API data)."""
    lam = conn.client("lambda")
    functions = list(_function_rows(lam))
    if as_json:
        print_json(functions)
        return
    if not functions:
        click.echo("No functions.", err=True)
        return
    print_table(
        LIST_COLUMNS,
        (
            (
                fn.get("FunctionName"),
                fn.get("Runtime") or fn.get("PackageType"),
                f"{fn.get('MemorySize', '-')} MB",
                f"{fn.get('Timeout', '-')} s",
                human_size(int(fn.get("CodeSize") or 0)),
                _short_time(fn.get("LastModified")),
                fn.get("State"),
            )
            for fn in functions
        ),
    )


def configuration_fields(cfg: dict[str, Any]) -> list[tuple[str, Any]]:
    """The rows `ovis get` shows, in the order a reader wants them."""
    env = (cfg.get("Environment") or {}).get("Variables") or {}
    layers = [layer.get("Arn") for layer in cfg.get("Layers") or []]
    state = cfg.get("State")
    if cfg.get("StateReason"):
        state = f"{state}: {cfg['StateReason']}"
    update = cfg.get("LastUpdateStatus")
    if cfg.get("LastUpdateStatusReason"):
        update = f"{update}: {cfg['LastUpdateStatusReason']}"
    return [
        ("Name", cfg.get("FunctionName")),
        ("ARN", cfg.get("FunctionArn")),
        ("Version", cfg.get("Version")),
        ("Description", cfg.get("Description")),
        ("PackageType", cfg.get("PackageType")),
        ("Runtime", cfg.get("Runtime")),
        ("Handler", cfg.get("Handler")),
        ("Architectures", ", ".join(cfg.get("Architectures") or []) or None),
        ("Memory", f"{cfg.get('MemorySize', '-')} MB"),
        ("Timeout", f"{cfg.get('Timeout', '-')} s"),
        ("EphemeralStorage", f"{(cfg.get('EphemeralStorage') or {}).get('Size', '-')} MB"),
        ("Role", cfg.get("Role")),
        ("CodeSize", human_size(int(cfg.get("CodeSize") or 0))),
        ("CodeSha256", cfg.get("CodeSha256")),
        ("Environment", ", ".join(f"{k}={v}" for k, v in sorted(env.items())) or None),
        ("Layers", ", ".join(str(a) for a in layers) or None),
        ("LastModified", cfg.get("LastModified")),
        ("State", state),
        ("LastUpdateStatus", update),
        ("RevisionId", cfg.get("RevisionId")),
    ]


@click.command("get", short_help="Show a function's configuration.")
@click.argument("name", metavar="NAME[:QUALIFIER]")
@click.option("--qualifier", "-q", help="Version or alias (or write NAME:QUALIFIER).")
@json_option("Print the raw GetFunctionConfiguration response as JSON.")
@connection_options
def get_function(conn: Connection, name: str, qualifier: str | None, as_json: bool) -> None:
    """Show the configuration of the function NAME (a version or alias with NAME:QUALIFIER)."""
    cfg = strip_metadata(
        conn.client("lambda").get_function_configuration(**function_params(name, qualifier))
    )
    if as_json:
        print_json(cfg)
        return
    print_fields(configuration_fields(cfg))


# --------------------------------------------------------------------------------------------
# logs
# --------------------------------------------------------------------------------------------


def _since_callback(ctx: click.Context, param: click.Parameter, value: str) -> int:
    try:
        return parse_since(value, int(time.time() * 1000))
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


def _filter_callback(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> FilterPattern | None:
    if not value:
        return None
    try:
        return FilterPattern.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


@click.command(short_help="Print a function's logs, grouped by request (--follow to tail).")
@click.argument("name")
@click.option("--follow", "-f", is_flag=True, help="Keep polling for new lines until Ctrl-C.")
@click.option(
    "--since",
    "start_ms",
    default="10m",
    show_default=True,
    callback=_since_callback,
    help="Where to start: a duration back from now (30s, 10m, 1h30m, 2d) or an ISO 8601 time "
    "(local time unless it has an offset).",
)
@click.option(
    "--filter",
    "pattern",
    metavar="PATTERN",
    callback=_filter_callback,
    help="Only lines matching a CloudWatch filter pattern: terms that must all occur, "
    '"quoted phrases", -term to exclude, ?term for any-of (case-sensitive). A single term '
    "or phrase is sent to the server as FilterLogEvents' filterPattern; richer patterns are "
    "matched here, on the client. Lines stay grouped under their request.",
)
@click.option("--utc", is_flag=True, help="Show timestamps in UTC instead of local time.")
@click.option(
    "--timestamps/--no-timestamps", default=True, show_default=True, help="Prefix each line."
)
@connection_options
def logs(
    conn: Connection,
    name: str,
    follow: bool,
    start_ms: int,
    pattern: FilterPattern | None,
    utc: bool,
    timestamps: bool,
) -> None:
    """Print the log lines of the function NAME (log group /aws/lambda/NAME).

    Reads through the CloudWatch Logs API. Each line carries its time (ISO 8601); a
    multi-line record (a traceback, which Lambda keeps in one event joined by carriage
    returns) is shown one line per line. Lines are grouped by request: a blank line between
    requests, and a `--- request ID ---` header when the request's START line is not shown.
    With --follow, polls every 0.5 s for new lines until interrupted.
    """
    client = conn.client("logs")
    group = f"/aws/lambda/{name}"
    dim = stdout_is_terminal()
    view = LogStyle(
        timestamps=timestamps,
        utc=utc,
        pattern=pattern,
        style=(lambda s: click.style(s, dim=True)) if dim else str,
    )
    if not follow:
        try:
            events = fetch_for_view(client, group, start_ms, pattern)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                fail(f"No log group {group}: has {name} been invoked yet?")
            raise
        for line in render_grouped(events, view):
            click.echo(line)
        return
    live = LiveGrouper(view)
    try:
        for event in follow_log_events(client, group, start_ms, pattern=pattern):
            for line in live.lines(event):
                click.echo(line)
            sys.stdout.flush()
    except KeyboardInterrupt:
        return


# --------------------------------------------------------------------------------------------
# delete
# --------------------------------------------------------------------------------------------


@click.command(short_help="Delete a function.")
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@connection_options
def delete(conn: Connection, name: str, yes: bool) -> None:
    """Delete the function NAME (asks first unless --yes)."""
    if not yes:
        click.confirm(f"Delete function {name}?", abort=True)
    conn.client("lambda").delete_function(FunctionName=name)
    click.echo(f"Deleted {name}")


# --------------------------------------------------------------------------------------------
# registration
# --------------------------------------------------------------------------------------------


def register(cli: click.Group) -> None:
    """Add deploy, invoke, list (and its alias ls), get, logs, delete, publish and the
    alias, url and async-config groups to the `cli` group."""
    for command in (deploy, invoke, list_functions, get_function, logs, delete, build, dev):
        cli.add_command(command)
    alias = copy.copy(list_functions)
    alias.name = "ls"
    alias.short_help = "Alias for `list`."
    cli.add_command(alias, "ls")
    versions.register(cli)
    urls.register(cli)
    event_config.register(cli)
