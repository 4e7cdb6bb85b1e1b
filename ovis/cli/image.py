"""`ovis image import` and `ovis image list`: container images for PackageType=Image functions.

These commands work on the server's data directory directly (``--data-dir``, the same default as
``ovis server``), not through the API: an import can be gigabytes and Lambda's API has no call to
upload an image. ``ImageStore`` takes an exclusive lock for the whole import and replaces every
file atomically, so importing while the server runs is safe; the server reads references from disk
on each CreateFunction / UpdateFunctionCode, so a new image is usable as soon as the command ends.
"""

from __future__ import annotations

from pathlib import Path

import click

from ovis.storage.images import ImageError, ImageStore

DATA_DIR_OPTION = click.option(
    "--data-dir",
    default=".ovis-data",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The server's data directory (as given to `ovis server`).",
)


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
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        result = ImageStore(data_dir.resolve() / "images").import_archive(file, name)
    except ImageError as e:
        raise click.ClickException(str(e)) from None
    except PermissionError as e:
        raise click.ClickException(f"{e.filename}: permission denied") from None
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
def list_images(data_dir: Path) -> None:
    """List imported image references and the digests they resolve to."""
    root = data_dir.resolve() / "images"
    if not root.is_dir():
        click.echo(f"No images in {data_dir}: `ovis image import FILE --name NAME:TAG`.")
        return
    store = ImageStore(root)
    try:
        refs = store.references()
    except ImageError as e:
        raise click.ClickException(str(e)) from None
    if not refs:
        click.echo("No images imported yet: `ovis image import FILE --name NAME:TAG`.")
        return
    width = max(len(r) for r in refs)
    for ref, digest in sorted(refs.items()):
        rec = store.get(digest)
        entry = " ".join([*rec.entrypoint, *rec.cmd]) if rec is not None else "?"
        click.echo(f"{ref:<{width}}  {digest[:19]}  {entry}")
