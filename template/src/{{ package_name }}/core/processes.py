"""ENTSO-E process types, in the words a newsletter uses: the one table of them.

A document's processType says which run of a forecast it is (day-ahead, intraday, ...) or that it
is measured (realised). Day-ahead (A01), intraday (A40) and current (A18) wind and solar forecasts
are three different documents; their subjects must tell them apart.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Process:
    code: str
    name: str  # as it reads before the topic: "day-ahead", "actual"
    forecast: bool


PROCESSES: dict[str, Process] = {
    process.code: process
    for process in (
        Process("A01", "day-ahead", forecast=True),
        Process("A02", "intraday incremental", forecast=True),
        Process("A16", "actual", forecast=False),  # ENTSO-E: "Realised"
        Process("A18", "current", forecast=True),  # ENTSO-E: "Intraday total"
        Process("A31", "week-ahead", forecast=True),
        Process("A32", "month-ahead", forecast=True),
        Process("A33", "year-ahead", forecast=True),
        Process("A40", "intraday", forecast=True),
    )
}


def title(topic: str, process_type: str | None, fallback: str) -> str:
    """ "Day-ahead wind and solar forecast", "Actual total load"; `fallback` when the document
    names no process (day-ahead prices); an unknown code is shown as it came."""
    if not process_type:
        return fallback
    process = PROCESSES.get(process_type)
    if process is None:
        return f"{fallback} (process {process_type})"
    words = f"{process.name} {topic}{' forecast' if process.forecast else ''}"
    return words[0].upper() + words[1:]
