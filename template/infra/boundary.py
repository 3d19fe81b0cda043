"""The permissions boundary: the most any role or user of this stack may ever do.

Every IAM principal the stack makes carries it (the deploy role too), and it makes them keep it:
whoever can change a policy of this project (a writer of the repository, through the deploy role)
can give a principal no more than this, which reaches this project's resources only.

A boundary grants nothing by itself: a principal may do what its own policies allow *and* the
boundary allows. So its statements are wide per service (`ecr:*`), narrow per resource; the
grants stay least-privilege (tests/policy_rules.py checks both).
The bootstrap creates it from a laptop; it is protected, and the deploy role may not change it.
"""

import json

import pulumi
import pulumi_aws as aws

from infra.arns import ProjectArns
from infra.tags import tags

# Actions AWS authorises on "*" only, that some principal of the stack needs.
UNSCOPED_ACTIONS = (
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeNetworkAcls",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeRouteTables",
    "ec2:DescribeSecurityGroupRules",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcAttribute",
    "ec2:DescribeVpcs",
    "ecr:GetAuthorizationToken",
    "ecs:CreateCluster",
    "ecs:DescribeTaskDefinition",
    "ecs:RegisterTaskDefinition",
    "logs:DescribeLogGroups",
)
# With the AWS receiver: Pulumi reads the forward URL parameter's metadata through the first;
# an alert subscription has no resource type of its own, so reading and removing one take "*".
RECEIVER_UNSCOPED_ACTIONS = (
    "ssm:DescribeParameters",
    "sns:GetSubscriptionAttributes",
    "sns:Unsubscribe",
)

# The actions that take the condition key iam:PermissionsBoundary: with it, a new or changed
# principal must carry this boundary (AWS's list; the Delete*PermissionsBoundary pair is denied).
BOUNDARY_CONDITIONED_ACTIONS = (
    "iam:AttachRolePolicy",
    "iam:AttachUserPolicy",
    "iam:CreateRole",
    "iam:CreateUser",
    "iam:DeleteRolePolicy",
    "iam:DeleteUserPolicy",
    "iam:DetachRolePolicy",
    "iam:DetachUserPolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:PutUserPermissionsBoundary",
    "iam:PutUserPolicy",
)
LIFT_BOUNDARY_ACTIONS = ("iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary")
# A boundary limits principals, not what a resource policy grants to others: these would share a
# project resource with another account (or the world), so nobody bounded may call them.
SHARE_OUTSIDE_ACTIONS = (
    "ecr:SetRepositoryPolicy",
    "logs:CreateExportTask",
    "logs:PutSubscriptionFilter",
    "s3:PutBucketAcl",
    "s3:PutBucketPolicy",
    "s3:PutObjectAcl",
    "s3:PutReplicationConfiguration",
    "secretsmanager:PutResourcePolicy",
    "secretsmanager:ReplicateSecretToRegions",
)
RECEIVER_SHARE_OUTSIDE_ACTIONS = ("sns:AddPermission", "ssm:PutResourcePolicy")
# `glue:*` on the history's database reaches the account's Data Catalog too, as AWS authorises
# every call on a database or table on the catalog as well. What acts on the catalog itself (its
# resource policy, which would share it outside, its encryption, other catalogs) nobody bounded
# may call: patterns, as a deny's wildcard only takes away.
ACCOUNT_CATALOG_ACTIONS = ("glue:*Catalog*", "glue:*ResourcePolicy")
# Who the receiver function may be permitted to: everyone (the public URL's two permissions) and
# EventBridge (the scheduled replay's rule, `lambda:Principal` is the service).
FUNCTION_PRINCIPALS = ["*", "events.amazonaws.com"]
# The network types that a new resource of this project may be, and how it is made.
NETWORK_CREATE_ACTIONS = (
    "ec2:CreateInternetGateway",
    "ec2:CreateRouteTable",
    "ec2:CreateSecurityGroup",
    "ec2:CreateSubnet",
    "ec2:CreateVpc",
)
# The values of ec2:CreateAction are API names without the service prefix ("CreateVpc").
NETWORK_CREATE_API_NAMES = tuple(a.removeprefix("ec2:") for a in NETWORK_CREATE_ACTIONS)
# Read-only on what guards the project: the deploy role, its policies and the boundary.
READ_GUARDS_ACTIONS = (
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListPolicyVersions",
    "iam:ListRolePolicies",
)
CHANGE_POLICY_ACTIONS = (
    "iam:CreatePolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion",
)


PULUMI_STATE_OBJECT_ACTIONS = ("s3:DeleteObject", "s3:GetObject", "s3:PutObject")


def pulumi_state_arns(state_bucket: str) -> list[str]:
    """The state bucket, and the objects Pulumi keeps in it."""
    return [f"arn:aws:s3:::{state_bucket}", f"arn:aws:s3:::{state_bucket}/.pulumi/*"]


def pulumi_state_statements(state_bucket: str) -> list[dict[str, object]]:
    """The Pulumi state in its S3 bucket: granted to the deploy role and allowed by the boundary."""
    bucket, objects = pulumi_state_arns(state_bucket)
    return [
        {"Sid": "ListPulumiState", "Action": "s3:ListBucket", "Resource": bucket},
        {
            "Sid": "ReadWritePulumiState",
            "Action": list(PULUMI_STATE_OBJECT_ACTIONS),
            "Resource": objects,
        },
    ]


def boundary_document(
    arns: ProjectArns, task_family: str, state_bucket: str | None, receiver: bool = False
) -> str:
    """The boundary as JSON. IAM caps a managed policy at 6,144 characters (whitespace not
    counted), so the statements that share a condition are one statement: an action only ever
    matches its own service's ARNs (and an IAM or Glue action its own resource type's), so
    `ecr:*` next to a log group's ARN reaches nothing more. For the same reason the statements
    carry no `Sid`: the comments here name them."""

    def statement(
        effect: str, action: str | list[str], resource: str | list[str], **condition: object
    ) -> dict[str, object]:
        made = {"Effect": effect, "Action": action, "Resource": resource}
        return made | ({"Condition": condition} if condition else {})

    def allow(
        action: str | list[str], resource: str | list[str], **condition: object
    ) -> dict[str, object]:
        return statement("Allow", action, resource, **condition)

    def deny(
        action: str | list[str], resource: str | list[str], **condition: object
    ) -> dict[str, object]:
        return statement("Deny", action, resource, **condition)

    project_tag = {"aws:ResourceTag/project": arns.prefix}
    new_project_tag = {"aws:RequestTag/project": arns.prefix}
    unscoped = list(UNSCOPED_ACTIONS)
    services = ["ecr:*", "ecs:*", "glue:*", "iam:*", "logs:*", "secretsmanager:*"]
    resources = [
        arns.repository,
        arns.cluster,
        arns.tasks,
        arns.task_definitions(task_family),
        *arns.task_roles,
        arns.push_pool_user,
        arns.push_pool_policy,
        arns.log_group,
        arns.prefect_api_key,
        # The history's database, its tables, and the account's Data Catalog they are in.
        *arns.history_catalog,
    ]
    # A bucket's pattern ends in `*`, which also matches its objects (`<bucket>/<key>`).
    buckets = [arns.results_bucket[0]]
    shared = list(SHARE_OUTSIDE_ACTIONS)
    if receiver:
        unscoped += RECEIVER_UNSCOPED_ACTIONS
        services += ["lambda:*", "ssm:*", "cloudwatch:*", "events:*", "sns:*"]
        resources += [
            arns.receiver_role,
            # Its function, log group and alarms, in one pattern.
            arns.receiver_resources,
            arns.forward_url_parameter,
            arns.replay_rule,
            arns.alert_topic,
        ]
        buckets.append(arns.inbox_bucket[0])
        shared += RECEIVER_SHARE_OUTSIDE_ACTIONS
    statements: list[dict[str, object]] = [
        # Unscoped: what AWS authorises on "*" only.
        allow(sorted(unscoped), "*"),
        # Project: its resources, per service.
        allow(services, resources),
        # Buckets: names are global, so the bucket must also be in this account.
        allow("s3:*", buckets, StringEquals={"s3:ResourceAccount": arns.account_id}),
        # Network: EC2 has no names, the project tag is the scope, so one pattern per statement
        # (`arns.ec2`), not the five network types. Bounded principals can tag only what the
        # five create calls make (TagNewNetwork), and those make only network resources: no
        # other type carries the tag unless an administrator puts it there.
        allow("ec2:*", arns.ec2, StringEquals=project_tag),
        # NewNetwork: tagged as it is made; a tag alone never makes a resource the project's.
        allow(list(NETWORK_CREATE_ACTIONS), arns.ec2, StringEquals=new_project_tag),
        # TagNewNetwork.
        allow(
            "ec2:CreateTags",
            arns.ec2,
            StringEquals={**new_project_tag, "ec2:CreateAction": list(NETWORK_CREATE_API_NAMES)},
        ),
        # ReadGuards: what guards the project, and GitHub's OIDC provider, which every project
        # of the account that deploys from GitHub shares; read only.
        allow(
            [*READ_GUARDS_ACTIONS, "iam:GetOpenIDConnectProvider"],
            [arns.deploy_role, arns.deploy_policies, arns.boundary, arns.github_oidc_provider],
        ),
    ]
    if state_bucket:
        # PulumiState: s3:ListBucket matches only the bucket's ARN, the others only objects'.
        state_actions = ["s3:ListBucket", *PULUMI_STATE_OBJECT_ACTIONS]
        statements.append(allow(state_actions, pulumi_state_arns(state_bucket)))
    keeps_this_boundary = {"iam:PermissionsBoundary": arns.boundary}
    statements += [
        # NewAndChangedPrincipalsKeepThisBoundary.
        deny(list(BOUNDARY_CONDITIONED_ACTIONS), "*", StringNotEquals=keeps_this_boundary),
        # NoBoundaryIsLiftedNothingIsSharedOutside: no principal gets out of it, no resource
        # policy grants another account (a boundary limits principals, not what those grant),
        # and the account's Data Catalog stays as it is.
        deny([*LIFT_BOUNDARY_ACTIONS, *shared, *ACCOUNT_CATALOG_ACTIONS], "*"),
        # ThisBoundaryStaysAsItIs.
        deny(list(CHANGE_POLICY_ACTIONS), arns.boundary),
    ]
    if receiver:
        # NoFunctionIsSharedWithOthers: pulumi up adds the public URL's two permissions, for
        # Principal `*`, and the schedule's, for EventBridge; any other principal (an account,
        # another service) would share the function outside. AWS offers no key for the granted
        # action or the source ARN, so a `*` or EventBridge grant stays possible: it reaches no
        # data, as the function keeps none (pushes are in S3, which no bounded principal can
        # share). The URL configs need no deny: the auth type only chooses public or
        # IAM-checked, and who else may call is this resource policy.
        principals = {"lambda:Principal": FUNCTION_PRINCIPALS}
        statements.append(deny("lambda:AddPermission", "*", StringNotEquals=principals))
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def create_boundary(
    arns: ProjectArns, task_family: str, state_bucket: str | None, receiver: bool = False
) -> aws.iam.Policy:
    name = arns.boundary_name
    return aws.iam.Policy(
        name,
        name=name,
        description=f"The most any role or user of {arns.prefix} may do: its own resources",
        policy=boundary_document(arns, task_family, state_bucket, receiver),
        tags=tags(name),
        # `pulumi destroy --exclude-protected` (the workflow's) leaves it; a laptop removes it.
        opts=pulumi.ResourceOptions(protect=True),
    )
