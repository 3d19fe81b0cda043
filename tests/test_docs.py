"""The docs keep up with the questionnaire, and CI runs the README's test command."""

from __future__ import annotations

import re

import pytest

from conftest import QUESTIONS, TEMPLATE_ROOT, VARIANTS


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


@pytest.mark.parametrize("variant", VARIANTS)
def test_rendered_docs_link_to_files_that_exist(rendered, variant: str) -> None:
    project = rendered(variant)
    pages = [project / "README.md", *sorted((project / "docs").rglob("*.md"))]
    assert {"deploy.md", "infrastructure.md", "local-stack.md", "operations.md"} <= {
        p.name for p in pages
    }
    assert (project / "docs" / "decisions" / "0000-template.md").is_file()
    for page in pages:
        text = page.read_text()
        assert "the template's" not in text, page
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if "://" in target or target.startswith("mailto:"):
                continue
            assert (page.parent / target).exists(), f"{page.relative_to(project)} -> {target}"


def test_template_docs_link_to_files_that_exist() -> None:
    pages = [TEMPLATE_ROOT / "README.md", *sorted((TEMPLATE_ROOT / "docs").rglob("*.md"))]
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if "://" not in target:
                assert (page.parent / target).exists(), f"{page.name} -> {target}"
