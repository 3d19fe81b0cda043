"""The Prefect flow: pushed (or pulled) document -> summary -> newsletter -> one email each.

Exactly once per document and recipient: `deliver` persists its result under a cache key made of
the document's identity (its content, not its mRID: core/identity.py) and the recipient, so a
duplicate push, the pull of a forecast already pushed, or a retry after a partial failure finds
the recipients already served and mails only the others. Newsletters of one subject take turns
(`subject_lock`), so two runs of one document cannot race; runs of other subjects overlap.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.client.schemas.objects import State
from prefect.concurrency.sync import concurrency
from prefect.events import emit_event
from prefect.futures import wait
from prefect.states import Completed

from . import settings
from .adapters import delivery, history, rest_api
from .adapters.kept_body import read_kept
from .core import alerts, changes, deadline, documents, identity, pull, push, summary
from .core.errors import BadInput
from .core.newsletter import Letter, render
from .core.zones import area_name, local_time

GENERATION_TYPES = ("A69", "A71", "A75")  # their newsletters give shares of installed capacity
# Newsletters of one subject (type, zones, period: core/identity.py) take turns, so that a push and
# a pull of one forecast cannot both find it unmailed; other subjects overlap. The lock is one of
# SUBJECT_LOCKS stripes chosen by the subject: a Prefect global concurrency limit of 1 each (deploy
# creates them), as every cloud run is an ECS task of its own; or, where every run is in one
# process (the local stack sets settings.SUBJECT_LOCKS_ENV), a lock in the process: a slot of a
# limit is a write that the local server's SQLite often refuses, and Prefect's client then waits
# 2 s. Where a limit does not exist (a run by hand on a temporary server), Prefect warns and runs
# unlimited.
NEWSLETTER_LIMIT = f"{settings.PROJECT_SLUG}-newsletters"
SUBJECT_LOCKS = 16
_PROCESS_LOCKS = [threading.Lock() for _ in range(SUBJECT_LOCKS)]


def subject_limits() -> list[str]:
    """The global concurrency limits of the stripes, each of limit 1."""
    return [f"{NEWSLETTER_LIMIT}-{stripe:02d}" for stripe in range(SUBJECT_LOCKS)]


def _stripe(subject_key: str) -> int:
    return int(subject_key[:8], 16) % SUBJECT_LOCKS  # the key is a hex digest


@contextlib.contextmanager
def subject_lock(subject_key: str) -> Iterator[None]:
    """Held while a subject's newsletter is made and mailed."""
    stripe = _stripe(subject_key)
    if os.environ.get(settings.SUBJECT_LOCKS_ENV) == "process":
        with _PROCESS_LOCKS[stripe]:
            yield
        return
    with concurrency(subject_limits()[stripe], occupy=1):
        yield


class DeliveryFailed(RuntimeError):
    """Some recipients could not be served after retries (the others were)."""


def recipient_key(recipient: str) -> str:
    return hashlib.sha256(recipient.lower().encode()).hexdigest()[:16]


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


def parse(data: bytes) -> documents.Document:
    document = documents.require_type(documents.parse(data), settings.DOCUMENT_TYPES)
    get_run_logger().info(
        "parsed %s document %s revision %s: %d rows",
        document.type,
        document.mrid,
        document.revision,
        len(document.frame),
    )
    return document


def summarise(
    document: documents.Document,
    capacities: dict[str, summary.Capacity] | None,
    revised: bool,
    earlier: changes.History,
) -> summary.Summary:
    result = summary.summarise(document, capacities, revised, earlier)
    logger = get_run_logger()
    logger.info("summarised %d bidding zone(s): %s", len(result.areas), result.subject)
    for area in result.areas:
        for note in area.notes:
            logger.warning("%s: %s", area.name, note)
    for problem in result.problems:  # for the operators: the alert says it too
        logger.warning("%s", problem)
    return result


def keep(document: documents.Document) -> None:
    """Contract 9: the document's rows into the history store, before its newsletter."""
    written = history.store().append(document, datetime.now(UTC))
    get_run_logger().info(
        "kept in the history: %s", ", ".join(written) if written else "stored before"
    )


def compared(document: documents.Document, revised: bool) -> changes.History:
    """What the newsletter compares with, from the history store, for the document's zones and
    period: the version before (a revised forecast), the day-ahead forecast (actuals), the
    other half of the residual load."""
    frame = document.frame
    zones = list(dict.fromkeys(str(zone) for zone in frame["area"]))
    steps = pd.to_timedelta(frame["resolution"].map(documents.RESOLUTIONS), unit="min")
    start, end = frame["timestamp"].min(), (frame["timestamp"] + steps).max()
    processes = frame["process_type"].dropna()
    kind = (document.type or "", str(processes.iloc[0]) if len(processes) else "")
    store = history.store()

    def stored(other: tuple[str, str] | None) -> pd.DataFrame | None:
        if other is None:
            return None
        return store.read(other[0], zones, start, end, process=other[1])

    previous = None
    if revised:  # the newest other version, created no later than this one
        own = history.contents_by_zone(document).values()
        previous = store.read(
            kind[0],
            zones,
            start,
            end,
            process=kind[1] or None,
            exclude_content=own,
            created_by=document.created,
        )
    return changes.History(
        previous, stored(changes.FORECAST_FOR.get(kind)), stored(changes.COUNTERPART.get(kind))
    )


def render_letter(result: summary.Summary, document_id: str) -> Letter:
    letter = render(result, document_id)
    get_run_logger().info("rendered '%s' with %d chart(s)", letter.subject, len(letter.images))
    return letter


@task(
    name="first content",
    cache_key_fn=lambda context, parameters: f"first-content-{parameters['subject_key']}",
    persist_result=True,
)
def first_content(subject_key: str, content_key: str) -> str:
    """The content first seen for a document's subject, kept in the results storage: another
    content later is a revised forecast."""
    return content_key


@task(
    name="installed capacity",
    task_run_name="installed capacity of {zone} in {year}",
    cache_key_fn=lambda context, parameters: f"capacity-{parameters['zone']}-{parameters['year']}",
    persist_result=True,
)
def installed_capacity(zone: str, year: int) -> dict[str, float]:
    """A68 from the REST API, about once a year per zone: the result is cached by zone and year
    in the results storage (an answer that failed is not, so the next run asks again)."""
    return rest_api.installed_capacity(zone, year, rest_api.api_key())


def capacities(document: documents.Document) -> dict[str, summary.Capacity] | None:
    """Per zone of a generation document: its installed capacity, or why it is unavailable."""
    if document.type not in GENERATION_TYPES:
        return None
    frame = document.frame
    zones = list(dict.fromkeys(str(zone) for zone in frame["area"]))
    try:
        rest_api.api_key()
    except rest_api.Unavailable as missing:
        return dict.fromkeys(zones, str(missing))
    found: dict[str, summary.Capacity] = {}
    for zone in zones:
        # The year the zone's first interval falls in, in the zone's own time.
        year = int(local_time(frame[frame["area"] == zone], zone).min().year)
        try:
            found[zone] = installed_capacity(zone, year)
        except rest_api.Unavailable as unavailable:  # the task's log says why, never the URL
            found[zone] = str(unavailable)
    return found


def _delivery_key(context: Any, parameters: dict[str, Any]) -> str:
    return f"newsletter-{parameters['document_key']}-{recipient_key(parameters['recipient'])}"


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


@task(
    name="alert",
    task_run_name="alert {recipient}",
    cache_key_fn=lambda context, parameters: (
        f"alert-{parameters['alert'].key}-{recipient_key(parameters['recipient'])}"
    ),
    persist_result=True,
    retries=2,
    retry_delay_seconds=[1, 5],
)
def mail_alert(alert: alerts.Alert, recipient: str) -> str:
    delivery.send(alert.email(settings.SENDER, recipient))
    get_run_logger().warning("alerted %s: %s", recipient, alert.subject)
    return recipient


def send_alert(alert: alerts.Alert) -> list[str]:
    """An alert to each alert recipient once (contract 8), never to the newsletter's readers;
    DeliveryFailed when some could not be mailed."""
    valid, invalid = delivery.recipients(alerts=True)
    for address in invalid:
        get_run_logger().warning("not alerting %r: not an email address", address)
    futures = [mail_alert.submit(alert, recipient) for recipient in valid]
    wait(futures)
    failed = [r for r, f in zip(valid, futures, strict=True) if f.state.is_failed()]
    if failed:
        raise DeliveryFailed(f"alert {alert.subject!r} not sent to {failed}")
    return valid


def _market_today() -> date:
    return deadline.market_today(datetime.now(UTC))


def record(event: str, document: documents.Document) -> None:
    """An event per zone of the document, naming its days: what the deadline check and
    `status` read (core/deadline.py)."""
    for zone, days in deadline.arrivals(document).items():
        emit_event(
            event,
            resource={
                "prefect.resource.id": deadline.resource_id(document.type or "", zone),
                "prefect.resource.name": f"{document.type} {area_name(zone)}",
            },
            payload={"days": days},
        )


@flow(name=settings.FLOW_NAME, log_prints=True)
def newsletter_flow(
    reference: str = "",
    receipt: str = "",
    content_type: str = "",
    size: int = 0,
    body: str = "",
    pull_day: str = "",
    pull_only: list[str] | None = None,
) -> State[Any] | list[str]:
    """Take the document that ENTSO-E pushed, summarise it and mail the newsletter.

    `reference` names the body the receiver kept (`s3://...` or a path), `receipt` the push, and
    `size` its bytes; `body` is the push itself when ENTSO-E posted to the Prefect webhook.
    `pull_day` ("next" or YYYY-MM-DD) asks the REST API instead, for each chosen type and zone;
    `pull_only` for these alone ("TYPE/ZONE/YYYY-MM-DD", what a missed deadline lacks).
    """
    if pull_day or pull_only:
        return pull_documents(pull_day, pull_only or [])
    get_run_logger().info(
        "push %s received (%s, %d bytes%s)",
        receipt or "",
        content_type or "no content type",
        size or len(body),
        f", kept in {reference}" if reference else "",
    )
    pushed = extract(body, reference or None)
    return newsletter(pushed.document)


def newsletter(data: bytes) -> State[Any] | list[str]:
    """One document -> its newsletter, mailed once to each recipient; the recipients served."""
    logger = get_run_logger()
    document = parse(data)
    if document.acknowledgement is not None:
        message = f"no data, nobody mailed: acknowledgement says {document.acknowledgement!r}"
        logger.info(message)
        return Completed(message=message)
    document, others = documents.in_zones(document, settings.BIDDING_ZONES)
    for zone in others:
        logger.info("skipped the TimeSeries of %s: not a bidding zone this project covers", zone)
    if document.frame.empty:
        message = "nobody mailed: the document holds none of the project's bidding zones"
        logger.info(message)
        return Completed(message=message)
    record(deadline.ARRIVED_EVENT, document)
    keep(document)
    if settings.NEWSLETTER_MODE == "digest":
        message = "kept in the history for the daily digest: nobody mailed now"
        logger.info(message)
        return Completed(message=message)
    subject_key = identity.subject(document)
    with subject_lock(subject_key):
        served = mail(document, subject_key)
    record(deadline.MAILED_EVENT, document)
    return served


def mail(document: documents.Document, subject_key: str) -> list[str]:
    """The newsletter of a document with data in the chosen zones, to each recipient once."""
    logger = get_run_logger()
    content_key = identity.content(document)
    revised = first_content(subject_key, content_key) != content_key
    result = summarise(document, capacities(document), revised, compared(document, revised))
    if result.problems:  # the readers' newsletter goes without the part; operators hear why
        try:
            send_alert(alerts.problems(document.type or "", result.problems, _market_today()))
        except DeliveryFailed as not_alerted:
            logger.error("%s", not_alerted)
    letter = render_letter(result, document.mrid or content_key)
    key = f"{subject_key}-{content_key}"
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


# A pull asks the REST API PULL_WORKERS requests at a time, their starts PULL_SPACING apart. The
# platform allows 400 requests a minute per API token and bans the token for about 10 minutes
# beyond ("API Rate Limit Part 1" in its knowledge base,
# https://transparencyplatform.zendesk.com/hc/en-us/articles/12783148966036-API-Rate-Limit-Part-1).
# 0.2 s apart is at most 300 a minute, leaving room for the capacity requests and the push runs
# on the same token; 4 at once keep that pace while an answer takes up to 0.8 s (more would only
# wait for their turn, holding connections).
PULL_WORKERS = 4
PULL_SPACING = 0.2  # seconds


def pull_documents(pull_day: str, only: list[str]) -> State[Any]:
    """Ask the REST API for each chosen type and zone (or `only` these), PULL_WORKERS at a time
    (a progress line per request), then run every document through the same pipeline as a push,
    one after another. A missing document is a warning."""
    logger = get_run_logger()
    if only:
        wanted = [pull.Request.from_key(key) for key in only]
    else:
        wanted = pull.requests_for(pull_day, pull.today())
    for kind in sorted({request.document_type for request in wanted} - set(rest_api.PULL_QUERIES)):
        logger.warning("%s is not pulled: entsoe-py has no query for it (pushes still work)", kind)
    wanted = [request for request in wanted if request.document_type in rest_api.PULL_QUERIES]
    key = rest_api.api_key()  # Unavailable: the run fails, saying the key is missing
    lock, started, last_start = threading.Lock(), 0, -PULL_SPACING

    def ask(request: pull.Request) -> bytes | None:
        nonlocal started, last_start
        with lock:  # one start at a time: numbered in order, PULL_SPACING apart
            time.sleep(max(0.0, last_start + PULL_SPACING - time.monotonic()))
            last_start, started = time.monotonic(), started + 1
            logger.info("asking the REST API for %s (%d of %d)", request, started, len(wanted))
        start, end = pull.window(request)
        try:
            return rest_api.fetch_document(
                request.document_type, request.zone, start, end, key, request.process_type
            )
        except rest_api.Unavailable as unavailable:
            logger.warning("no %s: %s", request, unavailable)
            return None

    with ThreadPoolExecutor(PULL_WORKERS) as pool:
        answers = list(pool.map(ask, wanted))
    mailed, failures = 0, []
    for request, data in zip(wanted, answers, strict=True):
        if data is None:
            continue
        try:
            served = newsletter(data)
        except (BadInput, DeliveryFailed) as failure:
            failures.append(f"{request}: {failure}")
            continue
        mailed += isinstance(served, list)
    if failures:
        raise DeliveryFailed(
            f"{len(failures)} of {len(wanted)} pulled document(s) failed: {failures}"
        )
    return Completed(message=f"pulled {len(wanted)} request(s), {mailed} newsletter(s) mailed")
