"""Runtimes. Two kinds of code live here:

- what runs INSIDE an instance (python/bootstrap.py, zygote.py, isolate.py, wire.py,
  node/bootstrap.mjs): it imports nothing else of Ovis;
- the server-side adapters (base.py, registry.py, <family>/adapter.py): pure functions of a
  function's configuration that say how to launch it; they import only models and storage values.
"""
