"""The answer variants the template tests render.

Pairwise over every choice question (allpairs by hand would drift, so the pairs are generated
and then checked by test_variants.py::test_matrix_covers_every_choice), plus the defaults.
"""

from __future__ import annotations

import itertools
from typing import Any

DOCUMENT_TYPES = ["A69", "A71", "A65", "A44", "A75"]

# (question, its choices) for the single-choice questions; values as copier.yml stores them.
SINGLE_CHOICES: list[tuple[str, list[Any]]] = [
    ("ecs_cpu", [256, 512, 1024, 2048, 4096]),
    ("python_version", ["3.11", "3.12", "3.13"]),
    ("smtp_security", ["starttls", "ssl", "insecure"]),
    ("github_aws_auth", ["oidc", "access_keys"]),
    ("pulumi_backend", ["pulumi_cloud", "s3"]),
    ("push_endpoint", ["aws", "prefect_webhook"]),
]
REGIONS = ["eu-west-1", "us-east-2", "eu-north-1", "ap-southeast-2", "eu-central-2"]
# Regions without Lambda Function URLs take only the Prefect webhook (copier.yml refuses `aws`).
NO_FUNCTION_URLS = {"eu-central-2"}
# Pull mode in every other row (v01, a full rendered suite, among them), at these times and zones.
PULL_TIMES = ["18:30", "06:05", "23:59", "00:00"]
PULL_ZONES = ["Europe/Brussels", "Europe/Helsinki", "UTC", "Europe/Lisbon"]
# The newsletter mode by row: v00 both, v01 each (each a full rendered suite), v02 digest, ...
# (test_flow_history.py runs a push in digest mode in every suite); the digest time (asked and
# stored only with a digest) at these.
NEWSLETTER_MODES = ["both", "each", "digest"]
DIGEST_TIMES = ["07:00", "05:30", "23:45"]


def pairwise(parameters: list[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
    """A small greedy all-pairs set: every pair of values of two questions appears in some row."""
    uncovered = {
        (a, va, b, vb)
        for (a, values_a), (b, values_b) in itertools.combinations(parameters, 2)
        for va in values_a
        for vb in values_b
    }
    rows: list[dict[str, Any]] = []
    while uncovered:
        best: dict[str, Any] = {}
        best_gain = -1
        for combo in itertools.product(*(values for _, values in parameters)):
            row = dict(zip((name for name, _ in parameters), combo, strict=True))
            gain = sum(1 for (a, va, b, vb) in uncovered if row[a] == va and row[b] == vb)
            if gain > best_gain:
                best, best_gain = row, gain
        rows.append(best)
        uncovered = {
            (a, va, b, vb) for (a, va, b, vb) in uncovered if not (best[a] == va and best[b] == vb)
        }
    return rows


def _memory_for(cpu: int) -> int:
    return {256: 512, 512: 4096, 1024: 3072, 2048: 16384, 4096: 30720}[cpu]


def build_variants(zones: list[str]) -> dict[str, dict[str, Any]]:
    variants: dict[str, dict[str, Any]] = {"defaults": {}}
    for index, row in enumerate(pairwise(SINGLE_CHOICES)):
        answers = dict(row)
        answers["ecs_memory"] = _memory_for(row["ecs_cpu"])
        # Rotate the multiselect questions so that every choice is taken, alone and together.
        answers["document_types"] = (
            DOCUMENT_TYPES if index % 4 == 0 else DOCUMENT_TYPES[index % 5 : index % 5 + 2]
        )
        answers["bidding_zones"] = zones[(index * 3) % len(zones) :][:3] or zones[:1]
        regions = [r for r in REGIONS if row["push_endpoint"] != "aws" or r not in NO_FUNCTION_URLS]
        answers["aws_region"] = regions[index % len(regions)]
        answers["newsletter_recipients"] = [f"desk{n}@example.org" for n in range(1 + index % 3)]
        answers["alert_recipients"] = [f"ops{n}@example.net" for n in range(1 + (index + 1) % 2)]
        if index % 3 == 1:  # no deadline check (v01 runs in full): failed-run alerts alone
            answers["push_deadline"] = "off"
        answers["project_name"] = f"Grid Watch {index}"
        if index % 2 == 1:  # the time and zone are asked (and stored) only with pull mode
            answers["pull_schedule"] = True
            answers["pull_time"] = PULL_TIMES[(index // 2 + 1) % len(PULL_TIMES)]
            answers["pull_timezone"] = PULL_ZONES[(index // 2 + 1) % len(PULL_ZONES)]
        mode = NEWSLETTER_MODES[index % len(NEWSLETTER_MODES)]
        if mode != "each":
            answers["newsletter_mode"] = mode
            answers["digest_time"] = DIGEST_TIMES[(index // 3) % len(DIGEST_TIMES)]
        variants[f"v{index:02d}"] = answers
    variants["odd"] = ODD_ANSWERS
    return variants


# Every free-text answer at its length limit where it has one, with non-ASCII letters, quotes and
# a backslash; the slug and everything derived from it are left to their defaults.
ODD_ANSWERS: dict[str, Any] = {
    "project_name": 'Énergie "Nordique" d\'Åland \\ Øresund: wind, sun & load watch',
    "description": 'Mails "Åland\'s" forecast \\ prices, 100 % ünïcode-safe; ' + "x" * 120,
    "author_name": 'Zoë "ZZ" O\'Brien-Łukasiewicz \\ Energy',
    "author_email": "zoe.obrien@example.org",
    "sender_address": "Zoë's Énergie Desk <zoe.desk@example.org>",  # a From with a name
    "python_version": "3.11",
}
