"""The cloud host of the receiver: an AWS Lambda function behind a Function URL.

It takes the Function URL's event (payload format 2.0; the body base64 when `isBase64Encoded`),
runs the receiving core with an S3 inbox, and forwards each accepted push to the project's
Prefect Cloud webhook as one small JSON POST that names the stored object, never the body.
Settings come from the environment only (contract 6):

- PIPELINE_INBOX_BUCKET, PIPELINE_INBOX_PREFIX: where every body is written before the answer;
- PIPELINE_FORWARD_URL, or PIPELINE_FORWARD_URL_PARAMETER: the name of an SSM parameter that holds
  it (read once per container, so the URL never passes through a log or an environment listing).

boto3 honours AWS_ENDPOINT_URL, so the handler runs against a local S3 as well.
"""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from ..receiving import ForwardFailed, Kept, Received, Verdict, receive

INBOX = "inbox/"
# Markers beside a kept body (PutObject alone, so the role needs no delete or copy): replay skips
# a receipt that has one.
QUARANTINE = "quarantine/"
IGNORED = "ignored/"
FORWARD_TIMEOUT_SECONDS = 10


@cache
def _s3() -> Any:
    import boto3

    return boto3.client("s3")


@dataclass(frozen=True)
class S3Store:
    bucket: str
    prefix: str

    def keep(self, body: bytes) -> Kept:
        receipt = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:8]}"
        key = f"{self.prefix}{INBOX}{receipt}.xml"
        _s3().put_object(Bucket=self.bucket, Key=key, Body=body)
        return Kept(f"s3://{self.bucket}/{key}", receipt)

    def quarantine(self, kept: Kept, reason: str) -> None:
        self._mark(QUARANTINE, kept, reason)

    def ignore(self, kept: Kept, reason: str) -> None:
        self._mark(IGNORED, kept, reason)

    def _mark(self, folder: str, kept: Kept, reason: str) -> None:
        key = f"{self.prefix}{folder}{kept.receipt}.reason.txt"
        _s3().put_object(Bucket=self.bucket, Key=key, Body=reason.encode() + b"\n")


@cache
def forward_url() -> str:
    url = os.environ.get("PIPELINE_FORWARD_URL")
    if url:
        return url
    import boto3

    parameter = os.environ["PIPELINE_FORWARD_URL_PARAMETER"]
    answer = boto3.client("ssm").get_parameter(Name=parameter, WithDecryption=True)
    return str(answer["Parameter"]["Value"])


def forward(received: Received) -> None:
    """One JSON POST to the webhook; any failure leaves the push kept, for replay."""
    try:
        request = urllib.request.Request(  # noqa: S310 (the URL is the project's webhook)
            forward_url(),
            data=json.dumps(received.payload()).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=FORWARD_TIMEOUT_SECONDS) as response:  # noqa: S310
            response.read()
    except (OSError, KeyError, ValueError) as error:
        # Never the URL in the message: it is the capability that starts runs.
        reason = getattr(error, "code", None) or type(error).__name__
        raise ForwardFailed(f"the webhook did not take it ({reason})") from None


def handler(event: dict[str, Any], context: object = None) -> dict[str, Any]:
    raw = event.get("body") or ""
    body = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode()
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    store = S3Store(
        os.environ["PIPELINE_INBOX_BUCKET"], os.environ.get("PIPELINE_INBOX_PREFIX", "")
    )
    outcome = receive(body, headers.get("content-type", ""), store, forward)
    receipt = outcome.kept.receipt if outcome.kept else "-"
    level = "info" if outcome.verdict in (Verdict.ACCEPTED, Verdict.CONNECTION_CHECK) else "warning"
    print(f"{level}: {outcome.verdict} {receipt} ({outcome.status}) {outcome.reason}".rstrip())
    return {
        "statusCode": outcome.status,
        "headers": {"Content-Type": "application/soap+xml; charset=utf-8"},
        "body": outcome.answer.decode(),
        "isBase64Encoded": False,
    }
