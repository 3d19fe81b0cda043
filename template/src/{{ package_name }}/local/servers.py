"""The servers the local stack runs beside the receiver: Prefect (a subprocess) and SMTP.

The Prefect server runs in its own process group, so stopping it stops everything it started;
a server left behind by a stack that was killed is stopped first. The SMTP server files every
message it takes as one .eml in the outbox.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from itertools import count
from pathlib import Path
from typing import Any

import httpx

from ..core.errors import BadInput
from .config import PREFECT_PORT_ENV, Config
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


def check_ports(config: Config) -> None:
    """Bind each port as its server will (all at once, so a port given twice is caught too)."""
    with contextlib.ExitStack() as probes:
        for name, port in config.ports.items():
            probe = probes.enter_context(socket.socket())
            # As the servers do, so a port a stopped stack left in TIME_WAIT counts as free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError as error:
                # Not strerror for a busy port: "already in use" holds "ready", which means ready.
                busy = error.errno == errno.EADDRINUSE
                why = "is in use" if busy else f"cannot be used ({error.strerror})"
                raise BadInput(
                    f"{name}={port}: port {port} {why}; "
                    f"stop what holds it or set {name} to another port"
                ) from None


@contextlib.contextmanager
def smtp_server(config: Config) -> Iterator[None]:
    from aiosmtpd.controller import Controller

    controller = Controller(Outbox(config.outbox), hostname="127.0.0.1", port=config.smtp_port)
    controller.start()
    try:
        yield
    finally:
        controller.stop()


SERVER_MODULE = f"{__package__}.prefect_server"  # python -m SERVER_MODULE server start


@contextlib.contextmanager
def prefect_server(config: Config) -> Iterator[None]:
    """`prefect server start` in its own process group, stopped with everything it started;
    its SQLite transactions wait for each other instead of failing (prefect_server.py)."""
    log = config.server_log.open("ab")
    command = [sys.executable, "-m", SERVER_MODULE, "server", "start", "--host", "127.0.0.1"]
    process = subprocess.Popen(  # noqa: S603 (our own interpreter, fixed arguments)
        [*command, "--port", str(config.prefect_port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **config.prefect_environment()},
        start_new_session=True,
    )
    # The server's pid, for the next start after a kill; this stack's, so that start leaves a
    # running stack alone.
    config.pid_file.write_text(f"{process.pid} {os.getpid()}")
    try:
        _wait_until_healthy(config, process)
        yield
    finally:
        _stop_group(process)
        log.close()
        config.pid_file.unlink(missing_ok=True)


def _wait_until_healthy(config: Config, process: subprocess.Popen[bytes]) -> None:
    """Raise BadInput (one line: the port, and where the server's log is) if it never answers."""
    port, log = f"{PREFECT_PORT_ENV}={config.prefect_port}", f"its log is {config.server_log}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            status = process.returncode
            raise BadInput(f"{port}: the Prefect server exited with status {status}; {log}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{config.api_url}/health", timeout=2).status_code == 200:
                return
        time.sleep(0.3)
    raise BadInput(f"{port}: the Prefect server did not answer within 120 s; {log}")


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


def check_not_running(config: Config) -> None:
    """A stack already running on this data folder is left alone: one line names it."""
    _, stack = _pids(config)
    if stack and _runs(stack, b"local"):
        raise BadInput(
            f"a local stack (pid {stack}) is already running on {config.data_dir}: "
            "use it, stop it (Ctrl-C), or set PIPELINE_DATA_DIR to another folder"
        )


def stop_leftover(config: Config) -> None:
    """A stack that was killed outright leaves its Prefect server behind: stop that one first.
    Only when the pid file names the stack that started it, and that stack is gone."""
    server, stack = _pids(config)
    if (
        not (server and stack)
        or _runs(stack, b"local")
        or not _runs(server, SERVER_MODULE.encode())
    ):
        return  # nothing left over, or its stack still runs it
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{server}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)


def _pids(config: Config) -> tuple[int | None, int | None]:
    """The Prefect server's pid and its stack's, as the pid file holds them (else None: a file
    an older stack wrote holds the server's alone, and then nothing is stopped)."""
    try:
        server, stack = (int(word) for word in config.pid_file.read_text().split())
    except (OSError, ValueError):
        return None, None
    return server, stack


def _runs(pid: int, *arguments: bytes) -> bool:
    """Whether process `pid` is alive with each of these arguments (read in Linux's /proc; where
    there is none, nothing counts as running, and the port check says what is busy)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return all(argument in command for argument in arguments)
