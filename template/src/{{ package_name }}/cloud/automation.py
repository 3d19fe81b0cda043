"""The automation of the push deployment's trigger, kept as exactly one.

It is compared with the trigger and updated in place only when they differ: automations outlive
the deployment and the process that made them, so duplicates and leftovers are deleted.
"""

from __future__ import annotations

from ..events import DEPLOYMENT, trigger

AUTOMATION = trigger().name or DEPLOYMENT


def ensure_automation() -> str:
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


def delete_automations() -> int:
    """Every automation of the trigger's name (they outlive the deployment): how many."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        leftovers = client.read_automations_by_name(AUTOMATION)
        for automation in leftovers:
            client.delete_automation(automation.id)
    return len(leftovers)
