"""A parsed document -> the facts a newsletter states, per bidding zone, in the zone's local time.

Each document type maps to one summariser in `SUMMARISERS`; a fork adds a type with one entry here
(and one in `documents.REGISTRY`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from .documents import REGISTRY, RESOLUTIONS, Document, area_timezone


@dataclass(frozen=True)
class Fact:
    label: str
    text: str


@dataclass(frozen=True)
class Section:
    """One block of the newsletter: a heading and its facts."""

    heading: str
    facts: tuple[Fact, ...]


@dataclass(frozen=True)
class AreaSummary:
    """Everything said about one bidding zone, and the series its chart draws (local time)."""

    area: str
    name: str
    timezone: str
    sections: tuple[Section, ...]
    chart: pd.DataFrame  # index: local start of each interval; one column per line drawn
    chart_unit: str


@dataclass(frozen=True)
class Summary:
    document_type: str
    title: str
    first_day: pd.Timestamp  # local date of the first interval, in the first zone's time
    last_day: pd.Timestamp
    areas: tuple[AreaSummary, ...]

    @property
    def subject(self) -> str:
        names = ", ".join(area.name for area in self.areas)
        days = _day(self.first_day)
        if self.last_day != self.first_day:
            days = f"{days} to {_day(self.last_day)}"
        return f"{self.title} for {names}, {days}"


def summarise(document: Document) -> Summary:
    """The facts of a document with data (not an acknowledgement)."""
    if document.type is None or document.frame.empty:
        raise ValueError("only a document with data can be summarised")
    frame = document.frame
    areas = []
    for area, rows in frame.groupby("area", sort=False):
        timezone = area_timezone(str(area))
        local = rows.assign(timestamp=rows["timestamp"].dt.tz_convert(timezone))
        sections, chart, unit = SUMMARISERS[document.type](local)
        areas.append(AreaSummary(str(area), area_name(str(area)), timezone, sections, chart, unit))
    first_zone = area_timezone(str(frame["area"].iloc[0]))
    local_days = frame["timestamp"].dt.tz_convert(first_zone).dt.normalize()
    return Summary(
        document.type,
        REGISTRY[document.type].name,
        local_days.min(),
        local_days.max(),
        tuple(areas),
    )


def area_name(area: str) -> str:
    """Short name of a bidding zone (DE-LU, SE-3); the EIC code itself when entsoe-py lacks it."""
    from entsoe.mappings import lookup_area  # imported here: entsoe pulls in requests and bs4

    try:
        return lookup_area(area).name.replace("_", "-")
    except ValueError:
        return area


def psr_name(psr_type: object, direction: object) -> str:
    """Production type in words; pumped storage's consumption (direction out) kept apart."""
    from entsoe.mappings import PSRTYPE_MAPPINGS

    name = PSRTYPE_MAPPINGS.get(psr_type, "Total") if isinstance(psr_type, str) else "Total"
    return f"{name} (consumption)" if direction == "out" else name


def _generation(rows: pd.DataFrame) -> tuple[tuple[Section, ...], pd.DataFrame, str]:
    """Per production type: peak and when, minimum, mean, energy; then each type's share."""
    rows = rows.assign(
        line=[psr_name(p, d) for p, d in zip(rows["psr_type"], rows["direction"], strict=True)]
    )
    unit = _power_unit(rows)
    sections, energies = [], {}
    for line, part in rows.groupby("line", sort=True):
        series = _series(part)
        energy = _energy(part)
        energies[str(line)] = energy
        peak_at = series.idxmax()
        sections.append(
            Section(
                str(line),
                (
                    Fact("Peak", f"{_number(series.max())} {unit} at {_clock(peak_at)}"),
                    Fact("Minimum", f"{_number(series.min())} {unit}"),
                    Fact("Mean", f"{_number(series.mean())} {unit}"),
                    Fact("Energy", _energy_text(energy)),
                ),
            )
        )
    produced = {k: v for k, v in energies.items() if not k.endswith("(consumption)")}
    total = sum(produced.values())
    if len(produced) > 1 and total > 0:
        shares = tuple(
            Fact(line, f"{100 * energy / total:.1f} %")
            for line, energy in sorted(produced.items(), key=lambda item: -item[1])
        )
        sections.append(Section("Share of the energy", shares))
    chart = rows.pivot_table(index="timestamp", columns="line", values="value", aggfunc="mean")
    return tuple(sections), chart, unit


def _load(rows: pd.DataFrame) -> tuple[tuple[Section, ...], pd.DataFrame, str]:
    """Peak and trough, with their times; mean and energy."""
    unit = _power_unit(rows)
    series = _series(rows)
    facts = (
        Fact("Peak", f"{_number(series.max())} {unit} at {_clock(series.idxmax())}"),
        Fact("Trough", f"{_number(series.min())} {unit} at {_clock(series.idxmin())}"),
        Fact("Mean", f"{_number(series.mean())} {unit}"),
        Fact("Energy", _energy_text(_energy(rows))),
    )
    return (Section("Total load", facts),), series.to_frame("Load"), unit


def _prices(rows: pd.DataFrame) -> tuple[tuple[Section, ...], pd.DataFrame, str]:
    """Min, max, mean; the cheapest and dearest hours; the hours with a negative price."""
    unit = str(rows["unit"].iloc[0]).replace("MWH", "MWh") if rows["unit"].notna().any() else ""
    series = _series(rows)
    hourly = series.groupby(pd.DatetimeIndex(series.index).floor("h")).mean()
    negative = hourly[hourly < 0]
    facts = [
        Fact("Minimum", f"{series.min():.2f} {unit}"),
        Fact("Maximum", f"{series.max():.2f} {unit}"),
        Fact("Mean", f"{series.mean():.2f} {unit}"),
        Fact("Cheapest hour", f"{_hour(hourly.idxmin())} ({hourly.min():.2f} {unit})"),
        Fact("Dearest hour", f"{_hour(hourly.idxmax())} ({hourly.max():.2f} {unit})"),
        Fact(
            "Negative prices",
            ", ".join(_hour(h) for h in negative.index) if len(negative) else "none",
        ),
    ]
    return (Section("Day-ahead prices", tuple(facts)),), series.to_frame("Price"), unit


SUMMARISERS: dict[str, Callable[[pd.DataFrame], tuple[tuple[Section, ...], pd.DataFrame, str]]] = {
    "A69": _generation,
    "A71": _generation,
    "A75": _generation,
    "A65": _load,
    "A44": _prices,
}


def _series(rows: pd.DataFrame) -> pd.Series:
    """Values by interval start; several series of one line (overlapping days) are averaged."""
    return rows.groupby("timestamp")["value"].mean().sort_index()


def _energy(rows: pd.DataFrame) -> float:
    """MWh: each value (MW) times the length of its interval."""
    hours = rows["resolution"].map(RESOLUTIONS).astype(float) / 60
    return float((rows["value"] * hours).sum())


def _power_unit(rows: pd.DataFrame) -> str:
    unit = rows["unit"].dropna()
    return "MW" if unit.empty or unit.iloc[0] == "MAW" else str(unit.iloc[0])


def _number(value: float) -> str:
    return f"{value:,.0f}"


def _energy_text(mwh: float) -> str:
    return f"{mwh / 1000:,.1f} GWh" if abs(mwh) >= 10_000 else f"{mwh:,.0f} MWh"


def _clock(moment: object) -> str:
    return pd.Timestamp(moment).strftime("%a %H:%M")  # type: ignore[arg-type]


def _hour(moment: object) -> str:
    start = pd.Timestamp(moment)  # type: ignore[arg-type]
    return f"{start:%a %H}:00-{start + pd.Timedelta(hours=1):%H}:00"


def _day(moment: pd.Timestamp) -> str:
    return moment.strftime("%a %d %b %Y")
