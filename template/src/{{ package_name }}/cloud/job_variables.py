"""The ECS push work pool's job variables, built from the Pulumi stack outputs.

The deploy step reads the outputs (`pulumi stack output --json --show-secrets`) and passes them
here. AWS credentials are not a job variable built here: the deploy step saves the push_pool_*
outputs in an AwsCredentials block and references that block.
"""

from collections.abc import Mapping
from typing import Any

from .. import settings

# What infra/__main__.py exports (the OIDC variant adds `deploy_role_arn`); a test checks it.
STACK_OUTPUTS: tuple[str, ...] = (
    "aws_region",
    "vpc_id",
    "subnet_ids",
    "security_group_id",
    "cluster_name",
    "cluster_arn",
    "task_family",
    "log_group_name",
    "image_repository_url",
    "execution_role_arn",
    "task_role_arn",
    "results_bucket_name",
    "results_prefix",
    "push_pool_user_name",
    "push_pool_user_arn",
    "push_pool_access_key_id",
    "push_pool_secret_access_key",
    "prefect_api_key_secret_arn",
    "permissions_boundary_arn",
)
# What it also exports with the AWS receiver (answer `push_endpoint` = aws); a test checks it.
RECEIVER_OUTPUTS: tuple[str, ...] = (
    "receiver_url",
    "receiver_function_name",
    "inbox_bucket_name",
    "forward_url_parameter_name",
)
# What deploy reads: all of it for this project's answers.
DEPLOY_OUTPUTS = STACK_OUTPUTS + (RECEIVER_OUTPUTS if settings.PUSH_ENDPOINT == "aws" else ())

# Where the flow finds its results bucket at run time.
RESULTS_BUCKET_ENV = "PIPELINE_RESULTS_BUCKET"
RESULTS_PREFIX_ENV = "PIPELINE_RESULTS_PREFIX"


def ecs_job_variables(outputs: Mapping[str, Any], image_tag: str = "latest") -> dict[str, Any]:
    """Job variables for prefect-aws's ECS worker (`ECSVariables`), from the stack outputs."""
    missing = sorted(set(STACK_OUTPUTS) - outputs.keys())
    if missing:
        raise KeyError(f"Stack outputs missing: {', '.join(missing)}")
    region = outputs["aws_region"]
    return {
        "cluster": outputs["cluster_arn"],
        "launch_type": "FARGATE",
        "vpc_id": outputs["vpc_id"],
        # Public subnets and a public IP instead of a NAT gateway that costs while idle.
        "network_configuration": {
            "subnets": list(outputs["subnet_ids"]),
            "securityGroups": [outputs["security_group_id"]],
            "assignPublicIp": "ENABLED",
        },
        "image": f"{outputs['image_repository_url']}:{image_tag}",
        "cpu": settings.ECS_CPU,
        "memory": settings.ECS_MEMORY,
        "execution_role_arn": outputs["execution_role_arn"],
        "task_role_arn": outputs["task_role_arn"],
        # ECS puts the key into the container from Secrets Manager: not in the task definition's
        # environment or RunTask's overrides, where ecs:DescribeTasks would show it.
        "prefect_api_key_secret_arn": outputs["prefect_api_key_secret_arn"],
        # One family, reused while unchanged: the push pool may only run this family's tasks.
        "family": outputs["task_family"],
        "match_latest_revision_in_family": True,
        "configure_cloudwatch_logs": True,
        "cloudwatch_logs_options": {
            "awslogs-group": outputs["log_group_name"],
            "awslogs-region": region,
            # The group exists (with its retention); the execution role may not create groups.
            "awslogs-create-group": "false",
        },
        "env": {
            "AWS_DEFAULT_REGION": region,
            RESULTS_BUCKET_ENV: outputs["results_bucket_name"],
            RESULTS_PREFIX_ENV: outputs["results_prefix"],
            # The history store (contract 9): the task role may write there too.
            settings.HISTORY_ENV: f"s3://{outputs['results_bucket_name']}/history",
        },
    }
