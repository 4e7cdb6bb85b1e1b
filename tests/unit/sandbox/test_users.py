"""SandboxUsers: one passwd and group entry per live instance uid, as Lambda's sandbox user."""

from __future__ import annotations

import os
from pathlib import Path

from ovis.sandbox.users import SandboxUsers


def test_each_uid_gets_lambdas_user_name_and_home(tmp_path: Path) -> None:
    users = SandboxUsers(str(tmp_path))
    pw, gr = users.files(100_007, 100_007)
    entry = next(ln for ln in Path(pw).read_text().splitlines() if ":100007:" in ln)
    assert entry == "sbx_user1051:x:100007:100007::/home/sbx_user1051:/sbin/nologin"
    assert "sbx_user1051:x:100007:" in Path(gr).read_text().splitlines()
    assert Path(pw).read_text().startswith("root:x:0:0:")
    assert os.stat(pw).st_mode & 0o777 == 0o644 and os.stat(users.dir).st_mode & 0o777 == 0o700
    assert users.files(100_007, 100_007) == (pw, gr)


def test_forget_removes_a_gone_instances_files_and_close_everything(tmp_path: Path) -> None:
    users = SandboxUsers(str(tmp_path))
    pw, gr = users.files(100_001, 100_001)
    users.files(100_002, 100_002)
    users.forget(100_001, 100_001)
    assert not Path(pw).exists() and not Path(gr).exists()
    assert sorted(p.name for p in users.dir.iterdir()) == [
        "100002-100002.group",
        "100002-100002.passwd",
    ]
    assert Path(users.files(100_001, 100_001)[0]).exists()  # a reused uid is written again
    users.close()
    assert not users.dir.exists()
