"""`python -m <package> status`: what needs attention, one line per problem (contract 8).

For each chosen type and zone: the last document received and the last newsletter mailed (from
the events the flow records), and whether today's deadline is met; then the runs that failed in
the last 24 hours and the pushes waiting for replay (each host counts its own: local/stack.py,
cloud/replay.py). Exit 1 when anything needs attention, so a cron job or a CI step can use it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from . import settings
from .core import deadline
from .core.zones import area_name
from .watch import LOOK_BACK, WATCH_FLOW_NAME, arrived_since, day_start, recorded

FAILED_SINCE = dt.timedelta(hours=24)
ATTENTION = "attention:"


def run(waiting: Sequence[str]) -> int:
    """Print the report; 1 when anything needs attention."""
    lines = report(waiting, dt.datetime.now(dt.UTC))
    print("\n".join(lines), flush=True)
    return 1 if any(line.startswith(ATTENTION) for line in lines) else 0


def report(waiting: Sequence[str], now: dt.datetime) -> list[str]:
    """The lines to print; those that need attention start with ATTENTION."""
    today = deadline.market_today(now)
    due_by = deadline.deadline_on(today)
    lacking = deadline.missing(deadline.due(today), arrived_since(day_start(today) - LOOK_BACK))
    received, mailed = _latest(deadline.ARRIVED_EVENT), _latest(deadline.MAILED_EVENT)
    lines = []
    for request in deadline.due(today):
        resource = deadline.resource_id(request.document_type, request.zone)
        name = f"{request.document_type} {area_name(request.zone)} ({request.zone})"
        late = request in lacking
        if due_by is None:
            met = "no deadline"
        elif late and now >= due_by:
            met = f"MISSED: nothing for {request.day.isoformat()} by {settings.PUSH_DEADLINE}"
        else:
            met = "met" if not late else f"not yet due ({settings.PUSH_DEADLINE})"
        line = (
            f"{name}: last received {_when(received.get(resource))}, "
            f"last mailed {_when(mailed.get(resource))}, today's deadline {met}"
        )
        lines.append(f"{ATTENTION} {line}" if met.startswith("MISSED") else line)
    for run in _failed_runs(now - FAILED_SINCE):
        lines.append(f"{ATTENTION} {run}")
    if waiting:
        lines.append(
            f"{ATTENTION} {len(waiting)} push(es) waiting for replay: {', '.join(waiting[:5])}"
        )
    else:
        lines.append("no push waiting for replay")
    return lines


def _when(moment: dt.datetime | None) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def _latest(event: str) -> dict[str, dt.datetime]:
    """When `event` last happened per resource (type and zone), in the last week."""
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=7)
    latest: dict[str, dt.datetime] = {}
    for found in recorded(event, since, latest=True):
        latest.setdefault(found.resource.id, found.occurred)
    return latest


def _failed_runs(since: dt.datetime) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterEndTime,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(
                name=FlowFilterName(
                    any_=[settings.FLOW_NAME, settings.DIGEST_FLOW_NAME, WATCH_FLOW_NAME]
                )
            ),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(
                    type=FlowRunFilterStateType(any_=[StateType.FAILED, StateType.CRASHED])
                ),
                end_time=FlowRunFilterEndTime.model_validate({"after_": since}),
            ),
        )
    return [
        f"run {run.name} ended {run.state_name} at {_when(run.end_time)}: "
        f"{(run.state.message or '') if run.state else ''}".rstrip(": ")
        for run in runs
    ]
