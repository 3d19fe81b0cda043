"""The history store (contract 9): every document the flow parses, kept as Parquet.

Layout, below the root (a folder, or `s3://bucket/history` in the cloud):
`<type>/<zone EIC>/<YYYY-MM>/<first>_<last>_<content>.parquet`, one file per version of one
zone's rows in one UTC month of their starts; `<first>` and `<last>` are the first and the last
start in it (`20261207T2300`), so a read opens only the files of its period. The content of the
zone's rows (core/identity.py) ends the name: the same content is stored once however often it
comes, and a revision is a file of its own: every version is kept. pandas, DuckDB and Athena (a
Glue table with partition projection on the three folders: infra/history.py) read the files as
they are.

pyarrow writes and reads them: Parquet is columnar and compressed (a year of a 15-minute forecast
of one zone, a file a day, is about 2.6 MB), typed (UTC timestamps stay UTC), and every
analytics tool reads it without this package. The cloud's files go through boto3, as the kept
bodies do, so one set of credentials and endpoints serves both.
"""

from __future__ import annotations

import dataclasses
import io
import os
import uuid
from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .. import settings
from ..core import identity
from ..core.documents import COLUMNS, RESOLUTIONS, Document

TIME = pa.timestamp("ms", tz="UTC")
STAMP = "%Y%m%dT%H%M"  # the first and last start in a file's name, UTC
SCHEMA = pa.schema(
    [
        ("type", pa.string()),
        ("process", pa.string()),
        ("zone", pa.string()),
        ("direction", pa.string()),
        ("psr_type", pa.string()),
        ("business_type", pa.string()),
        ("start", TIME),
        ("end", TIME),
        ("resolution", pa.string()),
        ("quantity", pa.float64()),
        ("unit", pa.string()),
        ("mrid", pa.string()),
        ("revision", pa.int32()),
        ("created", TIME),
        ("received_at", TIME),
        ("content", pa.string()),
    ]
)
# The store's columns by the names the documents' table uses (contract 1); the rest keep theirs.
AS_DOCUMENT = {
    "type": "document_type",
    "process": "process_type",
    "zone": "area",
    "start": "timestamp",
    "quantity": "value",
}
# One value per interval of each of these series: the newest version. Newest is the document
# created last (createdDateTime), then the higher revision, then the one received last: a late
# replay of an older version does not take its place.
SERIES = ["type", "process", "zone", "direction", "psr_type", "business_type", "start"]
NEWEST_LAST = ["created", "revision", "received_at"]
VERSION_COLUMNS = [
    "type",
    "process",
    "zone",
    "content",
    "mrid",
    "revision",
    "created",
    "received_at",
]


def store() -> Store:
    """The store this process writes: $PIPELINE_HISTORY, else the local stack's data folder."""
    root = os.environ.get(settings.HISTORY_ENV)
    if not root:
        root = str(Path(os.environ.get("PIPELINE_DATA_DIR", ".local")) / "history")
    return Store(root)


@dataclasses.dataclass(frozen=True)
class Store:
    root: str  # a folder, or s3://bucket/prefix

    def append(self, document: Document, received_at: datetime) -> list[str]:
        """Keep each zone's rows of the document; the files written ([] when stored before)."""
        written = []
        contents = contents_by_zone(document)
        for zone, rows in document.frame.groupby("area", sort=False):
            content = contents[str(zone)]
            table = _table(document, rows, content, received_at)
            starts = rows["timestamp"].dt
            months = (starts.year * 100 + starts.month).to_numpy()  # 202603: March 2026
            order = np.argsort(months, kind="stable")  # each month's rows together, in order
            table, months = table.take(order), months[order]
            times = rows["timestamp"].to_numpy(dtype="datetime64[ms]")[order]  # UTC
            for month in np.unique(months):
                folder = f"{document.type}/{zone}/{month // 100}-{month % 100:02d}/"
                begin, end = np.searchsorted(months, [month, month + 1])
                if any(name.endswith(f"_{content}.parquet") for name in self._list(folder)):
                    continue
                span = times[begin:end]
                first, last = (pd.Timestamp(t).strftime(STAMP) for t in (span.min(), span.max()))
                name = f"{folder}{first}_{last}_{content}.parquet"
                self._write(name, table.slice(begin, end - begin))
                written.append(f"{self.root}/{name}")
        return written

    def read(
        self,
        document_type: str,
        zones: Sequence[str],
        start: datetime,
        end: datetime,
        process: str | None = None,
        as_of: datetime | None = None,
        exclude_content: Collection[str] = (),
        created_by: datetime | None = None,
    ) -> pd.DataFrame:
        """The newest version of each interval starting in [start, end), or the newest received
        by `as_of`, or the newest created by `created_by`: the documents' columns (contract 1)
        plus mrid, revision, created, received_at, content."""
        rows = self._rows(document_type, zones, start, end)
        keep = ~rows["content"].isin(list(exclude_content))
        if process is not None:
            keep &= rows["process"] == process
        if as_of is not None:
            keep &= rows["received_at"] <= pd.Timestamp(as_of)
        if created_by is not None:  # a version without a creation time passes
            keep &= ~(rows["created"] > pd.Timestamp(created_by))
        latest = (
            rows[keep]
            .sort_values(NEWEST_LAST, na_position="first", kind="stable")
            .drop_duplicates(SERIES, keep="last")
            .sort_values(["zone", "process", "direction", "psr_type", "start"], kind="stable")
        )
        frame = latest.rename(columns=AS_DOCUMENT).reset_index(drop=True)
        return frame[[*COLUMNS, "mrid", "revision", "created", "received_at", "content"]]

    def versions(
        self,
        document_type: str,
        zones: Sequence[str],
        start: datetime,
        end: datetime,
        received_after: datetime | None = None,
    ) -> pd.DataFrame:
        """One row per stored version with intervals in [start, end): document_type,
        process_type, area, content, mrid, revision, received_at, first and last (starts)."""
        rows = self._rows(document_type, zones, start, end)
        if received_after is not None:
            rows = rows[rows["received_at"] > pd.Timestamp(received_after)]
        grouped = rows.groupby(VERSION_COLUMNS, dropna=False, sort=False)["start"]
        versions = grouped.agg(first="min", last="max").reset_index()
        return versions.rename(columns=AS_DOCUMENT).sort_values("received_at", kind="stable")

    def _rows(
        self, document_type: str, zones: Sequence[str], start: datetime, end: datetime
    ) -> pd.DataFrame:
        """Every stored row of these zones starting in [start, end), all versions."""
        low, high = pd.Timestamp(start), pd.Timestamp(end)
        tables = [
            self._read(name)
            for zone in zones
            for month in _months(low, high)
            for name in self._list(f"{document_type}/{zone}/{month}/")
            if _overlaps(name, low, high)
        ]
        rows = pa.concat_tables(tables) if tables else SCHEMA.empty_table()
        # Text as the documents' table holds it (str, NaN where missing), and its nanoseconds.
        frame: pd.DataFrame = rows.to_pandas()
        for column in ("start", "end", "created", "received_at"):
            frame[column] = frame[column].dt.as_unit("ns")
        return frame[(frame["start"] >= low) & (frame["start"] < high)]

    # The two places a store lives: a folder, or a bucket through boto3.
    def _bucket(self) -> tuple[str, str]:
        """The bucket, and the prefix of the store's keys ("" or ending in "/")."""
        bucket, _, prefix = self.root.removeprefix("s3://").partition("/")
        return bucket, f"{prefix.strip('/')}/".lstrip("/")

    def _list(self, folder: str) -> list[str]:
        if not self.root.startswith("s3://"):
            path = Path(self.root) / folder
            return sorted(f"{folder}{p.name}" for p in path.glob("*.parquet"))
        import boto3

        bucket, prefix = self._bucket()
        pages = boto3.client("s3").get_paginator("list_objects_v2")
        found = []
        for page in pages.paginate(Bucket=bucket, Prefix=f"{prefix}{folder}"):
            found += [item["Key"].removeprefix(prefix) for item in page.get("Contents", [])]
        return sorted(name for name in found if name.endswith(".parquet"))

    def _read(self, name: str) -> pa.Table:
        if not self.root.startswith("s3://"):
            return pq.read_table(Path(self.root) / name, schema=SCHEMA)
        import boto3

        bucket, prefix = self._bucket()
        body = boto3.client("s3").get_object(Bucket=bucket, Key=f"{prefix}{name}")["Body"].read()
        return pq.read_table(io.BytesIO(body), schema=SCHEMA)

    def _write(self, name: str, table: pa.Table) -> None:
        buffer = io.BytesIO()
        pq.write_table(table, buffer, compression="zstd")
        if not self.root.startswith("s3://"):
            path = Path(self.root) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{uuid.uuid4().hex}.partial")  # readers never see half
            partial.write_bytes(buffer.getvalue())
            partial.replace(path)
            return
        import boto3

        bucket, prefix = self._bucket()
        boto3.client("s3").put_object(Bucket=bucket, Key=f"{prefix}{name}", Body=buffer.getvalue())


def contents_by_zone(document: Document) -> dict[str, str]:
    """Each zone's content identity: what names its files."""
    return {
        str(zone): identity.content(dataclasses.replace(document, frame=rows))
        for zone, rows in document.frame.groupby("area", sort=False)
    }


def _table(document: Document, rows: pd.DataFrame, content: str, received_at: datetime) -> pa.Table:
    """One zone's rows in the store's columns."""
    steps = pd.Categorical(rows["resolution"], categories=list(RESOLUTIONS))
    minutes = np.array(list(RESOLUTIONS.values()))[steps.codes]  # a refused one never gets here
    columns = {
        "type": rows["document_type"],
        "process": rows["process_type"],
        "zone": rows["area"],
        "direction": rows["direction"],
        "psr_type": rows["psr_type"],
        "business_type": rows["business_type"],
        "start": rows["timestamp"],
        "end": rows["timestamp"] + pd.to_timedelta(minutes, unit="min").to_numpy(),
        "resolution": rows["resolution"],
        "quantity": rows["value"],
        "unit": rows["unit"],
    }
    arrays = [_array(columns[field.name], field.type) for field in SCHEMA if field.name in columns]
    constants = [
        pa.scalar(document.mrid, pa.string()),
        pa.scalar(document.revision, pa.int32()),
        pa.scalar(document.created, TIME),
        pa.scalar(received_at, TIME),
        pa.scalar(content, pa.string()),
    ]
    arrays += [pa.repeat(value, len(rows)) for value in constants]
    return pa.Table.from_arrays(arrays, schema=SCHEMA)


def _array(column: pd.Series, kind: pa.DataType) -> pa.Array:
    return pa.array(column, kind, from_pandas=True)  # a missing label (NaN) is null


def _overlaps(name: str, low: pd.Timestamp, high: pd.Timestamp) -> bool:
    """Whether the file's starts, as its name gives them, reach into [low, high); a file the
    store did not name (one copied in by hand) is not its."""
    try:
        first, last = (
            pd.to_datetime(stamp, format=STAMP, utc=True)
            for stamp in name.rsplit("/", 1)[-1].split("_")[:2]
        )
    except ValueError:
        return False
    return bool(last >= low and first < high)


def _months(low: pd.Timestamp, high: pd.Timestamp) -> Iterator[str]:
    """The UTC months of [low, high), as the folders name them."""
    month = low.tz_convert("UTC").tz_localize(None).to_period("M")
    last = (high - pd.Timedelta(1, "ms")).tz_convert("UTC").tz_localize(None).to_period("M")
    while month <= last:
        yield str(month)
        month += 1


def write_csv(rows: pd.DataFrame, out: TextIO) -> None:
    """What `read` returned, in the store's columns: header first, times as UTC `...Z`."""
    frame = rows.rename(columns={v: k for k, v in AS_DOCUMENT.items()})
    frame["end"] = frame["start"] + pd.to_timedelta(
        frame["resolution"].map(RESOLUTIONS).astype("int64"), unit="min"
    )
    for column in ("start", "end", "created", "received_at"):
        frame[column] = frame[column].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    frame["revision"] = frame["revision"].astype("Int32")
    frame[SCHEMA.names].to_csv(out, index=False, lineterminator="\n")
