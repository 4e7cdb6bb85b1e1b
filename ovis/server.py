"""The composition root: settings -> storage -> services -> api + workers, and their shutdown."""

from __future__ import annotations

import asyncio
import contextlib
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
from ovis.frontdoor.admin import AdminApi
from ovis.frontdoor.app import App, CodeUrlSigner
from ovis.services.lambda_.event_invoke_ops import AsyncApi
from ovis.services.autoscaling.operations import AutoscalingApi
from ovis.services.lambda_.url_endpoint import FunctionUrls
from ovis.services.lambda_.function_ops import LambdaApi
from ovis.services.lambda_.layer_ops import LayersApi
from ovis.services.logs.operations import LogsApi
from ovis.frontdoor.legacy_codecs import service_model
from ovis.services.lambda_.provisioned_ops import ProvisionedApi
from ovis.frontdoor.sigv4 import SigV4Verifier
from ovis.services.sqs.operations import SqsApi
from ovis.services.lambda_.streaming import StreamingApi
from ovis.services.lambda_.url_ops import UrlsApi
from ovis.services.lambda_.version_ops import VersionsApi
from ovis.services.autoscaling.scaling import AutoscalingService
from ovis.services.lambda_.concurrency import ConcurrencyService
from ovis.services.lambda_.event_invoke import EventInvokeService
from ovis.services.lambda_.functions import FunctionService
from ovis.services.lambda_.layers import LayerService
from ovis.services.lambda_.permissions import PolicyService
from ovis.services.lambda_.urls import UrlService
from ovis.services.lambda_.versions import VersionService
from ovis.invoke.async_queue import AsyncQueue
from ovis.invoke.invoker import Invoker
from ovis.invoke.provisioned import ProvisionedService
from ovis.invoke.registry import FunctionRegistry
from ovis.logs.sink import LogSink
from ovis.services.sqs import QueueService
from ovis.sandbox.isolation import Isolation
from ovis.sandbox.pool import InstanceManager
from ovis.settings import Settings
from ovis.storage.code import CodeStore
from ovis.storage.images import ImageStore
from ovis.storage.sqlite import SqliteStore

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


class Server:
    """Owns every long-lived component. ``run()`` serves until SIGINT/SIGTERM, then closes all."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        data = settings.data_dir.resolve()
        data.mkdir(parents=True, exist_ok=True)
        self.store = SqliteStore(data / "ovis.db")
        self.code = CodeStore(data / "code")
        self.images = ImageStore(data / "images")  # written by `ovis image import`
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
        self.app = App(
            SigV4Verifier(settings.credentials, settings.max_clock_skew_s),
            LambdaApi(
                self.functions,
                self.invoker,
                self.queue,
                signer.url,
                ConcurrencyService(self.functions, self.invoker.limiter),
                extra_handlers=[
                    VersionsApi(self.versions).handlers,
                    LayersApi(self.layers, signer.url).handlers,
                    ProvisionedApi(self.provisioned, self.functions).handlers,
                    AsyncApi(self.event_invoke).handlers,
                    UrlsApi(self.urls, self.policies).handlers,
                    StreamingApi(self.functions, self.invoker).handlers,
                ],
                publish=self.versions.publish,
            ),
            LogsApi(self.store),
            self.code.zip_path,
            signer,
            self.health,
            AutoscalingApi(self.autoscaling),
        )
        self.app.admin = self._admin()
        self.app.sqs_api = SqsApi(self.queues)
        self.app.function_urls = self._function_urls()

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

    def _admin(self) -> AdminApi:
        return AdminApi(self.queue)

    def health(self) -> dict[str, Any]:
        return {
            "status": "ok",
            "version": __version__,
            "functions": len(self.registry.names()),
            "instances": len(self.manager.instances()),
        }

    async def start(self) -> None:
        self.registry.load()
        await self.manager.start()
        self.sink.start()
        self.event_invoke.load()
        self.urls.load()
        self.policies.load()
        await self.queues.start()
        self.queue.start()
        await self.functions.resume_transitions()
        self.provisioned.load()
        self.autoscaling.load()
        self.autoscaling.start()
        level = logging.WARNING if "DEGRADED" in self.isolation.description else logging.INFO
        log.log(
            level,
            "%s; instances forked from a runtime zygote (%s mode)",
            self.isolation.description,
            self.settings.spawn_mode,
        )

    async def close(self) -> None:
        await self.autoscaling.close()
        await self.provisioned.close()
        await self.queue.close()
        await self.queues.close()
        await self.manager.close()
        await self.sink.close()
        self.store.close()

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
