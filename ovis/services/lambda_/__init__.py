"""Use cases of the management API: functions, tags, account settings."""
