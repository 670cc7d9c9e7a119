"""Secrets the server issues (issue 15 item 5): signature and token query parameters of URLs that a response
body carries are redacted wherever an error quotes that body (its message, repr, pickle and the detached
response it keeps).  main quoted an Azure SAS URL's ``sig=`` in clear in ``StepOutputError``."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from .scripted import Reply, build_package, import_package, scripted

API = """
openapi: 3.0.3
info: {title: Blobs, version: "1"}
servers: [{url: "http://127.0.0.1:9"}]
paths:
  /blobs/{key}:
    get:
      operationId: getBlob
      parameters: [{name: key, in: path, required: true, schema: {type: string}}]
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {download: {type: string}, size: {type: integer}}}
"""

FLOW = """
arazzo: 1.0.1
info: {title: Blobs, version: "1"}
sourceDescriptions: [{name: blobs, url: ../openapi/blobs.yaml, type: openapi}]
workflows:
  - workflowId: fetch
    inputs: {type: object, properties: {key: {type: string}}, required: [key]}
    steps:
      - stepId: read
        operationId: getBlob
        parameters: [{name: key, in: path, value: $inputs.key}]
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {size: $response.body#/size}
    outputs: {size: $steps.read.outputs.size}
"""

SAS_SIG = "Zm9vYmFyU0VDUkVUc2lnbmF0dXJl%2Bx%3D"
SAS = (
    "https://acct.blob.core.windows.net/jobs/out.json?sv=2022-11-02&se=2026-12-08T00%3A00%3A00Z"
    f"&sr=b&sp=r&sig={SAS_SIG}"
)
S3_SIG = "4f2a9c0d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f"
S3_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLEsessiontoken"
S3 = (
    "https://bucket.s3.amazonaws.com/out.json?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    "&X-Amz-Credential=AKIAEXAMPLEKEYID%2F20261207%2Fus-east-1%2Fs3%2Faws4_request"
    f"&X-Amz-Date=20261207T000000Z&X-Amz-Expires=3600&X-Amz-Security-Token={S3_TOKEN}"
    f"&X-Amz-SignedHeaders=host&X-Amz-Signature={S3_SIG}"
)
SECRETS = (SAS_SIG, "Zm9vYmFyU0VDUkVUc2lnbmF0dXJl", S3_SIG, S3_TOKEN, "AKIAEXAMPLEKEYID")


def _assert_hidden(error: BaseException) -> None:
    response = getattr(error, "response", None)
    texts = [str(error), repr(error), pickle.dumps(error).decode("latin-1")]
    if response is not None:
        texts.append(response.content.decode("utf-8", "replace"))
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, (secret, text)


@pytest.mark.parametrize("url", [SAS, S3, SAS.replace("/", "\\/")], ids=["azure-sas", "s3-presigned", "json-escaped"])
def test_a_signed_url_in_a_body_an_error_quotes_is_redacted(tmp_path: Path, url: str) -> None:
    out, _ = build_package(tmp_path, {"openapi/blobs.yaml": API, "arazzo/blobs.arazzo.yaml": FLOW}, "blob_pkg")
    package = import_package(out, "blob_pkg")
    raw = '{"download": "%s", "size": "big"}' % url
    with scripted(
        {("GET", "/blobs/b1"): [Reply(200, text=raw, content_type="application/json")],
         ("GET", "/blobs/b2"): [Reply(403, text=raw, content_type="application/json")]}
    ) as server, package.apis.blobs.Client(server.url) as client:
        with pytest.raises(package._runtime.StepOutputError) as output_error:
            package.workflows.blobs.fetch(key="b1", blobs_api=client)
        with pytest.raises(package._runtime.StepFailed) as status_error:
            package.workflows.blobs.fetch(key="b2", blobs_api=client)
    assert "sig=***" in str(output_error.value) or "Signature=***" in str(output_error.value)
    assert "size" in str(output_error.value)
    for error in (output_error.value, status_error.value, status_error.value.cause):
        _assert_hidden(error)


def test_the_redaction_keeps_what_is_no_secret() -> None:
    from arazzo_gen.runtime import _runtime

    redactor = _runtime.Redactor()
    assert redactor.text(f"see {SAS} now") == (
        "see https://acct.blob.core.windows.net/jobs/out.json?sv=2022-11-02&se=2026-12-08T00%3A00%3A00Z"
        "&sr=b&sp=r&sig=*** now"
    )
    assert redactor.text("page?next=2&limit=10 and a&b") == "page?next=2&limit=10 and a&b"
    assert redactor.content(b'{"u": "https:\\/\\/h\\/p?token=abc&x=1"}') == b'{"u": "https:\\/\\/h\\/p?token=***&x=1"}'
