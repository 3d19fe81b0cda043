"""One set of versions: the rendered uv.lock is what the template's own tests install and run."""

from __future__ import annotations

import subprocess
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from conftest import BIN, QUESTIONS, TEMPLATE_ROOT, VARIANTS, tool_env

RENDERED_REQUIREMENTS = TEMPLATE_ROOT / "requirements-rendered.txt"
EXPORT = ["export", "--frozen", "--all-groups", "--no-emit-project", "--no-hashes"]


def uv(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "uv"), *args],
        cwd=project,
        env=tool_env(),
        capture_output=True,
        text=True,
        check=False,
    )


def pinned() -> list[Requirement]:
    lines = RENDERED_REQUIREMENTS.read_text().splitlines()
    return [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]


def test_the_template_environment_is_the_rendered_lock(rendered) -> None:
    exported = uv(rendered("defaults"), *EXPORT, "--no-header", "--no-annotate")
    assert exported.returncode == 0, exported.stderr
    assert [str(r) for r in pinned()] == [
        str(Requirement(line)) for line in exported.stdout.splitlines() if line.strip()
    ], "requirements-rendered.txt is not the lock: run `make lock`"


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_lock_fits_the_pyproject_of_every_variant(rendered, variant: str) -> None:
    checked = uv(rendered(variant), "lock", "--check", "--offline")
    assert checked.returncode == 0, checked.stderr


def test_this_run_installed_exactly_the_locked_versions() -> None:
    requirements = pinned()
    assert len(requirements) > 100
    for requirement in requirements:
        if requirement.marker is None or requirement.marker.evaluate():
            assert requirement.specifier.contains(version(requirement.name)), requirement


def test_requires_python_is_the_lowest_version_offered(rendered) -> None:
    lowest = min(
        QUESTIONS["python_version"]["choices"], key=lambda v: tuple(map(int, v.split(".")))
    )
    pyproject = (rendered("defaults") / "pyproject.toml").read_text()
    assert f'requires-python = ">={lowest}"' in pyproject
    assert (
        f'requires-python = ">={lowest}"'
        in (TEMPLATE_ROOT / "template" / "uv.lock.jinja").read_text()
    )
