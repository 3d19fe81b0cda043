"""The ECS push work pool: prefect-aws's job template, with the stack's values as defaults."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import settings
from ..core.errors import BadInput
from .blocks import PUSH_POOL_CREDENTIALS_BLOCK
from .job_variables import ecs_job_variables

ECS_PUSH = "ecs:push"


def pool_base_job_template(outputs: Mapping[str, Any], credentials_id: str) -> dict[str, Any]:
    """prefect-aws's ECS template with the stack's values as defaults, as the ECS push pool
    provisioner fills it; the push pool authenticates with the AwsCredentials block."""
    from prefect_aws.workers.ecs_worker import ECSWorker

    template: dict[str, Any] = ECSWorker.get_default_base_job_template()
    properties = template["variables"]["properties"]
    for name, value in ecs_job_variables(outputs).items():
        properties[name]["default"] = value
    properties["aws_credentials"]["default"] = {"$ref": {"block_document_id": credentials_id}}
    return template


def ensure_work_pool(outputs: Mapping[str, Any], pool_type: str) -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate, WorkPoolUpdate
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        credentials = client.read_block_document_by_name(
            PUSH_POOL_CREDENTIALS_BLOCK, "aws-credentials", include_secrets=False
        )
        template = pool_base_job_template(outputs, str(credentials.id))
        try:
            pool = client.read_work_pool(settings.WORK_POOL_NAME)
        except ObjectNotFound:
            client.create_work_pool(
                WorkPoolCreate(
                    name=settings.WORK_POOL_NAME, type=pool_type, base_job_template=template
                )
            )
            return "created"
        if pool.type != pool_type:
            raise BadInput(
                f"work pool '{settings.WORK_POOL_NAME}' exists with type {pool.type}, not "
                f"{pool_type}: delete it (deploy --destroy) and deploy again"
            )
        if pool.base_job_template == template:
            return "unchanged"
        client.update_work_pool(settings.WORK_POOL_NAME, WorkPoolUpdate(base_job_template=template))
        return "updated"


def delete_work_pool() -> str:
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.delete_work_pool(settings.WORK_POOL_NAME)
        except ObjectNotFound:
            return "absent"
    return "deleted"
