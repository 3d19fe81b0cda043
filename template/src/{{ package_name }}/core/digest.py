"""The daily digest (answer `newsletter_mode`): one mail a day for every reader, from the history.

Per chosen type and zone, a section of its latest delivery day (at most tomorrow, market time)
with the facts, table and chart its newsletter has; then what changed since the previous digest:
the documents and revisions received since, each named by type, zone and days, a revision with
its signed change in energy. This module composes; the digest flow (`digest.py`) reads the
history store and mails it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from .. import settings
from . import changes
from .deadline import arrivals
from .documents import COLUMNS, REGISTRY, Document
from .newsletter import TEMPLATES, Letter, chart_png, colour
from .processes import title
from .summary import AreaSummary, Summary, summarise
from .zones import area_name, area_timezone, local_time

# A type and zone with nothing stored from this many days before the digest's day says so.
LOOK_BACK_DAYS = 7
KEYS = ["document_type", "process_type", "area"]  # what a version is a version of


@dataclass(frozen=True)
class Section:
    """One chosen type and zone (and process): its summary on `day`, or nothing stored (the
    process, day and summary None)."""

    document_type: str
    zone: str
    process_type: str | None
    day: dt.date | None
    summary: Summary | None

    @property
    def heading(self) -> str:
        if self.summary is not None:
            return self.summary.subject
        return f"{REGISTRY[self.document_type].name} for {area_name(self.zone)}"


@dataclass(frozen=True)
class Change:
    """The versions of one type, zone and days received since the previous digest: new
    documents, or revisions of what was stored (with their change in energy, power only)."""

    document_type: str
    process_type: str | None
    zone: str
    days: tuple[dt.date, ...]  # the zone's local days they count for
    revised: bool
    count: int
    last_received: pd.Timestamp
    energy_mwh: float | None  # the revisions' change in energy, new minus previous

    @property
    def text(self) -> str:
        entry = REGISTRY[self.document_type]
        what = title(entry.topic, self.process_type, entry.name)
        days = _days(self.days)
        change = f": {energy_text(self.energy_mwh)}" if self.energy_mwh is not None else ""
        received = (
            f"received {self.last_received.tz_convert(settings.DIGEST_TIMEZONE):%a %d %b %H:%M}"
        )
        if self.count > 1:
            kind = "revisions" if self.revised else "documents"
            received = f"{self.count} {kind}, the last {received}"
        return (
            f"{'Revised' if self.revised else 'New'}: {what} for {area_name(self.zone)}"
            f"{', ' + days if days else ''}{change} ({received})"
        )


def sections(document_type: str, zone: str, rows: pd.DataFrame, latest: dt.date) -> list[Section]:
    """The stored rows of a type and zone (the history store's `read`: its latest versions) ->
    a section per process with data on the latest day the rows count for, no later than
    `latest`; one saying nothing is stored when they count for none."""
    by_process = {
        str(process): part
        for process, part in rows.groupby(rows["process_type"].fillna(""), sort=True)
    }
    days = {process: _last_day(part, zone, latest) for process, part in by_process.items()}
    shown = max((day for day in days.values() if day is not None), default=None)
    if shown is None:
        return [Section(document_type, zone, None, None, None)]
    found = []
    for process, part in by_process.items():
        if days[process] != shown:
            continue
        of_day = part[local_time(part, zone).dt.date == shown]
        document = Document(
            document_type, None, None, None, of_day[list(COLUMNS)].reset_index(drop=True)
        )
        found.append(Section(document_type, zone, process or None, shown, summarise(document)))
    return found


def received(versions: pd.DataFrame, since: dt.datetime, at: dt.datetime) -> pd.DataFrame:
    """Of the versions (the history store's `versions`: all of them), those received after
    `since` up to `at`, each `revised` when one received before it, of the same type, process
    and zone, covers any of its intervals."""
    versions = versions.assign(process_type=versions["process_type"].fillna(""))
    arrived = versions["received_at"]
    new = versions[(arrived > pd.Timestamp(since)) & (arrived <= pd.Timestamp(at))]
    revised = []
    for _, version in new.iterrows():
        same = (versions[KEYS] == version[KEYS]).all(axis=1)
        earlier = same & (arrived < version["received_at"])
        overlaps = (versions["first"] <= version["last"]) & (versions["last"] >= version["first"])
        revised.append(bool((earlier & overlaps).any()))
    return new.assign(revised=revised).sort_values("received_at", kind="stable")


def revision_energy(rows: pd.DataFrame, previous: pd.DataFrame) -> float | None:
    """A revision's change in energy over the intervals both versions give (MWh, production
    where there is consumption too); None for a price, or when they share no interval."""
    if previous.empty or not rows["unit"].eq("MAW").all():
        return None
    revision = changes.revision(rows, previous)
    if revision is None or not revision.lines:
        return None
    total = [line for line in revision.lines if line.line == changes.TOTAL]
    return (total or list(revision.lines))[0].energy


def grouped(marked: pd.DataFrame, energies: Mapping[str, float | None]) -> list[Change]:
    """The marked versions (`received`) as one change per type, process, zone, days and kind,
    in the order of their last arrival; `energies` by content, for the revisions."""
    found: dict[tuple[str, str, str, tuple[dt.date, ...], bool], list[dict[Hashable, Any]]] = {}
    for version in marked.to_dict("records"):
        zone = str(version["area"])
        days = _days_covered(pd.Timestamp(version["first"]), pd.Timestamp(version["last"]), zone)
        kind, process = str(version["document_type"]), str(version["process_type"])
        found.setdefault((kind, process, zone, days, bool(version["revised"])), []).append(version)
    changed = []
    for (kind, process, zone, days, revised), versions in found.items():
        energy = [energies.get(str(v["content"])) for v in versions] if revised else [None]
        changed.append(
            Change(
                kind,
                process or None,
                zone,
                days,
                revised,
                len(versions),
                pd.Timestamp(versions[-1]["received_at"]),
                None if None in energy else sum(e for e in energy if e is not None),
            )
        )
    return sorted(changed, key=lambda change: change.last_received)


def render(
    day: dt.date, since: dt.datetime, found: Sequence[Section], changed: Sequence[Change]
) -> Letter:
    """The digest of market day `day`: subject, HTML and text parts, a chart per section."""
    names = {
        id(area): _chart_name(section, area)
        for section in found
        if section.summary is not None
        for area in section.summary.areas
    }
    images = {
        names[id(area)]: chart_png(area, section.summary.title)
        for section in found
        if section.summary is not None
        for area in section.summary.areas
    }
    subject = f"{settings.PROJECT_NAME} digest, {day:%a %d %b %Y}"
    context = {
        "subject": subject,
        "project_name": settings.PROJECT_NAME,
        "since": since.astimezone(ZoneInfo(settings.DIGEST_TIMEZONE)),
        "look_back": _days((day - dt.timedelta(days=LOOK_BACK_DAYS), day + dt.timedelta(days=1))),
        "sections": found,
        "changed": changed,
        "image_src": lambda area: f"cid:{names[id(area)]}",
        "colour": colour,
    }
    return Letter(
        subject,
        TEMPLATES.get_template("digest.html.j2").render(context),
        TEMPLATES.get_template("digest.txt.j2").render(context),
        images,
    )


def energy_text(mwh: float) -> str:
    """A change in energy, signed, in GWh: "+1.25 GWh", "-0.40 GWh"."""
    return f"{mwh / 1000:+,.2f} GWh"


def _last_day(rows: pd.DataFrame, zone: str, latest: dt.date) -> dt.date | None:
    """The last local day of the zone the rows count for (core/deadline.py: half of it covered,
    or the only day), no later than `latest`."""
    document = Document(None, None, None, None, rows[list(COLUMNS)])
    days = [dt.date.fromisoformat(day) for day in arrivals(document).get(zone, [])]
    return max((day for day in days if day <= latest), default=None)


def _days_covered(first: pd.Timestamp, last: pd.Timestamp, zone: str) -> tuple[dt.date, ...]:
    """The zone's local days from the first interval's start to the last one's: those covered
    half or more (as core/deadline.py counts a document's days), or the only one it touches."""
    tz = area_timezone(zone)
    start, end = first.tz_convert(tz), (last + pd.Timedelta(minutes=15)).tz_convert(tz)
    covered = {}
    for offset in range((end.date() - start.date()).days + 1):
        day = start.date() + dt.timedelta(days=offset)
        midnight, next_midnight = (pd.Timestamp(d).tz_localize(tz) for d in (day, _next(day)))
        hours = min(end, next_midnight) - max(start, midnight)
        if hours > pd.Timedelta(0):
            covered[day] = hours
    if len(covered) == 1:
        return tuple(covered)
    return tuple(day for day, hours in covered.items() if hours >= pd.Timedelta(hours=12))


def _next(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=1)


def _days(days: Sequence[dt.date]) -> str:
    if not days:
        return ""
    first, last = min(days), max(days)
    if first == last:
        return f"{first:%a %d %b %Y}"
    return f"{first:%a %d %b} to {last:%a %d %b %Y}"


def _chart_name(section: Section, area: AreaSummary) -> str:
    parts = (section.document_type, section.process_type or "", area.name)
    return f"chart-{'-'.join(part for part in parts if part).lower()}.png"
