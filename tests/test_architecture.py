"""The rendered package's layout is its architecture, and its own checks keep it that way."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from conftest import BIN, PYTHON, VARIANTS, run, tool_env

PACKAGE = "entsoe_newsletter"
CLOUD_MODULE_LINES = 150  # the "roughly 150 lines or fewer" for the split deploy


def lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache"],
        cwd=project,
        env={**tool_env(), "PYTHONPATH": str(project / "src")},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("variant", VARIANTS)
def test_import_contracts_hold_on_every_variant(rendered, variant: str) -> None:
    result = lint_imports(rendered(variant))
    assert result.returncode == 0, result.stdout + result.stderr
    # With the AWS receiver, one more: its Lambda package holds none of the flow's libraries.
    contracts = 6 if VARIANTS[variant].get("push_endpoint", "aws") == "aws" else 5
    assert f"{contracts} kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("cloud/deploy.py", "from ..local import config", "never import each other"),
        ("local/receiver.py", "from ..cloud import webhooks", "never import each other"),
        ("flow.py", "from . import events", "Layers"),
        ("core/documents.py", "from ..local import inbox", "Layers"),
        ("core/summary.py", "from ..adapters import delivery", "Layers"),
        ("core/newsletter.py", "from .. import flow", "Layers"),
        ("adapters/delivery.py", "from .. import flow", "Layers"),
        ("adapters/rest_api.py", "from . import kept_body", "Adapters never import each other"),
        ("cloud/automation.py", "from . import teardown", "No import cycles"),
        ("events.py", "from .cloud import plan", "Layers"),
        ("cloud/plan.py", "import sample_documents", "document generator"),
        ("receiving.py", "from .core import documents", "lxml alone"),
        ("core/glance.py", "import pandas", "lxml alone"),
        ("cloud/lambda_host.py", "import prefect", "lxml alone"),
    ],
)
def test_an_import_that_breaks_the_architecture_fails_the_check(
    rendered, tmp_path: Path, module: str, line: str, contract: str
) -> None:
    project = tmp_path / "project"
    shutil.copytree(rendered("defaults"), project)
    path = project / "src" / PACKAGE / module
    text = path.read_text()
    marker = "from __future__ import annotations\n"
    path.write_text(text.replace(marker, f"{marker}\n{line}  # noqa: F401\n", 1))
    result = lint_imports(project)
    assert result.returncode != 0
    broken = [row for row in result.stdout.splitlines() if row.endswith(" BROKEN")]
    assert any(contract in row for row in broken), result.stdout


def test_the_folders_show_the_architecture(rendered) -> None:
    package = rendered("defaults") / "src" / PACKAGE
    assert sorted(p.name for p in package.iterdir() if p.is_dir()) == [
        "adapters",
        "cloud",
        "core",
        "local",
    ]
    for module in ("push", "safe_xml", "documents", "zones", "summary", "newsletter"):
        assert (package / "core" / f"{module}.py").is_file(), module
    for module in ("kept_body", "delivery", "rest_api"):
        assert (package / "adapters" / f"{module}.py").is_file(), module
    assert (package / "flow.py").is_file()
    assert (package / "events.py").is_file()
    oversized = {
        path.name: lines
        for path in (package / "cloud").glob("*.py")
        if (lines := len(path.read_text().splitlines())) > CLOUD_MODULE_LINES
    }
    assert not oversized, oversized


def test_xml_is_parsed_in_one_place_and_namespaces_are_defined_once(rendered) -> None:
    src = rendered("defaults") / "src"
    sources = {p: p.read_text() for p in src.rglob("*.py")}
    parsers = [p.name for p, text in sources.items() if "etree.XMLParser(" in text]
    assert parsers == ["safe_xml.py"]
    for namespace in (
        "http://www.w3.org/2003/05/soap-envelope",
        "http://schemas.xmlsoap.org/soap/envelope/",
        "http://iec.ch/TC57/2011/schema/message",
    ):
        defined = [p.name for p, text in sources.items() if f'"{namespace}"' in text]
        assert defined == ["push.py"], (namespace, defined)


def test_the_image_cannot_import_the_document_generator(rendered, tmp_path: Path) -> None:
    """Build the wheel and install it as the Dockerfile does (`pip install .`)."""
    project = tmp_path / "project"
    shutil.copytree(rendered("defaults"), project)
    wheels = tmp_path / "wheels"
    # The default python_version (3.12) is not this machine's: the wheel is the same.
    build = ["wheel", "--no-deps", "--no-build-isolation", "--ignore-requires-python"]
    run([PYTHON, "-m", "pip", *build, "-w", str(wheels), "."], cwd=project)
    (wheel,) = wheels.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if "sample_documents" in n], names
    assert f"{PACKAGE}/webhook.json" in names
    assert f"{PACKAGE}/core/templates/newsletter.html.j2" in names

    # A fresh environment: the wheel, and the dependencies of this run seen through a .pth file.
    image = tmp_path / "image"
    subprocess.run([sys.executable, "-m", "venv", str(image)], check=True)
    python = str(image / "bin" / "python")
    purelib = run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=tmp_path
    )
    Path(purelib.stdout.strip(), "dependencies.pth").write_text(sysconfig.get_paths()["purelib"])
    install = ["install", "--quiet", "--no-deps", "--ignore-requires-python", str(wheel)]
    run([python, "-m", "pip", *install], cwd=tmp_path)
    probe = (
        f"import importlib.util, {PACKAGE}.flow;print(importlib.util.find_spec('sample_documents'))"
    )
    result = run([python, "-c", probe], cwd=tmp_path)
    assert result.stdout.strip() == "None"


def test_the_readme_tree_names_every_module_and_only_real_ones(rendered) -> None:
    project = rendered("defaults")
    readme = (project / "README.md").read_text()
    tree = readme.split("## Layout", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    named = set(re.findall(r"[\w.]+\.(?:py|json)\b", tree))
    package = project / "src" / PACKAGE
    modules = {p.name for p in package.rglob("*.py") if p.name != "__init__.py"}
    assert modules - named == set(), "modules missing from the README's tree"
    assert named - modules - {"webhook.json"} == set(), "the README's tree names missing files"
    for folder in re.findall(r"^\s*([\w/]+/)\s", tree, flags=re.MULTILINE):
        assert (
            (package / folder).is_dir()
            or (project / folder).is_dir()
            or (project / "src" / folder).is_dir()
        ), folder
