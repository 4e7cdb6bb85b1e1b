"""`ovis async ...`: operator commands for asynchronous invocations.

AWS has no API for these, so they call Ovis's SigV4-signed operator endpoints
(/_ovis/admin/async/...): list where events ended, list the undeliverable ledger, redrive it.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import click
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from rich.console import Console
from rich.table import Table

from ovis.cli.commands import Connection, connection_options, fail


def admin_call(conn: Connection, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else b""
    req = AWSRequest(
        method=method, url=conn.endpoint_url.rstrip("/") + "/_ovis/admin" + path, data=data
    )
    SigV4Auth(Credentials(conn.access_key, conn.secret_key), "lambda", conn.region).add_auth(req)
    prepared = urllib.request.Request(
        req.url, data=data or None, method=method, headers=dict(req.headers.items())
    )
    try:
        with urllib.request.urlopen(prepared, timeout=60) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        detail = e.read().decode("utf-8", "replace")
        fail(f"Error ({e.headers.get('x-amzn-ErrorType', e.code)}): {detail}")
    except urllib.error.URLError as e:
        fail(
            f"Cannot reach the Ovis server at {conn.endpoint_url} ({e.reason}). "
            "Start it with `make run` or `ovis server`."
        )


@click.group("async")
def async_group() -> None:
    """Where asynchronous invocations ended, and the undeliverable ledger."""


@async_group.command("results")
@click.argument("function", required=False)
@connection_options
def results(conn: Connection, function: str | None) -> None:
    """List terminal records of async events (optionally of one FUNCTION)."""
    path = "/async/results" + (f"?function={function}" if function else "")
    rows = admin_call(conn, "GET", path)["Results"]
    table = Table("Request id", "Function", "Outcome", "Condition", "Delivered to")
    for r in rows:
        table.add_row(
            r["event_id"],
            r["function"],
            r["outcome"],
            r["condition"],
            r["destination"] or "(kept here)",
        )
    Console().print(table)


@async_group.command("ledger")
@connection_options
def ledger(conn: Connection) -> None:
    """List records and DLQ messages that could not be delivered yet."""
    rows = admin_call(conn, "GET", "/async/ledger")["Entries"]
    if not rows:
        click.echo("The ledger is empty.")
        return
    table = Table("Entry", "Request id", "Function", "Kind", "Destination", "Attempts", "Error")
    for e in rows:
        table.add_row(
            e["entry_id"],
            e["event_id"],
            e["function"],
            e["kind"],
            e["destination"],
            str(e["attempts"]),
            e["error"],
        )
    Console().print(table)


@async_group.command("redrive")
@click.argument("entry_ids", nargs=-1)
@connection_options
def redrive(conn: Connection, entry_ids: tuple[str, ...]) -> None:
    """Deliver ledger entries again now (all of them when no ENTRY_IDS are given)."""
    body = {"EntryIds": list(entry_ids)} if entry_ids else {}
    delivered = admin_call(conn, "POST", "/async/ledger/redrive", body)["Delivered"]
    click.echo(f"Delivered {delivered} entr{'y' if delivered == 1 else 'ies'}.")


def register(cli: click.Group) -> None:
    cli.add_command(async_group)
