"""The synchronous invoke path: resolve the version, run it on an instance, log, answer.

Hot path budget: a dict lookup for the configuration and the instance spec, an in-memory pool
pop, one frame each way on the instance's channel, log lines handed to the batching sink.

Credentials: an instance never sees the server's keys. Each spec (one per function revision)
carries a role session for the function's execution role (``sessions``: STS's
``function_session``, in memory, no I/O), as Lambda's AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/
AWS_SESSION_TOKEN. Instances are retired, not refreshed: at the session's half-life the spec
is rebuilt with a new session and the pool of the old one retired (idle instances die at once,
busy ones when their invocation ends, which is well before expiry since a timeout is at most
900 s and a session lasts hours). So an on-demand instance never outlives its credentials.
Provisioned instances likewise: one whose session is past half-life is not used (the call goes
on-demand) and its target is re-provisioned with the renewed spec in the background (the pools
replace instances whose environment differs).
Without ``sessions`` (unit tests that build an Invoker alone) instances get no keys at all.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import math
import time
from dataclasses import dataclass
from typing import Protocol

from ovis.errors import TooManyRequestsException
from ovis.invoke.concurrency import ConcurrencyLimiter
from ovis.invoke.dev_mounts import DEBUG_MIN_MEMORY_MB, DEBUG_TIMEOUT_S, DevMounts
from ovis.invoke.metrics import PlatformMetrics
from ovis.invoke.qualifiers import Qualifiers
from ovis.invoke.registry import FunctionRegistry
from ovis.invoke.repositories import ReservedConcurrencyRepository
from ovis.logs.sink import LogSink
from ovis.models.arn import function_arn
from ovis.models.function import FunctionConfig
from ovis.models.iam import TemporaryCredentials
from ovis.runtimes.base import LaunchContext
from ovis.runtimes.registry import RuntimeRegistry
from ovis.sandbox.instance import InitError, InstanceSpec, Invocation, Outcome
from ovis.sandbox.pool import InstanceManager
from ovis.settings import Settings
from ovis.storage.code import CodeStore
from ovis.storage.images import ImageStore

log = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 6 * 1024 * 1024
LOG_TAIL_BYTES = 4096


class SessionIssuer(Protocol):
    """Issues a function's role session (STS's ``StsService``). Synchronous, no I/O."""

    def function_session(
        self, role_arn: str, function_name: str, function_arn: str
    ) -> TemporaryCredentials: ...


@dataclass
class InvokeResult:
    request_id: str
    payload: bytes
    executed_version: str
    function_error: str | None = None
    log_result: str | None = None
    status_code: int = 200


class Invoker:
    def __init__(
        self,
        settings: Settings,
        registry: FunctionRegistry,
        manager: InstanceManager,
        code: CodeStore,
        sink: LogSink,
        interpreters: dict[str, str],
        images: ImageStore | None = None,
        *,
        concurrency: ReservedConcurrencyRepository,
        runtimes: RuntimeRegistry | None = None,
        metrics: PlatformMetrics | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics  # AWS/Lambda metrics (None: not emitted)
        self.images = images  # root filesystems and configs of PackageType=Image functions
        self.registry = registry
        self.qualifiers = Qualifiers(registry, settings.region, settings.account_id)
        self.manager = manager
        self.code = code
        self.sink = sink
        self.interpreters = interpreters  # runtime name -> python (or node) executable
        self.runtimes = runtimes or RuntimeRegistry()  # runtime adapters: how to launch
        self.limiter = ConcurrencyLimiter(
            settings.concurrent_executions, concurrency.reserved_concurrency()
        )
        self._specs: dict[tuple[str, str, str], InstanceSpec] = {}
        # spec key -> when its role session is renewed (its half-life), epoch seconds
        self._renew_at: dict[tuple[str, str, str], float] = {}
        self.sessions: SessionIssuer | None = None  # set by the composition root
        self._session_renew_at: dict[str, float] = {}  # access key -> its half-life
        self._renewing: dict[tuple[str, str], asyncio.Task[None]] = {}  # provisioned targets
        registry.on_change(self._on_function_change)
        self.dev = DevMounts()  # `ovis dev` / `--debug`: $LATEST from a directory, debuggers
        self.dev.on_change(self._on_function_change)

    def _on_function_change(self, name: str) -> None:
        for key in [k for k in self._specs if k[0] == name]:
            del self._specs[key]
            self._renew_at.pop(key, None)
        keep = {(c.name, c.version, c.revision_id) for c in self.registry.versions(name)}
        self.manager.retire(name, keep)
        if not keep:
            self.limiter.set_reserved(name, None)

    def resolve_version(self, name: str, qualifier: str) -> str:
        """The version a qualifier names (an alias's primary version); 404 if none."""
        return self.qualifiers.version(name, qualifier)

    def resolve(self, name: str, qualifier: str | None) -> FunctionConfig:
        """The version an invocation of ``name:qualifier`` runs (aliases split by weight)."""
        return self.qualifiers.for_invoke(name, qualifier)

    def spec_for(self, cfg: FunctionConfig, provisioned: bool = False) -> InstanceSpec:
        key = (cfg.name, cfg.version, self.dev.key(cfg))
        spec = self._specs.get(key)
        if spec is None:
            spec = self._specs[key] = self._build_spec(cfg)
        elif self._renew_at.get(key, math.inf) <= time.time():
            # the session is at half-life: new instances get a new one, old ones retire
            keep = {(c.name, c.version, c.revision_id) for c in self.registry.versions(cfg.name)}
            self.manager.retire(cfg.name, keep - {key})
            spec = self._specs[key] = self._build_spec(cfg)
        if provisioned:
            spec = spec.with_env(AWS_LAMBDA_INITIALIZATION_TYPE="provisioned-concurrency")
        return spec

    def _build_spec(self, cfg: FunctionConfig) -> InstanceSpec:
        """Once per (function, version, revision): the runtime's adapter says how to launch."""
        iso = self.manager.isolation
        dev = self.dev.applies(cfg)
        mounted = dev.path if dev is not None else None
        ctx = LaunchContext(
            code_dir=mounted or str(self.code.tree_path(cfg.code_digest)),
            layers=tuple(str(self.code.tree_path(d)) for d in cfg.layer_digests),
            lambda_env=self._lambda_env(cfg),
            namespaces=iso.namespaces,
            isolation=iso.description,
            interpreters=self.interpreters,
            python_transport="http" if self.settings.python_transport == "http" else "channel",
            images=self.images,
        )
        debug = dev is not None and dev.debug_port is not None
        return InstanceSpec(
            key=(cfg.name, cfg.version, self.dev.key(cfg)),
            launch=self.dev.launch(dev, self.runtimes.launch(cfg, ctx)),
            memory_mb=max(cfg.memory_size, DEBUG_MIN_MEMORY_MB) if debug else cfg.memory_size,
            timeout_s=DEBUG_TIMEOUT_S if debug else cfg.timeout,
            tmp_mb=cfg.ephemeral_storage,
        )

    def _lambda_env(self, cfg: FunctionConfig) -> dict[str, str]:
        """The variables Lambda sets for every runtime, so boto3 inside reaches this server."""
        s = self.settings
        env = {
            "AWS_LAMBDA_FUNCTION_NAME": cfg.name,
            "AWS_LAMBDA_FUNCTION_VERSION": cfg.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(cfg.memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": cfg.log_group(),
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_REGION": s.region,
            "AWS_DEFAULT_REGION": s.region,
            "AWS_ENDPOINT_URL": s.base_url,
        }
        if self.sessions is not None:
            arn = function_arn(s.region, s.account_id, cfg.name, None)
            creds = self.sessions.function_session(cfg.role, cfg.name, arn)
            key = (cfg.name, cfg.version, cfg.revision_id)
            half_life = (creds.issued_s + creds.expires_s) / 2
            self._renew_at[key] = half_life
            if len(self._session_renew_at) >= 4096:  # forget sessions long renewed
                cutoff = time.time() - 86400
                self._session_renew_at = {
                    k: t for k, t in self._session_renew_at.items() if t > cutoff
                }
            self._session_renew_at[creds.access_key] = half_life
            env["AWS_ACCESS_KEY_ID"] = creds.access_key
            env["AWS_SECRET_ACCESS_KEY"] = creds.secret_key
            env["AWS_SESSION_TOKEN"] = creds.session_token
        return env

    async def invoke(
        self,
        cfg: FunctionConfig,
        inv: Invocation,
        tail: bool = False,
        target: tuple[str, str] | None = None,
    ) -> InvokeResult:
        """Run ``inv`` on version ``cfg``; ``target`` (function, qualifier as invoked) selects
        provisioned instances when that qualifier has them."""
        metrics = self.metrics
        if metrics is None:
            self.limiter.acquire(cfg.name)
        else:
            try:
                self.limiter.acquire(cfg.name)
            except TooManyRequestsException:
                metrics.throttle(cfg.name, f"{cfg.name}:{target[1]}" if target else cfg.name)
                raise
            concurrent = self.limiter.in_flight.get(cfg.name, 0)
            unreserved = self.limiter.unreserved_in_flight
        try:
            outcome, stream, provisioned = await self._run(cfg, inv, target)
        finally:
            self.limiter.release(cfg.name)
        if metrics is not None:
            resource = f"{cfg.name}:{target[1]}" if target else cfg.name
            metrics.invocation(
                cfg.name,
                resource,
                cfg.version if target else "",
                outcome.duration_ms,
                not outcome.ok,
                concurrent,
                unreserved,
            )
            if target is not None:  # ProvisionedConcurrency* of a qualifier that has some
                allocated, busy = self.manager.provisioned_counts(target)
                if allocated:
                    metrics.provisioned(
                        cfg.name, resource, provisioned, busy + provisioned, allocated
                    )
        lines = self._log_lines(cfg, inv.request_id, outcome)
        self.sink.emit(cfg.log_group(), stream, lines)
        payload = outcome.payload
        function_error = None if outcome.ok else "Unhandled"
        if outcome.ok and len(payload) > MAX_RESPONSE_BYTES:
            function_error = "Unhandled"
            payload = (
                b'{"errorMessage":"Response payload size exceeded maximum allowed payload size '
                b'(6291556 bytes).","errorType":"Function.ResponseSizeTooLarge"}'
            )
        log_result = None
        if tail:
            text = ("\n".join(lines) + "\n").encode()
            log_result = base64.b64encode(text[-LOG_TAIL_BYTES:]).decode()
        return InvokeResult(inv.request_id, payload, cfg.version, function_error, log_result)

    async def _run(
        self, cfg: FunctionConfig, inv: Invocation, target: tuple[str, str] | None
    ) -> tuple[Outcome, str, bool]:
        """(outcome, log stream, whether a provisioned instance ran it)."""
        inst = self.manager.acquire_provisioned(target) if target is not None else None
        if (
            inst is not None
            and target is not None
            and inst.spec.key[1] == cfg.version
            and self._past_half_life(inst.spec)
        ):
            self.manager.release(inst)  # never run on a session this old: go on-demand
            self._renew_provisioned(target, cfg)
            inst = None
        if inst is not None and inst.spec.key[1] == cfg.version:
            try:
                return await inst.invoke(inv), inst.log_stream, True
            finally:
                self.manager.release(inst)
        if inst is not None:  # weighted routing chose the other version
            self.manager.release(inst)
        spec = self.spec_for(cfg)
        try:
            inst, _cold = await self.manager.acquire(spec)
        except InitError as e:
            payload = e.payload.replace("{rid}", inv.request_id).encode()
            outcome = Outcome("init_error", payload, e.init_ms, e.memory_mb, e.logs, e.init_ms)
            return outcome, "init-failed", False
        try:
            return await inst.invoke(inv), inst.log_stream, False
        finally:
            self.manager.release(inst)

    def _past_half_life(self, spec: InstanceSpec) -> bool:
        key = spec.env.get("AWS_ACCESS_KEY_ID")
        # a session no longer tracked (forgotten a day after its half-life) is stale too
        return key is not None and self._session_renew_at.get(key, 0.0) <= time.time()

    def _renew_provisioned(self, target: tuple[str, str], cfg: FunctionConfig) -> None:
        """Re-provision ``target`` (as many instances as it holds) with a renewed session, once
        at a time, in the background."""
        running = self._renewing.get(target)
        if running is not None and not running.done():
            return

        async def renew() -> None:
            spec = self.spec_for(cfg, provisioned=True)  # renewed: its half-life has passed
            count = self.manager.provisioned_counts(target)[0]
            with contextlib.suppress(asyncio.CancelledError):
                try:
                    await self.manager.provision(target, spec, count)
                except Exception as e:  # an init failure: the next stale call retries
                    log.warning("renewing provisioned %s:%s failed: %s", *target, e)

        self._renewing[target] = asyncio.get_running_loop().create_task(renew())

    @staticmethod
    def _log_lines(cfg: FunctionConfig, rid: str, o: Outcome) -> list[str]:
        lines: list[str] = []
        if o.init_ms is not None or o.init_logs:
            lines.append(
                f"INIT_START Runtime Version: {cfg.runtime}.ovis\tRuntime Version ARN: "
                f"arn:aws:lambda:::runtime:ovis-{cfg.runtime}"
            )
            lines.extend(_split(o.init_logs))
        lines.append(f"START RequestId: {rid} Version: {cfg.version}")
        lines.extend(_split(o.logs))
        lines.extend(o.extra_log)
        lines.append(f"END RequestId: {rid}")
        # AWS's REPORT: tab-separated fields, no trailing tab; Init Duration on cold starts only
        # (the instance reports it once); the error type of a failed init is the payload's.
        report = [
            f"REPORT RequestId: {rid}",
            f"Duration: {o.duration_ms:.2f} ms",
            f"Billed Duration: {max(1, math.ceil(o.duration_ms))} ms",
            f"Memory Size: {cfg.memory_size} MB",
            f"Max Memory Used: {o.max_memory_mb} MB",
        ]
        if o.init_ms is not None:
            report.append(f"Init Duration: {o.init_ms:.2f} ms")
        if o.status == "timeout":
            report.append("Status: timeout")
        elif o.status in ("crash", "init_error"):
            report += ["Status: error", f"Error Type: {_error_type(o)}"]
        lines.append("\t".join(report))
        return lines


def _error_type(o: Outcome) -> str:
    """A failed instance's error type: what its payload says (Runtime.ImportModuleError...)."""
    if o.status == "init_error":
        try:
            found = json.loads(o.payload).get("errorType")
        except (ValueError, AttributeError):
            found = None
        if isinstance(found, str) and found:
            return found
    return "Runtime.ExitError"


def _split(output: bytes) -> list[str]:
    if not output:
        return []
    text = output.decode("utf-8", "replace")
    return text[:-1].split("\n") if text.endswith("\n") else text.split("\n")


def now_ms() -> int:
    return int(time.time() * 1000)
