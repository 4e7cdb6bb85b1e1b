"""The code a function created "from scratch" starts with, per runtime family: a handler that
answers 200 with a greeting, as Lambda's console does. Built as a zip in memory."""

from __future__ import annotations

import io
import zipfile

_PYTHON = """import json


def lambda_handler(event, context):
    print("event:", json.dumps(event))
    return {"statusCode": 200, "body": json.dumps("Hello from Ovis!")}
"""

_NODE = """export const handler = async (event) => {
  console.log("event:", JSON.stringify(event));
  return { statusCode: 200, body: JSON.stringify("Hello from Ovis!") };
};
"""


def starter(runtime: str) -> tuple[str, dict[str, str]]:
    """(handler, files) for a new function of ``runtime``; ValueError for a runtime family the
    console has no starter for (the caller answers 400)."""
    if runtime.startswith("python"):
        return "lambda_function.lambda_handler", {"lambda_function.py": _PYTHON}
    if runtime.startswith("nodejs"):
        return "index.handler", {"index.mjs": _NODE}
    raise ValueError(f"The console has no starter code for runtime {runtime}.")


def zip_files(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in sorted(files.items()):
            info = zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text)
    return buf.getvalue()
