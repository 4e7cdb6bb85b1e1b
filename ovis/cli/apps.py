"""`ovis app ...`: applications (a template's code in a git repository hosted by the server,
and the pipeline that deploys every push to its branch).

These call the server's SigV4-signed applications API (/_ovis/apps/...); `app logs` reads the
run's CloudWatch Logs stream (/ovis/pipelines/NAME, run-SEQ) with the ordinary logs API.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import click
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from ovis.cli.connection import Connection, connection_options, fail
from ovis.cli.tables import json_option, print_json, print_table

TERMINAL = ("Succeeded", "Failed", "Superseded")


def apps_call(conn: Connection, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """Call the applications API at `path` (under /_ovis/apps), signed like the Lambda API;
    the decoded JSON answer, or exit 1 with the server's error."""
    data = json.dumps(body).encode() if body is not None else b""
    url = conn.endpoint_url.rstrip("/") + "/_ovis/apps" + path
    req = AWSRequest(method=method, url=url, data=data)
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
        try:
            message = json.loads(e.read()).get("message", "")
        except ValueError:
            message = ""
        fail(f"Error ({e.headers.get('x-amzn-ErrorType', e.code)}): {message}")
    except urllib.error.URLError as e:
        fail(
            f"Cannot reach the Ovis server at {conn.endpoint_url} ({e.reason}). "
            "Start it with `make run` or `ovis server`."
        )


def _stages(run: dict[str, Any]) -> str:
    parts = []
    for s in run["Stages"]:
        took = f" {s['DurationSeconds']:.2f}s" if s["DurationSeconds"] is not None else ""
        parts.append(f"{s['Name']} {s['State']}{took}")
    return ", ".join(parts) or "-"


def _wait(conn: Connection, name: str, seq: int, timeout: float) -> dict[str, Any]:
    end = time.monotonic() + timeout
    delay = 0.1
    while True:
        run: dict[str, Any] = apps_call(conn, "GET", f"/{name}/runs/{seq}")
        if run["State"] in TERMINAL or time.monotonic() > end:
            return run
        time.sleep(delay)
        delay = min(1.0, delay * 1.5)


@click.group("app")
def app_group() -> None:
    """Applications: a git repository on the server and a pipeline deploying its pushes."""


@app_group.command("templates")
@json_option("Print the templates as a JSON array.")
@connection_options
def templates(conn: Connection, as_json: bool) -> None:
    """List the application templates."""
    rows = apps_call(conn, "GET", "/templates")["Templates"]
    if as_json:
        print_json(rows)
        return
    print_table(
        ["Name", "Title", "Description"], ((t["Name"], t["Title"], t["Description"]) for t in rows)
    )


@app_group.command("create")
@click.argument("name")
@click.option("--template", "-t", "template", required=True, help="The application template.")
@click.option("--branch", default="main", show_default=True, help="The pipeline's branch.")
@click.option("--build-timeout", type=int, default=300, show_default=True, help="Seconds.")
@click.option(
    "--wait", is_flag=True, help="Wait for the first run to end; exit 1 unless it succeeded."
)
@connection_options
def create(
    conn: Connection, name: str, template: str, branch: str, build_timeout: int, wait: bool
) -> None:
    """Create application NAME from a template: its repository (with the template as the
    initial commit), its pipeline, and the first run. Prints the clone URL."""
    out = apps_call(
        conn,
        "POST",
        "",
        {
            "Name": name,
            "Template": template,
            "Branch": branch,
            "BuildTimeoutSeconds": build_timeout,
        },
    )
    click.echo(out["CloneUrl"])
    click.echo(
        f"Created {name} from {template}: pushes to {branch} run its pipeline "
        f"(git user = your access key id, password = its secret).",
        err=True,
    )
    run = out.get("Run")
    if wait and run:
        done = _wait(conn, name, run["RunId"], build_timeout + 300)
        click.echo(f"Run {done['RunId']}: {done['State']} ({_stages(done)})", err=True)
        if done["State"] != "Succeeded":
            fail(f"Run {done['RunId']} {done['State']}: {done['Reason']}")


@app_group.command("list")
@json_option("Print the applications as a JSON array.")
@connection_options
def list_apps(conn: Connection, as_json: bool) -> None:
    """List the applications."""
    rows = apps_call(conn, "GET", "")["Apps"]
    if as_json:
        print_json(rows)
        return
    print_table(
        ["Name", "Template", "Branch", "Clone URL"],
        ((a["Name"], a["Template"], a["Branch"], a["CloneUrl"]) for a in rows),
    )


@app_group.command("runs")
@click.argument("name")
@json_option("Print the runs as a JSON array.")
@connection_options
def runs(conn: Connection, name: str, as_json: bool) -> None:
    """The pipeline runs of NAME: run id, commit, state and stages with their durations."""
    rows = apps_call(conn, "GET", f"/{name}/runs")["Runs"]
    if as_json:
        print_json(rows)
        return
    if not rows:
        click.echo(f"{name} has no runs yet.", err=True)
        return
    print_table(
        [("Run", True), "Commit", "Branch", "State", "Stages"],
        ((r["RunId"], r["Commit"][:12], r["Branch"], r["State"], _stages(r)) for r in rows),
    )


@app_group.command("logs")
@click.argument("name")
@click.argument("run", type=int)
@connection_options
def logs(conn: Connection, name: str, run: int) -> None:
    """Print the log of run RUN of NAME (its CloudWatch Logs stream)."""
    found = apps_call(conn, "GET", f"/{name}/runs/{run}")
    client = conn.client("logs")
    kwargs: dict[str, Any] = {
        "logGroupName": found["LogGroup"],
        "logStreamName": found["LogStream"],
        "startFromHead": True,
    }
    while True:
        page = client.get_log_events(**kwargs)
        for event in page["events"]:
            click.echo(event["message"])
        token = page.get("nextForwardToken")
        if not page["events"] or token == kwargs.get("nextToken"):
            break
        kwargs["nextToken"] = token
    if found["State"] not in TERMINAL:
        click.echo(f"(run {run} is {found['State']})", err=True)


def register(cli: click.Group) -> None:
    """Add the `app` group to `cli`."""
    cli.add_command(app_group)
