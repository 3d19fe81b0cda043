"""A parsed document -> the facts a newsletter states, per bidding zone, in the zone's local time.

Each document type maps to one summariser in `SUMMARISERS`; a fork adds a type with one entry here
(and one in `documents.REGISTRY`). Overlapping TimeSeries (the same interval of the same series
given twice) are counted once, and the summary says so. What the readers need not know (installed
capacity that could not be had, and why) is in `Summary.problems`, for the operators alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

from .documents import REGISTRY, RESOLUTIONS, Document
from .processes import title
from .zones import area_name, area_timezone

# Per zone: installed capacity by production type (psrType -> MW), or why it is unavailable.
Installed = Mapping[str, float]
Capacity = Installed | str
PEAK_HOURS = (8, 20)  # the market's peak block: 08:00-20:00 local time
SERIES_KEYS = ["area", "direction", "psr_type"]


@dataclass(frozen=True)
class Fact:
    label: str
    text: str


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    @property
    def widths(self) -> list[int]:
        """Characters per column, for the plain-text part."""
        return [
            max(len(cell) for cell in column)
            for column in zip(self.columns, *self.rows, strict=True)
        ]


@dataclass(frozen=True)
class AreaSummary:
    """Everything said about one bidding zone, and the series its chart draws (local time)."""

    area: str
    name: str
    timezone: str
    facts: tuple[Fact, ...]
    table: Table | None  # one row per production type
    notes: tuple[str, ...]  # what a reader must know about the data: overlaps, resolutions
    chart: pd.DataFrame  # index: local start of each interval; one column per series drawn
    chart_unit: str
    stacked: bool  # a production mix, stacked; else lines
    capacity_mw: float | None  # installed capacity of the types drawn, as a line


@dataclass(frozen=True)
class Summary:
    document_type: str
    title: str  # "Day-ahead wind and solar forecast"
    first_day: pd.Timestamp  # local date of the first interval, in the first zone's time
    last_day: pd.Timestamp
    areas: tuple[AreaSummary, ...]
    revised: bool = False
    # For the operators, never the readers: one line per zone whose installed capacity the
    # newsletter leaves out, naming the zone and why.
    problems: tuple[str, ...] = ()

    @property
    def subject(self) -> str:
        names = ", ".join(area.name for area in self.areas)
        days = _day(self.first_day)
        if self.last_day != self.first_day:
            days = f"{days} to {_day(self.last_day)}"
        return f"{'Revised: ' if self.revised else ''}{self.title} for {names}, {days}"


@dataclass(frozen=True)
class _Said:
    facts: tuple[Fact, ...]
    table: Table | None
    notes: tuple[str, ...]
    chart: pd.DataFrame
    unit: str
    stacked: bool
    capacity_mw: float | None


def summarise(
    document: Document, capacities: Mapping[str, Capacity] | None = None, revised: bool = False
) -> Summary:
    """The facts of a document with data (not an acknowledgement). `capacities` (per zone) adds
    shares of installed capacity to generation; None leaves capacity out, and so does a zone's
    reason it is unavailable, which goes to `problems` instead."""
    if document.type is None or document.frame.empty:
        raise ValueError("only a document with data can be summarised")
    frame = document.frame
    areas, problems = [], []
    for area, rows in frame.groupby("area", sort=False):
        timezone = area_timezone(str(area))
        local = rows.assign(timestamp=rows["timestamp"].dt.tz_convert(timezone))
        unique, overlaps = without_overlaps(local)
        capacity = capacities.get(str(area)) if capacities is not None else None
        if isinstance(capacity, str):
            problems.append(
                f"Installed capacity of {area_name(str(area))} ({area}) unavailable: {capacity}"
            )
            capacity = None
        said = SUMMARISERS[document.type](unique, capacity)
        areas.append(
            AreaSummary(
                str(area),
                area_name(str(area)),
                timezone,
                said.facts,
                said.table,
                (*overlaps, *said.notes),
                said.chart,
                said.unit,
                said.stacked,
                said.capacity_mw,
            )
        )
    first_zone = area_timezone(str(frame["area"].iloc[0]))
    local_days = frame["timestamp"].dt.tz_convert(first_zone).dt.normalize()
    entry = REGISTRY[document.type]
    process = frame["process_type"].dropna()
    return Summary(
        document.type,
        title(entry.topic, str(process.iloc[0]) if len(process) else None, entry.name),
        local_days.min(),
        local_days.max(),
        tuple(areas),
        revised,
        tuple(problems),
    )


def without_overlaps(rows: pd.DataFrame) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Each interval of each series once: the finest resolution of a series given at several,
    and the last TimeSeries of intervals given more than once. Notes say what was dropped."""
    notes = []
    keys = rows[SERIES_KEYS].astype(object).where(rows[SERIES_KEYS].notna(), "")
    minutes = rows["resolution"].map(RESOLUTIONS)
    finest = minutes.groupby([keys[k] for k in SERIES_KEYS]).transform("min")
    coarser = minutes != finest
    for label in sorted(
        {_line(p, d) for p, d in rows.loc[coarser, ["psr_type", "direction"]].values}
    ):
        notes.append(f"{label} came at several resolutions: only the finest is counted")
    rows, keys = rows[~coarser], keys[~coarser]
    repeated = pd.concat([keys, rows["timestamp"]], axis=1).duplicated(keep="last")
    if repeated.any():
        lines = sorted(
            {_line(p, d) for p, d in rows.loc[repeated, ["psr_type", "direction"]].values}
        )
        notes.append(
            f"{int(repeated.sum())} interval(s) of {', '.join(lines)} came in more than one "
            "TimeSeries: each is counted once (the last given)"
        )
    return rows[~repeated], tuple(notes)


def psr_name(psr_type: object) -> str:
    """Production type in words (B16 -> Solar); "Total" for a series without one."""
    from entsoe.mappings import PSRTYPE_MAPPINGS

    return PSRTYPE_MAPPINGS.get(psr_type, str(psr_type)) if isinstance(psr_type, str) else "Total"


def _line(psr_type: object, direction: object) -> str:
    """Pumped storage's consumption (direction out) is a line of its own."""
    name = psr_name(psr_type)
    return f"{name} (consumption)" if direction == "out" else name


def _generation(rows: pd.DataFrame, installed: Installed | None) -> _Said:
    """Per production type: peak, mean, energy, share of energy and of installed capacity."""
    rows = rows.assign(
        line=[_line(p, d) for p, d in zip(rows["psr_type"], rows["direction"], strict=True)]
    )
    unit = _power_unit(rows)
    by_line = {str(line): part for line, part in rows.groupby("line", sort=False)}
    energies = {line: _energy(part) for line, part in by_line.items()}
    produced = {k: v for k, v in energies.items() if not k.endswith("(consumption)")}
    total = sum(produced.values())
    types = {_line(p, None): p for p in rows["psr_type"].dropna().unique()}
    table_rows, drawn_capacity = [], 0.0
    for line in sorted(by_line, key=lambda name: (name not in produced, -energies[name])):
        series = _series(by_line[line])
        share = f"{100 * energies[line] / total:.1f} %" if line in produced and total > 0 else "-"
        row = [line, _number(series.max()), _number(series.mean()), _energy_text(energies[line])]
        row.append(share)
        if installed is not None:
            mw = _capacity_of(line, types, installed)
            if line in produced and mw:
                drawn_capacity += mw
            row += [_percent(series.max(), mw), _percent(series.mean(), mw)]
        table_rows.append(tuple(row))
    columns = ["Production type", f"Peak ({unit})", f"Mean ({unit})", "Energy", "Share of energy"]
    if installed is not None:
        columns += ["Peak/capacity", "Mean/capacity"]
    mix = (
        rows[rows["line"].isin(list(produced))]
        .pivot_table(index="timestamp", columns="line", values="value", aggfunc="sum")
        # Stacked in psrType order (biomass ... nuclear ... solar, wind): the same in every letter.
        .reindex(columns=sorted(produced, key=lambda name: str(types.get(name, "~"))))
    )
    stack = mix.sum(axis=1)
    facts = [
        _horizon(rows),
        Fact("Energy", _energy_text(total)),
        Fact("Peak", f"{_number(stack.max())} {unit} at {_clock(stack.idxmax())}"),
    ]
    if installed is not None and drawn_capacity:
        facts.append(Fact("Installed capacity", f"{_number(drawn_capacity)} MW (ENTSO-E, A68)"))
    return _Said(
        tuple(facts),
        Table(tuple(columns), tuple(table_rows)),
        (),
        mix,
        unit,
        True,
        drawn_capacity or None,
    )


def _capacity_of(line: str, types: Mapping[str, object], installed: Mapping[str, float]) -> float:
    """MW installed for one line; a series without a production type is all types together."""
    if line == "Total":
        return sum(installed.values())
    code = types.get(line.removesuffix(" (consumption)"))
    return float(installed.get(str(code), 0.0)) if code else 0.0


def _load(rows: pd.DataFrame, installed: Installed | None) -> _Said:
    """Minimum and maximum, with their times; mean, energy and the horizon covered."""
    unit = _power_unit(rows)
    series = _series(rows)
    facts = (
        Fact("Maximum", f"{_number(series.max())} {unit} at {_clock(series.idxmax())}"),
        Fact("Minimum", f"{_number(series.min())} {unit} at {_clock(series.idxmin())}"),
        Fact("Mean", f"{_number(series.mean())} {unit}"),
        Fact("Energy", _energy_text(_energy(rows))),
        _horizon(rows),
    )
    return _Said(facts, None, (), series.to_frame("Load"), unit, False, None)


def _prices(rows: pd.DataFrame, installed: Installed | None) -> _Said:
    """Base and peak averages beside min and max; the hours with a negative price."""
    unit = str(rows["unit"].iloc[0]).replace("MWH", "MWh") if rows["unit"].notna().any() else ""
    series = _series(rows)
    hourly = series.groupby(pd.DatetimeIndex(series.index).floor("h")).mean()
    hours = pd.DatetimeIndex(hourly.index).hour
    peak = hourly[(hours >= PEAK_HOURS[0]) & (hours < PEAK_HOURS[1])]
    negative = hourly[hourly < 0]
    facts = [
        Fact("Base (average)", f"{hourly.mean():.2f} {unit}"),
        Fact(
            f"Peak ({PEAK_HOURS[0]:02}:00-{PEAK_HOURS[1]:02}:00 average)",
            f"{peak.mean():.2f} {unit}" if len(peak) else "no peak hours",
        ),
        Fact("Minimum", f"{series.min():.2f} {unit} at {_clock(series.idxmin())}"),
        Fact("Maximum", f"{series.max():.2f} {unit} at {_clock(series.idxmax())}"),
        Fact(
            "Negative prices",
            ", ".join(_hour(h) for h in negative.index) if len(negative) else "none",
        ),
        _horizon(rows),
    ]
    return _Said(tuple(facts), None, (), series.to_frame("Price"), unit, False, None)


SUMMARISERS: dict[str, Callable[[pd.DataFrame, Installed | None], _Said]] = {
    "A69": _generation,
    "A71": _generation,
    "A75": _generation,
    "A65": _load,
    "A44": _prices,
}


def _series(rows: pd.DataFrame) -> pd.Series:
    """Values by interval start (overlaps are gone by now, so each start is there once)."""
    return rows.groupby("timestamp")["value"].sum().sort_index()


def _energy(rows: pd.DataFrame) -> float:
    """MWh: each value (MW) times the length of its interval."""
    hours = rows["resolution"].map(RESOLUTIONS).astype(float) / 60
    return float((rows["value"] * hours).sum())


def _horizon(rows: pd.DataFrame) -> Fact:
    """From the first interval's start to the last one's end, and the resolution."""
    minutes = rows["resolution"].map(RESOLUTIONS)
    end = rows["timestamp"] + pd.to_timedelta(minutes, unit="min")
    steps = sorted({f"{m} min" for m in minutes.unique()})
    return Fact(
        "Horizon",
        f"{_clock(rows['timestamp'].min(), True)} to {_clock(end.max(), True)}"
        f" ({', '.join(steps)} intervals)",
    )


def _power_unit(rows: pd.DataFrame) -> str:
    unit = rows["unit"].dropna()
    return "MW" if unit.empty or unit.iloc[0] == "MAW" else str(unit.iloc[0])


def _number(value: float) -> str:
    return f"{value:,.0f}"


def _percent(value: float, of: float) -> str:
    return f"{100 * value / of:.0f} %" if of else "-"


def _energy_text(mwh: float) -> str:
    return f"{mwh / 1000:,.1f} GWh" if abs(mwh) >= 10_000 else f"{mwh:,.0f} MWh"


def _clock(moment: object, with_date: bool = False) -> str:
    return pd.Timestamp(moment).strftime("%a %d %b %H:%M" if with_date else "%a %H:%M")  # type: ignore[arg-type]


def _hour(moment: object) -> str:
    start = pd.Timestamp(moment)  # type: ignore[arg-type]
    return f"{start:%a %H}:00-{start + pd.Timedelta(hours=1):%H}:00"


def _day(moment: pd.Timestamp) -> str:
    return moment.strftime("%a %d %b %Y")
