"""One run of an application's pipeline: source -> build -> test -> deploy.

- source: the pushed commit's tree exported into a fresh scratch directory;
- build: ``buildspec.yml``'s phases in order, each phase's commands as one ``sh -e`` script in
  the sandbox (``sandbox.py``: own process group, scratch dir, the build's time limit, an
  environment of the buildspec's variables, the CodeBuild-style ``CODEBUILD_*`` variables and a
  short-lived STS session of the app's owner, never the server's environment). As CodeBuild
  does, a failing install or pre_build stops the build; post_build runs after a failing build
  (``CODEBUILD_BUILD_SUCCEEDING=0``) and the stage fails;
- test: ``python -m pytest`` in the scratch directory (the template's unit tests), same sandbox;
- deploy: ``deploy.py`` (a change set created and executed; the stack waited for).

Contract: ``await execute(app, run, cancel)`` returns the run in its terminal state, having
stored each stage's start and end as it went. ``cancel`` set before the deploy stage starts
(a newer push) ends the run Superseded, killing the build or test process; once deploying,
the run finishes (a CloudFormation operation is not abandoned half-way). Every line goes to the
run's log (``runlog.py``). The scratch directory is removed at the end.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path

from ovis.apps import buildspec, limits, sandbox
from ovis.apps.deploy import DeployError, deploy
from ovis.apps.gitrepos import GitError, GitRepos
from ovis.apps.models import App, Run, RunState, Stage
from ovis.apps.repository import PipelineRepository
from ovis.apps.runlog import RunLog
from ovis.errors import ApiError
from ovis.sandbox.cgroups import Cgroup
from ovis.services.calls import Caller, ServiceCalls

log = logging.getLogger("ovis.apps")

SESSION_S = 900  # the build's credentials: STS's shortest session


class StageFailed(Exception):
    pass


class Superseded(Exception):
    pass


@dataclass(frozen=True)
class _Box:
    """What a run's build and test commands run in."""

    app: App
    scratch: Path
    runlog: RunLog
    deadline: float
    cancel: asyncio.Event
    cgroup: Cgroup | None


class Pipeline:
    def __init__(
        self,
        store: PipelineRepository,
        repos: GitRepos,
        calls: ServiceCalls,
        region: str,
        account_id: str,
        base_url: str,
        scratch_root: Path,
        hide: Path,
    ) -> None:
        self.store = store
        self.repos = repos
        self.calls = calls
        self.region = region
        self.account_id = account_id
        self.base_url = base_url
        self.scratch_root = scratch_root
        self.hide = hide  # the data directory: never within a build's reach
        self.confinement: sandbox.Confinement | None = None  # probed on start()
        self.groups: limits.BuildGroups | None = None  # the builds' cgroups, probed on start()
        self.groups_note = ""

    def start(self) -> None:
        """Probe how builds can be confined and limited (blocking: run it in a thread)."""
        self.scratch_root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.scratch_root, 0o711)  # the build user reaches its own directory only
        probe = Path(tempfile.mkdtemp(prefix="probe-", dir=self.scratch_root))
        try:
            os.chmod(probe, 0o755)
            self.confinement = sandbox.confine(self.hide, probe)
        finally:
            shutil.rmtree(probe, ignore_errors=True)
        self.groups, self.groups_note = limits.BuildGroups.probe()
        if self.groups is None:
            log.warning("pipeline builds run without cgroup limits: %s", self.groups_note)

    def close(self) -> None:
        """Kill what builds are left and remove their cgroups (blocking)."""
        if self.groups is not None:
            self.groups.close()
            self.groups = None

    def _limits_line(self, app: App) -> str:
        if self.groups is None:
            return f"no cgroup limits for builds on this host ({self.groups_note}): DEGRADED"
        cpu = (
            f", {limits.vcpus(app.build_memory_mb):.2f} vCPU"
            if self.groups.has_cpu
            else " (no cpu controller: no CPU limit)"
        )
        return (
            f"limits: {app.build_memory_mb} MB memory, {limits.PIDS_MAX} processes{cpu}, "
            f"{app.build_timeout_s} s for build and test ({self.groups_note})"
        )

    def caller(self, app: App) -> Caller:
        return Caller(
            self.account_id, self.region, f"arn:aws:iam::{self.account_id}:root", app.owner_key
        )

    async def _save(self, run: Run) -> Run:
        await asyncio.to_thread(self.store.put_run, run)
        return run

    async def execute(self, app: App, run: Run, cancel: asyncio.Event) -> Run:
        caller = self.caller(app)
        runlog = RunLog(self.calls, caller, app.log_group, run.log_stream)
        await runlog.open()
        run = await self._save(replace(run, state=RunState.IN_PROGRESS, updated_s=time.time()))
        self.scratch_root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.scratch_root, 0o711)  # the build user reaches its own directory only
        scratch = Path(tempfile.mkdtemp(prefix=f"{app.name}-{run.seq}-", dir=self.scratch_root))
        runlog.line(f"run {run.seq} of {app.name}: commit {run.commit} on {run.branch}")
        deadline = time.monotonic() + app.build_timeout_s
        cg = await asyncio.to_thread(self._group, app, run)
        box = _Box(app, scratch, runlog, deadline, cancel, cg)
        stages: list[tuple[str, Callable[[], Awaitable[str]]]] = [
            ("source", lambda: self._source(app, run, scratch, runlog)),
            ("build", lambda: self._build(box, run)),
            ("test", lambda: self._test(box, run)),
            ("deploy", lambda: self._deploy(app, run, scratch, runlog)),
        ]
        try:
            for name, body in stages:
                if cancel.is_set():
                    raise Superseded()
                stage = Stage(name, RunState.IN_PROGRESS, time.time())
                run = await self._save(run.with_stage(stage))
                runlog.line(f"==> stage {name}")
                try:
                    message = await body()
                except Superseded:
                    ended = replace(stage, state=RunState.SUPERSEDED, ended_s=time.time())
                    run = await self._save(run.with_stage(ended))
                    raise
                except StageFailed as e:
                    runlog.line(f"stage {name} failed: {e}")
                    ended = replace(
                        stage, state=RunState.FAILED, ended_s=time.time(), message=str(e)
                    )
                    run = run.with_stage(ended)
                    return await self._save(
                        replace(run, state=RunState.FAILED, reason=f"{name}: {e}")
                    )
                finally:
                    await runlog.flush()
                now = time.time()
                ended = replace(stage, state=RunState.SUCCEEDED, ended_s=now, message=message)
                run = await self._save(run.with_stage(ended))
                runlog.line(f"stage {name} succeeded ({now - stage.started_s:.2f}s)")
            runlog.line(f"run {run.seq} succeeded")
            return await self._save(replace(run, state=RunState.SUCCEEDED, updated_s=time.time()))
        except Superseded:
            runlog.line(f"run {run.seq} superseded by a newer push to {run.branch}")
            return await self._save(
                replace(
                    run,
                    state=RunState.SUPERSEDED,
                    reason="a newer push to the branch came first",
                    updated_s=time.time(),
                )
            )
        finally:
            await runlog.flush()
            if cg is not None and self.groups is not None:
                await asyncio.to_thread(self.groups.kill, cg)
            await asyncio.to_thread(shutil.rmtree, scratch, True)

    def _group(self, app: App, run: Run) -> Cgroup | None:
        if self.groups is None:
            return None
        try:
            return self.groups.run_group(f"{app.name}-{run.seq}", app.build_memory_mb)
        except OSError as e:  # the run goes on without limits, and says so
            log.warning("no cgroup for %s run %d: %s", app.name, run.seq, e)
            return None

    # ---- stages ------------------------------------------------------------------------------

    async def _source(self, app: App, run: Run, scratch: Path, runlog: RunLog) -> str:
        try:
            await asyncio.to_thread(self.repos.export, app.name, run.commit, scratch)
            uid = self.confinement.uid if self.confinement else None
            await asyncio.to_thread(sandbox.prepare, scratch, uid)
        except GitError as e:
            raise StageFailed(f"cannot check out {run.commit}: {e}") from None
        n = sum(1 for p in scratch.rglob("*") if p.is_file())
        runlog.line(f"checked out {run.commit} ({n} files)")
        who = self.confinement.describe() if self.confinement else "the server's user"
        runlog.line(f"build and tests run as {who}, in a process group of their own")
        runlog.line(self._limits_line(app))
        return f"commit {run.commit[:12]}"

    async def _credentials(self, app: App, runlog: RunLog) -> dict[str, str]:
        """A short STS session of the app's owner: the build never sees a long-term key."""
        try:
            out = await self.calls(
                "sts", "GetSessionToken", {"DurationSeconds": SESSION_S}, self.caller(app)
            )
        except ApiError as e:
            runlog.line(f"(no AWS credentials for the build: {e.message})")
            return {}
        c = out["Credentials"]
        return {
            "AWS_ACCESS_KEY_ID": c["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": c["SecretAccessKey"],
            "AWS_SESSION_TOKEN": c["SessionToken"],
        }

    async def _env(self, app: App, run: Run, scratch: Path, runlog: RunLog) -> dict[str, str]:
        return {
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ENDPOINT_URL": self.base_url,
            "CODEBUILD_SRC_DIR": str(scratch),
            "CODEBUILD_RESOLVED_SOURCE_VERSION": run.commit,
            "CODEBUILD_SOURCE_VERSION": run.branch,
            "CODEBUILD_BUILD_ID": f"{app.name}:{run.seq}",
            "CODEBUILD_BUILD_SUCCEEDING": "1",
            "OVIS_PIPELINE": app.name,
            **await self._credentials(app, runlog),
        }

    async def _sandboxed(self, box: _Box, argv: list[str], env: dict[str, str]) -> int:
        status = await sandbox.run(
            argv,
            box.scratch,
            sandbox.base_env(box.scratch, env),
            box.deadline,
            box.runlog.line,
            box.cancel,
            self.confinement,
            box.cgroup,
            box.app.build_memory_mb,
        )
        if status == sandbox.CANCELLED:
            raise Superseded()
        if box.cgroup is not None and self.groups is not None:
            # a limit met even by a process left in the background fails the stage
            reason = self.groups.exceeded(box.cgroup, box.app.build_memory_mb)
            if reason:
                raise StageFailed(reason)
        if status == sandbox.TIMED_OUT:
            raise StageFailed(
                f"the build's time limit ({box.app.build_timeout_s} s) passed: every process "
                "of it was killed"
            )
        if status == sandbox.LIMITED:  # (no group: cannot happen; said plainly all the same)
            raise StageFailed("the build reached a limit of its cgroup")
        return status

    async def _build(self, box: _Box, run: Run) -> str:
        app, scratch, runlog = box.app, box.scratch, box.runlog
        spec_path = scratch / "buildspec.yml"
        if not spec_path.is_file():
            raise StageFailed("the commit has no buildspec.yml")
        try:
            spec = buildspec.parse(spec_path.read_text())
        except buildspec.BuildspecError as e:
            raise StageFailed(str(e)) from None
        env = {**spec.variables, **await self._env(app, run, scratch, runlog)}
        failed = ""
        for phase in buildspec.PHASES:
            commands = spec.phases.get(phase) or []
            if not commands or (failed and phase != "post_build"):
                continue
            runlog.line(f"--> phase {phase}")
            script = "\n".join(commands)
            status = await self._sandboxed(box, ["sh", "-e", "-x", "-c", script], env)
            await runlog.flush()
            if status != 0 and not failed:
                failed = f"phase {phase} exited {status}"
                env["CODEBUILD_BUILD_SUCCEEDING"] = "0"
        if failed:
            raise StageFailed(failed)
        return "phases " + ", ".join(p for p in buildspec.PHASES if spec.phases.get(p))

    async def _test(self, box: _Box, run: Run) -> str:
        app, scratch, runlog = box.app, box.scratch, box.runlog
        env = await self._env(app, run, scratch, runlog)
        status = await self._sandboxed(
            box, ["python", "-m", "pytest", "-p", "no:cacheprovider"], env
        )
        if status != 0 and any("No module named pytest" in t for t in runlog.tail):
            raise StageFailed(
                f"pytest is not installed for the server's Python ({sys.executable}): "
                "`pip install pytest` there to run the test stage (`make run` installs the "
                "server only)"
            )
        if status != 0:
            summary = next((t for t in reversed(runlog.tail) if t.strip()), "")
            raise StageFailed(f"the unit tests failed (pytest exited {status}): {summary}")
        return next((t for t in reversed(runlog.tail) if "passed" in t), "tests passed")

    async def _deploy(self, app: App, run: Run, scratch: Path, runlog: RunLog) -> str:
        try:
            return await deploy(
                self.calls,
                self.caller(app),
                scratch,
                app.stack_name,
                f"run-{run.seq}",
                runlog.line,
            )
        except DeployError as e:
            raise StageFailed(str(e)) from None
        except ApiError as e:
            raise StageFailed(f"{e.code}: {e.message}") from None
