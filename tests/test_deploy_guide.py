"""docs/deploy.md runs as written: every fenced command of its steps, in order, in a fresh render.

The commands run in one bash (`set -euo pipefail`, so a command that does not exist, a file that
is missing or a variable used before it is set stops the rehearsal) from an empty HOME, with
stand-ins only for what cannot run here: the two installers' downloads (`curl ... | sh`), the
Pulumi CLI, the AWS CLI, the GitHub CLI, and the AWS endpoint `curl` posts to. `git` is real, its
remote a local bare repository; `make`, uv, the project's Python and its own commands are real.
`deploy` talks to Prefect Cloud and AWS, so it runs with `--dry-run` (which validates its inputs
and talks to nothing). Placeholders (`<admin profile>`, `...`) get values, as a reader types them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from conftest import BIN, PYTHON, VARIANTS, render

# The answers deploy.md's commands depend on.
GUIDE_ANSWERS = {
    "github_aws_auth": "oidc",
    "pulumi_backend": "pulumi_cloud",
    "push_endpoint": "aws",
}


def combination(variant: str) -> tuple[str, ...]:
    return tuple(VARIANTS[variant].get(name, default) for name, default in GUIDE_ANSWERS.items())


CASES = list({combination(v): v for v in reversed(list(VARIANTS))}.values())
PLACEHOLDERS = {
    "<admin profile>": "admin",
    "<passphrase>": "rehearsal-passphrase",
    "<the deploy user>": "deploy-user",
}
TYPED = {  # what a reader types for `NAME=...`
    "PREFECT_API_URL": "https://api.prefect.cloud/api/accounts/"
    "0b6f1c9e-5a4d-4c4e-9a51-3f1e2d3c4b5a/workspaces/7d2e8f3a-1b4c-4d5e-8f6a-9b0c1d2e3f4a",
}
NETWORK = re.compile(r"SSL|CERT|PROXY|_INDEX", re.I)
SECRET_OUTPUTS = {"receiver_url", "push_pool_secret_access_key"}

# The Pulumi CLI as far as the guide uses it; it refuses what the real one would refuse.
PULUMI = r"""
import json, os, sys
from pathlib import Path

state = Path(os.environ["REHEARSAL_STATE"])
state.mkdir(exist_ok=True)
args = sys.argv[1:]
with open(state / "pulumi-calls", "a") as calls:
    calls.write(" ".join(args) + "\n")

def fail(message):
    sys.exit(f"error: {message}")

def need(name, why):
    if not (state / name).exists():
        fail(why)

match args:
    case ["version"]:
        print("v" + os.environ["REHEARSAL_PULUMI_VERSION"])
    case ["login", *rest]:
        (state / "login").write_text(" ".join(rest))
    case ["stack", "init", name]:
        need("login", "not logged in: run pulumi login")
        if name != os.environ["REHEARSAL_STACK"]:
            fail(f"the workflows select {os.environ['REHEARSAL_STACK']}, not {name}")
        passphrase = os.environ.get("PULUMI_CONFIG_PASSPHRASE")
        if os.environ.get("REHEARSAL_PASSPHRASE") and not passphrase:
            fail("passphrase must be set with PULUMI_CONFIG_PASSPHRASE")
        config = Path(os.environ["REHEARSAL_STACK_CONFIG"])
        config.write_text("secretsprovider: rehearsal\n" + config.read_text())
        (state / "stack").write_text(name)
    case ["up", *_]:
        need("stack", "no stack selected: run pulumi stack init")
        if not (os.environ.get("AWS_PROFILE") or os.environ.get("AWS_ACCESS_KEY_ID")):
            fail("no AWS credentials")
        if not Path(".venv/bin/python").exists():
            fail("the virtualenv .venv does not exist")
        if Path("infra/receiver.py").exists() and not Path("build/receiver.zip").exists():
            fail("build/receiver.zip is missing: run `make receiver` first")
        (state / "up").write_text("done")
    case ["stack", "output", *rest]:
        need("up", "the stack has no outputs: run pulumi up")
        outputs = json.loads(os.environ["REHEARSAL_OUTPUTS"])
        show = "--show-secrets" in rest
        names = [a for a in rest if not a.startswith("--")]
        if not names and "--json" in rest:
            shown = {k: v if show or k not in SECRETS else "[secret]" for k, v in outputs.items()}
            print(json.dumps(shown))
        elif len(names) == 1 and names[0] in outputs:
            value = outputs[names[0]]
            print(value if show or names[0] not in SECRETS else "[secret]")
        else:
            fail(f"no output named {names}")
    case ["config", "set", _, _]:
        pass
    case _:
        fail(f"the stand-in does not know `pulumi {' '.join(args)}`")
"""

INSTALLERS = r"""
#!/bin/sh
# curl: the installers' scripts, and posts to the AWS receiver.
echo "$*" >> "$REHEARSAL_STATE/curl-calls"
case "$*" in
  *astral.sh/uv/*)
    echo 'mkdir -p "$HOME/.local/bin" && ln -sf "$REHEARSAL_UV" "$HOME/.local/bin/uv"' ;;
  *get.pulumi.com*)
    echo '[ "$1 $2" = "--version $REHEARSAL_PULUMI_VERSION" ] || { echo "got $*" >&2; exit 1; }'
    echo 'mkdir -p "$HOME/.pulumi/bin" && cp "$REHEARSAL_PULUMI" "$HOME/.pulumi/bin/pulumi"' ;;
  *--data-binary*)
    file=$(echo "$*" | sed -n 's/.*--data-binary @\([^ ]*\).*/\1/p')
    [ -s "$file" ] || { echo "curl: no such file: $file" >&2; exit 26; } ;;
  *) echo "curl stand-in: unexpected $*" >&2; exit 1 ;;
esac
"""

RECORDER = r"""
#!/bin/sh
echo "$*" >> "$REHEARSAL_STATE/{name}-calls"
{check}
"""
CHECKS = {
    # `gh secret set NAME` reads the value from stdin.
    "gh": '[ "$1 $2" = "secret set" ] && [ -n "$3" ] || exit 1; cat > /dev/null',
    "aws": 'case "$*" in "iam put-user-permissions-boundary --user-name "*" --permissions-boundary '
    'arn:aws:iam::"*":policy/"*-permissions-boundary) ;; *) exit 1 ;; esac',
}


def guide_script(guide: str, package: str) -> str:
    """The fenced `sh` blocks of the numbered steps, in order, as a reader would type them."""
    steps = guide[guide.index("## 1. ") : guide.index("## Pull mode")]
    blocks = re.findall(r"^```sh\n(.*?)^```", steps, flags=re.S | re.M)
    script = "\n".join(blocks)
    for placeholder, value in PLACEHOLDERS.items():
        script = script.replace(placeholder, value)
    script = re.sub(
        r"\b([A-Z_]+)=\.\.\.",
        lambda m: f"{m[1]}={TYPED.get(m[1], 'typed-' + m[1].lower())}",
        script,
    )
    deploy = f"python -m {package} deploy "
    return "\n".join(
        line + " --dry-run" if deploy in line and "--dry-run" not in line else line
        for line in script.splitlines()
    )


def required_secrets(project: Path) -> set[str]:
    workflow = yaml.safe_load((project / ".github" / "workflows" / "deploy.yml").read_text())
    (step,) = [s for s in workflow["jobs"]["secrets"]["steps"] if s.get("id") == "check"]
    return {name.removeprefix("HAS_") for name in step["env"]}


def test_the_cases_cover_every_combination_of_the_answers_the_guide_depends_on() -> None:
    assert {combination(v) for v in CASES} == {combination(v) for v in VARIANTS}
    assert len(CASES) >= 6


@pytest.mark.parametrize("variant", CASES)
def test_deploy_md_runs_as_written(copier_template: Path, tmp_path: Path, variant: str) -> None:
    answers = {**VARIANTS[variant], "python_version": "3.11"}  # the interpreter here
    project = render(copier_template, tmp_path / "project", **answers)
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    package, stack = recorded["package_name"], recorded["pulumi_stack"]
    owner_repo = recorded["github_repository"]
    # The stack in full, as the workflows select it (copier.yml's pulumi_stack_path).
    organization = (
        recorded["pulumi_organization"]
        if recorded["pulumi_backend"] == "pulumi_cloud"
        else "organization"
    )
    outputs = json.loads(
        subprocess.run(
            [
                PYTHON,
                "-c",
                "import json; from tests.test_job_variables import OUTPUTS; "
                "print(json.dumps(OUTPUTS))",
            ],
            cwd=project,
            env={"PYTHONPATH": f"{project}:{project / 'src'}"},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    if recorded["github_aws_auth"] == "oidc":
        outputs["deploy_role_arn"] = "arn:aws:iam::123456789012:role/deploy"

    standins, state, home = tmp_path / "standins", tmp_path / "state", tmp_path / "home"
    for folder in (standins, state, home):
        folder.mkdir()
    pulumi = tmp_path / "pulumi-cli"
    pulumi.write_text(f"#!{sys.executable}\nSECRETS = {sorted(SECRET_OUTPUTS)!r}\n{PULUMI}")
    (standins / "curl").write_text(INSTALLERS.lstrip())
    for name, check in CHECKS.items():
        (standins / name).write_text(RECORDER.lstrip().format(name=name, check=check))
    for tool in [pulumi, *standins.iterdir()]:
        tool.chmod(0o755)
    remote = tmp_path / "github" / f"{owner_repo}.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        f"[user]\n\tname = Rehearsal\n\temail = r@example.org\n"
        f'[url "file://{tmp_path / "github"}/"]\n\tinsteadOf = https://github.com/\n'
    )

    env = {
        # The machine's network settings (its CA bundle, a proxy, a package index), as a laptop has.
        **{k: v for k, v in os.environ.items() if NETWORK.search(k)},
        "HOME": str(home),
        # curl, gh and aws stand in; git, make, sed and the system's Python are the machine's.
        "PATH": f"{standins}:{Path(sys.executable).resolve().parent}:/usr/local/bin:/usr/bin:/bin",
        "UV_CACHE_DIR": str(Path.home() / ".cache" / "uv"),
        "UV_PYTHON_DOWNLOADS": "never",
        "REHEARSAL_STATE": str(state),
        "REHEARSAL_UV": str(BIN / "uv"),
        "REHEARSAL_PULUMI": str(pulumi),
        "REHEARSAL_PULUMI_VERSION": (project / ".pulumi.version").read_text().strip(),
        "REHEARSAL_STACK": f"{organization}/{recorded['project_slug']}/{stack}",
        "REHEARSAL_STACK_CONFIG": str(project / f"Pulumi.{stack}.yaml"),
        "REHEARSAL_OUTPUTS": json.dumps(outputs),
        "REHEARSAL_PASSPHRASE": "1" if recorded["pulumi_backend"] == "s3" else "",
    }
    script = guide_script((project / "docs" / "deploy.md").read_text(), package)
    (tmp_path / "guide.sh").write_text(script)
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-euo", "pipefail", "-c", script],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    trace = textwrap.indent(script, "    ")
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}\nscript:\n{trace}"

    calls = (state / "pulumi-calls").read_text().splitlines()
    order = [c.split()[0] if c.split()[0] != "stack" else " ".join(c.split()[:2]) for c in calls]
    assert order.index("login") < order.index("stack init") < order.index("up")
    secrets = {line.split()[2] for line in (state / "gh-calls").read_text().splitlines()}
    assert required_secrets(project) <= secrets
    pushed = subprocess.run(
        ["git", "--git-dir", str(remote), "ls-tree", "-r", "--name-only", "main"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert {f"Pulumi.{stack}.yaml", ".pulumi.version", "uv.lock", "docs/deploy.md"} <= set(pushed)
    assert not {p for p in pushed if p.startswith((".venv/", "build/")) or "stack-outputs" in p}
    committed = subprocess.run(
        ["git", "--git-dir", str(remote), "show", f"main:Pulumi.{stack}.yaml"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert committed.startswith("secretsprovider: rehearsal"), "stack init's settings not committed"
    assert not (project / "stack-outputs.json").exists()
    if recorded["push_endpoint"] == "aws":
        assert (project / "build" / "receiver.zip").is_file()
        assert any(
            "--data-binary @push.xml" in c for c in (state / "curl-calls").read_text().splitlines()
        )
    # Both were installed by the guide's own lines, not found on the machine.
    assert (home / ".local" / "bin" / "uv").exists() and (
        home / ".pulumi" / "bin" / "pulumi"
    ).exists()
