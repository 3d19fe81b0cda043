"""Who gets the newsletter, and the SMTP connection it goes through.

Both come from Prefect, in the cloud and locally alike: the recipients from a Variable (a JSON
list seeded at deploy time; `PIPELINE_RECIPIENTS` and then the answers as fallbacks), the SMTP
server from an `EmailServerCredentials` block (the local stack saves one for its SMTP server).
"""

from __future__ import annotations

import json
import os
import re
from email.message import EmailMessage

from .. import settings

RECIPIENTS_VARIABLE = f"{settings.PROJECT_SLUG}-recipients"
RECIPIENTS_ENV = "PIPELINE_RECIPIENTS"
# Alerts (contract 8): their own Variable, seeded from the answers' alert_recipients.
ALERT_RECIPIENTS_VARIABLE = f"{settings.PROJECT_SLUG}-alert-recipients"
ALERT_RECIPIENTS_ENV = "PIPELINE_ALERT_RECIPIENTS"
EMAIL_BLOCK = f"{settings.PROJECT_SLUG}-smtp"

_ADDRESS = re.compile(r"[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[A-Za-z]{2,}")


def is_address(address: object) -> bool:
    return isinstance(address, str) and _ADDRESS.fullmatch(address) is not None


def recipients(alerts: bool = False) -> tuple[list[str], list[str]]:
    """(valid, invalid) addresses of the newsletter, or of the alerts, each once, in the order
    given."""
    from prefect.variables import Variable

    variable, env, answered = (
        (ALERT_RECIPIENTS_VARIABLE, ALERT_RECIPIENTS_ENV, settings.ALERT_RECIPIENTS)
        if alerts
        else (RECIPIENTS_VARIABLE, RECIPIENTS_ENV, settings.RECIPIENTS)
    )
    configured: object = Variable.get(variable, default=None)
    if configured is None:
        fallback = os.environ.get(env)
        configured = split_addresses(fallback) if fallback else list(answered)
    if not isinstance(configured, list):
        configured = [configured]
    seen = list(dict.fromkeys(str(a).strip() for a in configured))
    return [a for a in seen if is_address(a)], [a for a in seen if not is_address(a)]


def send(message: EmailMessage) -> None:
    """Send one message through the SMTP server of the `EmailServerCredentials` block."""
    from prefect_email import EmailServerCredentials

    credentials = EmailServerCredentials.load(EMAIL_BLOCK, validate=False)
    server = credentials.get_server()
    try:
        server.send_message(message)
    finally:
        server.quit()


def split_addresses(text: str) -> list[str]:
    """A JSON list, or addresses separated by commas."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return [a for a in text.split(",") if a.strip()]
    return value if isinstance(value, list) else [value]
