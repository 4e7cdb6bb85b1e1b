"""IAM's unique ids and STS's key ids: a four-letter prefix naming the kind (AROA a role, ANPA
a managed policy, ASIA a temporary access key) and random upper-case letters and digits."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_uppercase + string.digits


def unique_id(prefix: str, length: int = 21) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length - len(prefix)))
