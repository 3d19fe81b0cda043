"""Alert mails for the people who run the pipeline (contract 8): what happened and what to do.

They go to the alert recipients only, never to the newsletter's readers, as plain text with a
subject starting `Alert:`. Each alert has a key: the flow mails one key once per recipient.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from .. import settings
from .documents import REGISTRY
from .pull import Request
from .zones import area_name

DOCS = "docs/operations.md"
# A kept push that no run has completed for this long is alerted.
WAITING_ALERT_AFTER = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class Alert:
    key: str  # the same key is mailed once to each recipient
    subject: str
    text: str

    def email(self, sender: str, recipient: str) -> EmailMessage:
        message = EmailMessage()
        message["Subject"] = self.subject
        message["From"] = sender
        message["To"] = recipient
        message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
        message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or None)
        message["X-Pipeline-Alert"] = self.key.split("-", 1)[0]
        message.set_content(self.text)
        return message


def _type_words(code: str) -> str:
    known = REGISTRY.get(code)
    return f"{code} {known.name.lower()}" if known else code


def missing(
    market_day: dt.date, deadline: str, requests: Sequence[Request], fallback: str
) -> Alert:
    """No document of these types and zones by the deadline of `market_day`."""
    types = sorted({request.document_type for request in requests})
    by = "By the check" if deadline == "off" else f"By {deadline} ({settings.DEADLINE_TIMEZONE})"
    lines = [
        f"{by} on {market_day.isoformat()}, {settings.PROJECT_NAME} had received no document for:",
        "",
        *(
            f"- {_type_words(r.document_type)}, {area_name(r.zone)} ({r.zone}), "
            f"delivery day {r.day.isoformat()}"
            for r in requests
        ),
        "",
        f"Fallback: {fallback}",
        "",
        "ENTSO-E may be late, the subscription may have lapsed or its interface changed. Check "
        "the subscription on the transparency platform and the receiver's log; "
        f"{DOCS} (Alerts) says what to do and how to silence this for a known outage.",
    ]
    zones = sorted({area_name(request.zone) for request in requests})
    when = "" if deadline == "off" else f" by {deadline}"
    subject = f"Alert: no {', '.join(types)}{when} for {', '.join(zones[:6])}"
    if len(zones) > 6:
        subject += f" and {len(zones) - 6} more zone(s)"
    keys = ",".join(f"{r.document_type}.{r.zone}.{r.day.isoformat()}" for r in requests)
    return Alert(f"missing-{_digest(keys)}", subject, "\n".join(lines) + "\n")


def run_failed(flow: str, run: str, state: str, message: str, link: str, run_id: str) -> Alert:
    lines = [
        f"The flow run {run} of {flow} ended {state}.",
        "",
        f"Message: {message or '(none)'}",
        f"Run: {link}",
        "",
        "Its log in the UI says why. Mend the cause, then replay the push (`replay`) or run the "
        f"pull again: nobody is mailed twice. {DOCS} (Alerts) has the usual causes.",
    ]
    return Alert(f"run-{run_id}", f"Alert: {flow} run {run} {state}", "\n".join(lines) + "\n")


def problems(document_type: str, found: Sequence[str], day: dt.date) -> Alert:
    """Operator errors met while making a newsletter (a missing key, a failed lookup): the
    newsletter went without the part concerned."""
    lines = [
        f"The {_type_words(document_type)} newsletter went out without a part, because:",
        "",
        *(f"- {problem}" for problem in found),
        "",
        "Readers were not told why. A missing or refused ENTSO-E key: set it as the Secret "
        "block (deploy) or ENTSOE_API_KEY (local stack) and check it on the transparency "
        f"platform. {DOCS} (Alerts) has the rest.",
    ]
    key = f"problem-{document_type}-{day.isoformat()}-{_digest(chr(10).join(found))}"  # daily
    return Alert(key, f"Alert: {document_type} newsletter incomplete", "\n".join(lines) + "\n")


def waiting(receipts: Sequence[str], minutes: int, replayed: int) -> Alert:
    """Kept pushes that no run has taken for longer than `minutes`."""
    lines = [
        f"{len(receipts)} push(es) kept by the receiver have waited more than {minutes} minutes "
        f"for a run; {replayed} replayed just now:",
        "",
        *(f"- {receipt}" for receipt in receipts),
        "",
        "Their runs never started (the Prefect server or the automation failing) or did not "
        f"complete (the run-failed alerts say why). {DOCS} (Replay) says what to do.",
    ]
    subject = f"Alert: {len(receipts)} push(es) waiting for a run"
    return Alert(f"waiting-{_digest(','.join(receipts))}", subject, "\n".join(lines) + "\n")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
