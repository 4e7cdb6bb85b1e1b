"""S3 throughput: PUT and GET of 1 KiB and 64 MiB objects, next to the disk's own speed (dd).

A script, not a test. Starts its own Ovis server (data dir on the same file system as the dd
file). Small objects: sequential boto3 calls on one keep-alive connection (latency-bound: each
PUT is an fsync'd blob plus a SQLite commit). Large objects: boto3's put_object (the client
hashes the body: SHA-256 for the signature and CRC32) and a presigned PUT over http.client (no
client hashing; the server still computes MD5 for the ETag), GETs streamed to /dev/null.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import boto3
from botocore.config import Config
from common import (
    ACCESS_KEY,
    REGION,
    SECRET_KEY,
    machine_info,
    print_table,
    start_ovis,
    write_results,
)

MIB = 1024 * 1024


def dd(path: Path, mib: int) -> tuple[float, float]:
    """(write MB/s with fsync, read MB/s after dropping the file from the page cache if we can)."""

    def rate(out: str) -> float:
        m = re.search(r"([\d.]+) ([KMG]?B)/s", out)
        if not m:
            return float("nan")
        scale = {"B": 1e-6, "kB": 1e-3, "KB": 1e-3, "MB": 1.0, "GB": 1e3}[m.group(2)]
        return float(m.group(1)) * scale

    w = subprocess.run(
        ["dd", "if=/dev/zero", f"of={path}", "bs=1M", f"count={mib}", "conv=fsync"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    r = subprocess.run(
        ["dd", f"if={path}", "of=/dev/null", "bs=1M"], capture_output=True, text=True, check=True
    )
    path.unlink()
    return rate(w.stderr), rate(r.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--small", type=int, default=300, help="number of 1 KiB PUTs and GETs")
    ap.add_argument("--large", type=int, default=3, help="number of 64 MiB PUTs and GETs")
    args = ap.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="bench-s3-"))
    disk_w, disk_r = dd(data_dir / "dd.bin", 256)
    server, url = start_ovis(data_dir=data_dir / "ovis")
    try:
        s3 = boto3.client(
            "s3", endpoint_url=url, region_name=REGION, aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY, config=Config(retries={"max_attempts": 0}),
        )  # fmt: skip
        s3.create_bucket(Bucket="bench")
        rows = []
        small = os.urandom(1024)
        t = time.perf_counter()
        for i in range(args.small):
            s3.put_object(Bucket="bench", Key=f"small/{i}", Body=small)
        put_s = time.perf_counter() - t
        t = time.perf_counter()
        for i in range(args.small):
            s3.get_object(Bucket="bench", Key=f"small/{i}")["Body"].read()
        get_s = time.perf_counter() - t
        # the same with the client's cost taken out: URLs presigned up front, one keep-alive
        # connection, no client hashing
        puts = [
            s3.generate_presigned_url("put_object", Params={"Bucket": "bench", "Key": f"raw/{i}"})
            for i in range(args.small)
        ]
        gets = [
            s3.generate_presigned_url("get_object", Params={"Bucket": "bench", "Key": f"raw/{i}"})
            for i in range(args.small)
        ]
        first = urllib.parse.urlsplit(puts[0])
        conn = http.client.HTTPConnection(first.hostname, first.port, timeout=60)
        t = time.perf_counter()
        for u in puts:
            parts = urllib.parse.urlsplit(u)
            conn.request("PUT", f"{parts.path}?{parts.query}", body=small)
            conn.getresponse().read()
        raw_put_s = time.perf_counter() - t
        t = time.perf_counter()
        for u in gets:
            parts = urllib.parse.urlsplit(u)
            conn.request("GET", f"{parts.path}?{parts.query}")
            assert conn.getresponse().read() == small
        raw_get_s = time.perf_counter() - t
        conn.close()
        rows.append(
            [
                "1 KiB PUT (boto3)",
                f"{args.small / put_s:,.0f} obj/s",
                f"{put_s / args.small * 1000:.2f} ms",
            ]
        )
        rows.append(
            [
                "1 KiB GET (boto3)",
                f"{args.small / get_s:,.0f} obj/s",
                f"{get_s / args.small * 1000:.2f} ms",
            ]
        )

        n = args.small
        rows.append(
            [
                "1 KiB PUT (presigned, keep-alive)",
                f"{n / raw_put_s:,.0f} obj/s",
                f"{raw_put_s / n * 1000:.2f} ms",
            ]
        )
        rows.append(
            [
                "1 KiB GET (presigned, keep-alive)",
                f"{n / raw_get_s:,.0f} obj/s",
                f"{raw_get_s / n * 1000:.2f} ms",
            ]
        )
        big = os.urandom(64 * MIB)
        t = time.perf_counter()
        for i in range(args.large):
            s3.put_object(Bucket="bench", Key=f"big/{i}", Body=big)
        boto_put = args.large * 64 / (time.perf_counter() - t)
        presigned = s3.generate_presigned_url(
            "put_object", Params={"Bucket": "bench", "Key": "raw"}
        )
        parts = urllib.parse.urlsplit(presigned)
        t = time.perf_counter()
        for _ in range(args.large):
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
            conn.request("PUT", f"{parts.path}?{parts.query}", body=big)
            conn.getresponse().read()
            conn.close()
        raw_put = args.large * 64 / (time.perf_counter() - t)
        t = time.perf_counter()
        for i in range(args.large):
            body = s3.get_object(Bucket="bench", Key=f"big/{i}")["Body"]
            while body.read(MIB):
                pass
        boto_get = args.large * 64 / (time.perf_counter() - t)
        rows.append(["64 MiB PUT (boto3: client SHA-256 + CRC32)", f"{boto_put:,.0f} MiB/s", ""])
        rows.append(["64 MiB PUT (presigned, http.client)", f"{raw_put:,.0f} MiB/s", ""])
        rows.append(["64 MiB GET (boto3, streamed)", f"{boto_get:,.0f} MiB/s", ""])
        rows.append(["disk: dd write 256 MiB, conv=fsync", f"{disk_w:,.0f} MB/s", ""])
        rows.append(["disk: dd read 256 MiB", f"{disk_r:,.0f} MB/s", ""])
        print_table(["what", "throughput", "per object"], rows)
        path = write_results("s3", {"rows": rows, "machine": machine_info()})
        print(f"results: {path}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
