CREATE TABLE IF NOT EXISTS functions (
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    config TEXT NOT NULL,
    PRIMARY KEY (name, version)
);
CREATE TABLE IF NOT EXISTS tags (
    arn TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (arn, key)
);
CREATE TABLE IF NOT EXISTS log_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    grp TEXT NOT NULL,
    stream TEXT NOT NULL,
    ts INTEGER NOT NULL,
    ingested INTEGER NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_events_grp_ts ON log_events (grp, ts, id);
CREATE TABLE IF NOT EXISTS async_events (
    id TEXT PRIMARY KEY,
    function TEXT NOT NULL,
    qualifier TEXT NOT NULL,
    payload BLOB NOT NULL,
    received_ms INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before_ms INTEGER NOT NULL DEFAULT 0,
    hops INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS async_events_due ON async_events (not_before_ms);
CREATE TABLE IF NOT EXISTS async_results (
    event_id TEXT PRIMARY KEY,
    function TEXT NOT NULL,
    outcome TEXT NOT NULL,
    condition TEXT NOT NULL,
    destination TEXT,
    record TEXT NOT NULL,
    finished_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS async_ledger (
    entry_id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL,
    function TEXT NOT NULL,
    kind TEXT NOT NULL,
    destination TEXT NOT NULL,
    body TEXT NOT NULL,
    attributes TEXT NOT NULL,
    error TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_ms INTEGER NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS event_invoke_configs (
    function TEXT NOT NULL,
    qualifier TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (function, qualifier)
);
CREATE TABLE IF NOT EXISTS recursion_configs (
    function TEXT PRIMARY KEY,
    mode TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS version_counters (
    name TEXT PRIMARY KEY,
    last_version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS aliases (
    function TEXT NOT NULL,
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (function, name)
);
CREATE TABLE IF NOT EXISTS provisioned_concurrency (
    function TEXT NOT NULL,
    qualifier TEXT NOT NULL,
    requested INTEGER NOT NULL,
    last_modified TEXT NOT NULL,
    PRIMARY KEY (function, qualifier)
);
CREATE TABLE IF NOT EXISTS function_concurrency (
    name TEXT PRIMARY KEY,
    reserved INTEGER NOT NULL
);
-- layers: the per-layer version counter survives the deletion of every version
CREATE TABLE IF NOT EXISTS layers (
    name TEXT PRIMARY KEY,
    last_version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS layer_versions (
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    digest TEXT NOT NULL,
    code_sha256 TEXT NOT NULL,
    code_size INTEGER NOT NULL,
    unzipped_size INTEGER NOT NULL,
    description TEXT NOT NULL,
    created TEXT NOT NULL,
    compatible_runtimes TEXT,
    compatible_architectures TEXT,
    license_info TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (name, version)
);
CREATE TABLE IF NOT EXISTS layer_policies (
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    statements TEXT NOT NULL,
    revision_id TEXT NOT NULL,
    PRIMARY KEY (name, version)
);
-- Application Auto Scaling: targets and policies as the JSON of their API shapes
CREATE TABLE IF NOT EXISTS scalable_targets (
    namespace TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    dimension TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (namespace, resource_id, dimension)
);
CREATE TABLE IF NOT EXISTS scaling_policies (
    namespace TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    dimension TEXT NOT NULL,
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (namespace, resource_id, dimension, name)
);
-- SQS-compatible queues (ovis.queues); a queue's tags live in the tags table under its ARN
CREATE TABLE IF NOT EXISTS sqs_queues (
    name TEXT PRIMARY KEY,
    attributes TEXT NOT NULL,
    created_s INTEGER NOT NULL,
    modified_s INTEGER NOT NULL,
    sequence INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sqs_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    message_id TEXT NOT NULL,
    body TEXT NOT NULL,
    attributes TEXT NOT NULL,
    system TEXT NOT NULL,
    sent_ms INTEGER NOT NULL,
    visible_ms INTEGER NOT NULL,
    group_id TEXT NOT NULL DEFAULT '',
    dedup_id TEXT NOT NULL DEFAULT '',
    receive_count INTEGER NOT NULL DEFAULT 0,
    first_receive_ms INTEGER NOT NULL DEFAULT 0,
    receipt TEXT NOT NULL DEFAULT '',
    sequence INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS sqs_messages_visible ON sqs_messages (queue, visible_ms, id);
CREATE INDEX IF NOT EXISTS sqs_messages_group ON sqs_messages (queue, group_id, id);
CREATE INDEX IF NOT EXISTS sqs_messages_sent ON sqs_messages (queue, sent_ms);
-- FIFO deduplication keys, kept for the 5-minute window even after their message is gone
CREATE TABLE IF NOT EXISTS sqs_dedup (
    queue TEXT NOT NULL,
    key TEXT NOT NULL,
    message_id TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    until_ms INTEGER NOT NULL,
    PRIMARY KEY (queue, key)
);
-- function URLs and function resource policies, per (function, qualifier); qualifier '' is the
-- unqualified function
CREATE TABLE IF NOT EXISTS function_urls (
    function TEXT NOT NULL,
    qualifier TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (function, qualifier)
);
CREATE TABLE IF NOT EXISTS function_policies (
    function TEXT NOT NULL,
    qualifier TEXT NOT NULL,
    statements TEXT NOT NULL,
    revision_id TEXT NOT NULL,
    PRIMARY KEY (function, qualifier)
);
