"""``harness release --out DIR``: the student kit, an installable package without the solutions.

The kit holds the harness (runner, worker, sandbox, reports, CLI), the
contract and the template, and the public cases as data
(``harness/kit_cases.npz``, :mod:`harness.kit`): every lecture, fixed and
boundary case with the reference's output computed now, the known mistakes'
outputs on those cases, and the finite-difference checks. It holds no
``reference/``, no bundled plugin, no case generator (``tasks/`` keeps only
its generic comparison helpers, ``tasks/__init__.py`` and ``tasks/build.py``),
and no speed measurement: hidden cases and speed are graded at submission.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from harness import __version__, codec

ROOT = Path(__file__).resolve().parents[1]
#: Files of the harness package the kit leaves out (they need the reference).
LEFT_OUT = ("speed.py", "release.py")
#: Of ``tasks/``: only what compares outputs, nothing that draws cases or computes answers.
TASK_FILES = ("__init__.py", "build.py")
#: The seed the kit's public cases are drawn with (the same as ``harness run --seed 0``).
SEED = 0
PYPROJECT = """[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "nn-lecture1-kit"
version = "{version}"
description = "Student kit of the Lecture 1 harness: public cases only, no solutions"
requires-python = ">=3.11"
dependencies = ["numpy>=1.26", "pluggy>=1.3", "pandas>=2.1", "click>=8.1", "jinja2>=3.1",
                "nbformat>=5.9", "matplotlib>=3.8"]

[project.scripts]
harness = "harness.cli:main"

[tool.setuptools]
packages = ["harness", "tasks"]

[tool.setuptools.package-data]
harness = ["*.json", "*.npz"]
"""
README = """# Lecture 1 student kit

Install it (`pip install .`), then:

    harness new mine            # or: harness new mine --notebook
    harness run --plugin mine.py

It grades the public cases ({cases} cases: every value printed in the lecture,
the fixed and boundary cases, with the reference's answers computed when the kit
was built) and the finite-difference checks of your derivatives against your own
forward functions (feedback). Hidden cases and speed are graded when you submit.
"""


def build_kit(out: Path) -> dict[str, int]:
    """Write the kit's source tree into ``out`` (emptied first); its counts of cases."""
    from harness.course import all_tasks
    from harness.kit import build_data

    data, left_out = build_data(all_tasks(), SEED)
    if out.exists():
        shutil.rmtree(out)
    (out / "harness").mkdir(parents=True)
    (out / "tasks").mkdir()
    for src in sorted((ROOT / "harness").iterdir()):
        if src.suffix in (".py", ".json") and src.name not in LEFT_OUT:
            shutil.copyfile(src, out / "harness" / src.name)
    for name in TASK_FILES:
        shutil.copyfile(ROOT / "tasks" / name, out / "tasks" / name)
    codec.write(out / "harness" / "kit_cases.npz", data)
    cases = sum(len(t["cases"]) for t in data)
    (out / "pyproject.toml").write_text(PYPROJECT.format(version=__version__))
    (out / "README.md").write_text(README.format(cases=cases))
    return {"tasks": len(data), "cases": cases, "left_out": left_out}
