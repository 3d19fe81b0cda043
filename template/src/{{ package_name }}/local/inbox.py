"""Where the local stack keeps what it receives and sends: whole files, written durably.

inbox/ holds every push as it arrives, quarantine/ the refused ones with their reason, and
outbox/ every mail the SMTP server takes. A file appears whole or not at all, and once it is
there a crash does not lose it.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path


def stamp() -> str:
    """A sortable UTC time for file names."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def write_durably(path: Path, data: bytes) -> Path:
    """Write to a side file, fsync it, then rename it into place (and fsync the folder)."""
    partial = path.with_suffix(".part")
    with partial.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    partial.rename(path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
    return path


@dataclass
class Inbox:
    """Where pushes are kept: inbox/ as they arrive, quarantine/ when they are refused."""

    root: Path
    inbox: Path = field(init=False)
    quarantine: Path = field(init=False)

    def __post_init__(self) -> None:
        self.inbox = self.root / "inbox"
        self.quarantine = self.root / "quarantine"
        for folder in (self.inbox, self.quarantine):
            folder.mkdir(parents=True, exist_ok=True)

    def keep(self, body: bytes) -> Path:
        """Write the body durably before anything else is done with it."""
        return write_durably(self.inbox / f"{stamp()}-{uuid.uuid4().hex[:8]}.xml", body)

    def refuse(self, path: Path, reason: str) -> Path:
        target = self.quarantine / path.name
        path.rename(target)
        target.with_suffix(".reason.txt").write_text(reason + "\n", encoding="utf-8")
        return target

    def pending(self) -> list[Path]:
        return sorted(self.inbox.glob("*.xml"))
