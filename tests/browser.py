"""Render a report page in headless Chromium (Debian's ``chromium``) and check what a reader sees.

:func:`check_page` loads a copy of the page with a checking script appended,
dumps the DOM after load and returns what the script found: charts that
draw nothing, tables wider than the window, resources fetched, and the
console lines Chromium logged. :func:`screenshot` takes a full-page PNG.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

WIDTH = 1280
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--disable-extensions", "--mute-audio")

CHECK = """
<script>
(function () {
  const out = {charts: [], blank: [], overflowing: [], resources: 0, height: 0, width: 0};
  const view = document.documentElement.clientWidth;
  document.querySelectorAll("svg.chart").forEach(function (svg, i) {
    const box = svg.getBoundingClientRect();
    let drawn = 0;
    svg.querySelectorAll("path, rect, line, polyline, polygon, circle, text, use").forEach(function (el) {
      const b = el.getBoundingClientRect();
      if (b.width * b.height > 0 || (el.tagName === "text" && el.textContent.trim())) drawn++;
    });
    const name = svg.getAttribute("aria-label") || ("chart " + i);
    out.charts.push(name);
    if (box.width < 50 || box.height < 50 || drawn < 5) out.blank.push(name);
  });
  document.querySelectorAll("table").forEach(function (t, i) {
    const b = t.getBoundingClientRect();
    if (b.width > 0 && b.right > view + 1) out.overflowing.push("table " + i + " (" + Math.round(b.right) + "px)");
  });
  if (document.documentElement.scrollWidth > view + 1) out.overflowing.push("page (" + document.documentElement.scrollWidth + "px)");
  out.resources = performance.getEntriesByType("resource").length;
  out.height = document.documentElement.scrollHeight;
  out.width = view;
  const pre = document.createElement("pre");
  pre.id = "harness-check";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>
"""


def chromium() -> str:
    """The Chromium executable; .ci/run installs Debian's ``chromium`` where it is missing."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise RuntimeError("chromium is not installed (apt-get install -y chromium; .ci/run does it)")
    return found


def _run(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr",
                           "--v=0", *args], capture_output=True, text=True, timeout=120)


def console_lines(stderr: str) -> list[str]:
    """What the page logged to the console (Chromium prints it as ``CONSOLE(line)``)."""
    return [ln for ln in stderr.splitlines() if "CONSOLE" in ln]


def check_page(page: Path) -> dict[str, Any]:
    """Load ``page`` (with the checking script) and return what the script and the console saw."""
    with tempfile.TemporaryDirectory(prefix="harness-chromium-") as tmp:
        copy = Path(tmp) / page.name
        text = page.read_text(encoding="utf-8")
        copy.write_text(text.replace("</body>", CHECK + "</body>", 1), encoding="utf-8")
        proc = _run([f"--window-size={WIDTH},1000", "--virtual-time-budget=5000", "--dump-dom",
                     copy.as_uri()], Path(tmp) / "profile")
    found = re.search(r'<pre id="harness-check">(.*?)</pre>', proc.stdout, flags=re.S)
    if found is None:
        raise AssertionError(f"chromium rendered no check (status {proc.returncode}): {proc.stderr[-2000:]}")
    result = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    result["console"] = console_lines(proc.stderr)
    return result


def screenshot(page: Path, png: Path, height: int) -> None:
    """A full-page screenshot of ``page`` (``height`` from :func:`check_page`)."""
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="harness-chromium-") as tmp:
        proc = _run([f"--window-size={WIDTH},{min(max(height, 600), 8000)}", f"--screenshot={png}",
                     page.as_uri()], Path(tmp) / "profile")
    if not png.is_file():
        raise AssertionError(f"no screenshot (status {proc.returncode}): {proc.stderr[-2000:]}")
