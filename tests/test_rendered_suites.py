"""The rendered project's own checks and tests pass, run through its own Makefile."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from conftest import PYTHON, VARIANTS, render, run, tool_env

# The heaviest tests, split by hand over the two workers of `make test` (`--dist loadgroup`):
# v00's full suite and the odd answers' fast tests (about 9 minutes), v01's full suite and the
# install from the lock (about 10).
HEAVY_A = pytest.mark.xdist_group("heavy-a")
HEAVY_B = pytest.mark.xdist_group("heavy-b")

# Every document type with OIDC and the AWS receiver; pull mode with access keys, an S3 state
# backend and the Prefect webhook: the answers that change what the slow tests do, in this run's
# environment (test_lock.py proves it is the lock's). The defaults below as a user installs them.
SUITE_VARIANTS = [pytest.param("v00", marks=HEAVY_A), pytest.param("v01", marks=HEAVY_B)]


@pytest.mark.parametrize("variant", SUITE_VARIANTS)
def test_rendered_project_test_suite_passes(rendered, variant: str) -> None:
    project = rendered(variant)
    result = run(["make", "test", f"PYTHON={PYTHON}"], cwd=project, timeout=1200)
    assert " passed" in result.stdout
    assert " failed" not in result.stdout


@HEAVY_A
def test_the_odd_answers_pass_the_fast_tests(rendered) -> None:
    """Names with quotes, backslashes and non-ASCII letters: the code is the same, so the fast
    tests (its `make check` runs in test_variants.py)."""
    result = run(["make", "test-fast", f"PYTHON={PYTHON}"], cwd=rendered("odd"), timeout=600)
    assert " passed" in result.stdout and " failed" not in result.stdout


@pytest.mark.parametrize("variant", [pytest.param("defaults", marks=HEAVY_B)])
def test_the_readme_install_check_and_test_pass_from_the_lock(
    copier_template: Path, tmp_path: Path, variant: str
) -> None:
    """As a user does it: make install (uv sync --locked), then check and the fast tests in its
    .venv. The full suites run above in the template's environment, which test_lock.py proves
    is this one."""
    answers = {**VARIANTS[variant], "python_version": "3.11"}  # the interpreter here
    project = render(copier_template, tmp_path / "project", **answers)
    run(["make", "install"], cwd=project, timeout=900)
    python = str(project / ".venv" / "bin" / "python")
    run(["make", "check"], cwd=project, timeout=600)
    # test-fast runs alone: no local stack, no Prefect server, every other test.
    collected = run([python, "-m", "pytest", "-m", "not slow", "--collect-only", "-q"], cwd=project)
    ids = [line for line in collected.stdout.splitlines() if "::" in line]
    assert ids
    assert not [i for i in ids if i.startswith("tests/test_local_stack.py")]
    assert "tests/test_flow.py::test_the_same_document_pushed_twice_is_mailed_once" not in ids
    assert "tests/test_deploy.py::test_dry_run_says_everything_and_talks_to_nothing" in ids
    assert "tests/test_deploy.py::test_a_second_deploy_changes_nothing" not in ids
    result = run(["make", "test-fast"], cwd=project, timeout=1200)
    # Every test collected without the slow ones passed (xdist reports no deselected count).
    assert f"{len(ids)} passed" in result.stdout and " failed" not in result.stdout
    # Our warnings are fixed, others' filtered by name: the summary line counts none.
    assert " warning" not in result.stdout.strip().splitlines()[-1]


def test_a_missing_interpreter_fails_in_one_line_that_names_the_fix(rendered) -> None:
    empty = rendered("defaults").parent / "no-pythons"
    empty.mkdir(exist_ok=True)
    # Python 3.12 (the default) where uv finds no interpreter and may download none.
    env = {
        **tool_env(),
        "UV_PYTHON_PREFERENCE": "only-managed",
        "UV_PYTHON_INSTALL_DIR": str(empty),
        "UV_PYTHON_DOWNLOADS": "never",
    }
    env.pop("VIRTUAL_ENV", None)
    result = subprocess.run(
        ["make", "--no-print-directory", "install"],
        cwd=rendered("defaults"),
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    errors = [
        line for line in result.stderr.splitlines() if not re.match(r"make(\[\d+\])?: ", line)
    ]
    assert errors == [
        "error: Python 3.12 (from .python-version) is not installed: run 'uv python install 3.12', "
        "or write an installed version (3.11 or newer) into .python-version"
    ]
    assert not (rendered("defaults") / ".venv").exists()


@pytest.mark.parametrize("ci", ["", "true"])
def test_browser_tests_without_a_browser_skip_on_a_laptop_and_fail_in_ci(
    rendered, tmp_path: Path, ci: str
) -> None:
    """pytest-playwright's and Selenium's convention: the machine provides the browser, CI must."""
    env = {**tool_env(), "PATH": str(tmp_path), "CI": ci}  # a PATH without any browser
    env.pop("CHROMIUM", None)
    result = subprocess.run(
        [PYTHON, "-m", "pytest", "-qp", "no:cacheprovider", "tests/test_newsletter_browser.py"],
        cwd=rendered("defaults"),
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    summary = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED [")]
    if ci:
        assert result.returncode == 1 and " skipped" not in result.stdout, result.stdout
        assert "Chromium not found" in result.stdout and "CI is set" in result.stdout
    else:
        assert result.returncode == 0 and " failed" not in result.stdout, result.stdout
        assert len(summary) == 1, summary  # one line, however many cases
        assert summary[0].endswith(
            "not checked: newsletters in a browser; install chromium or set CHROMIUM=/path/to/"
            "chrome"
        )
