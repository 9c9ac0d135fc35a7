"""``harness release --out DIR``: the student kit, an installable package without the solutions.

The kit holds the harness (runner, worker, sandbox, reports, CLI), the
course's contract (``contract/``) and the template, and the public cases as data
(``harness/kit_cases.npz``, :mod:`harness.grading.kit`): every lecture, fixed and
boundary case with the reference's output computed now, the known mistakes'
outputs on those cases, and the finite-difference checks. It holds no
``reference/``, no bundled plugin, no case generator (``tasks/`` keeps only
``tasks/__init__.py``, which says what the course is and, in the kit, reads the
cases from the data), and no speed measurement: hidden cases and speed are
graded at submission.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from harness import __version__, codec

HARNESS_DIR = Path(__file__).resolve().parents[1]
#: What of ``harness/`` the kit leaves out (it needs the reference).
LEFT_OUT = ("speed", "cli/release.py")
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
harness = "harness.cli.main:main"

[tool.setuptools.packages.find]
include = ["harness*", "contract*", "tasks*"]

[tool.setuptools.package-data]
harness = ["*.npz"]
"harness.reports" = ["*.json"]
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
    from harness import course
    from harness.grading.kit import build_data

    data, left_out = build_data(course.all_tasks(), SEED)
    if out.exists():
        shutil.rmtree(out)
    for src in sorted(HARNESS_DIR.rglob("*")):
        rel = src.relative_to(HARNESS_DIR)
        if src.suffix in (".py", ".json") and not any(rel.as_posix().startswith(x) for x in LEFT_OUT):
            (out / "harness" / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, out / "harness" / rel)
    # of the course: the module that says what it is (in the kit it reads the cases from the data),
    # and its contract; nothing that draws cases or computes answers
    for src in (Path(course.current().__file__), course.contract_file()):
        (out / src.parent.name).mkdir(exist_ok=True)
        shutil.copyfile(src, out / src.parent.name / src.name)
    codec.write(out / "harness" / "kit_cases.npz", data)
    cases = sum(len(t["cases"]) for t in data)
    (out / "pyproject.toml").write_text(PYPROJECT.format(version=__version__))
    (out / "README.md").write_text(README.format(cases=cases))
    return {"tasks": len(data), "cases": cases, "left_out": left_out}
