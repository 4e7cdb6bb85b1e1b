"""The `ovis` CLI end to end against a live server, run as a user runs it.

Every test runs the real command in a subprocess with stdout piped (so it also checks what
scripts see: tab-separated tables, nothing cut short, no progress bars).
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

from tests.conftest import ServerProcess, zip_bytes

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def cli_env(
    server: ServerProcess | None, env: dict[str, str] | None = None, keys: bool = True
) -> dict[str, str]:
    """The environment for a CLI run: the caller's AWS and Ovis settings removed, no shared
    files of this machine's user; `keys` puts test/test in it, `env` adds or overrides."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "OVIS_"))}
    if server is not None:
        base["OVIS_ENDPOINT_URL"] = server.url
    if keys:
        base.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test")
    base.update(AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_CONFIG_FILE=os.devnull)
    base.update(env or {})
    return base


def ovis(
    server: ServerProcess | None,
    *args: str,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    keys: bool = True,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `python -m ovis ARGS` against `server` (see `cli_env`), stdout piped."""
    return subprocess.run(
        [sys.executable, "-m", "ovis", *args],
        input=stdin,
        text=True,
        capture_output=True,
        env=cli_env(server, env, keys),
        timeout=90,
        cwd=cwd,
    )


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def write_function(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.py").write_text(body)
    return folder


def deploy(server: ServerProcess, folder: Path, name: str, *extra: str) -> str:
    r = ovis(server, "deploy", str(folder), "--name", name, *extra)
    assert r.returncode == 0, r.stderr
    return r.stdout


def fields(stdout: str) -> dict[str, str]:
    """A piped key/value display (`get`, `url get`, ...) as a dict."""
    return dict(line.split("\t", 1) for line in stdout.splitlines() if "\t" in line)


def tsv(stdout: str) -> list[dict[str, str]]:
    """A piped table as rows keyed by its header."""
    header, *rows = stdout.splitlines()
    cols = header.split("\t")
    return [dict(zip(cols, row.split("\t"), strict=True)) for row in rows]


ECHO = "def handler(event, context):\n    print('cli-log-line')\n    return {'got': event}\n"


# --------------------------------------------------------------------------------------------
# The everyday commands
# --------------------------------------------------------------------------------------------


def test_deploy_invoke_list_logs_delete(server: ServerProcess, tmp_path: Path) -> None:
    name = uniq("cli")
    src = write_function(tmp_path / "fn", ECHO)
    assert name in deploy(server, src, name, "--env", "STAGE=test")

    r = ovis(server, "invoke", name, '{"a": 1}', "--raw")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"got": {"a": 1}}

    r = ovis(server, "invoke", name, "-", "--raw", "--logs", stdin='{"b": 2}')
    assert r.returncode == 0 and json.loads(r.stdout) == {"got": {"b": 2}}
    assert "cli-log-line" in r.stderr and "REPORT RequestId" in r.stderr

    r = ovis(server, "list")
    assert r.returncode == 0 and name in r.stdout and "python3.11" in r.stdout

    # Redeploy with new code: an update, not a conflict.
    (src / "app.py").write_text("def handler(event, context):\n    return 'v2'\n")
    assert "Updated" in deploy(server, src, name)
    assert json.loads(ovis(server, "invoke", name, "--raw").stdout) == "v2"

    r = ovis(server, "logs", name)
    assert r.returncode == 0, r.stderr
    assert "cli-log-line" in r.stdout and "START RequestId" in r.stdout

    r = ovis(server, "delete", name, "--yes")
    assert r.returncode == 0
    r = ovis(server, "invoke", name)
    assert r.returncode == 1 and "ResourceNotFoundException" in r.stderr


def test_function_error_exit_code(server: ServerProcess, tmp_path: Path) -> None:
    name = uniq("cli-err")
    write_function(tmp_path, "def handler(e, c):\n    raise ValueError('nope')\n")
    deploy(server, tmp_path, name)
    r = ovis(server, "invoke", name)
    assert r.returncode == 1
    assert "ValueError" in r.stdout + r.stderr


def test_server_not_running_hint() -> None:
    r = ovis(None, "list", env={"OVIS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert r.returncode == 1
    assert "ovis server" in r.stderr or "make run" in r.stderr


# --------------------------------------------------------------------------------------------
# Credentials
# --------------------------------------------------------------------------------------------


def shared_files(tmp_path: Path) -> dict[str, str]:
    creds = tmp_path / "credentials"
    creds.write_text(
        "[dev]\naws_access_key_id = test\naws_secret_access_key = test\n"
        "[wrong]\naws_access_key_id = nobody\naws_secret_access_key = nothing\n"
        "[badsecret]\naws_access_key_id = test\naws_secret_access_key = not-the-secret\n"
    )
    config = tmp_path / "config"
    config.write_text("[profile dev]\nregion = eu-west-1\n")
    return {"AWS_SHARED_CREDENTIALS_FILE": str(creds), "AWS_CONFIG_FILE": str(config)}


def test_profile_credentials(server: ServerProcess, tmp_path: Path) -> None:
    files = shared_files(tmp_path)
    # The profile's region (eu-west-1) is not the server's, which refuses it (#19): override it.
    r = ovis(server, "list", "--profile", "dev", "--region", "us-east-1", env=files, keys=False)
    assert r.returncode == 0, r.stderr
    r = ovis(
        server, "list", env={**files, "AWS_PROFILE": "dev", "AWS_REGION": "us-east-1"}, keys=False
    )
    assert r.returncode == 0, r.stderr

    for profile in ("wrong", "badsecret"):
        r = ovis(server, "list", "--profile", profile, env=files, keys=False)
        assert r.returncode == 1
        assert "Traceback" not in r.stderr
        assert f"profile '{profile}'" in r.stderr and "rejected the credentials" in r.stderr

    r = ovis(server, "list", "--profile", "nosuch", env=files, keys=False)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "'nosuch' is not in the shared credentials or config file" in r.stderr


def test_environment_keys_and_defaults(server: ServerProcess) -> None:
    # Nothing configured at all: the server's default test/test.
    assert ovis(server, "list", keys=False).returncode == 0
    # Keys in the environment are used (and these are wrong).
    r = ovis(
        server,
        "list",
        keys=False,
        env={"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "wrong"},
    )
    assert r.returncode == 1 and "environment variables" in r.stderr


def resolved(env: dict[str, str], *args: str) -> dict[str, str]:
    """What `resolve_connection` picks under `env` (in a clean subprocess)."""
    code = (
        "import json, sys; from ovis.cli.connection import resolve_connection as r; "
        "a = sys.argv[1:] + [None] * 2; c = r('http://x', a[0], a[1]); "
        "print(json.dumps({'region': c.region, 'key': c.access_key}))"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    base.update(AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_CONFIG_FILE=os.devnull)
    base.update(env)
    out = subprocess.run(
        [sys.executable, "-c", code, *args], env=base, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_region_and_key_resolution_order(tmp_path: Path) -> None:
    files = shared_files(tmp_path)
    assert resolved({}) == {"region": "us-east-1", "key": "test"}
    assert resolved(files, "", "dev") == {"region": "eu-west-1", "key": "test"}
    assert resolved(files, "ap-south-1", "dev")["region"] == "ap-south-1"
    assert resolved({**files, "AWS_PROFILE": "wrong"})["key"] == "nobody"
    keys = {"AWS_ACCESS_KEY_ID": "envkey", "AWS_SECRET_ACCESS_KEY": "s"}
    assert resolved(keys)["key"] == "envkey"
    # As the AWS CLI: environment keys beat AWS_PROFILE, an explicit --profile beats both.
    assert resolved({**files, **keys, "AWS_PROFILE": "wrong"})["key"] == "envkey"
    assert resolved({**files, **keys}, "", "wrong")["key"] == "nobody"
    assert resolved({"AWS_DEFAULT_REGION": "eu-north-1"})["region"] == "eu-north-1"


def test_help_says_where_credentials_come_from() -> None:
    r = ovis(None, "--help")
    assert r.returncode == 0
    text = " ".join(r.stdout.split())
    assert "--profile / AWS_PROFILE" in text and "AWS_SHARED_CREDENTIALS_FILE" in text
    assert "test/test only when none is configured" in text
    r = ovis(None, "list", "--help")
    assert "--profile" in r.stdout and "AWS_PROFILE" in r.stdout and "--endpoint-url" in r.stdout


# --------------------------------------------------------------------------------------------
# get, publish, alias, url, async-config
# --------------------------------------------------------------------------------------------


def test_get_table_and_json(server: ServerProcess, tmp_path: Path) -> None:
    name = uniq("cli-get")
    deploy(server, write_function(tmp_path, ECHO), name, "--memory", "256", "-e", "AB=1")
    r = ovis(server, "get", name)
    assert r.returncode == 0, r.stderr
    shown = fields(r.stdout)
    assert shown["Name"] == name and shown["Handler"] == "app.handler"
    assert shown["Memory"] == "256 MB" and shown["Environment"] == "AB=1"
    assert shown["ARN"].endswith(f":function:{name}")

    raw = json.loads(ovis(server, "get", name, "--json").stdout)
    assert raw["FunctionName"] == name and raw["MemorySize"] == 256
    assert "ResponseMetadata" not in raw

    r = ovis(server, "publish", name, "--description", "first")
    assert r.returncode == 0 and r.stdout.strip() == "1"
    raw = json.loads(ovis(server, "get", f"{name}:1", "--json").stdout)
    assert raw["Version"] == "1" and raw["Description"] == "first"
    r = ovis(server, "get", f"{name}:7")
    assert r.returncode == 1 and "ResourceNotFoundException" in r.stderr


def test_publish_and_aliases(server: ServerProcess, tmp_path: Path) -> None:
    name = uniq("cli-alias")
    src = write_function(tmp_path, "def handler(e, c):\n    return 'one'\n")
    deploy(server, src, name)
    assert ovis(server, "publish", name).stdout.strip() == "1"
    (src / "app.py").write_text("def handler(e, c):\n    return 'two'\n")
    deploy(server, src, name)
    assert ovis(server, "publish", name).stdout.strip() == "2"
    listed = json.loads(ovis(server, "versions", name, "--json").stdout)
    assert [v["Version"] for v in listed] == ["$LATEST", "1", "2"]
    assert [row["Version"] for row in tsv(ovis(server, "versions", name).stdout)] == [
        "$LATEST",
        "1",
        "2",
    ]

    r = ovis(server, "alias", "create", name, "live", "--version", "1", "--weight", "2=0.25")
    assert r.returncode == 0, r.stderr
    assert fields(r.stdout)["Weights"] == "2=0.25"
    listed = json.loads(ovis(server, "alias", "list", name, "--json").stdout)
    assert [(a["Name"], a["FunctionVersion"]) for a in listed] == [("live", "1")]
    assert listed[0]["RoutingConfig"]["AdditionalVersionWeights"] == {"2": 0.25}

    r = ovis(server, "alias", "update", name, "live", "--version", "2", "--no-weights")
    assert r.returncode == 0, r.stderr
    assert json.loads(ovis(server, "invoke", f"{name}:live", "--raw").stdout) == "two"
    rows = tsv(ovis(server, "alias", "list", name).stdout)
    assert rows[0]["Alias"] == "live" and rows[0]["Version"] == "2"

    r = ovis(server, "alias", "create", name, "bad", "--version", "1", "--weight", "2")
    assert r.returncode == 2 and "VERSION=FRACTION" in r.stderr
    assert ovis(server, "alias", "delete", name, "live").returncode == 0
    assert json.loads(ovis(server, "alias", "list", name, "--json").stdout) == []


def fetch_url(server: ServerProcess, url: str) -> tuple[int, bytes]:
    """GET a function URL through the server's address with the URL's host name."""
    host = url.split("//", 1)[1].split("/", 1)[0].split(":")[0]
    req = urllib.request.Request(server.url + "/", headers={"Host": host})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_function_url_commands(server: ServerProcess, tmp_path: Path) -> None:
    name = uniq("cli-url")
    body = "def handler(e, c):\n    return {'statusCode': 200, 'body': 'via url'}\n"
    deploy(server, write_function(tmp_path, body), name)
    r = ovis(server, "url", "create", name, "--cors-origin", "http://localhost:3000")
    assert r.returncode == 0, r.stderr
    url = r.stdout.strip()
    assert re.match(r"^http://[a-z0-9]{32}\.lambda-url\.us-east-1\.localhost:\d+/$", url), url
    # AuthType NONE: the public-access statement was added, so anyone may call it.
    assert fetch_url(server, url) == (200, b"via url")

    cfg = json.loads(ovis(server, "url", "get", name, "--json").stdout)
    assert cfg["FunctionUrl"] == url and cfg["AuthType"] == "NONE"
    assert cfg["Cors"]["AllowOrigins"] == ["http://localhost:3000"]
    assert fields(ovis(server, "url", "get", name).stdout)["URL"] == url

    assert ovis(server, "url", "delete", name).returncode == 0
    r = ovis(server, "url", "get", name)
    assert r.returncode == 1 and "ResourceNotFoundException" in r.stderr

    # AWS_IAM: no public statement, so an unsigned request is refused.
    url = ovis(server, "url", "create", name, "--auth-type", "AWS_IAM").stdout.strip()
    assert fetch_url(server, url)[0] == 403


def test_async_config_commands(server: ServerProcess, tmp_path: Path) -> None:
    name = uniq("cli-acfg")
    deploy(server, write_function(tmp_path, ECHO), name)
    target = f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    r = ovis(
        server,
        "async-config",
        "put",
        name,
        "--max-retries",
        "0",
        "--max-age",
        "120",
        "--on-failure",
        target,
    )
    assert r.returncode == 0, r.stderr
    assert fields(r.stdout)["MaxRetries"] == "0"
    cfg = json.loads(ovis(server, "async-config", "get", name, "--json").stdout)
    assert cfg["MaximumRetryAttempts"] == 0 and cfg["MaximumEventAgeInSeconds"] == 120
    assert cfg["DestinationConfig"]["OnFailure"]["Destination"] == target
    assert ovis(server, "async-config", "delete", name).returncode == 0
    r = ovis(server, "async-config", "get", name)
    assert r.returncode == 1 and "ResourceNotFoundException" in r.stderr
    assert ovis(server, "async-config", "put", name, "--max-retries", "3").returncode == 2


def test_invoke_async_prints_the_request_id(server: ServerProcess, tmp_path: Path) -> None:
    name = uniq("cli-async")
    deploy(server, write_function(tmp_path, ECHO), name)
    r = ovis(server, "invoke", name, '{"x": 1}', "--async")
    assert r.returncode == 0, r.stderr
    request_id = r.stdout.strip()
    assert UUID.match(request_id), r.stdout
    # It is the id the invocation runs under: its START line carries it.
    logs = server.client("logs")
    deadline = time.monotonic() + 30
    while True:
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        if any(f"START RequestId: {request_id}" in e["message"] for e in events):
            break
        assert time.monotonic() < deadline, events
        time.sleep(0.1)


# --------------------------------------------------------------------------------------------
# Output for scripts
# --------------------------------------------------------------------------------------------


def test_piped_tables_are_not_truncated_and_json_parses(
    server: ServerProcess, tmp_path: Path
) -> None:
    name = ("cli-long-" + uuid.uuid4().hex * 2)[:64]
    assert len(name) == 64
    deploy(server, write_function(tmp_path, ECHO), name)
    assert ovis(server, "alias", "create", name, "a" * 60, "--version", "$LATEST").returncode == 0

    r = ovis(server, "list")
    assert r.returncode == 0
    assert "…" not in r.stdout
    row = next(row for row in tsv(r.stdout) if row["Name"] == name)
    assert row["Runtime"] == "python3.11"
    row = tsv(ovis(server, "alias", "list", name).stdout)[0]
    assert row["Alias"] == "a" * 60 and row["ARN"].endswith(f"{name}:{'a' * 60}")

    assert name in [f["FunctionName"] for f in json.loads(ovis(server, "list", "--json").stdout)]
    assert len(json.loads(ovis(server, "alias", "list", name, "--json").stdout)) == 1
    assert isinstance(json.loads(ovis(server, "async", "results", "--json").stdout), list)
    assert isinstance(json.loads(ovis(server, "async", "ledger", "--json").stdout), list)
    images = ovis(None, "image", "list", "--json", "--data-dir", str(server.data_dir))
    assert json.loads(images.stdout) == []


def test_deploy_publish_with_layers(server: ServerProcess, tmp_path: Path) -> None:
    lam = server.client("lambda")
    arns = []
    for n in (1, 2):
        layer = lam.publish_layer_version(  # type: ignore[attr-defined]
            LayerName=uniq("cli-layer"),
            Content={"ZipFile": zip_bytes({f"python/cli_layer{n}.py": f"VALUE = {n}\n"})},
        )
        arns.append(layer["LayerVersionArn"])
    name = uniq("cli-layers")
    code = "import cli_layer1, cli_layer2\ndef handler(e, c):\n"
    code += "    return cli_layer1.VALUE + cli_layer2.VALUE\n"
    out = deploy(
        server,
        write_function(tmp_path, code),
        name,
        "--publish",
        "--layer",
        arns[0],
        "--layer",
        arns[1],
    )
    assert "Published version 1" in out
    assert fields(out)["Layers"] == f"{arns[0]}, {arns[1]}"
    cfg = json.loads(ovis(server, "get", f"{name}:1", "--json").stdout)
    assert [layer["Arn"] for layer in cfg["Layers"]] == arns
    assert json.loads(ovis(server, "invoke", f"{name}:1", "--raw").stdout) == 3


def test_deploy_progress_only_on_a_terminal(server: ServerProcess, tmp_path: Path) -> None:
    name = uniq("cli-progress")
    src = write_function(tmp_path, ECHO)
    piped = ovis(server, "deploy", str(src), "--name", name)
    assert piped.returncode == 0 and "━" not in piped.stderr + piped.stdout
    assert "Uploading" not in piped.stderr
    # Under a pseudo-terminal the bar is drawn on stderr.
    env = cli_env(server, {"COLUMNS": "120", "TERM": "xterm"})
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ovis", "deploy", str(src), "--name", name],
        stdin=child,
        stdout=child,
        stderr=child,
        env=env,
    )
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(main)
    text = b"".join(chunks).decode(errors="replace")
    assert proc.wait(timeout=60) == 0, text
    assert "Packaging" in text and "Uploading" in text and "━" in text
