"""The embedded local stack: the whole event-driven loop on one machine, no cloud account.

One command starts and supervises a Prefect server (SQLite under the data folder), an SMTP server
on loopback that files every message as .eml in the outbox, the receiver (the local stand-in for
the Cloud webhook) and the flow served with the same trigger as the cloud deployment, and in pull
mode its daily pull deployment too (and the watch, and the daily digest unless the answer
newsletter_mode is each). It prints a line with `ready` once a push would be processed,
and stops all of it on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, cast

import httpx

from .. import settings
from ..adapters.delivery import (
    ALERT_RECIPIENTS_ENV,
    ALERT_RECIPIENTS_VARIABLE,
    EMAIL_BLOCK,
    RECIPIENTS_ENV,
    RECIPIENTS_VARIABLE,
    split_addresses,
)
from ..adapters.rest_api import API_KEY_BLOCK, API_KEY_ENV
from ..core.alerts import WAITING_ALERT_AFTER
from ..core.errors import BadInput
from ..events import PULL_PARAMETERS, pull_schedule, trigger
from ..replay import kept_since, not_taken, receipts_taken
from .config import PREFECT_PORT_ENV, Config
from .inbox import Inbox
from .receiver import Receiver, emit, event_for
from .servers import check_not_running, check_ports, prefect_server, smtp_server, stop_leftover

SERVE_POLL_SECONDS = 0.1  # how often the served deployment looks for runs to start
# Runs at once: they overlap on I/O (the Prefect API, SMTP) while one draws; more would only
# take turns at the interpreter's lock on a laptop's cores, and at SQLite's.
RUNS_AT_ONCE = 4
# While the stack runs, kept pushes that no run has taken are replayed every
# PIPELINE_REPLAY_EVERY seconds (a push the receiver could not emit, the server being busy or
# down) once they are REPLAY_AFTER old.
REPLAY_AFTER = dt.timedelta(minutes=1)


def run() -> int:
    """`python -m <package> local`: run the stack in the foreground until interrupted."""
    config = Config.from_environment()
    check_not_running(config)  # a second start leaves the first stack alone
    stop_leftover(config)  # a killed stack's Prefect server still holds its port
    check_ports(config)  # before anything starts, so a busy port leaves nothing running
    for folder in ("inbox", "outbox", "quarantine", "prefect", "results"):
        (config.data_dir / folder).mkdir(parents=True, exist_ok=True)
    os.environ.update(config.prefect_environment())
    _stop_on_sigterm()
    with contextlib.ExitStack() as stack:
        stack.enter_context(smtp_server(config))
        stack.enter_context(prefect_server(config))
        receiver = stack.enter_context(_receiver(config))
        try:
            asyncio.run(_serve(config, receiver))
        except KeyboardInterrupt:
            print("stopping", flush=True)
        _drain_prefect_workers()
    return 0


def _drain_prefect_workers() -> None:
    """Send the runs' last logs and events while the server is up: at exit, Prefect's workers
    would wait for a server that is gone."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        worker.drain_all(timeout=5)


def replay(config: Config | None = None) -> int:
    """Emit every inbox item that no finished run has taken; print how many."""
    config = config or Config.from_environment()
    _require_server(config)
    os.environ.update(config.prefect_environment())
    inbox = Inbox(config.data_dir)
    pending = not_taken(inbox.pending(), asyncio.run(receipts_taken()))
    for received in pending:
        emit(config.api_url, event_for(received))
    print(f"replayed {len(pending)} push(es) from {inbox.inbox_dir}", flush=True)
    return 0


async def _replay_on_schedule(config: Config) -> None:
    """Every PIPELINE_REPLAY_EVERY seconds, a replay round. One that fails (the server busy or
    restarting) is said in a line; the next round tries again, and the stack goes on serving."""
    alerted: set[str] = set()
    while True:
        await asyncio.sleep(config.replay_every)
        try:
            await _replay_round(Inbox(config.data_dir), config.api_url, alerted)
        except Exception as error:  # the stack must outlive it
            print(f"replay round failed: {error!r}; next in {config.replay_every:g} s", flush=True)


async def _replay_round(inbox: Inbox, api_url: str, alerted: set[str]) -> None:
    """Replay the kept pushes that no run ever took, and alert (through the watch deployment)
    when a push has waited longer than WAITING_ALERT_AFTER for a completed run, once each."""
    now = datetime.now(UTC)
    old = [r for r in inbox.pending() if now - (kept_since(r.receipt) or now) > REPLAY_AFTER]
    started, completed = await receipts_taken(started=True), await receipts_taken()
    never_run = not_taken(old, started)
    for received in never_run:
        await asyncio.to_thread(emit, api_url, event_for(received))
    if never_run:
        print(f"replayed {len(never_run)} push(es) no run had taken", flush=True)
    waiting = [
        r.receipt
        for r in not_taken(old, completed)
        if now - (kept_since(r.receipt) or now) > WAITING_ALERT_AFTER
    ]
    if set(waiting) - alerted:
        await _run_watch({"waiting": waiting, "replayed": len(never_run)})
        alerted.update(waiting)


async def _run_watch(parameters: dict[str, Any]) -> None:
    from prefect.client.orchestration import get_client

    from ..watch import WATCH_DEPLOYMENT

    async with get_client() as client:
        deployment = await client.read_deployment_by_name(WATCH_DEPLOYMENT)
        await client.create_flow_run_from_deployment(deployment.id, parameters=parameters)


def status(config: Config | None = None) -> int:
    """`status` of the running stack: what needs attention (status.py); 1 if anything does."""
    from .. import status as report

    config = config or Config.from_environment()
    try:
        _require_server(config)
    except BadInput as down:
        print(f"{report.ATTENTION} {down}", flush=True)
        return 1
    os.environ.update(config.prefect_environment())
    waiting = not_taken(Inbox(config.data_dir).pending(), asyncio.run(receipts_taken()))
    return report.run([received.receipt for received in waiting])


def _require_server(config: Config) -> None:
    """Replay asks the stack's Prefect server which pushes were taken: without it, say so."""
    try:
        httpx.get(f"{config.api_url}/health", timeout=5).raise_for_status()
    except httpx.HTTPError:
        raise BadInput(
            f"no local stack answers on {PREFECT_PORT_ENV}={config.prefect_port}: start it "
            "(make local), which replays the inbox when it starts"
        ) from None


async def _serve(config: Config, receiver: Receiver) -> None:
    """Register the deployment with its trigger and run what it schedules; replay; say ready."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from .. import digest, watch
    from ..flow import newsletter_flow  # Prefect reads its settings once, on import

    await _seed_smtp(config, EMAIL_BLOCK)
    await _seed_recipients(RECIPIENTS_VARIABLE, RECIPIENTS_ENV, settings.RECIPIENTS)
    await _seed_recipients(
        ALERT_RECIPIENTS_VARIABLE, ALERT_RECIPIENTS_ENV, settings.ALERT_RECIPIENTS
    )
    await _seed_api_key(API_KEY_BLOCK, API_KEY_ENV)
    _import_for_the_first_run()
    # No deployment concurrency limit: RUNS_AT_ONCE bounds the runs here, without a write to
    # SQLite per run; newsletters of one subject take turns in this process (flow.subject_lock).
    deployment = await newsletter_flow.ato_deployment(
        name=settings.DEPLOYMENT_NAME, triggers=[trigger()]
    )
    watching = await watch.watch_flow.ato_deployment(
        name=settings.WATCH_DEPLOYMENT_NAME, triggers=[watch.trigger()], schedules=watch.schedules()
    )
    flows = {
        await deployment.aapply(): newsletter_flow,
        await _pull_deployment(newsletter_flow): newsletter_flow,
        await watching.aapply(): watch.watch_flow,
    }
    if digest.wanted():  # as deploy makes it: daily at the digest time, one run at a time
        digesting = await digest.digest_flow.ato_deployment(
            name=settings.DIGEST_DEPLOYMENT_NAME, schedules=digest.schedules(), concurrency_limit=1
        )
        flows[await digesting.aapply()] = digest.digest_flow
    deployment_ids = list(flows)
    await _crash_abandoned_runs(deployment_ids)
    # No heartbeats: their thread is joined at each run's end (up to a second), and a run the
    # stack abandons is marked Crashed at its next start (_crash_abandoned_runs). Set once here:
    # the runs' threads inherit it, and a copy of Prefect's settings per run costs CPU.
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        serving = asyncio.create_task(_run_scheduled(flows))
    receiver.ready.set()
    await asyncio.to_thread(replay, config)
    replaying = asyncio.create_task(_replay_on_schedule(config))
    print(
        f"ready: push to http://127.0.0.1:{config.receiver_port}/entsoe; "
        f"mail lands in {config.outbox}; Prefect UI at http://127.0.0.1:{config.prefect_port}",
        flush=True,
    )
    await asyncio.gather(serving, replaying)


async def _pull_deployment(flow: Any) -> Any:
    """The pull deployment, as deploy makes it in the cloud: on a daily schedule in pull mode;
    without one otherwise, for the watch's fallback when a deadline passes. Its id."""
    deployment = await flow.ato_deployment(
        name=settings.PULL_DEPLOYMENT_NAME,
        parameters=PULL_PARAMETERS,
        schedules=[pull_schedule()] if settings.PULL_SCHEDULE else [],
        concurrency_limit=1,
    )
    return await deployment.aapply()


async def _run_scheduled(flows: dict[Any, Any]) -> None:
    """Serve the deployments in this process, up to RUNS_AT_ONCE runs at a time, each in a thread.

    Prefect's own runner starts every run in a fresh interpreter, which spends about three seconds
    importing Prefect and pandas again; here they are imported once, so a push is mailed in about
    a second after its run is created.
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import State
    from prefect.states import Pending

    running: set[asyncio.Task[None]] = set()
    async with get_client() as client:
        while True:
            if len(running) >= RUNS_AT_ONCE:
                await asyncio.sleep(SERVE_POLL_SECONDS)
                continue
            runs = await client.get_scheduled_flow_runs_for_deployments(
                list(flows),
                scheduled_before=datetime.now(UTC),
                limit=RUNS_AT_ONCE - len(running),
            )
            for flow_run in runs:
                pending: State[Any] = Pending()
                taken = await client.set_flow_run_state(flow_run.id, pending)
                if taken.state is None or not taken.state.is_pending():
                    continue  # another process took it, or it was cancelled
                flow = flows[flow_run.deployment_id]
                run = asyncio.create_task(asyncio.to_thread(_run_one, flow, flow_run))
                running.add(run)
                run.add_done_callback(running.discard)
            await asyncio.sleep(SERVE_POLL_SECONDS)


def _run_one(flow: Any, flow_run: Any) -> None:
    """One run to its end. A run that fails is the run's business (its log says why), not the
    stack's: say so in one line and go on serving."""
    from prefect.client.schemas.objects import State
    from prefect.flow_engine import run_flow

    try:
        state = cast(
            "State[Any]",
            run_flow(flow, flow_run=flow_run, parameters=flow_run.parameters, return_type="state"),
        )
    except Exception as error:  # the engine itself failed (the server went away, say)
        print(f"run {flow_run.name} crashed: {error!r}; still serving", flush=True)
        return
    if not state.is_completed():
        print(f"run {flow_run.name} ended {state.name}: {state.message}; still serving", flush=True)


def _import_for_the_first_run() -> None:
    """What a run imports late, imported before the first push: it would cost that run 0.5 s."""
    import entsoe.mappings  # noqa: F401
    import matplotlib.figure  # noqa: F401
    import prefect_email  # noqa: F401


async def _crash_abandoned_runs(deployment_ids: list[Any]) -> None:
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
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=deployment_ids)),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(name=FlowRunFilterStateName(any_=["Pending", "Running"]))
            ),
        )
        for flow_run in abandoned:
            await client.set_flow_run_state(
                flow_run.id, Crashed(message="the local stack stopped during this run"), force=True
            )


async def _seed_smtp(config: Config, block: str) -> None:
    """The SMTP block points at this stack's SMTP server."""
    from prefect_email import EmailServerCredentials

    await EmailServerCredentials(
        smtp_server="127.0.0.1", smtp_port=config.smtp_port, smtp_type="INSECURE"
    ).asave(block, overwrite=True)


async def _seed_recipients(variable: str, recipients_env: str, answered: list[str]) -> None:
    """Recipients from the environment; else the Variable as it is; else the answers."""
    from prefect.variables import Variable

    wanted = os.environ.get(recipients_env)
    if wanted:
        await Variable.aset(variable, split_addresses(wanted), overwrite=True)
    elif await Variable.aget(variable, default=[]) == []:
        await Variable.aset(variable, list(answered))


async def _seed_api_key(block: str, key_env: str) -> None:
    """The ENTSO-E API key into its Secret block, as deploy saves it in the cloud (never printed);
    without the variable, a block saved before is kept."""
    from prefect.blocks.system import Secret
    from pydantic import SecretStr

    key = os.environ.get(key_env)
    if key:
        await Secret(value=SecretStr(key)).asave(block, overwrite=True)


@contextlib.contextmanager
def _receiver(config: Config) -> Iterator[Receiver]:
    server = Receiver(
        config.receiver_port, Inbox(config.data_dir), config.api_url, config.max_body_bytes
    )
    server.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _stop_on_sigterm() -> None:
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
