"""Invocation: qualifier -> version, limits, the sync path and the durable async path."""
