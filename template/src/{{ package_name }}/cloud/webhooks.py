"""Prefect Cloud's webhooks API (the open-source server has none), and the project's webhook.

The webhook turns each ENTSO-E push into the event of the event contract, from the one template
that the local receiver renders too. Its URL is printed once, for the person who registers it
with ENTSO-E.
"""

from __future__ import annotations

import os
import re
from typing import Any

import httpx

from .. import settings
from ..events import EVENT_NAME, webhook_template
from ..pipeline.errors import BadInput

WEBHOOK_NAME = settings.PROJECT_SLUG
# A workspace-scoped Prefect Cloud API URL; webhooks exist only there.
CLOUD_API_URL = re.compile(r"(?P<origin>https?://[^/]+)/api/accounts/[^/]+/workspaces/[^/]+/?")
NEXT_STEP = (
    "Next: in the ENTSO-E Transparency Platform, register this URL as the push (web service) "
    "endpoint of your subscription; each document it pushes then starts one flow run."
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
    outcome, url = _connected(webhooks).ensure(
        WEBHOOK_NAME,
        webhook_template(),
        f"ENTSO-E pushes for {settings.PROJECT_NAME}: {EVENT_NAME} events",
    )
    announce(url)
    return f"{outcome}\n\nWebhook URL: {url}\n{NEXT_STEP}"


def delete_webhook(webhooks: Webhooks | None) -> str:
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
