"""Contract 4: usage errors exit 2 with one line on stderr and no traceback."""

import subprocess
import sys

import pytest

from {{ package_name }}.__main__ import main


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "{{ package_name }}", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_unknown_command_is_bad_usage() -> None:
    result = run_cli("no-such-command")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_missing_file_is_bad_usage(tmp_path: pytest.TempPathFactory) -> None:
    result = run_cli("parse", "does-not-exist.xml")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: cannot read does-not-exist.xml: No such file or directory"
    ]


def test_main_without_command_exits_2() -> None:
    with pytest.raises(SystemExit) as stop:
        main([])
    assert stop.value.code == 2
