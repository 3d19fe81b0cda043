"""Push-to-mailbox latency of the local stack of a rendered project.

    python benchmarks/local_latency.py RENDERED_PROJECT

Starts `python -m <package> local`, sends twenty different documents one after another as SOAP
pushes, and times each from the POST to its .eml in the outbox. Prints p50 and p95, and where the
time goes, from the Prefect API: event -> flow run created (trigger and automation), created ->
started (pick-up by the served deployment), started -> ended (the flow itself). The first push
is timed apart: it pays for the imports of the first run. Targets: p50 <= 1 s, p95 <= 3 s, and
the flow itself (started -> ended) <= 0.5 s median.

Then pushes of about 4 kB, 200 kB, 2 MB and 4 MB, five different documents of each size: p50 and
p95 of POST -> answer and of POST -> mail. Targets up to 2 MB: the answer within 100 ms (p95),
the mail within 3 s (p50).

Last, a burst of 40 different documents posted at once (as ENTSO-E sends a day's zones): the time
until every one is answered and until every newsletter is mailed, as a ratio to the one-at-a-time
p50 above. Target: <= 20 (one after another would be about 40).
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml

PUSHES = 20
TARGET_P50, TARGET_P95, TARGET_FLOW = 1.0, 3.0, 0.5
SIZES, PUSHES_PER_SIZE = (4_000, 200_000, 2_000_000, 4_000_000), 5
TARGETS_UP_TO, TARGET_ANSWER_P95, TARGET_MAIL_P50 = 2_000_000, 0.1, 3.0
BURST, TARGET_BURST_RATIO = 40, 20.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main(project: Path) -> int:
    package = yaml.safe_load((project / ".copier-answers.yml").read_text())["package_name"]
    sys.path.insert(0, str(project / "src"))
    samples = __import__("sample_documents", fromlist=["generate"])
    settings = __import__(f"{package}.settings", fromlist=["DOCUMENT_TYPES"])
    data = Path(tempfile.mkdtemp(prefix="latency-"))
    ports = {name: free_port() for name in ("RECEIVER", "SMTP", "PREFECT")}
    env = {
        **os.environ,
        "PYTHONPATH": str(project / "src"),
        "PIPELINE_DATA_DIR": str(data),
        **{f"PIPELINE_{name}_PORT": str(port) for name, port in ports.items()},
    }
    stack = subprocess.Popen(
        [sys.executable, "-m", package, "local"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    ready = threading.Event()

    def watch() -> None:
        assert stack.stdout is not None
        for line in stack.stdout:
            if line.startswith("ready"):
                ready.set()

    threading.Thread(target=watch, daemon=True).start()
    try:
        if not ready.wait(180):
            raise SystemExit("the local stack did not become ready")
        url = f"http://127.0.0.1:{ports['RECEIVER']}/entsoe"
        outbox = data / "outbox"
        kind, area = settings.DOCUMENT_TYPES[0], settings.BIDDING_ZONES[0]

        def push(body: bytes) -> tuple[float, float]:
            """Seconds from the POST to its answer and to its first mail in the outbox."""
            before = len(list(outbox.glob("*.eml")))
            start = time.perf_counter()
            httpx.post(url, content=body, timeout=60).raise_for_status()
            answered = time.perf_counter() - start
            while len(list(outbox.glob("*.eml"))) == before:
                time.sleep(0.02)
            return answered, time.perf_counter() - start

        timings, posted, mailed = [], [], []
        for seed in range(PUSHES + 1):
            body = samples.soap_envelope(samples.generate(kind, area=area, seed=seed))
            posted.append(datetime.now(UTC))
            timings.append(push(body)[1])
            mailed.append(datetime.now(UTC))
        phases = run_phases(f"http://127.0.0.1:{ports['PREFECT']}/api", posted[1:], mailed[1:])
        by_size: dict[int, list[tuple[float, float]]] = {}
        for size in SIZES:
            bodies = [push_of_size(samples, area, size, seed) for seed in range(PUSHES_PER_SIZE)]
            by_size[len(bodies[0])] = [push(body) for body in bodies]
        recipients = len(settings.RECIPIENTS)
        bodies = [
            samples.soap_envelope(samples.generate(kind, area=area, seed=5000 + n))
            for n in range(BURST)
        ]
        before = len(list(outbox.glob("*.eml")))
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=BURST) as pool:
            for answer in pool.map(lambda b: httpx.post(url, content=b, timeout=120), bodies):
                answer.raise_for_status()
        burst_answered = time.perf_counter() - start
        while len(list(outbox.glob("*.eml"))) < before + BURST * recipients:
            time.sleep(0.05)
        burst_mailed = time.perf_counter() - start
    finally:
        stack.send_signal(signal.SIGTERM)
        stack.wait(timeout=60)
    first, warm = timings[0], sorted(timings[1:])
    p50 = statistics.median(warm)
    p95 = percentile(warm, 0.95)
    print(f"first push (cold imports): {first:.2f} s")
    print(f"{len(warm)} pushes: p50 {p50:.2f} s (target <= {TARGET_P50}), ", end="")
    print(f"p95 {p95:.2f} s (target <= {TARGET_P95}), max {warm[-1]:.2f} s")
    for phase, seconds in phases.items():
        print(f"  {phase}: median {seconds:.2f} s")
    flow = phases["started -> ended (the flow: parse, summary, chart, mail)"]
    print(f"  the flow's own part: {flow:.2f} s (target <= {TARGET_FLOW})")
    ok = p50 <= TARGET_P50 and p95 <= TARGET_P95 and flow <= TARGET_FLOW
    for size, times in by_size.items():
        answers, mails = sorted(t[0] for t in times), sorted(t[1] for t in times)
        answer_p50, answer_p95 = statistics.median(answers), percentile(answers, 0.95)
        mail_p50, mail_p95 = statistics.median(mails), percentile(mails, 0.95)
        line = (
            f"{size / 1e6:6.3f} MB x {len(times)}: answer p50 {answer_p50 * 1e3:4.0f} ms p95 "
            f"{answer_p95 * 1e3:4.0f} ms, mail p50 {mail_p50:5.2f} s p95 {mail_p95:5.2f} s"
        )
        if size <= TARGETS_UP_TO:
            met = answer_p95 <= TARGET_ANSWER_P95 and mail_p50 <= TARGET_MAIL_P50
            ok &= met
            line += f" (targets answer p95 <= {TARGET_ANSWER_P95 * 1e3:.0f} ms, mail p50 <= "
            line += f"{TARGET_MAIL_P50} s: {'met' if met else 'MISSED'})"
        print(line)
    ratio = burst_mailed / p50
    ok &= ratio <= TARGET_BURST_RATIO
    print(
        f"burst of {BURST}: all answered in {burst_answered:.2f} s, all mailed in "
        f"{burst_mailed:.1f} s ({burst_mailed / BURST:.2f} s a document): {ratio:.1f} x one push "
        f"alone (target <= {TARGET_BURST_RATIO:.0f}; one after another: about {BURST})"
    )
    return 0 if ok else 1


def percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def push_of_size(samples: Any, area: str, size: int, seed: int) -> bytes:
    """A SOAP push of an A69 document of about `size` bytes: one hourly type for the smallest,
    else three quarter-hourly types over as many days as it takes."""
    if size < 10_000:
        document = samples.generate(
            "A69", area=area, seed=seed, resolution="PT60M", psr_types=["B16"]
        )
        return bytes(samples.soap_envelope(document))
    days = 1
    while True:
        body = bytes(
            samples.soap_envelope(samples.generate("A69", area=area, seed=seed, days=days))
        )
        if len(body) >= size * 0.9 or len(body) * 2 > 4_400_000:
            return body
        days = max(days + 1, round(days * size / len(body)))


def run_phases(api: str, posted: list[datetime], mailed: list[datetime]) -> dict[str, float]:
    """Median time of each phase of the warm pushes, from the flow runs' own timestamps."""
    body = {"sort": "EXPECTED_START_TIME_ASC", "limit": 200}
    for _ in range(300):  # a run mails before it is marked ended: wait for the last one's end
        runs = httpx.post(f"{api}/flow_runs/filter", json=body, timeout=30).json()[1:]
        if all(run["end_time"] for run in runs):
            break
        time.sleep(0.1)
    spans: dict[str, list[float]] = {
        "POST -> flow run created (receiver, event, trigger, automation)": [],
        "created -> started (pick-up by the served deployment)": [],
        "started -> ended (the flow: parse, summary, chart, mail)": [],
        "ended -> .eml seen": [],
    }
    for run, post, mail in zip(runs, posted, mailed, strict=False):
        times = [post] + [
            datetime.fromisoformat(run[k]) for k in ("created", "start_time", "end_time")
        ]
        times.append(mail)
        for name, (begin, end) in zip(spans, itertools.pairwise(times), strict=True):
            spans[name].append((end - begin).total_seconds())
    return {name: statistics.median(values) for name, values in spans.items() if values}


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
