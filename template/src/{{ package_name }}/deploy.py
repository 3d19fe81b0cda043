"""Prefect Cloud, set up from the Pulumi stack outputs: `python -m <package> deploy`.

Every step looks before it writes, so a second run with the same inputs changes nothing and
creates nothing twice: the work pool, the blocks, the recipients Variable, the deployment, its
automation (the trigger) and the Cloud webhook. `--dry-run` prints the same steps without doing
them and talks to nothing; `--destroy` removes what the stack's teardown leaves dangling.

Secrets come from the environment only (SMTP_USERNAME, SMTP_PASSWORD, ENTSOE_API_KEY,
PREFECT_API_KEY) or from the stack outputs (the push pool's access key): never from a file in
the repository, never printed.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import httpx

from . import delivery, receiver, settings
from .errors import BadInput
from .flow import newsletter_flow, trigger
from .job_variables import STACK_OUTPUTS, ecs_job_variables

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

ECS_PUSH = "ecs:push"
OUTPUTS_ENV = "PULUMI_STACK_OUTPUTS"
PUSH_POOL_CREDENTIALS_BLOCK = f"{settings.PROJECT_SLUG}-push-pool"
RESULTS_BLOCK = f"{settings.PROJECT_SLUG}-results"
ENTSOE_SECRET_BLOCK = f"{settings.PROJECT_SLUG}-entsoe-api-key"
WEBHOOK_NAME = settings.PROJECT_SLUG
DEPLOYMENT = f"{settings.FLOW_NAME}/{settings.DEPLOYMENT_NAME}"
AUTOMATION = trigger().name or DEPLOYMENT
# The flow's persisted delivery records (its exactly-once memory) go to the results bucket.
RESULT_STORAGE_ENV = "PREFECT_DEFAULT_RESULT_STORAGE_BLOCK"
RESULT_STORAGE = f"s3-bucket/{RESULTS_BLOCK}"
# What `pulumi stack output` prints for a secret without --show-secrets.
HIDDEN_BY_PULUMI = "[secret]"
SMTP_TYPES = {"starttls": "STARTTLS", "ssl": "SSL", "insecure": "INSECURE"}
# A workspace-scoped Prefect Cloud API URL; webhooks exist only there.
CLOUD_API_URL = re.compile(r"(?P<origin>https?://[^/]+)/api/accounts/[^/]+/workspaces/[^/]+/?")
NEXT_STEP = (
    "Next: in the ENTSO-E Transparency Platform, register this URL as the push (web service) "
    "endpoint of your subscription; each document it pushes then starts one flow run."
)


@dataclass(frozen=True)
class Step:
    """One action: `says` what it does (the --dry-run line); `run` does it, returns the outcome."""

    says: str
    run: Callable[[], str]


def run(
    outputs_file: Path | None,
    image: str | None,
    build: bool,
    pool_type: str,
    dry_run: bool,
    destroy: bool,
) -> int:
    """The `deploy` command: check every input first, then act (or only say what it would do)."""
    if destroy:
        steps = destroy_steps(None if dry_run else Webhooks.from_settings())
    else:
        outputs = read_outputs(outputs_file)
        if image is None and not build:
            raise BadInput("give the image with --image URI, or --build to build and push it")
        image = image or f"{outputs['image_repository_url']}:{_commit_tag(dry_run)}"
        webhooks = None if dry_run else Webhooks.from_settings()
        steps = deploy_steps(outputs, image, webhooks, pool_type=pool_type, build=build)
    perform(steps, dry_run)
    return 0


def perform(steps: list[Step], dry_run: bool = False) -> None:
    for step in steps:
        print(f"would {step.says}" if dry_run else f"{step.says}: {step.run()}", flush=True)


def read_outputs(path: Path | None) -> dict[str, Any]:
    """`pulumi stack output --json --show-secrets`, from a file or the environment."""
    if path is not None:
        origin = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise BadInput(f"{origin} is not a text file of stack outputs") from None
    else:
        origin = f"${OUTPUTS_ENV}"
        text = os.environ.get(OUTPUTS_ENV, "")
        if not text.strip():
            raise BadInput(f"no stack outputs: give --outputs FILE or set {OUTPUTS_ENV}")
    try:
        outputs = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadInput(f"{origin} is not JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(outputs, dict):
        raise BadInput(f"{origin} must hold a JSON object of stack outputs")
    missing = sorted(set(STACK_OUTPUTS) - outputs.keys())
    if missing:
        raise BadInput(f"{origin} lacks the stack output(s) {', '.join(missing)}")
    if outputs["push_pool_secret_access_key"] == HIDDEN_BY_PULUMI:
        raise BadInput(f"{origin} hides the secrets: use `pulumi stack output --show-secrets`")
    return outputs


# ---------------------------------------------------------------------------------- the plans


def deploy_steps(
    outputs: Mapping[str, Any],
    image: str,
    webhooks: Webhooks | None,
    pool_type: str = ECS_PUSH,
    build: bool = False,
) -> list[Step]:
    region = outputs["aws_region"]
    on = trigger()
    matches = ", ".join(f"{key}={'|'.join(values)}" for key, values in on.match.items())
    steps = [
        Step(
            f"save AwsCredentials block '{PUSH_POOL_CREDENTIALS_BLOCK}' with the key of IAM user "
            f"{outputs['push_pool_user_name']} (region {region})",
            lambda: _save_push_pool_credentials(outputs),
        ),
        Step(
            f"ensure work pool '{settings.WORK_POOL_NAME}' (type {pool_type}) in {region}: "
            f"cluster {outputs['cluster_name']}, subnets {', '.join(outputs['subnet_ids'])}, "
            f"security group {outputs['security_group_id']}",
            lambda: _ensure_work_pool(outputs, pool_type),
        ),
        Step(
            f"save S3Bucket block '{RESULTS_BLOCK}' for flow results in "
            f"s3://{outputs['results_bucket_name']}/{outputs['results_prefix']}",
            lambda: _save_results_block(outputs),
        ),
        Step(
            f"save EmailServerCredentials block '{delivery.EMAIL_BLOCK}': {settings.SMTP_HOST}:"
            f"{settings.SMTP_PORT} ({settings.SMTP_SECURITY}), user and password from "
            "SMTP_USERNAME and SMTP_PASSWORD",
            _save_email_block,
        ),
        Step(
            f"save Secret block '{ENTSOE_SECRET_BLOCK}' from ENTSOE_API_KEY (skipped when unset)",
            _save_entsoe_secret,
        ),
        Step(
            f"seed Variable '{delivery.RECIPIENTS_VARIABLE}' with {len(settings.RECIPIENTS)} "
            "recipient(s) from the answers, unless it exists",
            _seed_recipients,
        ),
        Step(
            f"ensure deployment '{DEPLOYMENT}' on work pool '{settings.WORK_POOL_NAME}': image "
            f"{image}, concurrency limit 1, results in {RESULT_STORAGE}",
            lambda: _ensure_deployment(outputs, image),
        ),
        Step(
            f"ensure automation '{AUTOMATION}': on {', '.join(sorted(on.expect))} "
            f"matching {matches}, run '{DEPLOYMENT}'",
            _ensure_automation,
        ),
        Step(
            f"ensure Prefect Cloud webhook '{WEBHOOK_NAME}': emits {settings.EVENT_NAME} for "
            f"resource {settings.WEBHOOK_RESOURCE_ID}",
            lambda: _ensure_webhook(webhooks),
        ),
    ]
    if build:
        steps.insert(
            0,
            Step(
                f"build image {image} (linux/amd64) and push it to ECR in {region}",
                lambda: build_and_push(image, region),
            ),
        )
    return steps


def destroy_steps(webhooks: Webhooks | None) -> list[Step]:
    return [
        Step(
            f"delete deployment '{DEPLOYMENT}' and automation '{AUTOMATION}'",
            _delete_deployment,
        ),
        Step(f"delete Prefect Cloud webhook '{WEBHOOK_NAME}'", lambda: _delete_webhook(webhooks)),
        Step(f"delete work pool '{settings.WORK_POOL_NAME}'", _delete_work_pool),
        # They point at the key and bucket `pulumi destroy` removes next. The SMTP and ENTSO-E
        # blocks and the recipients stay: they do not depend on the stack.
        Step(
            f"delete blocks '{PUSH_POOL_CREDENTIALS_BLOCK}' and '{RESULTS_BLOCK}'",
            _delete_stack_blocks,
        ),
    ]


# -------------------------------------------------------------------------- the work pool


def pool_base_job_template(outputs: Mapping[str, Any], credentials_id: str) -> dict[str, Any]:
    """prefect-aws's ECS template with the stack's values as defaults, as the ECS push pool
    provisioner fills it; the push pool authenticates with the AwsCredentials block."""
    from prefect_aws.workers.ecs_worker import ECSWorker

    template: dict[str, Any] = ECSWorker.get_default_base_job_template()
    properties = template["variables"]["properties"]
    for name, value in ecs_job_variables(outputs).items():
        properties[name]["default"] = value
    properties["aws_credentials"]["default"] = {"$ref": {"block_document_id": credentials_id}}
    return template


def deployment_job_variables(outputs: Mapping[str, Any], image: str) -> dict[str, Any]:
    """The image of this release, and the pool's environment plus where results go."""
    env = dict(ecs_job_variables(outputs)["env"])
    env[RESULT_STORAGE_ENV] = RESULT_STORAGE
    return {"image": image, "env": env}


def _save_push_pool_credentials(outputs: Mapping[str, Any]) -> str:
    from prefect_aws import AwsCredentials

    AwsCredentials(
        aws_access_key_id=outputs["push_pool_access_key_id"],
        aws_secret_access_key=outputs["push_pool_secret_access_key"],
        region_name=outputs["aws_region"],
    ).save(PUSH_POOL_CREDENTIALS_BLOCK, overwrite=True)
    return "saved"


def _ensure_work_pool(outputs: Mapping[str, Any], pool_type: str) -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate, WorkPoolUpdate
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        credentials = client.read_block_document_by_name(
            PUSH_POOL_CREDENTIALS_BLOCK, "aws-credentials", include_secrets=False
        )
        template = pool_base_job_template(outputs, str(credentials.id))
        try:
            pool = client.read_work_pool(settings.WORK_POOL_NAME)
        except ObjectNotFound:
            client.create_work_pool(
                WorkPoolCreate(
                    name=settings.WORK_POOL_NAME, type=pool_type, base_job_template=template
                )
            )
            return "created"
        if pool.type != pool_type:
            raise BadInput(
                f"work pool '{settings.WORK_POOL_NAME}' exists with type {pool.type}, not "
                f"{pool_type}: delete it (deploy --destroy) and deploy again"
            )
        if pool.base_job_template == template:
            return "unchanged"
        client.update_work_pool(settings.WORK_POOL_NAME, WorkPoolUpdate(base_job_template=template))
        return "updated"


# ------------------------------------------------------------------ blocks and the Variable


def _save_results_block(outputs: Mapping[str, Any]) -> str:
    from prefect_aws import AwsCredentials, S3Bucket

    # No key: in the flow-run task, boto3 takes the task role, which may use this prefix only.
    S3Bucket(
        bucket_name=outputs["results_bucket_name"],
        bucket_folder=outputs["results_prefix"],
        credentials=AwsCredentials(region_name=outputs["aws_region"]),
    ).save(RESULTS_BLOCK, overwrite=True)
    return "saved"


def _save_email_block() -> str:
    from prefect_email import EmailServerCredentials

    username, password = os.environ.get("SMTP_USERNAME"), os.environ.get("SMTP_PASSWORD")
    login: dict[str, Any] = {"username": username, "password": password}
    outcome = "saved with the user and password from the environment"
    if not (username and password):
        try:
            # Keep a login set before (in the UI, or by an earlier run with the secrets).
            saved = EmailServerCredentials.load(delivery.EMAIL_BLOCK, validate=False)
            login = {"username": saved.username, "password": saved.password}
            outcome = "saved; SMTP_USERNAME or SMTP_PASSWORD unset, the saved login is kept"
        except ValueError:
            login = {}
            outcome = "saved without a login: SMTP_USERNAME or SMTP_PASSWORD unset"
    EmailServerCredentials(
        smtp_server=settings.SMTP_HOST,
        smtp_port=settings.SMTP_PORT,
        smtp_type=SMTP_TYPES[settings.SMTP_SECURITY],
        **login,
    ).save(delivery.EMAIL_BLOCK, overwrite=True)
    return outcome


def _save_entsoe_secret() -> str:
    from prefect.blocks.system import Secret
    from pydantic import SecretStr

    key = os.environ.get("ENTSOE_API_KEY")
    if not key:
        return "skipped: ENTSOE_API_KEY unset"
    Secret(value=SecretStr(key)).save(ENTSOE_SECRET_BLOCK, overwrite=True)
    return "saved"


def _seed_recipients() -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import VariableCreate

    with get_client(sync_client=True) as client:
        if client.read_variable_by_name(delivery.RECIPIENTS_VARIABLE) is not None:
            return "kept: it exists (edit it in Prefect, not here)"
        client.create_variable(
            VariableCreate(name=delivery.RECIPIENTS_VARIABLE, value=list(settings.RECIPIENTS))
        )
    return "created"


# -------------------------------------------------------- the deployment and its automation


def _runner_deployment(outputs: Mapping[str, Any], image: str) -> RunnerDeployment:
    from prefect.types.entrypoint import EntrypointType

    # A module path, not a file path: the image installs the package. No triggers here: the
    # automation step keeps the trigger's automation (apply() would delete and recreate it).
    deployment = newsletter_flow.to_deployment(
        name=settings.DEPLOYMENT_NAME,
        work_pool_name=settings.WORK_POOL_NAME,
        job_variables=deployment_job_variables(outputs, image),
        concurrency_limit=1,
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    return cast("RunnerDeployment", deployment)  # called from sync code: not a coroutine


def _ensure_deployment(outputs: Mapping[str, Any], image: str) -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import DeploymentUpdate
    from prefect.exceptions import ObjectNotFound

    wanted = _runner_deployment(outputs, image)
    fields: dict[str, Any] = {
        "work_pool_name": wanted.work_pool_name,
        "job_variables": wanted.job_variables,
        "entrypoint": wanted.entrypoint,
        "description": wanted.description,
        "concurrency_limit": wanted.concurrency_limit,
        "enforce_parameter_schema": wanted.enforce_parameter_schema,
        "parameter_openapi_schema": wanted._parameter_openapi_schema.model_dump(exclude_unset=True),
        "pull_steps": [],
        "path": None,
    }
    with get_client(sync_client=True) as client:
        try:
            current = client.read_deployment_by_name(DEPLOYMENT)
        except ObjectNotFound:
            wanted.apply()
            return "created"
        limit = current.global_concurrency_limit
        # `concurrency_limit` of a read deployment is deprecated (always None): read the limit.
        have = {name: getattr(current, name) for name in fields if name != "concurrency_limit"}
        have["concurrency_limit"] = limit.limit if limit else None
        if have == fields:
            return "unchanged"
        # Not apply(): it deletes the deployment's automation, and pushes meanwhile are lost.
        client.update_deployment(current.id, DeploymentUpdate(**fields))
        return "updated"


def _ensure_automation() -> str:
    """Exactly one automation of the deployment's trigger, updated in place when it changed."""
    from prefect.client.orchestration import get_client
    from prefect.events.schemas.automations import AutomationCore

    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(DEPLOYMENT)
        on = trigger()
        on.set_deployment_id(deployment.id)
        wanted = on.as_automation()
        related = client.read_resource_related_automations(f"prefect.deployment.{deployment.id}")
        current = [a for a in related if a.name == wanted.name]
        for duplicate in current[1:]:
            client.delete_automation(duplicate.id)
        if not current:
            client.create_automation(wanted)
            return "created"
        compared = set(AutomationCore.model_fields) - {"owner_resource"}
        same = current[0].model_dump(mode="json", include=compared) == wanted.model_dump(
            mode="json", include=compared
        )
        if same and len(current) == 1:
            return "unchanged"
        client.update_automation(current[0].id, wanted)
        return "updated" if not same else f"unchanged; {len(current) - 1} duplicate(s) deleted"


# -------------------------------------------------------------------------------- destroy


def _delete_deployment() -> str:
    """The deployment, then any automation of its trigger left behind (they outlive it)."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.delete_deployment(client.read_deployment_by_name(DEPLOYMENT).id)
            outcome = "deleted"
        except ObjectNotFound:
            outcome = "absent"
        leftovers = client.read_automations_by_name(AUTOMATION)
        for automation in leftovers:
            client.delete_automation(automation.id)
    return f"{outcome}; {len(leftovers)} leftover automation(s) deleted"


def _delete_work_pool() -> str:
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.delete_work_pool(settings.WORK_POOL_NAME)
        except ObjectNotFound:
            return "absent"
    return "deleted"


def _delete_stack_blocks() -> str:
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    deleted = 0
    with get_client(sync_client=True) as client:
        for name, kind in [
            (PUSH_POOL_CREDENTIALS_BLOCK, "aws-credentials"),
            (RESULTS_BLOCK, "s3-bucket"),
        ]:
            try:
                block = client.read_block_document_by_name(name, kind, include_secrets=False)
            except ObjectNotFound:
                continue
            client.delete_block_document(block.id)
            deleted += 1
    return f"{deleted} deleted"


# -------------------------------------------------------------------------------- webhook


class Webhooks:
    """Prefect Cloud's webhooks endpoints of one workspace (the open-source server has none)."""

    def __init__(self, api_url: str, api_key: str) -> None:
        match = CLOUD_API_URL.fullmatch(api_url)
        if match is None:
            raise BadInput(
                "PREFECT_API_URL must be a Prefect Cloud workspace URL "
                f"(https://api.prefect.cloud/api/accounts/<id>/workspaces/<id>), got '{api_url}'"
            )
        if not api_key:
            raise BadInput("PREFECT_API_KEY is not set")
        self.hooks = f"{match['origin']}/hooks/"
        self.http = httpx.Client(
            base_url=f"{api_url.rstrip('/')}/webhooks/",
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=30,
        )

    @classmethod
    def from_settings(cls) -> Webhooks:
        """From the environment or the active Prefect profile, as Prefect itself reads them."""
        from prefect.settings import PREFECT_API_KEY, PREFECT_API_URL

        return cls(PREFECT_API_URL.value() or "", PREFECT_API_KEY.value() or "")

    def find(self, name: str) -> dict[str, Any] | None:
        response = self.http.post("filter", json={"webhooks": {"name": {"any_": [name]}}})
        response.raise_for_status()
        found = [hook for hook in response.json() if hook["name"] == name]
        return found[0] if found else None

    def ensure(self, name: str, template: str, description: str) -> tuple[str, str]:
        """(outcome, URL): created when missing, updated when its template or text changed."""
        wanted = {"name": name, "description": description, "template": template}
        current = self.find(name)
        if current is None:
            response = self.http.post("", json={**wanted, "enabled": True})
            response.raise_for_status()
            return "created", self.hooks + response.json()["slug"]
        url = self.hooks + current["slug"]
        if all(current.get(key) == value for key, value in wanted.items()):
            return "unchanged", url
        # PUT replaces the whole webhook: keep what deploy does not manage.
        kept = {key: current.get(key) for key in ("enabled", "service_account_id")}
        self.http.put(current["id"], json={**wanted, **kept}).raise_for_status()
        return "updated", url

    def delete(self, name: str) -> str:
        current = self.find(name)
        if current is None:
            return "absent"
        self.http.delete(current["id"]).raise_for_status()
        return "deleted"


def _ensure_webhook(webhooks: Webhooks | None) -> str:
    outcome, url = _connected(webhooks).ensure(
        WEBHOOK_NAME,
        receiver.webhook_template(),
        f"ENTSO-E pushes for {settings.PROJECT_NAME}: {settings.EVENT_NAME} events",
    )
    announce(url)
    return f"{outcome}\n\nWebhook URL: {url}\n{NEXT_STEP}"


def _delete_webhook(webhooks: Webhooks | None) -> str:
    return _connected(webhooks).delete(WEBHOOK_NAME)


def _connected(webhooks: Webhooks | None) -> Webhooks:
    if webhooks is None:
        raise BadInput("no Prefect Cloud API to talk to (a dry run talks to nothing)")
    return webhooks


def announce(url: str) -> None:
    """The URL and the next step into the GitHub Actions run summary, when there is one."""
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if not summary:
        return
    with open(summary, "a", encoding="utf-8") as handle:
        handle.write(
            f"### ENTSO-E webhook\n\nWebhook URL: `{url}`\n\n{NEXT_STEP}\n\n"
            "In the Transparency Platform the subscription's delivery channel is the web "
            "service (push) channel; the platform's connection check is an empty POST.\n"
        )


# ---------------------------------------------------------------------------------- image


def _commit_tag(dry_run: bool = False) -> str:
    """The commit being deployed: the image tag, so each release names its code."""
    sha = os.environ.get("GITHUB_SHA")
    if not sha:
        try:
            sha = subprocess.run(
                ["git", "rev-parse", "HEAD"],  # noqa: S607 (git from PATH, fixed arguments)
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            if dry_run:
                return "<commit>"
            raise BadInput("--build needs a git checkout or GITHUB_SHA to tag the image") from None
    return sha[:12]


def build_and_push(image: str, region: str) -> str:
    """docker build, ECR login (a token from boto3), docker push: this tag and `latest`."""
    import boto3  # type: ignore[import-untyped]

    repository = image.rsplit(":", 1)[0]
    registry = repository.split("/", 1)[0]
    token = boto3.client("ecr", region_name=region).get_authorization_token()
    user, password = (
        base64.b64decode(token["authorizationData"][0]["authorizationToken"]).decode().split(":", 1)
    )
    latest = f"{repository}:latest"
    # The password goes through stdin, never on a command line. Fargate runs linux/amd64 unless
    # told otherwise, and a laptop may be arm64.
    commands = [
        ["docker", "login", "--username", user, "--password-stdin", registry],
        ["docker", "build", "--platform", "linux/amd64", "--tag", image, "--tag", latest, "."],
        ["docker", "push", image],
        ["docker", "push", latest],
    ]
    for command in commands:
        stdin = password if command[1] == "login" else None
        subprocess.run(command, input=stdin, text=True, check=True)  # noqa: S603 (fixed commands)
    return "pushed"
