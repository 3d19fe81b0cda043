"""Shared fixtures: the template as a git repository, and rendered variants cached per session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml

from variants import build_variants

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent
COPIER_YML: dict[str, Any] = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text())
QUESTIONS = {name: spec for name, spec in COPIER_YML.items() if not name.startswith("_")}
ZONES = list(QUESTIONS["bidding_zones"]["choices"].values())
VARIANTS = build_variants(ZONES)
# The one Python environment of the test run: rendered projects run their tools with it.
PYTHON = sys.executable
BIN = Path(PYTHON).parent
SAMPLES = TEMPLATE_ROOT.parent / "shared" / "entsoe-samples"


@pytest.fixture(scope="session")
def copier_template_root() -> Path:
    return TEMPLATE_ROOT


@pytest.fixture(scope="session")
def copier_template_paths() -> list[str]:
    # Only what Copier reads: not .venv, node_modules or build/.
    return ["copier.yml", "template"]


def render(template: Path, dst: Path, **answers: Any) -> Path:
    """`copier copy --defaults` without trust, as a user would run it."""
    copier.run_copy(
        str(template), dst, data=answers, defaults=True, unsafe=False, quiet=True, vcs_ref="HEAD"
    )
    return dst


@pytest.fixture(scope="session")
def rendered(copier_template: Path, tmp_path_factory: pytest.TempPathFactory):
    """rendered(name) -> the project of that variant, rendered once per session."""
    cache: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in cache:
            dst = tmp_path_factory.mktemp(name) / "project"
            cache[name] = render(copier_template, dst, **VARIANTS[name])
        return cache[name]

    return get


def tool_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    # pytest-copier is installed for the template's tests, not the rendered project's.
    env["PYTEST_ADDOPTS"] = "-p no:copier"
    # One mypy cache per pytest-xdist worker: warm across the variants a worker checks one after
    # another, never written by two checks at once (a shared one mixed up variants' modules).
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    env.setdefault("MYPY_CACHE_DIR", str(TEMPLATE_ROOT / "build" / "mypy-cache" / worker))
    if SAMPLES.is_dir():
        env.setdefault("ENTSOE_SAMPLES_DIR", str(SAMPLES))
    return env


def run(cmd: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run a tool; on failure the assertion shows its whole output."""
    result = subprocess.run(
        cmd, cwd=cwd, env=tool_env(), capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}"
    return result
