"""The receiver ENTSO-E pushes to: a Lambda function behind a public Function URL.

The function (src/<package>/cloud/lambda_host.py) keeps every body in the inbox bucket before it
answers, then forwards a reference to it to the project's Prefect Cloud webhook, whose URL it
reads from an SSM parameter that `deploy` fills. Pulumi creates the parameter with a placeholder
and never writes it again, so the webhook URL stays out of the Pulumi state.

The URL has no IAM auth (ENTSO-E cannot sign requests): the URL itself is the secret, a secret
stack output. The function's role may only write the three prefixes of the inbox bucket, read
that one parameter and write its own log group; it carries the permissions boundary.
"""

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from infra.iam import policy_document, service_trust
from infra.storage import INBOX_PREFIX, MARKER_PREFIXES
from infra.tags import tags

LAMBDA_SERVICE = "lambda.amazonaws.com"
# `make receiver` builds it (the package and its runtime dependencies); config `receiverPackage`.
DEFAULT_PACKAGE = "build/receiver.zip"
FORWARD_URL_PLACEHOLDER = "unset: deploy writes the Prefect webhook URL here"
MEMORY_MB = 512
TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Receiver:
    function: aws.lambda_.Function
    url: aws.lambda_.FunctionUrl
    role: aws.iam.Role
    forward_url: aws.ssm.Parameter
    log_group: aws.cloudwatch.LogGroup


def find_package(configured: str | None, project_root: Path) -> Path:
    """The zip to upload; a relative path is taken from the project root."""
    name = configured or DEFAULT_PACKAGE
    path = project_root / name
    if not path.is_file():
        # RunError: Pulumi prints the message alone, without a stack trace.
        raise pulumi.RunError(f"{name} is missing: run `make receiver` first")
    return path


def package_hash(path: Path) -> str:
    """Base64 SHA-256 of the zip, as Lambda reports it: a new zip means new code."""
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def create_receiver(
    prefix: str,
    account_id: str,
    inbox: aws.s3.Bucket,
    boundary: aws.iam.Policy,
    *,
    package: Path,
    handler: str,
    runtime: str,
    log_retention_days: int,
    reserved_concurrency: int | None = None,
) -> Receiver:
    name = f"{prefix}-receiver"
    forward_url = aws.ssm.Parameter(
        f"{prefix}-forward-url",
        description=f"Prefect Cloud webhook URL {prefix}'s receiver forwards to; deploy writes it",
        # A standard parameter (free), encrypted with the AWS-managed key aws/ssm.
        type="SecureString",
        value=FORWARD_URL_PLACEHOLDER,
        tags=tags(f"{prefix}-forward-url"),
        # What deploy put there stays on later `pulumi up`s; `pulumi destroy` still removes it.
        opts=pulumi.ResourceOptions(ignore_changes=["value"]),
    )
    log_group = aws.cloudwatch.LogGroup(name, retention_in_days=log_retention_days, tags=tags(name))
    role = aws.iam.Role(
        name,
        description="The receiver runs with it: keeps pushes, reads where to forward them",
        assume_role_policy=service_trust(LAMBDA_SERVICE, account_id),
        permissions_boundary=boundary.arn,
        tags=tags(name),
    )
    grants = aws.iam.RolePolicy(
        name,
        role=role.id,
        policy=policy_document(
            # PutObject alone: the receiver never reads, lists, overwrites by copy or deletes.
            {
                "Sid": "KeepPushes",
                "Action": "s3:PutObject",
                "Resource": [
                    pulumi.Output.concat(inbox.arn, f"/{folder}*")
                    for folder in (INBOX_PREFIX, *MARKER_PREFIXES)
                ],
            },
            # A SecureString under the AWS-managed key aws/ssm: its key policy lets SSM decrypt
            # for whoever may read the parameter, so no kms:Decrypt grant is needed.
            {
                "Sid": "ReadForwardUrl",
                "Action": "ssm:GetParameter",
                "Resource": forward_url.arn,
            },
            {
                "Sid": "WriteReceiverLogs",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": pulumi.Output.concat(log_group.arn, ":*"),
            },
        ),
    )
    function = aws.lambda_.Function(
        name,
        description=f"Receives ENTSO-E pushes for {prefix}: keeps them, forwards a reference",
        role=role.arn,
        runtime=runtime,
        handler=handler,
        architectures=["x86_64"],
        memory_size=MEMORY_MB,
        timeout=TIMEOUT_SECONDS,
        code=pulumi.FileArchive(str(package)),
        source_code_hash=package_hash(package),
        environment={
            "variables": {
                "PIPELINE_INBOX_BUCKET": inbox.bucket,
                "PIPELINE_INBOX_PREFIX": "",
                "PIPELINE_FORWARD_URL_PARAMETER": forward_url.name,
            }
        },
        logging_config={"log_format": "Text", "log_group": log_group.name},
        # Unset by default: a new account has too little concurrency to reserve any.
        reserved_concurrent_executions=reserved_concurrency,
        tags=tags(name),
        # The first push must find the role's grants in place.
        opts=pulumi.ResourceOptions(depends_on=[grants]),
    )
    # ENTSO-E cannot sign requests: no IAM auth, the URL is the secret.
    url = aws.lambda_.FunctionUrl(name, function_name=function.name, authorization_type="NONE")
    # Since October 2025 a public Function URL needs both: the URL call, and the invocation
    # behind it (allowed through the URL only, not by a direct Invoke).
    aws.lambda_.Permission(
        f"{name}-url",
        function=function.name,
        action="lambda:InvokeFunctionUrl",
        principal="*",
        function_url_auth_type="NONE",
    )
    aws.lambda_.Permission(
        f"{name}-invoke",
        function=function.name,
        action="lambda:InvokeFunction",
        principal="*",
        invoked_via_function_url=True,
    )
    return Receiver(
        function=function, url=url, role=role, forward_url=forward_url, log_group=log_group
    )
