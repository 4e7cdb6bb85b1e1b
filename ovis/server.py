"""The composition root: settings -> storage -> services -> api + workers, and their shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import uvicorn

from ovis import __version__
from ovis.frontdoor.admin import AdminApi, AdminService
from ovis.frontdoor.app import App
from ovis.frontdoor.aws import AwsFrontDoor
from ovis.frontdoor.internal import CodeUrlSigner, InternalService
from ovis.frontdoor.legacy_codecs import service_model
from ovis.frontdoor.router import Router
from ovis.frontdoor.sigv4 import SigV4Verifier
from ovis.invoke.async_queue import AsyncQueue
from ovis.invoke.invoker import Invoker
from ovis.invoke.provisioned import ProvisionedService
from ovis.invoke.registry import FunctionRegistry
from ovis.logs.sink import LogSink
from ovis.sandbox.isolation import Isolation
from ovis.sandbox.pool import InstanceManager
from ovis.services.autoscaling.scaling import AutoscalingService
from ovis.services.autoscaling.service import autoscaling_service
from ovis.services.context import AwsService
from ovis.services.lambda_.concurrency import ConcurrencyService
from ovis.services.lambda_.event_invoke import EventInvokeService
from ovis.services.lambda_.functions import FunctionService
from ovis.services.lambda_.layers import LayerService
from ovis.services.lambda_.operations import LambdaUseCases
from ovis.services.lambda_.permissions import PolicyService
from ovis.services.lambda_.service import lambda_service
from ovis.services.lambda_.url_endpoint import FunctionUrls
from ovis.services.lambda_.urls import UrlService
from ovis.services.lambda_.versions import VersionService
from ovis.services.logs.service import logs_service
from ovis.services.sqs import QueueService
from ovis.services.sqs.service import sqs_service
from ovis.settings import Settings
from ovis.storage.code import CodeStore
from ovis.storage.images import ImageStore
from ovis.storage.sqlite import SqliteStore
from ovis.supervisor import Component, Lifecycle, Supervisor

log = logging.getLogger("ovis")


CUSTOM_RUNTIMES = ("provided", "provided.al2", "provided.al2023")


def host_runtimes() -> dict[str, str]:
    """Runtime name -> interpreter ("" for custom runtimes) for every runtime this host runs:
    python3.x found on PATH, nodejsNN.x for the major version of the ``node`` on PATH."""
    own = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    found = {own: sys.executable}
    enum = service_model("lambda").shape_for("Runtime").enum
    for name in enum:
        if re.fullmatch(r"python3\.\d+", name) and name not in found:
            path = shutil.which(name)
            if path and _runs(path, name):
                found[name] = path
    node = _node()
    if node is not None and node[0] in enum:
        found[node[0]] = node[1]
    found.update(dict.fromkeys(CUSTOM_RUNTIMES, ""))
    return found


def _node() -> tuple[str, str] | None:
    """("nodejsNN.x", real path of node) for the node on PATH, from ``node --version``."""
    path = shutil.which("node")
    if path is None:
        return None
    real = os.path.realpath(path)
    try:
        out = subprocess.run([real, "--version"], capture_output=True, timeout=10, text=True)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.fullmatch(r"v(\d+)\.\d+\.\d+\S*", out.stdout.strip())
    if out.returncode != 0 or m is None:
        return None
    return f"nodejs{m.group(1)}.x", real


def _runs(path: str, runtime: str) -> bool:
    """True if ``path`` really is that interpreter (version managers install stub shims)."""
    try:
        out = subprocess.run(
            [path, "-c", "import sys; print('python%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            timeout=10,
            text=True,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and out.stdout.strip() == runtime


def _secret(data_dir: Path) -> bytes:
    path = data_dir / "server-secret"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(secrets.token_bytes(32))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    return path.read_bytes()


class Hook:
    """A component from plain callables (sync or async): for parts that only load or flush."""

    def __init__(
        self,
        name: str,
        start: Callable[[], Any] | None = None,
        close: Callable[[], Any] | None = None,
    ) -> None:
        self.name = name
        self._start = start
        self._close = close

    async def start(self) -> None:
        if self._start is not None and inspect.isawaitable(out := self._start()):
            await out

    async def close(self) -> None:
        close, self._close = self._close, None  # idempotent
        if close is not None and inspect.isawaitable(out := close()):
            await out


class Server:
    """Owns every long-lived component. ``run()`` serves until SIGINT/SIGTERM, then closes all.

    Composition: settings -> storage -> use cases -> service packages -> front door. Adding an
    AWS service is one entry in ``aws_services``; ``components`` start in order and close in
    reverse (``Lifecycle``); background loops run under ``supervisor``.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        data = settings.data_dir.resolve()
        data.mkdir(parents=True, exist_ok=True)
        self.supervisor = Supervisor()
        # ---- storage
        self.store = SqliteStore(data / "ovis.db")
        self.code = CodeStore(data / "code")
        self.images = ImageStore(data / "images")  # written by `ovis image import`
        # ---- invocation
        self.registry = FunctionRegistry(self.store)
        self.runtimes = host_runtimes()
        os.chmod(data, 0o700)  # instances (other uids) must not read other functions' code
        self.isolation = Isolation.probe(settings.isolation)
        self.manager = InstanceManager(
            self.isolation,
            settings.spawn_mode,
            settings.idle_ttl_s,
            settings.freeze_after_s,
            settings.memory_budget_mb or None,
        )
        self.sink = LogSink(self.store)
        self.invoker = Invoker(
            settings,
            self.registry,
            self.manager,
            self.code,
            self.sink,
            self.runtimes,
            images=self.images,
        )
        self.queue = AsyncQueue(
            self.store,
            self.registry,
            self.invoker,
            settings.async_workers,
            settings.async_retry_scale,
        )
        # ---- use cases
        self.layers = LayerService(settings, self.store, self.code)
        self.functions = FunctionService(
            settings, self.registry, self.code, self.runtimes, self.layers, images=self.images
        )
        signer = CodeUrlSigner(settings.base_url, _secret(data))
        self.versions = VersionService(self.functions)
        self.provisioned = ProvisionedService(self.invoker)
        self.event_invoke = EventInvokeService(self.functions)
        self.queues = QueueService(self.store, settings)  # SQS-compatible queues
        self.queue.attach(self.event_invoke, self.queues)
        self.autoscaling = AutoscalingService(settings, self.store, self.provisioned)
        self.urls = UrlService(self.functions, self.store)  # function URLs
        self.policies = PolicyService(self.functions, self.store)  # function resource policies
        # ---- service packages and the front door
        self.aws_services: list[AwsService] = [
            lambda_service(
                LambdaUseCases(
                    self.functions,
                    self.invoker,
                    self.queue,
                    signer.url,
                    ConcurrencyService(self.functions, self.invoker.limiter),
                    self.versions,
                    self.layers,
                    self.provisioned,
                    self.event_invoke,
                    self.urls,
                    self.policies,
                )
            ),
            sqs_service(self.queues),
            logs_service(self.store),
            autoscaling_service(self.autoscaling),
        ]
        verifier = SigV4Verifier(settings.credentials, settings.max_clock_skew_s)
        self.router = Router(
            [
                self._function_urls(),  # before SigV4: URLs authorize on their own
                AdminService(AdminApi(self.queue), verifier),
                InternalService(self.code.zip_path, signer, self.health),
                AwsFrontDoor(self.aws_services, verifier, settings.account_id),
            ]
        )
        self.app = App(self.router)
        self.components: list[Component] = [
            Hook("store", close=self.store.close),
            self.supervisor,
            Hook("log-sink", self.sink.start, self.sink.close),  # closes after the instances
            Hook("registry", self.registry.load),
            Hook("instances", self.manager.start, self.manager.close),
            Hook("event-invoke-config", self.event_invoke.load),
            Hook("function-urls", self.urls.load),
            Hook("resource-policies", self.policies.load),
            Hook("sqs", self._start_queues, self._close_queues),
            Hook("async-queue", self.queue.start, self.queue.close),
            Hook("function-transitions", self.functions.resume_transitions),
            Hook("provisioned", self.provisioned.load, self.provisioned.close),
            Hook("autoscaling", self._start_autoscaling, self._close_autoscaling),
        ]
        self.lifecycle = Lifecycle(self.components)

    def _function_urls(self) -> FunctionUrls:
        """Serving function URLs; AWS_IAM ones also accept other accounts' credentials."""
        foreign = self.settings.foreign_credentials
        creds = {k: secret for k, (secret, _account) in foreign.items()}
        creds.update(self.settings.credentials)
        verifier = SigV4Verifier(creds, self.settings.max_clock_skew_s)
        accounts = {
            k: account
            for k, (_secret, account) in foreign.items()
            if k not in self.settings.credentials
        }
        return FunctionUrls(self.urls, self.policies, self.invoker, verifier, accounts)

    async def _start_queues(self) -> None:
        await self.queues.start()
        self.supervisor.loop("sqs-retention", self.queues.expire_step)

    async def _close_queues(self) -> None:
        await self.supervisor.stop("sqs-retention")
        await self.queues.close()

    def _start_autoscaling(self) -> None:
        self.autoscaling.load()
        self.supervisor.loop("autoscaling-target-tracking", self.autoscaling.step)

    async def _close_autoscaling(self) -> None:
        await self.supervisor.stop("autoscaling-target-tracking")

    def health(self) -> dict[str, Any]:
        """The supervisor's status (``ok``/``degraded``, naming failing components) and counts."""
        return {
            **self.supervisor.health(),
            "version": __version__,
            "functions": len(self.registry.names()),
            "instances": len(self.manager.instances()),
        }

    async def start(self) -> None:
        await self.lifecycle.start()
        level = logging.WARNING if "DEGRADED" in self.isolation.description else logging.INFO
        log.log(
            level,
            "%s; instances forked from a runtime zygote (%s mode)",
            self.isolation.description,
            self.settings.spawn_mode,
        )

    async def close(self) -> None:
        await self.lifecycle.close()

    async def run(self) -> None:
        await self.start()
        config = uvicorn.Config(
            self.app,
            host=self.settings.host,
            port=self.settings.port,
            lifespan="off",
            access_log=False,
            http="httptools",
            loop="none",
            log_level="warning",
            timeout_keep_alive=75,
            # Per-request work uvicorn would otherwise do for every Invoke: no proxy header
            # rewriting (we bind loopback by default), no Server header.
            proxy_headers=False,
            server_header=False,
        )
        server = _Uvicorn(config)
        server.on_stop = self.queues.interrupt_waits  # long polls must not hold up shutdown
        try:
            log.info(
                "Ovis %s listening on %s (data: %s)",
                __version__,
                self.settings.base_url,
                self.settings.data_dir,
            )
            await server.serve()
        finally:
            await self.close()
            log.info("Ovis stopped")


class _Uvicorn(uvicorn.Server):
    """uvicorn re-raises the stop signal after serving, which would kill the process before
    our own shutdown (instances, queue, store) runs; we stop on the signal and return instead."""

    on_stop: Callable[[], None] | None = None  # called on the stop signal, before draining

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._stop)
        try:
            yield
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    def _stop(self) -> None:
        if self.on_stop is not None:
            self.on_stop()
        if self.should_exit:
            self.force_exit = True
        self.should_exit = True


def run(settings: Settings) -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        import uvloop

        uvloop.run(Server(settings).run())
    except ImportError:
        asyncio.run(Server(settings).run())
