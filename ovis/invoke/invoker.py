"""The synchronous invoke path: resolve the version, run it on an instance, log, answer.

Hot path budget: a dict lookup for the configuration and the instance spec, an in-memory pool
pop, one frame each way on the instance's channel, log lines handed to the batching sink.
"""

from __future__ import annotations

import base64
import dataclasses
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ovis.invoke.concurrency import ConcurrencyLimiter
from ovis.invoke.qualifiers import Qualifiers
from ovis.invoke.registry import FunctionRegistry
from ovis.logs.sink import LogSink
from ovis.models.function import FunctionConfig
from ovis.sandbox.instance import InitError, InstanceSpec, Invocation, Outcome
from ovis.sandbox.pool import InstanceManager
from ovis.settings import Settings
from ovis.storage.code import CodeStore
from ovis.storage.images import ImageStore

MAX_RESPONSE_BYTES = 6 * 1024 * 1024
NODE_BOOTSTRAP = Path(__file__).resolve().parent.parent / "runtimes" / "node" / "bootstrap.mjs"
LOG_TAIL_BYTES = 4096


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
    ) -> None:
        self.settings = settings
        self.images = images  # root filesystems and configs of PackageType=Image functions
        self.registry = registry
        self.qualifiers = Qualifiers(registry, settings.region, settings.account_id)
        self.manager = manager
        self.code = code
        self.sink = sink
        self.interpreters = interpreters  # runtime name -> python (or node) executable
        self.limiter = ConcurrencyLimiter(
            settings.concurrent_executions, registry.store.reserved_concurrency()
        )
        self._specs: dict[tuple[str, str, str], InstanceSpec] = {}
        registry.on_change(self._on_function_change)

    def _on_function_change(self, name: str) -> None:
        for key in [k for k in self._specs if k[0] == name]:
            del self._specs[key]
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
        key = (cfg.name, cfg.version, cfg.revision_id)
        spec = self._specs.get(key)
        if spec is None:
            spec = self._specs[key] = self._build_spec(cfg)
        if provisioned:
            env = dict(spec.env, AWS_LAMBDA_INITIALIZATION_TYPE="provisioned-concurrency")
            spec = dataclasses.replace(spec, env=env)
        return spec

    def _build_spec(self, cfg: FunctionConfig) -> InstanceSpec:
        if cfg.package_type == "Image":
            return self._image_spec(cfg)
        s = self.settings
        code_dir = str(self.code.tree_path(cfg.code_digest))
        task_root = "/var/task" if self.manager.isolation.namespaces else code_dir
        node = cfg.runtime.startswith("nodejs")
        runtime_env = _node_env(cfg.runtime, task_root) if node else {}
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin:/opt/bin",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "LD_LIBRARY_PATH": "/opt/lib",
            "LAMBDA_TASK_ROOT": task_root,
            "LAMBDA_RUNTIME_DIR": str(NODE_BOOTSTRAP.parent) if node else str(sys.prefix),
            "_HANDLER": cfg.handler,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{cfg.runtime}",
            **self._lambda_env(cfg),
            **runtime_env,
            **cfg.environment,
        }
        custom = cfg.runtime.startswith("provided")
        executable = self.interpreters.get(cfg.runtime)
        return InstanceSpec(
            key=(cfg.name, cfg.version, cfg.revision_id),
            handler=cfg.handler,
            env=env,
            code_dir=code_dir,
            layers=tuple(str(self.code.tree_path(d)) for d in cfg.layer_digests),
            memory_mb=cfg.memory_size,
            tmp_mb=cfg.ephemeral_storage,
            timeout_s=cfg.timeout,
            transport="http" if custom or node else s.python_transport,
            interpreter=sys.executable if node else executable or sys.executable,
            argv=(f"{task_root}/bootstrap",) if custom else None,
            # nodejs: the Python zygote forks and isolates the instance, which then execs node.
            command=(executable or "/usr/bin/node", str(NODE_BOOTSTRAP)) if node else None,
        )

    def _lambda_env(self, cfg: FunctionConfig) -> dict[str, str]:
        """The variables Lambda sets for every runtime, so boto3 inside reaches this server."""
        s = self.settings
        access_key, secret = next(iter(s.credentials.items()))
        return {
            "AWS_LAMBDA_FUNCTION_NAME": cfg.name,
            "AWS_LAMBDA_FUNCTION_VERSION": cfg.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(cfg.memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": cfg.log_group(),
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_REGION": s.region,
            "AWS_DEFAULT_REGION": s.region,
            "AWS_ACCESS_KEY_ID": access_key,
            "AWS_SECRET_ACCESS_KEY": secret,
            "AWS_ENDPOINT_URL": s.base_url,
        }

    def _image_spec(self, cfg: FunctionConfig) -> InstanceSpec:
        """A container image: its root filesystem, ENTRYPOINT + CMD (ImageConfig overrides them)
        talking to the Runtime API, the image's Env under Lambda's own variables."""
        digest = cfg.image_digest or ""
        record = self.images.get(digest) if self.images is not None else None
        overrides = cfg.image_config
        entrypoint = tuple(overrides.get("EntryPoint") or (record.entrypoint if record else ()))
        command = tuple(overrides.get("Command") or (record.cmd if record else ()))
        workdir = overrides.get("WorkingDirectory") or (record.workdir if record else "") or "/"
        env = {
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "TZ": ":UTC",
            "LAMBDA_TASK_ROOT": "/var/task",
            "LAMBDA_RUNTIME_DIR": "/var/runtime",
            **(record.env if record else {}),
            **self._lambda_env(cfg),
            **cfg.environment,
        }
        if command:
            env["_HANDLER"] = command[0]
        rootfs = str(self.images.rootfs_path(digest)) if self.images is not None else ""
        return InstanceSpec(
            key=(cfg.name, cfg.version, cfg.revision_id),
            handler=command[0] if command else "",
            env=env,
            code_dir=rootfs,
            memory_mb=cfg.memory_size,
            tmp_mb=cfg.ephemeral_storage,
            timeout_s=cfg.timeout,
            transport="http",
            argv=entrypoint + command,
            rootfs=rootfs,
            workdir=workdir,
        )

    async def invoke(
        self,
        cfg: FunctionConfig,
        inv: Invocation,
        tail: bool = False,
        target: tuple[str, str] | None = None,
    ) -> InvokeResult:
        """Run ``inv`` on version ``cfg``; ``target`` (function, qualifier as invoked) selects
        provisioned instances when that qualifier has them."""
        self.limiter.acquire(cfg.name)
        try:
            outcome, stream = await self._run(cfg, inv, target)
        finally:
            self.limiter.release(cfg.name)
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
    ) -> tuple[Outcome, str]:
        inst = self.manager.acquire_provisioned(target) if target is not None else None
        if inst is not None and inst.spec.key[1] == cfg.version:
            try:
                return await inst.invoke(inv), inst.log_stream
            finally:
                self.manager.release(inst)
        if inst is not None:  # weighted routing chose the other version
            self.manager.release(inst)
        spec = self.spec_for(cfg)
        try:
            inst, _cold = await self.manager.acquire(spec)
        except InitError as e:
            payload = e.payload.replace("{rid}", inv.request_id).encode()
            outcome = Outcome("init_error", payload, e.init_ms, 0, e.logs, e.init_ms)
            return outcome, "init-failed"
        try:
            return await inst.invoke(inv), inst.log_stream
        finally:
            self.manager.release(inst)

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
        report = (
            f"REPORT RequestId: {rid}\tDuration: {o.duration_ms:.2f} ms\t"
            f"Billed Duration: {max(1, math.ceil(o.duration_ms))} ms\t"
            f"Memory Size: {cfg.memory_size} MB\tMax Memory Used: {o.max_memory_mb} MB\t"
        )
        if o.init_ms is not None:
            report += f"Init Duration: {o.init_ms:.2f} ms\t"
        if o.status == "timeout":
            report += "Status: timeout"
        elif o.status in ("crash", "init_error"):
            report += "Status: error\tError Type: Runtime.ExitError"
        lines.append(report)
        return lines


def _node_env(runtime: str, task_root: str) -> dict[str, str]:
    """What AWS's Node.js runtimes add to the environment: NODE_PATH finds layers' modules."""
    major = runtime.removeprefix("nodejs").split(".")[0]
    node_path = [
        f"/opt/nodejs/node{major}/node_modules",
        "/opt/nodejs/node_modules",
        "/var/runtime/node_modules",
        "/var/runtime",
        task_root,
    ]
    return {"NODE_PATH": ":".join(node_path)}


def _split(output: bytes) -> list[str]:
    if not output:
        return []
    text = output.decode("utf-8", "replace")
    return text[:-1].split("\n") if text.endswith("\n") else text.split("\n")


def now_ms() -> int:
    return int(time.time() * 1000)
