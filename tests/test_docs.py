"""The docs keep up with the questionnaire, and CI runs the README's test command."""

from __future__ import annotations

import re

from conftest import QUESTIONS, TEMPLATE_ROOT


def test_every_question_is_documented() -> None:
    text = (TEMPLATE_ROOT / "docs" / "questions.md").read_text()
    headings = set(re.findall(r"^### `([a-z_]+)`", text, flags=re.MULTILINE))
    assert set(QUESTIONS) - headings == set(), "questions missing from docs/questions.md"
    assert headings - set(QUESTIONS) == set(), "docs/questions.md documents unknown questions"


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (TEMPLATE_ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    ci = (TEMPLATE_ROOT / ".ci" / "run").read_text()
    commands = [line for line in ci.splitlines() if line.strip() and not line.startswith("#")]
    assert "make test" in commands
