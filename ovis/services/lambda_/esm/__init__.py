"""Event source mappings: the API's use cases, the runner that keeps one poller per enabled
mapping, and the pollers that read SQS queues and streams and invoke functions in batches.

Sources are reached only through the protocols of ``sources.py``; the composition root passes
the queue and stream services, which satisfy them structurally.
"""
