"""For each object created under incoming/ of the input bucket, writes a JSON summary
({"source", "bytes", "lines", "words"}) to OUTPUT_BUCKET under the same name + ".json"."""

import json
import os
import urllib.parse
from typing import Any


def summarize(key: str, data: bytes) -> dict[str, Any]:
    text = data.decode("utf-8", "replace")
    return {
        "source": key,
        "bytes": len(data),
        "lines": len(text.splitlines()),
        "words": len(text.split()),
    }


def output_key(key: str) -> str:
    return key.split("/", 1)[-1] + ".json"


def handler(event: dict[str, Any], context: Any) -> dict[str, list[str]]:
    import boto3  # imported here so that the unit tests need no SDK

    s3 = boto3.client("s3")
    out_bucket = os.environ["OUTPUT_BUCKET"]
    written = []
    for record in event.get("Records", []):
        bucket = record["s3"]["bucket"]["name"]
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        out = output_key(key)
        s3.put_object(Bucket=out_bucket, Key=out, Body=json.dumps(summarize(key, data)).encode())
        written.append(out)
    return {"written": written}
