"""Parsing speed and memory of a rendered project, against entsoe-py and a bare lxml parse.

    python benchmarks/parse.py RENDERED_PROJECT

The document: one year of A69 day-ahead wind and solar forecast for DE-LU (10Y1001A1001A82H),
PT15M, solar + wind onshore + wind offshore, as sample_documents.generate writes it (~105,000
points, ~10 MB). Measured in one run: our parse (push.extract + documents.parse), entsoe-py's
parse_generation on the same bytes, and lxml.etree.fromstring of the same bytes; the `parse`
command as a whole process (imports and CSV included) against entsoe-py doing the same in a
process of its own; then the peak memory of a fresh process that runs our parse. Targets: at
least 20x faster than entsoe-py (in-process and as a whole process), at most 3x a bare lxml
parse, peak memory under 150 MB. Exit 1 when our values differ from entsoe-py's.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from entsoe import parsers
from entsoe.mappings import PSRTYPE_MAPPINGS
from lxml import etree

AREA = "10Y1001A1001A82H"
PSR_TYPES = ("B16", "B19", "B18")
REPEATS = 7  # best of: ours and bare lxml
REPEATS_WHOLE = 3  # best of: the `parse` command as a process
WHOLE_ORACLE = (
    "import sys; from entsoe import parsers; "
    "parsers.parse_generation(open(sys.argv[1]).read(), nett=False).to_csv(sys.stdout)"
)
ORACLE_REPEATS = 1  # entsoe-py takes tens of seconds per run
TARGET_SPEEDUP, TARGET_LXML_RATIO, TARGET_PEAK_MB = 20, 3, 150

# Run in a fresh interpreter: its peak resident memory (VmHWM) before and after one parse.
# Not ru_maxrss: Linux carries that over from the parent process across fork and exec.
MEMORY_PROBE = """
import json, re, sys
def peak_kb():
    with open("/proc/self/status") as status:
        return int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1))
sys.path.insert(0, sys.argv[1])
push = __import__(sys.argv[2] + ".core.push", fromlist=["extract"])
documents = __import__(sys.argv[2] + ".core.documents", fromlist=["parse"])
data = open(sys.argv[3], "rb").read()
before = peak_kb()
frame = documents.parse(push.extract(data).document).frame
print(json.dumps({"before_kb": before, "peak_kb": peak_kb(), "rows": len(frame)}))
"""


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python benchmarks/parse.py RENDERED_PROJECT", file=sys.stderr)
        return 2
    src = Path(argv[1]).resolve() / "src"
    found = (p.name for p in src.glob("*") if (p / "core" / "documents.py").is_file())
    package = next(found, None)
    if package is None:
        print(f"error: no package with core/documents.py under {src}", file=sys.stderr)
        return 2
    sys.path.insert(0, str(src))
    push = importlib.import_module(f"{package}.core.push")
    documents = importlib.import_module(f"{package}.core.documents")
    samples = importlib.import_module("sample_documents")

    data = samples.generate(
        "A69", AREA, "2024-01-01", days=366, resolution="PT15M", psr_types=PSR_TYPES, seed=1
    )
    points = data.count(b"<Point>")
    print(
        f"document: A69 DE-LU 2024, PT15M, {len(PSR_TYPES)} psrTypes: "
        f"{points:,} points, {len(data) / 1e6:.1f} MB"
    )

    def ours() -> pd.DataFrame:
        return documents.parse(push.extract(data).document).frame

    def oracle() -> Any:
        return parsers.parse_generation(data.decode(), nett=False)

    def bare() -> Any:
        return etree.fromstring(data)

    ours(), bare()  # warm up: imports, caches
    # Interleaved, so that a noisy neighbour slows both alike.
    times: dict[str, list[float]] = {"ours": [], "bare": []}
    for _ in range(REPEATS):
        times["ours"].append(timed(ours)[0])
        times["bare"].append(timed(bare)[0])
    oracle_time, expected = min((timed(oracle) for _ in range(ORACLE_REPEATS)), key=lambda r: r[0])
    ours_time, bare_time = min(times["ours"]), min(times["bare"])

    print(f"ours (push.extract + documents.parse): {ours_time:.3f} s (best of {REPEATS})")
    print(f"entsoe-py parse_generation: {oracle_time:.3f} s (best of {ORACLE_REPEATS})")
    print(f"lxml.etree.fromstring: {bare_time:.3f} s (best of {REPEATS})")
    speedup, lxml_ratio = oracle_time / ours_time, ours_time / bare_time
    print(
        f"speed-up over entsoe-py: {speedup:.0f}x "
        f"(target >= {TARGET_SPEEDUP}x: {verdict(speedup >= TARGET_SPEEDUP)})"
    )
    print(
        f"ours / bare lxml: {lxml_ratio:.2f}x "
        f"(target <= {TARGET_LXML_RATIO}x: {verdict(lxml_ratio <= TARGET_LXML_RATIO)})"
    )

    command, oracle_command = whole_process(src, package, data)
    whole = oracle_command / command
    print(
        f"`parse` as a whole process: {command:.2f} s (best of {REPEATS_WHOLE}); entsoe-py parsing "
        f"and writing CSV in a process of its own: {oracle_command:.2f} s; {whole:.1f}x "
        f"(target >= {TARGET_SPEEDUP}x: {verdict(whole >= TARGET_SPEEDUP)})"
    )

    peak, growth = peak_memory(src, package, data)
    print(
        f"peak memory of our parse: {peak:.0f} MB RSS, {growth:.0f} MB above the same process "
        f"before parsing (target < {TARGET_PEAK_MB} MB: {verdict(peak < TARGET_PEAK_MB)})"
    )

    differences = compare(ours(), expected)
    if differences:
        print(f"values identical to entsoe-py: no ({differences})")
        return 1
    print(f"values identical to entsoe-py: yes ({points:,} values)")
    return 0


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    started = time.perf_counter()
    result = run()
    return time.perf_counter() - started, result


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def whole_process(src: Path, package: str, data: bytes) -> tuple[float, float]:
    """Wall time of `python -m <package> parse FILE > /dev/null`, and of entsoe-py doing it."""
    with tempfile.NamedTemporaryFile(suffix=".xml") as file:
        file.write(data)
        file.flush()

        def run(*command: str) -> float:
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, *command, file.name],
                env={**os.environ, "PYTHONPATH": str(src)},
                stdout=subprocess.DEVNULL,
                check=True,
            )
            return time.perf_counter() - started

        ours = min(run("-m", package, "parse") for _ in range(REPEATS_WHOLE))
        return ours, run("-c", WHOLE_ORACLE)


def peak_memory(src: Path, package: str, data: bytes) -> tuple[float, float]:
    with tempfile.NamedTemporaryFile(suffix=".xml") as file:
        file.write(data)
        file.flush()
        probe = subprocess.run(
            [sys.executable, "-c", MEMORY_PROBE, str(src), package, file.name],
            capture_output=True,
            text=True,
            check=True,
        )
    measured = json.loads(probe.stdout)
    return measured["peak_kb"] / 1024, (measured["peak_kb"] - measured["before_kb"]) / 1024


def compare(frame: pd.DataFrame, expected: pd.DataFrame) -> str:
    """'' when our table holds exactly entsoe-py's values, else what differs.

    With every series production (inBiddingZone), parse_generation names columns by psrType.
    """
    ours = frame.pivot(index="timestamp", columns="psr_type", values="value")
    ours = ours.rename(columns=PSRTYPE_MAPPINGS).sort_index(axis=1)
    expected = expected.sort_index(axis=1)
    if list(ours.columns) != list(expected.columns):
        return f"columns {list(ours.columns)} != {list(expected.columns)}"
    if not ours.index.equals(pd.DatetimeIndex(expected.index).tz_convert("UTC")):
        return "timestamps differ"
    if not np.array_equal(ours.to_numpy(), expected.to_numpy(dtype=float), equal_nan=True):
        return "values differ"
    return ""


if __name__ == "__main__":
    sys.exit(main(sys.argv))
