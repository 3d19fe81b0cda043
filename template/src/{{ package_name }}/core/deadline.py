"""What must have arrived by the push deadline, and what has not (contract 8).

On each market day (Europe/Brussels) the chosen types are due for every chosen zone: forecasts
and prices for the coming delivery day, actual generation for the day that ended (the days a pull
asks for: core/pull.py). A document has arrived for a zone and a day when it holds an interval of
that zone on that local day, whether ENTSO-E pushed it or a pull fetched it.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd

from .. import settings
from .documents import Document
from .pull import Request, requests_for
from .zones import local_time

ARRIVED_EVENT = "entsoe.document.arrived"  # one per type and zone of each document run
MAILED_EVENT = "entsoe.newsletter.mailed"
RESOURCE_PREFIX = f"entsoe.arrival.{settings.PROJECT_SLUG}."

# When each type is due on the transparency platform (Regulation (EU) 543/2013, Brussels time)
# and the deadline copier.yml derives from it: an hour later (A75: the last hour of the day that
# ended is due by 01:00). docs/operations.md shows the same table.
PUBLISHED_BY = {"A65": "10:00", "A44": "13:00", "A69": "18:00", "A71": "18:00", "A75": "01:00"}


def market_today(now: dt.datetime) -> dt.date:
    return now.astimezone(ZoneInfo(settings.DEADLINE_TIMEZONE)).date()


def deadline_on(day: dt.date) -> dt.datetime | None:
    """The moment the deadline of a market day passes; None when the deadline is off."""
    if settings.PUSH_DEADLINE == "off":
        return None
    hour, minute = (int(part) for part in settings.PUSH_DEADLINE.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), ZoneInfo(settings.DEADLINE_TIMEZONE))


def due(day: dt.date) -> list[Request]:
    """Every chosen type and zone, with the delivery day due by the deadline of market day `day`."""
    return requests_for("next", day)


def resource_id(document_type: str, zone: str) -> str:
    return f"{RESOURCE_PREFIX}{document_type}.{zone}"


def arrivals(document: Document) -> dict[str, list[str]]:
    """Per zone of the document: the local days (ISO dates) it holds. A day counts when the
    document covers half of it or lies within it: ENTSO-E cuts days in Brussels time, so a
    Finnish day-ahead document also holds the first hour of the next Finnish day, which does not
    count; an hourly actuals push counts for its day."""
    frame = document.frame
    days: dict[str, list[str]] = {}
    for zone in dict.fromkeys(str(zone) for zone in frame["area"]):
        local = local_time(frame[frame["area"] == zone], zone).drop_duplicates().sort_values()
        step = local.diff().min() if len(local) > 1 else pd.Timedelta(hours=1)
        per_day = local.dt.date.value_counts()
        only_day = len(per_day) == 1
        days[zone] = sorted(
            day.isoformat()
            for day, count in per_day.items()
            if only_day or count * step >= pd.Timedelta(hours=12)
        )
    return days


def missing(wanted: list[Request], arrived: set[tuple[str, str, str]]) -> list[Request]:
    """The requests of `wanted` with no (type, zone, ISO day) in `arrived`."""
    return [
        request
        for request in wanted
        if (request.document_type, request.zone, request.day.isoformat()) not in arrived
    ]
