"""Prefect Cloud, set up from the Pulumi stack outputs: `python -m <package> deploy`.

Every input is checked first, then the plan (plan.py) runs: the work pool, the blocks, the
recipients Variable, the deployment, its automation (the trigger), the pull deployment when the
answers ask for pull mode, and the Cloud webhook.
`--dry-run` prints the same steps without doing them and talks to nothing; `--destroy` removes
what the stack's teardown leaves dangling. Secrets are never printed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..core.errors import BadInput
from .image import commit_tag
from .job_variables import DEPLOY_OUTPUTS
from .plan import deploy_steps, perform
from .teardown import destroy_steps
from .webhooks import Webhooks

OUTPUTS_ENV = "PULUMI_STACK_OUTPUTS"
# What `pulumi stack output` prints for a secret without --show-secrets.
HIDDEN_BY_PULUMI = "[secret]"


def run(
    outputs_file: Path | None,
    image: str | None,
    build: bool,
    pool_type: str,
    dry_run: bool,
    destroy: bool,
) -> int:
    """The `deploy` command: check every input first, then act (or only say what it would do)."""
    if destroy:
        steps = destroy_steps(None if dry_run else Webhooks.from_settings())
    else:
        outputs = read_outputs(outputs_file)
        if image is None and not build:
            raise BadInput("give the image with --image URI, or --build to build and push it")
        image = image or f"{outputs['image_repository_url']}:{commit_tag(dry_run)}"
        webhooks = None if dry_run else Webhooks.from_settings()
        steps = deploy_steps(outputs, image, webhooks, pool_type=pool_type, build=build)
    perform(steps, dry_run)
    return 0


def read_outputs(path: Path | None) -> dict[str, Any]:
    """`pulumi stack output --json --show-secrets`, from a file or the environment."""
    if path is not None:
        origin = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise BadInput(f"{origin} is not a text file of stack outputs") from None
    else:
        origin = f"${OUTPUTS_ENV}"
        text = os.environ.get(OUTPUTS_ENV, "")
        if not text.strip():
            raise BadInput(f"no stack outputs: give --outputs FILE or set {OUTPUTS_ENV}")
    try:
        outputs = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadInput(f"{origin} is not JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(outputs, dict):
        raise BadInput(f"{origin} must hold a JSON object of stack outputs")
    missing = sorted(set(DEPLOY_OUTPUTS) - outputs.keys())
    if missing:
        raise BadInput(f"{origin} lacks the stack output(s) {', '.join(missing)}")
    if outputs["push_pool_secret_access_key"] == HIDDEN_BY_PULUMI:
        raise BadInput(f"{origin} hides the secrets: use `pulumi stack output --show-secrets`")
    return outputs
