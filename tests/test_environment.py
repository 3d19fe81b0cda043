"""requirements.txt installs every dependency group the rendered project declares."""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError, version

from packaging.requirements import Requirement

from conftest import TEMPLATE_ROOT


def test_test_environment_satisfies_the_rendered_dependency_groups(rendered) -> None:
    pyproject = tomllib.loads((rendered("defaults") / "pyproject.toml").read_text())
    wanted = list(pyproject["project"]["dependencies"])
    for group in pyproject["dependency-groups"].values():
        wanted += group
    for line in wanted:
        requirement = Requirement(line)
        try:
            installed = version(requirement.name)
        except PackageNotFoundError:
            raise AssertionError(f"{requirement.name} is missing from requirements.txt") from None
        assert requirement.specifier.contains(installed, prereleases=True), (line, installed)


def test_requirements_are_pinned() -> None:
    for name in ("requirements.txt", "requirements-rendered.txt"):
        for line in (TEMPLATE_ROOT / name).read_text().splitlines():
            if line.strip() and not line.startswith(("#", "-r ")):
                assert "==" in line, f"unpinned in {name}: {line}"
