"""`ovis publish`, `ovis versions` and `ovis alias create|update|delete|list`: versions and
aliases.

Thin wrappers over PublishVersion and the alias API. Weighted routing is given as
``--weight VERSION=FRACTION`` (RoutingConfig.AdditionalVersionWeights): the alias sends that
fraction of invocations to VERSION and the rest to its main ``--version``.
"""

from __future__ import annotations

from typing import Any

import click

from ovis.cli.connection import Connection, connection_options
from ovis.cli.tables import json_option, print_fields, print_json, print_table


def parse_weights(pairs: tuple[str, ...]) -> dict[str, float]:
    """('2=0.1',) -> {'2': 0.1}; raises ValueError on anything but VERSION=FRACTION."""
    weights: dict[str, float] = {}
    for pair in pairs:
        version, sep, fraction = pair.partition("=")
        try:
            if not sep or not version:
                raise ValueError
            weights[version] = float(fraction)
        except ValueError:
            raise ValueError(f"expected VERSION=FRACTION (e.g. 2=0.1), got {pair!r}") from None
    return weights


def _weights_callback(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> dict[str, float] | None:
    if not value:
        return None
    try:
        return parse_weights(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


def _routing(alias: dict[str, Any]) -> str:
    weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    return ", ".join(f"{v}={w:g}" for v, w in sorted(weights.items())) or "-"


def _print_alias(alias: dict[str, Any]) -> None:
    print_fields(
        [
            ("Name", alias.get("Name")),
            ("ARN", alias.get("AliasArn")),
            ("Version", alias.get("FunctionVersion")),
            ("Weights", _routing(alias)),
            ("Description", alias.get("Description")),
        ]
    )


@click.command(short_help="Publish a version of a function; prints its number.")
@click.argument("name")
@click.option("--description", help="Description of the version.")
@connection_options
def publish(conn: Connection, name: str, description: str | None) -> None:
    """Publish the current code and configuration of NAME as a new version (PublishVersion)
    and print the version number alone on stdout."""
    params: dict[str, Any] = {"FunctionName": name}
    if description is not None:
        params["Description"] = description
    click.echo(conn.client("lambda").publish_version(**params)["Version"])


@click.command("versions", short_help="List the published versions of a function.")
@click.argument("name")
@json_option("Print the ListVersionsByFunction entries as a JSON array.")
@connection_options
def list_versions(conn: Connection, name: str, as_json: bool) -> None:
    """List the versions of function NAME ($LATEST first, then the published ones)."""
    found: list[dict[str, Any]] = []
    paginator = conn.client("lambda").get_paginator("list_versions_by_function")
    for page in paginator.paginate(FunctionName=name):
        found.extend(page.get("Versions", []))
    if as_json:
        print_json(found)
        return
    print_table(
        ["Version", "CodeSha256", "LastModified", "Description"],
        (
            (v.get("Version"), v.get("CodeSha256"), v.get("LastModified"), v.get("Description"))
            for v in found
        ),
    )


@click.group("alias")
def alias_group() -> None:
    """Aliases: named pointers to a version, optionally splitting traffic with a second."""


WEIGHT_OPTION = click.option(
    "--weight",
    "weights",
    multiple=True,
    metavar="VERSION=FRACTION",
    callback=_weights_callback,
    help="Also route FRACTION (0-1) of invocations to VERSION (weighted alias).",
)


@alias_group.command("create")
@click.argument("name")
@click.argument("alias")
@click.option("--version", "version", required=True, help="Version the alias points to.")
@WEIGHT_OPTION
@click.option("--description", help="Description of the alias.")
@connection_options
def create_alias(
    conn: Connection,
    name: str,
    alias: str,
    version: str,
    weights: dict[str, float] | None,
    description: str | None,
) -> None:
    """Create the alias ALIAS of function NAME pointing to --version."""
    params: dict[str, Any] = {"FunctionName": name, "Name": alias, "FunctionVersion": version}
    if weights:
        params["RoutingConfig"] = {"AdditionalVersionWeights": weights}
    if description is not None:
        params["Description"] = description
    _print_alias(conn.client("lambda").create_alias(**params))


@alias_group.command("update")
@click.argument("name")
@click.argument("alias")
@click.option("--version", "version", help="Version the alias points to (unchanged if not given).")
@WEIGHT_OPTION
@click.option("--no-weights", is_flag=True, help="Remove weighted routing.")
@click.option("--description", help="Description of the alias.")
@connection_options
def update_alias(
    conn: Connection,
    name: str,
    alias: str,
    version: str | None,
    weights: dict[str, float] | None,
    no_weights: bool,
    description: str | None,
) -> None:
    """Change the alias ALIAS of function NAME; only what is given changes."""
    if weights and no_weights:
        raise click.UsageError("give --weight or --no-weights, not both")
    params: dict[str, Any] = {"FunctionName": name, "Name": alias}
    if version is not None:
        params["FunctionVersion"] = version
    if weights or no_weights:
        params["RoutingConfig"] = {"AdditionalVersionWeights": weights or {}}
    if description is not None:
        params["Description"] = description
    _print_alias(conn.client("lambda").update_alias(**params))


@alias_group.command("delete")
@click.argument("name")
@click.argument("alias")
@connection_options
def delete_alias(conn: Connection, name: str, alias: str) -> None:
    """Delete the alias ALIAS of function NAME (its versions stay)."""
    conn.client("lambda").delete_alias(FunctionName=name, Name=alias)
    click.echo(f"Deleted alias {name}:{alias}")


@alias_group.command("list")
@click.argument("name")
@json_option("Print the ListAliases entries as a JSON array.")
@connection_options
def list_aliases(conn: Connection, name: str, as_json: bool) -> None:
    """List the aliases of function NAME."""
    aliases: list[dict[str, Any]] = []
    for page in conn.client("lambda").get_paginator("list_aliases").paginate(FunctionName=name):
        aliases.extend(page.get("Aliases", []))
    if as_json:
        print_json(aliases)
        return
    if not aliases:
        click.echo(f"{name} has no aliases.", err=True)
        return
    print_table(
        ["Alias", "Version", "Weights", "ARN", "Description"],
        (
            (
                a.get("Name"),
                a.get("FunctionVersion"),
                _routing(a),
                a.get("AliasArn"),
                a.get("Description"),
            )
            for a in aliases
        ),
    )


def register(cli: click.Group) -> None:
    """Add `publish`, `versions` and the `alias` group to `cli`."""
    cli.add_command(publish)
    cli.add_command(list_versions)
    cli.add_command(alias_group)
