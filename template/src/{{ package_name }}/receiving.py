"""The receiving core: for one POST from ENTSO-E, what to answer, what to keep, what to emit.

Both hosts use it, the local HTTP receiver and the AWS Lambda behind a Function URL. A host reads
the body and hands it here with its `Store` (a folder, or an S3 prefix) and its way to forward
the event; it sends back the answer this returns. The order never changes: the body is kept
before it is looked at, the event names the kept body and never carries it, and the answer comes
last. A push is never lost on the way: a failure to keep it answers 5xx, so that ENTSO-E sends it
again; any failure once it is kept answers as if all went well (200, or the 400 of a refused one),
and replay emits what no run took.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from . import settings
from .core import push
from .core.errors import BadInput
from .core.glance import Glance, glance

# The largest SOAP push a Function URL delivers, refused above it by both hosts alike. Lambda's
# synchronous invoke takes 6 MB (read as 6,000,000 bytes) for the whole event JSON, and a Function
# URL base64-encodes an application/soap+xml body (it passes only text/*, JSON, XML and JavaScript
# as text). Less 100,000 bytes for the headers, requestContext and keys, at 3 bytes per 4 base64
# characters: (6,000,000 - 100,000) * 3 / 4 = 4,425,000. Somewhat above it AWS answers 413 itself,
# before any code runs. Straight to the Prefect webhook, a push becomes a flow-run parameter,
# capped at 512 KiB once JSON-escaped: a margin below it.
LAMBDA_EVENT_BYTES = 6_000_000
EVENT_OVERHEAD_BYTES = 100_000
FUNCTION_URL_BODY_BYTES = (LAMBDA_EVENT_BYTES - EVENT_OVERHEAD_BYTES) * 3 // 4
MAX_BODY_BYTES = FUNCTION_URL_BODY_BYTES if settings.PUSH_ENDPOINT == "aws" else 500_000


class Verdict(StrEnum):
    CONNECTION_CHECK = "connection check"  # an empty POST: answered, nothing kept
    TOO_LARGE = "too large"  # refused before reading
    REFUSED = "refused"  # malformed, hostile or not ENTSO-E: quarantined
    IGNORED = "ignored"  # a valid document the project did not choose: kept, no run
    ACCEPTED = "accepted"  # kept, the event forwarded
    DEFERRED = "deferred"  # kept, the forward (or anything after keeping) failed: replay emits it
    NOT_KEPT = "not kept"  # the store failed: 5xx, so that ENTSO-E sends it again


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


def cause(error: Exception) -> str:
    """A failure by its kind (a botocore ClientError with its code), never by its message, which
    may hold a URL: the webhook's is a secret."""
    response = getattr(error, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return f"{type(error).__name__} {code}" if code else type(error).__name__


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
    try:
        kept = store.keep(body)
    except Exception as error:
        # Nothing is kept: a 5xx makes ENTSO-E send it again. The failure is ours (SOAP 1.2's
        # Receiver fault, which its HTTP binding answers with 500).
        reason = f"the body was not kept ({cause(error)})"
        fault = push.soap_fault(reason).replace(b"env:Sender", b"env:Receiver", 1)
        return Outcome(500, fault, Verdict.NOT_KEPT, reason=reason)
    try:
        return _decide(body, content_type, kept, store, forward, max_body_bytes)
    except Exception as error:
        # From here on the body is kept, so whatever fails the answer is 200 (ENTSO-E neither
        # sends it again nor deactivates an interface that fails), and replay emits it later.
        reason = f"failed after keeping the body ({cause(error)})"
        return Outcome(200, push.soap_reply(), Verdict.DEFERRED, kept, reason)


def _decide(
    body: bytes,
    content_type: str,
    kept: Kept,
    store: Store,
    forward: Callable[[Received], None],
    max_body_bytes: int,
) -> Outcome:
    try:
        pushed = push.extract(body, max_body_bytes=max_body_bytes)
        seen = glance(pushed.document)
    except BadInput as error:
        reason = _mark(store.quarantine, kept, str(error))
        return Outcome(400, push.soap_fault(str(error)), Verdict.REFUSED, kept, reason)
    reply = push.soap_reply(correlation_id=pushed.message_id)
    why = unwanted(seen)
    if why is not None:
        return Outcome(200, reply, Verdict.IGNORED, kept, _mark(store.ignore, kept, why))
    try:
        forward(Received(kept.reference, kept.receipt, content_type, len(body)))
    except Exception as error:
        failed = isinstance(error, ForwardFailed)
        reason = str(error) if failed else f"not forwarded ({cause(error)})"
        return Outcome(200, reply, Verdict.DEFERRED, kept, reason)
    return Outcome(200, reply, Verdict.ACCEPTED, kept)


def _mark(mark: Callable[[Kept, str], None], kept: Kept, reason: str) -> str:
    """Mark a kept body refused or ignored; a marker that fails changes no answer (the body is
    kept either way), it is only said: replay will offer that body again."""
    try:
        mark(kept, reason)
    except Exception as error:
        return f"{reason}; not marked ({cause(error)})"
    return reason
