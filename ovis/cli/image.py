"""`ovis image import` and `ovis image list`: container images for PackageType=Image functions.

These commands work on the server's data directory directly (``--data-dir``, the same default as
``ovis server``), not through the API: an import can be gigabytes and Lambda's API has no call to
upload an image. ``ImageStore`` takes an exclusive lock for the whole import and replaces every
file atomically, so importing while the server runs is safe; the server reads references from disk
on each CreateFunction / UpdateFunctionCode, so a new image is usable as soon as the command ends.

The data directory is found as `ovis server` finds it (``--data-dir``, ``OVIS_DATA_DIR``,
``.ovis-data``). A failed import creates nothing: the source is checked before anything is
written, and directories the import created (the data directory, its ``images`` store) are
removed again when it fails.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from ovis.cli.data_dir import data_dir_option
from ovis.cli.tables import json_option, print_json, print_table
from ovis.storage.images import ImageError, ImageStore

DATA_DIR_OPTION = data_dir_option("The server's data directory (as given to `ovis server`).")


@contextmanager
def _undo_new_dirs(*paths: Path) -> Iterator[None]:
    """Remove, if the block raises, the first of `paths` (outermost first) that did not
    exist before it: so a failure leaves the tree as it was found."""
    created = next((p for p in paths if not p.exists()), None)
    try:
        yield
    except BaseException:
        if created is not None and created.exists():
            shutil.rmtree(created, ignore_errors=True)
        raise


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


@click.group("image")
def image() -> None:
    """Container images for functions with PackageType=Image."""


@image.command("import")
@click.argument("file", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--name",
    metavar="NAME[:TAG]",
    help="Reference to record the image under (default: the name in the archive; tag latest).",
)
@DATA_DIR_OPTION
def import_image(file: Path, name: str | None, data_dir: Path) -> None:
    """Import FILE: an OCI image layout directory, an OCI archive, or a `docker save` tarball.

    Verifies every blob against its digest, unpacks the layers into a root filesystem and prints
    the references to use as ImageUri.
    """
    if not (file.is_dir() or file.is_file()):
        raise click.ClickException(f"{file}: not a file or directory")
    root = data_dir.resolve()
    try:
        with _undo_new_dirs(*reversed(root.parents), root, root / "images"):
            result = ImageStore(root / "images").import_archive(file, name)
    except ImageError as e:
        raise click.ClickException(str(e)) from None
    except PermissionError as e:
        raise click.ClickException(f"{e.filename}: permission denied") from None
    except OSError as e:
        raise click.ClickException(f"{file}: {e.strerror or e}") from None
    rec = result.record
    what = "Imported" if result.unpacked else "Already imported"
    click.echo(
        f"{what} {rec.digest} ({len(rec.layers)} layers, {_human(rec.size)} unpacked, "
        f"{rec.os or '?'}/{rec.architecture or '?'})"
    )
    for ref in result.references:
        click.echo(f"  ImageUri: {ref}")


@image.command("list")
@DATA_DIR_OPTION
@json_option("Print the references as a JSON array.")
def list_images(data_dir: Path, as_json: bool) -> None:
    """List imported image references and the digests they resolve to."""
    root = data_dir.resolve() / "images"
    refs: dict[str, str] = {}
    store: ImageStore | None = None
    if root.is_dir():
        store = ImageStore(root)
        try:
            refs = store.references()
        except ImageError as e:
            raise click.ClickException(str(e)) from None
    rows: list[dict[str, Any]] = []
    for ref, digest in sorted(refs.items()):
        rec = store.get(digest) if store is not None else None
        rows.append(
            {
                "Reference": ref,
                "Digest": digest,
                "Command": [*rec.entrypoint, *rec.cmd] if rec is not None else None,
                "Size": rec.size if rec is not None else None,
            }
        )
    if as_json:
        print_json(rows)
        return
    if not rows:
        click.echo(f"No images in {data_dir}: `ovis image import FILE --name NAME:TAG`.", err=True)
        return
    print_table(
        ["Reference", "Digest", ("Size", True), "Command"],
        (
            (
                r["Reference"],
                r["Digest"],
                _human(int(r["Size"])) if r["Size"] is not None else None,
                " ".join(r["Command"]) if r["Command"] is not None else "?",
            )
            for r in rows
        ),
    )
