"""Hello world: answers {"message": "<GREETING>, <name>!"} for an event {"name": ...}."""

import os
from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    name = (event or {}).get("name", "world")
    return {"message": f"{os.environ.get('GREETING', 'Hello')}, {name}!"}
