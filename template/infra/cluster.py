"""The ECS cluster flow runs start in (Fargate only: no instance runs while idle) and its logs."""

import re
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.tags import tags


@dataclass(frozen=True)
class Cluster:
    cluster: aws.ecs.Cluster
    log_group: aws.cloudwatch.LogGroup
    # The task definition family the push pool registers; its permissions are scoped to it.
    task_family: str


def create_cluster(prefix: str, log_retention_days: int) -> Cluster:
    cluster = aws.ecs.Cluster(
        f"{prefix}-cluster",
        settings=[{"name": "containerInsights", "value": "enabled"}],
        tags=tags(f"{prefix}-cluster"),
    )
    aws.ecs.ClusterCapacityProviders(
        f"{prefix}-capacity",
        cluster_name=cluster.name,
        capacity_providers=["FARGATE", "FARGATE_SPOT"],
        default_capacity_provider_strategies=[{"capacity_provider": "FARGATE", "weight": 1}],
    )
    log_group = aws.cloudwatch.LogGroup(
        f"{prefix}-flow-runs",
        retention_in_days=log_retention_days,
        tags=tags(f"{prefix}-flow-runs"),
    )
    # Family names allow letters, digits, '-' and '_'; stack names may also hold '.'.
    family = re.sub(r"[^A-Za-z0-9_-]", "-", f"{prefix}-{pulumi.get_stack()}")
    return Cluster(cluster=cluster, log_group=log_group, task_family=family)
