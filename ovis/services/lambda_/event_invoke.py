"""Asynchronous invocation settings: event invoke configs and recursion configs.

An event invoke config (MaximumRetryAttempts, MaximumEventAgeInSeconds, DestinationConfig) belongs
to a function's $LATEST, a version or an alias; an async invocation uses the config of the
qualifier it was invoked with. The recursion config (Allow/Terminate) is per function.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from typing import Any

from ovis.errors import (
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from ovis.models.function import LATEST
from ovis.services.lambda_.commands import Destination, PutEventInvokeConfig
from ovis.services.lambda_.functions import FunctionService
from ovis.services.lambda_.repositories import EventInvokeRepository

DEFAULT_RETRIES = 2
DEFAULT_MAX_AGE_S = 21600
SUPPORTED_DESTINATION = re.compile(
    r"^arn:aws[a-zA-Z-]*:(sqs:[a-z0-9-]+:\d{12}:[a-zA-Z0-9_-]{1,80}(\.fifo)?"
    r"|sns:[a-z0-9-]+:\d{12}:[a-zA-Z0-9_-]{1,256}(\.fifo)?"
    r"|events:[a-z0-9-]+:\d{12}:event-bus/[a-zA-Z0-9._/-]{1,256}"
    r"|lambda:[a-z0-9-]+:\d{12}:function:[a-zA-Z0-9_-]+(:[a-zA-Z0-9$_-]+)?)$"
)
ANY_ARN = re.compile(
    r"^arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-]+):([a-z]{2}(-gov)?-[a-z]+-\d{1})?:(\d{12})?:(.*)$"
)


@dataclass
class EventInvokeConfig:
    function: str
    qualifier: str
    max_retries: int = DEFAULT_RETRIES
    max_age_s: int = DEFAULT_MAX_AGE_S
    on_success: str | None = None
    on_failure: str | None = None
    last_modified: float = 0.0
    # whether the settings were given (AWS answers only those; unset ones run with the defaults
    # above). True for configs stored before this was recorded, which answered both.
    max_retries_given: bool = True
    max_age_given: bool = True

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def to_api(self, arn: str) -> dict[str, Any]:
        dest: dict[str, Any] = {"OnSuccess": {}, "OnFailure": {}}
        if self.on_success:
            dest["OnSuccess"] = {"Destination": self.on_success}
        if self.on_failure:
            dest["OnFailure"] = {"Destination": self.on_failure}
        return {
            "LastModified": self.last_modified,
            "FunctionArn": arn,
            "MaximumRetryAttempts": self.max_retries if self.max_retries_given else None,
            "MaximumEventAgeInSeconds": self.max_age_s if self.max_age_given else None,
            "DestinationConfig": dest,
        }


class EventInvokeService:
    def __init__(self, functions: FunctionService, store: EventInvokeRepository) -> None:
        self.functions = functions
        self.store = store
        self.configs: dict[tuple[str, str], EventInvokeConfig] = {}
        self.recursion: dict[str, str] = {}
        functions.registry.on_change(self._on_function_change)

    def load(self) -> None:
        for function, qualifier, data in self.store.event_invoke_configs():
            self.configs[(function, qualifier)] = EventInvokeConfig(**data)  # type: ignore[arg-type]
        self.recursion = self.store.recursion_configs()

    def _on_function_change(self, name: str) -> None:
        if self.functions.registry.get(name, LATEST) is None:
            for key in [k for k in self.configs if k[0] == name]:
                del self.configs[key]
            self.recursion.pop(name, None)

    # ---- lookups for the async path ---------------------------------------------------------

    def config_for(self, function: str, qualifier: str) -> EventInvokeConfig:
        return self.configs.get((function, qualifier or LATEST)) or EventInvokeConfig(
            function, qualifier or LATEST
        )

    def recursion_mode(self, function: str) -> str:
        return self.recursion.get(function, "Terminate")

    # ---- use cases -------------------------------------------------------------------------

    def _target(self, text: str, qualifier: str | None) -> tuple[str, str]:
        name, q = self.functions.ref(text, qualifier)
        self.functions.get_config(name, q)  # 404 for a missing function, version or alias
        return name, q or LATEST

    @staticmethod
    def _destination(dest: Destination | None) -> str | None:
        arn = dest.destination if dest is not None else None
        if not arn:
            return None
        if not ANY_ARN.match(arn):
            raise InvalidParameterValueException(f"The destination ARN {arn} is invalid.")
        if not SUPPORTED_DESTINATION.match(arn):
            raise InvalidParameterValueException(
                f"The destination ARN {arn} is not supported by this server: destinations may "
                "be SQS queues, SNS topics, EventBridge event buses or Lambda functions."
            )
        return str(arn)

    async def put(self, cmd: PutEventInvokeConfig) -> EventInvokeConfig:
        merge = cmd.merge
        name, q = self._target(cmd.function_name, cmd.qualifier)
        existing = self.configs.get((name, q))
        if merge and existing is None:
            raise ResourceNotFoundException(
                f"The function {self.functions.arn(name, q)} doesn't have an EventInvokeConfig"
            )
        cfg = (
            EventInvokeConfig(name, q)
            if not merge or existing is None
            else EventInvokeConfig(**existing.to_json())
        )
        if not merge or existing is None:
            cfg.max_retries_given = cfg.max_age_given = False
        if cmd.max_retries is not None:
            cfg.max_retries = cmd.max_retries
            cfg.max_retries_given = True
        if cmd.max_age_s is not None:
            cfg.max_age_s = cmd.max_age_s
            cfg.max_age_given = True
        if cmd.destinations_given:
            if cmd.on_success is not None or not merge:
                cfg.on_success = self._destination(cmd.on_success)
            if cmd.on_failure is not None or not merge:
                cfg.on_failure = self._destination(cmd.on_failure)
        cfg.last_modified = round(time.time(), 3)
        await asyncio.to_thread(self.store.put_event_invoke_config, name, q, cfg.to_json())
        self.configs[(name, q)] = cfg
        return cfg

    def get(self, text: str, qualifier: str | None) -> EventInvokeConfig:
        name, q = self._target(text, qualifier)
        cfg = self.configs.get((name, q))
        if cfg is None:
            raise ResourceNotFoundException(
                f"The function {self.functions.arn(name, q)} doesn't have an EventInvokeConfig"
            )
        return cfg

    async def delete(self, text: str, qualifier: str | None) -> None:
        cfg = self.get(text, qualifier)
        await asyncio.to_thread(
            self.store.put_event_invoke_config, cfg.function, cfg.qualifier, None
        )
        self.configs.pop((cfg.function, cfg.qualifier), None)

    def list(self, text: str) -> list[EventInvokeConfig]:
        name, q = self.functions.ref(text)
        if q is not None:
            raise InvalidParameterValueException("List event invoke configs of a function name.")
        self.functions.get_config(name)
        return sorted(
            (c for (f, _), c in self.configs.items() if f == name),
            key=lambda c: (c.qualifier != LATEST, c.qualifier),
        )

    def arn(self, cfg: EventInvokeConfig) -> str:
        return self.functions.arn(cfg.function, cfg.qualifier)

    async def put_recursion(self, text: str, mode: str) -> str:
        name, q = self.functions.ref(text)
        if q is not None:
            raise ResourceConflictException("Recursion config applies to the unqualified function.")
        self.functions.get_config(name)
        await asyncio.to_thread(self.store.put_recursion_config, name, mode)
        self.recursion[name] = mode
        return mode

    def get_recursion(self, text: str) -> str:
        name, _ = self.functions.ref(text)
        self.functions.get_config(name)
        return self.recursion_mode(name)
