"""Function URL configurations: Create/Get/Update/Delete/ListFunctionUrlConfigs.

A function has at most one URL per qualifier: the unqualified function ($LATEST, qualifier "") or
one of its aliases (never a version: the API's pattern refuses digits). Each URL gets a random
url-id (32 lowercase alphanumerics) when created; it stays the same for the life of the
configuration (across updates and restarts) and names the URL:

    http://<url-id>.lambda-url.<region>.localhost:<port>/

Configurations live in memory (an index by url-id for the serving path) and are written through
to the store. Deleting a function or alias deletes its URL.
Contract: event-loop thread only; ``load()`` once at start.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from ovis.errors import (
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from ovis.invoke.qualifiers import is_alias
from ovis.models.function import LATEST
from ovis.services.lambda_.commands import CreateFunctionUrlConfig, UpdateFunctionUrlConfig
from ovis.services.lambda_.functions import FunctionService
from ovis.services.lambda_.paging import paginate
from ovis.services.lambda_.repositories import UrlRepository

URL_ID_ALPHABET = string.ascii_lowercase + string.digits
URL_ID_LENGTH = 32
HOST_SUFFIX = "localhost"  # AWS: <url-id>.lambda-url.<region>.on.aws


@dataclass(frozen=True)
class UrlConfig:
    function: str
    qualifier: str  # "" for the unqualified function, else an alias name
    url_id: str
    auth_type: str  # NONE | AWS_IAM
    invoke_mode: str  # BUFFERED | RESPONSE_STREAM
    created: str
    modified: str
    cors: dict[str, Any] = field(default_factory=dict)  # the API's Cors shape, as given

    __hash__ = None  # type: ignore[assignment]

    def replace(self, **changes: Any) -> UrlConfig:
        return dataclasses.replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UrlConfig:
        return cls(**data)


def _now() -> str:
    # AWS: "2021-12-02T23:15:32.164813Z" (microseconds, UTC)
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_url_id() -> str:
    return "".join(secrets.choice(URL_ID_ALPHABET) for _ in range(URL_ID_LENGTH))


class UrlService:
    def __init__(self, functions: FunctionService, store: UrlRepository) -> None:
        self.functions = functions
        self.registry = functions.registry
        self.settings = functions.settings
        self.store = store
        self._configs: dict[tuple[str, str], UrlConfig] = {}
        self._by_id: dict[str, UrlConfig] = {}
        self._lock = asyncio.Lock()
        self._cleanups: set[asyncio.Task[None]] = set()
        self.registry.on_change(self._on_function_change)

    def load(self) -> None:
        configs = [UrlConfig.from_json(d) for d in self.store.function_url_configs()]
        self._configs = {(c.function, c.qualifier): c for c in configs}
        self._by_id = {c.url_id: c for c in configs}

    # ---- lookups -------------------------------------------------------------------------

    def by_id(self, url_id: str) -> UrlConfig | None:
        """The configuration a URL names (the serving path's lookup)."""
        return self._by_id.get(url_id)

    def host(self, url_id: str) -> str:
        return f"{url_id}.lambda-url.{self.settings.region}.{HOST_SUFFIX}"

    def url(self, cfg: UrlConfig) -> str:
        base = urlsplit(self.settings.base_url)
        port = base.port or self.settings.port
        return f"{base.scheme or 'http'}://{self.host(cfg.url_id)}:{port}/"

    def render(self, cfg: UrlConfig, created: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "FunctionUrl": self.url(cfg),
            "FunctionArn": self.functions.arn(cfg.function, cfg.qualifier or None),
            "AuthType": cfg.auth_type,
            "CreationTime": cfg.created,
            "InvokeMode": cfg.invoke_mode,
        }
        if not created:
            out["LastModifiedTime"] = cfg.modified
        if cfg.cors:
            out["Cors"] = cfg.cors
        return out

    def _target(self, text: str, qualifier: str | None) -> tuple[str, str]:
        """(function, qualifier key) of an existing function or alias."""
        name, q = self.functions.ref(text, qualifier)
        if q is not None and not is_alias(q):
            # The API's pattern refuses versions before this; a FunctionName ARN may not.
            raise ValidationException(
                f"1 validation error detected: Value '{q}' at 'qualifier' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: "
                "((?!^\\d+$)^[0-9a-zA-Z-_]+$)"
            )
        if self.registry.get(name, LATEST) is None:
            raise ResourceNotFoundException(f"Function not found: {self.functions.arn(name)}")
        if q is not None:
            self.functions.qualifiers.alias(name, q)  # 404 if there is no such alias
        return name, q or ""

    # ---- use cases -----------------------------------------------------------------------

    async def create(self, cmd: CreateFunctionUrlConfig) -> UrlConfig:
        async with self._lock:
            name, q = self._target(cmd.function_name, cmd.qualifier)
            if (name, q) in self._configs:
                raise ResourceConflictException(
                    "Failed to create function url config for [functionArn = "
                    f"{self.functions.arn(name, q or None)}]. Error message:  FunctionUrlConfig "
                    "exists for this Lambda function"
                )
            url_id = new_url_id()
            while url_id in self._by_id:
                url_id = new_url_id()
            now = _now()
            cfg = UrlConfig(
                function=name,
                qualifier=q,
                url_id=url_id,
                auth_type=cmd.auth_type,
                invoke_mode=cmd.invoke_mode,
                created=now,
                modified=now,
                cors=_cors(cmd.cors),
            )
            await self._put(cfg)
            return cfg

    def get(self, text: str, qualifier: str | None) -> UrlConfig:
        name, q = self._target(text, qualifier)
        cfg = self._configs.get((name, q))
        if cfg is None:
            raise ResourceNotFoundException("The resource you requested does not exist.")
        return cfg

    async def update(self, cmd: UpdateFunctionUrlConfig) -> UrlConfig:
        async with self._lock:
            cfg = self.get(cmd.function_name, cmd.qualifier)
            changes: dict[str, Any] = {"modified": _now()}
            if cmd.auth_type is not None:
                changes["auth_type"] = cmd.auth_type
            if cmd.invoke_mode is not None:
                changes["invoke_mode"] = cmd.invoke_mode
            if cmd.cors is not None:
                changes["cors"] = _cors(cmd.cors)
            cfg = cfg.replace(**changes)
            await self._put(cfg)
            return cfg

    async def delete(self, text: str, qualifier: str | None) -> None:
        async with self._lock:
            cfg = self.get(text, qualifier)
            await asyncio.to_thread(
                self.store.put_function_url_config, cfg.function, cfg.qualifier, None
            )
            self._drop(cfg)

    def list_configs(
        self, text: str, marker: str | None, max_items: int | None
    ) -> tuple[list[UrlConfig], str | None]:
        name, _q = self._target(text, None)
        items = sorted(
            (c for (f, _), c in self._configs.items() if f == name), key=lambda c: c.qualifier
        )
        return paginate(items, marker, max_items, key=lambda c: c.qualifier, sorted_by_key=True)

    async def _put(self, cfg: UrlConfig) -> None:
        await asyncio.to_thread(
            self.store.put_function_url_config, cfg.function, cfg.qualifier, cfg.to_json()
        )
        self._configs[(cfg.function, cfg.qualifier)] = cfg
        self._by_id[cfg.url_id] = cfg

    def _drop(self, cfg: UrlConfig) -> None:
        self._configs.pop((cfg.function, cfg.qualifier), None)
        self._by_id.pop(cfg.url_id, None)

    def _on_function_change(self, name: str) -> None:
        """Drop the URLs of a deleted function or alias."""
        gone_fn = self.registry.get(name, LATEST) is None
        for (f, q), cfg in list(self._configs.items()):
            if f != name:
                continue
            if gone_fn:
                self._drop(cfg)  # the store dropped it with the function
            elif q and self.registry.alias(name, q) is None:
                self._drop(cfg)
                task = asyncio.get_running_loop().create_task(
                    asyncio.to_thread(self.store.put_function_url_config, f, q, None)
                )
                self._cleanups.add(task)
                task.add_done_callback(self._cleanups.discard)


def _cors(cors: Mapping[str, Any] | None) -> dict[str, Any]:
    """The Cors shape as stored and returned: only the members given."""
    if not cors:
        return {}
    out = {k: v for k, v in cors.items() if v is not None}
    methods = out.get("AllowMethods")
    if methods is not None:
        bad = [m for m in methods if m != "*" and not m.isalpha()]
        if bad:
            raise InvalidParameterValueException(
                f"Invalid CORS configuration: {bad[0]} is not a valid HTTP method."
            )
    return out
