"""The Prefect API key of flow runs, kept in the stack's Secrets Manager secret.

ECS reads it from there into the flow's container as PREFECT_API_KEY (the job variable
`prefect_api_key_secret_arn`). deploy copies it from its own environment: the repository secret
PREFECT_API_KEY in the workflow. To rotate the key, change that secret and deploy again.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ..core.errors import BadInput


def store_prefect_api_key(outputs: Mapping[str, Any]) -> str:
    import boto3
    from botocore.exceptions import NoCredentialsError

    key = os.environ.get("PREFECT_API_KEY")
    if not key:
        raise BadInput("PREFECT_API_KEY is unset: deploy puts it where flow runs read it")
    secrets = boto3.client("secretsmanager", region_name=outputs["aws_region"])
    arn = outputs["prefect_api_key_secret_arn"]
    try:
        stored = secrets.get_secret_value(SecretId=arn)["SecretString"]
    except secrets.exceptions.ResourceNotFoundException:
        stored = None  # the secret has no value yet: the first deploy
    except NoCredentialsError:
        raise BadInput(
            "no AWS credentials: deploy puts PREFECT_API_KEY into the stack's secret, so run it "
            "with the stack's AWS credentials (AWS_PROFILE, or the workflow's role)"
        ) from None
    if stored == key:
        return "unchanged"
    secrets.put_secret_value(SecretId=arn, SecretString=key)
    return "stored"
