"""The push deployment, and how every deployment is kept as one (scheduled.py has the others).

Prefect's `apply()` deletes and recreates a deployment's automation (automation.py), and pushes
that arrive meanwhile start nothing: so an existing deployment is updated in place.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from .. import settings
from ..events import DEPLOYMENT
from ..flow import NEWSLETTER_LIMIT, newsletter_flow, subject_limits
from .blocks import RESULT_STORAGE, RESULT_STORAGE_ENV
from .job_variables import ecs_job_variables

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

# Push runs at once, each an ECS task: a Europe-wide burst (a price per zone after the auction)
# goes in waves of this many instead of one after another; newsletters of one subject still
# take turns (flow.subject_lock). The daily pull runs alone.
RUNS_AT_ONCE = 10


def deployment_job_variables(outputs: Mapping[str, Any], image: str) -> dict[str, Any]:
    """The image of this release, and the pool's environment plus where results go."""
    env = dict(ecs_job_variables(outputs)["env"])
    env[RESULT_STORAGE_ENV] = RESULT_STORAGE
    return {"image": image, "env": env}


def runner_deployment(
    outputs: Mapping[str, Any], image: str, flow: Any, **wanted: Any
) -> RunnerDeployment:
    from prefect.types.entrypoint import EntrypointType

    # A module path, not a file path: the image installs the package. No triggers here: the
    # automation steps keep the triggers' automations (apply() would delete and recreate them).
    deployment = flow.to_deployment(
        work_pool_name=settings.WORK_POOL_NAME,
        job_variables=deployment_job_variables(outputs, image),
        entrypoint_type=EntrypointType.MODULE_PATH,
        **wanted,
    )
    return cast("RunnerDeployment", deployment)  # called from sync code: not a coroutine


def ensure_deployment(outputs: Mapping[str, Any], image: str) -> str:
    """The push deployment, which the automation runs, and the subject locks that its runs and
    the pull deployment's share (each set to 1 on every deploy)."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        for name in subject_limits():
            client.upsert_global_concurrency_limit_by_name(name, limit=1)
        with contextlib.suppress(ObjectNotFound):  # the one lock of template versions up to 0.2
            client.delete_global_concurrency_limit_by_name(NEWSLETTER_LIMIT)
    push = runner_deployment(
        outputs,
        image,
        newsletter_flow,
        name=settings.DEPLOYMENT_NAME,
        concurrency_limit=RUNS_AT_ONCE,
    )
    return ensure(push, DEPLOYMENT)


def ensure(wanted: RunnerDeployment, full_name: str) -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import DeploymentScheduleUpdate, DeploymentUpdate
    from prefect.exceptions import ObjectNotFound

    fields: dict[str, Any] = {
        "work_pool_name": wanted.work_pool_name,
        "job_variables": wanted.job_variables,
        "entrypoint": wanted.entrypoint,
        "description": wanted.description,
        "concurrency_limit": wanted.concurrency_limit,
        "enforce_parameter_schema": wanted.enforce_parameter_schema,
        "parameter_openapi_schema": wanted._parameter_openapi_schema.model_dump(exclude_unset=True),
        "parameters": wanted.parameters,
        "pull_steps": [],
        "path": None,
    }
    wanted_schedules = [s.schedule for s in wanted.schedules or []]
    with get_client(sync_client=True) as client:
        try:
            current = client.read_deployment_by_name(full_name)
        except ObjectNotFound:
            wanted.apply()
            return "created"
        limit = current.global_concurrency_limit
        # `concurrency_limit` of a read deployment is deprecated (always None): read the limit.
        have = {name: getattr(current, name) for name in fields if name != "concurrency_limit"}
        have["concurrency_limit"] = limit.limit if limit else None
        if have == fields and [s.schedule for s in current.schedules] == wanted_schedules:
            return "unchanged"  # a schedule paused by hand (silencing) stays paused
        # Not apply(): it deletes the deployment's automation, and pushes meanwhile are lost.
        paused = [s.schedule for s in current.schedules if not s.active]
        fields["schedules"] = [
            DeploymentScheduleUpdate(schedule=s, active=s not in paused) for s in wanted_schedules
        ]
        client.update_deployment(current.id, DeploymentUpdate(**fields))
        return "updated"
