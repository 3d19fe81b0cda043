"""Where the local stack keeps what it receives and sends: whole files, written durably.

inbox/ holds every push as it arrives, quarantine/ the refused ones with their reason, ignored/
the valid ones the project did not choose, and outbox/ every mail the SMTP server takes. A file
appears whole or not at all, and once it is there a crash does not lose it.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..receiving import Kept, Received


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
    """Where pushes are kept: inbox/ as they arrive, quarantine/ when they are refused, ignored/
    when they are valid but not chosen. It is the local host's Store (receiving.py)."""

    root: Path
    inbox_dir: Path = field(init=False)
    quarantine_dir: Path = field(init=False)
    ignored_dir: Path = field(init=False)

    def __post_init__(self) -> None:
        self.inbox_dir = self.root / "inbox"
        self.quarantine_dir = self.root / "quarantine"
        self.ignored_dir = self.root / "ignored"
        for folder in (self.inbox_dir, self.quarantine_dir, self.ignored_dir):
            folder.mkdir(parents=True, exist_ok=True)

    def keep(self, body: bytes) -> Kept:
        """Write the body durably before anything else is done with it (the receiving core's
        Store)."""
        path = write_durably(self.inbox_dir / f"{stamp()}-{uuid.uuid4().hex[:8]}.xml", body)
        return Kept(str(path.resolve()), path.stem)

    def quarantine(self, kept: Kept, reason: str) -> None:
        self._move(Path(kept.reference), self.quarantine_dir, reason)

    def ignore(self, kept: Kept, reason: str) -> None:
        self._move(Path(kept.reference), self.ignored_dir, reason)

    def _move(self, path: Path, folder: Path, reason: str) -> None:
        target = folder / path.name
        path.rename(target)
        target.with_suffix(".reason.txt").write_text(reason + "\n", encoding="utf-8")

    def pending(self) -> list[Received]:
        """What the inbox still holds: neither refused nor ignored."""
        return [
            Received(str(path.resolve()), path.stem, "application/xml", path.stat().st_size)
            for path in sorted(self.inbox_dir.glob("*.xml"))
        ]
