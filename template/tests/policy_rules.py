"""Rules every resource of the Pulumi program must follow.

A rule takes one registered resource and returns its violations as sentences; a stack rule takes
all of them and the ARNs of the permissions boundaries. The infra tests run every rule over every
resource, so a new resource is checked without writing a new test.
Inputs are as Pulumi's engine sees them: camelCase names, policies as JSON strings.

A permissions boundary grants nothing: it is the most its principals may do. Its statements may
name a whole service (`ecr:*`) on the project's resources; grants (every other policy) may not.
"""

import fnmatch
import importlib
import inspect
import json
import keyword
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any


@dataclass(frozen=True)
class Registered:
    type: str
    name: str
    inputs: dict[str, Any]
    state: dict[str, Any] = field(default_factory=dict)


# Actions AWS authorises only on "*" (it has no resource type for them): the one exception to
# "every statement names its resources". Keep it short; each entry is a reviewed decision.
UNSCOPED_ACTIONS = frozenset(
    {
        "ecr:GetAuthorizationToken",
        "ecs:CreateCluster",
        "ecs:DescribeTaskDefinition",
        "ecs:RegisterTaskDefinition",
        "logs:DescribeLogGroups",
        "ssm:DescribeParameters",
        # An SNS subscription has no resource type of its own (the alerts' e-mail subscriptions).
        "sns:GetSubscriptionAttributes",
        "sns:Unsubscribe",
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
    }
)

# IAM's size limits (characters without whitespace) per document; beyond them `pulumi up` fails.
POLICY_SIZE_LIMITS = {
    "aws:iam/policy:Policy": 6144,
    "aws:iam/rolePolicy:RolePolicy": 10240,
    "aws:iam/userPolicy:UserPolicy": 2048,
    "aws:iam/role:Role": 2048,  # the trust policy
}

REQUIRED_TAGS = ("project", "stack")
# The services a role may be passed to: the flow-run task roles to ECS, the receiver's to Lambda.
PASS_ROLE_SERVICES = frozenset({"ecs-tasks.amazonaws.com", "lambda.amazonaws.com"})
PRINCIPAL_TYPES = ("aws:iam/role:Role", "aws:iam/user:User")
ATTACHMENT_TYPES = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
)
GRANT_TYPES = (
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/userPolicy:UserPolicy",
)

# AWS's service authorization reference: the IAM actions that take the condition key
# iam:PermissionsBoundary. A grant of one must require the boundary; the boundary denies them
# without it. Kept apart from infra/boundary.py on purpose: the rules check the program against
# AWS's lists, not against its own.
BOUNDARY_CONDITIONED_ACTIONS = frozenset(
    {
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
    }
)
# Never granted, and denied by the boundary: they would lift it.
LIFT_BOUNDARY_ACTIONS = frozenset(
    {"iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary"}
)
# Actions that open a resource to another account (a resource policy, an ACL, a copy kept
# elsewhere). A boundary that allows one must deny it: a boundary limits principals, not what a
# resource policy grants to others. Function URL configs are not here: their auth type chooses
# public or IAM-checked, and who else may call is the function's policy (lambda:AddPermission).
SHARING_ACTIONS = frozenset(
    {
        "ecr:SetRepositoryPolicy",
        # The Data Catalog's resource policy (the account's catalog, with every database in it).
        "glue:PutResourcePolicy",
        "lambda:AddPermission",
        "logs:CreateExportTask",
        "logs:PutSubscriptionFilter",
        "s3:PutBucketAcl",
        "s3:PutBucketPolicy",
        "s3:PutObjectAcl",
        "s3:PutReplicationConfiguration",
        "secretsmanager:PutResourcePolicy",
        "secretsmanager:ReplicateSecretToRegions",
        "sns:AddPermission",
        "ssm:PutResourcePolicy",
    }
)
# The one condition a deny of them may keep: a public Function URL needs AddPermission for `*`,
# and the scheduled replay's rule for EventBridge.
SHARING_DENY_CONDITIONS = {
    "lambda:AddPermission": {
        "StringNotEquals": {"lambda:Principal": ["*", "events.amazonaws.com"]}
    },
}
# Never granted on the boundary itself, and denied there by the boundary.
CHANGE_POLICY_ACTIONS = frozenset(
    {
        "iam:CreatePolicyVersion",
        "iam:DeletePolicy",
        "iam:DeletePolicyVersion",
        "iam:SetDefaultPolicyVersion",
    }
)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def policy_documents(resource: Registered) -> Iterator[tuple[str, dict[str, Any]]]:
    """(input name, document) of every IAM-style policy among the inputs."""
    for key in ("policy", "assumeRolePolicy"):
        text = resource.inputs.get(key)
        if not isinstance(text, str):
            continue
        document = json.loads(text)
        if isinstance(document, dict) and "Statement" in document:
            yield key, document


def statements(resource: Registered, key: str = "policy") -> Iterator[dict[str, Any]]:
    for name, document in policy_documents(resource):
        if name == key:
            yield from as_list(document["Statement"])


def allow_statements(resource: Registered) -> Iterator[dict[str, Any]]:
    return (s for s in statements(resource) if s.get("Effect") == "Allow")


@cache
def accepts_tags(type_token: str) -> bool:
    """Whether the pulumi_aws resource type has a `tags` input (inspected, not listed by hand)."""
    package, module, name = type_token.split(":")
    if package != "aws":
        return False
    namespace = module.split("/")[0]
    # Python keywords get a trailing underscore: the `lambda` module is `pulumi_aws.lambda_`.
    namespace += "_" if keyword.iskeyword(namespace) else ""
    path = "pulumi_aws" if namespace == "index" else f"pulumi_aws.{namespace}"
    args_class = getattr(importlib.import_module(path), f"{name}Args", None)
    return args_class is not None and "tags" in inspect.signature(args_class).parameters


def no_wildcard_actions(resource: Registered) -> list[str]:
    found = []
    for key, document in policy_documents(resource):
        for statement in as_list(document["Statement"]):
            if "NotAction" in statement:
                found.append(f"{resource.name}: {key} uses NotAction")
            for action in as_list(statement.get("Action", [])):
                if "*" in action:
                    found.append(f"{resource.name}: {key} grants wildcard action {action!r}")
    return found


def star_resource_only_for_unscoped_actions(resource: Registered) -> list[str]:
    found = []
    for statement in allow_statements(resource):
        if "NotResource" in statement:
            found.append(f"{resource.name}: statement {statement.get('Sid')} uses NotResource")
        if "*" in as_list(statement.get("Resource", [])):
            scoped = sorted(set(as_list(statement["Action"])) - UNSCOPED_ACTIONS)
            if scoped:
                found.append(f"{resource.name}: Resource '*' for scopable actions {scoped}")
    return found


def pass_role_is_scoped(resource: Registered) -> list[str]:
    """PassRole names its roles (a pattern only after a name: `role/<project>-receiver-*`) and
    the one service they go to."""
    found = []
    for statement in allow_statements(resource):
        if "iam:PassRole" not in as_list(statement["Action"]):
            continue
        for arn in as_list(statement["Resource"]):
            name = arn.partition(":role/")[2]
            if not name or name.startswith("*") or "*" in name.rstrip("*"):
                found.append(f"{resource.name}: iam:PassRole on {arn!r}, not named roles")
        passed_to = statement.get("Condition", {}).get("StringEquals", {})
        if passed_to.get("iam:PassedToService") not in PASS_ROLE_SERVICES:
            found.append(
                f"{resource.name}: iam:PassRole not limited to one of {PASS_ROLE_SERVICES}"
            )
    return found


def trust_is_conditioned(resource: Registered) -> list[str]:
    """Service trust names this account (no confused deputy); federated trust names audience and
    subject (no other repository, branch or token audience)."""
    found = []
    for statement in statements(resource, key="assumeRolePolicy"):
        condition = statement.get("Condition", {}).get("StringEquals", {})
        principal = statement.get("Principal", {})
        if "Service" in principal and "aws:SourceAccount" not in condition:
            found.append(f"{resource.name}: service trust without aws:SourceAccount")
        if "Federated" in principal and not (
            any(k.endswith(":aud") for k in condition)
            and any(k.endswith(":sub") for k in condition)
        ):
            found.append(f"{resource.name}: federated trust without exact aud and sub")
        if "AWS" in principal or principal == "*":
            found.append(f"{resource.name}: trusts AWS principals {principal!r}")
    return found


def taggable_resources_are_tagged(resource: Registered) -> list[str]:
    if not accepts_tags(resource.type):
        return []
    tags = resource.inputs.get("tags") or {}
    missing = [key for key in REQUIRED_TAGS if not tags.get(key)]
    return [f"{resource.name} ({resource.type}): missing tags {missing}"] if missing else []


def nothing_inbound(resource: Registered) -> list[str]:
    if (
        resource.type == "aws:ec2/securityGroup:SecurityGroup"
        and resource.inputs.get("ingress") != []
    ):
        return [f"{resource.name}: security group without an explicit empty ingress"]
    if resource.type == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" or (
        resource.type == "aws:ec2/securityGroupRule:SecurityGroupRule"
        and resource.inputs.get("type") == "ingress"
    ):
        return [f"{resource.name}: inbound security group rule"]
    return []


def policies_fit_size_limits(resource: Registered) -> list[str]:
    limit = POLICY_SIZE_LIMITS.get(resource.type)
    found = []
    for key, document in policy_documents(resource):
        size = len(json.dumps(document, separators=(",", ":")))
        if limit is not None and size > limit:
            found.append(f"{resource.name}: {key} is {size} characters, over IAM's {limit}")
    return found


def grants_require_the_boundary(resource: Registered) -> list[str]:
    """A grant to create or change a principal's policies requires the boundary on it; no grant
    lifts one."""
    found = []
    for statement in allow_statements(resource):
        actions = set(as_list(statement["Action"]))
        if actions & LIFT_BOUNDARY_ACTIONS:
            found.append(f"{resource.name}: grants {sorted(actions & LIFT_BOUNDARY_ACTIONS)}")
        required = statement.get("Condition", {}).get("StringEquals", {})
        if actions & BOUNDARY_CONDITIONED_ACTIONS and "iam:PermissionsBoundary" not in required:
            found.append(
                f"{resource.name}: {sorted(actions & BOUNDARY_CONDITIONED_ACTIONS)} without "
                "the iam:PermissionsBoundary condition"
            )
    return found


def boundary_names_services_not_everything(resource: Registered) -> list[str]:
    """A boundary allows whole services (`ecr:*`) on named resources, never `*`; a deny may name
    a pattern (`glue:*Catalog*`): it only takes away."""
    found = []
    for statement in statements(resource):
        if "NotAction" in statement or "NotResource" in statement:
            found.append(f"{resource.name}: boundary uses NotAction or NotResource")
        if statement.get("Effect") == "Deny":
            continue
        for action in as_list(statement.get("Action", [])):
            service, _, name = action.partition(":")
            if "*" in service or ("*" in name and name != "*"):
                found.append(f"{resource.name}: boundary action {action!r}")
    return found


def boundary_keeps_itself(resource: Registered) -> list[str]:
    """The boundary denies what would remove or change it, and principals without it."""
    own_arn = resource.state.get("arn")
    denies = [s for s in statements(resource) if s.get("Effect") == "Deny"]

    def denied(actions: frozenset[str], resource_arn: str, condition: Any = None) -> bool:
        return any(
            actions <= set(as_list(s["Action"]))
            and any(fnmatch.fnmatchcase(resource_arn, r) for r in as_list(s["Resource"]))
            and s.get("Condition") == condition
            for s in denies
        )

    keeps = {"StringNotEquals": {"iam:PermissionsBoundary": own_arn}}
    found = []
    if not denied(BOUNDARY_CONDITIONED_ACTIONS, "arn:aws:iam::0:role/any", keeps):
        found.append(f"{resource.name}: principals may be made or changed without it")
    if not denied(LIFT_BOUNDARY_ACTIONS, "arn:aws:iam::0:user/any"):
        found.append(f"{resource.name}: it may be lifted")
    if not denied(CHANGE_POLICY_ACTIONS, str(own_arn)):
        found.append(f"{resource.name}: it may be changed or deleted")
    return found


def boundary_shares_nothing_outside(resource: Registered) -> list[str]:
    """Every sharing action the boundary allows, it denies on `*` (with no condition but the one
    the public Function URL needs)."""
    allowed = [a for s in allow_statements(resource) for a in as_list(s["Action"])]
    denies = [
        s
        for s in statements(resource)
        if s.get("Effect") == "Deny" and "*" in as_list(s.get("Resource", []))
    ]

    def denied(action: str) -> bool:
        return any(
            any(fnmatch.fnmatchcase(action, a) for a in as_list(s["Action"]))
            and s.get("Condition") in (None, SHARING_DENY_CONDITIONS.get(action))
            for s in denies
        )

    return [
        f"{resource.name}: {action} is allowed and not denied: it would share outside"
        for action in sorted(SHARING_ACTIONS)
        if any(fnmatch.fnmatchcase(action, a) for a in allowed) and not denied(action)
    ]


RULES: tuple[Callable[[Registered], list[str]], ...] = (
    no_wildcard_actions,
    star_resource_only_for_unscoped_actions,
    pass_role_is_scoped,
    trust_is_conditioned,
    taggable_resources_are_tagged,
    nothing_inbound,
    policies_fit_size_limits,
    grants_require_the_boundary,
)
# For boundaries instead: no_wildcard_actions and the grant rules do not apply to a ceiling.
BOUNDARY_RULES: tuple[Callable[[Registered], list[str]], ...] = (
    boundary_names_services_not_everything,
    star_resource_only_for_unscoped_actions,
    taggable_resources_are_tagged,
    policies_fit_size_limits,
    boundary_keeps_itself,
    boundary_shares_nothing_outside,
)


def every_principal_carries_a_boundary(
    resources: list[Registered], boundaries: set[str]
) -> list[str]:
    return [
        f"{r.name}: no permissions boundary"
        for r in resources
        if r.type in PRINCIPAL_TYPES and r.inputs.get("permissionsBoundary") not in boundaries
    ]


def boundaries_are_never_granted(resources: list[Registered], boundaries: set[str]) -> list[str]:
    """A boundary attached as a policy would grant its wide statements."""
    return [
        f"{r.name}: attaches the boundary as a policy"
        for r in resources
        if r.type in ATTACHMENT_TYPES and r.inputs.get("policyArn") in boundaries
    ]


def grants_spare_the_boundaries(resources: list[Registered], boundaries: set[str]) -> list[str]:
    found = []
    for resource in resources:
        for statement in allow_statements(resource):
            changes = set(as_list(statement["Action"])) & CHANGE_POLICY_ACTIONS
            for pattern in as_list(statement.get("Resource", [])):
                hit = [arn for arn in boundaries if fnmatch.fnmatchcase(arn, pattern)]
                if changes and hit:
                    found.append(f"{resource.name}: {sorted(changes)} on the boundary {hit}")
    return found


def grants_fit_within_the_boundary(resources: list[Registered], boundaries: set[str]) -> list[str]:
    """Every granted action on every granted resource is allowed by the boundary, or the grant
    would silently do nothing (compared by action and resource; conditions are left out)."""
    ceiling = [
        s for r in resources if r.state.get("arn") in boundaries for s in allow_statements(r)
    ]
    if not ceiling:
        return []

    def allowed(action: str, arn: str) -> bool:
        return any(
            any(fnmatch.fnmatchcase(action, a) for a in as_list(s["Action"]))
            and any(fnmatch.fnmatchcase(arn, r) for r in as_list(s["Resource"]))
            for s in ceiling
        )

    return [
        f"{resource.name}: {action} on {arn} is outside the boundary"
        for resource in resources
        if resource.type in GRANT_TYPES and resource.state.get("arn") not in boundaries
        for statement in allow_statements(resource)
        for action in as_list(statement["Action"])
        for arn in as_list(statement["Resource"])
        if not allowed(action, arn)
    ]


def roles_are_passed_only_to_the_service_they_trust(
    resources: list[Registered], boundaries: set[str]
) -> list[str]:
    """Every role a PassRole grant reaches trusts the service it is passed to, and no other."""
    roles = [r for r in resources if r.type == "aws:iam/role:Role" and "arn" in r.state]
    found = []
    for resource in resources:
        for statement in allow_statements(resource):
            if "iam:PassRole" not in as_list(statement["Action"]):
                continue
            service = statement.get("Condition", {}).get("StringEquals", {})
            service = service.get("iam:PassedToService")
            for pattern in as_list(statement["Resource"]):
                for role in roles:
                    if not fnmatch.fnmatchcase(role.state["arn"], pattern):
                        continue
                    trusted = {
                        s.get("Principal", {}).get("Service")
                        for s in statements(role, key="assumeRolePolicy")
                    }
                    if trusted != {service}:
                        found.append(
                            f"{resource.name}: passes {role.name} to {service}; it trusts "
                            f"{sorted(map(str, trusted))}"
                        )
    return found


STACK_RULES: tuple[Callable[[list[Registered], set[str]], list[str]], ...] = (
    every_principal_carries_a_boundary,
    boundaries_are_never_granted,
    grants_spare_the_boundaries,
    roles_are_passed_only_to_the_service_they_trust,
    grants_fit_within_the_boundary,
)


def boundary_arns(resources: list[Registered]) -> set[str]:
    named = {r.inputs.get("permissionsBoundary") for r in resources if r.type in PRINCIPAL_TYPES}
    return {arn for arn in named if isinstance(arn, str)}


def violations(resources: list[Registered]) -> list[str]:
    boundaries = boundary_arns(resources)
    found = [
        violation
        for resource in resources
        for rule in (BOUNDARY_RULES if resource.state.get("arn") in boundaries else RULES)
        for violation in rule(resource)
    ]
    return found + [v for rule in STACK_RULES for v in rule(resources, boundaries)]
