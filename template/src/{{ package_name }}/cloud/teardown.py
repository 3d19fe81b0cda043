"""What `deploy --destroy` removes from Prefect Cloud, before `pulumi destroy` removes the stack:
the deployments and their automations (automations outlive a deployment), the webhook, the work
pool and the blocks that point into the stack.
"""

from __future__ import annotations

from .. import settings
from ..digest import DIGEST_DEPLOYMENT
from ..events import DEPLOYMENT, PULL_DEPLOYMENT
from ..watch import WATCH_DEPLOYMENT
from . import blocks, webhooks, work_pool
from .automation import AUTOMATION, WATCH_AUTOMATION, delete_automations
from .plan import Step


def destroy_steps(hooks: webhooks.Webhooks | None) -> list[Step]:
    return [
        Step(
            f"delete deployment '{DEPLOYMENT}' and automation '{AUTOMATION}'",
            lambda: _delete(DEPLOYMENT, AUTOMATION),
        ),
        Step(f"delete deployment '{PULL_DEPLOYMENT}'", lambda: _delete(PULL_DEPLOYMENT)),
        Step(
            f"delete deployment '{WATCH_DEPLOYMENT}' and automation '{WATCH_AUTOMATION}'",
            lambda: _delete(WATCH_DEPLOYMENT, WATCH_AUTOMATION),
        ),
        Step(f"delete deployment '{DIGEST_DEPLOYMENT}'", lambda: _delete(DIGEST_DEPLOYMENT)),
        Step(
            f"delete Prefect Cloud webhook '{webhooks.WEBHOOK_NAME}'",
            lambda: webhooks.delete_webhook(hooks),
        ),
        Step(f"delete work pool '{settings.WORK_POOL_NAME}'", work_pool.delete_work_pool),
        # They point at the key and bucket `pulumi destroy` removes next. The SMTP and ENTSO-E
        # blocks and the recipients stay: they do not depend on the stack.
        Step(
            f"delete blocks '{blocks.PUSH_POOL_CREDENTIALS_BLOCK}' and '{blocks.RESULTS_BLOCK}'",
            blocks.delete_stack_blocks,
        ),
    ]


def _delete(name: str, automation: str | None = None) -> str:
    """A deployment, then any automation of its trigger left behind."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.delete_deployment(client.read_deployment_by_name(name).id)
            outcome = "deleted"
        except ObjectNotFound:
            outcome = "absent"
    if automation is None:
        return outcome
    return f"{outcome}; {delete_automations(automation)} leftover automation(s) deleted"
