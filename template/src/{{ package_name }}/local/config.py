"""The local stack's settings: ports and the data folder, from the environment (contract 3)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .. import settings
from ..core.errors import BadInput
from ..receiving import MAX_BODY_BYTES

RECEIVER_PORT_ENV = "PIPELINE_RECEIVER_PORT"
SMTP_PORT_ENV = "PIPELINE_SMTP_PORT"
PREFECT_PORT_ENV = "PIPELINE_PREFECT_PORT"


@dataclass(frozen=True)
class Config:
    """Settings by environment, with the defaults of contract 3."""

    receiver_port: int
    smtp_port: int
    prefect_port: int
    data_dir: Path
    max_body_bytes: int
    replay_every: float  # seconds between the stack's replays of what no run took

    @classmethod
    def from_environment(cls) -> Config:
        env = os.environ
        return cls(
            receiver_port=_port(RECEIVER_PORT_ENV, "8787"),
            smtp_port=_port(SMTP_PORT_ENV, "8025"),
            prefect_port=_port(PREFECT_PORT_ENV, "4200"),
            data_dir=Path(env.get("PIPELINE_DATA_DIR", ".local")).resolve(),
            max_body_bytes=int(env.get("PIPELINE_MAX_BODY_BYTES", str(MAX_BODY_BYTES))),
            replay_every=float(env.get("PIPELINE_REPLAY_EVERY", "60")),
        )

    @property
    def ports(self) -> dict[str, int]:
        """Each port by the variable that sets it, for messages that say what to change."""
        return {
            RECEIVER_PORT_ENV: self.receiver_port,
            SMTP_PORT_ENV: self.smtp_port,
            PREFECT_PORT_ENV: self.prefect_port,
        }

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.prefect_port}/api"

    @property
    def outbox(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def server_log(self) -> Path:
        return self.data_dir / "prefect" / "server.log"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "prefect" / "server.pid"

    def prefect_environment(self) -> dict[str, str]:
        """Where this stack's Prefect lives; set before Prefect is imported, inherited by runs."""
        home = self.data_dir / "prefect"
        env = os.environ
        return {
            "PREFECT_HOME": str(home),
            "PREFECT_API_URL": self.api_url,
            "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
            # Results (and so the record of who got which newsletter) outlive the stack.
            "PREFECT_LOCAL_STORAGE_PATH": str(self.data_dir / "results"),
            "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            # It makes the runs of the pull deployment's and the deadline check's schedules, for
            # the next three days only: 100 by default.
            "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": str(
                settings.PULL_SCHEDULE or settings.PUSH_DEADLINE != "off"
            ).lower(),
            "PREFECT_SERVER_SERVICES_SCHEDULER_MAX_RUNS": "3",
            settings.INBOX_DIR_ENV: str(self.data_dir / "inbox"),
            settings.HISTORY_ENV: str(self.data_dir / "history"),
            settings.SUBJECT_LOCKS_ENV: "process",  # every run is in the stack's one process
            # Prefect's own chatter stays at warnings; the runs' logs (console and UI) at INFO.
            "PREFECT_LOGGING_LEVEL": env.get("PREFECT_LOGGING_LEVEL", "WARNING"),
            **{
                name: env.get(name, "INFO")
                for name in (
                    "PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL",
                    "PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL",
                )
            },
        }


def _port(name: str, default: str) -> int:
    value = os.environ.get(name, default)
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise BadInput(f"{name}={value!r} is not a port number (1 to 65535)")
    return int(value)
