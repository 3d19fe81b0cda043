"""The rendered project's own checks and tests pass, run through its own Makefile."""

from __future__ import annotations

import pytest

from conftest import PYTHON, run

# The defaults, every document type with OIDC, and access keys with an S3 state backend.
SUITE_VARIANTS = ["defaults", "v00", "v01"]


@pytest.mark.parametrize("variant", SUITE_VARIANTS)
def test_rendered_project_test_suite_passes(rendered, variant: str) -> None:
    project = rendered(variant)
    result = run(["make", "test", f"PYTHON={PYTHON}"], cwd=project, timeout=1200)
    assert " passed" in result.stdout
    assert " failed" not in result.stdout


def test_fast_tests_run_alone_and_start_no_server(rendered) -> None:
    project = rendered("defaults")
    collected = run([PYTHON, "-m", "pytest", "-m", "not slow", "--collect-only", "-q"], cwd=project)
    ids = [line for line in collected.stdout.splitlines() if "::" in line]
    assert ids
    assert not [i for i in ids if i.startswith(("tests/test_flow.py", "tests/test_local_stack.py"))]
    assert "tests/test_deploy.py::test_dry_run_says_everything_and_talks_to_nothing" in ids
    assert "tests/test_deploy.py::test_a_second_deploy_changes_nothing" not in ids
    result = run(["make", "test-fast", f"PYTHON={PYTHON}"], cwd=project, timeout=600)
    assert f"{len(ids)} passed" in result.stdout
    assert " deselected" in result.stdout
