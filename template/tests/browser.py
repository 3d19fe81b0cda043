"""Headless Chromium for the tests: what a page looks like once a browser has drawn it.

No Python package drives it: the browser runs once per call, as a subprocess. `probe` reads the
images' state from the page after its load event, `screenshot` keeps the picture. Without a
browser the tests skip with one line on a laptop, and fail in CI (`CI` set, as every CI service
sets it), where a skipped check would pass unseen: pytest-playwright and Selenium also leave the
browser to the machine and expect CI to provide it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pytest

NAMES = ("chromium", "chromium-browser", "google-chrome")
MISSING = "Chromium not found: apt-get install chromium, or set CHROMIUM=/path/to/chrome"
NOT_CHECKED = (
    "not checked: newsletters in a browser; install chromium or set CHROMIUM=/path/to/chrome"
)
WIDTH = 800
TIMEOUT = 60  # seconds; a start takes about one
# Without the background-networking flags Chromium keeps calling home, which on a closed
# network means retries and stalls; --disable-gpu and --no-sandbox let it run as root in CI.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",  # one CSS pixel is one screenshot pixel
    "--virtual-time-budget=5000",  # let the load event fire before the DOM or picture is taken
)
# Runs after load in our copy of the page (mail clients run no script): each image's decoded
# size and where it was laid out, and the page's full height, into a hidden <pre id="probe">.
PROBE_SCRIPT = """<script>
window.addEventListener("load", function () {
  var images = Array.from(document.images).map(function (img) {
    var box = img.getBoundingClientRect();
    return {src: (img.getAttribute("src") || "").slice(0, 40), complete: img.complete,
            naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight,
            left: box.left, top: box.top + window.scrollY, width: box.width, height: box.height};
  });
  var probe = document.createElement("pre");
  probe.id = "probe";
  probe.style.display = "none";
  // URI-encoded: nothing in it for the DOM dump to escape as HTML
  probe.textContent = encodeURIComponent(JSON.stringify({title: document.title,
    text: document.body.innerText, height: document.documentElement.scrollHeight,
    images: images}));
  document.body.appendChild(probe);
});
</script>"""
_PROBED = re.compile(r'<pre id="probe"[^>]*>(.*?)</pre>', re.DOTALL)


@dataclass(frozen=True)
class Image:
    src: str  # its first 40 characters
    complete: bool
    natural_width: int  # 0: the browser could not decode it
    natural_height: int
    box: tuple[int, int, int, int]  # left, top, width, height on the page, CSS pixels


@dataclass(frozen=True)
class Page:
    title: str
    text: str  # what a reader sees, as the browser lays it out
    height: int  # of the whole page at WIDTH, CSS pixels
    images: tuple[Image, ...]


def executable() -> str:
    """$CHROMIUM, else the first of NAMES on PATH. None: a skip on a laptop, a failure in CI;
    a CHROMIUM that names no program always fails (someone asked for that browser)."""
    configured = os.environ.get("CHROMIUM")
    if configured:
        found = shutil.which(configured)
        if not found:
            pytest.fail(f"CHROMIUM={configured}: no such program; {MISSING}", pytrace=False)
        return found
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI"):
        pytest.fail(f"{MISSING} (CI is set: the browser tests must run)", pytrace=False)
    pytest.skip(NOT_CHECKED)


def probe(html: Path) -> Page:
    """Load a copy of the page with PROBE_SCRIPT and read back what the browser made of it."""
    source = html.read_text(encoding="utf-8")
    at = source.lower().rfind("</body>")
    at = at if at >= 0 else len(source)
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder, html.name)  # beside nothing: a relative src cannot load by chance
        copy.write_text(source[:at] + PROBE_SCRIPT + source[at:], encoding="utf-8")
        # The screenshot's width: the same layout, so the same image boxes
        dom = _run([f"--window-size={WIDTH},600", "--dump-dom", copy.as_uri()])
    found = _PROBED.search(dom)
    if not found:
        pytest.fail(f"{html}: no load event came (no probe in the DOM)", pytrace=False)
    data = json.loads(unquote(found.group(1)))
    images = tuple(
        Image(
            item["src"],
            item["complete"],
            item["naturalWidth"],
            item["naturalHeight"],
            (round(item["left"]), round(item["top"]), round(item["width"]), round(item["height"])),
        )
        for item in data["images"]
    )
    return Page(data["title"], data["text"], round(data["height"]), images)


def screenshot(html: Path, png: Path, height: int) -> Path:
    """The page at WIDTH x height CSS pixels, as PNG (give the probed height: the whole page)."""
    png = png.resolve()
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    _run([f"--screenshot={png}", f"--window-size={WIDTH},{height}", html.resolve().as_uri()])
    if not png.is_file():
        pytest.fail(f"Chromium wrote no screenshot of {html}", pytrace=False)
    return png


def _run(arguments: list[str]) -> str:
    command = [executable(), *FLAGS]
    with tempfile.TemporaryDirectory() as profile:  # a fresh profile: no state between runs
        try:
            done = subprocess.run(
                [*command, f"--user-data-dir={profile}", *arguments],
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"Chromium did not finish in {TIMEOUT} s: {arguments[-1]}", pytrace=False)
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1:] or ["no output"]
        pytest.fail(f"Chromium exited with {done.returncode}: {last[0]}", pytrace=False)
    return done.stdout
