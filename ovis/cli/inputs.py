"""Parsing what users type: K=V pairs and invoke payloads (pure, no server needed)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO, Any

import click


def parse_env_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """['A=1', 'B=x=y'] -> {'A': '1', 'B': 'x=y'}; raises ValueError on a pair without '='."""
    env: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"expected K=V, got {pair!r}")
        env[key] = value
    return env


def env_callback(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> Any:
    if not value:
        return None
    try:
        return parse_env_pairs(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


#####
def read_payload(payload: str | None, file: IO[bytes] | None, stdin: IO[bytes]) -> bytes:
    """The invoke payload: the PAYLOAD argument ('-' = stdin), else --file, else '{}'.

    The result must be JSON, as Lambda requires; raises click.UsageError otherwise.
    """
    if payload is not None and file is not None:
        raise click.UsageError("give the payload either as an argument or with --file, not both")
    if payload == "-":
        data, source = stdin.read(), "stdin"
    elif payload is not None:
        data, source = payload.encode(), "PAYLOAD"
    elif file is not None:
        data, source = file.read(), getattr(file, "name", "--file")
    else:
        return b"{}"
    try:
        json.loads(data)
    except ValueError as exc:
        raise click.UsageError(f"the payload from {source} is not valid JSON: {exc}") from None
    return data
