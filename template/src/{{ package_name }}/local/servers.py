"""The servers the local stack runs beside the receiver: Prefect (a subprocess) and SMTP.

The Prefect server runs in its own process group, so stopping it stops everything it started;
a server left behind by a stack that was killed is stopped first. The SMTP server files every
message it takes as one .eml in the outbox.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from itertools import count
from pathlib import Path
from typing import Any

import httpx

from .config import Config
from .inbox import stamp, write_durably


class Outbox:
    """aiosmtpd handler: every message received becomes one .eml file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.numbers = count(1)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content: bytes = envelope.original_content or b""
        path = write_durably(self.folder / f"{stamp()}-{next(self.numbers):04d}.eml", content)
        subject = message_from_bytes(content, policy=policy.default)["Subject"]
        print(f"mail for {', '.join(envelope.rcpt_tos)} filed as {path} ({subject})", flush=True)
        return "250 Message accepted for delivery"


@contextlib.contextmanager
def smtp_server(config: Config) -> Iterator[None]:
    from aiosmtpd.controller import Controller

    controller = Controller(Outbox(config.outbox), hostname="127.0.0.1", port=config.smtp_port)
    controller.start()
    try:
        yield
    finally:
        controller.stop()


@contextlib.contextmanager
def prefect_server(config: Config) -> Iterator[None]:
    """`prefect server start` in its own process group, stopped with everything it started."""
    pid_file = config.data_dir / "prefect" / "server.pid"
    _stop_leftover(pid_file)
    log = (config.data_dir / "prefect" / "server.log").open("ab")
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1"]
    process = subprocess.Popen(  # noqa: S603 (our own interpreter, fixed arguments)
        [*command, "--port", str(config.prefect_port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **config.prefect_environment()},
        start_new_session=True,
    )
    pid_file.write_text(str(process.pid))
    try:
        _wait_until_healthy(config.api_url, process)
        yield
    finally:
        _stop_group(process)
        log.close()
        pid_file.unlink(missing_ok=True)


def _wait_until_healthy(api_url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Prefect server exited with status {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                return
        time.sleep(0.3)
    raise RuntimeError("the Prefect server did not become healthy within 120 s")


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the whole group, SIGKILL after a grace period: nothing is left behind."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _stop_leftover(pid_file: Path) -> None:
    """A stack that was killed outright leaves its Prefect server behind: stop that one first."""
    try:
        pid = int(pid_file.read_text())
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return
    if b"prefect" in command and b"server" in command:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
