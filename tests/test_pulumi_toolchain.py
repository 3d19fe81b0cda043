"""`pulumi up` can start the program: Pulumi's uv toolchain, emulated as upstream runs it.

pulumi/pulumi `sdk/python/toolchain/uv.go` (Pulumi.yaml `toolchain: uv`, `virtualenv: .venv`):
- `pulumi install` runs `uv sync` in the project, with `UV_PROJECT_ENVIRONMENT=<virtualenv>`;
- the program's packages are listed with `uv pip list --format json` in the activated virtualenv
  (`ActivateVirtualEnv`: `PATH=<venv>/bin`, `VIRTUAL_ENV=<venv>`);
- the program runs under `uv run python ...`, with `UV_PROJECT_ENVIRONMENT=<virtualenv>`.
Go's `exec.Cmd` with `Env` set passes nothing else: each command below gets exactly those
variables. The CLI itself (and its engine) cannot run here; the program runs under Pulumi's mocks.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from conftest import BIN, VARIANTS, tool_env

UV = str(BIN / "uv")
# What decides whether the program's imports resolve: which infra/ modules a project has.
MODULE_ANSWERS = ("github_aws_auth", "push_endpoint")
DEFAULTS = {"github_aws_auth": "oidc", "push_endpoint": "aws"}


def combination(variant: str) -> tuple[str, ...]:
    return tuple(VARIANTS[variant].get(name, DEFAULTS[name]) for name in MODULE_ANSWERS)


# One variant per distinct combination (the first in the matrix's order).
CASES = list({combination(v): v for v in reversed(list(VARIANTS))}.values())


def test_the_cases_cover_every_combination_of_the_module_answers() -> None:
    assert {combination(v) for v in CASES} == {
        (auth, endpoint)
        for auth in ("oidc", "access_keys")
        for endpoint in ("aws", "prefect_webhook")
    }


def upstream(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.mark.parametrize("variant", CASES)
def test_pulumi_installs_lists_and_runs_the_program_with_uv(
    rendered, variant: str, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    shutil.copytree(rendered(variant), project)
    options = yaml.safe_load((project / "Pulumi.yaml").read_text())["runtime"]["options"]
    assert options == {"toolchain": "uv", "virtualenv": ".venv"}
    venv = project / options["virtualenv"]
    # The interpreter here (uv may download none); 3.12 and 3.13 are checked statically.
    (project / ".python-version").write_text("3.11\n")
    # The README's `make install`.
    subprocess.run([UV, "sync", "--locked", "--quiet"], cwd=project, env=tool_env(), check=True)

    # `pulumi install`: a plain `uv sync`, which keeps only the default groups.
    upstream([UV, "sync"], project, {"UV_PROJECT_ENVIRONMENT": str(venv)})

    # The listing Pulumi reads the program's packages (and the SDK's version) from.
    listed = upstream(
        [UV, "pip", "list", "--format", "json"],
        project / "infra",
        {"PATH": str(venv / "bin"), "VIRTUAL_ENV": str(venv)},
    )
    packages = {p["name"]: p["version"] for p in json.loads(listed.stdout)}
    lock = tomllib.loads((project / "uv.lock").read_text())
    locked = {p["name"]: p["version"] for p in lock["package"] if "version" in p}
    for name in ("pulumi", "pulumi-aws", "pytest", "mypy"):
        assert packages.get(name) == locked[name], name

    # The program, run by `uv run python` from its own folder: its imports resolve and it
    # registers the stack (under Pulumi's mocks, the rendered test that runs infra/__main__.py).
    test = project / "tests" / "test_infra.py"
    ran = upstream(
        [
            UV,
            "run",
            "python",
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(test),
            "-k",
            "outputs_are_what_the_deployment_reads",
        ],
        project / "infra",
        {"UV_PROJECT_ENVIRONMENT": str(venv)},
    )
    assert "1 passed" in ran.stdout
    assert (project / "uv.lock").read_text() == (rendered(variant) / "uv.lock").read_text()
