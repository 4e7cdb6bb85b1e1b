"""Container images without a Docker engine: import, verify, unpack, resolve references.

``ImageStore.import_archive`` accepts an OCI image layout directory, an OCI archive (a tar of such a
layout, optionally compressed) or a ``docker save`` tarball (``manifest.json`` plus layer tars; an
extracted one works too). Layout under ``<data-dir>/images``::

  blobs/sha256/<hex>    manifests, configs and layers as shipped, each verified against its digest
  rootfs/<hex>/         the root filesystem of manifest <hex>: its layers applied in order
  manifests/<hex>.json  the image record (Entrypoint, Cmd, WorkingDir, Env, User, layers, size)
  refs.json             reference -> manifest digest: ``name:tag`` and ``name@sha256:<hex>``
  tmp/                  work in progress; blobs, trees and records are renamed into place
  lock                  flock held by an import from start to end (one import at a time)

Writers (``ovis image import``) take the lock; readers (the server) never do: every file is
replaced atomically, and a reference is written last, so a reference that resolves always has its
record and its root filesystem in place.

Layers may be uncompressed, gzip or zstd (detected by magic number, whatever the media type says);
their uncompressed digests are checked against the config's ``rootfs.diff_ids``. Whiteouts
(``.wh.<name>``) and opaque directories (``.wh..wh..opq``) hide what lower layers put there. Paths
are resolved as if the root filesystem were ``/`` (symlinks included), so no entry, link or
whiteout can reach outside it; entries whose names climb out (``../``), relative symlinks that
point above the root and hard links to paths outside it are refused. Device nodes and FIFOs are
skipped (the root filesystem is mounted nodev), set-uid/set-gid bits are dropped. Mount points
the instance needs are added where the image lacks them: /proc, /dev, /tmp, and empty
/etc/resolv.conf and /etc/hosts (the host's are bound over them at run time, as docker does).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import gzip
import hashlib
import io
import json
import os
import platform
import posixpath
import re
import shutil
import stat
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from ovis.storage.durable import fsync_dir, write_atomic

MAX_IMAGE_BYTES = 10 * 1024**3  # Lambda's limit on a container image's uncompressed size
HEADER_ALLOWANCE = 1024**3  # tar headers and padding on top of the file contents, per layer
CHUNK = 1 << 20

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
LAYER_TYPES = {
    "tar": "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}
WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
MOUNTPOINTS = (("proc", 0o555), ("dev", 0o755), ("tmp", 0o1777))  # the instance mounts these
MOUNTED_FILES = ("resolv.conf", "hosts")  # in /etc, when the image has an /etc directory

_HEX = re.compile(r"[a-f0-9]{64}")
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9-]+)*(?::[0-9]+)?/)"
_NAME = re.compile(rf"(?:{_DOMAIN})?{_COMPONENT}(?:/{_COMPONENT})*")
_TAG = re.compile(r"[\w][\w.-]{0,127}")


class ImageError(Exception):
    """An archive that cannot be imported, or a reference that is not valid; the message says
    why in words a user can act on."""


# ---- references ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    name: str  # repository, e.g. "mypython" or "123456789012.dkr.ecr.us-east-1.amazonaws.com/app"
    tag: str | None = None
    digest: str | None = None  # "sha256:<hex>"

    def __str__(self) -> str:
        out = self.name
        if self.tag:
            out += f":{self.tag}"
        if self.digest:
            out += f"@{self.digest}"
        return out

    def key(self) -> str:
        """The key refs.json files it under: ``name@sha256:...`` if pinned, else ``name:tag``."""
        if self.digest:
            return f"{self.name}@{self.digest}"
        return f"{self.name}:{self.tag or 'latest'}"


def parse_reference(text: str) -> Reference:
    """``name[:tag][@sha256:<hex>]``, as docker spells image references (tag defaults to latest
    when neither is given); raises ImageError for anything else."""
    rest, _, digest = text.partition("@")
    name, tag = rest, None
    slash, colon = rest.rfind("/"), rest.rfind(":")
    if colon > slash:
        name, tag = rest[:colon], rest[colon + 1 :]
    if not _NAME.fullmatch(name) or (tag is not None and not _TAG.fullmatch(tag)):
        raise ImageError(
            f"{text!r} is not a valid image reference (expected name[:tag] or "
            "name@sha256:<digest>, with a lower-case name)"
        )
    if digest:
        if not digest.startswith("sha256:") or not _HEX.fullmatch(digest[7:]):
            raise ImageError(f"{text!r} is not a valid image reference: bad digest {digest!r}")
        return Reference(name, tag, digest)
    if "@" in text:
        raise ImageError(f"{text!r} is not a valid image reference: empty digest")
    return Reference(name, tag or "latest")


# ---- records -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageRecord:
    digest: str  # "sha256:<hex>" of the manifest
    config_digest: str
    layers: tuple[str, ...]  # layer blob digests, bottom first
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    workdir: str = ""
    env: dict[str, str] = field(default_factory=dict)
    user: str = ""
    architecture: str = ""
    os: str = ""
    size: int = 0  # bytes of file content in the root filesystem
    source: str = ""  # "oci" | "docker-save"

    __hash__ = None  # type: ignore[assignment]

    @property
    def hex(self) -> str:
        return self.digest.split(":", 1)[1]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImageRecord:
        data = dict(data)
        for key in ("layers", "entrypoint", "cmd"):
            data[key] = tuple(data.get(key) or ())
        return cls(**data)


@dataclass(frozen=True)
class ImportResult:
    record: ImageRecord
    references: tuple[str, ...]
    unpacked: bool  # False when this image's root filesystem was already there


def _env_dict(items: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or ():
        key, sep, value = str(item).partition("=")
        if key:
            out[key] = value if sep else ""
    return out


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):  # a shell-form string where a list belongs
        return ("/bin/sh", "-c", value)
    return tuple(str(v) for v in value)


# ---- archive sources -----------------------------------------------------------------------


def _clean_name(name: str) -> str:
    """A path inside an archive or a root filesystem, normalized; refuses ``..`` escapes.
    Leading slashes mean the root ("/usr/bin" is "usr/bin"), as docker and containerd read them."""
    if "\x00" in name:
        raise ImageError(f"the entry {name!r} has a NUL byte in its name")
    norm = posixpath.normpath(name)
    if norm == ".." or norm.startswith("../"):
        raise ImageError(f"the entry {name!r} points outside the image (path traversal)")
    norm = norm.lstrip("/")
    return "" if norm == "." else norm


class _Source:
    """Files of an archive or of a directory, by their relative path."""

    def exists(self, path: str) -> bool:
        raise NotImplementedError

    def open(self, path: str) -> IO[bytes]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def read_json(self, path: str, limit: int = 16 * 1024 * 1024) -> Any:
        with self.open(path) as f:
            data = f.read(limit + 1)
        if len(data) > limit:
            raise ImageError(f"{path}: larger than {limit} bytes")
        try:
            return json.loads(data)
        except ValueError as e:
            raise ImageError(f"{path}: not valid JSON ({e})") from None


class _DirSource(_Source):
    def __init__(self, root: Path) -> None:
        self.root = os.path.realpath(root)

    def _path(self, path: str) -> str:
        full = os.path.realpath(os.path.join(self.root, _clean_name(path)))
        if not (full == self.root or full.startswith(self.root + os.sep)):
            raise ImageError(f"{path}: points outside the image directory")
        return full

    def exists(self, path: str) -> bool:
        return os.path.isfile(self._path(path))

    def open(self, path: str) -> IO[bytes]:
        try:
            return open(self._path(path), "rb")
        except OSError as e:
            raise ImageError(f"{path}: missing from the image ({e.strerror})") from None


class _TarSource(_Source):
    def __init__(self, path: Path) -> None:
        try:
            self.tar = tarfile.open(path, "r:*")  # noqa: SIM115  # closed by close()
            members = self.tar.getmembers()
        except (tarfile.TarError, OSError, EOFError) as e:
            raise ImageError(f"{path}: not a readable tar archive ({e})") from None
        self.members: dict[str, tarfile.TarInfo] = {}
        for m in members:
            with contextlib.suppress(ImageError):
                self.members[_clean_name(m.name)] = m

    def _member(self, path: str, hops: int = 0) -> tarfile.TarInfo | None:
        m = self.members.get(_clean_name(path))
        if m is not None and (m.issym() or m.islnk()) and hops < 8:
            # docker save links a layer that two images share to the other copy
            target = (
                m.linkname if m.islnk() else posixpath.join(posixpath.dirname(path), m.linkname)
            )
            return self._member(target, hops + 1)
        return m if m is not None and m.isreg() else None

    def exists(self, path: str) -> bool:
        try:
            return self._member(path) is not None
        except ImageError:
            return False

    def open(self, path: str) -> IO[bytes]:
        m = self._member(path)
        f = self.tar.extractfile(m) if m is not None else None
        if f is None:
            raise ImageError(f"{path}: missing from the archive")
        return f

    def close(self) -> None:
        self.tar.close()


def _open_source(path: Path) -> _Source:
    if path.is_dir():
        return _DirSource(path)
    if not path.is_file():
        raise ImageError(f"{path}: no such file or directory")
    return _TarSource(path)


def _host_arch() -> str:
    machine = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)


# ---- decompression -------------------------------------------------------------------------


def _compression(head: bytes) -> str:
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    return "tar"


def _zstd_reader(f: IO[bytes]) -> Any:
    try:
        from compression import zstd  # Python 3.14+

        return zstd.ZstdFile(f)
    except ImportError:
        pass
    try:
        import zstandard
    except ImportError:
        raise ImageError(
            "this image has zstd-compressed layers: install the 'zstandard' package"
        ) from None
    return zstandard.ZstdDecompressor().stream_reader(f, read_across_frames=True)


def _decompressed(f: IO[bytes], kind: str) -> Any:
    if kind == "gzip":
        return gzip.GzipFile(fileobj=f, mode="rb")
    if kind == "zstd":
        return _zstd_reader(f)
    return f


# ---- unpacking -----------------------------------------------------------------------------


def _lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def _resolve(root: str, rel: str, create: bool = False) -> str | None:
    """Host path of ``rel`` inside ``root``, symlinks followed as if ``root`` were ``/`` (an
    absolute target starts again at root, ``..`` stops there). None if something is missing,
    unless ``create``: then missing directories are made (mode 0755)."""
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    done: list[str] = []
    hops = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if done:
                done.pop()
            continue
        host = os.path.join(root, *done, part)
        st = _lstat(host)
        if st is None:
            if not create:
                return None
            os.mkdir(host, 0o755)
            done.append(part)
            continue
        if stat.S_ISLNK(st.st_mode):
            hops += 1
            if hops > 40:
                raise ImageError(f"{rel}: too many levels of symbolic links")
            target = os.readlink(host)
            if target.startswith("/"):
                done = []
            parts = [p for p in target.split("/") if p not in ("", ".")] + parts
            continue
        if parts and not stat.S_ISDIR(st.st_mode):
            if create:
                raise ImageError(f"{rel}: {'/'.join([*done, part])} is not a directory")
            return None
        done.append(part)
    return os.path.join(root, *done)


def resolve_in_rootfs(rootfs: str | Path, path: str) -> str | None:
    """Host path that ``path`` names inside an image's root filesystem (symlinks followed as they
    are at run time), or None if it does not exist."""
    found = _resolve(str(rootfs), path)
    return found if found is not None and _lstat(found) is not None else None


def entrypoint_problem(rootfs: str | Path, name: str, path_env: str, workdir: str) -> str | None:
    """Why exec'ing ``name`` inside the image as an unprivileged user would fail, worded as
    Lambda words it (Go's fork/exec), or None if it would start. Names without a slash are
    looked up on ``path_env``, the image's PATH, as execvp does."""
    has_slash = "/" in name
    if has_slash:
        candidates = [name]
    else:
        candidates = [posixpath.join(d or ".", name) for d in path_env.split(":")]
    for candidate in candidates:
        host = resolve_in_rootfs(rootfs, posixpath.join(workdir or "/", candidate))
        if host is None:
            continue
        st = os.stat(host)
        if stat.S_ISREG(st.st_mode) and st.st_mode & 0o001:
            return None
        if has_slash:
            return f"fork/exec {name}: permission denied"
    if has_slash:
        return f"fork/exec {name}: no such file or directory"
    return f'exec: "{name}": executable file not found in $PATH'


def _remove(path: str) -> None:
    st = _lstat(path)
    if st is None:
        return
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def _link_escapes(rel: str, target: str) -> bool:
    if target.startswith("/"):
        return False  # resolved inside the root filesystem, at unpack and at run time
    norm = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target))
    return norm == ".." or norm.startswith("../")


class _Unpacker:
    """Applies layers, bottom first, to one root filesystem directory."""

    def __init__(self, root: str, budget: int = MAX_IMAGE_BYTES) -> None:
        self.root = root
        self.budget = budget
        self.written = 0
        self.as_root = os.geteuid() == 0

    def apply(self, tar_path: str) -> None:
        try:
            with tarfile.open(tar_path, "r:") as tf:
                members = tf.getmembers()
                # Whiteouts hide lower layers only: apply them all before this layer's entries.
                layer_dirs = {_clean_name(m.name) for m in members if m.isdir()}
                for m in members:
                    self._whiteout(m, layer_dirs)
                dirs: list[tuple[str, tarfile.TarInfo]] = []
                for m in members:
                    self._entry(tf, m, dirs)
                for path, m in reversed(dirs):  # modes last: a 0555 directory may get entries
                    self._meta(path, m)
        except tarfile.TarError as e:
            raise ImageError(f"a layer is not a valid tar archive ({e})") from None

    def _whiteout(self, m: tarfile.TarInfo, layer_dirs: set[str]) -> None:
        rel = _clean_name(m.name)
        base = posixpath.basename(rel)
        if not base.startswith(WHITEOUT):
            return
        parent_rel = posixpath.dirname(rel)
        if parent_rel in layer_dirs:
            above = _resolve(self.root, posixpath.dirname(parent_rel))
            here = os.path.join(above, posixpath.basename(parent_rel)) if above else None
            if here and os.path.islink(here):
                return  # this layer's directory replaces a lower symlink: nothing below to hide
        parent = _resolve(self.root, parent_rel)
        if parent is None or not os.path.isdir(parent) or os.path.islink(parent):
            return
        if base == OPAQUE:
            for child in os.listdir(parent):
                _remove(os.path.join(parent, child))
            return
        hidden = base[len(WHITEOUT) :]
        if hidden in ("", ".", ".."):
            raise ImageError(f"the whiteout {m.name!r} names no file")
        _remove(os.path.join(parent, hidden))

    def _entry(
        self, tf: tarfile.TarFile, m: tarfile.TarInfo, dirs: list[tuple[str, tarfile.TarInfo]]
    ) -> None:
        rel = _clean_name(m.name)
        if not rel or posixpath.basename(rel).startswith(WHITEOUT):
            return
        if (
            m.ischr()
            or m.isblk()
            or m.isfifo()
            or not (m.isdir() or m.isreg() or m.issym() or m.islnk())
        ):
            return  # devices and FIFOs: the root filesystem is mounted nodev
        parent = _resolve(self.root, posixpath.dirname(rel), create=True)
        assert parent is not None
        if not os.path.isdir(parent):
            raise ImageError(f"{m.name}: its parent is not a directory")
        target = os.path.join(parent, posixpath.basename(rel))
        existing = _lstat(target)
        if m.isdir():
            if existing is None or not stat.S_ISDIR(existing.st_mode):
                _remove(target)
                os.mkdir(target, 0o755)
            dirs.append((target, m))
            return
        _remove(target)
        if m.issym():
            if _link_escapes(rel, m.linkname) or "\x00" in m.linkname:
                raise ImageError(
                    f"the symlink {m.name!r} -> {m.linkname!r} points outside the image"
                )
            os.symlink(m.linkname, target)
            self._meta(target, m)
            return
        if m.islnk():
            source_rel = _clean_name(m.linkname)
            src_parent = _resolve(self.root, posixpath.dirname(source_rel))
            source = (
                os.path.join(src_parent, posixpath.basename(source_rel)) if src_parent else None
            )
            st = _lstat(source) if source else None
            if source is None or st is None or stat.S_ISDIR(st.st_mode):
                raise ImageError(
                    f"the hard link {m.name!r} -> {m.linkname!r} has no file to link to "
                    "inside the image"
                )
            os.link(source, target, follow_symlinks=False)
            return
        self.written += m.size
        if self.written > self.budget:
            raise ImageError(f"the image unpacks to more than {self.budget} bytes")
        src = tf.extractfile(m)
        assert src is not None
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(src, out, CHUNK)
        self._meta(target, m)

    def _meta(self, path: str, m: tarfile.TarInfo) -> None:
        link = m.issym()
        if self.as_root:
            with contextlib.suppress(OSError):
                os.lchown(path, m.uid, m.gid)
        if not link:
            os.chmod(path, m.mode & 0o1777)  # no set-uid/set-gid from an image
        with contextlib.suppress(OSError, OverflowError, ValueError):
            os.utime(path, (m.mtime, m.mtime), follow_symlinks=False)

    def finish(self) -> None:
        """Mount points the instance needs, made here since the root filesystem is read-only
        at run time (only where the image has nothing of that name)."""
        for name, mode in MOUNTPOINTS:
            path = os.path.join(self.root, name)
            st = _lstat(path)
            if st is not None and stat.S_ISDIR(st.st_mode):
                continue
            _remove(path)
            os.mkdir(path)
            os.chmod(path, mode)
        etc = _lstat(os.path.join(self.root, "etc"))
        if etc is not None and stat.S_ISDIR(etc.st_mode):
            for name in MOUNTED_FILES:  # the host's are bound over them, as docker does
                path = os.path.join(self.root, "etc", name)
                if _lstat(path) is None:
                    os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o644))
        os.chmod(self.root, 0o755)


# ---- the store -----------------------------------------------------------------------------


def _write_json_atomic(path: Path, obj: Any, tmp_dir: Path) -> None:
    write_atomic(path, json.dumps(obj, indent=1, sort_keys=True).encode(), tmp_dir)


class ImageStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._blobs = root / "blobs" / "sha256"
        self._rootfs = root / "rootfs"
        self._records = root / "manifests"
        self._tmp = root / "tmp"
        self._refs = root / "refs.json"
        for d in (self._blobs, self._rootfs, self._records, self._tmp):
            d.mkdir(parents=True, exist_ok=True)

    # ---- reads (the server) -----------------------------------------------------------------

    def references(self) -> dict[str, str]:
        try:
            data = json.loads(self._refs.read_text())
        except FileNotFoundError:
            return {}
        except ValueError as e:
            raise ImageError(f"{self._refs}: corrupt ({e})") from None
        return dict(data.get("refs") or {})

    def get(self, digest: str) -> ImageRecord | None:
        hexd = digest.split(":", 1)[-1]
        if not _HEX.fullmatch(hexd):
            return None
        try:
            data = json.loads((self._records / f"{hexd}.json").read_text())
        except FileNotFoundError:
            return None
        return ImageRecord.from_json(data)

    def resolve(self, text: str) -> tuple[Reference, ImageRecord] | None:
        """The image a reference names (ImageError if it is not a valid reference)."""
        ref = parse_reference(text)
        digest = self.references().get(ref.key())
        record = self.get(digest) if digest else None
        if record is None or not self.has_rootfs(record.digest):
            return None
        return ref, record

    def rootfs_path(self, digest: str) -> Path:
        return self._rootfs / digest.split(":", 1)[-1]

    def has_rootfs(self, digest: str) -> bool:
        return self.rootfs_path(digest).is_dir()

    def blob_path(self, digest: str) -> Path:
        return self._blobs / digest.split(":", 1)[-1]

    # ---- writes (ovis image import) ---------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.root / "lock", "a+") as f:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
            try:
                # Nobody else imports now: whatever is in tmp/ is a crashed import's garbage.
                for leftover in self._tmp.iterdir():
                    if leftover.is_dir() and not leftover.is_symlink():
                        shutil.rmtree(leftover, ignore_errors=True)
                    else:
                        leftover.unlink(missing_ok=True)
                yield
            finally:
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)

    def import_archive(self, path: Path, name: str | None = None) -> ImportResult:
        """Import the single image in ``path`` and record it as ``name`` (``repo[:tag]``; by
        default the name the archive carries)."""
        wanted = parse_reference(name) if name else None
        if wanted is not None and wanted.digest:
            raise ImageError("--name takes name[:tag]; the digest is the image's own")
        source = _open_source(path)
        try:
            with self._locked():
                if source.exists("index.json"):
                    record, names, manifest_raw = self._read_oci(source)
                elif source.exists("manifest.json"):
                    record, names, manifest_raw = self._read_docker(source)
                else:
                    raise ImageError(
                        f"{path}: not an OCI image layout, OCI archive or docker save tarball "
                        "(no index.json or manifest.json)"
                    )
                if wanted is None:
                    for candidate in names:
                        with contextlib.suppress(ImageError):
                            wanted = parse_reference(candidate)
                            break
                if wanted is None:
                    raise ImageError(f"{path}: the archive names no image: pass --name NAME[:TAG]")
                written = self._install_rootfs(record)
                unpacked = written is not None
                if written is None:  # imported before: keep what its record says
                    earlier = self.get(record.digest)
                    written = earlier.size if earlier is not None else 0
                record = dataclasses.replace(record, size=written)
                self._put_bytes(manifest_raw, record.digest)
                _write_json_atomic(
                    self._records / f"{record.hex}.json", record.to_json(), self._tmp
                )
                keys = (
                    f"{wanted.name}:{wanted.tag or 'latest'}",
                    f"{wanted.name}@{record.digest}",
                )
                refs = self.references()
                refs.update(dict.fromkeys(keys, record.digest))
                _write_json_atomic(self._refs, {"refs": refs}, self._tmp)
                return ImportResult(record, keys, unpacked)
        finally:
            source.close()

    # ---- blobs -------------------------------------------------------------------------------

    def _put_stream(self, src: IO[bytes], expected: str | None, size: int | None) -> str:
        """Copy a blob into the store, verifying it; returns its digest."""
        if expected is not None:
            _check_digest(expected)
        h = hashlib.sha256()
        n = 0
        fd, tmp = tempfile.mkstemp(dir=self._tmp, suffix=".blob")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := src.read(CHUNK):
                    h.update(chunk)
                    n += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            digest = "sha256:" + h.hexdigest()
            if expected is not None and digest != expected:
                raise ImageError(
                    f"blob {expected}: its content has digest {digest} (corrupt or tampered)"
                )
            if size is not None and n != size:
                raise ImageError(f"blob {digest}: {n} bytes, the manifest says {size}")
            dest = self.blob_path(digest)
            if dest.exists():
                os.unlink(tmp)
            else:
                os.replace(tmp, dest)
                fsync_dir(self._blobs)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def _put_bytes(self, data: bytes, expected: str | None = None) -> str:
        return self._put_stream(io.BytesIO(data), expected, len(data))

    def _put_from(self, source: _Source, path: str, expected: str | None, size: int | None) -> str:
        with source.open(path) as f:
            return self._put_stream(f, expected, size)

    # ---- OCI layouts ---------------------------------------------------------------------

    def _read_oci(self, source: _Source) -> tuple[ImageRecord, list[str], bytes]:
        index = source.read_json("index.json")
        if not isinstance(index, dict) or index.get("schemaVersion") != 2:
            raise ImageError("index.json: not an OCI image index (schemaVersion 2)")
        names: list[str] = []
        candidates = self._leaf_manifests(source, index, names, depth=0)
        digests = sorted({d["digest"] for d in candidates})
        if not digests:
            raise ImageError(f"index.json: no image for linux/{_host_arch()}")
        if len(digests) > 1:
            raise ImageError(
                f"the archive holds {len(digests)} images ({', '.join(digests)}): import one "
                "image per archive"
            )
        desc = next(d for d in candidates if d["digest"] == digests[0])
        raw = self._blob_bytes(source, desc)
        manifest = _json_of(raw, desc["digest"])
        config_desc = manifest.get("config") or {}
        config_raw = self._blob_bytes(source, config_desc)
        config = _json_of(config_raw, config_desc.get("digest", "config"))
        layers: list[str] = []
        for layer in manifest.get("layers") or []:
            if not isinstance(layer, dict) or "digest" not in layer:
                raise ImageError(f"manifest {desc['digest']}: a layer without a digest")
            digest = layer["digest"]
            _check_digest(digest)
            if not source.exists(f"blobs/sha256/{digest[7:]}"):
                raise ImageError(
                    f"layer {digest} is not in the archive (non-distributable or foreign "
                    "layers are not supported)"
                )
            layers.append(
                self._put_from(source, f"blobs/sha256/{digest[7:]}", digest, layer.get("size"))
            )
        self._put_bytes(config_raw, config_desc["digest"])
        record = _record(desc["digest"], config_desc["digest"], layers, config, "oci")
        if source.exists("manifest.json"):  # docker 25+ writes both; its RepoTags read best
            with contextlib.suppress(ImageError):
                for entry in source.read_json("manifest.json") or []:
                    names[:0] = [str(t) for t in entry.get("RepoTags") or []]
        return record, names, raw

    def _leaf_manifests(
        self, source: _Source, index: dict[str, Any], names: list[str], depth: int
    ) -> list[dict[str, Any]]:
        if depth > 4:
            raise ImageError("index.json: image indexes nested too deep")
        out: list[dict[str, Any]] = []
        for desc in index.get("manifests") or []:
            if not isinstance(desc, dict) or "digest" not in desc:
                continue
            annotations = desc.get("annotations") or {}
            if annotations.get("vnd.docker.reference.type") == "attestation-manifest":
                continue
            plat = desc.get("platform")
            if plat and (plat.get("os") != "linux" or plat.get("architecture") != _host_arch()):
                continue
            for key in ("io.containerd.image.name", "org.opencontainers.image.ref.name"):
                ref = annotations.get(key)
                if ref and ("/" in ref or ":" in ref):
                    names.append(ref)
            if desc.get("mediaType") in INDEX_TYPES:
                nested = _json_of(self._blob_bytes(source, desc), desc["digest"])
                out += self._leaf_manifests(source, nested, names, depth + 1)
            elif desc.get("mediaType") in (OCI_MANIFEST, DOCKER_MANIFEST, None):
                out.append(desc)
        return out

    def _blob_bytes(self, source: _Source, desc: dict[str, Any], limit: int = 1 << 24) -> bytes:
        digest = desc.get("digest") or ""
        _check_digest(digest)
        with source.open(f"blobs/sha256/{digest[7:]}") as f:
            data = f.read(limit + 1)
        if len(data) > limit:
            raise ImageError(f"blob {digest}: larger than {limit} bytes for a manifest or config")
        actual = "sha256:" + hashlib.sha256(data).hexdigest()
        if actual != digest:
            raise ImageError(
                f"blob {digest}: its content has digest {actual} (corrupt or tampered)"
            )
        if desc.get("size") is not None and desc["size"] != len(data):
            raise ImageError(
                f"blob {digest}: {len(data)} bytes, the descriptor says {desc['size']}"
            )
        return data

    # ---- docker save -----------------------------------------------------------------------

    def _read_docker(self, source: _Source) -> tuple[ImageRecord, list[str], bytes]:
        entries = source.read_json("manifest.json")
        if not isinstance(entries, list) or not entries:
            raise ImageError("manifest.json: not a docker save manifest (a list of images)")
        if len(entries) > 1:
            raise ImageError(
                f"the archive holds {len(entries)} images: import one image per archive"
            )
        entry = entries[0]
        if not isinstance(entry, dict) or not entry.get("Config"):
            raise ImageError("manifest.json: an entry without Config")
        config_path = str(entry["Config"])
        with source.open(config_path) as f:
            config_raw = f.read(1 << 24)
        config = _json_of(config_raw, config_path)
        config_digest = self._put_bytes(config_raw, _digest_in_path(config_path))
        layer_descs: list[dict[str, Any]] = []
        layers: list[str] = []
        for layer_path in entry.get("Layers") or []:
            with source.open(str(layer_path)) as f:
                kind = _compression(f.read(4))
            digest = self._put_from(source, str(layer_path), _digest_in_path(layer_path), None)
            layers.append(digest)
            layer_descs.append(
                {
                    "mediaType": LAYER_TYPES[kind],
                    "digest": digest,
                    "size": self.blob_path(digest).stat().st_size,
                }
            )
        # docker save keeps no registry manifest: write the OCI manifest of this content.
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": OCI_CONFIG,
                "digest": config_digest,
                "size": len(config_raw),
            },
            "layers": layer_descs,
        }
        raw = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
        digest = "sha256:" + hashlib.sha256(raw).hexdigest()
        record = _record(digest, config_digest, layers, config, "docker-save")
        return record, [str(t) for t in entry.get("RepoTags") or []], raw

    # ---- root filesystems ------------------------------------------------------------------

    def _install_rootfs(self, record: ImageRecord) -> int | None:
        """Unpack the layers into rootfs/<hex>; the bytes written, None if it was there."""
        dest = self.rootfs_path(record.digest)
        if dest.is_dir():
            return None
        work = Path(tempfile.mkdtemp(dir=self._tmp))
        try:
            root = work / "rootfs"
            root.mkdir()
            unpacker = _Unpacker(str(root))
            config = json.loads(self.blob_path(record.config_digest).read_bytes())
            diff_ids = list(((config.get("rootfs") or {}).get("diff_ids")) or [])
            if diff_ids and len(diff_ids) != len(record.layers):
                raise ImageError(
                    f"the config lists {len(diff_ids)} layers, the manifest {len(record.layers)}"
                )
            for i, digest in enumerate(record.layers):
                tar_path = work / "layer.tar"
                diff_id = self._decompress_layer(digest, tar_path)
                if diff_ids and diff_ids[i] != diff_id:
                    raise ImageError(
                        f"layer {digest}: uncompressed digest {diff_id}, the config says "
                        f"{diff_ids[i]} (corrupt or tampered)"
                    )
                unpacker.apply(str(tar_path))
                tar_path.unlink()
            unpacker.finish()
            os.sync()  # the whole tree on disk before it becomes visible
            try:
                os.rename(root, dest)
            except OSError:
                if not dest.is_dir():
                    raise
            fsync_dir(self._rootfs)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return unpacker.written

    def _decompress_layer(self, digest: str, out_path: Path) -> str:
        """Write the uncompressed tar of layer ``digest``; returns its digest (the diff id)."""
        limit = MAX_IMAGE_BYTES + HEADER_ALLOWANCE
        h = hashlib.sha256()
        n = 0
        with open(self.blob_path(digest), "rb") as raw:
            kind = _compression(raw.read(4))
            raw.seek(0)
            try:
                with _decompressed(raw, kind) as src, open(out_path, "wb") as out:
                    while chunk := src.read(CHUNK):
                        n += len(chunk)
                        if n > limit:
                            raise ImageError(
                                f"layer {digest}: more than {limit} bytes uncompressed"
                            )
                        h.update(chunk)
                        out.write(chunk)
            except ImageError:
                raise
            except Exception as e:  # gzip.BadGzipFile, zstd errors, EOFError on truncation
                raise ImageError(f"layer {digest}: cannot decompress ({kind}): {e}") from None
        return "sha256:" + h.hexdigest()


def _check_digest(digest: str) -> None:
    if not isinstance(digest, str) or not digest.startswith("sha256:"):
        raise ImageError(f"unsupported digest {digest!r} (only sha256 is supported)")
    if not _HEX.fullmatch(digest[7:]):
        raise ImageError(f"malformed digest {digest!r}")


def _digest_in_path(path: str) -> str | None:
    """docker 25+ names layers blobs/sha256/<hex>: that names their digest too."""
    m = re.fullmatch(r"(?:\./)?blobs/sha256/([a-f0-9]{64})", path)
    return f"sha256:{m.group(1)}" if m else None


def _json_of(raw: bytes, what: str) -> dict[str, Any]:
    try:
        obj = json.loads(raw)
    except ValueError as e:
        raise ImageError(f"{what}: not valid JSON ({e})") from None
    if not isinstance(obj, dict):
        raise ImageError(f"{what}: not a JSON object")
    return obj


def _record(
    digest: str, config_digest: str, layers: list[str], config: dict[str, Any], source: str
) -> ImageRecord:
    cfg = config.get("config") or {}
    return ImageRecord(
        digest=digest,
        config_digest=config_digest,
        layers=tuple(layers),
        entrypoint=_strings(cfg.get("Entrypoint")),
        cmd=_strings(cfg.get("Cmd")),
        workdir=str(cfg.get("WorkingDir") or ""),
        env=_env_dict(cfg.get("Env")),
        user=str(cfg.get("User") or ""),
        architecture=str(config.get("architecture") or ""),
        os=str(config.get("os") or ""),
        source=source,
    )
