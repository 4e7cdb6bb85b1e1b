"""`ovis async-config put|get|delete`: how asynchronous invocations of a function are retried
and where their results go (the FunctionEventInvokeConfig API).

`put` replaces the whole configuration (PutFunctionEventInvokeConfig): options not given
take AWS's defaults (2 retries, 6 hours, no destinations).
"""

from __future__ import annotations

from typing import Any

import click

from ovis.cli.connection import Connection, connection_options
from ovis.cli.tables import json_option, print_fields, print_json, strip_metadata


def _target(name: str, qualifier: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {"FunctionName": name}
    if qualifier:
        params["Qualifier"] = qualifier
    return params


def put_params(
    max_retries: int | None,
    max_age: int | None,
    on_success: str | None,
    on_failure: str | None,
) -> dict[str, Any]:
    """The PutFunctionEventInvokeConfig fields for the options given (None = not given)."""
    params: dict[str, Any] = {}
    if max_retries is not None:
        params["MaximumRetryAttempts"] = max_retries
    if max_age is not None:
        params["MaximumEventAgeInSeconds"] = max_age
    destinations: dict[str, Any] = {}
    if on_success:
        destinations["OnSuccess"] = {"Destination": on_success}
    if on_failure:
        destinations["OnFailure"] = {"Destination": on_failure}
    if destinations:
        params["DestinationConfig"] = destinations
    return params


def _print_config(cfg: dict[str, Any]) -> None:
    dest = cfg.get("DestinationConfig") or {}
    print_fields(
        [
            ("Function", cfg.get("FunctionArn")),
            ("MaxRetries", cfg.get("MaximumRetryAttempts")),
            (
                "MaxAge",
                f"{cfg['MaximumEventAgeInSeconds']} s"
                if "MaximumEventAgeInSeconds" in cfg
                else None,
            ),
            ("OnSuccess", (dest.get("OnSuccess") or {}).get("Destination")),
            ("OnFailure", (dest.get("OnFailure") or {}).get("Destination")),
            ("LastModified", cfg.get("LastModified")),
        ]
    )


QUALIFIER_OPTION = click.option("--qualifier", "-q", help="Version or alias it applies to.")


@click.group("async-config")
def async_config_group() -> None:
    """Retries, event age and destinations of asynchronous invocations of a function."""


@async_config_group.command("put")
@click.argument("name")
@QUALIFIER_OPTION
@click.option(
    "--max-retries", type=click.IntRange(0, 2), help="Retries after a function error (0-2)."
)
@click.option(
    "--max-age",
    type=click.IntRange(60, 21600),
    metavar="SECONDS",
    help="Oldest an event may get before it is dropped (60-21600).",
)
@click.option("--on-success", metavar="ARN", help="Destination for successful invocations.")
@click.option("--on-failure", metavar="ARN", help="Destination for events that failed.")
@connection_options
def put_config(
    conn: Connection,
    name: str,
    qualifier: str | None,
    max_retries: int | None,
    max_age: int | None,
    on_success: str | None,
    on_failure: str | None,
) -> None:
    """Set (replace) the asynchronous invocation configuration of function NAME."""
    cfg = conn.client("lambda").put_function_event_invoke_config(
        **_target(name, qualifier), **put_params(max_retries, max_age, on_success, on_failure)
    )
    _print_config(cfg)


@async_config_group.command("get")
@click.argument("name")
@QUALIFIER_OPTION
@json_option("Print the GetFunctionEventInvokeConfig response as JSON.")
@connection_options
def get_config(conn: Connection, name: str, qualifier: str | None, as_json: bool) -> None:
    """Show the asynchronous invocation configuration of function NAME."""
    cfg = strip_metadata(
        conn.client("lambda").get_function_event_invoke_config(**_target(name, qualifier))
    )
    if as_json:
        print_json(cfg)
        return
    _print_config(cfg)


@async_config_group.command("delete")
@click.argument("name")
@QUALIFIER_OPTION
@connection_options
def delete_config(conn: Connection, name: str, qualifier: str | None) -> None:
    """Remove the configuration of function NAME (AWS's defaults apply again)."""
    conn.client("lambda").delete_function_event_invoke_config(**_target(name, qualifier))
    click.echo(f"Deleted the async configuration of {name}{':' + qualifier if qualifier else ''}")


def register(cli: click.Group) -> None:
    """Add the `async-config` group to `cli`."""
    cli.add_command(async_config_group)
