"""A parsed document -> the facts a newsletter states, per bidding zone, in the zone's local time.

Each document type maps to one summariser in `SUMMARISERS`; a fork adds a type with one entry here
(and one in `documents.REGISTRY`). Overlapping TimeSeries (the same interval of the same series
given twice) are counted once, and the summary says so. What the readers need not know (installed
capacity that could not be had, and why) is in `Summary.problems`, for the operators alone.
What the history adds (a revision's changes, the forecast's error, the residual load) comes as
comparisons of a zone, computed in `changes`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

from . import changes
from .documents import REGISTRY, RESOLUTIONS, Document
from .processes import title
from .zones import area_name, area_timezone

# Per zone: installed capacity by production type (psrType -> MW), or why it is unavailable.
Installed = Mapping[str, float]
Capacity = Installed | str
# The market's peak block (EEX, Nord Pool, EPEX): 08:00-20:00 Brussels time, whatever the zone's.
PEAK_HOURS = (8, 20)
MARKET_TIME = "Europe/Brussels"
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
class Comparison:
    """A comparison with what the history holds, below a zone's own facts."""

    title: str
    facts: tuple[Fact, ...] = ()
    table: Table | None = None
    notes: tuple[str, ...] = ()  # sentences: what could not be compared, and why


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
    comparisons: tuple[Comparison, ...] = ()

    @property
    def clock(self) -> str:
        """The zone's time in words: "Helsinki time" (Europe/Helsinki), "UTC"."""
        return clock_name(self.timezone)


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
    document: Document,
    capacities: Mapping[str, Capacity] | None = None,
    revised: bool = False,
    history: changes.History | None = None,
) -> Summary:
    """The facts of a document with data (not an acknowledgement). `capacities` (per zone) adds
    shares of installed capacity to generation; None leaves capacity out, and so does a zone's
    reason it is unavailable, which goes to `problems` instead. `history` (all zones) adds the
    comparisons with what the history store holds."""
    if document.type is None or document.frame.empty:
        raise ValueError("only a document with data can be summarised")
    frame = document.frame
    process = frame["process_type"].dropna()
    kind = (document.type, str(process.iloc[0]) if len(process) else "")
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
        earlier = (history or changes.History()).of_zone(str(area))
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
                _comparisons(kind, unique, earlier, said.unit),
            )
        )
    first_zone = area_timezone(str(frame["area"].iloc[0]))
    local_days = frame["timestamp"].dt.tz_convert(first_zone).dt.normalize()
    entry = REGISTRY[document.type]
    return Summary(
        document.type,
        title(entry.topic, kind[1] or None, entry.name),
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


def clock_name(timezone: str) -> str:
    """A time zone as a reader says it: "Helsinki time" for Europe/Helsinki; "UTC" as it is."""
    if "/" not in timezone:
        return timezone
    return f"{timezone.rpartition('/')[2].replace('_', ' ')} time"


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
    local = pd.DatetimeIndex(series.index)
    # Hours floored in UTC: a local hour that comes twice (daylight saving ends) stays two.
    hourly = series.groupby(local.tz_convert("UTC").floor("h")).mean()
    hours = pd.DatetimeIndex(hourly.index).tz_convert(MARKET_TIME).hour
    peak = hourly[(hours >= PEAK_HOURS[0]) & (hours < PEAK_HOURS[1])]
    negative = pd.DatetimeIndex(hourly.index[hourly < 0]).tz_convert(local.tz)
    facts = [
        Fact("Base (all hours)", f"{hourly.mean():.2f} {unit}"),
        Fact(
            f"Peak ({PEAK_HOURS[0]:02}:00-{PEAK_HOURS[1]:02}:00 CET/CEST)",
            f"{peak.mean():.2f} {unit}{_peak_locally(peak.index, local)}"
            if len(peak)
            else "no peak hours",
        ),
        Fact("Minimum", f"{series.min():.2f} {unit} at {_clock(series.idxmin())}"),
        Fact("Maximum", f"{series.max():.2f} {unit} at {_clock(series.idxmax())}"),
        Fact(
            "Negative prices",
            ", ".join(_hour(h) for h in negative) if len(negative) else "none",
        ),
        _horizon(rows),
    ]
    return _Said(tuple(facts), None, (), series.to_frame("Price"), unit, False, None)


def _peak_locally(peak: pd.Index, local: pd.DatetimeIndex) -> str:
    """The peak block in the zone's own time, where that is not Brussels time."""
    start = pd.Timestamp(peak[0]).tz_convert(local.tz)
    if start.hour == PEAK_HOURS[0]:
        return ""
    end = start + pd.Timedelta(hours=PEAK_HOURS[1] - PEAK_HOURS[0])
    return f" ({start:%H:%M}-{end:%H:%M} {clock_name(str(local.tz))})"


def _comparisons(
    kind: tuple[str, str], rows: pd.DataFrame, earlier: changes.History, unit: str
) -> tuple[Comparison, ...]:
    """What one zone's rows say against the history: each comparison the flow looked up."""
    timezone = str(pd.DatetimeIndex(rows["timestamp"]).tz)
    found = []
    if earlier.previous is not None:
        previous, _ = without_overlaps(earlier.previous)
        found.append(_revision(kind[0], changes.revision(rows, previous), timezone, unit))
    if earlier.forecast is not None:
        forecast, _ = without_overlaps(earlier.forecast)
        found.append(_forecast_error(kind[0], changes.forecast_error(rows, forecast), timezone))
    if (
        earlier.counterpart is not None
        and not earlier.counterpart.empty
        and kind in changes.COUNTERPART
    ):
        other, _ = without_overlaps(earlier.counterpart)
        of_load = kind[0] == "A65"
        load, wind_and_solar = (rows, other) if of_load else (other, rows)
        residual = changes.residual_load(load, wind_and_solar, of_load)
        if residual is not None:
            other_half = "wind and solar" if of_load else "load"
            found.append(_residual_load(residual, timezone, other_half))
    return tuple(found)


def _revision(
    document_type: str, found: changes.Revision | None, timezone: str, unit: str
) -> Comparison:
    """Per line: the change in energy (or, for a price, its mean) and the hours that moved most."""
    heading = "What changed since the previous version"
    if found is None:
        return Comparison(heading, notes=("No earlier version of this period is stored.",))
    power = unit == "MW"
    rows = []
    for change in found.lines:
        said = _signed_gwh(change.energy) if power else f"{change.mean:+.2f} {unit}"
        hours = [
            (_hour(hour.tz_convert(timezone)), _signed(value, unit))
            for hour, value in change.largest
        ] or [("no change", "")]
        for rank, (hour, value) in enumerate(hours):
            first = rank == 0
            rows.append(
                (
                    _line_name(change.line, document_type) if first else "",
                    said if first else "",
                    hour,
                    value,
                )
            )
    facts = [] if found.coverage.whole else [_compared(found.coverage, timezone)]
    notes = list(_partial(found.coverage, "the previous version stored"))
    notes += [f"New in this version: {_line_name(line, document_type)}" for line in found.new]
    notes += [
        f"Not in this version any more: {_line_name(line, document_type)}" for line in found.gone
    ]
    columns = (
        _first_column(found.lines),
        "Energy change" if power else "Mean change",
        "Hour",
        "Change",
    )
    return Comparison(heading, tuple(facts), Table(columns, tuple(rows)), tuple(notes))


def _forecast_error(
    document_type: str, found: changes.ForecastError | None, timezone: str
) -> Comparison:
    """Per line: bias (actual minus forecast) in energy and percent, and mean absolute error."""
    heading = "Against the day-ahead forecast"
    if found is None:
        return Comparison(heading, notes=("No day-ahead forecast is stored for this period.",))
    rows = tuple(
        (
            _line_name(error.line, document_type),
            _signed_gwh(error.bias),
            "-" if error.bias_percent is None else f"{error.bias_percent:+.1f} %",
            f"{_number(error.mean_absolute_error)} MW",
        )
        for error in found.lines
    )
    facts = (
        _compared(found.coverage, timezone),
        Fact("Bias", "actual minus forecast, in energy and in % of the forecast's energy"),
    )
    columns = (_first_column(found.lines), "Bias", "Bias (%)", "Mean abs. error")
    notes = _partial(found.coverage, "the day-ahead forecast stored")
    return Comparison(heading, facts, Table(columns, rows), notes)


def _residual_load(found: changes.ResidualLoad, timezone: str, other: str) -> Comparison:
    """Load minus wind and solar: its extremes, with their times. `other`: the half stored."""
    (low_at, low), (high_at, high) = found.minimum, found.maximum
    facts = (
        Fact("Maximum", f"{_number(high)} MW at {_clock(high_at.tz_convert(timezone))}"),
        Fact("Minimum", f"{_number(low)} MW at {_clock(low_at.tz_convert(timezone))}"),
        _compared(found.coverage, timezone),
    )
    return Comparison(
        "Residual load (load minus wind and solar, day-ahead forecasts)",
        facts,
        notes=_partial(found.coverage, f"the {other} forecast stored"),
    )


def _compared(coverage: changes.Coverage, timezone: str) -> Fact:
    """Which intervals a comparison covers."""
    start, end = coverage.start.tz_convert(timezone), coverage.end.tz_convert(timezone)
    return Fact(
        "Compared",
        f"{_clock(start, True)} to {_clock(end, True)} ({coverage.minutes} min intervals)",
    )


def _partial(coverage: changes.Coverage, stored: str) -> tuple[str, ...]:
    """A sentence when the comparison leaves part of the letter's period out."""
    if coverage.whole:
        return ()
    return (f"Only part of the period is compared: {stored} covers no more of it.",)


def _line_name(line: changes.Line, document_type: str) -> str:
    if line == changes.TOTAL:  # not the document's total: the lines compared, a forecast's or both
        return "Total of these"
    psr_type, direction = line
    if not psr_type:
        return "Load" if document_type == "A65" else "Price" if document_type == "A44" else "Total"
    return _line(psr_type, direction or None)


def _first_column(lines: tuple[changes.LineChange, ...] | tuple[changes.LineError, ...]) -> str:
    return "Production type" if any(item.line[0] for item in lines) else "Series"


def _signed_gwh(mwh: float) -> str:
    return f"{round(mwh / 1000, 2) + 0.0:+,.2f} GWh"  # + 0.0: no "-0.00"


def _signed(value: float, unit: str) -> str:
    return f"{round(value) + 0:+,} {unit}" if unit == "MW" else f"{value:+.2f} {unit}"


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
    local = pd.Timestamp(moment)  # type: ignore[arg-type]
    return local.strftime("%a %d %b %H:%M" if with_date else "%a %H:%M") + _which(local)


def _hour(moment: object) -> str:
    start = pd.Timestamp(moment)  # type: ignore[arg-type]
    # By the wall clock: the first 03:00 of a 25-hour day ends at 04:00 (EEST), not 03:00 (EET).
    return f"{start:%a %H}:00-{(start.hour + 1) % 24:02}:00{_which(start)}"


def _which(local: pd.Timestamp) -> str:
    """For a local time that comes twice (daylight saving ends) its zone's abbreviation, EEST
    or EET, after a space; else nothing."""
    if (
        local.tz is None
        or local.replace(fold=0 if local.fold else 1).utcoffset() == local.utcoffset()
    ):
        return ""
    return f" {local:%Z}"


def _day(moment: pd.Timestamp) -> str:
    return moment.strftime("%a %d %b %Y")
