"""`ovis async ...`: operator commands for asynchronous invocations.

AWS has no API for these, so they call Ovis's SigV4-signed operator endpoints
(/_ovis/admin/async/...): list where events ended, list the undeliverable ledger, redrive it.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import click
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from ovis.cli.connection import Connection, connection_options, fail
from ovis.cli.tables import json_option, print_json, print_table


def admin_call(conn: Connection, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """Call the operator endpoint `path` (under /_ovis/admin), signed like the Lambda API;
    the decoded JSON answer, or exit 1 with the server's error."""
    data = json.dumps(body).encode() if body is not None else b""
    req = AWSRequest(
        method=method, url=conn.endpoint_url.rstrip("/") + "/_ovis/admin" + path, data=data
    )
    SigV4Auth(
        Credentials(conn.access_key, conn.secret_key, conn.session_token), "lambda", conn.region
    ).add_auth(req)
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
@json_option("Print the records as a JSON array.")
@connection_options
def results(conn: Connection, function: str | None, as_json: bool) -> None:
    """List terminal records of async events (optionally of one FUNCTION)."""
    query = "?" + urllib.parse.urlencode({"function": function}) if function else ""
    rows = admin_call(conn, "GET", "/async/results" + query)["Results"]
    if as_json:
        print_json(rows)
        return
    if not rows:
        click.echo("No async results yet.", err=True)
        return
    print_table(
        ["Request id", "Function", "Outcome", "Condition", "Delivered to"],
        (
            (
                r["event_id"],
                r["function"],
                r["outcome"],
                r["condition"],
                r["destination"] or "(kept here)",
            )
            for r in rows
        ),
    )


@async_group.command("ledger")
@json_option("Print the entries as a JSON array.")
@connection_options
def ledger(conn: Connection, as_json: bool) -> None:
    """List records and DLQ messages that could not be delivered yet."""
    rows = admin_call(conn, "GET", "/async/ledger")["Entries"]
    if as_json:
        print_json(rows)
        return
    if not rows:
        click.echo("The ledger is empty.", err=True)
        return
    print_table(
        ["Entry", "Request id", "Function", "Kind", "Destination", ("Attempts", True), "Error"],
        (
            (
                e["entry_id"],
                e["event_id"],
                e["function"],
                e["kind"],
                e["destination"],
                e["attempts"],
                e["error"],
            )
            for e in rows
        ),
    )


@async_group.command("redrive")
@click.argument("entry_ids", nargs=-1)
@connection_options
def redrive(conn: Connection, entry_ids: tuple[str, ...]) -> None:
    """Deliver ledger entries again now (all of them when no ENTRY_IDS are given)."""
    body = {"EntryIds": list(entry_ids)} if entry_ids else {}
    delivered = admin_call(conn, "POST", "/async/ledger/redrive", body)["Delivered"]
    click.echo(f"Delivered {delivered} entr{'y' if delivered == 1 else 'ies'}.")


def register(cli: click.Group) -> None:
    """Add the `async` group to `cli`."""
    cli.add_command(async_group)
