"""The run loop: queued runs executed, at most one per application at a time (applications run
side by side, ``MAX_PARALLEL`` at most), under the supervisor as ``pipeline-runner``.

Contract:
- ``submit(app, commit, branch)`` records a Queued run (durable before it returns) when
  ``branch`` is the app's pipeline branch, and returns it; any other branch runs nothing (None).
  An older Queued run of the app becomes Superseded at once; an older run in progress is told
  to stop (``Pipeline.execute``'s ``cancel``): it ends Superseded unless it is already
  deploying. So of two quick pushes the later one deploys and the earlier never does.
- ``start()`` first moves every run a killed server left InProgress to Failed (its reason says
  so), so no run stays InProgress forever, and re-runs the latest commit of that run's branch
  (a new Queued run, named in the Failed run's reason) unless the application already has a
  newer run, or the interrupted run was itself such a re-run of that commit (so a build that
  takes the server down is not run at every start); Queued runs left by a stop run then.
- ``close()`` stops the loop and the runs in progress; those are stored Failed (stopped) and
  re-run the same way, the re-run queued at once (it runs at the next start).
- ``rerun(app, commit)`` queues a run of ``commit`` (default: the branch's latest) as a push
  would, superseding what is older.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time

from ovis.apps import sandbox
from ovis.apps.gitrepos import GitError
from ovis.apps.models import App, Run, RunState
from ovis.apps.pipeline import Pipeline
from ovis.apps.repository import PipelineRepository
from ovis.supervisor import Supervisor

log = logging.getLogger("ovis.apps")

LOOP = "pipeline-runner"
MAX_PARALLEL = 4  # runs at once across applications (builds and tests are CPU-bound)
INTERRUPTED = "the server stopped during this run"


class PipelineRunner:
    name = "pipelines"

    def __init__(
        self, store: PipelineRepository, pipeline: Pipeline, supervisor: Supervisor
    ) -> None:
        self.store = store
        self.pipeline = pipeline
        self.supervisor = supervisor
        self._wake = asyncio.Event()
        self._active: dict[str, tuple[int, asyncio.Event]] = {}  # app -> (seq, cancel)
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        # what runs a kill -9 cut short left behind: their processes, then their directories
        killed = await asyncio.to_thread(sandbox.kill_leftovers, self.pipeline.scratch_root)
        if killed:
            log.warning("killed %d build process group(s) a stopped server left running", killed)
        await asyncio.to_thread(shutil.rmtree, self.pipeline.scratch_root, True)
        await asyncio.to_thread(self.pipeline.start)
        for run in await asyncio.to_thread(self.store.finish_interrupted, INTERRUPTED, time.time()):
            log.warning(
                "pipeline run %s #%d was in progress at a stop: now Failed", run.app, run.seq
            )
            await asyncio.to_thread(self._requeue, run)
        self.supervisor.loop(LOOP, self.step)
        self._wake.set()  # runs queued before a stop

    async def close(self) -> None:
        await self.supervisor.stop(LOOP)
        tasks = list(self._tasks)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.to_thread(self.pipeline.close)

    def _requeue(self, failed: Run) -> Run | None:
        """After ``failed`` was cut short by a stop: a Queued run of its branch's latest commit,
        unless the application has a run newer than ``failed`` already (blocking)."""
        app = self.store.app(failed.app)
        if app is None or failed.branch != app.branch:
            return None
        if any(r.seq > failed.seq for r in self.store.runs(app.name)):
            return None  # a newer push is queued or ran: that one is what the branch wants
        try:
            commit = self.pipeline.repos.refs(app.name).get(f"refs/heads/{failed.branch}")
        except GitError as e:
            log.warning("cannot re-run %s after run %d: %s", app.name, failed.seq, e)
            return None
        if commit is None:
            return None  # the branch was deleted: nothing to run
        if self._was_rerun(failed, commit):
            # a second stop in a row during the same commit's run: a build that takes the
            # server down with it would otherwise run again at every start
            self._fail(failed, f"{INTERRUPTED}; not re-run again (it was the re-run of run "
                       f"{failed.seq - 1}): push, or re-run it, to run it again")  # fmt: skip
            return None
        run = self.store.add_run(app.name, commit, failed.branch, time.time())
        self._fail(
            failed, f"{INTERRUPTED}; run {run.seq} re-runs the branch's latest commit {commit[:12]}"
        )
        log.warning("pipeline %s: run %d re-runs interrupted run %d", app.name, run.seq, failed.seq)
        return run

    def _was_rerun(self, failed: Run, commit: str) -> bool:
        """Whether ``failed`` was itself the automatic re-run of ``commit`` after a stop."""
        prev = self.store.run(failed.app, failed.seq - 1)
        return (
            prev is not None
            and failed.commit == commit
            and prev.reason.startswith(f"{INTERRUPTED}; run {failed.seq} re-runs")
        )

    def _fail(self, run: Run, reason: str) -> None:
        self.store.put_run(
            Run(
                run.app,
                run.seq,
                run.commit,
                run.branch,
                RunState.FAILED,
                run.created_s,
                time.time(),
                run.stages,
                reason,
            )
        )

    async def rerun(self, app: App, commit: str | None = None) -> Run:
        """A run of ``commit``, by default the latest of the app's branch (as if pushed)."""
        if commit is None:
            refs = await asyncio.to_thread(self.pipeline.repos.refs, app.name)
            commit = refs.get(f"refs/heads/{app.branch}")
            if commit is None:
                raise LookupError(f"the branch {app.branch} of {app.name} has no commit")
        run = await self.submit(app, commit, app.branch)
        assert run is not None  # the app's own branch always runs
        return run

    async def submit(self, app: App, commit: str, branch: str) -> Run | None:
        if branch != app.branch:
            return None
        run = await asyncio.to_thread(self.store.add_run, app.name, commit, branch, time.time())
        await asyncio.to_thread(
            self.store.supersede_queued, app.name, run.seq, f"superseded by run {run.seq}"
        )
        active = self._active.get(app.name)
        if active is not None and active[0] < run.seq:
            active[1].set()
        self._wake.set()
        return run

    async def step(self) -> None:
        """Wait for work, then start the oldest queued run of every idle application."""
        await self._wake.wait()
        self._wake.clear()
        for run in await asyncio.to_thread(self.store.runs_in_state, RunState.QUEUED):
            if len(self._active) >= MAX_PARALLEL:
                break  # the next run to end wakes the loop again
            if run.app in self._active:
                continue
            app = await asyncio.to_thread(self.store.app, run.app)
            if app is None:
                continue
            cancel = asyncio.Event()
            self._active[run.app] = (run.seq, cancel)
            task = asyncio.get_running_loop().create_task(
                self._execute(app, run, cancel), name=f"ovis:pipeline:{app.name}:{run.seq}"
            )
            self._tasks.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._wake.set()  # the app's next queued run, if any
        if not task.cancelled() and (e := task.exception()) is not None:
            self.supervisor.failed(LOOP, e)

    async def _execute(self, app: App, queued: Run, cancel: asyncio.Event) -> None:
        try:
            run = await asyncio.to_thread(self.store.run, app.name, queued.seq)
            if run is None or run.state != RunState.QUEUED:
                return  # superseded between the listing and now
            try:
                done = await self.pipeline.execute(app, run, cancel)
                log.info("pipeline %s run %d: %s", app.name, run.seq, done.state.value)
            except asyncio.CancelledError:
                current = self.store.run(app.name, run.seq)
                if current is not None and not current.state.terminal:
                    failed = Run(
                        current.app,
                        current.seq,
                        current.commit,
                        current.branch,
                        RunState.FAILED,
                        current.created_s,
                        time.time(),
                        current.stages,
                        INTERRUPTED,
                    )
                    self.store.put_run(failed)
                    self._requeue(failed)  # queued now, durable: it runs at the next start
                raise
            except Exception as e:
                log.exception("pipeline %s run %d failed unexpectedly", app.name, run.seq)
                current = await asyncio.to_thread(self.store.run, app.name, run.seq)
                if current is not None and not current.state.terminal:
                    await asyncio.to_thread(
                        self.store.put_run,
                        Run(
                            current.app,
                            current.seq,
                            current.commit,
                            current.branch,
                            RunState.FAILED,
                            current.created_s,
                            time.time(),
                            current.stages,
                            f"internal error: {type(e).__name__}: {e}",
                        ),
                    )
        finally:
            if self._active.get(app.name, (0,))[0] == queued.seq:
                self._active.pop(app.name, None)
