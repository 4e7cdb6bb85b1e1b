"""The composition root: settings -> storage -> services -> api + workers, and their shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import uvicorn

from ovis import __version__
from ovis.api.admin_api import AdminApi
from ovis.api.app import App, CodeUrlSigner
from ovis.api.async_api import AsyncApi
from ovis.api.autoscaling_api import AutoscalingApi
from ovis.api.function_urls import FunctionUrls
from ovis.api.lambda_api import LambdaApi
from ovis.api.layers_api import LayersApi
from ovis.api.logs_api import LogsApi
from ovis.api.model import service_model
from ovis.api.provisioned_api import ProvisionedApi
from ovis.api.sigv4 import SigV4Verifier
from ovis.api.sqs_api import SqsApi
from ovis.api.streaming import StreamingApi
from ovis.api.urls_api import UrlsApi
from ovis.api.versions_api import VersionsApi
from ovis.control.autoscaling import AutoscalingService
from ovis.control.concurrency import ConcurrencyService
from ovis.control.event_invoke import EventInvokeService
from ovis.control.functions import FunctionService
from ovis.control.layers import LayerService
from ovis.control.permissions import PolicyService
from ovis.control.urls import UrlService
from ovis.control.versions import VersionService
from ovis.invoke.async_queue import AsyncQueue
from ovis.invoke.invoker import Invoker
from ovis.invoke.provisioned import ProvisionedService
from ovis.invoke.registry import FunctionRegistry
from ovis.logs.sink import LogSink
from ovis.queues import QueueService
from ovis.runtimes.registry import host_runtimes
from ovis.sandbox.isolation import Isolation
from ovis.sandbox.pool import InstanceManager
from ovis.settings import Settings
from ovis.storage.code import CodeStore
from ovis.storage.images import ImageStore
from ovis.storage.sqlite import SqliteStorage
from ovis.supervisor import Supervisor

log = logging.getLogger("ovis")


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
        self.supervisor = Supervisor()  # every background loop runs under it (health)
        data = settings.data_dir.resolve()
        data.mkdir(parents=True, exist_ok=True)
        self.storage = SqliteStorage(data / "ovis.db")
        self.code = CodeStore(data / "code")
        self.images = ImageStore(data / "images")  # written by `ovis image import`
        self.registry = FunctionRegistry(self.storage.functions)
        self.runtimes = host_runtimes(service_model("lambda").shape_for("Runtime").enum)
        os.chmod(data, 0o700)  # instances (other uids) must not read other functions' code
        self.isolation = Isolation.probe(settings.isolation)
        self.manager = InstanceManager(
            self.isolation,
            settings.spawn_mode,
            settings.idle_ttl_s,
            settings.freeze_after_s,
            settings.memory_budget_mb or None,
            supervisor=self.supervisor,
        )
        self.sink = LogSink(self.storage.logs, supervisor=self.supervisor)
        self.invoker = Invoker(
            settings,
            self.registry,
            self.manager,
            self.code,
            self.sink,
            self.runtimes,
            images=self.images,
            concurrency=self.storage.concurrency,
        )
        self.queue = AsyncQueue(
            self.storage.async_events,
            self.registry,
            self.invoker,
            settings.async_workers,
            settings.async_retry_scale,
            supervisor=self.supervisor,
        )
        self.layers = LayerService(settings, self.storage.layers, self.code)
        self.functions = FunctionService(
            settings,
            self.registry,
            self.code,
            self.runtimes,
            self.layers,
            images=self.images,
            tags=self.storage.tags,
        )
        signer = CodeUrlSigner(settings.base_url, _secret(data))
        self.versions = VersionService(self.functions)
        self.provisioned = ProvisionedService(self.invoker, self.storage.concurrency)
        self.event_invoke = EventInvokeService(self.functions, self.storage.event_invoke)
        # SQS-compatible queues
        self.queues = QueueService(self.storage.queues, settings, self.storage.tags)
        self.queue.attach(self.event_invoke, self.queues)
        self.autoscaling = AutoscalingService(settings, self.storage.autoscaling, self.provisioned)
        self.urls = UrlService(self.functions, self.storage.urls)  # function URLs
        # function resource policies
        self.policies = PolicyService(self.functions, self.storage.policies)
        self.app = App(
            SigV4Verifier(settings.credentials, settings.max_clock_skew_s),
            LambdaApi(
                self.functions,
                self.invoker,
                self.queue,
                signer.url,
                ConcurrencyService(self.functions, self.invoker.limiter, self.storage.concurrency),
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
            LogsApi(self.storage.logs),
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
            **self.supervisor.health(),
            "version": __version__,
            "functions": len(self.registry.names()),
            "instances": len(self.manager.instances()),
        }

    async def start(self) -> None:
        self.registry.load()
        await self.manager.start()
        await self.sink.start()
        self.event_invoke.load()
        self.urls.load()
        self.policies.load()
        await self.queues.start()
        await self.queue.start()
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
        await self.supervisor.close()
        self.storage.close()

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
