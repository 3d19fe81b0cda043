"""Replay, on both hosts: the kept pushes that no completed run has taken are emitted again.

A push is replayed when its run never started (the forward failed, the automation could not
create the run) or did not complete. Emitting one twice mails nobody twice: the flow's delivery
records see to that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from . import settings
from .receiving import Received

PAGE = 200


def kept_since(receipt: str) -> dt.datetime | None:
    """When a push was kept: both hosts begin its receipt with the UTC time of it."""
    try:
        return dt.datetime.strptime(receipt[:22], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


async def receipts_taken(started: bool = False) -> set[str]:
    """Receipts of the pushes whose flow run completed (or, `started`, that any run took), from
    the Prefect API in use."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    taken: set[str] = set()
    async with get_client() as client:
        offset = 0
        while True:
            runs = await client.read_flow_runs(
                flow_filter=FlowFilter(name=FlowFilterName(any_=[settings.FLOW_NAME])),
                offset=offset,
                limit=PAGE,
            )
            for flow_run in runs:
                completed = flow_run.state is not None and flow_run.state.is_completed()
                if (started or completed) and flow_run.parameters.get("receipt"):
                    taken.add(str(flow_run.parameters["receipt"]))
            if len(runs) < PAGE:
                return taken
            offset += len(runs)


def not_taken(kept: Iterable[Received], taken: set[str]) -> list[Received]:
    return [received for received in kept if received.receipt not in taken]
