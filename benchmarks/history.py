"""The history store (contract 9) of a rendered project, against pandas writing the same frame.

    python benchmarks/history.py RENDERED_PROJECT

The data: one year (2024, 366 days) of A69 day-ahead wind and solar forecast for DE-LU, PT15M,
solar + wind onshore + wind offshore: 105,408 points, as sample_documents.generate writes it.
Measured in one run, best of REPEATS, each into a fresh folder:
- appending the year as one document to the store, against `DataFrame.to_parquet` of the same
  frame (the floor: one file, no splitting, no identity);
- reading June back (`Store.read`, latest version of each interval), against `pd.read_parquet`
  of that one file filtered to June; and June from the daily files below;
- the year as it really comes, 366 daily documents appended one by one: time per append, and
  the size on disk of a year of one type and zone, against the one-file floor.
Targets: appending at most 5x to_parquet (the store also sorts and hashes the rows for their
content identity, about half its time, and writes a file per month), reading a month at most 3x
read_parquet, the daily year's files at most 5x the one file's bytes. Exit 1 when a read returns
other values.
"""

from __future__ import annotations

import dataclasses
import gc
import importlib
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

AREA = "10Y1001A1001A82H"
PSR_TYPES = ("B16", "B19", "B18")
REPEATS = 5
TARGET_APPEND, TARGET_READ, TARGET_SIZE = 5, 3, 5
JUNE = (pd.Timestamp("2024-06-01", tz="UTC"), pd.Timestamp("2024-07-01", tz="UTC"))


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python benchmarks/history.py RENDERED_PROJECT", file=sys.stderr)
        return 2
    src = Path(argv[1]).resolve() / "src"
    package = next((p.name for p in src.glob("*") if (p / "adapters" / "history.py").is_file()), "")
    if not package:
        print(f"error: no package with adapters/history.py under {src}", file=sys.stderr)
        return 2
    sys.path.insert(0, str(src))
    documents = importlib.import_module(f"{package}.core.documents")
    history = importlib.import_module(f"{package}.adapters.history")
    samples = importlib.import_module("sample_documents")

    year = documents.parse(
        samples.generate("A69", AREA, "2024-01-01", days=366, psr_types=PSR_TYPES, seed=1)
    )
    frame = year.frame
    received = datetime(2023, 12, 31, 18, tzinfo=UTC)
    print(f"one year of A69 for DE-LU: {len(frame):,} points")

    with tempfile.TemporaryDirectory() as scratch:
        folders = iter(Path(scratch, str(n)) for n in range(1000))
        baseline_file = Path(scratch, "frame.parquet")
        write_baseline = best(lambda: frame.to_parquet(baseline_file))
        stores = []

        def append() -> None:
            stores.append(history.Store(str(next(folders))))
            stores[-1].append(year, received)

        append_time = best(append)
        store = stores[-1]
        read_time = best(lambda: store.read("A69", [AREA], *JUNE))
        baseline_read = best(
            lambda: pd.read_parquet(
                baseline_file, filters=[("timestamp", ">=", JUNE[0]), ("timestamp", "<", JUNE[1])]
            )
        )
        june = store.read("A69", [AREA], *JUNE)
        expected = frame[(frame["timestamp"] >= JUNE[0]) & (frame["timestamp"] < JUNE[1])]

        daily = history.Store(str(next(folders)))
        days = [
            dataclasses.replace(year, frame=part)
            for _, part in frame.groupby(frame["timestamp"].dt.tz_convert("Europe/Berlin").dt.date)
        ]
        started = time.perf_counter()
        for day in days:
            daily.append(day, received)
        per_day = (time.perf_counter() - started) / len(days)
        daily_read = best(lambda: daily.read("A69", [AREA], *JUNE))
        june_daily = daily.read("A69", [AREA], *JUNE)
        one_file = baseline_file.stat().st_size
        year_files = list(Path(daily.root).rglob("*.parquet"))
        on_disk = sum(p.stat().st_size for p in year_files)
        whole_year = sum(p.stat().st_size for p in Path(store.root).rglob("*.parquet"))

    append_ratio, read_ratio, size_ratio = (
        append_time / write_baseline,
        read_time / baseline_read,
        on_disk / one_file,
    )
    print(f"DataFrame.to_parquet of the year: {write_baseline * 1000:.0f} ms (best of {REPEATS})")
    print(
        f"Store.append of the year: {append_time * 1000:.0f} ms, {append_ratio:.1f}x to_parquet "
        f"(target <= {TARGET_APPEND}x: {verdict(append_ratio <= TARGET_APPEND)})"
    )
    print(f"pd.read_parquet of June, filtered: {baseline_read * 1000:.1f} ms")
    print(
        f"Store.read of June: {read_time * 1000:.1f} ms, {read_ratio:.1f}x read_parquet "
        f"(target <= {TARGET_READ}x: {verdict(read_ratio <= TARGET_READ)})"
    )
    print(f"366 daily documents appended one by one: {per_day * 1000:.1f} ms per append")
    print(
        f"Store.read of June from its 30 daily files: {daily_read * 1000:.1f} ms, "
        f"{daily_read / baseline_read:.1f}x read_parquet"
    )
    print(
        f"on disk, a year of one type and zone: {on_disk / 1e6:.2f} MB in {len(year_files)} "
        f"daily files; {whole_year / 1e6:.2f} MB appended as one document; the one file of "
        f"to_parquet: {one_file / 1e6:.2f} MB; daily files {size_ratio:.1f}x it "
        f"(target <= {TARGET_SIZE}x: {verdict(size_ratio <= TARGET_SIZE)})"
    )
    in_order = expected.sort_values(["psr_type", "timestamp"])
    same = june["value"].tolist() == in_order["value"].tolist()
    same &= june_daily["value"].tolist() == in_order["value"].tolist()
    print(f"June read back identical to the document: {'yes' if same else 'NO'} ({len(june):,})")
    return 0 if same else 1


def best(run: Callable[[], Any]) -> float:
    times = []
    for _ in range(REPEATS):
        gc.collect()
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


if __name__ == "__main__":
    sys.exit(main(sys.argv))
