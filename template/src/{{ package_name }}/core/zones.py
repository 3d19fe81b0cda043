"""The bidding zones of the European market: EIC code -> short name, name and time zone.

The table is the market's zones as entsoe-py names them (a template test checks it against
entsoe-py); an area it lacks (a control area, a country) is looked up in entsoe-py, and failing
that is shown by its EIC code in UTC.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple, cast, overload

import pandas as pd

from .errors import BadInput


class Zone(NamedTuple):
    short: str  # as the newsletter shows it: DE-LU, SE-3
    name: str
    timezone: str  # IANA


ZONES: dict[str, Zone] = {
    "10YAL-KESH-----5": Zone("AL", "Albania", "Europe/Tirane"),
    "10YAT-APG------L": Zone("AT", "Austria", "Europe/Vienna"),
    "10YBA-JPCC-----D": Zone("BA", "Bosnia and Herzegovina", "Europe/Sarajevo"),
    "10YBE----------2": Zone("BE", "Belgium", "Europe/Brussels"),
    "10YCA-BULGARIA-R": Zone("BG", "Bulgaria", "Europe/Sofia"),
    "10YCH-SWISSGRIDZ": Zone("CH", "Switzerland", "Europe/Zurich"),
    "10YCY-1001A0003J": Zone("CY", "Cyprus", "Asia/Nicosia"),
    "10YCZ-CEPS-----N": Zone("CZ", "Czechia", "Europe/Prague"),
    "10Y1001A1001A82H": Zone("DE-LU", "Germany-Luxembourg", "Europe/Berlin"),
    "10YDK-1--------W": Zone("DK-1", "Denmark West", "Europe/Copenhagen"),
    "10YDK-2--------M": Zone("DK-2", "Denmark East", "Europe/Copenhagen"),
    "10Y1001A1001A39I": Zone("EE", "Estonia", "Europe/Tallinn"),
    "10YES-REE------0": Zone("ES", "Spain", "Europe/Madrid"),
    "10YFI-1--------U": Zone("FI", "Finland", "Europe/Helsinki"),
    "10YFR-RTE------C": Zone("FR", "France", "Europe/Paris"),
    "10YGR-HTSO-----Y": Zone("GR", "Greece", "Europe/Athens"),
    "10YHR-HEP------M": Zone("HR", "Croatia", "Europe/Zagreb"),
    "10YHU-MAVIR----U": Zone("HU", "Hungary", "Europe/Budapest"),
    "10Y1001A1001A59C": Zone("IE-SEM", "Ireland and Northern Ireland", "Europe/Dublin"),
    "10Y1001A1001A73I": Zone("IT-NORD", "Italy North", "Europe/Rome"),
    "10Y1001A1001A70O": Zone("IT-CNOR", "Italy Centre-North", "Europe/Rome"),
    "10Y1001A1001A71M": Zone("IT-CSUD", "Italy Centre-South", "Europe/Rome"),
    "10Y1001A1001A788": Zone("IT-SUD", "Italy South", "Europe/Rome"),
    "10Y1001C--00096J": Zone("IT-CALA", "Italy Calabria", "Europe/Rome"),
    "10Y1001A1001A75E": Zone("IT-SICI", "Italy Sicily", "Europe/Rome"),
    "10Y1001A1001A74G": Zone("IT-SARD", "Italy Sardinia", "Europe/Rome"),
    "10YLT-1001A0008Q": Zone("LT", "Lithuania", "Europe/Vilnius"),
    "10YLV-1001A00074": Zone("LV", "Latvia", "Europe/Riga"),
    "10Y1001A1001A990": Zone("MD", "Moldova", "Europe/Chisinau"),
    "10YCS-CG-TSO---S": Zone("ME", "Montenegro", "Europe/Podgorica"),
    "10YMK-MEPSO----8": Zone("MK", "North Macedonia", "Europe/Skopje"),
    "10YNL----------L": Zone("NL", "Netherlands", "Europe/Amsterdam"),
    "10YNO-1--------2": Zone("NO-1", "Norway Oslo", "Europe/Oslo"),
    "10YNO-2--------T": Zone("NO-2", "Norway Kristiansand", "Europe/Oslo"),
    "10YNO-3--------J": Zone("NO-3", "Norway Trondheim", "Europe/Oslo"),
    "10YNO-4--------9": Zone("NO-4", "Norway Tromso", "Europe/Oslo"),
    "10Y1001A1001A48H": Zone("NO-5", "Norway Bergen", "Europe/Oslo"),
    "10YPL-AREA-----S": Zone("PL", "Poland", "Europe/Warsaw"),
    "10YPT-REN------W": Zone("PT", "Portugal", "Europe/Lisbon"),
    "10YRO-TEL------P": Zone("RO", "Romania", "Europe/Bucharest"),
    "10YCS-SERBIATSOV": Zone("RS", "Serbia", "Europe/Belgrade"),
    "10Y1001A1001A44P": Zone("SE-1", "Sweden Lulea", "Europe/Stockholm"),
    "10Y1001A1001A45N": Zone("SE-2", "Sweden Sundsvall", "Europe/Stockholm"),
    "10Y1001A1001A46L": Zone("SE-3", "Sweden Stockholm", "Europe/Stockholm"),
    "10Y1001A1001A47J": Zone("SE-4", "Sweden Malmo", "Europe/Stockholm"),
    "10YSI-ELES-----O": Zone("SI", "Slovenia", "Europe/Ljubljana"),
    "10YSK-SEPS-----K": Zone("SK", "Slovakia", "Europe/Bratislava"),
    "10Y1001C--00003F": Zone("UA", "Ukraine", "Europe/Kiev"),
    "10Y1001C--00100H": Zone("XK", "Kosovo", "Europe/Rome"),
}


@functools.cache
def zone(area: str) -> Zone:
    """The area's entry: from the table, else from entsoe-py, else its EIC code in UTC."""
    if area in ZONES:
        return ZONES[area]
    from entsoe.mappings import lookup_area  # imported here: entsoe pulls in requests and bs4

    try:
        found = lookup_area(area)
    except ValueError:
        return Zone(area, area, "UTC")
    return Zone(found.name.replace("_", "-"), found.meaning, str(found.tz))


def eic(name: str) -> str:
    """The EIC code of a zone given by its short name (FI, de-lu) or its EIC code."""
    wanted = name.strip().upper()
    for code, entry in ZONES.items():
        if wanted in (code, entry.short.upper()):
            return code
    if re.fullmatch(r"\d{2}[A-Z0-9-]{13}[A-Z0-9]", wanted):  # an area the table lacks
        return wanted
    known = ", ".join(sorted(entry.short for entry in ZONES.values())[:6])
    raise BadInput(f"unknown zone {name!r}: give a short name ({known}, ...) or an EIC code")


def area_timezone(area: str) -> str:
    """The bidding zone's time zone (IANA name); UTC for an area nobody knows."""
    return zone(area).timezone


def area_name(area: str) -> str:
    """Short name of a bidding zone (DE-LU, SE-3); the EIC code itself for an unknown area."""
    return zone(area).short


@overload
def local_time(times: pd.DatetimeIndex, area: str) -> pd.DatetimeIndex: ...
@overload
def local_time(times: pd.DataFrame | pd.Series, area: str) -> pd.Series: ...
def local_time(
    times: pd.DataFrame | pd.Series | pd.DatetimeIndex, area: str
) -> pd.Series | pd.DatetimeIndex:
    """UTC timestamps (a frame's `timestamp` column, a Series or an index) in the zone's time.

    A daylight-saving day then has 23 or 25 hours, as the newsletter's readers live it.
    """
    tz = area_timezone(area)
    if isinstance(times, pd.DatetimeIndex):
        return times.tz_convert(tz)
    series = times["timestamp"] if isinstance(times, pd.DataFrame) else times
    return cast(pd.Series, series.dt.tz_convert(tz))
