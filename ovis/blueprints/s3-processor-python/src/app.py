"""An S3 object processor: for each object created under incoming/, writes a JSON summary
({"source", "size", "lines", "words"}) to OUTPUT_PREFIX + the key's name + ".json".

The trigger's prefix filter (incoming/) keeps the function's own output from triggering it."""

import json
import os
import urllib.parse
from typing import Any

import boto3

s3 = boto3.client("s3")


def handler(event: dict[str, Any], context: Any) -> dict[str, list[str]]:
    prefix = os.environ.get("OUTPUT_PREFIX", "processed/")
    written = []
    for record in event.get("Records", []):
        bucket = record["s3"]["bucket"]["name"]
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        text = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8", "replace")
        summary = {
            "source": key,
            "size": len(text.encode()),
            "lines": len(text.splitlines()),
            "words": len(text.split()),
        }
        out = prefix + key.split("/", 1)[-1] + ".json"
        s3.put_object(Bucket=bucket, Key=out, Body=json.dumps(summary).encode())
        written.append(out)
    return {"written": written}
