"""The release the release workflow tags: the newest dated CHANGELOG entry that names its commit.

    python3 .github/release_entry.py CHANGELOG.md NOTES_FILE

An entry is a `## X.Y.Z (YYYY-MM-DD)` heading and the lines up to the next `## ` heading; it names
its commit with a line `commit: <hex>`. Entries without a date ("(unreleased)") or without that line
are not releases yet. Prints `version=`, `date=` and `commit=` lines (for $GITHUB_OUTPUT) and writes
the entry's text, without its heading, to NOTES_FILE. Standard library only: the runner's python3.
"""

from __future__ import annotations

import datetime
import re
import sys
from pathlib import Path
from typing import NamedTuple

HEADING = re.compile(r"^## (?P<version>\d+\.\d+\.\d+) \((?P<date>\d{4}-\d{2}-\d{2})\)\s*$")
COMMIT = re.compile(r"^commit: (?P<commit>[0-9a-f]{7,40})\s*$")


class Entry(NamedTuple):
    version: str
    date: str
    commit: str
    notes: str


def released_entries(changelog: str) -> list[Entry]:
    """Every dated entry with a `commit:` line, newest version first."""
    entries: list[Entry] = []
    sections = re.split(r"^(?=## )", changelog, flags=re.MULTILINE)
    for section in sections:
        heading, _, body = section.partition("\n")
        match = HEADING.match(heading)
        if not match:
            continue
        commits = [m["commit"] for line in body.splitlines() if (m := COMMIT.match(line))]
        if not commits:
            continue
        if len(commits) > 1:
            raise SystemExit(f"CHANGELOG entry {match['version']} has more than one commit: line")
        datetime.date.fromisoformat(match["date"])  # a real date, or ValueError
        entries.append(Entry(match["version"], match["date"], commits[0], body.strip() + "\n"))
    entries.sort(key=lambda e: tuple(int(part) for part in e.version.split(".")), reverse=True)
    return entries


def main(changelog: Path, notes: Path) -> None:
    entries = released_entries(changelog.read_text(encoding="utf-8"))
    if not entries:
        raise SystemExit(
            f"{changelog} has no `## X.Y.Z (YYYY-MM-DD)` entry with a `commit:` line to release"
        )
    newest = entries[0]
    notes.write_text(newest.notes, encoding="utf-8")
    print(f"version={newest.version}")
    print(f"date={newest.date}")
    print(f"commit={newest.commit}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]))
