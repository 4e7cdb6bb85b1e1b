"""The composition root: settings -> storage -> services -> api + workers, and their shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import hmac
import inspect
import logging
import os
import secrets
import signal
import socket
import tempfile
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import uvicorn

from ovis import __version__
from ovis.apps.gitrepos import GitRepos
from ovis.apps.pipeline import Pipeline
from ovis.apps.runner import PipelineRunner
from ovis.apps.service import AppService
from ovis.auth.credentials import CredentialBook
from ovis.auth.sigv4 import FixedScope, SigV4Verifier
from ovis.frontdoor.access_log import AccessLog
from ovis.frontdoor.admin import AdminApi, AdminService
from ovis.frontdoor.app import App
from ovis.frontdoor.apps_api import AppsApiService
from ovis.frontdoor.aws import AwsFrontDoor
from ovis.frontdoor.console.apps import ConsoleApps
from ovis.frontdoor.console.service import ConsoleService
from ovis.frontdoor.git import GitService
from ovis.frontdoor.internal import CodeUrlSigner, InternalService
from ovis.frontdoor.prometheus import MappingView, MetricsEndpoint, MetricSources
from ovis.frontdoor.router import Router
from ovis.frontdoor.signing_scope import RequestScopes
from ovis.invoke.async_queue import AsyncQueue
from ovis.invoke.invoker import Invoker
from ovis.invoke.metrics import PlatformMetrics
from ovis.invoke.provisioned import ProvisionedService
from ovis.invoke.registry import FunctionRegistry
from ovis.logs.sink import LogSink
from ovis.models.arn import parse_function_ref
from ovis.models.event_source_mapping import MappingState, SourceKind
from ovis.protocols.model import service_model
from ovis.runtimes.registry import host_runtimes
from ovis.sandbox import netns
from ovis.sandbox.isolation import Isolation
from ovis.sandbox.pool import InstanceManager
from ovis.services.autoscaling.scaling import AutoscalingService
from ovis.services.autoscaling.service import autoscaling_service
from ovis.services.calls import InProcessCalls
from ovis.services.cloudformation.resources import registry as cfn_registry
from ovis.services.cloudformation.resources.base import ResourceProvider
from ovis.services.cloudformation.service import CloudFormation, cloudformation_service
from ovis.services.cloudwatch import AlarmService, MetricService
from ovis.services.cloudwatch.retention import MetricRetention
from ovis.services.cloudwatch.service import cloudwatch_service
from ovis.services.context import AwsService
from ovis.services.dynamodb.service import DynamoDb
from ovis.services.events import EventBusService, events_service
from ovis.services.iam.authorizer import IamAuthorizer, function_policies, policy_attribute
from ovis.services.iam.service import Iam, iam_service
from ovis.services.kinesis import StreamService
from ovis.services.kinesis.service import kinesis_service
from ovis.services.lambda_.concurrency import ConcurrencyService
from ovis.services.lambda_.dev_loop import DevLoop
from ovis.services.lambda_.esm.mappings import MappingService
from ovis.services.lambda_.esm.runner import MappingRunner
from ovis.services.lambda_.esm.sqs_poller import SqsPollerFactory
from ovis.services.lambda_.esm.stream_poller import StreamPollerFactory
from ovis.services.lambda_.esm.target import FunctionTarget
from ovis.services.lambda_.event_invoke import EventInvokeService
from ovis.services.lambda_.functions import FunctionService
from ovis.services.lambda_.garbage import CodeCollector
from ovis.services.lambda_.layers import LayerService
from ovis.services.lambda_.operations import LambdaUseCases
from ovis.services.lambda_.permissions import PolicyService
from ovis.services.lambda_.service import lambda_service
from ovis.services.lambda_.triggers import ServiceTriggers
from ovis.services.lambda_.url_endpoint import FunctionUrls
from ovis.services.lambda_.urls import UrlService
from ovis.services.lambda_.versions import VersionService
from ovis.services.logs.delivery import SubscriptionDelivery
from ovis.services.logs.service import logs_service
from ovis.services.s3.reader import ObjectReads
from ovis.services.s3.service import S3Service
from ovis.services.scheduler import Scheduler, scheduler_service
from ovis.services.schemas.service import schemas_service
from ovis.services.sns import TopicService
from ovis.services.sns.endpoint import SnsPublicEndpoints
from ovis.services.sns.http_client import HttpClient
from ovis.services.sns.service import sns_service
from ovis.services.sns.signing import ServerSigner
from ovis.services.sqs import QueueService
from ovis.services.sqs.service import sqs_service
from ovis.services.sqs.source import SqsQueueSource
from ovis.services.sts.service import sts_service
from ovis.services.sts.sessions import StsService
from ovis.settings import Settings
from ovis.storage.code import CodeStore
from ovis.storage.images import ImageStore
from ovis.storage.objects import ObjectStore
from ovis.storage.sqlite import SqliteStorage
from ovis.supervisor import Component, Lifecycle, Supervisor

log = logging.getLogger("ovis")


def _secret(data_dir: Path) -> bytes:
    path = data_dir / "server-secret"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(secrets.token_bytes(32))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    return path.read_bytes()


def _derived_key(secret: bytes, purpose: str) -> bytes:
    """A key for one purpose from the server secret, so no two features share a key (a token
    minted for one can never pass another's check)."""
    return hmac.new(secret, purpose.encode(), hashlib.sha256).digest()


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
        self.supervisor = Supervisor()  # every background loop runs under it (health)
        data = settings.data_dir.resolve()
        data.mkdir(parents=True, exist_ok=True)
        # ---- storage
        self.storage = SqliteStorage(data / "ovis.db")
        self.code = CodeStore(data / "code")
        # reclaims code nothing references (a loop; started among the components below)
        self.code_garbage = CodeCollector(
            self.code, self.storage.functions, self.storage.layers, self.supervisor
        )
        self.images = ImageStore(data / "images")  # written by `ovis image import`
        self.objects = ObjectStore(data / "objects")  # S3 object contents
        # ---- invocation
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
        # AWS/Lambda metrics and EMF log lines, aggregated in memory, flushed in batches
        self.platform_metrics = (
            PlatformMetrics(
                self.storage.metrics,
                self.supervisor,
                resolution_s=60 * settings.cloudwatch_time_scale,
            )
            if settings.metrics
            else None
        )
        self.sink.metrics = self.platform_metrics
        self.invoker = Invoker(
            settings,
            self.registry,
            self.manager,
            self.code,
            self.sink,
            self.runtimes,
            images=self.images,
            concurrency=self.storage.concurrency,
            metrics=self.platform_metrics,
        )
        self.queue = AsyncQueue(
            self.storage.async_events,
            self.registry,
            self.invoker,
            settings.async_workers,
            settings.async_retry_scale,
            supervisor=self.supervisor,
        )
        # ---- use cases
        # IAM roles and policies; STS's temporary credentials, which every service accepts
        self.iam = Iam.build(self.storage.iam, settings.account_id)
        self.credentials = CredentialBook(
            settings.credentials, settings.account_id, self.storage.iam
        )
        self.sts = StsService(
            self.credentials,
            self.iam.catalog,
            settings.account_id,
            settings.sts_duration_scale,
            strict=settings.strict_iam,
        )
        self.invoker.sessions = self.sts  # instances run with role sessions, not our keys
        s3_reads = ObjectReads(self.storage.s3, self.objects)  # Lambda code from S3
        self.layers = LayerService(settings, self.storage.layers, self.code, s3_reads)
        self.functions = FunctionService(
            settings,
            self.registry,
            self.code,
            self.runtimes,
            self.layers,
            images=self.images,
            tags=self.storage.tags,
            roles=self.iam.roles if settings.strict_iam else None,
            objects=s3_reads,
        )
        signer = CodeUrlSigner(settings.base_url, _secret(data))
        self.versions = VersionService(self.functions)
        self.provisioned = ProvisionedService(self.invoker, self.storage.concurrency)
        self.event_invoke = EventInvokeService(self.functions, self.storage.event_invoke)
        # SQS-compatible queues
        self.queues = QueueService(self.storage.queues, settings, self.storage.tags)
        self.queues.metrics = self.platform_metrics  # AWS/SQS metrics
        # Kinesis-compatible streams (iterators are signed with the server's secret)
        self.streams = StreamService(
            self.storage.streams,
            self.storage.tags,
            settings.region,
            settings.account_id,
            _derived_key(_secret(data), "kinesis-shard-iterators"),
        )
        self.autoscaling = AutoscalingService(settings, self.storage.autoscaling, self.provisioned)
        self.urls = UrlService(self.functions, self.storage.urls)  # function URLs
        # function resource policies
        self.policies = PolicyService(self.functions, self.storage.policies)
        self.authorizer = IamAuthorizer(  # IAM evaluation for role sessions
            self.credentials,
            self.iam.catalog,
            settings.account_id,
            strict=settings.strict_iam,
            resource_policies={
                "lambda": function_policies(self.policies.get_policy),
                "sqs": policy_attribute(
                    lambda arn: self.queues.queue_by_arn(arn).attributes.get("Policy")
                ),
                "sns": policy_attribute(  # self.topics is built below; read per request
                    lambda arn: self.topics.catalog.topic(arn).attributes.get("Policy")
                ),
            },
        )
        # how SNS, EventBridge and Scheduler start functions (async, policy-checked)
        self.triggers = ServiceTriggers(self.functions, self.policies, self.queue)
        # event source mappings: the API's use cases and the runner that keeps their pollers
        self.mappings = MappingService(
            self.functions,
            self.storage.event_source_mappings,
            self.storage.tags,
            SqsQueueSource(self.queues),
            streams=self.streams,
        )
        # SNS-compatible topics: fan-out to functions, queues and http(s) endpoints
        self.topics = TopicService(
            self.storage.topics,
            self.storage.tags,
            region=settings.region,
            account=settings.account_id,
            base_url=settings.base_url,
            signer=ServerSigner(data, settings.base_url),
            triggers=self.triggers,
            queues=self.queues,
            http=HttpClient(),
            retry_scale=settings.sns_retry_scale,
            supervisor=self.supervisor,
        )
        # CloudWatch metrics and alarms; alarm actions publish to SNS topics
        self.cloudwatch = MetricService(self.storage.metrics)
        self.alarms = AlarmService(
            self.storage.metrics,
            self.cloudwatch,
            settings.region,
            settings.account_id,
            topics=self.topics,
            time_scale=settings.cloudwatch_time_scale,
            supervisor=self.supervisor,
        )
        self.autoscaling.watch(self.cloudwatch, self.alarms, self.platform_metrics)
        # stream mappings: Kinesis pollers with durable checkpoints, OnFailure records to SQS/SNS
        self.stream_pollers = StreamPollerFactory(
            self.streams,
            lambda arn: FunctionTarget(self.invoker, arn),
            self.storage.checkpoints,
            self.queues,
            settings.region,
            identity_for=self._function_role,
            deleted=self._mapping_deleted,
            topics=self.topics,
        )
        self.mapping_runner = MappingRunner(
            self.mappings,
            self.supervisor,
            factories={
                SourceKind.KINESIS: self.stream_pollers,
                SourceKind.SQS: SqsPollerFactory(SqsQueueSource(self.queues), self.invoker),
            },
        )
        # CloudWatch Logs subscription filters: matching lines go to functions, off the hot path
        self.log_subscriptions = SubscriptionDelivery(
            self.storage.logs,
            self.storage.log_groups,
            self.triggers,
            settings.region,
            settings.account_id,
            supervisor=self.supervisor,
        )
        self.sink.flushed = self.log_subscriptions.notify
        # EventBridge-compatible event buses: targets are functions, queues, topics, buses
        self.events = EventBusService(
            self.storage.event_buses,
            self.storage.tags,
            settings,
            supervisor=self.supervisor,
            functions=self.triggers,
            queues=self.queues,
            topics=self.topics,
        )
        # EventBridge Scheduler (the sns and events packages plug in as topics= / buses=)
        self.scheduler = Scheduler(
            self.storage.schedules,
            self.storage.tags,
            settings.region,
            settings.account_id,
            self.supervisor,
            functions=self.triggers,
            queues=self.queues,
            topics=self.topics,
            buses=self.events,
            retry_scale=settings.async_retry_scale,
        )
        # async invocation's destinations: queues, topics, buses (and functions, through itself)
        self.queue.attach(self.event_invoke, self.queues, topics=self.topics, buses=self.events)
        # S3-compatible buckets; notifications start functions and feed queues
        self.s3 = S3Service(
            self.storage.s3,
            self.objects,
            settings.region,
            settings.account_id,
            functions=self.triggers,
            queues=self.queues,
            topics=self.topics,
        )
        # CloudFormation stacks: resource handlers call the services in process (self.calls,
        # built below from aws_services, which include CloudFormation's own table: late bound)
        self._cfn_providers: dict[str, ResourceProvider] = {}
        self.cloudformation = CloudFormation(
            self.storage.stacks,
            lambda: self._cfn_providers,
            self.supervisor,
            s3_reads,
            settings.region,
            settings.account_id,
            settle_s=settings.cfn_settle_s,
        )
        # DynamoDB-compatible tables (items, indexes, TTL, change records)
        self.dynamodb = DynamoDb(
            self.storage.dynamodb,
            self.storage.tags,
            settings.region,
            settings.account_id,
            self.supervisor,
        )
        # ---- service packages and the front door
        self.aws_services: list[AwsService] = [
            lambda_service(
                LambdaUseCases(
                    self.functions,
                    self.invoker,
                    self.queue,
                    signer.url,
                    ConcurrencyService(
                        self.functions, self.invoker.limiter, self.storage.concurrency
                    ),
                    self.versions,
                    self.layers,
                    self.provisioned,
                    self.event_invoke,
                    self.urls,
                    self.policies,
                    self.mappings,
                )
            ),
            sqs_service(self.queues),
            sns_service(self.topics),
            logs_service(
                self.storage.logs,
                self.storage.log_groups,
                functions=self.triggers,
                notify=self.log_subscriptions.notify,
            ),
            autoscaling_service(self.autoscaling),
            kinesis_service(self.streams),
            events_service(self.events),
            scheduler_service(self.scheduler),
            sts_service(self.sts),
            iam_service(self.iam),
            self.s3,
            cloudwatch_service(self.cloudwatch, self.alarms),
            cloudformation_service(self.cloudformation),
            schemas_service(self.storage.schemas, settings.region, settings.account_id),
            self.dynamodb,
        ]
        # how one service drives another's operations (CloudFormation's resource handlers)
        self.calls = InProcessCalls(self.aws_services)
        self.calls.authorizer = self.authorizer  # console calls by role sessions: IAM-evaluated
        self._cfn_providers = cfn_registry.providers(self.calls)
        verifier = SigV4Verifier(
            self.credentials,
            settings.max_clock_skew_s,
            scopes=RequestScopes(self.aws_services, settings.region),
        )
        # applications: git repositories served over smart HTTP, a pipeline run on each push
        repos = GitRepos(data / "git")
        # builds' scratch: outside the data directory (0700), as builds may run as another uid
        scratch = f"ovis-pipelines-{hashlib.sha256(str(data).encode()).hexdigest()[:12]}"
        self.pipelines = PipelineRunner(
            self.storage.pipelines,
            Pipeline(
                self.storage.pipelines,
                repos,
                self.calls,
                settings.region,
                settings.account_id,
                settings.base_url,
                Path(tempfile.gettempdir()) / scratch,
                data,  # hidden from builds
            ),
            self.supervisor,
        )
        self.apps = AppService(
            self.storage.pipelines, repos, self.pipelines, self.calls, settings.base_url
        )
        self.access = AccessLog(self.supervisor)  # an access line per API request
        # Prometheus /metrics: every number read at scrape time (a private registry per server)
        self.prometheus = MetricsEndpoint(
            MetricSources(
                requests=self.access.stats,
                instances=self.manager.instances,
                cold_starts=lambda: self.manager.cold_starts,
                mappings=self._mapping_views,
                async_backlog=self.queue.backlog,
                queue_depths=self.queues.depths,
            )
        )
        self.storage.observe_commits(self.prometheus.sources.store.observe)
        self.router = Router(
            [
                self._function_urls(),  # before SigV4: URLs authorize on their own
                AdminService(
                    AdminApi(self.queue, self._dev_loop()), verifier, self.authorizer.is_admin
                ),
                GitService(repos, self.credentials, self.apps.pushed),  # /git/NAME.git
                AppsApiService(self.apps, verifier),  # /_ovis/apps
                SnsPublicEndpoints(self.topics),  # SubscribeURL, UnsubscribeURL, cert
                self.prometheus,  # GET /metrics (unsigned) and /_ovis/metrics
                ConsoleService(  # /console/: the web console, over the same calls
                    self.calls,
                    self.credentials,
                    self.code.zip_path,
                    _derived_key(_secret(data), "console-signin"),
                    settings.account_id,
                    settings.region,
                    list(self.runtimes),
                    [s.name for s in self.aws_services],
                    [ConsoleApps(self.apps, self.calls)],  # /console/api/apps
                ),
                InternalService(self.code.zip_path, signer, self.health),
                AwsFrontDoor(
                    self.aws_services, verifier, settings.account_id, self.access, self.authorizer
                ),
            ]
        )
        self.app = App(self.router)
        self.components: list[Component] = [
            Hook("store", close=self.storage.close),
            Hook("credentials", self.credentials.load),
            Hook("iam", self.iam.catalog.load),
            self.supervisor,
            self.access,
            # the metrics flush closes after the log sink (EMF lines) and the instances
            *([self.platform_metrics] if self.platform_metrics is not None else []),
            self.sink,  # closes after the instances, so their last lines are written
            Hook("registry", self.registry.load),
            Hook("instances", self.manager.start, self.manager.close),
            Hook("event-invoke-config", self.event_invoke.load),
            Hook("function-urls", self.urls.load),
            Hook("resource-policies", self.policies.load),
            Hook("sqs", self._start_queues, self._close_queues),
            Hook("kinesis", self._start_streams, self._close_streams),
            self.dynamodb,  # loads its tables, runs dynamodb-ttl
            self.queue,
            self.topics,  # after sqs and the async queue: it delivers to both
            self.log_subscriptions,  # after the async queue, which its deliveries go to
            self.alarms,  # after the topics its actions publish to
            MetricRetention(self.storage.metrics, settings.cloudwatch_time_scale, self.supervisor),
            self.events,  # after SQS and the async queue, which its targets use
            Hook("function-transitions", self.functions.resume_transitions),
            self.code_garbage,  # after the functions' transitions: reads what they store
            self.mapping_runner,  # after SQS and the functions: its pollers read and invoke them
            Hook("stream-checkpoints", self._prune_checkpoints),  # of mappings deleted mid-way
            Hook("provisioned", self.provisioned.load, self.provisioned.close),
            Hook("autoscaling", self._start_autoscaling, self._close_autoscaling),
            self.scheduler,  # after SQS and the async queue: its fires go to them
            Hook("s3", self._start_s3, self._close_s3),
            self.cloudformation,  # its operations call every service above
            self.pipelines,  # last: its deploys go through CloudFormation
        ]
        self.lifecycle = Lifecycle(self.components)

    def _function_role(self, function_arn: str) -> str:
        """A mapping's invokeIdentityArn: the execution role of the version it invokes."""
        ref = parse_function_ref(function_arn)
        return self.invoker.resolve(ref.name, ref.qualifier).role

    def _mapping_views(self) -> list[MappingView]:
        """Running mappings with their pollers' counters (for /metrics)."""
        out: list[MappingView] = []
        for uuid, stats in list(self.mappings.stats.items()):
            m = self.mappings.current(uuid)
            if m is not None:
                out.append(MappingView(uuid, m.function_arn, m.event_source_arn, stats))
        return out

    def _mapping_deleted(self, uuid: str) -> bool:
        m = self.mappings.current(uuid)
        return m is None or m.state == MappingState.DELETING

    async def _prune_checkpoints(self) -> None:
        await self.stream_pollers.prune(lambda: [m.uuid for m in self.mappings.all()])

    def _dev_loop(self) -> DevLoop:
        """`ovis dev` and `--debug` (admin endpoints): $LATEST from a directory, debuggers."""
        return DevLoop(self.registry, self.invoker.dev, self.isolation.drop_uid)

    def _function_urls(self) -> FunctionUrls:
        """Serving function URLs; AWS_IAM ones also accept other accounts' credentials (and
        STS's temporary ones, as every service does)."""
        foreign = self.settings.foreign_credentials
        creds = {k: secret for k, (secret, _account) in foreign.items()}
        verifier = SigV4Verifier(
            self.credentials.with_extra(creds),
            self.settings.max_clock_skew_s,
            scopes=FixedScope("lambda", self.settings.region),
        )
        accounts = {
            k: account
            for k, (_secret, account) in foreign.items()
            if k not in self.settings.credentials
        }
        return FunctionUrls(self.urls, self.policies, self.invoker, verifier, accounts)

    async def _start_queues(self) -> None:
        await self.queues.start()
        self.supervisor.loop("sqs-retention", self.queues.expire_step)
        if self.platform_metrics is not None:
            self.supervisor.loop("sqs-metrics", self.queues.metrics_step)

    async def _close_queues(self) -> None:
        await self.supervisor.stop("sqs-retention")
        await self.queues.close()

    async def _start_streams(self) -> None:
        await self.streams.start()
        self.supervisor.loop("kinesis-retention", self.streams.trim_step)

    async def _close_streams(self) -> None:
        await self.supervisor.stop("kinesis-retention")
        await self.streams.close()

    async def _start_s3(self) -> None:
        await self.s3.start()
        self.supervisor.loop("s3-notifications", self.s3.step)

    async def _close_s3(self) -> None:
        await self.supervisor.stop("s3-notifications")

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
            "code_garbage": self.code_garbage.stats(),
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
        log.warning("%s", netns.probe().description)

    async def close(self) -> None:
        await self.lifecycle.close()

    async def run(self, sock: socket.socket | None = None) -> None:
        """Serve until a stop signal; ``sock`` is the listening socket (bound by ``run()``
        before anything else, so a busy port fails before the data directory is opened)."""
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
            await server.serve(sockets=[sock] if sock is not None else None)
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


class PortInUse(Exception):
    """The server's address cannot be bound (another server, or another program, has it)."""


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``; PortInUse with a clear message if busy."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise PortInUse(
                f"{host}:{port} is already in use (is another Ovis server running?); "
                "stop it or choose another --port"
            ) from None
        raise PortInUse(f"cannot listen on {host}:{port}: {e.strerror}") from None
    sock.set_inheritable(False)
    return sock


def run(settings: Settings) -> None:
    logging.basicConfig(
        level=getattr(logging, settings.log_level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Bind first: a second server on a busy port must fail before it opens (and, as root,
    # chowns and migrates) the data directory or logs that it is listening.
    sock = listen(settings.host, settings.port)
    try:
        import uvloop

        uvloop.run(Server(settings).run(sock))
    except ImportError:
        asyncio.run(Server(settings).run(sock))
