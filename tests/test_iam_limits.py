"""AWS's limits hold for the longest answers every validator accepts.

Each worst case is rendered once and its Pulumi program run once under Pulumi's own mocks (the
rendered tests/test_infra.py's `run_program`); every IAM document and every name the program
makes is then measured as AWS measures it. A name Pulumi makes is the logical name, `-` and 7
random characters: longer than AWS allows, and `pulumi up` stops before it starts.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from conftest import PYTHON, QUESTIONS, render, run

# One worker runs them all, so that each worst case is rendered once (`--dist loadgroup`).
pytestmark = pytest.mark.xdist_group("iam-limits")

# The longest answers the validators accept, read from copier.yml.
SLUG_MAX = int(re.search(r"length > (\d+)", QUESTIONS["project_slug"]["validator"])[1])
BUCKET_MAX = int(re.search(r"\{1,(\d+)\}", QUESTIONS["pulumi_state_bucket"]["validator"])[1]) + 2
STACK_MAX = int(re.search(r"\{1,(\d+)\}", QUESTIONS["pulumi_stack"]["validator"])[1])
REGIONS = re.findall(r"'([a-z]{2}-[a-z]+-\d)'", QUESTIONS["aws_region"]["validator"])
NO_FUNCTION_URLS = re.findall(
    r"'([a-z]{2}-[a-z]+-\d)'", QUESTIONS["function_urls_in_region"]["default"]
)
LONGEST = {
    "aws": max((r for r in REGIONS if r not in NO_FUNCTION_URLS), key=len),
    "prefect_webhook": max(REGIONS, key=len),
}
WORST = {
    "project_name": "Worst Case",
    "project_slug": ("worst-case-" + "x" * SLUG_MAX)[:SLUG_MAX],
    # The GitHub repository reaches the deploy role's trust policy and description.
    "github_repository": "o" * 39 + "/" + "r" * 100,
    "github_aws_auth": "oidc",
    "pulumi_backend": "s3",
    "pulumi_state_bucket": "s" * BUCKET_MAX,
    # A dot, which the task definition family cannot hold.
    "pulumi_stack": ("prod." + "x" * STACK_MAX)[:STACK_MAX],
}
# The push endpoint decides which resources exist; the other answers only add or drop some.
CASES = {
    endpoint: {**WORST, "push_endpoint": endpoint, "aws_region": LONGEST[endpoint]}
    for endpoint in ("aws", "prefect_webhook")
}

# IAM's quotas (characters without whitespace): IAM User Guide, "IAM and AWS STS quotas".
MANAGED_POLICY = 6144
ROLE_INLINE_TOTAL = 10240
USER_INLINE_TOTAL = 2048
TRUST_POLICY = 2048
MANAGED_POLICIES_PER_PRINCIPAL = 10
# The property that names a resource of each type, and AWS's limit for it.
NAME_LIMITS = {
    "aws:iam/role:Role": ("name", 64),
    "aws:iam/user:User": ("name", 64),
    "aws:iam/policy:Policy": ("name", 128),
    "aws:iam/rolePolicy:RolePolicy": ("name", 128),
    "aws:s3/bucket:Bucket": ("bucket", 63),
    "aws:lambda/function:Function": ("name", 64),
    "aws:lambda/permission:Permission": ("statementId", 100),
    "aws:cloudwatch/logGroup:LogGroup": ("name", 512),
    "aws:ecr/repository:Repository": ("name", 256),
    "aws:ecs/cluster:Cluster": ("name", 255),
    "aws:secretsmanager/secret:Secret": ("name", 512),
    # SSM counts the whole ARN: 1,011 characters.
    "aws:ssm/parameter:Parameter": ("name", 1011),
    "aws:ec2/securityGroup:SecurityGroup": ("name", 255),
    "aws:sns/topic:Topic": ("name", 256),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("name", 255),
    "aws:cloudwatch/eventRule:EventRule": ("name", 64),
    "aws:glue/catalogDatabase:CatalogDatabase": ("name", 255),
    "aws:glue/catalogTable:CatalogTable": ("name", 255),
}
# Types that take no name (the console shows their `Name` tag, checked with the tags).
NAMELESS = {
    "aws:iam/accessKey:AccessKey",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy",
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:lambda/functionUrl:FunctionUrl",
    "aws:ec2/vpc:Vpc",
    "aws:ec2/subnet:Subnet",
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/routeTable:RouteTable",
    "aws:ec2/route:Route",
    "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws:sns/topicSubscription:TopicSubscription",
    "aws:cloudwatch/eventTarget:EventTarget",
}
DESCRIPTION_LIMITS = {
    "aws:iam/role:Role": 1000,
    "aws:iam/policy:Policy": 1000,
    "aws:lambda/function:Function": 256,
    "aws:ssm/parameter:Parameter": 1024,
    "aws:secretsmanager/secret:Secret": 2048,
    "aws:ec2/securityGroup:SecurityGroup": 255,
    "aws:cloudwatch/eventRule:EventRule": 512,
    "aws:glue/catalogDatabase:CatalogDatabase": 2048,
    "aws:glue/catalogTable:CatalogTable": 2048,
}
TAGS_PER_RESOURCE, TAG_KEY, TAG_VALUE = 50, 128, 256
TASK_FAMILY = 255
LAMBDA_ENVIRONMENT = 4096
AUTONAME_SUFFIX = "-" + "x" * 7

# Runs in the rendered project: the program once, under the mocks its own tests use.
PROGRAM = """
import json, sys
sys.path[:0] = ["src", "."]  # as the project's pytest configuration has it
from tests.policy_rules import violations
from tests.test_infra import CONFIG, run_program

deployment = run_program(CONFIG)
resources = [
    {"type": r.type, "name": r.name, "inputs": r.inputs, "state": r.state}
    for r in deployment.resources
]
json.dump(
    {"resources": resources, "outputs": deployment.outputs,
     "violations": violations(deployment.resources)},
    sys.stdout, default=str,
)
"""


@pytest.fixture(scope="module", params=list(CASES))
def program(request: pytest.FixtureRequest, copier_template: Path, tmp_path_factory) -> dict:
    answers = CASES[request.param]
    project = render(copier_template, tmp_path_factory.mktemp(request.param), **answers)
    result = run([PYTHON, "-c", PROGRAM], cwd=project)
    return {"answers": answers, **json.loads(result.stdout)}


def iam_size(document: str) -> int:
    """What IAM counts: every character but whitespace."""
    return len("".join(document.split()))


def by_type(program: dict, type_token: str) -> list[dict[str, Any]]:
    return [r for r in program["resources"] if r["type"] == type_token]


def test_the_worst_cases_are_the_longest_answers() -> None:
    for answers in CASES.values():
        assert len(answers["project_slug"]) == SLUG_MAX
        assert len(answers["pulumi_stack"]) == STACK_MAX
        assert len(answers["aws_region"]) == max(map(len, REGIONS))


def test_the_policy_rules_hold_at_the_longest_answers(program: dict) -> None:
    assert program["violations"] == []
    assert program["outputs"]["aws_region"] == program["answers"]["aws_region"]


def test_iam_documents_fit_iam_quotas(program: dict) -> None:
    sizes = {
        r["name"]: iam_size(r["inputs"]["policy"])
        for r in by_type(program, "aws:iam/policy:Policy")
    }
    over = {name: size for name, size in sizes.items() if size > MANAGED_POLICY}
    assert over == {}, f"managed policies over {MANAGED_POLICY}: {over}"
    (boundary,) = [size for name, size in sizes.items() if name.endswith("-permissions-boundary")]
    assert boundary <= MANAGED_POLICY

    inline: dict[str, dict[str, int]] = {"role": defaultdict(int), "user": defaultdict(int)}
    for kind in ("role", "user"):
        for policy in by_type(program, f"aws:iam/{kind}Policy:{kind.title()}Policy"):
            inline[kind][policy["inputs"][kind]] += iam_size(policy["inputs"]["policy"])
    assert max(inline["role"].values()) <= ROLE_INLINE_TOTAL, inline["role"]
    assert max(inline["user"].values(), default=0) <= USER_INLINE_TOTAL, inline["user"]

    roles = by_type(program, "aws:iam/role:Role")
    assert len(roles) >= 3
    for role in roles:
        trust = iam_size(role["inputs"]["assumeRolePolicy"])
        assert trust <= TRUST_POLICY, (role["name"], trust)

    attached: dict[str, int] = defaultdict(int)
    for kind in ("role", "user"):
        for attachment in by_type(
            program, f"aws:iam/{kind}PolicyAttachment:{kind.title()}PolicyAttachment"
        ):
            attached[attachment["inputs"][kind]] += 1
    assert max(attached.values()) <= MANAGED_POLICIES_PER_PRINCIPAL, dict(attached)


def test_every_name_fits_aws_limits_with_pulumis_suffix(program: dict) -> None:
    unknown = sorted({r["type"] for r in program["resources"]} - NAME_LIMITS.keys() - NAMELESS)
    assert unknown == [], "add their name's limit to NAME_LIMITS (or to NAMELESS)"
    too_long = {}
    for resource in program["resources"]:
        if resource["type"] not in NAME_LIMITS:
            continue
        key, limit = NAME_LIMITS[resource["type"]]
        # An explicit name as given; otherwise Pulumi's, from the logical name.
        name = resource["inputs"].get(key) or resource["name"] + AUTONAME_SUFFIX
        if resource["type"] == "aws:ssm/parameter:Parameter":
            name = resource["state"]["arn"].replace(resource["state"]["name"], name)
        if len(name) > limit:
            too_long[name] = (len(name), limit)
    assert too_long == {}


def test_descriptions_tags_family_and_environment_fit(program: dict) -> None:
    for resource in program["resources"]:
        inputs = resource["inputs"]
        limit = DESCRIPTION_LIMITS.get(resource["type"])
        if "description" in inputs:
            assert limit is not None, f"add {resource['type']} to DESCRIPTION_LIMITS"
            assert len(inputs["description"]) <= limit, resource["name"]
        tags = inputs.get("tags") or {}
        assert len(tags) <= TAGS_PER_RESOURCE
        for key, value in tags.items():
            assert len(key) <= TAG_KEY and len(value) <= TAG_VALUE, (resource["name"], key)
    family = program["outputs"]["task_family"]
    assert re.fullmatch(r"[A-Za-z0-9_-]+", family) and len(family) <= TASK_FAMILY, family
    for function in by_type(program, "aws:lambda/function:Function"):
        variables = function["inputs"]["environment"]["variables"]
        assert sum(len(k) + len(str(v)) for k, v in variables.items()) <= LAMBDA_ENVIRONMENT
