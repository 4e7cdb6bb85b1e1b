"""`ovis url create|get|delete`: function URLs (the FunctionUrlConfig API).

A URL with AuthType NONE is only reachable once the function's resource policy lets anyone
call it, so `create` also adds that statement (AddPermission, StatementId
``FunctionURLAllowPublicAccess``, as the AWS console does) and `delete` removes it again.
"""

from __future__ import annotations

from typing import Any

import click
from botocore.exceptions import ClientError

from ovis.cli.connection import Connection, connection_options
from ovis.cli.tables import json_option, print_fields, print_json, strip_metadata

PUBLIC_STATEMENT_ID = "FunctionURLAllowPublicAccess"


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _target(name: str, qualifier: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {"FunctionName": name}
    if qualifier:
        params["Qualifier"] = qualifier
    return params


def _print_url(cfg: dict[str, Any]) -> None:
    cors = cfg.get("Cors") or {}
    print_fields(
        [
            ("URL", cfg.get("FunctionUrl")),
            ("Function", cfg.get("FunctionArn")),
            ("AuthType", cfg.get("AuthType")),
            ("InvokeMode", cfg.get("InvokeMode")),
            ("CorsOrigins", ", ".join(cors.get("AllowOrigins") or []) or None),
            ("Created", cfg.get("CreationTime")),
        ]
    )


QUALIFIER_OPTION = click.option(
    "--qualifier", "-q", help="Alias the URL belongs to (default: the function itself)."
)


@click.group("url")
def url_group() -> None:
    """Function URLs: an HTTP endpoint for a function or one of its aliases."""


@url_group.command("create")
@click.argument("name")
@QUALIFIER_OPTION
@click.option(
    "--auth-type",
    type=click.Choice(["NONE", "AWS_IAM"]),
    default="NONE",
    show_default=True,
    help="NONE: anyone may call it (the public-access statement is added); AWS_IAM: "
    "SigV4-signed requests only.",
)
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    metavar="ORIGIN",
    help="Allowed CORS origin (repeatable), e.g. http://localhost:3000 or '*'.",
)
@click.option(
    "--invoke-mode",
    type=click.Choice(["BUFFERED", "RESPONSE_STREAM"]),
    help="RESPONSE_STREAM relays a streamed response as it is produced.",
)
@connection_options
def create_url(
    conn: Connection,
    name: str,
    qualifier: str | None,
    auth_type: str,
    cors_origins: tuple[str, ...],
    invoke_mode: str | None,
) -> None:
    """Create the URL of function NAME and print it (alone, on the first line)."""
    lam = conn.client("lambda")
    params: dict[str, Any] = {**_target(name, qualifier), "AuthType": auth_type}
    if cors_origins:
        params["Cors"] = {"AllowOrigins": list(cors_origins)}
    if invoke_mode:
        params["InvokeMode"] = invoke_mode
    cfg = lam.create_function_url_config(**params)
    if auth_type == "NONE":
        try:
            lam.add_permission(
                **_target(name, qualifier),
                StatementId=PUBLIC_STATEMENT_ID,
                Action="lambda:InvokeFunctionUrl",
                Principal="*",
                FunctionUrlAuthType="NONE",
            )
        except ClientError as exc:
            if _error_code(exc) != "ResourceConflictException":  # already there: fine
                raise
    click.echo(cfg["FunctionUrl"])


@url_group.command("get")
@click.argument("name")
@QUALIFIER_OPTION
@json_option("Print the GetFunctionUrlConfig response as JSON.")
@connection_options
def get_url(conn: Connection, name: str, qualifier: str | None, as_json: bool) -> None:
    """Show the URL configuration of function NAME."""
    cfg = strip_metadata(conn.client("lambda").get_function_url_config(**_target(name, qualifier)))
    if as_json:
        print_json(cfg)
        return
    _print_url(cfg)


@url_group.command("delete")
@click.argument("name")
@QUALIFIER_OPTION
@connection_options
def delete_url(conn: Connection, name: str, qualifier: str | None) -> None:
    """Delete the URL of function NAME and the public-access statement `create` added."""
    lam = conn.client("lambda")
    lam.delete_function_url_config(**_target(name, qualifier))
    try:
        lam.remove_permission(**_target(name, qualifier), StatementId=PUBLIC_STATEMENT_ID)
    except ClientError as exc:
        if _error_code(exc) != "ResourceNotFoundException":  # never added (AWS_IAM): fine
            raise
    click.echo(f"Deleted the URL of {name}{':' + qualifier if qualifier else ''}")


def register(cli: click.Group) -> None:
    """Add the `url` group to `cli`."""
    cli.add_command(url_group)
