"""The everyday `ovis` commands: deploy, invoke, list (ls), logs and delete.

Every command talks to the server only through boto3 clients, exactly as a user's own
scripts would, so the CLI doubles as a smoke test of the public API. The connection comes
from `--endpoint-url` (env OVIS_ENDPOINT_URL), `--region` (env AWS_REGION or
AWS_DEFAULT_REGION) and the credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
(default test/test).

The lead's `ovis/cli/main.py` calls `register(cli)` to add them to the `ovis` group.
"""

from __future__ import annotations

import base64
import copy
import functools
import io
import json
import os
import re
import stat
import sys
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NoReturn

import boto3
import click
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
    WaiterError,
)
from rich.console import Console
from rich.table import Table

DEFAULT_ENDPOINT = "http://127.0.0.1:8910"
DEFAULT_REGION = "us-east-1"
DEFAULT_ROLE = "arn:aws:iam::000000000000:role/ovis-function"
DEFAULT_RUNTIME = "python3.11"
DEFAULT_HANDLER = "app.handler"
DEFAULT_MEMORY = 128
DEFAULT_TIMEOUT = 3

# Longest a function may run (900 s) plus headroom: an Invoke is one blocking request.
INVOKE_READ_TIMEOUT_S = 960
# Waiters poll a local server, so they can poll often; 0.25 s x 480 = 2 minutes.
WAITER_CONFIG: dict[str, float] = {"Delay": 0.25, "MaxAttempts": 480}
LOG_POLL_INTERVAL_S = 0.5
# When following logs, re-read this far behind the newest event seen, so that lines that
# arrive late (another stream, a slow flush) are not skipped; eventId de-duplicates them.
LOG_FOLLOW_OVERLAP_MS = 5_000


# --------------------------------------------------------------------------------------------
# Packaging (pure: no server needed)
# --------------------------------------------------------------------------------------------

EXCLUDED_DIRS = frozenset({"__pycache__", ".git"})
EXCLUDED_SUFFIXES = (".pyc", ".pyo")
# Zip cannot store dates before 1980; a fixed date keeps the bytes independent of mtimes.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def build_zip(path: Path) -> bytes:
    """Zip the folder at `path` into a deployment package, deterministically.

    Entries are sorted by their (posix) path, carry a fixed timestamp and a normalised
    mode (0755 if the file has any executable bit, else 0644), so the same tree gives the
    same bytes on every run and machine. `__pycache__` and `.git` folders and compiled
    `*.pyc` / `*.pyo` files are skipped. Directory entries are not written.
    """
    root = Path(path)
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is not a directory")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, file in sorted(_package_files(root)):
            zf.writestr(_zip_info(name, file.stat().st_mode), file.read_bytes())
    return buf.getvalue()


def _package_files(root: Path) -> Iterator[tuple[str, Path]]:
    """Yield (archive name, file) for every file under `root` that belongs in a package."""
    seen_dirs: set[Path] = set()

    def walk(folder: Path, prefix: str) -> Iterator[tuple[str, Path]]:
        real = folder.resolve()
        if real in seen_dirs:  # a symlink loop
            return
        seen_dirs.add(real)
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            name = prefix + entry.name
            if entry.is_dir():
                if entry.name not in EXCLUDED_DIRS:
                    yield from walk(entry, name + "/")
            elif entry.is_file() and not entry.name.endswith(EXCLUDED_SUFFIXES):
                yield name, entry

    yield from walk(root, "")


def _zip_info(name: str, mode: int) -> zipfile.ZipInfo:
    """A ZipInfo with a fixed date and a normalised unix mode (regular file 0755 or 0644)."""
    info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # unix, so unzip and Lambda honour external_attr
    perms = 0o755 if mode & 0o111 else 0o644
    info.external_attr = (stat.S_IFREG | perms) << 16
    return info


def zip_entry_names(data: bytes) -> list[str]:
    """The entry names of a zip archive held in memory."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.namelist()


def handler_module_missing(names: Iterable[str], handler: str) -> str | None:
    """For a Python handler `pkg.mod.func`, the module file expected in the package if absent."""
    module = handler.rpartition(".")[0]
    if not module:
        return None
    base = module.replace(".", "/")
    candidates = (base + ".py", base + "/__init__.py")
    present = set(names)
    return None if any(c in present for c in candidates) else candidates[0]


def human_size(n: int) -> str:
    """1536 -> '1.5 KB'."""
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / (1024 * 1024):.1f} MB"


# --------------------------------------------------------------------------------------------
# Argument parsing helpers (pure)
# --------------------------------------------------------------------------------------------


def parse_env_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """['A=1', 'B=x=y'] -> {'A': '1', 'B': 'x=y'}; raises ValueError on a pair without '='."""
    env: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"expected K=V, got {pair!r}")
        env[key] = value
    return env


def _env_callback(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> Any:
    if not value:
        return None
    try:
        return parse_env_pairs(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


_DURATION_PART = re.compile(r"(\d+)(ms|s|m|h|d|w)")
_DURATION_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_DURATION_MS["w"] = 7 * _DURATION_MS["d"]


def parse_duration_ms(text: str) -> int:
    """'10m' -> 600000; also '90s', '1h30m', '2d'. Raises ValueError on anything else."""
    text = text.strip().lower()
    if text.isdigit():  # a bare number is seconds
        return int(text) * 1000
    pos, total = 0, 0
    for match in _DURATION_PART.finditer(text):
        if match.start() != pos:
            break
        total += int(match.group(1)) * _DURATION_MS[match.group(2)]
        pos = match.end()
    if not text or pos != len(text):
        raise ValueError(f"invalid duration {text!r} (examples: 30s, 10m, 1h30m, 2d)")
    return total


def _duration_callback(ctx: click.Context, param: click.Parameter, value: str) -> int:
    try:
        return parse_duration_ms(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


def read_payload(payload: str | None, file: IO[bytes] | None, stdin: IO[bytes]) -> bytes:
    """The invoke payload: the PAYLOAD argument ('-' = stdin), else --file, else '{}'.

    The result must be JSON, as Lambda requires; raises click.UsageError otherwise.
    """
    if payload is not None and file is not None:
        raise click.UsageError("give the payload either as an argument or with --file, not both")
    if payload == "-":
        data, source = stdin.read(), "stdin"
    elif payload is not None:
        data, source = payload.encode(), "PAYLOAD"
    elif file is not None:
        data, source = file.read(), getattr(file, "name", "--file")
    else:
        return b"{}"
    try:
        json.loads(data)
    except ValueError as exc:
        raise click.UsageError(f"the payload from {source} is not valid JSON: {exc}") from None
    return data


# --------------------------------------------------------------------------------------------
# Connection and error reporting
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Connection:
    """Where the server is and how to sign requests to it."""

    endpoint_url: str
    region: str
    access_key: str
    secret_key: str

    def client(self, service: str, read_timeout: int = 60) -> Any:
        """A boto3 client for `service` ('lambda' or 'logs'); no retries, a local server."""
        config = Config(
            connect_timeout=5,
            read_timeout=read_timeout,
            retries={"total_max_attempts": 1, "mode": "standard"},
        )
        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=config,
        )


def fail(message: str) -> NoReturn:
    """Print `message` in red to stderr and exit 1."""
    click.secho(message, fg="red", err=True)
    sys.exit(1)


def _report_errors(conn: Connection) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(body: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(body)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return body(*args, **kwargs)
            except ClientError as exc:
                err = exc.response.get("Error", {})
                fail(f"Error ({err.get('Code', 'Unknown')}): {err.get('Message', exc)}")
            except EndpointConnectionError:
                fail(
                    f"Could not connect to the Ovis server at {conn.endpoint_url}: is it "
                    "running? Start it with `make run` or `ovis server` (or point "
                    "--endpoint-url / OVIS_ENDPOINT_URL at it)."
                )
            except ParamValidationError as exc:
                fail(f"Error (ParamValidation): {exc}")
            except (ReadTimeoutError, ConnectionClosedError) as exc:
                fail(f"Error: the server at {conn.endpoint_url} did not answer: {exc}")
            return None

        return run

    return decorate


def connection_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add --endpoint-url and --region, pass a `Connection` first, and report server errors.

    ClientError prints `Error (Code): message` to stderr and exits 1; a refused connection
    prints a hint that the server is not running.
    """

    @click.option(
        "--endpoint-url",
        envvar="OVIS_ENDPOINT_URL",
        default=DEFAULT_ENDPOINT,
        show_default=True,
        show_envvar=True,
        help="Ovis server URL.",
    )
    @click.option(
        "--region",
        envvar=["AWS_REGION", "AWS_DEFAULT_REGION"],
        default=DEFAULT_REGION,
        show_default=True,
        show_envvar=True,
        help="Region to sign requests for.",
    )
    @functools.wraps(command)
    def wrapper(*args: Any, endpoint_url: str, region: str, **kwargs: Any) -> Any:
        conn = Connection(
            endpoint_url=endpoint_url,
            region=region,
            access_key=os.environ.get("AWS_ACCESS_KEY_ID") or "test",
            secret_key=os.environ.get("AWS_SECRET_ACCESS_KEY") or "test",
        )
        return _report_errors(conn)(command)(conn, *args, **kwargs)

    return wrapper


def _out() -> Console:
    """Console for results on stdout; when piped, wide enough that tables never truncate."""
    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = 1_000
    return console


def _err() -> Console:
    return Console(stderr=True, highlight=False)


# --------------------------------------------------------------------------------------------
# deploy
# --------------------------------------------------------------------------------------------


def _wait(lam: Any, waiter: str, name: str) -> None:
    """Wait on a boto3 Lambda waiter; on failure, exit with the function's state reason."""
    try:
        lam.get_waiter(waiter).wait(FunctionName=name, WaiterConfig=WAITER_CONFIG)
    except WaiterError as exc:
        cfg = (exc.last_response or {}).get("Configuration", {})
        reason = (
            cfg.get("StateReason")
            or cfg.get("LastUpdateStatusReason")
            or exc.kwargs.get("reason", str(exc))
        )
        state = cfg.get("State") or cfg.get("LastUpdateStatus") or "unknown state"
        fail(f"Error: {name} did not become ready ({waiter}): {state}: {reason}")


def _get_configuration(lam: Any, name: str) -> dict[str, Any] | None:
    """The function's configuration, or None if it does not exist."""
    try:
        return dict(lam.get_function_configuration(FunctionName=name))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise


def _create_function(lam: Any, name: str, code: bytes, settings: dict[str, Any]) -> None:
    """CreateFunction with defaults filled in, then wait until it is Active."""
    params: dict[str, Any] = {
        "Runtime": DEFAULT_RUNTIME,
        "Handler": DEFAULT_HANDLER,
        "MemorySize": DEFAULT_MEMORY,
        "Timeout": DEFAULT_TIMEOUT,
        "Role": DEFAULT_ROLE,
        **settings,
    }
    lam.create_function(FunctionName=name, Code={"ZipFile": code}, **params)
    _wait(lam, "function_active_v2", name)


def _update_function(lam: Any, name: str, code: bytes, settings: dict[str, Any]) -> None:
    """UpdateFunctionCode, then UpdateFunctionConfiguration with the options given, waiting
    for each update to finish before the next step, as AWS requires."""
    _wait(lam, "function_updated_v2", name)
    lam.update_function_code(FunctionName=name, ZipFile=code)
    _wait(lam, "function_updated_v2", name)
    if settings:
        lam.update_function_configuration(FunctionName=name, **settings)
        _wait(lam, "function_updated_v2", name)


def _deploy_settings(**options: Any) -> dict[str, Any]:
    """The Lambda configuration fields for the options the user gave (None = not given)."""
    keys = {
        "runtime": "Runtime",
        "handler": "Handler",
        "memory": "MemorySize",
        "timeout": "Timeout",
        "role": "Role",
        "description": "Description",
    }
    settings = {keys[k]: v for k, v in options.items() if k in keys and v is not None}
    if options.get("env") is not None:
        settings["Environment"] = {"Variables": options["env"]}
    return settings


def _print_summary(action: str, cfg: dict[str, Any]) -> None:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    rows = [
        ("Name", cfg.get("FunctionName")),
        ("ARN", cfg.get("FunctionArn")),
        ("Runtime", cfg.get("Runtime")),
        ("Handler", cfg.get("Handler")),
        ("CodeSha256", cfg.get("CodeSha256")),
        ("CodeSize", human_size(int(cfg.get("CodeSize") or 0))),
        ("State", f"{cfg.get('State', '-')} (last update: {cfg.get('LastUpdateStatus', '-')})"),
    ]
    for key, value in rows:
        table.add_row(key, str(value if value is not None else "-"))
    out = _out()
    out.print(f"[green]{action}[/green] {cfg.get('FunctionName')}")
    out.print(table)


@click.command(short_help="Zip a folder and create or update a function from it.")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--name", "-n", required=True, help="Function name.")
@click.option("--runtime", help=f"Runtime (default on create: {DEFAULT_RUNTIME}).")
@click.option("--handler", help=f"Handler (default on create: {DEFAULT_HANDLER}).")
@click.option(
    "--memory", type=int, metavar="MB", help=f"Memory in MB (default on create: {DEFAULT_MEMORY})."
)
@click.option(
    "--timeout",
    type=int,
    metavar="SECONDS",
    help=f"Timeout in seconds (default on create: {DEFAULT_TIMEOUT}).",
)
@click.option(
    "--env",
    "-e",
    multiple=True,
    callback=_env_callback,
    metavar="K=V",
    help="Environment variable; repeatable. Replaces all variables when given.",
)
@click.option("--role", help=f"Execution role ARN (default on create: {DEFAULT_ROLE}).")
@click.option("--description", help="Function description.")
@connection_options
def deploy(conn: Connection, path: Path, name: str, **options: Any) -> None:
    """Zip the folder PATH and create or update the function NAME from it.

    A new function gets the defaults for options not given. An existing one gets its code
    replaced, then only the options given applied (UpdateFunctionConfiguration), waiting
    for each step to finish.
    """
    code = build_zip(path)
    names = zip_entry_names(code)
    if not names:
        fail(f"Error: nothing to deploy: {path} has no files to package")
    lam = conn.client("lambda", read_timeout=INVOKE_READ_TIMEOUT_S)
    settings = _deploy_settings(**options)
    err = _err()
    with err.status(f"Checking {name}…"):
        existing = _get_configuration(lam, name)
    runtime = settings.get("Runtime") or (existing or {}).get("Runtime") or DEFAULT_RUNTIME
    handler = settings.get("Handler") or (existing or {}).get("Handler") or DEFAULT_HANDLER
    missing = handler_module_missing(names, handler) if runtime.startswith("python") else None
    if missing:
        err.print(f"[yellow]Warning:[/yellow] handler {handler} but {missing} is not in {path}")
    size = human_size(len(code))
    action = "Updated" if existing else "Created"
    with err.status(f"Uploading {len(names)} files ({size}) to {name}…"):
        if existing:
            _update_function(lam, name, code, settings)
        else:
            _create_function(lam, name, code, settings)
        cfg = dict(lam.get_function_configuration(FunctionName=name))
    _print_summary(action, cfg)


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
        _out().print_json(text)


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
@click.option("--qualifier", "-q", help="Version or alias to invoke.")
@click.option(
    "--async", "async_", is_flag=True, help="Invoke asynchronously (InvocationType=Event)."
)
@click.option(
    "--logs", is_flag=True, help="Print the last 4 KB of the execution log (LogType=Tail)."
)
@click.option("--raw", is_flag=True, help="Write the result bytes as they are, no formatting.")
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
) -> None:
    """Invoke the function NAME with a JSON PAYLOAD (default {}; '-' reads stdin).

    Prints the result as pretty JSON. A function error (FunctionError) is shown in red
    and exits 1. With --async, queues the event and prints the status code.
    """
    if async_ and logs:
        raise click.UsageError("--logs needs a synchronous invocation; drop --async")
    data = read_payload(payload, payload_file, sys.stdin.buffer)
    params: dict[str, Any] = {
        "FunctionName": name,
        "Payload": data,
        "InvocationType": "Event" if async_ else "RequestResponse",
    }
    if qualifier:
        params["Qualifier"] = qualifier
    if logs:
        params["LogType"] = "Tail"
    lam = conn.client("lambda", read_timeout=INVOKE_READ_TIMEOUT_S)
    resp = lam.invoke(**params)
    if async_:
        click.echo(f"Queued {name} (StatusCode {resp.get('StatusCode')})")
        return
    body = resp["Payload"].read()
    if logs and resp.get("LogResult"):
        log_text = base64.b64decode(resp["LogResult"]).decode("utf-8", errors="replace")
        click.secho(log_text.rstrip("\n"), err=True, dim=True)
    _print_payload(body, raw)
    if resp.get("FunctionError"):
        fail(f"Function error: {resp['FunctionError']}")


# --------------------------------------------------------------------------------------------
# list
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


@click.command("list", short_help="List the functions in a table.")
@connection_options
def list_functions(conn: Connection) -> None:
    """List the functions in a table."""
    lam = conn.client("lambda")
    table = Table(box=None, header_style="bold")
    for column in ("Name", "Runtime", "Memory", "Timeout", "CodeSize", "LastModified", "State"):
        numeric = column in ("Memory", "Timeout", "CodeSize")
        table.add_column(column, justify="right" if numeric else "left", no_wrap=column != "Name")
    count = 0
    for fn in _function_rows(lam):
        count += 1
        table.add_row(
            fn.get("FunctionName", "-"),
            fn.get("Runtime") or fn.get("PackageType", "-"),
            f"{fn.get('MemorySize', '-')} MB",
            f"{fn.get('Timeout', '-')} s",
            human_size(int(fn.get("CodeSize") or 0)),
            _short_time(fn.get("LastModified")),
            fn.get("State", "-"),
        )
    if count == 0:
        click.echo("No functions.")
        return
    _out().print(table)


# --------------------------------------------------------------------------------------------
# logs
# --------------------------------------------------------------------------------------------


def _event_key(event: dict[str, Any]) -> Any:
    return event.get("eventId") or (
        event.get("logStreamName"),
        event.get("timestamp"),
        event.get("message"),
    )


def fetch_log_events(logs: Any, group: str, start_ms: int) -> Iterator[dict[str, Any]]:
    """All events of `group` from `start_ms` on, following nextToken across pages."""
    params: dict[str, Any] = {"logGroupName": group, "startTime": start_ms}
    seen_tokens: set[str] = set()
    while True:
        page = logs.filter_log_events(**params)
        yield from page.get("events", [])
        token = page.get("nextToken")
        if not token or token in seen_tokens:
            return
        seen_tokens.add(token)
        params["nextToken"] = token


def follow_log_events(
    logs: Any,
    group: str,
    start_ms: int,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[dict[str, Any]]:
    """Poll `group` forever, yielding each event once (by eventId), oldest first per poll.

    A missing log group (function not yet invoked) is waited for.
    """
    seen: dict[Any, int] = {}  # event key -> timestamp
    cursor = start_ms
    while True:
        try:
            batch = list(fetch_log_events(logs, group, cursor))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
            batch = []
        for event in batch:
            key = _event_key(event)
            if key not in seen:
                seen[key] = int(event.get("timestamp", cursor))
                yield event
        if seen:
            cursor = max(cursor, max(seen.values()) - LOG_FOLLOW_OVERLAP_MS)
            seen = {k: ts for k, ts in seen.items() if ts >= cursor}
        sleep(LOG_POLL_INTERVAL_S)


def _print_message(event: dict[str, Any]) -> None:
    """Print one log message as is, except that the carriage returns Lambda's Python runtime
    uses to keep a traceback in one event become newlines, so terminals show every line."""
    message = str(event.get("message", "")).replace("\r\n", "\n").replace("\r", "\n")
    click.echo(message, nl=not message.endswith("\n"))


@click.command(short_help="Print a function's logs (--follow to tail them).")
@click.argument("name")
@click.option("--follow", "-f", is_flag=True, help="Keep polling for new lines until Ctrl-C.")
@click.option(
    "--since",
    default="10m",
    show_default=True,
    callback=_duration_callback,
    help="How far back to start, e.g. 30s, 10m, 1h30m, 2d.",
)
@connection_options
def logs(conn: Connection, name: str, follow: bool, since: int) -> None:
    """Print the log lines of the function NAME (log group /aws/lambda/NAME).

    Reads through the CloudWatch Logs API. With --follow, polls every 0.5 s for new
    lines until interrupted.
    """
    client = conn.client("logs")
    group = f"/aws/lambda/{name}"
    start_ms = int(time.time() * 1000) - since
    if not follow:
        try:
            for event in fetch_log_events(client, group, start_ms):
                _print_message(event)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                fail(f"No log group {group}: has {name} been invoked yet?")
            raise
        return
    try:
        for event in follow_log_events(client, group, start_ms):
            _print_message(event)
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
    """Add deploy, invoke, list (and its alias ls), logs and delete to the `cli` group."""
    for command in (deploy, invoke, list_functions, logs, delete):
        cli.add_command(command)
    alias = copy.copy(list_functions)
    alias.name = "ls"
    alias.short_help = "Alias for `list`."
    cli.add_command(alias, "ls")
