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
