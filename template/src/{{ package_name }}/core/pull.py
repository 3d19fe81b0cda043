"""Pull mode: what to ask the ENTSO-E REST API for, when no push comes.

The scheduled run asks for the coming delivery day ("next": tomorrow in the market's time zone)
for forecasts and prices, and for the day that ended for actual generation, which exists only
afterwards. A date given by hand is asked for every type.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd

from .. import settings
from .errors import BadInput
from .zones import area_timezone

ACTUALS = {"A75"}  # measured, not forecast: "next" asks for the day before today


@dataclass(frozen=True)
class Request:
    document_type: str
    zone: str
    day: dt.date  # the delivery day, in the zone's local time
    process_type: str | None = None  # None: the REST API's default for the type

    def __str__(self) -> str:
        return f"{self.document_type} of {self.zone} for {self.day.isoformat()}"

    @property
    def key(self) -> str:
        """TYPE/ZONE/YYYY-MM-DD: how a run's parameters name it."""
        return f"{self.document_type}/{self.zone}/{self.day.isoformat()}"

    @classmethod
    def from_key(cls, key: str) -> Request:
        kind, _, rest = key.partition("/")
        zone, _, day = rest.partition("/")
        try:
            return cls(kind, zone, dt.date.fromisoformat(day))
        except ValueError:
            raise BadInput(f"a pull request is TYPE/ZONE/YYYY-MM-DD, got {key!r}") from None


def today() -> dt.date:
    return dt.datetime.now(ZoneInfo(settings.PULL_TIMEZONE)).date()


def requests_for(pull_day: str, today: dt.date) -> list[Request]:
    """One request per chosen type and zone; BadInput for a day neither "next" nor a date."""
    if pull_day == "next":
        days = {
            kind: today - dt.timedelta(days=1) if kind in ACTUALS else today + dt.timedelta(days=1)
            for kind in settings.DOCUMENT_TYPES
        }
    else:
        try:
            day = dt.date.fromisoformat(pull_day)
        except ValueError:
            raise BadInput(f"pull day must be 'next' or YYYY-MM-DD, got {pull_day!r}") from None
        days = dict.fromkeys(settings.DOCUMENT_TYPES, day)
    return [
        Request(kind, zone, days[kind])
        for kind in settings.DOCUMENT_TYPES
        for zone in settings.BIDDING_ZONES
    ]


def window(request: Request) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The delivery day as UTC start and end: the zone's local midnight to the next one."""
    start = pd.Timestamp(request.day).tz_localize(area_timezone(request.zone))
    end = pd.Timestamp(request.day + dt.timedelta(days=1)).tz_localize(area_timezone(request.zone))
    return start.tz_convert("UTC"), end.tz_convert("UTC")
