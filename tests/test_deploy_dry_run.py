"""`deploy --dry-run` in every variant: the plan names this variant's cloud, and no secret."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import PYTHON, VARIANTS

# Secrets as the deploy workflow passes them; none may show up in the plan.
SECRETS = {
    "SMTP_USERNAME": "smtp-user-d41d8c",
    "SMTP_PASSWORD": "smtp-password-8f00b2",
    "ENTSOE_API_KEY": "entsoe-key-04e980",
    "PREFECT_API_KEY": "pnu_prefect-key-0998ec",
}
PUSH_POOL_SECRET = "push-pool-secret-f8427e"


def in_project(project: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run the rendered package's Python; its stdout, asserting exit status 0."""
    result = subprocess.run(
        [PYTHON, *args],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project / "src"), **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def fake_outputs(project: Path, package: str, region: str) -> dict[str, object]:
    """A value for every name in the project's DEPLOY_OUTPUTS, shaped as Pulumi prints them."""
    script = f"import json; from {package}.cloud.job_variables import DEPLOY_OUTPUTS; "
    names = json.loads(in_project(project, "-c", script + "print(json.dumps(DEPLOY_OUTPUTS))"))
    outputs: dict[str, object] = {name: f"fake-{name.replace('_', '-')}" for name in names}
    outputs |= {
        "aws_region": region,
        "subnet_ids": ["subnet-0aaa", "subnet-0bbb"],
        "image_repository_url": f"123456789012.dkr.ecr.{region}.amazonaws.com/flow-1a2b3c4",
        "push_pool_secret_access_key": PUSH_POOL_SECRET,
    }
    return outputs


@pytest.mark.parametrize("variant", VARIANTS)
def test_dry_run_plan_names_the_variant_and_hides_secrets(
    rendered, variant: str, tmp_path: Path
) -> None:
    project = rendered(variant)
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    package, slug, region = answers["package_name"], answers["project_slug"], answers["aws_region"]
    path = tmp_path / "stack-outputs.json"
    path.write_text(json.dumps(fake_outputs(project, package, region)))
    env = {**SECRETS, "PREFECT_API_URL": "http://127.0.0.1:9/api"}  # nothing listens: no talking
    plan = in_project(
        project, "-m", package, "deploy", "--dry-run", "--build", "--outputs", str(path), env=env
    )
    lines = plan.strip().splitlines()
    assert lines and all(line.startswith("would ") for line in lines), plan
    resource_id = f"entsoe.webhook.{slug}"
    assert answers["work_pool_name"] in plan
    assert region in plan
    assert resource_id in plan
    assert f"prefect.resource.id={resource_id}" in plan  # the trigger's match
    for secret in [*SECRETS.values(), PUSH_POOL_SECRET]:
        assert secret not in plan
