"""`copier update` with real git: from the last release, with user edits, with new answers."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml

from conftest import BIN, TEMPLATE_ROOT, VARIANTS, tool_env

CHANGELOG = (TEMPLATE_ROOT / "CHANGELOG.md").read_text()


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def releases() -> list[tuple[str, str | None]]:
    """(version, commit) per CHANGELOG entry, newest first; commit is None when unreleased."""
    found = []
    for block in re.split(r"^## ", CHANGELOG, flags=re.MULTILINE)[1:]:
        version = block.split()[0]
        commit = re.search(r"^commit: ([0-9a-f]{7,40})$", block, flags=re.MULTILINE)
        found.append((version, commit.group(1) if commit else None))
    return found


CURRENT = releases()[0][0]
PREVIOUS, PREVIOUS_COMMIT = next((v, c) for v, c in releases()[1:] if c)


def commit_template(repo: Path, source: Path, tag: str) -> None:
    for name in ("copier.yml", "template"):
        target = repo / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        if (source / name).is_dir():
            shutil.copytree(source / name, target)
        else:
            shutil.copy(source / name, target)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", f"template {tag}", "--allow-empty")
    git(repo, "tag", tag)


@pytest.fixture(scope="session")
def versions(tmp_path_factory: pytest.TempPathFactory, default_gitconfig: Any) -> Path:
    """A template repository with two tags: the previous release and the current tree."""
    repo = tmp_path_factory.mktemp("versions")
    git(repo, "init", "-q")
    previous = tmp_path_factory.mktemp("previous")
    archive = subprocess.run(
        ["git", "archive", PREVIOUS_COMMIT, "copier.yml", "template"],
        cwd=TEMPLATE_ROOT,
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(previous)], input=archive, check=True)
    commit_template(repo, previous, PREVIOUS)
    commit_template(repo, TEMPLATE_ROOT, CURRENT)
    return repo


# Asked since the previous release; `copier update` asks them (here: --data) or takes the default.
NEW_QUESTIONS = (
    "pulumi_organization",
    "push_endpoint",
    "pull_schedule",
    "pull_time",
    "pull_timezone",
    "alert_recipients",
    "push_deadline",
    "newsletter_mode",
    "digest_time",
)


def copy(template: Path, dst: Path, ref: str, **answers: Any) -> Path:
    copier.run_copy(
        str(template), dst, data=answers, defaults=True, unsafe=False, quiet=True, vcs_ref=ref
    )
    git(dst, "init", "-q")
    git(dst, "add", "-A")
    git(dst, "commit", "-qm", "rendered")
    return dst


def update(project: Path, ref: str, **answers: Any) -> None:
    copier.run_update(
        project,
        data=answers,
        defaults=True,
        overwrite=True,
        unsafe=False,
        quiet=True,
        vcs_ref=ref,
        skip_answered=True,
    )


def tree(root: Path) -> dict[str, str]:
    files = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and ".git" not in path.relative_to(root).parts:
            text = path.read_text(errors="replace")
            if path.name == ".copier-answers.yml":
                text = re.sub(r"^_commit: .*$", "", text, flags=re.MULTILINE)
            files[str(path.relative_to(root))] = text
    return files


def assert_clean_merge(project: Path) -> None:
    assert not list(project.rglob("*.rej")), "copier update left .rej files"
    for relative, text in tree(project).items():
        assert not re.search(r"^(<<<<<<<|>>>>>>>) ", text, flags=re.MULTILINE), relative


@pytest.mark.parametrize("variant", ["defaults", "v01"])
def test_update_from_previous_release_equals_fresh_copy(
    versions: Path, tmp_path: Path, variant: str
) -> None:
    answers = VARIANTS[variant]
    # Zones the previous release did not offer are chosen when updating, as a user would.
    offered = yaml.safe_load(git(versions, "show", f"{PREVIOUS}:copier.yml"))["bidding_zones"]
    zones = answers.get("bidding_zones", [])
    old_zones = [z for z in zones if z in offered["choices"].values()] or offered["default"]
    first = {**answers, "bidding_zones": old_zones}
    project = copy(versions, tmp_path / "project", PREVIOUS, **first)
    # Questions the previous release did not ask: answered as a user does when updating.
    new = {name: value for name, value in answers.items() if name in NEW_QUESTIONS}
    if zones and zones != old_zones:
        new["bidding_zones"] = zones
    update(project, CURRENT, **new)
    assert_clean_merge(project)
    fresh = copy(versions, tmp_path / "fresh", CURRENT, **answers)
    assert tree(project) == tree(fresh)
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded["_commit"] == CURRENT


def test_user_edits_survive_an_update(versions: Path, tmp_path: Path) -> None:
    project = copy(versions, tmp_path / "project", PREVIOUS)
    package = project / "src" / "entsoe_newsletter"
    init = package / "__init__.py"  # a module that stays where it is
    init.write_text(init.read_text() + "\n\nclass QuotaExceeded(RuntimeError):\n    pass\n")
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\n## Our team's notes\n\nOn call: the energy desk.\n")
    (project / "tests" / "test_mine.py").write_text("def test_ours() -> None:\n    assert True\n")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "our edits")

    update(project, CURRENT)

    assert_clean_merge(project)
    assert "class QuotaExceeded(RuntimeError)" in init.read_text()
    assert "On call: the energy desk." in readme.read_text()
    assert (project / "tests" / "test_mine.py").exists()
    fresh = tree(copy(versions, tmp_path / "fresh", CURRENT))
    # Every file of the new version arrived.
    assert set(fresh) <= set(tree(project))


@pytest.mark.parametrize(
    "change",
    [
        {"document_types": ["A69", "A44"]},
        {"github_aws_auth": "access_keys"},
        {"pulumi_backend": "s3"},
    ],
    ids=["add-prices", "oidc-to-access-keys", "state-to-s3"],
)
def test_changing_an_answer_adds_and_removes_exactly_its_files(
    versions: Path, tmp_path: Path, change: dict[str, Any]
) -> None:
    project = copy(versions, tmp_path / "project", CURRENT)
    before = set(tree(project))
    update(project, CURRENT, **change)
    assert_clean_merge(project)
    fresh = tree(copy(versions, tmp_path / "fresh", CURRENT, **change))
    assert tree(project) == fresh
    # What changed is exactly what a fresh copy with the new answer has or lacks.
    assert set(fresh) - before == set(tree(project)) - before


def test_merge_conflict_hook_refuses_markers_and_rej_files(rendered, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(rendered("defaults"), project)
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "rendered")

    def hook(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "pre-commit"), "run", "--all-files", name],
            cwd=project,
            env=tool_env(),
            capture_output=True,
            text=True,
            check=False,
        )

    clean = hook("check-merge-conflict")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    readme = project / "README.md"
    readme.write_text(
        readme.read_text() + "<<<<<<< before updating\nours\n=======\ntheirs\n>>>>>>> after\n"
    )
    git(project, "commit", "-qam", "a bad merge")
    conflicted = hook("check-merge-conflict")
    assert conflicted.returncode != 0
    assert "Merge conflict string" in conflicted.stdout
    git(project, "checkout", "-q", "HEAD~1", "--", "README.md")
    (project / "README.md.rej").write_text("@@ a hunk copier could not apply\n")
    git(project, "add", "-A")
    rejected = hook("no-rejected-hunks")
    assert rejected.returncode != 0
    assert "README.md.rej" in rejected.stdout


def upgrade_procedure(version: str) -> str:
    """The shell block of a release's upgrade notes in the CHANGELOG."""
    section = CHANGELOG.split(f"## {version} ", 1)[1].split("\n## ", 1)[0]
    return section.split("```sh\n", 1)[1].split("```", 1)[0]


def test_edits_in_moved_modules_are_carried_over_by_the_upgrade_notes(
    versions: Path, tmp_path: Path
) -> None:
    project = copy(versions, tmp_path / "project", PREVIOUS)
    package = project / "src" / "entsoe_newsletter"
    deploy, receiver = package / "deploy.py", package / "receiver.py"
    unset = 'return "skipped: ENTSOE_API_KEY unset"'
    assert deploy.read_text().count(unset) == 1
    deploy.write_text(deploy.read_text().replace(unset, unset[:-1] + ', ask the energy desk"'))
    sent = '        self.send_header("Content-Type", content_type)\n'
    assert receiver.read_text().count(sent) == 1
    logged = sent + '        self.send_header("X-Served-By", "energy desk")\n'
    receiver.write_text(receiver.read_text().replace(sent, logged))
    git(project, "add", "-A")
    git(project, "commit", "-qm", "our edits")

    script = upgrade_procedure(CURRENT)
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=project,
        env=tool_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr

    assert not deploy.exists() and not receiver.exists()
    assert (
        'ENTSOE_API_KEY unset, ask the energy desk"'
        in (package / "cloud" / "blocks.py").read_text()
    )
    assert logged in (package / "local" / "receiver.py").read_text()
    assert not (project / ".git" / "my-edits.rej").exists()
    assert_clean_merge(project)
    assert git(project, "status", "--porcelain") == ""
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert recorded["_commit"] == CURRENT


def test_a_dependency_of_ones_own_survives_an_update(versions: Path, tmp_path: Path) -> None:
    """The user's `uv add`: pyproject.toml and uv.lock both changed; an update keeps both valid."""
    project = copy(versions, tmp_path / "project", CURRENT)
    uv = [str(BIN / "uv"), "add", "--frozen", "tomli-w==1.2.0"]  # pyproject.toml only
    subprocess.run(uv, cwd=project, env=tool_env(), check=True, capture_output=True)
    locked = subprocess.run(
        [str(BIN / "uv"), "lock"], cwd=project, env=tool_env(), capture_output=True, text=True
    )
    assert locked.returncode == 0, locked.stderr
    git(project, "add", "-A")
    git(project, "commit", "-qm", "our dependency")

    update(project, CURRENT, document_types=["A69", "A44"])

    assert_clean_merge(project)
    assert 'name = "tomli-w"' in (project / "uv.lock").read_text()
    checked = subprocess.run(
        [str(BIN / "uv"), "lock", "--check", "--offline"],
        cwd=project,
        env=tool_env(),
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
