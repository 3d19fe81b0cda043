"""`prefect server start`, with every database transaction begun IMMEDIATE.

The local stack's server keeps its state in SQLite. Prefect begins most transactions DEFERRED:
one that reads and then writes while another writer holds the database fails at once with
"database is locked" (SQLite cannot wait there), the API answers 503, and Prefect's client waits
2 s before it asks again. In a burst of pushes that was most of the time from a push to its flow
run. Begun IMMEDIATE, a transaction waits for the lock instead (Prefect sets a 60 s busy
timeout), as Prefect's own transactions that must not fail already do. Postgres, as Prefect
Cloud uses, is not touched.

    python -m <package>.local.prefect_server server start ...
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any


def begin_immediately() -> None:
    from prefect.server.database.configurations import AioSqliteConfiguration

    begin = AioSqliteConfiguration.begin_transaction

    def immediate(
        self: AioSqliteConfiguration, session: Any, with_for_update: bool = False
    ) -> AbstractAsyncContextManager[Any]:
        return begin(self, session, with_for_update=True)

    AioSqliteConfiguration.begin_transaction = immediate  # type: ignore[method-assign,assignment]


if __name__ == "__main__":
    from prefect.cli import app

    begin_immediately()
    app()
