"""Persistence: the Store protocol (metadata) and the content-addressed code store."""
