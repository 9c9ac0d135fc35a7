"""One hook, one verdict: a task's verdict depends on its own hook only (SPEC "What every grade guarantees").

Every buggy fixture (one planted bug) and every hostile fixture (one hostile
behaviour; not those that fail at import) is graded through the real worker
path next to the bundled ``numpy`` plugin's hooks for every hook it lacks, so
that every task around the bad hooks has a right hook to lose. The tasks that
lose points must be exactly the fixture's bad hooks; every other task must get
the verdicts a clean plugin (``numpy``) gets.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from clirun import PLUGINS, run

from harness import course
from harness.batch.run import run_plugin
from harness.course import all_tasks, select_tasks
from harness.grading.model import PASS, TIMEOUT
from harness.loading.plugins import resolve
from harness.sandbox.launch import Limits

ROOT = Path(__file__).resolve().parents[1]
BUGGY = json.loads((PLUGINS / "buggy" / "EXPECTED.json").read_text())
HOSTILE = json.loads((PLUGINS / "hostile" / "EXPECTED.json").read_text())
FIXTURES = [("buggy", name, entry["fails"]) for name, entry in BUGGY.items()]
FIXTURES += [("hostile", name, fails) for name, fails in HOSTILE.items()]
LIMITS = Limits(case_seconds=2, cpu_seconds=2, memory_mb=1024, output_mb=64, max_processes=32, start_seconds=30)
ORDER = [t.name for t in all_tasks()]
#: Tasks that, graded wrongly, would use another hook: a derivative its forward, cost and the fit their parts.
PARTNERS = {
    **{f"{f}_grad": [f] for f in ("sigmoid", "tanh", "relu", "leaky_relu")},
    **{f"{f}_grad": [f] for f in ("l1_loss", "l2_loss", "huber_loss", "logistic_loss")},
    "cost": ["l2_loss"], "linear_regression_fit": ["cost", "linear_forward"],
}


def _fixture_hooks(path: Path) -> set[str]:
    text = path.read_text()
    return {h for h in course.hook_names() if f"def {h}(" in text}


def _tasks_around(hooks: set[str]) -> list[str]:
    """The fixture's own tasks, the tasks that pair with them (either way) and the task after each."""
    names = set(hooks)
    names |= {t for t, parts in PARTNERS.items() if set(parts) & hooks}
    names |= {p for t in hooks for p in PARTNERS.get(t, [])}
    names |= {ORDER[ORDER.index(t) + 1] for t in hooks if ORDER.index(t) + 1 < len(ORDER)}
    return [t for t in ORDER if t in names]


def _with_clean_neighbours(src: Path, dest: Path) -> Path:
    """A copy of fixture ``src`` in ``dest``, plus the numpy plugin's hooks for every hook it lacks."""
    for helper in src.parent.glob("_*.py"):
        shutil.copy(helper, dest / helper.name)
    clean = (ROOT / "plugins" / "numpy_plugin.py").read_text()
    tail = (f"\n\n# added by tests/test_isolation.py\nimport types as _types\n"
            f"_clean = _types.ModuleType('_clean_numpy')\n"
            f"exec(compile({clean!r}, 'numpy_plugin.py', 'exec'), _clean.__dict__)\n"
            f"for _name in {course.hook_names()!r}:\n"
            f"    if _name not in globals():\n"
            f"        globals()[_name] = getattr(_clean, _name)\n")
    path = dest / src.name
    path.write_text(src.read_text() + tail)
    return path


def _outcomes(cases: pd.DataFrame) -> dict[str, list[str]]:
    return {task: sorted(group["outcome"]) for task, group in cases.groupby("task")}


@pytest.fixture(scope="module")
def clean() -> dict[str, list[str]]:
    """The verdicts of a clean plugin on every task."""
    result = run_plugin(resolve("numpy"), all_tasks(), seed=1, limits=LIMITS, out=None, speed=False)
    return _outcomes(result.cases)


@pytest.mark.parametrize(("folder", "name", "bad"), FIXTURES, ids=[f"{f}/{n}" for f, n, _ in FIXTURES])
def test_only_the_bad_hooks_lose_points(folder: str, name: str, bad: list[str], clean: dict[str, list[str]],
                                        tmp_path: Path) -> None:
    src = PLUGINS / folder / name
    path = _with_clean_neighbours(src, tmp_path)
    names = _tasks_around(_fixture_hooks(src))
    result = run_plugin(resolve(str(path)), select_tasks(",".join(names)), seed=1, limits=LIMITS, out=None,
                        speed=False)
    got = _outcomes(result.cases)
    losing = {task for task, outcomes in got.items() if set(outcomes) != {PASS}}
    assert losing == set(bad) & set(names), result.cases[result.cases["outcome"] != PASS][
        ["task", "case_id", "outcome", "message"]].to_string()[:3000]
    for task in set(names) - set(bad):
        assert len(got[task]) == len(clean[task]) and got[task] == clean[task]


def test_every_fixture_is_listed() -> None:
    for folder, listed in (("buggy", BUGGY), ("hostile", HOSTILE)):
        on_disk = {p.name for p in (PLUGINS / folder).glob("*.py") if not p.name.startswith(("_", "import_"))}
        assert set(listed) == on_disk


def test_derivatives_without_forward_functions_are_graded(tmp_path: Path) -> None:
    result = run(PLUGINS / "grads_only.py", tmp_path / "r", "--tasks", "*_grad")
    cases = result.cases()
    assert result.code == 0, result.out + result.err
    assert len(set(cases["task"])) == 8 and set(cases["outcome"]) == {PASS}
    assert (cases["kind"] == "property").sum() >= 16  # finite differences, of the reference's forward


def test_a_looping_hook_runs_twice_then_its_cases_are_marked(tmp_path: Path) -> None:
    """With the default 10-s timeout the whole run of this plugin is under a minute: 2 cases wait, not 12."""
    result = run(PLUGINS / "hostile" / "infinite_loop.py", tmp_path / "r", "--tasks", "relu,sigmoid,tanh",
                 "--case-timeout", "2")
    cases = result.cases()
    sigmoid = cases[cases["task"] == "sigmoid"]
    ran = sigmoid[~sigmoid["message"].str.startswith("not run")]
    assert len(ran) == 2 and set(ran["outcome"]) == {TIMEOUT}
    not_run = sigmoid[sigmoid["message"].str.startswith("not run after 2 timeouts of sigmoid")]
    assert len(not_run) == len(sigmoid) - 2 >= 8 and set(not_run["outcome"]) == {TIMEOUT}
    assert f"sigmoid: {len(not_run)} cases not run after 2 timeouts" in result.summary()["notes"]
    assert set(cases[cases["task"] != "sigmoid"]["outcome"]) == {PASS}
    assert (tmp_path / "r" / "report.md").read_text().count("cases not run after 2 timeouts") == 1
