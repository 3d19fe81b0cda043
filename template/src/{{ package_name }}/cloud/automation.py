"""The automations of the deployments' triggers, each kept as exactly one.

Two triggers: a push starts the newsletter deployment (events.trigger), and a newsletter run that
ended Failed or Crashed starts the watch deployment (watch.trigger). Each automation is compared
with its trigger and updated in place only when they differ: automations outlive the deployment
and the process that made them, so duplicates and leftovers are deleted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import watch
from ..events import DEPLOYMENT, trigger

if TYPE_CHECKING:
    from prefect.events import DeploymentEventTrigger

AUTOMATION = trigger().name or DEPLOYMENT
WATCH_AUTOMATION = watch.trigger().name or watch.WATCH_DEPLOYMENT


def ensure_automation() -> str:
    """The push trigger's automation."""
    return _ensure(DEPLOYMENT, trigger())


def ensure_watch_automation() -> str:
    """The failed-run trigger's automation."""
    return _ensure(watch.WATCH_DEPLOYMENT, watch.trigger())


def _ensure(deployment_name: str, on: DeploymentEventTrigger) -> str:
    """Exactly one automation of the deployment's trigger, updated in place when it changed."""
    from prefect.client.orchestration import get_client
    from prefect.events.schemas.automations import AutomationCore

    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(deployment_name)
        on.set_deployment_id(deployment.id)
        wanted = on.as_automation()
        related = client.read_resource_related_automations(f"prefect.deployment.{deployment.id}")
        current = [a for a in related if a.name == wanted.name]
        for duplicate in current[1:]:
            client.delete_automation(duplicate.id)
        if not current:
            client.create_automation(wanted)
            return "created"
        # An automation turned off by hand (silencing) stays off.
        compared = set(AutomationCore.model_fields) - {"owner_resource", "enabled"}
        same = current[0].model_dump(mode="json", include=compared) == wanted.model_dump(
            mode="json", include=compared
        )
        if same and len(current) == 1:
            return "unchanged"
        # The API takes no owner in an update (the open-source server answers 422 to one).
        update = AutomationCore.model_validate(
            wanted.model_dump(exclude={"owner_resource"}) | {"enabled": current[0].enabled}
        )
        client.update_automation(current[0].id, update)
        return "updated" if not same else f"unchanged; {len(current) - 1} duplicate(s) deleted"


def delete_automations(name: str) -> int:
    """Every automation of the trigger's name (they outlive the deployment): how many."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        leftovers = client.read_automations_by_name(name)
        for automation in leftovers:
            client.delete_automation(automation.id)
    return len(leftovers)
