"""The pure parts of the everyday CLI: the zip builder and argument parsing (no server)."""

from __future__ import annotations

import io
import json
import os
import socket
import stat
import time
import zipfile
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ovis.cli import commands
from ovis.cli.commands import build_zip, parse_duration_ms, parse_env_pairs


def write(root: Path, rel: str, content: str | bytes = "x", mode: int | None = None) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content)
    else:
        path.write_bytes(content)
    if mode is not None:
        path.chmod(mode)
    return path


def entries(data: bytes) -> dict[str, zipfile.ZipInfo]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {info.filename: info for info in zf.infolist()}


def read(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read(name)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    write(root, "app.py", "def handler(event, context):\n    return event\n")
    write(root, "lib/__init__.py", "")
    write(root, "lib/util.py", "X = 1\n")
    write(root, "lib/deep/__init__.py", "")
    write(root, "lib/deep/mod.py", "Y = 2\n")
    write(root, "data/config.json", '{"a": 1}')
    return root


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def cli_group() -> click.Group:
    group = click.Group("ovis")
    commands.register(group)
    return group


# --- build_zip ------------------------------------------------------------------------------


def test_same_tree_gives_same_bytes(project: Path) -> None:
    assert build_zip(project) == build_zip(project)


def test_bytes_do_not_depend_on_mtimes_or_creation_order(project: Path, tmp_path: Path) -> None:
    first = build_zip(project)
    old = time.time() - 86_400 * 400
    for path in project.rglob("*"):
        os.utime(path, (old, old))
    assert build_zip(project) == first

    # The same files created in the opposite order, elsewhere.
    other = tmp_path / "other"
    files = sorted(p for p in project.rglob("*") if p.is_file())
    for path in reversed(files):
        write(other, path.relative_to(project).as_posix(), path.read_bytes())
    assert build_zip(other) == first


def test_entries_are_sorted_with_fixed_timestamps(project: Path) -> None:
    infos = entries(build_zip(project))
    names = list(infos)
    assert names == sorted(names)
    assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in infos.values())
    assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in infos.values())


def test_exclusions(project: Path) -> None:
    write(project, "__pycache__/app.cpython-311.pyc", b"\0")
    write(project, "lib/__pycache__/util.cpython-311.pyc", b"\0")
    write(project, "lib/stale.pyc", b"\0")
    write(project, ".git/HEAD", "ref: refs/heads/main\n")
    write(project, ".git/objects/ab/cdef", b"\0")
    write(project, "lib/vendored/.git/config", "")
    write(project, ".env.example", "KEEP=1\n")  # dotfiles other than .git are kept
    names = set(entries(build_zip(project)))
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert not any(n.startswith(".git/") or "/.git/" in n for n in names)
    assert ".env.example" in names
    assert "lib/util.py" in names


def test_executable_bit_is_kept(project: Path) -> None:
    write(project, "bootstrap", "#!/bin/sh\necho hi\n", mode=0o755)
    write(project, "bin/tool", "#!/bin/sh\n", mode=0o700)
    (project / "app.py").chmod(0o600)
    infos = entries(build_zip(project))
    for name in ("bootstrap", "bin/tool"):
        info = infos[name]
        assert info.create_system == 3
        assert stat.S_ISREG(info.external_attr >> 16)
        assert (info.external_attr >> 16) & 0o777 == 0o755
    # Non-executable files get a normalised 0644, whatever their local mode.
    assert (infos["app.py"].external_attr >> 16) & 0o777 == 0o644
    assert (infos["lib/util.py"].external_attr >> 16) & 0o777 == 0o644


def test_nested_packages_are_stored_with_posix_paths(project: Path) -> None:
    data = build_zip(project)
    names = set(entries(data))
    assert names == {
        "app.py",
        "data/config.json",
        "lib/__init__.py",
        "lib/util.py",
        "lib/deep/__init__.py",
        "lib/deep/mod.py",
    }
    assert read(data, "lib/deep/mod.py") == b"Y = 2\n"
    assert json.loads(read(data, "data/config.json")) == {"a": 1}


def test_symlinked_file_is_stored_as_its_content(project: Path) -> None:
    (project / "alias.py").symlink_to(project / "lib" / "util.py")
    data = build_zip(project)
    assert read(data, "alias.py") == b"X = 1\n"


def test_symlink_loop_terminates(project: Path) -> None:
    (project / "lib" / "loop").symlink_to(project)
    names = set(entries(build_zip(project)))
    assert "app.py" in names


def test_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError):
        build_zip(tmp_path / "missing")


def test_empty_folder_gives_empty_zip(tmp_path: Path) -> None:
    assert entries(build_zip(tmp_path)) == {}


def test_handler_module_missing() -> None:
    names = ["app.py", "pkg/__init__.py", "pkg/mod.py"]
    assert commands.handler_module_missing(names, "app.handler") is None
    assert commands.handler_module_missing(names, "pkg.mod.fn") is None
    assert commands.handler_module_missing(names, "pkg.fn") is None
    assert commands.handler_module_missing(names, "main.handler") == "main.py"


def test_human_size() -> None:
    assert commands.human_size(0) == "0 B"
    assert commands.human_size(1023) == "1023 B"
    assert commands.human_size(1536) == "1.5 KB"
    assert commands.human_size(3 * 1024 * 1024) == "3.0 MB"


# --- argument parsing -----------------------------------------------------------------------


def test_parse_env_pairs() -> None:
    assert parse_env_pairs(["A=1", "B=x=y", "C="]) == {"A": "1", "B": "x=y", "C": ""}
    assert parse_env_pairs(["A=1", "A=2"]) == {"A": "2"}
    for bad in ("NOEQUALS", "=value"):
        with pytest.raises(ValueError):
            parse_env_pairs([bad])


@pytest.mark.parametrize(
    "text, ms",
    [("10m", 600_000), ("30s", 30_000), ("1h30m", 5_400_000), ("2d", 172_800_000), ("45", 45_000)],
)
def test_parse_duration(text: str, ms: int) -> None:
    assert parse_duration_ms(text) == ms


@pytest.mark.parametrize("text", ["", "m", "10x", "1h 30m", "-5m", "ten"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration_ms(text)


def test_deploy_rejects_bad_env_before_contacting_server(project: Path) -> None:
    result = CliRunner().invoke(
        cli_group(),
        [
            "deploy",
            str(project),
            "--name",
            "f",
            "--env",
            "NOEQUALS",
            "--endpoint-url",
            closed_port_url(),
        ],
    )
    assert result.exit_code == 2
    assert "K=V" in result.stderr


def test_deploy_with_valid_env_reaches_the_server(project: Path) -> None:
    url = closed_port_url()
    result = CliRunner().invoke(
        cli_group(),
        [
            "deploy",
            str(project),
            "--name",
            "f",
            "-e",
            "A=1",
            "--env",
            "B=x=y",
            "--endpoint-url",
            url,
        ],
    )
    assert result.exit_code == 1
    assert "ovis server" in result.stderr
    assert url in result.stderr


def test_deploy_settings_only_include_given_options() -> None:
    settings = commands._deploy_settings(
        runtime=None,
        handler="main.fn",
        memory=256,
        timeout=None,
        role=None,
        description=None,
        env={"A": "1"},
    )
    assert settings == {
        "Handler": "main.fn",
        "MemorySize": 256,
        "Environment": {"Variables": {"A": "1"}},
    }


def test_read_payload_sources(tmp_path: Path) -> None:
    empty = io.BytesIO(b"")
    assert commands.read_payload(None, None, empty) == b"{}"
    assert commands.read_payload('{"a": 1}', None, empty) == b'{"a": 1}'
    assert commands.read_payload("-", None, io.BytesIO(b"[1, 2]")) == b"[1, 2]"
    assert commands.read_payload(None, io.BytesIO(b'"s"'), empty) == b'"s"'
    with pytest.raises(click.UsageError, match="not valid JSON"):
        commands.read_payload("{nope", None, empty)
    with pytest.raises(click.UsageError, match="not both"):
        commands.read_payload("{}", io.BytesIO(b"{}"), empty)


def test_invoke_against_closed_port_prints_hint() -> None:
    url = closed_port_url()
    result = CliRunner().invoke(cli_group(), ["invoke", "f", '{"a": 1}', "--endpoint-url", url])
    assert result.exit_code == 1
    assert "not" in result.stderr and "running" in result.stderr
    assert "make run" in result.stderr and "ovis server" in result.stderr


def test_invoke_endpoint_from_environment() -> None:
    url = closed_port_url()
    result = CliRunner().invoke(cli_group(), ["invoke", "f"], env={"OVIS_ENDPOINT_URL": url})
    assert result.exit_code == 1
    assert url in result.stderr


@pytest.mark.parametrize(
    "args, stdin",
    [
        (["{not json"], None),
        (["-"], "{not json"),
        (["--file", "-"], "{not json"),
    ],
)
def test_invoke_rejects_invalid_json_before_contacting_server(
    args: list[str], stdin: str | None
) -> None:
    result = CliRunner().invoke(
        cli_group(), ["invoke", "f", *args, "--endpoint-url", closed_port_url()], input=stdin
    )
    assert result.exit_code == 2
    assert "not valid JSON" in result.stderr


@pytest.mark.parametrize("source", ["stdin-dash", "stdin-file", "file"])
def test_invoke_reads_payload_from_stdin_and_files(tmp_path: Path, source: str) -> None:
    payload_file = tmp_path / "event.json"
    payload_file.write_text('{"from": "file"}')
    args = {
        "stdin-dash": ["-"],
        "stdin-file": ["--file", "-"],
        "file": ["--file", str(payload_file)],
    }[source]
    result = CliRunner().invoke(
        cli_group(),
        ["invoke", "f", *args, "--endpoint-url", closed_port_url()],
        input='{"from": "stdin"}',
    )
    # Valid JSON was read, so the command got as far as the (closed) server.
    assert result.exit_code == 1, result.output
    assert "ovis server" in result.stderr


def test_invoke_payload_argument_and_file_conflict(tmp_path: Path) -> None:
    payload_file = tmp_path / "event.json"
    payload_file.write_text("{}")
    result = CliRunner().invoke(
        cli_group(),
        ["invoke", "f", "{}", "--file", str(payload_file), "--endpoint-url", closed_port_url()],
    )
    assert result.exit_code == 2
    assert "not both" in result.stderr


def test_invoke_async_and_logs_conflict() -> None:
    result = CliRunner().invoke(
        cli_group(), ["invoke", "f", "--async", "--logs", "--endpoint-url", closed_port_url()]
    )
    assert result.exit_code == 2


def test_logs_rejects_bad_since() -> None:
    result = CliRunner().invoke(cli_group(), ["logs", "f", "--since", "forever"])
    assert result.exit_code == 2
    assert "invalid duration" in result.stderr


def test_delete_asks_first() -> None:
    result = CliRunner().invoke(
        cli_group(), ["delete", "f", "--endpoint-url", closed_port_url()], input="n\n"
    )
    assert result.exit_code == 1
    assert "Aborted" in result.output


def test_commands_registered() -> None:
    group = cli_group()
    assert {"deploy", "invoke", "list", "ls", "logs", "delete"} <= set(group.commands)
    result = CliRunner().invoke(group, ["--help"])
    assert result.exit_code == 0
    assert "Alias for `list`" in result.output


# --- logs following (fake client, no server) ------------------------------------------------


class FakeLogs:
    """filter_log_events over a growing list of events, two per page."""

    def __init__(self) -> None:
        self.events: list[dict[str, object]] = []
        self.calls = 0

    def filter_log_events(self, **kw: object) -> dict[str, object]:
        self.calls += 1
        start = int(kw["startTime"])  # type: ignore[call-overload]
        matching = [e for e in self.events if int(e["timestamp"]) >= start]  # type: ignore[call-overload]
        offset = int(kw.get("nextToken") or 0)  # type: ignore[call-overload]
        page: dict[str, object] = {"events": matching[offset : offset + 2]}
        if offset + 2 < len(matching):
            page["nextToken"] = str(offset + 2)
        return page


def test_fetch_log_events_follows_next_token() -> None:
    fake = FakeLogs()
    fake.events = [
        {"eventId": str(i), "timestamp": 1000 + i, "message": f"m{i}\n"} for i in range(5)
    ]
    got = list(commands.fetch_log_events(fake, "/aws/lambda/f", 1001))
    assert [e["message"] for e in got] == ["m1\n", "m2\n", "m3\n", "m4\n"]
    assert fake.calls == 2


def test_follow_deduplicates_by_event_id() -> None:
    fake = FakeLogs()
    fake.events = [{"eventId": "a", "timestamp": 1000, "message": "START\n"}]
    polls = 0

    def sleep(_: float) -> None:
        nonlocal polls
        polls += 1
        if polls == 1:
            fake.events.append({"eventId": "b", "timestamp": 1000, "message": "same ms\n"})
            fake.events.append({"eventId": "c", "timestamp": 1005, "message": "END\n"})
        if polls == 3:
            raise KeyboardInterrupt

    seen: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        for event in commands.follow_log_events(fake, "/aws/lambda/f", 0, sleep=sleep):
            seen.append(str(event["eventId"]))
    assert seen == ["a", "b", "c"]
