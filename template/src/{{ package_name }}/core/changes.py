"""A document against what the history holds: what a revision changed, how far the actuals were
from the day-ahead forecast, and the residual load. Numbers only, in UTC; `summary` words them.

Two series are compared interval by interval where both cover it; when their resolutions differ,
hour by hour, on the hourly means of the hours each covers whole. A line is a series of one
production type and direction (`psr_type`, `direction`; empty where none, as in load).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import pandas as pd

from .documents import RESOLUTIONS

Line = tuple[str, str]  # (psr_type, direction), "" where a document gives none
TOTAL: Line = ("", "total")  # all production lines together (consumption left out)
WIND_AND_SOLAR = ("B16", "B18", "B19")  # what the residual load takes from the load
LARGEST = 3  # hours named per line in a revision


@dataclass(frozen=True)
class History:
    """What the history store holds that a newsletter compares with, for the document's zones
    and period: frames in documents.COLUMNS (UTC timestamps). None: not looked up; an empty
    frame: looked up, nothing stored."""

    previous: pd.DataFrame | None = None  # the version before this one (a revised forecast)
    forecast: pd.DataFrame | None = None  # for actuals: the latest day-ahead forecast
    counterpart: pd.DataFrame | None = None  # the other half of the residual-load pair

    def of_zone(self, area: str) -> History:
        """The same, for one zone's rows alone."""

        def rows(frame: pd.DataFrame | None) -> pd.DataFrame | None:
            return None if frame is None else frame[frame["area"] == area]

        return History(rows(self.previous), rows(self.forecast), rows(self.counterpart))


# What the flow looks up, by (document type, process type).
FORECAST_FOR = {("A75", "A16"): ("A69", "A01"), ("A65", "A16"): ("A65", "A01")}
COUNTERPART = {("A65", "A01"): ("A69", "A01"), ("A69", "A01"): ("A65", "A01")}


@dataclass(frozen=True)
class Coverage:
    """The intervals compared: from the first one's start to the last one's end (UTC)."""

    start: pd.Timestamp
    end: pd.Timestamp
    minutes: int  # the resolution compared at: 60 when the two differed
    whole: bool  # every interval of the letter's own document is compared


@dataclass(frozen=True)
class LineChange:
    line: Line
    energy: float  # MWh (value x hours): new minus previous
    mean: float  # per interval (what a price's change is told by)
    largest: tuple[tuple[pd.Timestamp, float], ...]  # (hour's start, its mean change), by size


@dataclass(frozen=True)
class Revision:
    lines: tuple[LineChange, ...]  # in the document's order; TOTAL last when several
    coverage: Coverage
    new: tuple[Line, ...]  # lines the previous version did not have
    gone: tuple[Line, ...]  # lines only the previous version had


@dataclass(frozen=True)
class LineError:
    line: Line
    bias: float  # MWh: actual minus forecast
    bias_percent: float | None  # of the forecast's energy; None when it forecast none
    mean_absolute_error: float  # MW, per interval compared


@dataclass(frozen=True)
class ForecastError:
    lines: tuple[LineError, ...]  # the lines both have; TOTAL last when several
    coverage: Coverage


@dataclass(frozen=True)
class ResidualLoad:
    minimum: tuple[pd.Timestamp, float]  # (interval start, MW)
    maximum: tuple[pd.Timestamp, float]
    coverage: Coverage


def revision(current: pd.DataFrame, previous: pd.DataFrame) -> Revision | None:
    """Per line and in total: the change in energy and the hours that changed most; None when
    the two versions share no interval."""
    if current.empty or previous.empty:
        return None
    new, old, minutes = _aligned(current, previous)
    lines = [line for line in _lines(new) if line in old.columns]
    difference = (new[lines] - old[lines]).dropna(how="all")
    if difference.empty:
        return None
    per_line = [_change(line, difference[line].dropna(), minutes) for line in lines]
    produced = [line for line in lines if line[1] != "out"]
    if len(lines) > 1 and produced:
        per_line.append(_change(TOTAL, difference[produced].dropna().sum(axis=1), minutes))
    return Revision(
        tuple(per_line),
        _coverage(new[lines], difference.index, minutes),
        tuple(line for line in _lines(new) if line not in old.columns),
        tuple(line for line in _lines(old) if line not in new.columns),
    )


def forecast_error(actual: pd.DataFrame, forecast: pd.DataFrame) -> ForecastError | None:
    """Per line both have (and in total): bias in energy and percent, mean absolute error; None
    when the forecast covers none of the actuals."""
    if actual.empty or forecast.empty:
        return None
    real, expected, minutes = _aligned(actual, forecast)
    lines = [line for line in _lines(real) if line in expected.columns]
    period = real[lines]  # what the letter covers, the forecast or not
    common = real.index.intersection(expected.index)
    real, expected = real.loc[common, lines], expected.loc[common, lines]
    given = real.notna() & expected.notna()
    if not given.to_numpy().any():
        return None
    errors = [_error(line, real[line], expected[line], minutes) for line in lines]
    if len(lines) > 1:
        whole = given.all(axis=1)  # intervals where every line is given on both sides
        errors.append(_error(TOTAL, real[whole].sum(axis=1), expected[whole].sum(axis=1), minutes))
    compared = common[given.any(axis=1).to_numpy()]
    return ForecastError(tuple(errors), _coverage(period, compared, minutes))


def residual_load(
    load: pd.DataFrame, wind_and_solar: pd.DataFrame, letter_of_load: bool
) -> ResidualLoad | None:
    """Load minus wind and solar, per interval both cover: its minimum and maximum; None when
    no interval has both. `letter_of_load`: the letter is the load's (else wind and solar's)."""
    renewable = wind_and_solar[wind_and_solar["psr_type"].isin(WIND_AND_SOLAR)]
    if load.empty or renewable.empty:
        return None
    demand, supply, minutes = _aligned(load, renewable)
    residual = (demand.dropna().sum(axis=1) - supply.dropna().sum(axis=1)).dropna()
    if residual.empty:
        return None
    mine = demand if letter_of_load else supply
    times = pd.DatetimeIndex(residual.index)
    return ResidualLoad(
        (times[int(residual.argmin())], float(residual.min())),
        (times[int(residual.argmax())], float(residual.max())),
        _coverage(mine, residual.index, minutes),
    )


def _aligned(first: pd.DataFrame, second: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Both as values by interval start (UTC) and line, at one resolution: their own when they
    share it, else hourly means."""
    resolutions = set(first["resolution"]) | set(second["resolution"])
    minutes = RESOLUTIONS[resolutions.pop()] if len(resolutions) == 1 else 60
    return _wide(first, minutes), _wide(second, minutes), minutes


def _wide(rows: pd.DataFrame, minutes: int) -> pd.DataFrame:
    """One column per line, one row per interval of `minutes`: a finer series as the mean of
    its intervals in each hour it covers whole (an hour with a gap is left out)."""
    rows = rows.assign(
        timestamp=rows["timestamp"].dt.tz_convert("UTC").dt.as_unit("ns"),
        psr_type=rows["psr_type"].astype(object).where(rows["psr_type"].notna(), ""),
        direction=rows["direction"].astype(object).where(rows["direction"].notna(), ""),
        covered=rows["resolution"].map(RESOLUTIONS),
    )
    keys = [rows["timestamp"].dt.floor(f"{minutes}min"), rows["psr_type"], rows["direction"]]
    grouped = rows.groupby(keys, sort=True)
    values = grouped["value"].mean()[grouped["covered"].sum() == minutes]
    wide = values.unstack(["psr_type", "direction"])
    lines = list(dict.fromkeys(zip(rows["psr_type"], rows["direction"], strict=True)))
    wide = wide.reindex(columns=pd.MultiIndex.from_tuples(lines))
    wide.columns = pd.Index(lines, tupleize_cols=False)
    wide.index.name = None
    return wide


def _lines(wide: pd.DataFrame) -> list[Line]:
    return [cast(Line, line) for line in wide.columns]


def _change(line: Line, difference: pd.Series, minutes: int) -> LineChange:
    hourly = difference.groupby(pd.DatetimeIndex(difference.index).floor("h")).mean()
    changed = hourly[hourly.abs() > 1e-9]
    order = changed.abs().sort_values(ascending=False, kind="stable").index[:LARGEST]
    return LineChange(
        line,
        float(difference.sum()) * minutes / 60,
        float(difference.mean()),
        tuple((pd.Timestamp(hour), float(changed[hour])) for hour in order),
    )


def _error(line: Line, actual: pd.Series, forecast: pd.Series, minutes: int) -> LineError:
    both = pd.concat([actual, forecast], axis=1).dropna()
    error = both.iloc[:, 0] - both.iloc[:, 1]
    forecast_energy = float(both.iloc[:, 1].sum()) * minutes / 60
    bias = float(error.sum()) * minutes / 60
    return LineError(
        line,
        bias,
        100 * bias / forecast_energy if forecast_energy else None,
        float(error.abs().mean()),
    )


def _coverage(own: pd.DataFrame, compared: pd.Index, minutes: int) -> Coverage:
    times = pd.DatetimeIndex(compared)
    given = pd.DatetimeIndex(own.dropna(how="all").index)
    return Coverage(
        times.min(),
        times.max() + pd.Timedelta(minutes=minutes),
        minutes,
        bool(given.isin(times).all()),
    )
