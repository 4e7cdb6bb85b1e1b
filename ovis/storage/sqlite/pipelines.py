"""Application pipelines in SQLite (migrations 18 and 25). Implements
``ovis.apps.repository.PipelineRepository``: synchronous, thread-safe, durable on return; each
write one statement or one transaction."""

from __future__ import annotations

import json
from typing import Any

from ovis.apps.models import App, Run, RunState, Stage
from ovis.storage.sqlite.engine import Engine

_APP = (
    "SELECT name, template, branch, created, owner_key, build_timeout, build_memory "
    "FROM pipeline_apps"
)
_RUN = (
    "SELECT app, seq, commit_sha, branch, state, created, updated, stages, reason "
    "FROM pipeline_runs"
)


def _app(r: Any) -> App:
    return App(r[0], r[1], r[2], r[3], r[4], int(r[5]), int(r[6]))


def _run(r: Any) -> Run:
    stages = tuple(Stage.from_json(s) for s in json.loads(r[7]))
    return Run(r[0], int(r[1]), r[2], r[3], RunState(r[4]), r[5], r[6], stages, r[8])


class SqlitePipelines:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create_app(self, app: App) -> bool:
        n = self._engine.write(
            "INSERT OR IGNORE INTO pipeline_apps (name, template, branch, created, owner_key, "
            "build_timeout, build_memory) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                app.name,
                app.template,
                app.branch,
                app.created_s,
                app.owner_key,
                app.build_timeout_s,
                app.build_memory_mb,
            ),
        )
        return n == 1

    def app(self, name: str) -> App | None:
        rows = self._engine.read(_APP + " WHERE name = ?", (name,))
        return _app(rows[0]) if rows else None

    def apps(self) -> list[App]:
        return [_app(r) for r in self._engine.read(_APP + " ORDER BY name")]

    def add_run(self, app: str, commit: str, branch: str, now_s: float) -> Run:
        with self._engine.transaction() as db:
            (last,) = db.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM pipeline_runs WHERE app = ?", (app,)
            ).fetchone()
            run = Run(app, int(last) + 1, commit, branch, RunState.QUEUED, now_s, now_s)
            db.execute(
                "INSERT INTO pipeline_runs (app, seq, commit_sha, branch, state, created, "
                "updated, stages, reason) VALUES (?, ?, ?, ?, ?, ?, ?, '[]', '')",
                (app, run.seq, commit, branch, run.state.value, now_s, now_s),
            )
        return run

    def put_run(self, run: Run) -> None:
        self._engine.write(
            "UPDATE pipeline_runs SET state = ?, updated = ?, stages = ?, reason = ? "
            "WHERE app = ? AND seq = ?",
            (
                run.state.value,
                run.updated_s,
                json.dumps([s.to_json() for s in run.stages]),
                run.reason,
                run.app,
                run.seq,
            ),
        )

    def run(self, app: str, seq: int) -> Run | None:
        rows = self._engine.read(_RUN + " WHERE app = ? AND seq = ?", (app, seq))
        return _run(rows[0]) if rows else None

    def runs(self, app: str) -> list[Run]:
        return [_run(r) for r in self._engine.read(_RUN + " WHERE app = ? ORDER BY seq", (app,))]

    def runs_in_state(self, state: RunState) -> list[Run]:
        rows = self._engine.read(_RUN + " WHERE state = ? ORDER BY created, seq", (state.value,))
        return [_run(r) for r in rows]

    def supersede_queued(self, app: str, seq: int, reason: str) -> list[int]:
        with self._engine.transaction() as db:
            rows = db.execute(
                "SELECT seq FROM pipeline_runs WHERE app = ? AND seq < ? AND state = ?",
                (app, seq, RunState.QUEUED.value),
            ).fetchall()
            db.execute(
                "UPDATE pipeline_runs SET state = ?, reason = ? "
                "WHERE app = ? AND seq < ? AND state = ?",
                (RunState.SUPERSEDED.value, reason, app, seq, RunState.QUEUED.value),
            )
        return [int(r[0]) for r in rows]

    def finish_interrupted(self, reason: str, now_s: float) -> list[Run]:
        with self._engine.transaction() as db:
            rows = db.execute(_RUN + " WHERE state = ?", (RunState.IN_PROGRESS.value,)).fetchall()
            db.execute(
                "UPDATE pipeline_runs SET state = ?, reason = ?, updated = ? WHERE state = ?",
                (RunState.FAILED.value, reason, now_s, RunState.IN_PROGRESS.value),
            )
        return [_run(r) for r in rows]
