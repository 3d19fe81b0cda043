"""Prefect Cloud's webhooks API (the open-source server has none), and the project's webhook.

The webhook turns what reaches it (the receiver's forward, or ENTSO-E's push itself) into the
event of the event contract, from the one template that the local receiver renders too. Its URL
starts runs for whoever holds it, so deploy never prints it: the owner reads it on a laptop.
"""

from __future__ import annotations

import os
import re
from typing import Any

import httpx

from .. import settings
from ..core.errors import BadInput
from ..events import EVENT_NAME, webhook_template

WEBHOOK_NAME = settings.PROJECT_SLUG
# A workspace-scoped Prefect Cloud API URL; webhooks exist only there.
CLOUD_API_URL = re.compile(r"(?P<origin>https?://[^/]+)/api/accounts/[^/]+/workspaces/[^/]+/?")
if settings.PUSH_ENDPOINT == "aws":
    READ_THE_URL = "`pulumi stack output receiver_url --show-secrets`"
else:
    READ_THE_URL = f"the Prefect Cloud UI: Configuration, Webhooks, '{WEBHOOK_NAME}'"
NEXT_STEP = (
    f"Next, on your laptop: read the push URL ({READ_THE_URL}) and register it in the "
    "ENTSO-E Transparency Platform as the web service (push) endpoint of your subscription "
    "(docs/deploy.md). It is a secret: it is never printed here."
)


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


def ensure_webhook(webhooks: Webhooks | None) -> str:
    """The webhook, created or updated; its URL never printed (it starts runs for its holder)."""
    outcome, _ = _ensure(webhooks)
    announce()
    return outcome


def webhook_url(webhooks: Webhooks | None) -> str:
    """The webhook's URL, for the receiver's SSM parameter (the webhook is there by then)."""
    return _ensure(webhooks)[1]


def _ensure(webhooks: Webhooks | None) -> tuple[str, str]:
    return _connected(webhooks).ensure(
        WEBHOOK_NAME,
        webhook_template(),
        f"ENTSO-E pushes for {settings.PROJECT_NAME}: {EVENT_NAME} events",
    )


def delete_webhook(webhooks: Webhooks | None) -> str:
    return _connected(webhooks).delete(WEBHOOK_NAME)


def _connected(webhooks: Webhooks | None) -> Webhooks:
    if webhooks is None:
        raise BadInput("no Prefect Cloud API to talk to (a dry run talks to nothing)")
    return webhooks


def announce() -> None:
    """The next step into the GitHub Actions run summary, when there is one: where the owner
    reads the push URL, never the URL itself (a summary is public with a public repository)."""
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if not summary:
        return
    with open(summary, "a", encoding="utf-8") as handle:
        handle.write(f"### ENTSO-E push endpoint\n\n{NEXT_STEP}\n")
