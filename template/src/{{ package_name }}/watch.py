"""The watch flow: what the pipeline's own runs cannot say about themselves (contract 8).

One deployment, `<project>-watch`, with two ways to start:
- on a schedule at the push deadline (market time): for each chosen type and zone, has a document
  arrived for its delivery day? What has not gets one alert and a run of the pull deployment for
  exactly that (the fallback);
- by its trigger, when a run of the newsletter flow ends Failed or Crashed: an alert naming it.

It reads what arrived from the events the newsletter flow records (core/deadline.py) through the
Prefect API, so it works the same on Prefect Cloud and on the local stack's server. Every alert is
mailed once per recipient (flow.send_alert): a second check of the same day, or a second event of
the same run, mails nobody again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

from prefect import flow, get_run_logger, task
from prefect.client.schemas.objects import State
from prefect.runtime import flow_run
from prefect.states import Completed

from . import settings
from .core import alerts, deadline
from .core.pull import Request
from .events import PULL_DEPLOYMENT
from .flow import send_alert

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun
    from prefect.events import DeploymentEventTrigger, Event
    from prefect.schedules import Schedule

WATCH_FLOW_NAME = f"{settings.PROJECT_SLUG}-watch"
WATCH_DEPLOYMENT = f"{WATCH_FLOW_NAME}/{settings.WATCH_DEPLOYMENT_NAME}"
RUN_ENDED_BADLY = {"prefect.flow-run.Failed", "prefect.flow-run.Crashed"}
LOOK_BACK = dt.timedelta(days=3)  # arrivals of a delivery day come the day before, at most


# An alert that could not be mailed (the SMTP server down, which is also when newsletter runs
# fail) is tried again by the whole run: a retry keeps the run's id, so its records still hold.
@flow(name=WATCH_FLOW_NAME, retries=3, retry_delay_seconds=120)
def watch_flow(
    failed_run: str = "",
    market_day: str = "",
    waiting: list[str] | None = None,
    replayed: int = 0,
) -> State[Any]:
    """`failed_run` (a flow run id, or its resource id): alert about that run. `waiting`: alert
    about kept pushes no run has completed (the receipts; `replayed` of them just now). Otherwise
    check the deadline of `market_day` (YYYY-MM-DD; default today, Europe/Brussels)."""
    if failed_run:
        return alert_failed_run(failed_run.removeprefix("prefect.flow-run."))
    if waiting:
        minutes = int(alerts.WAITING_ALERT_AFTER.total_seconds() // 60)
        alert = alerts.waiting(waiting, minutes, replayed)
        send_alert(alert)
        return Completed(message=f"alerted: {alert.subject}")
    # The day the run was scheduled for: a run that starts late still checks its own day.
    when = flow_run.scheduled_start_time
    day = dt.date.fromisoformat(market_day) if market_day else deadline.market_today(when)
    return check_deadline(day)


def recorded(event: str, since: dt.datetime, latest: bool = False) -> Iterator[Event]:
    """The events the newsletter flow recorded (core/deadline.py) since `since`, newest first;
    `latest`: only the newest of each type and zone."""
    from prefect.client.orchestration import get_client
    from prefect.events.filters import (
        EventFilter,
        EventNameFilter,
        EventOccurredFilter,
        EventResourceFilter,
    )

    wanted = EventFilter(
        occurred=EventOccurredFilter.model_validate(
            {"since": since, "until": dt.datetime.now(dt.UTC)}
        ),
        event=EventNameFilter(name=[event]),
        resource=EventResourceFilter(id_prefix=[deadline.RESOURCE_PREFIX], distinct=latest),
    )
    with get_client(sync_client=True) as client:
        page = client.read_events(filter=wanted, limit=50)  # the most a page holds
        yield from page.events
        while page.next_page:
            page = client.read_events_page(str(page.next_page))
            yield from page.events


def arrived_since(since: dt.datetime) -> set[tuple[str, str, str]]:
    """(type, zone, ISO day) of every document recorded since `since`."""
    found: set[tuple[str, str, str]] = set()
    for event in recorded(deadline.ARRIVED_EVENT, since):
        kind, _, zone = event.resource.id.removeprefix(deadline.RESOURCE_PREFIX).partition(".")
        found.update((kind, zone, day) for day in event.payload.get("days", []))
    return found


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


def check_deadline(day: dt.date) -> State[Any]:
    logger = get_run_logger()
    since = day_start(day) - LOOK_BACK
    lacking = deadline.missing(deadline.due(day), arrived_since(since))
    if not lacking:
        message = f"every chosen type and zone arrived for {day.isoformat()}"
        logger.info(message)
        return Completed(message=message)
    this_run = str(flow_run.id)
    new = [r for r in lacking if first_alert(r.key, day.isoformat()) == this_run]
    if not new:
        message = f"{len(lacking)} still missing for {day.isoformat()}, alerted before"
        logger.warning(message)
        return Completed(message=message)
    fallback = start_pull(new, day)
    send_alert(alerts.missing(day, settings.PUSH_DEADLINE, new, fallback))
    return Completed(message=f"{len(new)} missing for {day.isoformat()}: alerted; {fallback}")


@task(
    name="first alert",
    cache_key_fn=lambda context, parameters: (
        f"deadline-{parameters['market_day']}-{parameters['key']}"
    ),
    persist_result=True,
)
def first_alert(key: str, market_day: str) -> str:
    """Kept once per missing type, zone and day: the id of the check that first found it missing,
    so a later check alerts no more about it."""
    return str(flow_run.id)


def start_pull(requests: list[Request], day: dt.date) -> str:
    """A run of the pull deployment for exactly these, once per market day and set; what happened,
    in words for the alert."""
    from prefect.deployments import run_deployment

    try:
        run = cast(
            "FlowRun",
            run_deployment(  # called from sync code: not a coroutine
                PULL_DEPLOYMENT,
                parameters={"pull_only": [request.key for request in requests]},
                timeout=0,
                idempotency_key=f"deadline-{day.isoformat()}-{'+'.join(r.key for r in requests)}",
                as_subflow=False,
            ),
        )
    except Exception as error:  # the alert goes all the same, saying why
        get_run_logger().error("no fallback pull: %s", error)
        return f"not started: the pull deployment could not be run ({error})."
    return (
        f"a run of {PULL_DEPLOYMENT} ({run.name}) was started for exactly these; if the REST API "
        "has them, readers get their newsletter from it."
    )


def alert_failed_run(run_id: str) -> State[Any]:
    from prefect.client.orchestration import get_client
    from prefect.utilities.urls import url_for

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run_id)  # type: ignore[arg-type]
        flow_name = client.read_flow(run.flow_id).name
    state = run.state
    link = url_for("flow-run", obj_id=run.id) or f"flow run {run.id}"
    alert = alerts.run_failed(
        flow_name,
        run.name,
        state.name or state.type.value if state else "unknown",
        (state.message or "") if state else "",
        link,
        str(run.id),
    )
    send_alert(alert)
    return Completed(message=f"alerted: {alert.subject}")


def trigger() -> DeploymentEventTrigger:
    """A newsletter run (push or pull) or a digest run that ended Failed or Crashed starts a
    watch run about it."""
    from prefect.events import DeploymentEventTrigger

    return DeploymentEventTrigger(
        name=f"{settings.PROJECT_SLUG} on a failed run",
        expect=RUN_ENDED_BADLY,
        match_related={
            "prefect.resource.role": "flow",
            "prefect.resource.name": [settings.FLOW_NAME, settings.DIGEST_FLOW_NAME],
        },
        parameters={"failed_run": "{{ event.resource.id }}"},
    )


def schedules() -> list[Schedule]:
    """The deadline check, daily at the push deadline in market time; none when it is off."""
    from prefect.schedules import Cron

    if settings.PUSH_DEADLINE == "off":
        return []
    hour, minute = settings.PUSH_DEADLINE.split(":")
    return [Cron(f"{int(minute)} {int(hour)} * * *", timezone=settings.DEADLINE_TIMEZONE)]
