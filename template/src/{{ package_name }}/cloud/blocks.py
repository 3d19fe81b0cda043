"""The Prefect blocks and the Variable that deploy saves: credentials, results, SMTP, recipients.

Secrets come from the environment (SMTP_USERNAME, SMTP_PASSWORD, ENTSOE_API_KEY) or from the
stack outputs (the push pool's access key), never from a file in the repository.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from .. import settings
from ..adapters import delivery, rest_api

PUSH_POOL_CREDENTIALS_BLOCK = f"{settings.PROJECT_SLUG}-push-pool"
RESULTS_BLOCK = f"{settings.PROJECT_SLUG}-results"
ENTSOE_SECRET_BLOCK = rest_api.API_KEY_BLOCK  # the flow reads the key from it
# The flow's persisted delivery records (its exactly-once memory) go to the results bucket.
RESULT_STORAGE_ENV = "PREFECT_DEFAULT_RESULT_STORAGE_BLOCK"
RESULT_STORAGE = f"s3-bucket/{RESULTS_BLOCK}"
SMTP_TYPES = {"starttls": "STARTTLS", "ssl": "SSL", "insecure": "INSECURE"}


def save_push_pool_credentials(outputs: Mapping[str, Any]) -> str:
    from prefect_aws import AwsCredentials

    AwsCredentials(
        aws_access_key_id=outputs["push_pool_access_key_id"],
        aws_secret_access_key=outputs["push_pool_secret_access_key"],
        region_name=outputs["aws_region"],
    ).save(PUSH_POOL_CREDENTIALS_BLOCK, overwrite=True)
    return "saved"


def save_results_block(outputs: Mapping[str, Any]) -> str:
    from prefect_aws import AwsCredentials, S3Bucket

    # No key: in the flow-run task, boto3 takes the task role, which may use this prefix only.
    S3Bucket(
        bucket_name=outputs["results_bucket_name"],
        bucket_folder=outputs["results_prefix"],
        credentials=AwsCredentials(region_name=outputs["aws_region"]),
    ).save(RESULTS_BLOCK, overwrite=True)
    return "saved"


def save_email_block() -> str:
    from prefect_email import EmailServerCredentials

    username, password = os.environ.get("SMTP_USERNAME"), os.environ.get("SMTP_PASSWORD")
    login: dict[str, Any] = {"username": username, "password": password}
    outcome = "saved with the user and password from the environment"
    if not (username and password):
        try:
            # Keep a login set before (in the UI, or by an earlier run with the secrets).
            saved = EmailServerCredentials.load(delivery.EMAIL_BLOCK, validate=False)
            login = {"username": saved.username, "password": saved.password}
            outcome = "saved; SMTP_USERNAME or SMTP_PASSWORD unset, the saved login is kept"
        except ValueError:
            login = {}
            outcome = "saved without a login: SMTP_USERNAME or SMTP_PASSWORD unset"
    EmailServerCredentials(
        smtp_server=settings.SMTP_HOST,
        smtp_port=settings.SMTP_PORT,
        smtp_type=SMTP_TYPES[settings.SMTP_SECURITY],
        **login,
    ).save(delivery.EMAIL_BLOCK, overwrite=True)
    return outcome


def save_entsoe_secret() -> str:
    from prefect.blocks.system import Secret
    from pydantic import SecretStr

    key = os.environ.get("ENTSOE_API_KEY")
    if not key:
        return "skipped: ENTSOE_API_KEY unset"
    Secret(value=SecretStr(key)).save(ENTSOE_SECRET_BLOCK, overwrite=True)
    return "saved"


def seed_recipients() -> str:
    """The newsletter's and the alerts' recipients, each Variable unless it exists."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import VariableCreate

    outcomes = []
    with get_client(sync_client=True) as client:
        for name, answered in (
            (delivery.RECIPIENTS_VARIABLE, settings.RECIPIENTS),
            (delivery.ALERT_RECIPIENTS_VARIABLE, settings.ALERT_RECIPIENTS),
        ):
            if client.read_variable_by_name(name) is not None:
                outcomes.append(f"kept {name}: it exists (edit it in Prefect, not here)")
                continue
            client.create_variable(VariableCreate(name=name, value=list(answered)))
            outcomes.append(f"created {name}")
    return "; ".join(outcomes)


def delete_stack_blocks() -> str:
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    deleted = 0
    with get_client(sync_client=True) as client:
        for name, kind in [
            (PUSH_POOL_CREDENTIALS_BLOCK, "aws-credentials"),
            (RESULTS_BLOCK, "s3-bucket"),
        ]:
            try:
                block = client.read_block_document_by_name(name, kind, include_secrets=False)
            except ObjectNotFound:
                continue
            client.delete_block_document(block.id)
            deleted += 1
    return f"{deleted} deleted"
