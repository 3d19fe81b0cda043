"""The deployments that run on a schedule, each with the line deploy's dry run prints.

The pull deployment is the newsletter flow with no trigger: daily in pull mode, and always there
for the watch's fallback when a deadline passes. The watch deployment (watch.py) checks the
deadline on its schedule and alerts about failed runs through its automation. The digest
deployment (digest.py) mails the daily digest on its schedule, unless newsletter_mode is each.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import digest, settings
from ..events import PULL_DEPLOYMENT, PULL_PARAMETERS, pull_schedule
from ..flow import newsletter_flow
from ..watch import WATCH_DEPLOYMENT, schedules, watch_flow
from . import deployment


def pull_says(image: str) -> str:
    when = (
        f"daily at {settings.PULL_TIME} {settings.PULL_TIMEZONE}, pull_day 'next'"
        if settings.PULL_SCHEDULE
        else "no schedule (the watch's fallback runs it)"
    )
    return (
        f"ensure deployment '{PULL_DEPLOYMENT}' on work pool '{settings.WORK_POOL_NAME}': "
        f"{when}, image {image}, concurrency limit 1"
    )


def watch_says(image: str) -> str:
    when = (
        f"deadline check daily at {settings.PUSH_DEADLINE} {settings.DEADLINE_TIMEZONE}"
        if settings.PUSH_DEADLINE != "off"
        else "no deadline check (push_deadline is off)"
    )
    return (
        f"ensure deployment '{WATCH_DEPLOYMENT}' on work pool '{settings.WORK_POOL_NAME}': "
        f"{when}, image {image}"
    )


def digest_says(image: str) -> str:
    if not digest.wanted():
        return (
            f"delete deployment '{digest.DIGEST_DEPLOYMENT}' if an earlier answer made it "
            "(newsletter_mode is each: no digest)"
        )
    return (
        f"ensure deployment '{digest.DIGEST_DEPLOYMENT}' on work pool "
        f"'{settings.WORK_POOL_NAME}': the digest daily at {settings.DIGEST_TIME} "
        f"{settings.DIGEST_TIMEZONE}, image {image}"
    )


def ensure_pull_deployment(outputs: Mapping[str, Any], image: str) -> str:
    """The pull deployment: scheduled in pull mode, else run only by the watch's fallback."""
    pull = deployment.runner_deployment(
        outputs,
        image,
        newsletter_flow,
        name=settings.PULL_DEPLOYMENT_NAME,
        concurrency_limit=1,
        parameters=PULL_PARAMETERS,
        schedules=[pull_schedule()] if settings.PULL_SCHEDULE else [],
    )
    return deployment.ensure(pull, PULL_DEPLOYMENT)


def ensure_watch_deployment(outputs: Mapping[str, Any], image: str) -> str:
    """The watch deployment: the deadline check on its schedule; its automation (the failed-run
    trigger) is the automation step's."""
    watching = deployment.runner_deployment(
        outputs,
        image,
        watch_flow,
        name=settings.WATCH_DEPLOYMENT_NAME,
        concurrency_limit=deployment.RUNS_AT_ONCE,
        schedules=schedules(),
    )
    return deployment.ensure(watching, WATCH_DEPLOYMENT)


def ensure_digest_deployment(outputs: Mapping[str, Any], image: str) -> str:
    """The digest deployment on its daily schedule, one run at a time (a day's digest is mailed
    once); with newsletter_mode each, none: one an earlier answer made is deleted."""
    if not digest.wanted():
        return _remove(digest.DIGEST_DEPLOYMENT)
    digesting = deployment.runner_deployment(
        outputs,
        image,
        digest.digest_flow,
        name=settings.DIGEST_DEPLOYMENT_NAME,
        concurrency_limit=1,
        schedules=digest.schedules(),
    )
    return deployment.ensure(digesting, digest.DIGEST_DEPLOYMENT)


def _remove(full_name: str) -> str:
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.delete_deployment(client.read_deployment_by_name(full_name).id)
        except ObjectNotFound:
            return "absent"
    return "deleted"
