"""The embedded local stack: the whole event-driven loop on one machine, no cloud account.

One command starts and supervises a Prefect server (SQLite under the data folder), an SMTP server
on loopback that files every message as .eml in the outbox, the receiver (the local stand-in for
the Cloud webhook) and the flow served with the same trigger as the cloud deployment. It prints a
line with `ready` once a push would be processed, and stops all of it on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from itertools import count
from pathlib import Path
from typing import Any

import httpx

SERVE_POLL_SECONDS = 0.25  # how often the served deployment looks for runs to start


@dataclass(frozen=True)
class Config:
    """Settings by environment, with the defaults of contract 3."""

    receiver_port: int
    smtp_port: int
    prefect_port: int
    data_dir: Path
    max_body_bytes: int

    @classmethod
    def from_environment(cls) -> Config:
        env = os.environ
        return cls(
            receiver_port=int(env.get("PIPELINE_RECEIVER_PORT", "8787")),
            smtp_port=int(env.get("PIPELINE_SMTP_PORT", "8025")),
            prefect_port=int(env.get("PIPELINE_PREFECT_PORT", "4200")),
            data_dir=Path(env.get("PIPELINE_DATA_DIR", ".local")).resolve(),
            max_body_bytes=int(env.get("PIPELINE_MAX_BODY_BYTES", str(50 * 1024 * 1024))),
        )

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.prefect_port}/api"

    @property
    def outbox(self) -> Path:
        return self.data_dir / "outbox"

    def prefect_environment(self) -> dict[str, str]:
        """Where this stack's Prefect lives; set before Prefect is imported, inherited by runs."""
        home = self.data_dir / "prefect"
        return {
            "PREFECT_HOME": str(home),
            "PREFECT_API_URL": self.api_url,
            "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
            # Results (and so the record of who got which newsletter) outlive the stack.
            "PREFECT_LOCAL_STORAGE_PATH": str(self.data_dir / "results"),
            "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
            "PREFECT_LOGGING_LEVEL": os.environ.get("PREFECT_LOGGING_LEVEL", "WARNING"),
        }


class Outbox:
    """aiosmtpd handler: every message received becomes one .eml file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.numbers = count(1)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content: bytes = envelope.original_content or b""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.folder / f"{stamp}-{next(self.numbers):04d}.eml"
        path.with_suffix(".part").write_bytes(content)
        path.with_suffix(".part").rename(path)
        subject = message_from_bytes(content, policy=policy.default)["Subject"]
        print(f"mail for {', '.join(envelope.rcpt_tos)} filed as {path} ({subject})", flush=True)
        return "250 Message accepted for delivery"


def run() -> int:
    """`python -m <package> local`: run the stack in the foreground until interrupted."""
    config = Config.from_environment()
    for folder in ("inbox", "outbox", "quarantine", "prefect", "results"):
        (config.data_dir / folder).mkdir(parents=True, exist_ok=True)
    os.environ.update(config.prefect_environment())
    _stop_on_sigterm()
    with contextlib.ExitStack() as stack:
        stack.enter_context(_smtp_server(config))
        stack.enter_context(_prefect_server(config))
        receiver = stack.enter_context(_receiver(config))
        try:
            asyncio.run(_serve(config, receiver))
        except KeyboardInterrupt:
            print("stopping", flush=True)
    return 0


def replay(config: Config | None = None) -> int:
    """Emit every inbox item that no finished run has taken; print how many."""
    from . import receiver

    config = config or Config.from_environment()
    os.environ.update(config.prefect_environment())
    inbox = receiver.Inbox(config.data_dir)
    taken = asyncio.run(_receipts_taken())
    pending = [path for path in inbox.pending() if path.stem not in taken]
    for path in pending:
        receiver.emit(config.api_url, receiver.event_for(path, "application/xml"))
    print(f"replayed {len(pending)} push(es) from {inbox.inbox}", flush=True)
    return 0


async def _serve(config: Config, receiver: Any) -> None:
    """Register the deployment with its trigger and run what it schedules; replay; say ready."""
    from . import settings
    from .delivery import EMAIL_BLOCK, RECIPIENTS_ENV, RECIPIENTS_VARIABLE
    from .flow import newsletter_flow, trigger

    await _seed(config, EMAIL_BLOCK, RECIPIENTS_VARIABLE, RECIPIENTS_ENV)
    deployment = await newsletter_flow.ato_deployment(
        name=settings.DEPLOYMENT_NAME, triggers=[trigger()], concurrency_limit=1
    )
    deployment_id = await deployment.aapply()
    await _crash_abandoned_runs(deployment_id)
    serving = asyncio.create_task(_run_scheduled(deployment_id, newsletter_flow))
    receiver.ready.set()
    await asyncio.to_thread(replay, config)
    print(
        f"ready: push to http://127.0.0.1:{config.receiver_port}/entsoe; "
        f"mail lands in {config.outbox}; Prefect UI at http://127.0.0.1:{config.prefect_port}",
        flush=True,
    )
    await serving


async def _run_scheduled(deployment_id: Any, flow: Any) -> None:
    """Serve the deployment in this process, one run at a time (its concurrency limit is 1).

    Prefect's own runner starts every run in a fresh interpreter, which spends about three seconds
    importing Prefect and pandas again; here they are imported once, so a push is mailed in about
    a second after its run is created.
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import State
    from prefect.flow_engine import run_flow
    from prefect.states import Pending

    async with get_client() as client:
        while True:
            runs = await client.get_scheduled_flow_runs_for_deployments(
                [deployment_id], scheduled_before=datetime.now(UTC)
            )
            for flow_run in runs:
                pending: State[Any] = Pending()
                taken = await client.set_flow_run_state(flow_run.id, pending)
                if taken.state is None or not taken.state.is_pending():
                    continue  # another process took it, or it was cancelled
                await asyncio.to_thread(
                    run_flow, flow, flow_run=flow_run, parameters=flow_run.parameters
                )
            await asyncio.sleep(SERVE_POLL_SECONDS)


async def _crash_abandoned_runs(deployment_id: Any) -> None:
    """Runs left Pending or Running by a stack that was killed can never finish: say so."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateName,
    )
    from prefect.states import Crashed

    async with get_client() as client:
        abandoned = await client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(name=FlowRunFilterStateName(any_=["Pending", "Running"]))
            ),
        )
        for flow_run in abandoned:
            await client.set_flow_run_state(
                flow_run.id, Crashed(message="the local stack stopped during this run"), force=True
            )


async def _seed(config: Config, block: str, variable: str, recipients_env: str) -> None:
    """The SMTP block points at this stack's SMTP server; recipients from the environment."""
    from prefect.variables import Variable
    from prefect_email import EmailServerCredentials

    from . import settings
    from .delivery import split_addresses

    await EmailServerCredentials(
        smtp_server="127.0.0.1", smtp_port=config.smtp_port, smtp_type="INSECURE"
    ).asave(block, overwrite=True)
    wanted = os.environ.get(recipients_env)
    if wanted:
        await Variable.aset(variable, split_addresses(wanted), overwrite=True)
    elif await Variable.aget(variable, default=[]) == []:
        await Variable.aset(variable, list(settings.RECIPIENTS))


async def _receipts_taken() -> set[str]:
    """Receipts of the pushes whose run completed: the others are emitted again, which mails
    nobody twice (the flow's delivery records see to that)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    from . import settings

    taken: set[str] = set()
    async with get_client() as client:
        offset = 0
        while True:
            runs = await client.read_flow_runs(
                flow_filter=FlowFilter(name=FlowFilterName(any_=[settings.FLOW_NAME])),
                offset=offset,
                limit=200,
            )
            for flow_run in runs:
                completed = flow_run.state is not None and flow_run.state.is_completed()
                if completed and flow_run.parameters.get("receipt"):
                    taken.add(str(flow_run.parameters["receipt"]))
            if len(runs) < 200:
                return taken
            offset += len(runs)


@contextlib.contextmanager
def _smtp_server(config: Config) -> Iterator[None]:
    from aiosmtpd.controller import Controller

    controller = Controller(Outbox(config.outbox), hostname="127.0.0.1", port=config.smtp_port)
    controller.start()
    try:
        yield
    finally:
        controller.stop()


@contextlib.contextmanager
def _prefect_server(config: Config) -> Iterator[None]:
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


@contextlib.contextmanager
def _receiver(config: Config) -> Iterator[Any]:
    from .receiver import Inbox, Receiver

    server = Receiver(
        config.receiver_port, Inbox(config.data_dir), config.api_url, config.max_body_bytes
    )
    server.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


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


def _stop_on_sigterm() -> None:
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
