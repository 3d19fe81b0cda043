"""What makes two documents the same newsletter: their content, never their mRID.

The REST API gives every answer a new mRID, and a push and a pull of one forecast carry different
ones; so a document is known by what it is about (`subject`: type, process, zones, period,
production types) and by what it says (`content`: every value). Same subject and content: mailed
once. Same subject, other content: a revised forecast, mailed again and marked so.
"""

from __future__ import annotations

import hashlib

import pandas as pd

from .documents import Document

SUBJECT_COLUMNS = ("document_type", "process_type", "area", "direction", "psr_type")


def subject(document: Document) -> str:
    """Type, process type, zones and directions, production types, and the period covered."""
    frame = document.frame
    labels = frame[list(SUBJECT_COLUMNS)].astype(object).where(frame[list(SUBJECT_COLUMNS)].notna())
    parts = sorted({"|".join(str(v) for v in row) for row in labels.itertuples(index=False)})
    period = f"{frame['timestamp'].min().isoformat()}/{frame['timestamp'].max().isoformat()}"
    return _digest("\n".join([document.type or "", period, *parts]))


def content(document: Document) -> str:
    """Every row's labels, interval and value, in a fixed order: the same table, the same hash."""
    frame = document.frame.sort_values([*SUBJECT_COLUMNS, "timestamp"], na_position="first")
    hashed = pd.util.hash_pandas_object(frame.reset_index(drop=True), index=False)
    return _digest(hashed.to_numpy().tobytes())


def _digest(data: str | bytes) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()[:32]
