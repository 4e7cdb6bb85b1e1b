"""Applications: a template's code in a git repository hosted by the server, and the pipeline
(source -> build -> test -> deploy) that runs on every push to the application's branch.

See docs/apps.md. ``catalog`` (the templates), ``models`` (App, Run, Stage), ``repository``
(what the pipelines store), ``gitrepos`` (bare repositories on disk), ``buildspec``, ``sandbox``
(the build's process), ``pipeline`` (one run's stages), ``runner`` (the supervised run loop),
``service`` (the use cases the API and the CLI call).
"""
