"""`ovis deploy`: zip a folder, create or update the function, optionally publish a version.

Only the public Lambda API is used: CreateFunction / UpdateFunctionCode /
UpdateFunctionConfiguration, boto3's waiters between steps (as AWS requires), PublishVersion.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from botocore.exceptions import ClientError, WaiterError

from ovis.cli.build import resolve
from ovis.cli.connection import Connection, connection_options, fail
from ovis.cli.inputs import env_callback
from ovis.cli.packaging import (
    build_zip,
    handler_module_missing,
    human_size,
    package_files,
)
from ovis.cli.progress import deploy_progress
from ovis.cli.tables import err_console, print_fields

DEFAULT_ROLE = "arn:aws:iam::000000000000:role/ovis-function"
DEFAULT_RUNTIME = "python3.11"
DEFAULT_HANDLER = "app.handler"
DEFAULT_MEMORY = 128
DEFAULT_TIMEOUT = 3
# Longest a function may run (900 s) plus headroom: an Invoke is one blocking request.
INVOKE_READ_TIMEOUT_S = 960
# Waiters poll a local server, so they can poll often; 0.25 s x 480 = 2 minutes.
WAITER_CONFIG: dict[str, float] = {"Delay": 0.25, "MaxAttempts": 480}


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
    if options.get("layers"):  # given: the function's whole layer list, in order
        settings["Layers"] = list(options["layers"])
    return settings


def _print_summary(action: str, cfg: dict[str, Any], version: str | None) -> None:
    click.echo(f"{action} {cfg.get('FunctionName')}")
    state = f"{cfg.get('State', '-')} (last update: {cfg.get('LastUpdateStatus', '-')})"
    fields = [
        ("Name", cfg.get("FunctionName")),
        ("ARN", cfg.get("FunctionArn")),
        ("Runtime", cfg.get("Runtime")),
        ("Handler", cfg.get("Handler")),
        ("CodeSha256", cfg.get("CodeSha256")),
        ("CodeSize", human_size(int(cfg.get("CodeSize") or 0))),
        ("Layers", ", ".join(layer["Arn"] for layer in cfg.get("Layers") or []) or None),
        ("State", state),
    ]
    if version is not None:
        fields.append(("Version", version))
    print_fields(fields)


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
    callback=env_callback,
    metavar="K=V",
    help="Environment variable; repeatable. Replaces all variables when given.",
)
@click.option(
    "--layer",
    "layers",
    multiple=True,
    metavar="ARN",
    help="Layer version ARN; repeatable, in order. Replaces the function's layers when given.",
)
@click.option("--role", help=f"Execution role ARN (default on create: {DEFAULT_ROLE}).")
@click.option("--description", help="Function description.")
@click.option(
    "--publish",
    is_flag=True,
    help="Publish a version of the result (PublishVersion) and print its number.",
)
@click.option(
    "--no-build",
    is_flag=True,
    help="Zip the folder as it is: do not resolve requirements.txt / package.json (ovis build).",
)
@connection_options
def deploy(
    conn: Connection, path: Path, name: str, publish: bool, no_build: bool, **options: Any
) -> None:
    """Zip the folder PATH and create or update the function NAME from it.

    A new function gets the defaults for options not given. An existing one gets its code
    replaced, then only the options given applied (UpdateFunctionConfiguration), waiting
    for each step to finish. With --publish, a version is published afterwards. A progress
    display on stderr follows the steps when stdout is a terminal. A requirements.txt or
    package.json is resolved into the package first, as `ovis build` does (cached).
    """
    if not package_files(path):
        fail(f"Error: nothing to deploy: {path} has no files to package")
    lam = conn.client("lambda", read_timeout=INVOKE_READ_TIMEOUT_S)
    settings = _deploy_settings(**options)
    version: str | None = None
    with deploy_progress() as steps:
        steps.start(f"Checking {name}")
        existing = _get_configuration(lam, name)
        runtime = settings.get("Runtime") or (existing or {}).get("Runtime") or DEFAULT_RUNTIME
        handler = settings.get("Handler") or (existing or {}).get("Handler") or DEFAULT_HANDLER
        deps: list[Path] = []
        if not no_build:
            steps.start(f"Resolving the dependencies of {path}")
            arch = ((existing or {}).get("Architectures") or [None])[0]
            built = resolve(path, runtime, arch)
            for note in built.notes:
                err_console().print(note)
            deps = built.deps
        files = package_files(path, deps)
        names = [n for n, _ in files]
        missing = handler_module_missing(names, handler) if runtime.startswith("python") else None
        if missing:
            err_console().print(
                f"[yellow]Warning:[/yellow] handler {handler} but {missing} is not in {path}"
            )
        steps.start(f"Packaging {path}", total=len(files))
        code = build_zip(path, on_file=lambda _: steps.advance(), deps=deps)
        steps.start(f"Uploading {len(files)} files ({human_size(len(code))}) to {name}")
        if existing:
            _update_function(lam, name, code, settings)
        else:
            _create_function(lam, name, code, settings)
        if publish:
            steps.start(f"Publishing a version of {name}")
            version = str(lam.publish_version(FunctionName=name)["Version"])
        cfg = dict(lam.get_function_configuration(FunctionName=name))
    _print_summary("Updated" if existing else "Created", cfg, version)
    if version is not None:
        click.echo(f"Published version {version}")
