"""How every API command reaches the server: endpoint, region and credentials, and errors.

Credentials and region are resolved by boto3 itself, the way the AWS CLI resolves them, so a
user's existing setup works unchanged:

1. ``--profile`` selects a profile of the shared files, and then only that profile is used
   (as the AWS CLI does: environment keys do not override an explicit profile);
2. otherwise ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` (and ``AWS_SESSION_TOKEN``),
   else the profile ``AWS_PROFILE`` names, or the default one, in the shared credentials file
   (``AWS_SHARED_CREDENTIALS_FILE``, ``~/.aws/credentials``) and config file
   (``AWS_CONFIG_FILE``, ``~/.aws/config``), else any other boto3 provider;
3. only when none of them yields credentials, the server's defaults ``test`` / ``test``.

The region is ``--region``, else ``AWS_REGION`` / ``AWS_DEFAULT_REGION``, else the profile's
``region``, else ``us-east-1``. The endpoint is ``--endpoint-url`` or ``OVIS_ENDPOINT_URL``.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

import boto3
import click
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    ProfileNotFound,
    ReadTimeoutError,
)

DEFAULT_ENDPOINT = "http://127.0.0.1:8910"
DEFAULT_REGION = "us-east-1"
DEFAULT_ACCESS_KEY = "test"
DEFAULT_SECRET_KEY = "test"

# Error codes the server answers when the signature's key or secret is wrong.
AUTH_ERROR_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "InvalidClientTokenId",
        "IncompleteSignature",
        "AccessDeniedException",
    }
)

# boto3's names for where credentials came from, as a user would say it.
_CREDENTIAL_SOURCES = {
    "env": "the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY environment variables",
    "shared-credentials-file": "the shared credentials file",
    "config-file": "the AWS config file",
    "assume-role": "an assumed role",
}

CREDENTIALS_HELP = (
    "Credentials come from the usual AWS places, as the AWS CLI finds them: --profile / "
    "AWS_PROFILE, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, the shared credentials and "
    "config files (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE); the server's default "
    "test/test only when none is configured. The region is --region, AWS_REGION, "
    "AWS_DEFAULT_REGION, the profile's region, else us-east-1."
)


def fail(message: str) -> NoReturn:
    """Print `message` in red to stderr and exit 1."""
    click.secho(message, fg="red", err=True)
    sys.exit(1)


@dataclass(frozen=True)
class Connection:
    """Where the server is and how requests to it are signed (already resolved)."""

    endpoint_url: str
    region: str
    access_key: str
    secret_key: str
    session_token: str | None = None
    source: str = "the server defaults (test/test)"

    def client(self, service: str, read_timeout: int = 60) -> Any:
        """A boto3 client for `service` ('lambda' or 'logs'); no retries, a local server."""
        config = Config(
            connect_timeout=5,
            read_timeout=read_timeout,
            retries={"total_max_attempts": 1, "mode": "standard"},
        )
        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            aws_session_token=self.session_token,
            config=config,
        )


def resolve_connection(endpoint_url: str, region: str | None, profile: str | None) -> Connection:
    """Resolve credentials and region as documented in this module; exit 1 with a clear
    message (never a traceback) when the named profile does not exist or cannot be read."""
    try:
        session = boto3.Session(profile_name=profile or None)
        credentials = session.get_credentials()
        frozen = credentials.get_frozen_credentials() if credentials is not None else None
    except ProfileNotFound:
        fail(
            f"Error: the AWS profile {profile or os.environ.get('AWS_PROFILE')!r} is not in "
            "the shared credentials or config file (check --profile / AWS_PROFILE, "
            "AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE)."
        )
    except (BotoCoreError, ValueError) as exc:
        fail(f"Error: cannot load AWS credentials: {exc}")
    region = region or session.region_name or DEFAULT_REGION
    if frozen is None or not frozen.access_key or not frozen.secret_key:
        return Connection(endpoint_url, region, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)
    method = getattr(credentials, "method", "")
    source = _CREDENTIAL_SOURCES.get(method, method or "boto3")
    if session.profile_name and session.profile_name != "default" and method != "env":
        source = f"profile {session.profile_name!r} ({source})"
    return Connection(
        endpoint_url, region, frozen.access_key, frozen.secret_key, frozen.token, source
    )


def report_errors(conn: Connection, body: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap `body` so that server and connection errors exit 1 with one line on stderr.

    ClientError prints ``Error (Code): message`` (with where the credentials came from when
    the server rejected them); a refused connection prints how to start the server.
    """

    @functools.wraps(body)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return body(*args, **kwargs)
        except ClientError as exc:
            err = exc.response.get("Error", {})
            code = err.get("Code", "Unknown")
            message = f"Error ({code}): {err.get('Message', exc)}"
            if code in AUTH_ERROR_CODES:
                message += (
                    f"\nThe server rejected the credentials from {conn.source} "
                    f"(access key {conn.access_key}); check --profile or your AWS settings."
                )
            fail(message)
        except EndpointConnectionError:
            fail(
                f"Could not connect to the Ovis server at {conn.endpoint_url}: is it "
                "running? Start it with `make run` or `ovis server` (or point "
                "--endpoint-url / OVIS_ENDPOINT_URL at it)."
            )
        except ParamValidationError as exc:
            fail(f"Error (ParamValidation): {exc}")
        except (ReadTimeoutError, ConnectionClosedError) as exc:
            fail(f"Error: the server at {conn.endpoint_url} did not answer: {exc}")
        except NoCredentialsError as exc:
            fail(f"Error: {exc}")

    return run


def connection_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add --endpoint-url, --region and --profile; pass a resolved `Connection` as the first
    argument and report server errors (see `report_errors`)."""

    @click.option(
        "--endpoint-url",
        envvar="OVIS_ENDPOINT_URL",
        default=DEFAULT_ENDPOINT,
        show_default=True,
        show_envvar=True,
        help="Ovis server URL.",
    )
    @click.option(
        "--region",
        envvar=["AWS_REGION", "AWS_DEFAULT_REGION"],
        show_envvar=True,
        help="Region to sign requests for (else the profile's, else us-east-1).",
    )
    @click.option(
        "--profile",
        help="AWS profile whose credentials and region to use (shared credentials/config "
        "files); default: AWS_PROFILE, else the default profile. Without any: "
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, else test/test.",
    )
    @functools.wraps(command)
    def wrapper(
        *args: Any, endpoint_url: str, region: str | None, profile: str | None, **kwargs: Any
    ) -> Any:
        conn = resolve_connection(endpoint_url, region, profile)
        return report_errors(conn, command)(conn, *args, **kwargs)

    return wrapper
