"""entsoe-py as the oracle (slow but right), and where the real ENTSO-E samples are.

The real samples are not ours to ship: the tests read them from `ENTSOE_SAMPLES_DIR`, or from a
`shared/entsoe-samples` folder above the working directory or this file, and skip without them.
"""

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from entsoe import parsers
from entsoe.mappings import PSRTYPE_MAPPINGS

NO_SAMPLES = (
    "not checked: real ENTSO-E documents (none shipped); set ENTSOE_SAMPLES_DIR to a folder of them"
)
# entsoe-py names a series "Actual Consumption" when it has an outBiddingZone element.
METRIC = {"in": "Actual Aggregated", "out": "Actual Consumption"}


def samples_dir() -> Path | None:
    configured = os.environ.get("ENTSOE_SAMPLES_DIR")
    if configured:
        return Path(configured)
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        for folder in (start, *start.parents):
            candidate = folder / "shared" / "entsoe-samples"
            if candidate.is_dir():
                return candidate
    return None


def real_samples(pattern: str = "*.xml") -> list[object]:
    """pytest parameters: one per real sample, or one skipped (or failing) when there are none."""
    folder = samples_dir()
    if folder is None:
        return [pytest.param(None, marks=pytest.mark.skip(reason=NO_SAMPLES))]
    if not folder.is_dir():  # asked for by ENTSOE_SAMPLES_DIR: a missing folder is an error
        return [pytest.param(folder, id="ENTSOE_SAMPLES_DIR-missing")]
    return [pytest.param(path, id=path.name) for path in sorted(folder.glob(pattern))]


def compare_with_entsoe_py(xml: bytes, frame: pd.DataFrame, document_type: str) -> int:
    """Assert that our table holds, value by value, what entsoe-py reads; return the count."""
    text = xml.decode()
    if document_type in ("A69", "A71", "A75"):
        expected, actual = _entsoe_generation(text), _our_generation(frame)
    elif document_type == "A65":
        # parse_loads concatenates every TimeSeries as it comes: nothing to align but the order.
        process_type = frame["process_type"].iloc[0]
        loads = parsers.parse_loads(text, process_type=process_type).iloc[:, 0]
        expected = {"load": loads}
        actual = {"load": frame.set_index("timestamp")["value"].sort_index(kind="stable")}
    elif document_type == "A44":
        # parse_prices splits by resolution (and knows no classificationSequence: callers
        # only hand it documents with the main auction alone).
        prices = parsers.parse_prices(text)
        expected = {res: prices[freq] for res, freq in _FREQUENCIES.items() if len(prices[freq])}
        actual = {
            res: rows.set_index("timestamp")["value"].sort_index(kind="stable")
            for res, rows in frame.groupby("resolution")
        }
    else:
        raise AssertionError(f"no oracle for {document_type}")
    assert set(expected) == set(actual)
    compared = 0
    for key, series in expected.items():
        want = series.dropna().astype(float)
        want.index = pd.DatetimeIndex(want.index).tz_convert("UTC")
        got = actual[key]
        assert want.index.equals(got.index), (key, want.index.symmetric_difference(got.index))
        assert np.array_equal(want.to_numpy(), got.to_numpy()), key
        compared += len(got)
    return compared


_FREQUENCIES = {"PT15M": "15min", "PT30M": "30min", "PT60M": "60min"}


def _entsoe_generation(text: str) -> dict[tuple[str | None, str], pd.Series]:
    """parse_generation(nett=False) as {(psr name, metric): series}, whatever shape it returns.

    It returns a Series when there is one column, psr names as columns when every series is
    production, and (psr, metric) columns when production and consumption mix.
    """
    result = parsers.parse_generation(text, nett=False)
    if isinstance(result, pd.Series):
        return {(None, str(result.name)): result}
    columns: dict[tuple[str | None, str], pd.Series] = {}
    for column in result.columns:
        if isinstance(column, tuple):
            key = (column[0], column[1])
        elif column in METRIC.values():
            key = (None, column)
        else:
            key = (column, METRIC["in"])
        columns[key] = result[column]
    return columns


def _our_generation(frame: pd.DataFrame) -> dict[tuple[str | None, str], pd.Series]:
    """Our rows in entsoe-py's shape. It keeps the first value where TimeSeries of one psrType
    overlap (and merges businessTypes A93/A94 with the rest of that psrType), so we do too."""
    columns: dict[tuple[str | None, str], pd.Series] = {}
    groups = frame.groupby([frame["psr_type"].fillna(""), frame["direction"]], sort=False)
    for (psr, direction), rows in groups:
        series = rows.set_index("timestamp")["value"]
        series = series[~series.index.duplicated(keep="first")].sort_index()
        columns[(PSRTYPE_MAPPINGS[psr] if psr else None, METRIC[str(direction)])] = series
    return columns
