"""The flow's image: tagged with the commit it holds, built for Fargate, pushed to ECR."""

from __future__ import annotations

import base64
import os
import subprocess

from ..core.errors import BadInput


def commit_tag(dry_run: bool = False) -> str:
    """The commit being deployed: the image tag, so each release names its code."""
    sha = os.environ.get("GITHUB_SHA")
    if not sha:
        try:
            sha = subprocess.run(
                ["git", "rev-parse", "HEAD"],  # noqa: S607 (git from PATH, fixed arguments)
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            if dry_run:
                return "<commit>"
            raise BadInput("--build needs a git checkout or GITHUB_SHA to tag the image") from None
    return sha[:12]


def build_and_push(image: str, region: str) -> str:
    """docker build, ECR login (a token from boto3), docker push: this tag and `latest`."""
    import boto3

    repository = image.rsplit(":", 1)[0]
    registry = repository.split("/", 1)[0]
    token = boto3.client("ecr", region_name=region).get_authorization_token()
    user, password = (
        base64.b64decode(token["authorizationData"][0]["authorizationToken"]).decode().split(":", 1)
    )
    latest = f"{repository}:latest"
    # The password goes through stdin, never on a command line. Fargate runs linux/amd64 unless
    # told otherwise, and a laptop may be arm64.
    commands = [
        ["docker", "login", "--username", user, "--password-stdin", registry],
        ["docker", "build", "--platform", "linux/amd64", "--tag", image, "--tag", latest, "."],
        ["docker", "push", image],
        ["docker", "push", latest],
    ]
    for command in commands:
        stdin = password if command[1] == "login" else None
        subprocess.run(command, input=stdin, text=True, check=True)  # noqa: S603 (fixed commands)
    return "pushed"
