"""The Prefect flow: pushed body -> document -> summary -> newsletter -> one email per recipient.

Exactly once per document and recipient: `deliver` persists its result under a cache key made of
the document's identity and the recipient, so a duplicate push or a retry after a partial failure
finds the recipients already served and mails only the others. Runs of the deployment are serial
(concurrency limit 1), so two pushes of one document cannot race.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.futures import wait
from prefect.states import Completed

from .. import settings
from . import delivery, documents, push, summary
from .errors import BadInput
from .newsletter import Letter, render


class DeliveryFailed(RuntimeError):
    """Some recipients could not be served after retries (the others were)."""


def read_kept(reference: str) -> bytes:
    """The body the receiver kept: `s3://bucket/key` in the cloud, a file in the local stack's
    inbox. Whoever can post to the webhook chooses the reference, so nothing else is read."""
    if reference.startswith("s3://"):
        import boto3  # the task role may read the inbox, nothing more of its bucket

        bucket, _, key = reference.removeprefix("s3://").partition("/")
        body: bytes = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        return body
    inbox = os.environ.get(settings.INBOX_DIR_ENV)
    path = Path(reference).resolve()
    if not inbox or not path.is_relative_to(Path(inbox).resolve()):
        raise BadInput(f"reference {reference!r} is neither s3:// nor in the local stack's inbox")
    return path.read_bytes()


@task(name="extract", cache_policy=NO_CACHE)
def extract(body: str, reference: str | None = None) -> push.Push:
    """The document inside the push: read from where the receiver kept it, or the body itself
    when ENTSO-E posted straight to the Prefect webhook."""
    data = read_kept(reference) if reference else body.encode("utf-8")
    pushed = push.extract(data)
    get_run_logger().info(
        "extracted a %d-byte document (verb %s, noun %s, message %s)",
        len(pushed.document),
        pushed.verb,
        pushed.noun,
        pushed.message_id,
    )
    return pushed


@task(name="parse", cache_policy=NO_CACHE)
def parse(pushed: push.Push) -> documents.Document:
    document = documents.require_type(documents.parse(pushed.document), settings.DOCUMENT_TYPES)
    get_run_logger().info(
        "parsed %s document %s revision %s: %d rows",
        document.type,
        document.mrid,
        document.revision,
        len(document.frame),
    )
    return document


@task(name="summarise", cache_policy=NO_CACHE)
def summarise(document: documents.Document) -> summary.Summary:
    result = summary.summarise(document)
    get_run_logger().info("summarised %d bidding zone(s): %s", len(result.areas), result.subject)
    return result


@task(name="render", cache_policy=NO_CACHE)
def render_letter(result: summary.Summary, document_id: str) -> Letter:
    letter = render(result, document_id)
    get_run_logger().info("rendered '%s' with %d chart(s)", letter.subject, len(letter.images))
    return letter


def _delivery_key(context: Any, parameters: dict[str, Any]) -> str:
    recipient = hashlib.sha256(parameters["recipient"].lower().encode()).hexdigest()[:16]
    return f"newsletter-{parameters['document_key']}-{recipient}"


@task(
    name="deliver",
    task_run_name="deliver to {recipient}",
    cache_key_fn=_delivery_key,
    persist_result=True,
    retries=2,
    retry_delay_seconds=[1, 5],
)
def deliver(letter: Letter, recipient: str, document_key: str) -> str:
    delivery.send(letter.email(settings.SENDER, recipient))
    get_run_logger().info("mailed %s", recipient)
    return recipient


def document_key(document: documents.Document, pushed: push.Push) -> str:
    """Identity of a document: type, mRID and revision; its content hash when it lacks them."""
    if document.mrid and document.revision is not None:
        identity = f"{document.type}|{document.mrid}|{document.revision}".encode()
    else:
        identity = pushed.document
    return hashlib.sha256(identity).hexdigest()[:32]


@flow(name=settings.FLOW_NAME, log_prints=True)
def newsletter_flow(
    reference: str = "",
    receipt: str = "",
    content_type: str = "",
    size: int = 0,
    body: str = "",
) -> State[Any] | list[str]:
    """Take the document that ENTSO-E pushed, summarise it and mail the newsletter.

    `reference` names the body the receiver kept (`s3://...` or a path), `receipt` the push, and
    `size` its bytes; `body` is the push itself when ENTSO-E posted to the Prefect webhook.
    """
    logger = get_run_logger()
    logger.info(
        "push %s received (%s, %d bytes%s)",
        receipt or "",
        content_type or "no content type",
        size or len(body),
        f", kept in {reference}" if reference else "",
    )
    pushed = extract(body, reference or None)
    document = parse(pushed)
    if document.acknowledgement is not None:
        message = f"no data, nobody mailed: acknowledgement says {document.acknowledgement!r}"
        logger.info(message)
        return Completed(message=message)
    key = document_key(document, pushed)
    letter = render_letter(summarise(document), document.mrid or key)
    valid, invalid = delivery.recipients()
    for address in invalid:
        logger.warning("not mailing %r: not an email address", address)
    futures = [deliver.submit(letter, recipient, key) for recipient in valid]
    wait(futures)
    failed = [r for r, f in zip(valid, futures, strict=True) if f.state.is_failed()]
    if failed:
        raise DeliveryFailed(f"{len(failed)} of {len(valid)} recipient(s) not served: {failed}")
    # A Cached delivery is one its record shows as done: that recipient is not mailed again.
    before = [r for r, f in zip(valid, futures, strict=True) if f.state.name == "Cached"]
    for recipient in before:
        logger.info("mailed to %s before, not sent again", recipient)
    logger.info(
        "newsletter %s: %d recipient(s) mailed now, %d before",
        key,
        len(valid) - len(before),
        len(before),
    )
    return valid
