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


def test_readme_gives_the_line_that_installs_uv(rendered) -> None:
    """`make install` needs uv: the README installs the version the image and CI use."""
    project = rendered("defaults")
    readme = (project / "README.md").read_text()
    version = re.search(r"ghcr\.io/astral-sh/uv:(\S+) AS uv", (project / "Dockerfile").read_text())
    assert version
    installer = f"curl -LsSf https://astral.sh/uv/{version.group(1)}/install.sh | sh"
    assert installer in (project / "docs" / "deploy.md").read_text()
    assert installer in readme
    assert "pipx install uv" in readme and "brew install uv" in readme


@pytest.mark.parametrize("variant", ["defaults", "v01"])  # pull mode off, on
def test_the_api_key_is_optional_only_for_pushes(rendered, variant: str) -> None:
    project = rendered(variant)
    pull = VARIANTS[variant].get("pull_schedule", False)
    for page in [project / "README.md", *sorted((project / "docs").rglob("*.md"))]:
        for line in page.read_text().splitlines():
            if "ENTSOE_API_KEY" in line and "optional" in line:
                assert not pull, f"{page.name}: {line}"
                assert "pull mode" in line, f"{page.name}: {line}"


def test_readme_explains_the_markers_and_the_skips(rendered) -> None:
    project = rendered("defaults")
    readme = (project / "README.md").read_text()
    pyproject = (project / "pyproject.toml").read_text()
    markers = re.findall(r'^\s*"(\w+): ', pyproject, flags=re.MULTILINE)
    assert set(markers) == {"slow", "browser"}
    assert all(f"`{marker}`" in readme for marker in markers)
    assert "not checked: newsletters in a browser" in readme and "`CI`" in readme
    assert "ENTSOE_SAMPLES_DIR" in readme
