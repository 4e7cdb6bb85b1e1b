"""Kinesis Data Streams' limits, as AWS documents them (and our one deviation: no throughput
throttling per shard, so a benchmark can put thousands of records a second into one shard)."""

from __future__ import annotations

MAX_RECORD_BYTES = 1024 * 1024  # data + partition key
MAX_PUT_RECORDS = 500
MAX_PUT_RECORDS_BYTES = 5 * 1024 * 1024
MAX_GET_RECORDS = 10_000
MAX_GET_RECORDS_BYTES = 10 * 1024 * 1024
ITERATOR_TTL_MS = 5 * 60 * 1000
MIN_RETENTION_HOURS = 24
MAX_RETENTION_HOURS = 8760
DEFAULT_RETENTION_HOURS = 24
ON_DEMAND_SHARDS = 4
SHARD_LIMIT = 500  # open shards per account (AWS's default in the large regions)
ON_DEMAND_STREAM_LIMIT = 50
MAX_TAGS = 50
DEFAULT_LIST_STREAMS = 100
DEFAULT_DESCRIBE_SHARDS = 100
DEFAULT_LIST_SHARDS = 1000
