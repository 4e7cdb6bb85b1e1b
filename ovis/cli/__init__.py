"""The ``ovis`` command line."""
