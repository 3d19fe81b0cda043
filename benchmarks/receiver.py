"""What the receiver does before it answers, and what a cold start of its Lambda pays.

    python benchmarks/receiver.py RENDERED_PROJECT

For pushes of about 5 kB, 100 kB, 1 MB and 4 MB (A69 SOAP envelopes, under the 4,425,000-byte
body limit), times `receiving.receive` with an in-memory store and a forward that does nothing
(the envelope, the look at type and zones, the answer) against lxml.etree.fromstring of the same
body, the least any receiver that checks the XML must do; push.extract + documents.parse (what
the flow does) is shown beside them. Then, in fresh interpreters, the import of the receiving
core against the import of the flow's parser (pandas), the part of a cold start the Lambda
package leaves out. Targets: the receiver within 4x a bare lxml parse from 100 kB up (it parses
the envelope, then streams the document, so that a compressed payload inflating to tens of
megabytes keeps memory flat); its import at most a third of the parser's.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPEATS = 5
SIZES = (5_000, 100_000, 1_000_000, 4_000_000)
TARGET_LXML_RATIO, TARGET_IMPORT_RATIO = 4, 1 / 3
TARGET_FROM_BYTES = 100_000


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python benchmarks/receiver.py RENDERED_PROJECT", file=sys.stderr)
        return 2
    src = Path(argv[1]).resolve() / "src"
    package = next(p.name for p in src.glob("*") if (p / "receiving.py").is_file())
    sys.path.insert(0, str(src))
    receiving = importlib.import_module(f"{package}.receiving")
    push = importlib.import_module(f"{package}.core.push")
    etree = importlib.import_module("lxml.etree")
    documents = importlib.import_module(f"{package}.core.documents")
    settings = importlib.import_module(f"{package}.settings")
    samples = importlib.import_module("sample_documents")

    class Memory:
        def keep(self, body: bytes) -> Any:
            return receiving.Kept("memory", "r")

        def quarantine(self, kept: Any, reason: str) -> None:
            raise AssertionError(reason)

        def ignore(self, kept: Any, reason: str) -> None:
            raise AssertionError(reason)

    ok = True
    for size in SIZES:
        body = push_of_size(samples, settings, size)

        def answer(body: bytes = body) -> Any:
            outcome = receiving.receive(body, "application/soap+xml", Memory(), lambda _: None)
            assert outcome.status == 200, outcome.reason
            return outcome

        def full(body: bytes = body) -> Any:
            return documents.parse(push.extract(body).document)

        def bare(body: bytes = body) -> Any:
            return etree.fromstring(body)

        answer_time, bare_time, full_time = best(answer), best(bare), best(full)
        ratio = answer_time / bare_time
        if size >= TARGET_FROM_BYTES:
            ok &= ratio <= TARGET_LXML_RATIO
            target = f"target <= {TARGET_LXML_RATIO}x: {verdict(ratio <= TARGET_LXML_RATIO)}"
        else:
            target = "no target: fixed costs of about a millisecond dominate"
        print(
            f"{len(body) / 1e6:6.3f} MB push: receiver {answer_time * 1e3:6.1f} ms, bare lxml "
            f"{bare_time * 1e3:6.1f} ms, {ratio:.1f}x ({target}); "
            f"the flow's parse {full_time * 1e3:6.1f} ms"
        )

    handler = import_time(src, f"{package}.receiving")
    parser = import_time(src, f"{package}.core.documents")
    ratio = handler / parser
    ok &= ratio <= TARGET_IMPORT_RATIO
    print(
        f"import in a fresh interpreter: the receiver {handler * 1e3:.0f} ms, the flow's parser "
        f"{parser * 1e3:.0f} ms, ratio {ratio:.2f} (target <= {TARGET_IMPORT_RATIO:.2f}: "
        f"{verdict(ratio <= TARGET_IMPORT_RATIO)})"
    )
    return 0 if ok else 1


def push_of_size(samples: Any, settings: Any, size: int) -> bytes:
    """An A69 push of one of the project's zones, grown by days until it reaches `size` bytes."""
    days = 1
    while True:
        document = samples.generate("A69", area=settings.BIDDING_ZONES[0], seed=1, days=days)
        body: bytes = samples.soap_envelope(document)
        if len(body) >= size or len(body) * 2 > 4_400_000:
            return body
        days *= 2


def best(run: Callable[[], Any]) -> float:
    run()  # warm up
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def import_time(src: Path, module: str) -> float:
    code = (
        "import sys, time; sys.path.insert(0, sys.argv[1]); start = time.perf_counter(); "
        f"import {module}; print(time.perf_counter() - start)"
    )
    runs = [
        float(subprocess.run([sys.executable, "-c", code, str(src)], capture_output=True,
                             text=True, check=True).stdout)
        for _ in range(REPEATS)
    ]  # fmt: skip
    return min(runs)


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


if __name__ == "__main__":
    sys.exit(main(sys.argv))
