"""docs/fork-a-feed.md works: a fork adds a document type and the rendered project handles it."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from pathlib import Path

from conftest import PYTHON, TEMPLATE_ROOT, render, tool_env

PACKAGE = "{{ package_name }}"
RECIPE = TEMPLATE_ROOT / "docs" / "fork-a-feed.md"

# An A74 document of our own: solar and onshore wind, four hours.
A74_FIXTURE = """<?xml version="1.0" encoding="UTF-8"?>
<GL_MarketDocument xmlns="urn:iec62325.351:tc57wg16:451-6:generationloaddocument:3:0">
  <mRID>fork-a74-1</mRID>
  <revisionNumber>1</revisionNumber>
  <type>A74</type>
  <process.processType>A16</process.processType>
  <createdDateTime>2024-03-01T06:00:00Z</createdDateTime>
  <time_Period.timeInterval><start>2024-02-29T23:00Z</start><end>2024-03-01T03:00Z</end>
  </time_Period.timeInterval>
  {series}
</GL_MarketDocument>
"""
SERIES = """<TimeSeries>
    <mRID>{number}</mRID>
    <businessType>A01</businessType>
    <inBiddingZone_Domain.mRID codingScheme="A01">10Y1001A1001A82H</inBiddingZone_Domain.mRID>
    <quantity_Measure_Unit.name>MAW</quantity_Measure_Unit.name>
    <curveType>A01</curveType>
    <MktPSRType><psrType>{psr}</psrType></MktPSRType>
    <Period>
      <timeInterval><start>2024-02-29T23:00Z</start><end>2024-03-01T03:00Z</end></timeInterval>
      <resolution>PT60M</resolution>
      {points}
    </Period>
  </TimeSeries>"""


def fixture() -> str:
    series = []
    for number, (psr, values) in enumerate(
        (("B16", [0, 0, 150, 2120]), ("B19", [9100, 9350, 8800, 8420])), start=1
    ):
        points = "".join(
            f"<Point><position>{n}</position><quantity>{v}</quantity></Point>"
            for n, v in enumerate(values, start=1)
        )
        series.append(SERIES.format(number=number, psr=psr, points=points))
    return A74_FIXTURE.format(series="\n  ".join(series))


def recipe_edits() -> list[tuple[str, str, str]]:
    """(file, the line that is there, the lines it becomes), read from the recipe's code blocks."""
    blocks = RECIPE.read_text().split("```")[1::2]
    registry, summary, choice = (b.split("\n", 1)[1].rstrip("\n").splitlines() for b in blocks[:3])
    package = f"template/src/{PACKAGE}"
    return [
        (f"{package}/core/documents.py", registry[0], "\n".join(registry)),
        (f"{package}/core/summary.py", summary[0], "\n".join(summary)),
        ("copier.yml", choice[0], "\n".join(choice)),
    ]


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_a_forked_feed_parses_and_gets_its_newsletter(
    copier_template: Path, tmp_path: Path
) -> None:
    fork = tmp_path / "fork"
    shutil.copytree(copier_template, fork)
    for relative, line, replacement in recipe_edits():
        path = fork / relative
        text = path.read_text()
        assert text.count(line) == 1, f"the recipe's anchor is gone from {relative}: {line!r}"
        path.write_text(text.replace(line, replacement))
    fixtures = fork / "template" / "tests" / "fixtures"
    fixtures.mkdir(parents=True, exist_ok=True)
    (fixtures / "a74_generation_per_unit.xml").write_text(fixture())
    git(fork, "add", "-A")
    git(fork, "commit", "-qm", "add A74")

    project = render(fork, tmp_path / "project", document_types=["A69", "A74"])
    document = project / "tests" / "fixtures" / "a74_generation_per_unit.xml"
    env = {**tool_env(), "PYTHONPATH": str(project / "src")}
    package = "entsoe_newsletter"

    parsed = subprocess.run(
        [PYTHON, "-m", package, "parse", str(document)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = list(csv.DictReader(io.StringIO(parsed.stdout)))
    assert len(rows) == 8
    assert {row["document_type"] for row in rows} == {"A74"}
    assert {row["psr_type"] for row in rows} == {"B16", "B19"}

    out = tmp_path / "letter"
    subprocess.run(
        [PYTHON, "-m", package, "newsletter", str(document), "--out", str(out)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    text = (out / "newsletter.txt").read_text()
    assert text.startswith("Actual wind and solar generation for DE-LU, Fri 01 Mar 2024")
    # One row per production type: peak, mean, energy, share of energy (the fixture's values).
    assert re.search(r"\n  Wind Onshore +9,350 +8,918 +35.7 GWh +94.0 %\n", text), text
    assert re.search(r"\n  Solar +2,120 +568 +2,270 MWh +6.0 %\n", text), text
    settings = (project / "src" / package / "settings.py").read_text()
    assert '"A74",' in settings
