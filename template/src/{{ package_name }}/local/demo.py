"""`python -m <package> local demo`: one push through the whole local loop, start to finish.

Starts the local stack in a subprocess, pushes a generated document the way ENTSO-E would (a SOAP
envelope), waits for the newsletter to land in the outbox, prints where it is and its subject, and
stops the stack.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from email import message_from_bytes, policy
from pathlib import Path
from typing import TextIO

import httpx

from sample_documents import generate, soap_envelope

from .. import settings
from ..core.errors import BadInput
from ..core.zones import area_name
from .config import Config

READY_SECONDS = 180
MAIL_SECONDS = 120


def run() -> int:
    config = Config.from_environment()
    outbox = config.data_dir / "outbox"
    before = set(outbox.glob("*.eml")) if outbox.is_dir() else set()
    stack = subprocess.Popen(  # noqa: S603 (our own interpreter, fixed arguments)
        [sys.executable, "-m", settings.__name__.rpartition(".")[0], "local"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for_ready(stack)
        # The first zone of the answers, as Copier keeps them: in the questionnaire's order.
        kind, zone = settings.DOCUMENT_TYPES[0], settings.BIDDING_ZONES[0]
        document = generate(
            kind,
            area=zone,
            start=_tomorrow(),
            seed=int(time.time()),  # new values each time: the same values are never mailed twice
        )
        response = httpx.post(
            f"http://127.0.0.1:{config.receiver_port}/entsoe",
            content=soap_envelope(document),
            headers={"Content-Type": "application/soap+xml; charset=utf-8"},
            timeout=60,
        )
        print(f"pushed a generated {kind} for {area_name(zone)}: HTTP {response.status_code}")
        response.raise_for_status()
        mail = _wait_for_mail(outbox, before)
        print(f"newsletter: {mail}")
        print(f"subject: {_subject(mail)}")
        # Without an ENTSO-E key the newsletter goes without capacity shares, and the alert
        # recipients are told why (contract 8): the demo shows that mail too.
        for alert in sorted(set(outbox.glob("*.eml")) - before - {mail}):
            if _is_alert(alert):
                print(f"alert: {alert} ({_subject(alert)})")
        return 0
    finally:
        stack.send_signal(signal.SIGTERM)
        stack.wait(timeout=60)


def _wait_for_ready(stack: subprocess.Popen[str]) -> None:
    """Echo the stack's output, indented, and return once it says ready."""
    ready = threading.Event()
    said: list[str] = []

    def echo(lines: TextIO) -> None:
        for line in lines:
            said.append(line)
            print(f"  local | {line}", end="", flush=True)
            if line.startswith("ready"):
                ready.set()

    echoing = threading.Thread(target=echo, args=(stack.stdout,), daemon=True)
    echoing.start()
    deadline = time.monotonic() + READY_SECONDS
    while not ready.wait(0.2):
        if stack.poll() == 2:
            # Bad input (a busy port, say): pass its one line on, and exit 2 as well.
            echoing.join(5)
            raise BadInput(said[-1].strip().removeprefix("error: ") if said else "bad settings")
        if stack.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the local stack did not become ready")


def _is_alert(mail: Path) -> bool:
    return _subject(mail).startswith("Alert:")


def _subject(mail: Path) -> str:
    return str(message_from_bytes(mail.read_bytes(), policy=policy.default)["Subject"])


def _wait_for_mail(outbox: Path, before: set[Path]) -> Path:
    """The first newsletter (not an alert) that lands in the outbox."""
    deadline = time.monotonic() + MAIL_SECONDS
    while time.monotonic() < deadline:
        new = [m for m in sorted(set(outbox.glob("*.eml")) - before) if not _is_alert(m)]
        if new:
            return new[0]
        time.sleep(0.2)
    raise RuntimeError(f"no newsletter in {outbox} after {MAIL_SECONDS} s")


def _tomorrow() -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(time.time() + 86_400))
