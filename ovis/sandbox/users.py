"""The sandbox user: a passwd and group entry for each instance uid, as Lambda's has one.

Lambda's functions run as ``sbx_user1051``, home ``/home/sbx_user1051`` (HOME unset), and
``os.homedir()`` in Node.js, ``pwd.getpwuid(os.getuid())`` and ``expanduser("~")`` rely on that
entry. Each instance here has a uid of its own, so each gets its own pair of files, generated
here (on the host, root-only) and bound read-only over /etc/passwd and /etc/group inside the
instance's mount namespace (``runtimes/python/isolate.py``). Images keep their own /etc.

Contract: ``files(uid, gid)`` returns the host paths of the two files, writing them the first
time a uid is seen (a few hundred bytes each); ``forget(uid, gid)`` removes them once that
instance is gone, so only live instances have files. ``close()`` removes the directory.
Event-loop thread only.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

SANDBOX_USER = "sbx_user1051"


def passwd(uid: int, gid: int) -> str:
    return (
        "root:x:0:0:root:/root:/bin/bash\n"
        f"{SANDBOX_USER}:x:{uid}:{gid}::/home/{SANDBOX_USER}:/sbin/nologin\n"
        "nobody:x:65534:65534:Kernel Overflow User:/:/sbin/nologin\n"
    )


def group(gid: int) -> str:
    return f"root:x:0:\n{SANDBOX_USER}:x:{gid}:\nnobody:x:65534:\n"


class SandboxUsers:
    def __init__(self, parent: str | None = None) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="ovis-users-", dir=parent))
        os.chmod(self.dir, 0o700)  # only root (the zygote, binding them) reads them
        self._written: set[tuple[int, int]] = set()

    def files(self, uid: int, gid: int) -> tuple[str, str]:
        """(passwd, group) host paths for an instance running as ``uid``/``gid``."""
        pw, gr = self.dir / f"{uid}-{gid}.passwd", self.dir / f"{uid}-{gid}.group"
        if (uid, gid) not in self._written:
            for path, text in ((pw, passwd(uid, gid)), (gr, group(gid))):
                tmp = path.with_suffix(".tmp")
                tmp.write_text(text)
                os.chmod(tmp, 0o644)  # the uid reads its own entry through the bind
                os.replace(tmp, path)
            self._written.add((uid, gid))
        return str(pw), str(gr)

    def forget(self, uid: int, gid: int) -> None:
        """Remove the files of a uid whose instance is gone (a bind made from them lives on)."""
        self._written.discard((uid, gid))
        for suffix in ("passwd", "group"):
            (self.dir / f"{uid}-{gid}.{suffix}").unlink(missing_ok=True)

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
