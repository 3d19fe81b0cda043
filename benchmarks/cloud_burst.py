"""Europe at once in the cloud: the day-ahead auction burst, modelled from parts measured here.

    python benchmarks/cloud_burst.py RENDERED_PROJECT

After the day-ahead auction ENTSO-E pushes the prices (A44) of every bidding zone within minutes.
Each push becomes a flow run of the push deployment, and each run is an ECS Fargate task of its
own. No docker and no AWS here, so the run is modelled from parts:

- measured in this run: the image's Python environment (the runtime group of the project's
  uv.lock and the package, installed as the Dockerfile does, under RENDERED_PROJECT/.image-env),
  its size on disk; the import of `<package>.flow` in a fresh interpreter of it; parse +
  summarise + render of one document of each chosen type for one zone, in a fresh process (as a
  task runs it: first document, empty matplotlib cache) and again warm;
- assumed, with sources (ASSUMED below): the base image's size, Fargate's provisioning and pull
  throughput (AWS gives no SLA), Prefect's dispatch and reporting, the SMTP send.

Printed: those figures; the time to the last newsletter and the ECS tasks for a burst of 40 and
of every zone, today (deployment concurrency limit 1: one run after the other) and with
RUNS_AT_ONCE runs at a time (the push deployment's limit, read from the project's
cloud/deployment.py); then what a month of every zone
costs at eu-central-1 list prices, the figures the project's docs/infrastructure.md quotes.
No targets: a model, not a measurement of the cloud.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

TEMPLATE = Path(__file__).resolve().parents[1]
BURSTS = (40, None)  # None: every zone of the questionnaire
COLD_PROCESSES = 2  # fresh processes per document type: import and first-document samples
WARM_REPEATS = 4  # documents after the first, in each of those processes
MB = 1e6

# Assumed figures, each with where it comes from (read 2026-12-07; see docs/infrastructure.md).
ASSUMED = {
    # Docker Official Image python:3.12-slim as `docker images` shows it, uncompressed:
    # https://oneuptime.com/blog/post/2026-02-08-how-to-reduce-docker-image-size-for-python-applications/view
    "base_image_mb": 150.0,
    # Fargate before the pull: capacity, microVM, network interface. AWS publishes no figure; an
    # AWS answer puts a whole start at "30-45 seconds or longer" with the pull:
    # https://repost.aws/questions/QUjZAzJd27SZWxXM7MgyxOZw/how-to-speed-up-provisioning-of-ecs-fargate-task
    "provision_s": 20.0,
    # Pull + unpack rate: a 413 MB image took 57 s from creation to start on average (10 tasks,
    # no SOCI, 2024-04-10): https://elasticscale.com/blog/reduce-aws-fargate-pull-times-with-soci
    # Less provision_s, that is 413 MB in 37 s. The post does not say whether 413 MB is the
    # compressed size; taken as the size on disk, the measure used here.
    "cited_image_mb": 413.0,
    "cited_start_s": 57.0,
    # Prefect Cloud: event -> automation -> flow run -> RunTask, and per run the engine's
    # API calls (states, task runs, results); unmeasured in the cloud (benchmarks/local_latency.py
    # measures the local equivalent).
    "dispatch_s": 3.0,
    "prefect_s": 3.0,
    # One SMTP submission with STARTTLS to a provider's server, per recipient.
    "mail_s": 1.0,
    # Per run: CloudWatch Logs of the flow (Prefect's engine log lines) and of the receiver.
    "flow_log_kb": 10.0,
    "receiver_log_kb": 1.0,
    # The receiver's billed duration per push: S3 PUT + webhook POST.
    "receiver_s": 1.0,
    # Per run: S3 PUTs (receiver keeps the body, the flow persists first-content and one
    # delivery record per recipient) and GETs (the body, the two cache look-ups).
    "s3_puts": 3,
    "s3_gets": 3,
}

# Documents pushed per zone and day, by type (an assumption about the platform's publishing):
# prices once after the auction; the wind and solar forecast day-ahead plus intraday updates;
# load and generation forecasts once; actual generation every hour.
DOCUMENTS_PER_ZONE_DAY = {"A44": 1, "A69": 4, "A71": 1, "A65": 1, "A75": 24}
DAYS_PER_MONTH = 30

# eu-central-1 list prices in USD (sources and dates in docs/infrastructure.md).
PRICES = {
    "fargate_vcpu_hour": 0.04656,  # Linux/x86, commonly published, unverified
    "fargate_gb_hour": 0.00511,  # Linux/x86, commonly published, unverified
    "fargate_minimum_s": 60,  # per second, one-minute minimum, from the start of the pull
    "public_ipv4_hour": 0.005,  # each task's public address
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_s": 0.0000166667,  # x86
    "s3_put": 0.0054 / 1000,  # commonly published, unverified
    "s3_get": 0.00043 / 1000,
    "s3_gb_month": 0.0245,  # Standard, first 50 TB; commonly published, unverified
    "logs_ingest_gb": 0.63,  # commonly published, unverified
    "logs_gb_month": 0.0324,  # commonly published, unverified
    "secret_read": 0.05 / 10_000,  # the Prefect API key, read once per task
}

# Run in the image's environment: import of the flow, then parse + summarise + render of one
# document, the first (cold, as in a new task) and WARM_REPEATS more.
PROBE = """
import json, sys, time
t = time.perf_counter()
__import__(sys.argv[1] + ".flow")
imported = time.perf_counter() - t
core = __import__(sys.argv[1] + ".core", fromlist=["documents", "summary", "newsletter"])
data = open(sys.argv[2], "rb").read()
times = []
for _ in range(1 + int(sys.argv[3])):
    t = time.perf_counter()
    document = core.documents.parse(data)
    letter = core.newsletter.render(core.summary.summarise(document), document.mrid or "bench")
    times.append(time.perf_counter() - t)
print(json.dumps({"import_s": imported, "times": times}))
"""


@dataclass(frozen=True)
class Parts:
    """What one run of one document is made of, in seconds (pull from the image's size)."""

    dispatch: float
    provision: float
    pull: float
    imports: float
    prefect: float
    compute: float
    mail: float


def run_seconds(parts: Parts) -> tuple[float, float]:
    """A run from its event to its mail, and the part of it Fargate bills."""
    # Prefect turns the event into a flow run and asks ECS for a task; Fargate finds capacity
    # and attaches a network interface; then pulls the whole image (Fargate caches none).
    before_pull = parts.dispatch + parts.provision
    # Billing starts with the pull: the pull, the interpreter importing the flow, Prefect's
    # reporting, the document's parse + summary + chart, the mail.
    billed = parts.pull + parts.imports + parts.prefect + parts.compute + parts.mail
    return before_pull + billed, billed


def burst(parts: Parts, documents: int, runs_at_once: int) -> dict[str, dict[str, float]]:
    """The model: time to the last newsletter and ECS tasks for `documents` pushed at once."""
    run, _ = run_seconds(parts)
    # Today: deployment concurrency limit 1. A run's task is started after the previous run
    # ended, so the last newsletter comes after `documents` whole runs, one after the other.
    serial = documents * run
    # New: up to `runs_at_once` runs (tasks) at a time; each newsletter locks only its own
    # subject (type, zone, period), so zones never wait for each other. Equal runs go in
    # waves: the last newsletter ends the last wave.
    waves = math.ceil(documents / runs_at_once)
    overlapping = waves * run
    # Either way every run is one task: the count is the same, the peak is not.
    return {
        "today": {"seconds": serial, "tasks": documents, "peak": 1},
        "new": {"seconds": overlapping, "tasks": documents, "peak": min(documents, runs_at_once)},
    }


def monthly_cost(
    parts_by_type: dict[str, Parts],
    zones: int,
    cpu: float,
    memory_gb: float,
    receiver_gb: float,
    sizes: dict[str, int],
    keep_days: dict[str, int],
) -> dict[str, dict[str, float]]:
    """USD per month, per document type and item, for every zone pushing every chosen type."""
    costs: dict[str, dict[str, float]] = {}
    for kind, parts in parts_by_type.items():
        runs = zones * DOCUMENTS_PER_ZONE_DAY[kind] * DAYS_PER_MONTH
        run, billed = run_seconds(parts)
        billed = max(PRICES["fargate_minimum_s"], math.ceil(billed))
        task_hours = billed / 3600
        lambda_gb_s = receiver_gb * ASSUMED["receiver_s"]
        log_gb = (ASSUMED["flow_log_kb"] + ASSUMED["receiver_log_kb"]) * 1e3 / 1e9
        # Kept pushes stay inboxExpiryDays, logs logRetentionDays: a steady month holds that many.
        stored_gb = runs / DAYS_PER_MONTH * keep_days["inbox"] * sizes[kind] / 1e9
        logs_stored_gb = runs / DAYS_PER_MONTH * keep_days["logs"] * log_gb
        costs[kind] = {
            "runs": runs,
            "billed_s": billed,
            "fargate": runs
            * task_hours
            * (cpu * PRICES["fargate_vcpu_hour"] + memory_gb * PRICES["fargate_gb_hour"]),
            # The address lives from provisioning to the end of the task.
            "ipv4": runs * (run - parts.dispatch) / 3600 * PRICES["public_ipv4_hour"],
            "lambda": runs * (PRICES["lambda_request"] + lambda_gb_s * PRICES["lambda_gb_s"]),
            "s3": runs
            * (ASSUMED["s3_puts"] * PRICES["s3_put"] + ASSUMED["s3_gets"] * PRICES["s3_get"])
            + stored_gb * PRICES["s3_gb_month"],
            "logs": runs * log_gb * PRICES["logs_ingest_gb"]
            + logs_stored_gb * PRICES["logs_gb_month"],
            "secret": runs * PRICES["secret_read"],
        }
    return costs


def main(project: Path) -> int:
    project = project.resolve()
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    package = answers["package_name"]
    sys.path.insert(0, str(project / "src"))
    settings = importlib.import_module(f"{package}.settings")
    samples = importlib.import_module("sample_documents")
    questionnaire = yaml.safe_load((TEMPLATE / "copier.yml").read_text())
    # The zones proper: EIC codes, not a convenience choice such as "every zone".
    every_zone = [
        code
        for code in questionnaire["bidding_zones"]["choices"].values()
        if re.fullmatch(r"10Y[0-9A-Z-]{13}", str(code))
    ]
    default_types = questionnaire["document_types"]["default"]
    runs_at_once, source = push_limit(project / "src" / package)

    python = image_environment(project)
    env_mb = tree_bytes(python.parents[1]) / MB
    image_mb = ASSUMED["base_image_mb"] + env_mb
    print(
        f"image: Python environment {env_mb:.0f} MB on disk (measured: uv.lock's runtime group "
        f"and the package, Python {sys.version_info.major}.{sys.version_info.minor} here, "
        f"{answers.get('python_version', '?')} in the image) + python slim base "
        f"{ASSUMED['base_image_mb']:.0f} MB (assumed) = {image_mb:.0f} MB"
    )

    zone = settings.BIDDING_ZONES[0]
    imports: list[float] = []
    cold: dict[str, list[float]] = {}
    warm: dict[str, list[float]] = {}
    sizes: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="cloud-burst-") as scratch:
        for kind in settings.DOCUMENT_TYPES:
            path = Path(scratch) / f"{kind}.xml"
            path.write_bytes(samples.generate(kind, area=zone))
            sizes[kind] = path.stat().st_size
            for number in range(COLD_PROCESSES):
                result = probe(python, package, path, Path(scratch) / f"{kind}-{number}")
                imports.append(result["import_s"])
                cold.setdefault(kind, []).append(result["times"][0])
                warm.setdefault(kind, []).extend(result["times"][1:])
    import_s = statistics.median(imports)
    print(
        f"import of {package}.flow in a fresh interpreter: median {import_s:.2f} s "
        f"of {len(imports)} (min {min(imports):.2f}, max {max(imports):.2f})"
    )
    print(f"parse + summarise + render, one day of one zone ({zone}), in process:")
    for kind in settings.DOCUMENT_TYPES:
        print(
            f"  {kind} ({sizes[kind] / 1e3:.0f} kB): first in a new process median "
            f"{statistics.median(cold[kind]):.2f} s of {len(cold[kind])}, then median "
            f"{statistics.median(warm[kind]):.3f} s of {len(warm[kind])}"
        )

    pull_rate = ASSUMED["cited_image_mb"] / (ASSUMED["cited_start_s"] - ASSUMED["provision_s"])

    def parts_of(kind: str) -> Parts:
        return Parts(
            dispatch=ASSUMED["dispatch_s"],
            provision=ASSUMED["provision_s"],
            pull=image_mb / pull_rate,
            imports=import_s,
            prefect=ASSUMED["prefect_s"],
            compute=statistics.median(cold[kind]),
            mail=ASSUMED["mail_s"] * len(settings.RECIPIENTS),
        )

    prices = parts_of("A44") if "A44" in cold else parts_of(settings.DOCUMENT_TYPES[0])
    run, billed = run_seconds(prices)
    print(
        f"one A44 run, event to mail: {run:.0f} s = dispatch {prices.dispatch:.0f} + provision "
        f"{prices.provision:.0f} + pull {prices.pull:.0f} ({image_mb:.0f} MB at "
        f"{pull_rate:.1f} MB/s) + import {prices.imports:.1f} + Prefect {prices.prefect:.0f} + "
        f"compute {prices.compute:.1f} + mail {prices.mail:.0f} (Fargate bills {billed:.0f} s)"
    )
    print(f"burst of A44 pushes, runs at once in the new design: {runs_at_once} ({source})")
    print(f"  {'documents':>9}  {'design':<22} {'ECS tasks':>9} {'at once':>7} {'last mail':>10}")
    for count in BURSTS:
        documents = count or len(every_zone)
        result = burst(prices, documents, runs_at_once)
        for name, label in (("today", "today (one at a time)"), ("new", "new (overlapping)")):
            line = result[name]
            print(
                f"  {documents:>9}  {label:<22} {line['tasks']:>9} {line['peak']:>7} "
                f"{line['seconds'] / 60:>6.1f} min"
            )
        ratio = result["today"]["seconds"] / result["new"]["seconds"]
        print(f"  {'':>9}  ratio today / new: {ratio:.1f}x")

    receiver = (project / "infra" / "receiver.py").read_text()
    receiver_mb = int(re.search(r"^MEMORY_MB = (\d+)", receiver, re.MULTILINE).group(1))
    stack = yaml.safe_load(next(project.glob("Pulumi.*.yaml")).read_text())["config"]
    keep_days = {
        "inbox": stack[f"{answers['project_slug']}:inboxExpiryDays"],
        "logs": stack[f"{answers['project_slug']}:logRetentionDays"],
    }
    costs = monthly_cost(
        {kind: parts_of(kind) for kind in settings.DOCUMENT_TYPES},
        len(every_zone),
        settings.ECS_CPU / 1024,
        settings.ECS_MEMORY / 1024,
        receiver_mb / 1024,
        sizes,
        keep_days,
    )
    items = ("fargate", "ipv4", "lambda", "s3", "logs", "secret")
    print(
        f"a month ({DAYS_PER_MONTH} days) of all {len(every_zone)} zones, eu-central-1 list "
        f"prices, task {settings.ECS_CPU / 1024:g} vCPU / {settings.ECS_MEMORY / 1024:g} GB, "
        f"receiver {receiver_mb} MB, USD:"
    )
    print(
        f"  {'type':<5}{'per zone-day':>13}{'runs':>8}{'billed s':>9}"
        + "".join(f"{item:>9}" for item in items)
        + f"{'total':>9}"
    )
    for kind, cost in costs.items():
        print(
            f"  {kind:<5}{DOCUMENTS_PER_ZONE_DAY[kind]:>13}{cost['runs']:>8.0f}"
            f"{cost['billed_s']:>9.0f}"
            + "".join(f"{cost[item]:>9.2f}" for item in items)
            + f"{sum(cost[item] for item in items):>9.2f}"
        )
    for label, kinds in (
        (f"default types {default_types}", [k for k in default_types if k in costs]),
        (f"all {len(costs)} types", list(costs)),
    ):
        total = sum(costs[k][item] for k in kinds for item in items)
        print(f"  {label}: {total:.2f} USD a month (Lambda's free tier not deducted)")
    return 0


def push_limit(package: Path) -> tuple[int, str]:
    """RUNS_AT_ONCE as the project sets it (read, not imported: deployment.py imports prefect),
    and where it was found."""
    found = re.search(
        r"^RUNS_AT_ONCE = (\d+)", (package / "cloud/deployment.py").read_text(), re.MULTILINE
    )
    if not found:
        raise SystemExit("error: no RUNS_AT_ONCE in cloud/deployment.py")
    return int(found.group(1)), "RUNS_AT_ONCE in cloud/deployment.py"


def image_environment(project: Path) -> Path:
    """The image's /opt/venv as a virtual environment here: the runtime dependencies of the
    lock (no dev, no infra group) and the package, bytecode compiled; pip itself left out. The
    dependencies are kept between runs while the lock's export is the same."""
    export = ["export", "--frozen", "--no-default-groups", "--no-emit-project", "--no-hashes"]
    exported = subprocess.run(
        [sys.executable, "-m", "uv", *export, "--no-header", "--no-annotate"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    home = project / ".image-env"
    python = home / "bin" / "python"
    key = hashlib.sha256(f"{exported}{sys.version}".encode()).hexdigest()
    stamp = home / ".requirements-sha256"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
    if not stamp.is_file() or stamp.read_text() != key:
        quiet(["rm", "-rf", str(home)])
        quiet([sys.executable, "-m", "venv", "--without-pip", str(home)])
        requirements = home / "requirements.txt"
        requirements.write_text(exported)
        # --no-deps: the lock's export is the whole set, pinned.
        quiet([*pip, "--no-deps", "-r", str(requirements)])
        requirements.unlink()
        stamp.write_text(key)
    # The package itself, as a wheel (the Dockerfile's --no-editable), fresh every run.
    quiet([*pip, "--no-deps", "--force-reinstall", str(project)])
    return python


def quiet(command: list[str]) -> None:
    """Run a step of the install; its output only if it fails (pip warns about every index
    location that lacks a package)."""
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"failed: {' '.join(command)}")


def tree_bytes(folder: Path) -> int:
    """Bytes of the files under `folder`, links not followed (the interpreter is a link)."""
    total = 0
    for root, _, files in os.walk(folder):
        total += sum(os.lstat(os.path.join(root, name)).st_size for name in files)
    return total


def probe(python: Path, package: str, document: Path, home: Path) -> dict[str, object]:
    """One fresh process of the image's environment, as a task starts: empty homes (so
    matplotlib builds its font cache, as in a new container)."""
    home.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env |= {"HOME": str(home), "MPLCONFIGDIR": str(home / "mpl"), "PREFECT_HOME": str(home)}
    out = subprocess.run(
        [str(python), "-c", PROBE, package, str(document), str(WARM_REPEATS)],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.splitlines()[-1])


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
