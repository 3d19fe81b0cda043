"""The Prefect flow: pushed (or pulled) document -> summary -> newsletter -> one email each.

Exactly once per document and recipient: `deliver` persists its result under a cache key made of
the document's identity (its content, not its mRID: identity.py) and the recipient, so a duplicate
push, the pull of a forecast already pushed, or a retry after a partial failure finds the
recipients already served and mails only the others. Runs of a deployment are serial (concurrency
limit 1), and one newsletter at a time across both deployments (NEWSLETTER_LIMIT), so two
runs of one document cannot race.
"""

from __future__ import annotations

import hashlib
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.concurrency.sync import concurrency
from prefect.futures import wait
from prefect.states import Completed

from . import settings
from .adapters import delivery, rest_api
from .adapters.kept_body import read_kept
from .core import documents, identity, pull, push, summary
from .core.errors import BadInput
from .core.newsletter import Letter, render
from .core.zones import local_time

GENERATION_TYPES = ("A69", "A71", "A75")  # their newsletters give shares of installed capacity
# One document at a time across the push and the pull deployment, so that two runs of one
# forecast cannot both find it unmailed. Deploy and the local stack create this limit; where it
# does not exist (a run by hand on a temporary server) Prefect warns and runs unlimited.
NEWSLETTER_LIMIT = f"{settings.PROJECT_SLUG}-newsletters"


class DeliveryFailed(RuntimeError):
    """Some recipients could not be served after retries (the others were)."""


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


@task(name="summarise", cache_policy=NO_CACHE)
def summarise(
    document: documents.Document,
    capacities: dict[str, summary.Capacity] | None,
    revised: bool,
) -> summary.Summary:
    result = summary.summarise(document, capacities, revised)
    logger = get_run_logger()
    logger.info("summarised %d bidding zone(s): %s", len(result.areas), result.subject)
    for area in result.areas:
        for note in area.notes:
            logger.warning("%s: %s", area.name, note)
    return result


@task(name="render", cache_policy=NO_CACHE)
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


@flow(name=settings.FLOW_NAME, log_prints=True)
def newsletter_flow(
    reference: str = "",
    receipt: str = "",
    content_type: str = "",
    size: int = 0,
    body: str = "",
    pull_day: str = "",
) -> State[Any] | list[str]:
    """Take the document that ENTSO-E pushed, summarise it and mail the newsletter.

    `reference` names the body the receiver kept (`s3://...` or a path), `receipt` the push, and
    `size` its bytes; `body` is the push itself when ENTSO-E posted to the Prefect webhook.
    `pull_day` ("next" or YYYY-MM-DD) asks the REST API instead, for each chosen type and zone.
    """
    if pull_day:
        return pull_documents(pull_day)
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
    with concurrency(NEWSLETTER_LIMIT, occupy=1):
        return mail(document)


def mail(document: documents.Document) -> list[str]:
    """The newsletter of a document with data in the chosen zones, to each recipient once."""
    logger = get_run_logger()
    subject_key, content_key = identity.subject(document), identity.content(document)
    revised = first_content(subject_key, content_key) != content_key
    result = summarise(document, capacities(document), revised)
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


def pull_documents(pull_day: str) -> State[Any]:
    """Ask the REST API for each chosen type and zone (a progress line per request) and run
    every document through the same pipeline as a push. A missing document is a warning."""
    logger = get_run_logger()
    wanted = pull.requests_for(pull_day, pull.today())
    for kind in sorted({request.document_type for request in wanted} - set(rest_api.PULL_QUERIES)):
        logger.warning("%s is not pulled: entsoe-py has no query for it (pushes still work)", kind)
    wanted = [request for request in wanted if request.document_type in rest_api.PULL_QUERIES]
    key = rest_api.api_key()  # Unavailable: the run fails, saying the key is missing
    mailed, failures = 0, []
    for number, request in enumerate(wanted, 1):
        logger.info("asking the REST API for %s (%d of %d)", request, number, len(wanted))
        start, end = pull.window(request)
        try:
            data = rest_api.fetch_document(
                request.document_type, request.zone, start, end, key, request.process_type
            )
            served = newsletter(data)
        except rest_api.Unavailable as unavailable:
            logger.warning("no %s: %s", request, unavailable)
            continue
        except (BadInput, DeliveryFailed) as failure:
            failures.append(f"{request}: {failure}")
            continue
        mailed += isinstance(served, list)
    if failures:
        raise DeliveryFailed(
            f"{len(failures)} of {len(wanted)} pulled document(s) failed: {failures}"
        )
    return Completed(message=f"pulled {len(wanted)} request(s), {mailed} newsletter(s) mailed")
