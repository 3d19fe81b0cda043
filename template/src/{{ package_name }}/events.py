"""What starts a run: the same objects in Prefect Cloud and in the local stack.

A push becomes the event `entsoe.document.pushed` about this project's resource id; the
deployment's trigger turns that event into a flow run and its payload into the flow's parameters.
The Cloud webhook and the local receiver render the event from one template, `webhook.json`.
In pull mode a second deployment of the flow runs on a daily schedule instead.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import TYPE_CHECKING, Any

import jinja2

from . import settings

if TYPE_CHECKING:  # Prefect is imported where a trigger is made: the receiver does without it.
    from prefect.events import DeploymentEventTrigger
    from prefect.schedules import Schedule

EVENT_NAME = "entsoe.document.pushed"
CONNECTION_CHECKED = "entsoe.connection.checked"  # an empty POST: starts no run

DEPLOYMENT = f"{settings.FLOW_NAME}/{settings.DEPLOYMENT_NAME}"  # the one the trigger runs
PULL_DEPLOYMENT = f"{settings.FLOW_NAME}/{settings.PULL_DEPLOYMENT_NAME}"
# The pull deployment's runs ask for the coming delivery day (the flow's `pull_day`).
PULL_PARAMETERS = {"pull_day": "next"}


def webhook_template() -> str:
    """The Prefect Cloud webhook template: the one file both the cloud and the receiver use."""
    return (files(__package__ or __name__) / "webhook.json").read_text(encoding="utf-8")


def render_event(body: str, headers: dict[str, str]) -> dict[str, Any]:
    """The event the Cloud webhook makes of this request (Jinja2, as Prefect Cloud does).

    As in Prefect Cloud, a JSON body is parsed before the template sees it: the receiver's
    forward (a reference to the kept body) is an object there, an XML push a string.
    """
    headers = {k.lower(): v for k, v in headers.items()}
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    parsed: object = json.loads(body) if media_type == "application/json" else body
    environment = jinja2.Environment(autoescape=False)  # noqa: S701 (renders JSON, not HTML)
    text = environment.from_string(webhook_template()).render(body=parsed, headers=headers)
    event: dict[str, Any] = json.loads(text)
    return event


def trigger() -> DeploymentEventTrigger:
    """What starts a run, in the cloud and locally: a push event from this project's webhook.

    `match` on the resource id keeps events of the same name from anywhere else from starting runs.
    """
    from prefect.events import DeploymentEventTrigger

    return DeploymentEventTrigger(
        name=f"{settings.PROJECT_SLUG} on ENTSO-E push",
        expect={EVENT_NAME},
        match={"prefect.resource.id": settings.WEBHOOK_RESOURCE_ID},
        # The receiver's event names the kept body; a push straight to the Prefect webhook
        # (push_endpoint prefect_webhook) carries the body itself.
        parameters={
            "reference": "{{ event.payload.reference | default('') }}",
            "receipt": "{{ event.payload.receipt | default('') }}",
            "content_type": "{{ event.payload.content_type | default('') }}",
            "size": "{{ event.payload.size | default(0) }}",
            "body": "{{ event.payload.body | default('') }}",
        },
    )


def pull_schedule() -> Schedule:
    """Pull mode's daily run, at the answers' time in their time zone."""
    from prefect.schedules import Cron

    return Cron(settings.PULL_CRON, timezone=settings.PULL_TIMEZONE)
