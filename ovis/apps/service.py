"""The applications' use cases, for the API (``frontdoor/apps_api.py``), the git front door
(``frontdoor/git.py``) and the console.

Contract: ``create`` validates the name (a stack name: a letter, then letters, digits and
hyphens, at most 63), the template and the branch before anything is written, refuses an
existing app (ResourceConflictException), then stores the app, creates its repository with the
template's initial commit and its log group, and queues the first run. ``pushed`` is told the
refs a push changed (after ``git-receive-pack`` answered) and submits a run per changed branch
(only the pipeline's branch runs). ``rerun`` queues a run of a commit of the repository (by
default the branch's latest), superseding older runs as a push does; a commit that is not one
of the repository's is an InvalidParameterValueException. Unknown apps and runs raise
ResourceNotFoundException.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from ovis.apps import catalog
from ovis.apps.gitrepos import GitError, GitRepos
from ovis.apps.models import App, Run
from ovis.apps.repository import PipelineRepository
from ovis.apps.runlog import ensure_group
from ovis.apps.runner import PipelineRunner
from ovis.errors import (
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
    ServiceException,
)
from ovis.services.calls import ServiceCalls

NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,62}")
COMMIT = re.compile(r"[0-9a-f]{40}")
BRANCH = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,99}")
MAX_BUILD_TIMEOUT_S = 3600
MIN_BUILD_MEMORY_MB, MAX_BUILD_MEMORY_MB = 128, 10240  # Lambda's MemorySize range


class AppService:
    def __init__(
        self,
        store: PipelineRepository,
        repos: GitRepos,
        runner: PipelineRunner,
        calls: ServiceCalls,
        base_url: str,
    ) -> None:
        self.store = store
        self.repos = repos
        self.runner = runner
        self.calls = calls
        self.base_url = base_url.rstrip("/")

    def clone_url(self, name: str) -> str:
        return f"{self.base_url}/git/{name}.git"

    def describe(self, app: App) -> dict[str, Any]:
        return {
            "Name": app.name,
            "Template": app.template,
            "Branch": app.branch,
            "StackName": app.stack_name,
            "LogGroup": app.log_group,
            "CloneUrl": self.clone_url(app.name),
            "BuildTimeoutSeconds": app.build_timeout_s,
            "BuildMemorySize": app.build_memory_mb,
            "CreatedAt": app.created_s,
        }

    async def create(
        self,
        name: str,
        template: str,
        branch: str,
        owner_key: str,
        build_timeout_s: int = 300,
        build_memory_mb: int = 3072,
    ) -> tuple[App, Run | None]:
        if not NAME.fullmatch(name):
            raise InvalidParameterValueException(
                f"Application name {name!r} must start with a letter and contain only letters, "
                "digits and hyphens (at most 63 characters)."
            )
        if not BRANCH.fullmatch(branch) or ".." in branch or branch.endswith((".lock", "/")):
            raise InvalidParameterValueException(f"Branch {branch!r} is not a valid branch name.")
        if not 1 <= build_timeout_s <= MAX_BUILD_TIMEOUT_S:
            raise InvalidParameterValueException(
                f"BuildTimeoutSeconds must be between 1 and {MAX_BUILD_TIMEOUT_S}."
            )
        if not MIN_BUILD_MEMORY_MB <= build_memory_mb <= MAX_BUILD_MEMORY_MB:
            raise InvalidParameterValueException(
                f"BuildMemorySize must be between {MIN_BUILD_MEMORY_MB} and "
                f"{MAX_BUILD_MEMORY_MB} (MB)."
            )
        try:
            tpl = catalog.get(template)
        except catalog.UnknownTemplate as e:
            raise InvalidParameterValueException(str(e.args[0])) from None
        app = App(name, tpl.name, branch, time.time(), owner_key, build_timeout_s, build_memory_mb)
        if self.repos.exists(name) or not await asyncio.to_thread(self.store.create_app, app):
            raise ResourceConflictException(f"Application {name} already exists.")
        try:
            commit = await asyncio.to_thread(
                self.repos.create,
                name,
                branch,
                tpl.files(),
                f"Initial commit from the {tpl.name} template",
            )
        except GitError as e:
            raise ServiceException(f"cannot create the repository of {name}: {e}") from None
        await ensure_group(self.calls, self.runner.pipeline.caller(app), app.log_group)
        run = await self.runner.submit(app, commit, branch)
        return app, run

    def get(self, name: str) -> App:
        app = self.store.app(name)
        if app is None:
            raise ResourceNotFoundException(f"Application not found: {name}")
        return app

    def apps(self) -> list[App]:
        return self.store.apps()

    def runs(self, name: str) -> list[Run]:
        self.get(name)
        return self.store.runs(name)

    def run(self, name: str, seq: int) -> Run:
        self.get(name)
        run = self.store.run(name, seq)
        if run is None:
            raise ResourceNotFoundException(f"Run {seq} of {name} not found")
        return run

    async def pushed(self, name: str, changed: dict[str, str]) -> list[Run]:
        """Runs for the refs a push set (refname -> new commit; deleted refs are absent)."""
        app = await asyncio.to_thread(self.store.app, name)
        if app is None:
            return []
        runs = []
        for ref, commit in sorted(changed.items()):
            if ref.startswith("refs/heads/"):
                run = await self.runner.submit(app, commit, ref.removeprefix("refs/heads/"))
                if run is not None:
                    runs.append(run)
        return runs

    async def rerun(self, name: str, commit: str | None = None) -> Run:
        app = await asyncio.to_thread(self.get, name)
        if commit is not None:
            known = COMMIT.fullmatch(commit) is not None and await asyncio.to_thread(
                self.repos.has_commit, name, commit
            )
            if not known:
                raise InvalidParameterValueException(
                    f"Commit {commit!r} is not a commit of {name}.git (40 hexadecimal digits)."
                )
        try:
            return await self.runner.rerun(app, commit)
        except (LookupError, GitError) as e:
            raise InvalidParameterValueException(str(e)) from None
