"""What the receiver must know of a document before it answers: its type, its zones, and
whether it is an acknowledgement, read with lxml alone.

No pandas here: the Lambda package of the receiver holds this module and what it imports, so it
stays a few megabytes. Reading the values is the flow's work (documents.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from .errors import BadInput
from .safe_xml import stream_xml

# The elements that name a series' bidding zone, in either direction (documents.py reads them too).
IN_ZONES = ("inBiddingZone_Domain.mRID", "in_Domain.mRID")
OUT_ZONES = ("outBiddingZone_Domain.mRID", "out_Domain.mRID")
ZONE_ELEMENTS = tuple("{*}" + name for name in IN_ZONES + OUT_ZONES)
ACKNOWLEDGEMENT = "Acknowledgement_MarketDocument"


@dataclass(frozen=True)
class Glance:
    type: str | None  # None for an acknowledgement
    zones: frozenset[str]
    acknowledgement: str | None  # the platform's reason, when it sent no data


def glance(document: bytes) -> Glance:
    """BadInput when the document is malformed, hostile or not an ENTSO-E document.

    Streamed one TimeSeries at a time, as documents.parse does: memory stays flat even for a
    compressed payload that inflates to tens of megabytes. The values are not read.
    """
    zones: set[str] = set()
    header: tuple[str | None, str | None] | None = None
    for element in stream_xml(document, "TimeSeries"):
        parent = element.getparent()
        if parent is None:  # the root comes last
            code, acknowledgement = header or _header(element)
            return Glance(code, frozenset(zones), acknowledgement)
        if header is None:  # read before the stream drops what precedes the first series
            header = _header(parent)
        for name in ZONE_ELEMENTS:
            zone = element.findtext(name)
            if zone:
                zones.add(zone.strip())
    raise AssertionError("stream_xml always ends with the root")  # pragma: no cover


def _header(root: etree._Element) -> tuple[str | None, str | None]:
    """(type, acknowledgement reason) of the document element."""
    name = etree.QName(root).localname
    if root.getparent() is not None or not name.endswith("_MarketDocument"):
        outermost = etree.QName(root.getroottree().getroot()).localname
        raise BadInput(f"unknown root element {outermost}: not an ENTSO-E document")
    if name == ACKNOWLEDGEMENT:
        return None, acknowledgement_reason(root)
    code = (root.findtext("{*}type") or "").strip()
    if not code:
        raise BadInput("the document has no type")
    return code, None


def acknowledgement_reason(root: etree._Element) -> str:
    reasons = [
        (reason.findtext("{*}text") or "").strip() or (reason.findtext("{*}code") or "").strip()
        for reason in root.iterfind("{*}Reason")
    ]
    return "; ".join(r for r in reasons if r) or "no reason given"
