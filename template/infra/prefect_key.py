"""The Secrets Manager secret that holds the Prefect API key of flow runs.

ECS hands it to the flow's container as PREFECT_API_KEY (prefect-aws's job variable
`prefect_api_key_secret_arn`), so the key is not in the task definition or in RunTask's overrides,
where anyone allowed `ecs:DescribeTasks` could read it. Pulumi makes the empty secret; `deploy`
puts the key in it (from the PREFECT_API_KEY secret of the repository), so the key never enters
the Pulumi state.
"""

import pulumi_aws as aws

from infra.tags import tags


def create_prefect_api_key_secret(prefix: str) -> aws.secretsmanager.Secret:
    return aws.secretsmanager.Secret(
        f"{prefix}-prefect-api-key",
        description=f"Prefect API key of {prefix}'s flow runs; deploy writes it",
        # Gone at once on `pulumi destroy`: it is a copy of a repository secret, nothing is lost.
        recovery_window_in_days=0,
        tags=tags(f"{prefix}-prefect-api-key"),
    )
