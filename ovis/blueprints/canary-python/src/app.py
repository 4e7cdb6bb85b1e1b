"""The function behind the canary: answers which release served the call.

RELEASE names this code's release: change it (or anything in src/) and deploy, and the new
version takes CanaryWeight of the live alias's traffic."""

import os
from typing import Any

RELEASE = "1"


def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    return {
        "release": RELEASE,
        "version": context.function_version,
        "channel": os.environ.get("RELEASE_CHANNEL", ""),
    }
