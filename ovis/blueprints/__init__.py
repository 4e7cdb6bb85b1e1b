"""Blueprints: sample functions with their configuration presets, as SAM templates.

Each blueprint is a directory of package data (``<name>/template.yaml``, its code under
``src/`` or ``image/``, ``blueprint.json`` describing it); ``catalog.py`` lists and writes them
out, ``package.py`` turns one into a template CloudFormation deploys (code uploaded to S3, as
``sam package`` does). Used by the CLI (``ovis blueprints``, ``ovis init``) and the console's
"create from blueprint"; nothing here talks to a server.
"""
