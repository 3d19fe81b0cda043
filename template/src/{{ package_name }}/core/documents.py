"""An ENTSO-E document -> one tidy table; the registry of the document types we understand.

One row per interval and series, with exactly the columns of `COLUMNS` (contract 1):
- `area`, `direction`: the bidding zone and `in` (inBiddingZone/in_Domain, production) or `out`
  (outBiddingZone/out_Domain, consumption). When a series names the same zone as both in and out
  (day-ahead prices), direction does not apply and stays empty.
- `timestamp`: UTC start of the interval; `value`: quantity or price.amount, as float.
- `unit`: quantity_Measure_Unit.name (`MAW`: megawatt), or for prices
  `currency_Unit.name/price_Measure_Unit.name` (`EUR/MWH`).
- curveType A03 is expanded: an omitted position repeats the previous value up to the period's end.
- prices with classificationSequence keep the main auction only (position 1, or none given).
- empty (missing) where a field does not apply: no psrType on load, no processType on prices.
Elements are matched by local name, whether the namespace is the default one or a prefix.
The points are read per Period with XPath into numpy arrays: no Python work per point.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TextIO, cast

import numpy as np
import pandas as pd
from lxml import etree

from .errors import BadInput
from .glance import ACKNOWLEDGEMENT, IN_ZONES, OUT_ZONES, acknowledgement_reason
from .safe_xml import stream_xml

COLUMNS = (
    "document_type",
    "process_type",
    "business_type",
    "psr_type",
    "area",
    "direction",
    "resolution",
    "timestamp",
    "value",
    "unit",
)
TEXT_COLUMNS = tuple(c for c in COLUMNS if c not in ("timestamp", "value"))
RESOLUTIONS = {"PT15M": 15, "PT30M": 30, "PT60M": 60}  # minutes; P1D, P7D, P1Y are refused
AUCTION = "classificationSequence_AttributeInstanceComponent.position"


@dataclass(frozen=True)
class DocumentType:
    """What it takes to read one document type. A fork adds a type with one entry below."""

    code: str
    name: str
    topic: str  # what the subject says after the process: "wind and solar forecast"
    value_element: str = "quantity"
    unit_elements: tuple[str, ...] = ("quantity_Measure_Unit.name",)  # joined with "/"
    main_auction_only: bool = False  # keep classificationSequence position 1 (or none)


REGISTRY: dict[str, DocumentType] = {
    entry.code: entry
    for entry in (
        DocumentType("A69", "Wind and solar forecast", "wind and solar"),
        DocumentType("A71", "Generation forecast", "generation"),
        DocumentType("A65", "Total load", "total load"),
        DocumentType(
            "A44",
            "Day-ahead prices",
            "day-ahead prices",
            value_element="price.amount",
            unit_elements=("currency_Unit.name", "price_Measure_Unit.name"),
            main_auction_only=True,
        ),
        DocumentType("A75", "Actual generation per type", "generation per type"),
    )
}


@dataclass(frozen=True, eq=False)
class Document:
    """A parsed document. `acknowledgement` holds the reason when the platform sent no data."""

    type: str | None
    mrid: str | None
    revision: int | None
    created: pd.Timestamp | None
    frame: pd.DataFrame
    acknowledgement: str | None = None


def parse(document: bytes) -> Document:
    """The document as a tidy table; BadInput for what we cannot read.

    The XML is streamed one TimeSeries at a time: memory stays flat however long the document.
    """
    header: _Header | None = None
    periods = _Periods()
    for element in stream_xml(document, "TimeSeries"):
        parent = element.getparent()
        if parent is None:  # the root comes last
            return _document(header or _header(element), periods)
        if header is None:  # the header precedes the first TimeSeries, which may drop it
            header = _header(parent)
        _read_series(element, header, periods)
    raise AssertionError("stream_xml always ends with the root")  # pragma: no cover


def require_type(document: Document, accepted: Sequence[str]) -> Document:
    """The document, or BadInput when its type is not one the pipeline takes (no data passes)."""
    if document.type is not None and document.type not in accepted:
        raise BadInput(
            f"document type {document.type} is not one this pipeline takes ({', '.join(accepted)})"
        )
    return document


def in_zones(document: Document, zones: Sequence[str]) -> tuple[Document, list[str]]:
    """The document with only the TimeSeries of the chosen zones, and the other zones it held."""
    chosen = document.frame["area"].isin(list(zones))
    others = sorted(set(document.frame.loc[~chosen, "area"].dropna()))
    if not others:
        return document, []
    frame = document.frame[chosen].reset_index(drop=True)
    return dataclasses.replace(document, frame=frame), others


def empty_frame() -> pd.DataFrame:
    """A table with the columns of a document and no rows."""
    frame = pd.DataFrame({c: pd.Series(dtype="str") for c in TEXT_COLUMNS})
    frame["timestamp"] = pd.Series(dtype="datetime64[ns, UTC]")
    frame["value"] = pd.Series(dtype="float64")
    return frame[list(COLUMNS)]


def write_csv(frame: pd.DataFrame, out: TextIO) -> None:
    """The table as CSV (contract 1): UTC times as 2024-06-01T22:00:00Z, empty cells for none.

    Column by column into plain strings, then joined: several times faster than
    DataFrame.to_csv, which formats every cell through pandas.
    """
    columns: dict[str, list[str]] = {
        name: frame[name].astype(object).where(frame[name].notna(), "").tolist()
        for name in TEXT_COLUMNS
    }
    utc = frame["timestamp"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[s]")
    columns["timestamp"] = np.datetime_as_string(utc, unit="s", timezone="UTC").tolist()
    # %.15g: 4430 and -0.01 as the document wrote them, not 4430.0.
    columns["value"] = ["" if v != v else f"{v:.15g}" for v in frame["value"].tolist()]
    rows = zip(*(columns[name] for name in COLUMNS), strict=True)
    texts = {text for name in TEXT_COLUMNS for text in set(columns[name])}
    if any(c in text for text in texts for c in ',"\r\n'):
        csv.writer(out, lineterminator="\n").writerows([COLUMNS, *rows])  # quoting needed
        return
    out.write(",".join(COLUMNS) + "\n")
    out.writelines(",".join(row) + "\n" for row in rows)


class _Path:
    """Element names and XPath expressions in the document's namespace, whatever its prefix."""

    def __init__(self, namespace: str | None) -> None:
        self.namespace = namespace
        self._paths: dict[tuple[str, ...], str] = {}

    def __call__(self, *names: str) -> str:
        """`{namespace}a/{namespace}b` for names a, b: the form find() and findtext() take."""
        path = self._paths.get(names)
        if path is None:
            path = "/".join(f"{{{self.namespace}}}{n}" if self.namespace else n for n in names)
            self._paths[names] = path
        return path

    def xpath(self, expression: str) -> etree.XPath:
        """`expression` (name steps, then text()) compiled for this namespace."""
        return _compiled_xpath(self.namespace, expression)


@functools.lru_cache(maxsize=256)
def _compiled_xpath(namespace: str | None, expression: str) -> etree.XPath:
    if namespace:  # XPath has no default namespace: every name step gets a prefix
        expression = "/".join(
            step if step.endswith("()") else f"d:{step}" for step in expression.split("/")
        )
    namespaces = {"d": namespace} if namespace else {}
    # Plain strings: lxml's "smart" ones keep a reference to their element and cost 4x more.
    return etree.XPath(expression, namespaces=namespaces, smart_strings=False)


@dataclass
class _Periods:
    """Per Period, what every one of its rows shares; and all points, in document order."""

    labels: list[tuple[str | None, ...]] = field(default_factory=list)  # TEXT_COLUMNS order
    starts: list[str] = field(default_factory=list)
    ends: list[str] = field(default_factory=list)
    minutes: list[int] = field(default_factory=list)
    a03: list[bool] = field(default_factory=list)
    positions: list[np.ndarray] = field(default_factory=list)
    values: list[np.ndarray] = field(default_factory=list)


@dataclass(frozen=True)
class _Header:
    path: _Path
    entry: DocumentType | None  # None: an acknowledgement
    mrid: str | None
    revision: int | None
    created: pd.Timestamp | None
    process_type: str | None
    acknowledgement: str | None


def _header(root: etree._Element) -> _Header:
    """What the document says about itself; BadInput unless we can read its type."""
    name = etree.QName(root)
    path = _Path(name.namespace)
    if root.getparent() is not None:
        root_name = etree.QName(root.getroottree().getroot()).localname
        raise BadInput(f"unknown root element {root_name}: not an ENTSO-E document")
    entry, acknowledgement = None, None
    if name.localname == ACKNOWLEDGEMENT:
        acknowledgement = acknowledgement_reason(root)
    elif not name.localname.endswith("_MarketDocument"):
        raise BadInput(f"unknown root element {name.localname}: not an ENTSO-E document")
    else:
        code = _text(root.findtext(path("type")))
        if code is None:
            raise BadInput("the document has no type")
        entry = REGISTRY.get(code)
        if entry is None:
            supported = ", ".join(REGISTRY)
            raise BadInput(f"document type {code} is not supported (supported: {supported})")
    revision = _text(root.findtext(path("revisionNumber")))
    return _Header(
        path,
        entry,
        _text(root.findtext(path("mRID"))),
        int(revision) if revision and revision.isdigit() else None,
        _created(root.findtext(path("createdDateTime"))),
        _text(root.findtext(path("process.processType"))),
        acknowledgement,
    )


def _document(header: _Header, periods: _Periods) -> Document:
    code = header.entry.code if header.entry else None
    frame = _table(periods) if header.entry else empty_frame()
    return Document(
        code, header.mrid, header.revision, header.created, frame, header.acknowledgement
    )


def _read_series(series: etree._Element, header: _Header, periods: _Periods) -> None:
    """Append the points of one TimeSeries, and per Period what its rows share."""
    path, entry = header.path, header.entry
    if entry is None:
        return  # an acknowledgement carries no data
    # The series' own elements in one pass: cheaper than a find() per name.
    texts = {child.tag: _text(child.text) for child in series}
    if entry.main_auction_only and texts.get(path(AUCTION)) not in (None, "1"):
        return
    units = [texts.get(path(name)) for name in entry.unit_elements]
    labels = (
        entry.code,
        header.process_type,
        texts.get(path("businessType")),
        _text(series.findtext(path("MktPSRType", "psrType"))),
        *_zone(texts, path),
    )
    unit = "/".join(u for u in units if u) or None
    a03 = texts.get(path("curveType")) == "A03"
    positions_of = path.xpath("Point/position/text()")
    values_of = path.xpath(f"Point/{entry.value_element}/text()")
    for period in series.iterfind(path("Period")):
        resolution = _text(period.findtext(path("resolution"))) or ""
        if resolution not in RESOLUTIONS:
            raise BadInput(
                f"resolution {resolution or '(none)'} is not supported "
                f"(supported: {', '.join(RESOLUTIONS)})"
            )
        interval = period.find(path("timeInterval"))
        bounds = {c.tag: c.text for c in interval} if interval is not None else {}
        positions = cast(list[str], positions_of(period))
        values = cast(list[str], values_of(period))
        if len(positions) != len(values):
            raise BadInput(f"every Point needs one position and one {entry.value_element}")
        periods.labels.append((*labels, resolution, unit))
        periods.starts.append(bounds.get(path("start")) or "")
        periods.ends.append(bounds.get(path("end")) or "")
        periods.minutes.append(RESOLUTIONS[resolution])
        periods.a03.append(a03)
        periods.positions.append(_numbers(positions, np.int64, "position"))
        periods.values.append(_numbers(values, np.float64, entry.value_element))


def _table(periods: _Periods) -> pd.DataFrame:
    if not periods.labels:
        return empty_frame()
    start = _instants(periods.starts)
    step = np.array(periods.minutes, dtype=np.int64) * 60 * 10**9
    slots, remainder = np.divmod(_instants(periods.ends) - start, step)
    if np.any((slots <= 0) | (remainder != 0)):
        raise BadInput("a Period is not a whole number of its resolution's intervals")
    counts = [len(p) for p in periods.positions]
    period = np.repeat(np.arange(len(counts)), counts)
    position = np.concatenate(periods.positions)
    value = np.concatenate(periods.values)
    if np.any((position < 1) | (position > slots[period])):
        raise BadInput("a Point's position lies outside its Period")
    if np.any(np.diff(period * (int(slots.max()) + 1) + position) <= 0):
        order = np.lexsort((position, period))  # positions need not come in order
        period, position, value = period[order], position[order], value[order]
    if any(periods.a03):
        period, position, value = _expand_a03(period, position, value, slots, periods.a03)
    labels = np.array(periods.labels, dtype=object)
    # Text per Period, repeated to every row of it.
    columns: dict[str, object] = {
        name: pd.array(labels[:, i], dtype="str").take(period)
        for i, name in enumerate(TEXT_COLUMNS)
    }
    timestamp = start[period] + (position - 1) * step[period]
    columns["timestamp"] = pd.to_datetime(timestamp, unit="ns", utc=True)
    columns["value"] = value
    return pd.DataFrame({name: columns[name] for name in COLUMNS}, copy=False)


def _expand_a03(
    period: np.ndarray,
    position: np.ndarray,
    value: np.ndarray,
    slots: np.ndarray,
    a03: list[bool],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every interval of an A03 period gets a row: an omitted position repeats the one before.

    Input is sorted by (period, position); so is the output.
    """
    curved = np.flatnonzero(a03)
    counts = slots[curved]
    slot_period = np.repeat(curved, counts)
    slot_position = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts) + 1
    # One sortable key per (period, position): the last point at or before each slot.
    width = int(slots.max()) + 1
    point_key = period * width + position
    slot_key = slot_period * width + slot_position
    before = np.searchsorted(point_key, slot_key, side="right") - 1
    found = (before >= 0) & (period[np.maximum(before, 0)] == slot_period)
    source = before[found]
    keep = ~np.asarray(a03)[period]  # A01 points stay as they are
    period = np.concatenate([period[keep], slot_period[found]])
    position = np.concatenate([position[keep], slot_position[found]])
    value = np.concatenate([value[keep], value[source]])
    order = np.lexsort((position, period))
    return period[order], position[order], value[order]


def _zone(texts: dict[str, str | None], path: _Path) -> tuple[str | None, str | None]:
    """(area, direction) of a series; direction is empty when in and out name the same zone."""
    inside = next((texts[t] for t in map(path, IN_ZONES) if texts.get(t)), None)
    outside = next((texts[t] for t in map(path, OUT_ZONES) if texts.get(t)), None)
    if inside and outside:
        if inside != outside:
            raise BadInput(f"a series flows between two zones ({outside} -> {inside})")
        return inside, None
    if inside:
        return inside, "in"
    if outside:
        return outside, "out"
    return None, None


def _numbers(texts: list[str], dtype: type[np.generic], what: str) -> np.ndarray:
    try:
        return np.array(texts, dtype=dtype)
    except ValueError:
        raise BadInput(f"a Point's {what} is not a number") from None


def _instants(texts: list[str]) -> np.ndarray:
    """ISO times such as 2023-12-03T23:00Z as ns since the epoch (UTC when no zone is given)."""
    try:
        moments = pd.to_datetime([t.strip() for t in texts], utc=True, format="ISO8601")
    except ValueError:
        raise BadInput("a Period has no valid start or end") from None
    if moments.hasnans:
        raise BadInput("a Period has no start or end")
    return np.asarray(moments.as_unit("ns").asi8)


def _created(text: str | None) -> pd.Timestamp | None:
    try:
        return pd.Timestamp(_instants([text or ""])[0], tz="UTC")
    except BadInput:
        return None


def _text(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None
