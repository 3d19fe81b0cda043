"""Our own ENTSO-E documents and push bodies, for tests, the demo and the benchmarks.

The shapes are plausible, not real: a solar bell curve that follows the season, noisy wind, a
daily load pattern and day-ahead prices that sometimes dip below zero at midday. Days are the
bidding zone's local days, so a daylight-saving day has 23 or 25 hours, as in real documents.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import re
import uuid
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .documents import area_timezone

GL_NAMESPACE = "urn:iec62325.351:tc57wg16:451-6:generationloaddocument:3:0"
PUBLICATION_NAMESPACE = "urn:iec62325.351:tc57wg16:451-3:publicationdocument:7:3"
MESSAGE_NAMESPACE = "http://iec.ch/TC57/2011/schema/message"
SOAP11_NAMESPACE = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_NAMESPACE = "http://www.w3.org/2003/05/soap-envelope"
PLATFORM_EIC = "10X1001A1001A450"

MINUTES = {"PT15M": 15, "PT30M": 30, "PT60M": 60}
DEFAULT_PSR_TYPES: dict[str, tuple[str, ...]] = {
    "A69": ("B16", "B19"),
    "A75": ("B01", "B04", "B10", "B16", "B19"),
}
DEFAULT_PROCESS_TYPES = {"A69": "A01", "A71": "A01", "A65": "A01", "A75": "A16"}
# Installed capacity in MW that scales each profile: roughly German sizes.
CAPACITY = {"B16": 60000.0, "B18": 8000.0, "B19": 55000.0, "B10": 6000.0}


def generate(
    document_type: str = "A69",
    area: str = "10Y1001A1001A82H",
    start: str | dt.date = "2024-06-01",
    days: int = 1,
    resolution: str = "PT15M",
    psr_types: Sequence[str] | None = None,
    curve_type: str = "A01",
    seed: int = 0,
    *,
    process_type: str | None = None,
    prefix: str | None = None,
    auctions: int = 1,
    mrid: str | None = None,
    revision: int = 1,
) -> bytes:
    """One document: one TimeSeries per psrType (and auction) per local day, like the platform.

    `start` is the first local day in the area's time zone. `prefix` writes the namespace as a
    prefix instead of the default namespace. `auctions` > 1 (A44 only) adds TimeSeries with
    classificationSequence positions 2, 3, ... next to the main auction (position 1).
    A03 curves omit a point whose value repeats the previous one. Pumped storage (B10) on A75
    gets a consumption TimeSeries (outBiddingZone) besides its generation. The same arguments
    give the same bytes; the mRID too comes from the seed unless given.
    """
    if resolution not in MINUTES:
        raise ValueError(f"resolution must be one of {', '.join(MINUTES)}")
    if curve_type not in ("A01", "A03"):
        raise ValueError("curve_type must be A01 or A03")
    rng = np.random.default_rng(seed)
    tz = area_timezone(area)
    first = pd.Timestamp(start).tz_localize(None).normalize()
    midnights = pd.date_range(first, periods=days + 1, freq="D").tz_localize(tz).tz_convert("UTC")
    step = pd.Timedelta(minutes=MINUTES[resolution])
    index = pd.date_range(midnights[0], midnights[-1], freq=step, inclusive="left")
    local_hours = _local_hours(index, tz)

    # Solar follows the season too: a December noon gives about a third of a June noon.
    season = 0.65 + 0.35 * np.cos(2 * np.pi * (index.dayofyear.to_numpy() - 172) / 365.25)
    series = _series(document_type, psr_types, local_hours, rng, auctions, season)
    price = document_type == "A44"
    ns = PUBLICATION_NAMESPACE if price else GL_NAMESPACE
    root = "Publication_MarketDocument" if price else "GL_MarketDocument"
    process = None if price else (process_type or DEFAULT_PROCESS_TYPES.get(document_type, "A01"))

    bounds = index.searchsorted(midnights)  # where each local day starts in `index`
    lines: list[str] = []
    for number, (psr, direction, auction, values) in enumerate(series, start=1):
        for day in range(days):
            lines.append(
                _time_series(
                    number * 1000 + day,
                    document_type,
                    area,
                    psr,
                    direction,
                    auction,
                    curve_type,
                    resolution,
                    (midnights[day], midnights[day + 1]),
                    values[bounds[day] : bounds[day + 1]],
                )
            )
    header = [
        f"<mRID>{mrid or uuid.UUID(int=int(rng.integers(2**63))).hex}</mRID>",
        f"<revisionNumber>{revision}</revisionNumber>",
        f"<type>{document_type}</type>",
    ]
    if process:
        header.append(f"<process.processType>{process}</process.processType>")
    interval = "period.timeInterval" if price else "time_Period.timeInterval"
    header += [
        f'<sender_MarketParticipant.mRID codingScheme="A01">{PLATFORM_EIC}'
        "</sender_MarketParticipant.mRID>",
        "<sender_MarketParticipant.marketRole.type>A32</sender_MarketParticipant.marketRole.type>",
        f'<receiver_MarketParticipant.mRID codingScheme="A01">{PLATFORM_EIC}'
        "</receiver_MarketParticipant.mRID>",
        "<receiver_MarketParticipant.marketRole.type>A33"
        "</receiver_MarketParticipant.marketRole.type>",
        f"<createdDateTime>{_iso(midnights[0] - pd.Timedelta(hours=10))}:00Z</createdDateTime>",
        f"<{interval}><start>{_iso(midnights[0])}Z</start>"
        f"<end>{_iso(midnights[-1])}Z</end></{interval}>",
    ]
    body = "\n".join(["  " + line for line in header] + lines)
    text = f'<{root} xmlns="{ns}">\n{body}\n</{root}>\n'
    if prefix:
        text = _prefixed(text, ns, prefix)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + text).encode()


def soap_envelope(
    document: bytes,
    compressed: bool = False,
    soap12: bool = True,
    *,
    verb: str = "create",
    noun: str = "ETP-DOCUMENT",
    context: str | None = "PRODUCTION",
    message_id: str | None = None,
) -> bytes:
    """A push body as the platform sends it (IEC 62325-504): the document in msg:Payload."""
    inner = re.sub(rb"^\s*(\xef\xbb\xbf)?\s*<\?xml[^>]*\?>\s*", b"", document).decode()
    if compressed:
        packed = base64.b64encode(gzip.compress(inner.encode(), mtime=0)).decode()
        inner = f"<msg:Compressed>{packed}</msg:Compressed>"
    header = f"<msg:Verb>{verb}</msg:Verb><msg:Noun>{noun}</msg:Noun>"
    if context:
        header += f"<msg:Context>{context}</msg:Context>"
    if message_id:
        header += f"<msg:MessageID>{message_id}</msg:MessageID>"
    env_ns = SOAP12_NAMESPACE if soap12 else SOAP11_NAMESPACE
    return (
        f'<env:Envelope xmlns:env="{env_ns}"><env:Header/><env:Body>'
        f'<msg:RequestMessage xmlns:msg="{MESSAGE_NAMESPACE}">'
        f"<msg:Header>{header}</msg:Header><msg:Request/>"
        f"<msg:Payload>{inner}<msg:Format>XML</msg:Format></msg:Payload>"
        "</msg:RequestMessage></env:Body></env:Envelope>"
    ).encode()


def _series(
    document_type: str,
    psr_types: Sequence[str] | None,
    hours: np.ndarray,
    rng: np.random.Generator,
    auctions: int,
    season: np.ndarray,
) -> list[tuple[str | None, str, int | None, np.ndarray]]:
    """(psrType, direction, auction, values) for each series of the document."""
    if document_type == "A44":
        main = _prices(hours, rng)
        extra = [main + rng.normal(0, 4, hours.size) for _ in range(auctions - 1)]
        if auctions == 1:
            return [(None, "", None, np.round(main, 2))]
        return [(None, "", n, np.round(v, 2)) for n, v in enumerate([main, *extra], start=1)]
    if document_type == "A65":
        return [(None, "out", None, np.round(_load(hours, rng)))]
    if document_type == "A71":
        return [(None, "in", None, np.round(_load(hours, rng) * 1.05))]
    psrs = psr_types if psr_types is not None else DEFAULT_PSR_TYPES.get(document_type, ("B16",))
    out: list[tuple[str | None, str, int | None, np.ndarray]] = []
    for psr in psrs:
        values = _generation(psr, hours, rng) * (season if psr == "B16" else 1.0)
        out.append((psr, "in", None, np.round(values, 2)))
        if psr == "B10" and document_type == "A75":
            pumping = np.where(hours < 6, CAPACITY["B10"] * 0.5, 0.0)
            pumping *= rng.uniform(0.6, 1, hours.size)
            out.append((psr, "out", None, np.round(pumping, 2)))
    return out


def _generation(psr: str, hours: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    capacity = CAPACITY.get(psr, 3000.0)
    if psr == "B16":
        # Bell curve over daylight, zero at night, clouds as multiplicative noise.
        bell = np.clip(np.sin(np.pi * (hours - 6) / 14), 0, None) ** 1.5
        return capacity * 0.7 * bell * rng.uniform(0.7, 1.0, hours.size)
    if psr in ("B18", "B19"):
        # Wind: weather systems passing every few days, gusts on top, between calm and storm.
        elapsed = np.cumsum(np.diff(hours, prepend=hours[:1]) % 24)
        phase = rng.uniform(0, 2 * np.pi, 2)
        fronts = 0.22 * np.sin(2 * np.pi * elapsed / 110 + phase[0])
        gusts = 0.08 * np.sin(2 * np.pi * elapsed / 31 + phase[1])
        level: np.ndarray = rng.uniform(0.3, 0.45) + fronts + gusts
        return capacity * np.clip(level + rng.normal(0, 0.015, hours.size), 0.02, 0.95)
    if psr == "B10":
        return np.where((hours >= 17) & (hours < 21), capacity * 0.6, 0.0)
    return capacity * (0.5 + 0.1 * np.sin(np.pi * hours / 12)) + rng.normal(0, capacity / 50)


def _load(hours: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    daily = 1 + 0.15 * np.sin(np.pi * (hours - 7) / 12) + 0.08 * np.exp(-((hours - 19) ** 2) / 4)
    return 55000 * daily + rng.normal(0, 600, hours.size)


def _prices(hours: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    base = 85 + 25 * np.exp(-((hours - 19) ** 2) / 6) + 15 * np.exp(-((hours - 8) ** 2) / 4)
    # Sunny days push the midday price below zero now and then.
    day = np.cumsum(np.diff(hours, prepend=hours[:1]) < 0)
    sun = rng.uniform(0.4, 1.6, day.max() + 1)[day]
    midday_dip = 70 * np.exp(-((hours - 13) ** 2) / 5) * sun
    prices: np.ndarray = base - midday_dip + rng.normal(0, 3, hours.size)
    return prices


def _local_hours(index: pd.DatetimeIndex, tz: str) -> np.ndarray:
    local = index.tz_convert(tz)
    hours: np.ndarray = np.asarray(local.hour + local.minute / 60, dtype=float)
    return hours


def _time_series(
    number: int,
    document_type: str,
    area: str,
    psr: str | None,
    direction: str,
    auction: int | None,
    curve_type: str,
    resolution: str,
    interval: tuple[pd.Timestamp, pd.Timestamp],
    values: np.ndarray,
) -> str:
    if document_type == "A44":
        value_tag = "price.amount"
        head = [
            "<auction.type>A01</auction.type>",
            "<businessType>A62</businessType>",
            f'<in_Domain.mRID codingScheme="A01">{area}</in_Domain.mRID>',
            f'<out_Domain.mRID codingScheme="A01">{area}</out_Domain.mRID>',
            "<contract_MarketAgreement.type>A01</contract_MarketAgreement.type>",
        ]
        if auction is not None:
            head.append(
                "<classificationSequence_AttributeInstanceComponent.position>"
                f"{auction}</classificationSequence_AttributeInstanceComponent.position>"
            )
        head += [
            "<currency_Unit.name>EUR</currency_Unit.name>",
            "<price_Measure_Unit.name>MWH</price_Measure_Unit.name>",
        ]
    else:
        value_tag = "quantity"
        zone = "inBiddingZone_Domain.mRID" if direction == "in" else "outBiddingZone_Domain.mRID"
        head = [
            f"<businessType>{_business_type(document_type, psr, direction)}</businessType>",
            "<objectAggregation>A08</objectAggregation>",
            f'<{zone} codingScheme="A01">{area}</{zone}>',
            "<quantity_Measure_Unit.name>MAW</quantity_Measure_Unit.name>",
        ]
    head.append(f"<curveType>{curve_type}</curveType>")
    if psr:
        head.append(f"<MktPSRType><psrType>{psr}</psrType></MktPSRType>")
    points = []
    previous = None
    for position, value in enumerate(values.tolist(), start=1):
        if curve_type == "A03" and value == previous:
            continue  # A03: an omitted position repeats the previous value
        previous = value
        points.append(
            f"      <Point>\n        <position>{position}</position>\n"
            f"        <{value_tag}>{_number(value)}</{value_tag}>\n      </Point>"
        )
    start, end = interval
    return "\n".join(
        [
            "  <TimeSeries>",
            f"    <mRID>{number}</mRID>",
            *("    " + line for line in head),
            "    <Period>",
            f"      <timeInterval><start>{_iso(start)}Z</start><end>{_iso(end)}Z</end>"
            "</timeInterval>",
            f"      <resolution>{resolution}</resolution>",
            *points,
            "    </Period>",
            "  </TimeSeries>",
        ]
    )


def _business_type(document_type: str, psr: str | None, direction: str) -> str:
    if document_type == "A69":
        return "A94" if psr == "B16" else "A93"  # solar / wind, as the platform labels them
    if document_type == "A65" or direction == "out":
        return "A04"  # consumption
    return "A01"  # production


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def _iso(moment: pd.Timestamp) -> str:
    return str(moment.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M"))


def _prefixed(text: str, namespace: str, prefix: str) -> str:
    """The same document with its namespace written as `prefix:` on every element."""
    text = text.replace(f'xmlns="{namespace}"', f'xmlns:{prefix}="{namespace}"', 1)
    return re.sub(r"<(/?)([A-Za-z_][\w.]*)", rf"<\1{prefix}:\2", text)
