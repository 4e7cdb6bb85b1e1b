from ovis.cli.main import cli

cli()
