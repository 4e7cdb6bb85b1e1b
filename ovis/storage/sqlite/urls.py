"""Function URL configurations (the JSON of control.urls.UrlConfig) per (function, qualifier),
where qualifier "" is the unqualified function.

Contract: synchronous, thread-safe, durable on return; a None config deletes it;
``delete_function`` removes the function's URLs.
"""

from __future__ import annotations

import json

from ovis.storage.sqlite.engine import Engine


class SqliteUrls:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def function_url_configs(self) -> list[dict[str, object]]:
        return [json.loads(r[0]) for r in self._engine.read("SELECT data FROM function_urls")]

    def put_function_url_config(
        self, function: str, qualifier: str, data: dict[str, object] | None
    ) -> None:
        """Store a function URL's configuration; None deletes it."""
        values = None if data is None else {"data": json.dumps(data)}
        self._engine.put_or_delete(
            "function_urls", {"function": function, "qualifier": qualifier}, values
        )
