"""The managed Python runtime: bootstrap (per instance) and zygote (per runtime)."""
