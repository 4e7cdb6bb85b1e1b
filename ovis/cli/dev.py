"""`ovis dev DIR --name F` (hot reload) and the debugger session behind `ovis invoke --debug`.

Both go through the server's signed operator endpoints (/_ovis/admin/dev/..., see
frontdoor/admin.py), which only a local server offers: the server reads DIR itself, in place.
The server watches DIR (inotify) and retires instances on every save; this command only holds
the mount while it runs and gives the function back its deployed code when it ends (Ctrl-C).
"""

from __future__ import annotations

import ipaddress
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

import click

from ovis.cli.async_ops import admin_call
from ovis.cli.connection import Connection, connection_options, fail

# The server ends a mount whose `ovis dev` stopped renewing (SIGKILL): after LEASE_S at most.
LEASE_S = 20
RENEW_S = 5


def require_local(conn: Connection, what: str) -> None:
    """Exit 1 unless the endpoint is on this machine (the server must read our paths/ports)."""
    host = urlsplit(conn.endpoint_url).hostname or ""
    try:
        local = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    if not local:
        fail(f"Error: {what} needs a server on this machine; {conn.endpoint_url} is not local")


@contextmanager
def debug_session(conn: Connection, name: str, port: int | None) -> Iterator[int]:
    """While open, `name`'s next $LATEST instance waits for a debugger on the port yielded."""
    require_local(conn, "--debug")
    body = {} if port is None else {"Port": port}
    answer = admin_call(conn, "PUT", f"/dev/debug/{name}", body)
    try:
        yield int(answer["Port"])
    finally:
        admin_call(conn, "DELETE", f"/dev/debug/{name}")


def _renew(conn: Connection, name: str, stop: threading.Event) -> None:
    """Keep the mount's lease while this command runs (a killed CLI's mount then ends)."""
    while not stop.wait(RENEW_S):
        try:
            admin_call(conn, "POST", f"/dev/mounts/{name}/renew")
        except SystemExit:  # admin_call printed why; the server may be restarting
            continue


@click.command(short_help="Serve a function's code from a folder, live on every save.")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--name", "-n", required=True, help="The function (it must exist: ovis deploy).")
@connection_options
def dev(conn: Connection, path: Path, name: str) -> None:
    """Run the function NAME's $LATEST from the folder PATH in place, until Ctrl-C.

    No zip, no upload: the server mounts PATH as the function's code and watches it; a saved
    file is live for the next invoke (the instances of the old code retire). Ctrl-C gives the
    function back its deployed code. Dependencies are not resolved here: run `ovis build`
    and deploy for those, or keep them in PATH.
    """
    require_local(conn, "ovis dev")
    body = {"Path": str(path.resolve()), "LeaseSeconds": LEASE_S}
    answer = admin_call(conn, "PUT", f"/dev/mounts/{name}", body)
    stop = threading.Event()
    threading.Thread(target=_renew, args=(conn, name, stop), daemon=True).start()

    def on_signal(_sig: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        click.echo(
            f"Serving {name} from {answer['Path']} (watching with {answer['Watch']}); "
            "saved files are live on the next invoke. Ctrl-C to stop."
        )
        while not stop.wait(1.0):  # woken by the signal handler; the timeout is a safety net
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        admin_call(conn, "DELETE", f"/dev/mounts/{name}")
        click.echo(f"{name} is back to its deployed code")
