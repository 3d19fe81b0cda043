"""The digest flow (answer `newsletter_mode` digest or both): every day at DIGEST_TIME, one mail to
each reader, composed from the history store (core/digest.py).

One deployment, `<project>-digest`, on a daily schedule in market time. A run composes the digest
of its market day as it stood at its scheduled time: the sections from the versions stored by
then, what changed from the versions received in the day before it. Exactly once per market day
and recipient: `deliver_digest` persists its result under the day and the recipient, as
flow.deliver does per document, so a retry or a second run of the day mails only those not
served; `resend` mails the day's digest to everyone again.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.client.schemas.objects import State
from prefect.futures import wait
from prefect.runtime import flow_run
from prefect.states import Completed

from . import settings
from .adapters import delivery, history
from .core import deadline
from .core import digest as composed
from .core.newsletter import Letter
from .flow import DeliveryFailed, recipient_key

if TYPE_CHECKING:
    from prefect.schedules import Schedule

DIGEST_FLOW_NAME = settings.DIGEST_FLOW_NAME
DIGEST_DEPLOYMENT = f"{DIGEST_FLOW_NAME}/{settings.DIGEST_DEPLOYMENT_NAME}"
# What changed is looked for in versions touching these days around the digest's day.
CHANGES_AHEAD_DAYS = 10


def wanted() -> bool:
    """Whether the project mails a digest (else its deployment does not exist)."""
    return settings.NEWSLETTER_MODE != "each"


def schedules() -> list[Schedule]:
    """Daily at the digest time, market time."""
    from prefect.schedules import Cron

    return [Cron(settings.DIGEST_CRON, timezone=settings.DIGEST_TIMEZONE)]


# A digest that could not be mailed (the SMTP server down) is tried again by the whole run: a
# retry keeps the run's id and its scheduled time, so it composes the same digest.
@flow(name=DIGEST_FLOW_NAME, retries=3, retry_delay_seconds=120)
def digest_flow(market_day: str = "", resend: bool = False) -> State[Any]:
    """The digest of `market_day` (YYYY-MM-DD: as it stood at DIGEST_TIME that day; default: the
    run's scheduled time and its day, Europe/Brussels), to each reader once; `resend`: to each
    reader again."""
    market = ZoneInfo(settings.DIGEST_TIMEZONE)
    if market_day:
        day = dt.date.fromisoformat(market_day)
        hour, minute = (int(part) for part in settings.DIGEST_TIME.split(":"))
        at = dt.datetime.combine(day, dt.time(hour, minute), market)
    else:
        scheduled = flow_run.scheduled_start_time  # a run that starts late composes its own
        at = dt.datetime.fromtimestamp(scheduled.timestamp(), market)
        day = deadline.market_today(at)
    letter = compose(history.store(), day, at)
    get_run_logger().info("composed '%s' with %d chart(s)", letter.subject, len(letter.images))
    return mail(letter, day, resend)


def compose(store: history.Store, day: dt.date, at: dt.datetime) -> Letter:
    """The digest of market day `day` as it stood at `at`: the sections from the versions stored
    by then, what changed from those received in the day before (the previous digest)."""
    since = at - dt.timedelta(days=1)  # on the wall clock of `at`'s zone: the day before's digest
    found = [
        section
        for kind in settings.DOCUMENT_TYPES
        for zone in settings.BIDDING_ZONES
        for section in section_of(store, kind, zone, day, at)
    ]
    return composed.render(day, since, found, what_changed(store, day, since, at))


def _utc_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


def section_of(
    store: history.Store, kind: str, zone: str, day: dt.date, at: dt.datetime
) -> list[composed.Section]:
    """A type and zone's latest delivery day up to tomorrow, from the versions stored by `at`."""
    tomorrow = day + dt.timedelta(days=1)
    start = _utc_day(day - dt.timedelta(days=composed.LOOK_BACK_DAYS + 1))
    end = _utc_day(tomorrow + dt.timedelta(days=2))  # a zone east of Brussels ends a day later
    rows = store.read(kind, [zone], start, end, as_of=at)
    return composed.sections(kind, zone, rows, tomorrow)


def what_changed(
    store: history.Store, day: dt.date, since: dt.datetime, at: dt.datetime
) -> list[composed.Change]:
    """The versions received after `since` up to `at`, new or revisions; a revision's change in
    energy against what was stored before it."""
    start = _utc_day(day - dt.timedelta(days=composed.LOOK_BACK_DAYS + 1))
    end = _utc_day(day + dt.timedelta(days=CHANGES_AHEAD_DAYS))
    found = []
    for kind in settings.DOCUMENT_TYPES:
        marked = composed.received(
            store.versions(kind, settings.BIDDING_ZONES, start, end), since, at
        )
        energies = {}
        for version in marked[marked["revised"]].to_dict("records"):
            zone, content = str(version["area"]), str(version["content"])
            process, received = (
                version["process_type"] or None,
                pd.Timestamp(version["received_at"]),
            )
            span = (version["first"], version["last"] + pd.Timedelta(1, "ns"))
            stored = store.read(kind, [zone], *span, process=process, as_of=received)
            before = store.read(
                kind, [zone], *span, process=process, as_of=received, exclude_content=[content]
            )
            own = stored[stored["content"] == content]
            energies[content] = composed.revision_energy(own, before)
        found += composed.grouped(marked, energies)
    return sorted(found, key=lambda change: change.last_received)


def _digest_key(context: Any, parameters: dict[str, Any]) -> str:
    return f"digest-{parameters['market_day']}-{recipient_key(parameters['recipient'])}"


@task(
    name="deliver digest",
    task_run_name="digest to {recipient}",
    cache_key_fn=_digest_key,
    persist_result=True,
    retries=2,
    retry_delay_seconds=[1, 5],
)
def deliver_digest(letter: Letter, recipient: str, market_day: str) -> str:
    delivery.send(letter.email(settings.SENDER, recipient))
    get_run_logger().info("mailed the digest to %s", recipient)
    return recipient


def mail(letter: Letter, day: dt.date, resend: bool) -> State[Any]:
    """The digest to each reader once a day (`resend`: again); DeliveryFailed for any not served."""
    logger = get_run_logger()
    valid, invalid = delivery.recipients()
    for address in invalid:
        logger.warning("not mailing %r: not an email address", address)
    deliver = deliver_digest.with_options(refresh_cache=True) if resend else deliver_digest
    futures = [deliver.submit(letter, recipient, day.isoformat()) for recipient in valid]
    wait(futures)
    failed = [r for r, f in zip(valid, futures, strict=True) if f.state.is_failed()]
    if failed:
        raise DeliveryFailed(f"digest of {day}: {len(failed)} of {len(valid)} not served: {failed}")
    before = sum(f.state.name == "Cached" for f in futures)
    message = f"digest of {day}: {len(valid) - before} recipient(s) mailed now, {before} before"
    logger.info(message)
    return Completed(message=message)
