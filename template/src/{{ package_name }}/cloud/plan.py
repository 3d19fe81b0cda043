"""What deploy does, as a list of steps: each says what it does (the --dry-run line) and does it.

The steps run in this order, each looking before it writes, so a second run with the same inputs
changes nothing: image, blocks, the flow runs' API key, work pool, Variable, deployment, automation,
webhook.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .. import settings
from ..events import EVENT_NAME, trigger
from ..pipeline import delivery
from . import api_key, blocks, deployment, webhooks, work_pool
from .image import build_and_push


@dataclass(frozen=True)
class Step:
    """One action: `says` what it does (the --dry-run line); `run` does it, returns the outcome."""

    says: str
    run: Callable[[], str]


def perform(steps: list[Step], dry_run: bool = False) -> None:
    for step in steps:
        print(f"would {step.says}" if dry_run else f"{step.says}: {step.run()}", flush=True)


def deploy_steps(
    outputs: Mapping[str, Any],
    image: str,
    hooks: webhooks.Webhooks | None,
    pool_type: str = work_pool.ECS_PUSH,
    build: bool = False,
) -> list[Step]:
    region = outputs["aws_region"]
    on = trigger()
    matches = ", ".join(f"{key}={'|'.join(values)}" for key, values in on.match.items())
    steps = [
        Step(
            f"save AwsCredentials block '{blocks.PUSH_POOL_CREDENTIALS_BLOCK}' with the key of "
            f"IAM user {outputs['push_pool_user_name']} (region {region})",
            lambda: blocks.save_push_pool_credentials(outputs),
        ),
        Step(
            "put PREFECT_API_KEY into Secrets Manager secret "
            f"{outputs['prefect_api_key_secret_arn']}, where flow runs read it",
            lambda: api_key.store_prefect_api_key(outputs),
        ),
        Step(
            f"ensure work pool '{settings.WORK_POOL_NAME}' (type {pool_type}) in {region}: "
            f"cluster {outputs['cluster_name']}, subnets {', '.join(outputs['subnet_ids'])}, "
            f"security group {outputs['security_group_id']}",
            lambda: work_pool.ensure_work_pool(outputs, pool_type),
        ),
        Step(
            f"save S3Bucket block '{blocks.RESULTS_BLOCK}' for flow results in "
            f"s3://{outputs['results_bucket_name']}/{outputs['results_prefix']}",
            lambda: blocks.save_results_block(outputs),
        ),
        Step(
            f"save EmailServerCredentials block '{delivery.EMAIL_BLOCK}': {settings.SMTP_HOST}:"
            f"{settings.SMTP_PORT} ({settings.SMTP_SECURITY}), user and password from "
            "SMTP_USERNAME and SMTP_PASSWORD",
            blocks.save_email_block,
        ),
        Step(
            f"save Secret block '{blocks.ENTSOE_SECRET_BLOCK}' from ENTSOE_API_KEY "
            "(skipped when unset)",
            blocks.save_entsoe_secret,
        ),
        Step(
            f"seed Variable '{delivery.RECIPIENTS_VARIABLE}' with {len(settings.RECIPIENTS)} "
            "recipient(s) from the answers, unless it exists",
            blocks.seed_recipients,
        ),
        Step(
            f"ensure deployment '{deployment.DEPLOYMENT}' on work pool "
            f"'{settings.WORK_POOL_NAME}': image {image}, concurrency limit 1, "
            f"results in {blocks.RESULT_STORAGE}",
            lambda: deployment.ensure_deployment(outputs, image),
        ),
        Step(
            f"ensure automation '{deployment.AUTOMATION}': on {', '.join(sorted(on.expect))} "
            f"matching {matches}, run '{deployment.DEPLOYMENT}'",
            deployment.ensure_automation,
        ),
        Step(
            f"ensure Prefect Cloud webhook '{webhooks.WEBHOOK_NAME}': emits {EVENT_NAME} for "
            f"resource {settings.WEBHOOK_RESOURCE_ID}",
            lambda: webhooks.ensure_webhook(hooks),
        ),
    ]
    if build:
        steps.insert(
            0,
            Step(
                f"build image {image} (linux/amd64) and push it to ECR in {region}",
                lambda: build_and_push(image, region),
            ),
        )
    return steps


def destroy_steps(hooks: webhooks.Webhooks | None) -> list[Step]:
    return [
        Step(
            f"delete deployment '{deployment.DEPLOYMENT}' and automation '{deployment.AUTOMATION}'",
            deployment.delete_deployment,
        ),
        Step(
            f"delete Prefect Cloud webhook '{webhooks.WEBHOOK_NAME}'",
            lambda: webhooks.delete_webhook(hooks),
        ),
        Step(f"delete work pool '{settings.WORK_POOL_NAME}'", work_pool.delete_work_pool),
        # They point at the key and bucket `pulumi destroy` removes next. The SMTP and ENTSO-E
        # blocks and the recipients stay: they do not depend on the stack.
        Step(
            f"delete blocks '{blocks.PUSH_POOL_CREDENTIALS_BLOCK}' and '{blocks.RESULTS_BLOCK}'",
            blocks.delete_stack_blocks,
        ),
    ]
