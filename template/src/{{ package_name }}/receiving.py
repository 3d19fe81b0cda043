"""The receiving core: for one POST from ENTSO-E, what to answer, what to keep, what to emit.

Both hosts use it, the local HTTP receiver and the AWS Lambda behind a Function URL. A host reads
the body and hands it here with its `Store` (a folder, or an S3 prefix) and its way to forward
the event; it sends back the answer this returns. The order never changes: the body is kept
before it is looked at, the event names the kept body and never carries it, and the answer comes
last.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from . import settings
from .pipeline import push
from .pipeline.errors import BadInput
from .pipeline.glance import Glance, glance

# A Lambda Function URL refuses a larger payload (with AWS's own 413) before any code runs, so
# both hosts refuse at the same size by default. Straight to the Prefect webhook, a push becomes a
# flow-run parameter, capped at 512 KiB once JSON-escaped: a margin below it.
MAX_BODY_BYTES = 6_000_000 if settings.PUSH_ENDPOINT == "aws" else 500_000


class Verdict(StrEnum):
    CONNECTION_CHECK = "connection check"  # an empty POST: answered, nothing kept
    TOO_LARGE = "too large"  # refused before reading
    REFUSED = "refused"  # malformed, hostile or not ENTSO-E: quarantined
    IGNORED = "ignored"  # a valid document the project did not choose: kept, no run
    ACCEPTED = "accepted"  # kept, the event forwarded
    DEFERRED = "deferred"  # kept, the forward failed: replay emits it later


@dataclass(frozen=True)
class Kept:
    """Where a store put a body: `reference` for the flow (a path or `s3://...`), `receipt` to
    name it to people."""

    reference: str
    receipt: str


class Store(Protocol):
    def keep(self, body: bytes) -> Kept: ...

    def quarantine(self, kept: Kept, reason: str) -> None: ...

    def ignore(self, kept: Kept, reason: str) -> None: ...


@dataclass(frozen=True)
class Received:
    """What the event carries about one push: where its body is, never the body."""

    reference: str
    receipt: str
    content_type: str
    size: int

    def payload(self) -> dict[str, object]:
        return {
            "reference": self.reference,
            "receipt": self.receipt,
            "content_type": self.content_type,
            "size": self.size,
        }


class ForwardFailed(Exception):
    """The event did not reach its target (the Prefect webhook, or the local Prefect server)."""


@dataclass(frozen=True)
class Outcome:
    status: int
    answer: bytes  # a SOAP body, always
    verdict: Verdict
    kept: Kept | None = None
    reason: str = ""


def unwanted(seen: Glance) -> str | None:
    """Why a valid document starts no run: no data, not a chosen type, or no chosen zone."""
    if seen.acknowledgement is not None:
        return f"an acknowledgement, no data: {seen.acknowledgement}"
    if seen.type not in settings.DOCUMENT_TYPES:
        return f"document type {seen.type} is not one this project takes"
    if seen.zones and not seen.zones & set(settings.BIDDING_ZONES):
        return f"bidding zone(s) {', '.join(sorted(seen.zones))} not chosen for this project"
    return None


def receive(
    body: bytes,
    content_type: str,
    store: Store,
    forward: Callable[[Received], None],
    max_body_bytes: int = MAX_BODY_BYTES,
) -> Outcome:
    if len(body) > max_body_bytes:
        reason = f"body of {len(body)} bytes, over the limit of {max_body_bytes}"
        return Outcome(413, push.soap_fault(reason), Verdict.TOO_LARGE, reason=reason)
    if not body.strip():
        return Outcome(200, push.soap_reply(), Verdict.CONNECTION_CHECK)
    kept = store.keep(body)
    try:
        pushed = push.extract(body, max_body_bytes=max_body_bytes)
        seen = glance(pushed.document)
    except BadInput as error:
        store.quarantine(kept, str(error))
        return Outcome(400, push.soap_fault(str(error)), Verdict.REFUSED, kept, str(error))
    reply = push.soap_reply(correlation_id=pushed.message_id)
    why = unwanted(seen)
    if why is not None:
        store.ignore(kept, why)
        return Outcome(200, reply, Verdict.IGNORED, kept, why)
    try:
        forward(Received(kept.reference, kept.receipt, content_type, len(body)))
    except ForwardFailed as error:
        # The body is kept: answering 200 keeps ENTSO-E from retrying (and from deactivating an
        # interface that fails), and replay emits the event later.
        return Outcome(200, reply, Verdict.DEFERRED, kept, str(error))
    return Outcome(200, reply, Verdict.ACCEPTED, kept)
