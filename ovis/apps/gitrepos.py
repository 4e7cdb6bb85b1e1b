"""Bare git repositories under the data directory (``git/NAME.git``), driven with the ``git``
command: create one with an initial commit, read its refs, export a commit's tree.

Contract: synchronous (callers run these in a thread); a failing git command raises
``GitError`` with git's own message. Repositories are bare and accept pushes over smart HTTP
(``http.receivepack``); nothing here talks to the network.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Ovis",
    "GIT_AUTHOR_EMAIL": "ovis@localhost",
    "GIT_COMMITTER_NAME": "Ovis",
    "GIT_COMMITTER_EMAIL": "ovis@localhost",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/nonexistent",  # no user's ~/.gitconfig changes what the server's git does
}


class GitError(RuntimeError):
    pass


def git(*args: str, cwd: Path | None = None, stdin: bytes | None = None) -> bytes:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **GIT_ENV}
    proc = subprocess.run(
        ["git", *args], cwd=cwd, input=stdin, capture_output=True, env=env, check=False
    )
    if proc.returncode != 0:
        raise GitError(proc.stderr.decode("utf-8", "replace").strip() or f"git {args[0]} failed")
    return proc.stdout


class GitRepos:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str) -> Path:
        return self.root / f"{name}.git"

    def exists(self, name: str) -> bool:
        return (self.path(name) / "HEAD").is_file()

    def create(self, name: str, branch: str, files: Mapping[str, bytes], message: str) -> str:
        """A new bare repository whose ``branch`` (also HEAD) holds one commit of ``files``;
        returns the commit id. Refuses an existing repository."""
        repo = self.path(name)
        if repo.exists():
            raise GitError(f"repository {name}.git already exists")
        self.root.mkdir(parents=True, exist_ok=True)
        git("init", "-q", "--bare", f"--initial-branch={branch}", str(repo))
        git("config", "http.receivepack", "true", cwd=repo)
        with tempfile.TemporaryDirectory(prefix="ovis-app-init-") as tmp:
            work = Path(tmp)
            for rel, data in files.items():
                target = work / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            git("init", "-q", f"--initial-branch={branch}", cwd=work)
            git("add", "-A", cwd=work)
            git("commit", "-q", "-m", message, cwd=work)
            git("push", "-q", str(repo), f"HEAD:refs/heads/{branch}", cwd=work)
            return git("rev-parse", "HEAD", cwd=work).decode().strip()

    def remove(self, name: str) -> None:
        shutil.rmtree(self.path(name), ignore_errors=True)

    def refs(self, name: str) -> dict[str, str]:
        """Every ref of the repository: refname -> commit id."""
        out = git("for-each-ref", "--format=%(objectname) %(refname)", cwd=self.path(name))
        refs = {}
        for line in out.decode().splitlines():
            sha, _, ref = line.partition(" ")
            refs[ref] = sha
        return refs

    def has_commit(self, name: str, commit: str) -> bool:
        try:
            git("cat-file", "-e", f"{commit}^{{commit}}", cwd=self.path(name))
            return True
        except GitError:
            return False

    def export(self, name: str, commit: str, target: Path) -> None:
        """Write the tree of ``commit`` into ``target`` (an existing, empty directory)."""
        blob = git("archive", "--format=tar", commit, cwd=self.path(name))
        with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
            tar.extractall(target, filter="data")
