"""The local stack's settings: ports and the data folder, from the environment (contract 3)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


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
