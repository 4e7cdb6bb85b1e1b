"""What storage raises, whatever the backend (callers never see a driver's own exceptions).

- ``ConflictError``: a write broke a uniqueness rule (an async event id accepted twice, a
  function version published twice). Nothing of that write was stored.
- ``StorageClosedError``: the storage was closed; every method raises it afterwards.
- ``SchemaVersionError``: the database was written by a newer Ovis (a schema version this code
  does not know); it is not opened, so nothing is changed.
"""

from __future__ import annotations


class StorageError(Exception):
    """Base of every storage error."""


class ConflictError(StorageError):
    """A write would have broken a uniqueness rule; the whole write was rolled back."""


class StorageClosedError(StorageError, RuntimeError):
    """The storage is closed (a RuntimeError, as "store is closed" always was)."""


class SchemaVersionError(StorageError):
    """The database's schema is newer than this code knows."""
