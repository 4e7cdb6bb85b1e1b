"""Persistence: metadata storage per aggregate (``storage.sqlite``), the content-addressed code
store and the image store. The repository protocols live beside their callers; the values they
exchange live in ``ovis.models``."""
