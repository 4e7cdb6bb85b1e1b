"""Instances and their pools. Knows nothing of HTTP routes or the store."""
