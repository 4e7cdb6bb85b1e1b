"""`ovis blueprints` (the catalog as a table) and `ovis init --blueprint NAME DIR` (one written
out). Both work offline: blueprints are package data (ovis/blueprints/), no server is asked.

`init` writes the blueprint's template.yaml and code into DIR (created if missing). A non-empty
DIR is refused unless --force, which overwrites the blueprint's own files and leaves any other
file alone; an unknown name is refused with the list of known ones. Nothing is written when the
command fails.
"""

from __future__ import annotations

from pathlib import Path

import click

from ovis.blueprints import catalog
from ovis.cli.tables import json_option, print_json, print_table


@click.command("blueprints", short_help="List the blueprints `ovis init` can write out.")
@json_option("Print the blueprints (with their presets) as a JSON array.")
def list_blueprints(as_json: bool) -> None:
    """List the blueprints: sample functions with their configuration and triggers, as SAM
    templates. Write one out with `ovis init --blueprint NAME DIR`."""
    blueprints = catalog.list_blueprints()
    if as_json:
        docs = []
        for bp in blueprints:
            p = bp.presets()
            docs.append(
                {
                    **bp.summary(),
                    "MemorySize": p.memory,
                    "Timeout": p.timeout,
                    "Environment": p.environment,
                }
            )
        print_json(docs)
        return
    print_table(
        ["NAME", "RUNTIME", "TRIGGER", "DESCRIPTION"],
        [(bp.name, bp.runtime, bp.trigger, bp.description) for bp in blueprints],
    )


@click.command("init", short_help="Write a blueprint's template and code into a directory.")
@click.option(
    "--blueprint", "-b", "name", required=True, metavar="NAME", help="See `ovis blueprints`."
)
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Write into a non-empty DIRECTORY (overwrites).")
def init(name: str, directory: Path, force: bool) -> None:
    """Write blueprint NAME (template.yaml and its code) into DIRECTORY, ready for `sam deploy`
    (or `sam build` first) against this server."""
    try:
        bp = catalog.get(name)
        written = catalog.write_to(name, directory, force=force)
    except (catalog.UnknownBlueprint, catalog.DirectoryNotEmpty) as e:
        raise click.ClickException(str(e.args[0])) from None
    click.echo(f"Wrote blueprint {bp.name} ({bp.title}) to {directory}:")
    for path in written:
        click.echo(f"  {path.relative_to(directory)}")
    hint = "python build.py && ovis image import image.tar" if bp.name == "container-image" else ""
    deploy = "sam deploy --resolve-s3 --capabilities CAPABILITY_IAM --stack-name STACK"
    click.echo(f"Next: cd {directory} && {hint + ' && ' if hint else ''}{deploy}")
    click.echo("(with AWS_ENDPOINT_URL set to the server, e.g. http://127.0.0.1:8910)")
