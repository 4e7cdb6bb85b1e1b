"""Migration 9: IAM roles and customer managed policies, and STS's temporary credentials.

Each aggregate is one row holding its JSON form (``ovis.models.iam``): a role with its inline
policies, attached policy ARNs and tags; a managed policy with its versions; a set of temporary
credentials. Role names are unique regardless of case (as in IAM), so a role's key is its
lower-cased name.
"""

from __future__ import annotations

import sqlite3

VERSION = 9


def upgrade(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS iam_roles (name_key TEXT PRIMARY KEY, data TEXT NOT NULL)"
    )
    db.execute("CREATE TABLE IF NOT EXISTS iam_policies (arn TEXT PRIMARY KEY, data TEXT NOT NULL)")
    db.execute(
        "CREATE TABLE IF NOT EXISTS sts_credentials ("
        " access_key TEXT PRIMARY KEY,"
        " expires_s REAL NOT NULL,"
        " data TEXT NOT NULL)"
    )
