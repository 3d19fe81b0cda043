"""Reading the body the receiver kept: `s3://bucket/key` in the cloud, a file in the local
stack's inbox."""

from __future__ import annotations

import os
from pathlib import Path

from .. import settings
from ..core.errors import BadInput


def read_kept(reference: str) -> bytes:
    """The kept body. Whoever can post to the webhook chooses the reference, so nothing else is
    read: in the cloud the task role may read the inbox prefix only, locally the stack's inbox."""
    if reference.startswith("s3://"):
        import boto3

        bucket, _, key = reference.removeprefix("s3://").partition("/")
        body: bytes = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        return body
    inbox = os.environ.get(settings.INBOX_DIR_ENV)
    path = Path(reference).resolve()
    if not inbox or not path.is_relative_to(Path(inbox).resolve()):
        raise BadInput(f"reference {reference!r} is neither s3:// nor in the local stack's inbox")
    return path.read_bytes()
