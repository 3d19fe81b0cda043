"""Rules every resource of the Pulumi program must follow.

A rule takes one registered resource and returns its violations as sentences. The infra tests run
every rule over every resource, so a new resource is checked without writing a new test.
Inputs are as Pulumi's engine sees them: camelCase names, policies as JSON strings.
"""

import importlib
import inspect
import json
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
ECS_TASKS_SERVICE = "ecs-tasks.amazonaws.com"


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
    found = []
    for statement in allow_statements(resource):
        if "iam:PassRole" not in as_list(statement["Action"]):
            continue
        if any("*" in arn for arn in as_list(statement["Resource"])):
            found.append(f"{resource.name}: iam:PassRole on a wildcard resource")
        passed_to = statement.get("Condition", {}).get("StringEquals", {})
        if passed_to.get("iam:PassedToService") != ECS_TASKS_SERVICE:
            found.append(f"{resource.name}: iam:PassRole not limited to {ECS_TASKS_SERVICE}")
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


RULES: tuple[Callable[[Registered], list[str]], ...] = (
    no_wildcard_actions,
    star_resource_only_for_unscoped_actions,
    pass_role_is_scoped,
    trust_is_conditioned,
    taggable_resources_are_tagged,
    nothing_inbound,
    policies_fit_size_limits,
)


def violations(resources: list[Registered]) -> list[str]:
    return [found for resource in resources for rule in RULES for found in rule(resource)]
