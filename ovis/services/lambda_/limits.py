"""Lambda's documented limits the botocore model does not carry (or carries looser), checked
where the commands are built, worded as Lambda words them.

* EphemeralStorage ``Size``: 512..10240 MB (Lambda quotas). The model's range is wider, so the
  upper bound is checked here with the model validator's own ValidationException wording.
* Tags: at most 50 per function, counting the tags it already has (Lambda's
  InvalidParameterValueException).
"""

from __future__ import annotations

from collections.abc import Mapping

from ovis.errors import InvalidParameterValueException, ValidationException

MIN_EPHEMERAL_STORAGE_MB = 512
MAX_EPHEMERAL_STORAGE_MB = 10240
MAX_TAGS = 50


def check_ephemeral_storage(size: int | None) -> None:
    if size is None:
        return
    if size > MAX_EPHEMERAL_STORAGE_MB:
        raise ValidationException(
            f"1 validation error detected: Value '{size}' at 'ephemeralStorage.size' failed to "
            f"satisfy constraint: Member must have value less than or equal to "
            f"{MAX_EPHEMERAL_STORAGE_MB}"
        )
    if size < MIN_EPHEMERAL_STORAGE_MB:
        raise ValidationException(
            f"1 validation error detected: Value '{size}' at 'ephemeralStorage.size' failed to "
            f"satisfy constraint: Member must have value greater than or equal to "
            f"{MIN_EPHEMERAL_STORAGE_MB}"
        )


def check_tag_count(new: Mapping[str, str], existing: Mapping[str, str] | None = None) -> None:
    """``new`` added to ``existing`` (keys overwrite) must leave at most ``MAX_TAGS``."""
    total = len(new.keys() | (existing or {}).keys())
    if total > MAX_TAGS:
        raise InvalidParameterValueException(
            f"Number of tags exceeds resource tag limit. A resource can have at most {MAX_TAGS} "
            f"tags; this request would leave {total}."
        )
