"""Who may do what: the two roles of a flow-run task and the identity of the ECS push work pool.

- execution role: what ECS itself needs to start the task (pull this image, write this log group);
- task role: what the flow's code may do (read and write the results and history prefixes of the
  bucket, and read the pushes the receiver kept in the inbox bucket, when there is one);
- push pool user: what Prefect Cloud needs to start, watch and stop flow-run tasks in this cluster.
  Push pools authenticate with an access key (an AwsCredentials block), so this is an IAM user.
  Pulumi creates its key and exports the secret half as a secret output: it is stored encrypted in
  the stack state and only shown by `pulumi stack output --show-secrets`.

Each of them carries the permissions boundary (boundary.py).
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from infra.cluster import Cluster
from infra.storage import HISTORY_PREFIX, INBOX_PREFIX, RESULTS_PREFIX
from infra.tags import tags

ECS_TASKS_SERVICE = "ecs-tasks.amazonaws.com"


def policy_document(*statements: Mapping[str, Any]) -> pulumi.Output[str]:
    """An IAM policy as JSON; statements may hold Outputs (ARNs not known before deployment)."""
    return pulumi.Output.json_dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **s} for s in statements]}
    )


def service_trust(service: str, account_id: str) -> str:
    """Only this AWS service, acting for this account, may assume the role (no confused deputy)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                }
            ],
        }
    )


def ecs_tasks_trust(account_id: str) -> str:
    return service_trust(ECS_TASKS_SERVICE, account_id)


@dataclass(frozen=True)
class TaskRoles:
    execution: aws.iam.Role
    task: aws.iam.Role


def create_task_roles(
    prefix: str,
    account_id: str,
    repository: aws.ecr.Repository,
    log_group: aws.cloudwatch.LogGroup,
    bucket: aws.s3.Bucket,
    api_key: aws.secretsmanager.Secret,
    boundary: aws.iam.Policy,
    inbox: aws.s3.Bucket | None = None,
) -> TaskRoles:
    execution = aws.iam.Role(
        f"{prefix}-execution",
        description="ECS starts flow-run tasks with it: pulls the image, writes the logs",
        assume_role_policy=ecs_tasks_trust(account_id),
        permissions_boundary=boundary.arn,
        tags=tags(f"{prefix}-execution"),
    )
    aws.iam.RolePolicy(
        f"{prefix}-execution",
        role=execution.id,
        policy=policy_document(
            # Registry login: AWS offers no resource to scope it to.
            {"Sid": "EcrLogin", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {
                "Sid": "PullFlowImage",
                "Action": [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                ],
                "Resource": repository.arn,
            },
            {
                "Sid": "WriteFlowRunLogs",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": pulumi.Output.concat(log_group.arn, ":*"),
            },
            # ECS reads it into the container's PREFECT_API_KEY (`secrets`, not `environment`).
            {
                "Sid": "ReadPrefectApiKey",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": api_key.arn,
            },
        ),
    )

    task = aws.iam.Role(
        f"{prefix}-task",
        description="The flow's code runs with it: reads and writes its results and history",
        assume_role_policy=ecs_tasks_trust(account_id),
        permissions_boundary=boundary.arn,
        tags=tags(f"{prefix}-task"),
    )
    # The history store (contract 9) is read too: a newsletter compares with earlier versions.
    prefixes = (RESULTS_PREFIX, HISTORY_PREFIX)
    task_grants: list[Mapping[str, Any]] = [
        {
            "Sid": "ReadWriteResultsAndHistory",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": [pulumi.Output.concat(bucket.arn, f"/{p}*") for p in prefixes],
        },
        {
            "Sid": "ListResultsAndHistory",
            "Action": "s3:ListBucket",
            "Resource": bucket.arn,
            "Condition": {"StringLike": {"s3:prefix": [f"{p}*" for p in prefixes]}},
        },
    ]
    if inbox is not None:
        # The flow run gets the push by reference: it reads the body the receiver kept, no more.
        task_grants.append(
            {
                "Sid": "ReadKeptPushes",
                "Action": "s3:GetObject",
                "Resource": pulumi.Output.concat(inbox.arn, f"/{INBOX_PREFIX}*"),
            }
        )
    aws.iam.RolePolicy(f"{prefix}-task", role=task.id, policy=policy_document(*task_grants))
    return TaskRoles(execution=execution, task=task)


@dataclass(frozen=True)
class PushPoolIdentity:
    user: aws.iam.User
    # The key of the newest generation: the one deploy saves in the AwsCredentials block.
    access_key_id: pulumi.Output[str]
    # Marked secret here too (the provider does it in a real deployment, not under test mocks).
    secret_access_key: pulumi.Output[str]


def key_generations(configured: object) -> list[int]:
    """The push pool's access keys, by generation (config `pushPoolKeys`, default [1]).

    Rotation in three steps, each a `pulumi up` or a deploy (docs/security.md): add the next
    generation ([1, 2]: a second key, and the outputs name it), deploy (the block switches to it;
    runs started with the first key keep working), drop the old one ([2]: its key is deleted).
    """
    generations = configured if configured is not None else [1]
    if (
        not isinstance(generations, list)
        or not 1 <= len(generations) <= 2
        or not all(isinstance(g, int) and not isinstance(g, bool) and g > 0 for g in generations)
        or len(set(generations)) != len(generations)
    ):
        raise ValueError(
            f"pushPoolKeys must list one or two distinct positive whole numbers (IAM allows two "
            f"keys per user), such as [1] or [1, 2]; got {generations!r}"
        )
    return sorted(generations)


def create_push_pool_identity(
    prefix: str,
    region: str,
    account_id: str,
    cluster: Cluster,
    roles: TaskRoles,
    boundary: aws.iam.Policy,
    generations: list[int],
) -> PushPoolIdentity:
    """The calls prefect-aws's ECS worker makes for a flow run, and nothing more.

    Not granted: ecs:DeregisterTaskDefinition (auto-deregistration stays off; the job variables
    reuse the latest revision of one family instead), logs:CreateLogGroup (the group exists),
    ec2:Create* and ecs:CreateCluster (Pulumi creates the network and the cluster).
    """
    ecs_arn = f"arn:aws:ecs:{region}:{account_id}"
    cluster_tasks = pulumi.Output.concat(ecs_arn, ":task/", cluster.cluster.name, "/*")
    user = aws.iam.User(
        f"{prefix}-push-pool", permissions_boundary=boundary.arn, tags=tags(f"{prefix}-push-pool")
    )
    policy = aws.iam.Policy(
        f"{prefix}-push-pool",
        description="Prefect Cloud ECS push work pool: run flow-run tasks in one cluster",
        policy=policy_document(
            # AWS has no resource type for these two: they only accept "*".
            {
                "Sid": "TaskDefinitions",
                "Action": ["ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition"],
                "Resource": "*",
            },
            # The worker checks the subnets belong to the VPC; EC2 Describe* calls only take "*".
            {
                "Sid": "ReadNetwork",
                "Action": ["ec2:DescribeSubnets", "ec2:DescribeVpcs"],
                "Resource": "*",
            },
            {
                "Sid": "RunFlowTasksInThisCluster",
                "Action": "ecs:RunTask",
                "Resource": f"{ecs_arn}:task-definition/{cluster.task_family}:*",
                "Condition": {"ArnEquals": {"ecs:cluster": cluster.cluster.arn}},
            },
            {
                "Sid": "WatchAndStopFlowTasks",
                "Action": ["ecs:DescribeTasks", "ecs:StopTask"],
                "Resource": cluster_tasks,
            },
            # RunTask with tags (the flow-run labels) needs TagResource on the new task.
            {
                "Sid": "TagFlowTasksAtLaunch",
                "Action": "ecs:TagResource",
                "Resource": cluster_tasks,
                "Condition": {"StringEquals": {"ecs:CreateAction": "RunTask"}},
            },
            {
                "Sid": "ReadFlowRunLogs",
                "Action": "logs:GetLogEvents",
                "Resource": pulumi.Output.concat(cluster.log_group.arn, ":log-stream:*"),
            },
            {
                "Sid": "PassTaskRoles",
                "Action": "iam:PassRole",
                "Resource": [roles.execution.arn, roles.task.arn],
                "Condition": {"StringEquals": {"iam:PassedToService": ECS_TASKS_SERVICE}},
            },
        ),
        tags=tags(f"{prefix}-push-pool"),
    )
    aws.iam.UserPolicyAttachment(f"{prefix}-push-pool", user=user.name, policy_arn=policy.arn)
    keys = [
        aws.iam.AccessKey(
            f"{prefix}-push-pool-key-{generation}",
            user=user.name,
            # The first generation is the key that stacks made before rotation existed.
            opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(name=f"{prefix}-push-pool")])
            if generation == 1
            else None,
        )
        for generation in generations
    ]
    newest = keys[-1]
    secret: pulumi.Output[str] = pulumi.Output.secret(newest.secret)
    return PushPoolIdentity(user=user, access_key_id=newest.id, secret_access_key=secret)
