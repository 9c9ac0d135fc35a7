"""report.html and the leaderboard page as a reader sees them: rendered in headless Chromium.

A page fails on a console error, a chart that draws nothing, a table wider
than a 1280-pixel window, or anything fetched from outside the page. With
``HARNESS_SCREENSHOTS=DIR`` the pages' screenshots are written there
(``docs/report.png`` and ``docs/leaderboard.png`` come from this test).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from browser import check_page, screenshot
from clirun import PLUGINS, harness, run

TASKS = "sigmoid,sigmoid_grad,relu,l2_loss,l2_loss_grad,linear_regression_fit,perceptron_train,mlp_train"


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("pages")
    demo = run(PLUGINS / "buggy" / "_report_demo.py", root / "demo", "--tasks", TASKS, speed=True)
    assert demo.code == 1, demo.out + demo.err
    good = run("numpy", root / "numpy", "--tasks", TASKS)
    assert good.code == 0, good.out + good.err
    board = harness("leaderboard", str(root / "demo"), str(root / "numpy"), "--out", str(root / "board"))
    assert board.returncode == 0, board.stdout + board.stderr
    return {"report": root / "demo" / "report.html", "leaderboard": root / "board" / "leaderboard.html"}


def _seen(page: Path, name: str) -> dict:
    seen = check_page(page)
    assert seen["console"] == [], seen["console"]
    assert seen["blank"] == [], f"blank charts: {seen['blank']}"
    assert seen["overflowing"] == [], f"wider than the window: {seen['overflowing']}"
    assert seen["resources"] == 0  # self-contained: nothing fetched
    if os.environ.get("HARNESS_SCREENSHOTS"):
        screenshot(page, Path(os.environ["HARNESS_SCREENSHOTS"]) / f"{name}.png", seen["height"])
    return seen


def test_report_renders_with_its_charts(pages: dict[str, Path]) -> None:
    seen = _seen(pages["report"], "report")
    assert seen["charts"] == [
        "points per task",
        "sigmoid_grad against the reference", "l2_loss_grad against the reference",
        "linear_regression_fit cost over epochs", "perceptron_train errors over epochs",
        "mlp_train cost over epochs",
        "speed relative to the reference",
    ]
    text = pages["report"].read_text()
    charts = "".join(re.findall(r"<svg .*?</svg>", text, flags=re.S))
    assert "hidden:" in text and "hidden:" not in charts  # hidden cases are never plotted
    assert "worst: z = " in charts and "worst: y_hat = " in charts


def test_leaderboard_renders_with_its_charts(pages: dict[str, Path]) -> None:
    seen = _seen(pages["leaderboard"], "leaderboard")
    assert seen["charts"] == ["score distribution of the class", "speed geomean per submission"]


def test_the_check_catches_a_broken_page(tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><body><svg class="chart" aria-label="empty" width="300" '
                    'height="200"></svg><table><tr><td style="white-space:nowrap">' + "x" * 400
                    + '</td></tr></table><script>console.error("boom")</script></body></html>')
    seen = check_page(page)
    assert seen["blank"] == ["empty"]
    assert seen["overflowing"] and seen["overflowing"][0].startswith("table 0")
    assert any("boom" in line for line in seen["console"])
