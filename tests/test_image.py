"""The image's contents, without Docker: the runtime group from the lock, as the Dockerfile installs
it, runs a flow run of a deployment registered the way `deploy` registers it."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

from conftest import BIN, PYTHON, VARIANTS, render, tool_env

PACKAGE = "entsoe_newsletter"
REGISTER = f"""
import sys
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.deployments import run_deployment
from prefect.variables import Variable
from prefect_email import EmailServerCredentials
from {PACKAGE} import settings
from {PACKAGE}.cloud.deployment import DEPLOYMENT, ensure_deployment
from {PACKAGE}.cloud.job_variables import STACK_OUTPUTS
from {PACKAGE}.adapters.delivery import ALERT_RECIPIENTS_VARIABLE, EMAIL_BLOCK, RECIPIENTS_VARIABLE

outputs = {{name: "stack-" + name for name in STACK_OUTPUTS}} | {{"subnet_ids": ["subnet-1"]}}
with get_client(sync_client=True) as client:
    client.create_work_pool(WorkPoolCreate(name=settings.WORK_POOL_NAME, type="ecs"))
ensure_deployment(outputs, "registry.example/flow:test")
EmailServerCredentials(
    smtp_server="127.0.0.1", smtp_port=int(sys.argv[1]), smtp_type="INSECURE"
).save(EMAIL_BLOCK, overwrite=True)
Variable.set(RECIPIENTS_VARIABLE, ["desk@example.com"], overwrite=True)
Variable.set(ALERT_RECIPIENTS_VARIABLE, ["oncall@example.com"], overwrite=True)
with open(sys.argv[2], encoding="utf-8") as body:
    print(run_deployment(DEPLOYMENT, parameters={{"body": body.read()}}, timeout=0).id)
"""


class Inbox:
    def __init__(self) -> None:
        self.recipients: list[str] = []

    async def handle_DATA(self, server: object, session: object, envelope: Envelope) -> str:
        self.recipients += envelope.rcpt_tos
        return "250 OK"


@contextlib.contextmanager
def prefect_server(python: Path, home: Path, port: int) -> Iterator[dict[str, str]]:
    env = {
        **tool_env(),
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOCAL_STORAGE_PATH": str(home / "results"),
    }
    command = [str(python), "-m", "prefect", "server", "start", "--host", "127.0.0.1"]
    log = (home.parent / "server.log").open("wb")
    server = subprocess.Popen(
        [*command, "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{env['PREFECT_API_URL']}/health", timeout=2).status_code == 200:
                    break
            assert server.poll() is None, (home.parent / "server.log").read_text()
            time.sleep(0.5)
        yield env
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def image(copier_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runtime environment of the image, next to the rendered project it came from."""
    root = tmp_path_factory.mktemp("image")
    answers = {**VARIANTS["defaults"], "python_version": "3.11"}  # the interpreter here
    project = render(copier_template, root / "project", **answers)
    env = {**tool_env(), "UV_PROJECT_ENVIRONMENT": str(root / "venv"), "UV_PYTHON": "3.11"}
    sync = [str(BIN / "uv"), "sync", "--locked", "--no-default-groups", "--no-editable"]
    subprocess.run(sync, cwd=project, env=env, check=True, capture_output=True)
    push = (
        "import sys, sample_documents as s; sys.stdout.buffer.write(s.soap_envelope(s.generate()))"
    )
    generated = subprocess.run(
        [PYTHON, "-c", push], cwd=project, env={**env, "PYTHONPATH": "src"}, capture_output=True
    )
    (root / "push.xml").write_bytes(generated.stdout)
    # The image has the environment alone: not the checkout it was built from.
    shutil.rmtree(project)
    return root / "venv"


def test_the_image_holds_the_runtime_alone(image: Path) -> None:
    python = str(image / "bin" / "python")
    probe = "import importlib.util as u; print([m for m in {} if u.find_spec(m)])"
    absent = ["sample_documents", "pulumi", "pytest", "ruff", "mypy", "aiosmtpd"]
    found = subprocess.run(
        [python, "-c", probe.format(absent)], capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "[]"
    present = ["prefect", "prefect_aws", "prefect_email", "pandas", "pyarrow", "lxml"]
    present += ["matplotlib", PACKAGE]
    found = subprocess.run(
        [python, "-c", probe.format(present)], capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == str(present)


def test_a_flow_run_of_the_deployment_mails_the_newsletter(image: Path, tmp_path: Path) -> None:
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    body = image.parent / "push.xml"
    assert body.stat().st_size > 10_000
    python = image / "bin" / "python"
    try:
        with prefect_server(python, tmp_path / "home", free_port()) as env:
            # Registered from a checkout (the deploy workflow's runner) that the task never sees.
            checkout = tmp_path / "checkout"
            checkout.mkdir()
            registered = subprocess.run(
                [str(python), "-c", REGISTER, str(smtp.port), str(body)],
                cwd=checkout,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            assert registered.returncode == 0, registered.stderr
            flow_run_id = registered.stdout.strip().splitlines()[-1]
            shutil.rmtree(checkout)
            empty = tmp_path / "empty"
            empty.mkdir()
            executed = subprocess.run(
                [str(image / "bin" / "prefect"), "flow-run", "execute", flow_run_id],
                cwd=empty,
                env={
                    **env,
                    "PATH": f"{image / 'bin'}{os.pathsep}/usr/bin:/bin",
                    "PIPELINE_HISTORY": str(tmp_path / "history"),  # s3://... in the cloud
                },
                capture_output=True,
                text=True,
                check=False,
                timeout=300,
            )
            assert executed.returncode == 0, executed.stdout + executed.stderr
            assert list(empty.iterdir()) == []  # nothing was pulled into the task's directory
            # The image keeps the document in the history (contract 9), with its own pyarrow:
            # a file per UTC month its day touches, named by the same content.
            kept = list((tmp_path / "history" / "A69").rglob("*.parquet"))
            assert kept and len({path.name.rsplit("_", 1)[1] for path in kept}) == 1
    finally:
        smtp.stop()
    # The newsletter, and (no ENTSO-E key in the task) the alert that it went without capacity.
    assert sorted(inbox.recipients) == ["desk@example.com", "oncall@example.com"]
