"""Inline function code (``Code.ZipFile``): the deployment package CloudFormation builds.

Contract: ``inline_package(source, runtime)`` answers a deterministic zip (fixed timestamps and
permissions, so the same source gives the same CodeSha256 and an unchanged template never
looks like a code change) holding the source as ``index.py`` (Python) or ``index.js``
(Node.js, a CommonJS module, as AWS documents). When the source refers to CloudFormation's
response helper (``cfnresponse`` in Python, ``cfn-response`` in Node.js) the zip also holds it,
as AWS provides it only to inline code. Other runtimes refuse inline code, as CloudFormation
does. The helpers are written here: they PUT the custom resource's JSON response to the
event's presigned ``ResponseURL`` with the same ``send`` signature AWS documents.
"""

from __future__ import annotations

import io
import zipfile

from ovis.services.cloudformation.resources.base import ResourceFailed

_PY_HELPER = '''"""CloudFormation custom resource responses (inline code's cfnresponse)."""

import json
import urllib.request

SUCCESS = "SUCCESS"
FAILED = "FAILED"


def send(event, context, responseStatus, responseData, physicalResourceId=None,
         noEcho=False, reason=None):
    log_stream = getattr(context, "log_stream_name", "")
    body = {
        "Status": responseStatus,
        "Reason": reason or ("See the details in CloudWatch Log Stream: " + log_stream),
        "PhysicalResourceId": physicalResourceId or log_stream,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "NoEcho": noEcho,
        "Data": responseData,
    }
    data = json.dumps(body).encode()
    print("Response body:", data.decode())
    req = urllib.request.Request(
        event["ResponseURL"], data=data, method="PUT",
        headers={"Content-Type": "", "Content-Length": str(len(data))},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            print("Status code:", resp.status)
    except Exception as e:  # the function's own outcome does not depend on the reply
        print("send(..) failed executing request: " + str(e))
'''

_JS_HELPER = """// CloudFormation custom resource responses (inline code's cfn-response).
exports.SUCCESS = "SUCCESS";
exports.FAILED = "FAILED";

exports.send = function (event, context, responseStatus, responseData, physicalResourceId,
                         noEcho, reason) {
  return new Promise(function (resolve) {
    var logStream = (context && context.logStreamName) || "";
    var body = JSON.stringify({
      Status: responseStatus,
      Reason: reason || ("See the details in CloudWatch Log Stream: " + logStream),
      PhysicalResourceId: physicalResourceId || logStream,
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
      NoEcho: noEcho || false,
      Data: responseData
    });
    console.log("Response body:\\n", body);
    var url = new URL(event.ResponseURL);
    var lib = require(url.protocol === "https:" ? "https" : "http");
    var req = lib.request(url, {
      method: "PUT",
      headers: { "content-type": "", "content-length": Buffer.byteLength(body) }
    }, function (res) {
      console.log("Status code: " + res.statusCode);
      res.resume();
      res.on("end", function () { resolve(); if (context && context.done) context.done(); });
    });
    req.on("error", function (error) {
      console.log("send(..) failed executing https.request(..): " + error);
      resolve();
      if (context && context.done) context.done();
    });
    req.write(body);
    req.end();
  });
};
"""


def _add(z: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = 0o644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(info, text)


def inline_package(source: str, runtime: str | None) -> bytes:
    rt = runtime or ""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        if rt.startswith("python"):
            _add(z, "index.py", source)
            if "cfnresponse" in source:
                _add(z, "cfnresponse.py", _PY_HELPER)
        elif rt.startswith("nodejs"):
            _add(z, "index.js", source)
            if "cfn-response" in source:
                _add(z, "node_modules/cfn-response/index.js", _JS_HELPER)
        else:
            raise ResourceFailed(
                f"ZipFile can only be used when Runtime is set to either of python or nodejs "
                f"runtimes (Runtime: {rt or 'not set'})."
            )
    return buf.getvalue()
