"""The graded tasks: right answers pass, known mistakes fail with their hint, hidden stays hidden."""

from __future__ import annotations

import copy
import importlib
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from inprocess import (
    decode,
    load_path,
    module_impls,
    outputs_of,
    reference_impls,
    run_case,
    run_task,
)

from harness import course
from harness.course import all_tasks, select_tasks
from harness.grading.cases import SIZES, expected_output
from harness.grading.compare import Interval, compare
from harness.grading.model import CASE_KINDS, PASS, Case, Task

SEEDS = (0, 1, 2)
TASKS = {t.name: t for t in all_tasks()}
BUGGY = Path(__file__).parent / "plugins" / "buggy"


@pytest.fixture(scope="module")
def ref() -> dict[str, Any]:
    import reference

    reference.warmup()
    return reference_impls()


def _failures(impls: dict[str, Any], task: Task, seed: int) -> list[str]:
    return [f"{case.id}: {v.outcome}: {v.message}" for case, v in run_task(impls, task, seed) if v.outcome != PASS]


# ------------------------------------------------------------------ the list


def test_one_task_per_hook_in_spec_order() -> None:
    hooks = course.hook_names()
    assert list(TASKS) == hooks and len(hooks) == 30
    for task in TASKS.values():
        assert task.hook == task.name and task.group in course.groups() and task.points > 0 and task.slide
        assert task.rtol >= 0 and task.atol >= 0


@pytest.mark.parametrize("name", sorted(TASKS))
def test_cases_are_well_formed(name: str, ref: dict[str, Any]) -> None:
    task = TASKS[name]
    cases = task.make_cases(np.random.default_rng(0))
    assert 8 <= len(cases) <= 20
    assert len({c.id for c in cases}) == len(cases)
    kinds = {c.kind for c in cases}
    assert kinds <= set(CASE_KINDS) and {"fixed", "boundary", "hidden"} <= kinds
    for case in cases:
        assert case.calls[0].hook == task.hook and case.note and case.slide
        assert {c.hook for c in case.calls} == {task.hook}, f"{case.id} calls another hook"


@pytest.mark.parametrize("name", sorted(TASKS))
def test_hidden_cases_are_fresh_and_public_ones_fixed(name: str, ref: dict[str, Any]) -> None:
    task = TASKS[name]
    a, b = (task.make_cases(np.random.default_rng(seed)) for seed in (1, 2))

    def args(case: Case) -> str:
        return repr([c.kwargs for c in case.calls])

    for x, y in zip(a, b, strict=True):
        assert x.id == y.id
        if x.kind in ("fixed", "lecture", "boundary"):
            assert args(x) == args(y), x.id
        if x.kind == "hidden":
            assert args(x) != args(y), x.id


@pytest.mark.parametrize("name", sorted(TASKS))
def test_speed_inputs_run_on_the_reference(name: str, ref: dict[str, Any]) -> None:
    task = TASKS[name]
    assert task.speed_inputs is not None and task.speed_sizes
    assert set(task.speed_sizes) <= set(SIZES) and task.speed_sizes[0] == "tiny"
    for size in task.speed_sizes:
        kwargs = task.speed_inputs(np.random.default_rng(0), size)
        ref[task.hook](**kwargs)


def test_select_tasks_by_name_group_and_pattern() -> None:
    assert len(select_tasks(None)) == 30
    assert [t.name for t in select_tasks("sigmoid*")] == ["sigmoid", "sigmoid_grad"]
    names = [t.name for t in select_tasks("sigmoid*, losses")]
    assert names[:2] == ["sigmoid", "sigmoid_grad"] and "cost" in names and len(names) == 11
    assert [t.name for t in select_tasks("SIGMOID")] == ["sigmoid"]
    assert [t.name for t in select_tasks("mlp")] == ["dense_forward", "mlp_forward", "mlp_backward", "mlp_train"]
    assert [t.name for t in select_tasks("graph,to_polar")] == ["chain_rule_example", "to_polar"]
    with pytest.raises(ValueError, match="nosuch.*groups: activations, losses"):
        select_tasks("sigmoid,nosuch*")
    with pytest.raises(ValueError):
        select_tasks(" , ")


# ------------------------------------------------- right answers pass


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", sorted(TASKS))
def test_reference_passes_every_case(name: str, seed: int, ref: dict[str, Any]) -> None:
    assert _failures(ref, TASKS[name], seed) == []


@pytest.mark.parametrize("plugin", ["numpy_plugin", "python_plugin"])
def test_bundled_plugins_pass_every_case(plugin: str, ref: dict[str, Any]) -> None:
    module = importlib.import_module(f"plugins.{plugin}")
    impls = module_impls(module)
    assert sorted(t.hook for t in TASKS.values() if t.hook not in impls) == []  # none passed over
    failures = [f for task in TASKS.values() for seed in SEEDS
                for f in _failures(impls, task, seed)]
    assert failures == []


# -------------------------------------------------------- known mistakes


def _concrete(wrong: Any, right: Any) -> Any:
    """A mistake's output with its "any value" leaves filled in from the right output."""
    if isinstance(wrong, list | tuple):
        return [_concrete(w, r) for w, r in zip(wrong, right, strict=True)]
    return right if isinstance(wrong, Interval) else wrong


def _mistake_outputs(task: Task, mistake: Any, case: Case) -> Any | None:
    kwargs = copy.deepcopy(case.calls[0].kwargs)
    try:
        with np.errstate(all="ignore"):
            wrong = mistake.wrong(**kwargs)
    except Exception:
        return None
    return decode(_concrete(wrong, expected_output(task.hook, kwargs)), task.hook)


MISTAKES = [(t.name, m.name) for t in TASKS.values() for m in t.mistakes]


def test_every_mistake_named_once_per_task_and_enough_of_them() -> None:
    for task in TASKS.values():
        names = [m.name for m in task.mistakes]
        assert len(names) == len(set(names)), task.name
    names = {m for _, m in MISTAKES}
    for needed in ("l1_slide_erratum", "huber_slide_erratum", "flipped_sign", "missing_1_over_m", "transposed_dW",
                   "relu_grad_at_zero_is_one", "sigma_times_one_minus_z", "tanh_grad_without_square",
                   "arctan_not_atan2", "cost_after_update", "batch_update", "forgot_bias", "step_inclusive",
                   "leaky_relu_grad_at_zero_is_one"):
        assert needed in names


@pytest.mark.parametrize("name, mistake_name", MISTAKES)
def test_mistake_is_caught_with_its_hint(name: str, mistake_name: str, ref: dict[str, Any]) -> None:
    task = TASKS[name]
    mistake = next(m for m in task.mistakes if m.name == mistake_name)
    caught = 0
    for seed in SEEDS:
        for case in task.make_cases(np.random.default_rng(seed)):
            if len(case.calls) != 1:
                continue
            wrong = _mistake_outputs(task, mistake, case)
            if wrong is None:
                continue
            verdict = case.judge([wrong])
            if verdict.outcome != PASS:  # every failing output of a known mistake is explained
                assert "known mistake:" in verdict.message, (case.id, verdict.message)
                caught += verdict.mistake == mistake.name and mistake.hint in verdict.message
    assert caught > 0, f"no case of {name} tells {mistake_name} from the right answer"


# ---------------------------------------------------- lecture values


def _judge_one(task: str, case_id: str, output: Any) -> str:
    case = next(c for c in TASKS[task].make_cases(np.random.default_rng(0)) if c.id == case_id)
    assert case.kind == "lecture"
    return case.judge([decode(output, task)]).outcome


def _step_output(**changes: Any) -> list[Any]:
    ref = expected_output("logistic_regression_step", {"w": np.array([[0.8], [0.2]]), "b": 0.1,
                                                       "X": np.array([[0.1], [0.7]]), "y": np.array([[1.0]]),
                                                       "lr": 0.5})
    printed = {"cost": ref[0], "dw": np.array([[-0.04207], [-0.29447]]), "db": -0.4207,
               "w_new": np.array([[0.82103], [0.3472]]), "b_new": 0.31033, **changes}
    return [printed[k] for k in ("cost", "dw", "db", "w_new", "b_new")]


# (task, lecture case, the printed values as an output, the same one digit off)
PRINTED = [
    ("logistic_regression_step", "lecture:worked-example", _step_output,
     lambda: _step_output(dw=np.array([[-0.04209], [-0.29447]]))),
    ("logistic_regression_step", "lecture:worked-example", _step_output, lambda: _step_output(db=-0.4209)),
    ("logistic_regression_step", "lecture:worked-example", _step_output,
     lambda: _step_output(w_new=np.array([[0.82103], [0.3474]]))),
    ("logistic_regression_step", "lecture:worked-example", _step_output, lambda: _step_output(b_new=0.31035)),
    ("linear_forward", "lecture:verification-z", lambda: np.array([[0.6355]]), lambda: np.array([[0.6357]])),
    ("sigmoid", "lecture:verification-a", lambda: 0.6537, lambda: 0.6539),
    ("logistic_loss", "lecture:verification-L", lambda: 0.42505, lambda: 0.42508),
    ("chain_rule_example", "lecture:x=2", lambda: [3.0, 6.0, 36.0, 12.0, 24.0, 24.0],
     lambda: [3.0, 6.0, 38.0, 12.0, 24.0, 24.0]),
    ("chain_rule_example", "lecture:x=2", lambda: [3.0, 6.0, 36.0, 12.0, 24.0, 24.0],
     lambda: [3.0, 6.0, 36.0, 12.0, 24.0, 26.0]),
    ("gradient_descent", "lecture:alpha=0.3", lambda: 0.4 ** np.arange(11.0).reshape(11, 1),
     lambda: 0.4 ** np.arange(1.0, 12.0).reshape(11, 1)),
    ("gradient_descent", "lecture:alpha=1.5", lambda: (-2.0) ** np.arange(11.0).reshape(11, 1),
     lambda: 2.0 ** np.arange(11.0).reshape(11, 1)),
    ("relu_grad", "lecture:lecture-z", lambda: np.array([0.0, 0.0, 0.0, 1.0, 1.0]),
     lambda: np.array([0.0, 0.0, 1.0, 1.0, 1.0])),
    ("leaky_relu", "lecture:alpha=0.1", lambda: np.array([-0.2, -0.1, 0.0, 1.0, 2.0]),
     lambda: np.array([-0.02, -0.01, 0.0, 1.0, 2.0])),
    ("leaky_relu_grad", "lecture:alpha=0.1", lambda: np.array([0.1, 0.1, 0.1, 1.0, 1.0]),
     lambda: np.array([0.1, 0.1, 1.0, 1.0, 1.0])),
]


@pytest.mark.parametrize("task, case_id, printed, off", PRINTED)
def test_lecture_case_for_every_printed_value(task: str, case_id: str, printed: Any, off: Any,
                                              ref: dict[str, Any]) -> None:
    assert _judge_one(task, case_id, printed()) == PASS
    assert _judge_one(task, case_id, off()) != PASS


@pytest.mark.parametrize("task, case_id", [
    ("sigmoid_grad", "lecture:sigma-identity"), ("logistic_regression_step", "lecture:dL/dz=a-y"),
    ("l1_loss_grad", "lecture:slide-erratum"), ("huber_loss_grad", "lecture:slide-erratum"),
])
def test_lecture_rules_have_cases(task: str, case_id: str, ref: dict[str, Any]) -> None:
    case = next(c for c in TASKS[task].make_cases(np.random.default_rng(0)) if c.id == case_id)
    assert case.kind == "lecture" and run_case(ref, case).outcome == PASS


def test_lecture_claims_fail_on_wrong_behaviour(ref: dict[str, Any]) -> None:
    def case(task: str, case_id: str) -> Case:
        return next(c for c in TASKS[task].make_cases(np.random.default_rng(0)) if c.id == case_id)

    xor = case("perceptron_train", "property:xor-never-separates")
    W, b, errors = decode(ref["perceptron_train"](**xor.calls[0].kwargs), "perceptron_train")
    assert xor.judge([[W, b, errors]]).outcome == PASS
    assert xor.judge([[W, b, np.where(np.arange(errors.size) > 3, 0.0, errors)]]).outcome != PASS
    rings = case("to_polar", "property:rings-separable")
    polar = decode(ref["to_polar"](**rings.calls[0].kwargs), "to_polar")
    assert rings.judge([polar]).outcome == PASS
    assert rings.judge([polar[::-1].copy()]).outcome != PASS
    diverges = case("gradient_descent", "property:diverges")
    trajectory = ref["gradient_descent"](**diverges.calls[0].kwargs)
    assert diverges.judge([decode(trajectory, "gradient_descent")]).outcome == PASS
    trajectory = ref["gradient_descent"](**{**diverges.calls[0].kwargs, "lr": 0.3})
    assert diverges.judge([decode(trajectory, "gradient_descent")]).outcome != PASS


def _unusual(value: Any) -> Any:
    """The same answer in another form: lists for arrays, 1-element arrays for scalars, lists for tuples."""
    if isinstance(value, list | tuple):
        return [_unusual(v) for v in value]
    value = np.asarray(value)
    return value.tolist() if value.ndim else np.array([[value.item()]])


@pytest.mark.parametrize("name", sorted(TASKS))
def test_equivalent_output_forms_pass(name: str, ref: dict[str, Any]) -> None:
    def unusually(fn: Any) -> Any:
        return lambda **kw: _unusual(fn(**kw))

    unusual = {hook: unusually(fn) for hook, fn in ref.items()}
    assert _failures(unusual, TASKS[name], 0) == []


# ------------------------------------------------------- hidden stays hidden


@pytest.mark.parametrize("name", sorted(TASKS))
def test_hidden_failures_never_show_the_expected_value(name: str, ref: dict[str, Any]) -> None:
    task = TASKS[name]

    def skewed(tree: Any) -> Any:
        return [skewed(t) for t in tree] if isinstance(tree, list) else tree * 1.37 + 0.11

    for case in task.make_cases(np.random.default_rng(5)):
        if case.kind != "hidden":
            continue
        right = outputs_of(ref, case)
        verdict = case.judge([skewed(right[0])])
        assert verdict.outcome != PASS
        assert "expected value hidden" in verdict.message
        assert re.search(r"expected -?\d", verdict.message) is None, verdict.message
        assert ", error " not in verdict.message  # got and |got - expected| would give it away


# -------------------------------------------------------- buggy plugins

EXPECTED = json.loads((BUGGY / "EXPECTED.json").read_text()) if (BUGGY / "EXPECTED.json").exists() else {}


def test_enough_buggy_plugins() -> None:
    assert len(EXPECTED) >= 14
    assert sorted(EXPECTED) == sorted(p.name for p in BUGGY.glob("*.py") if not p.name.startswith("_"))


@pytest.mark.parametrize("module", sorted(EXPECTED))
def test_buggy_plugin_fails_exactly_its_tasks_with_hint(module: str, ref: dict[str, Any]) -> None:
    impls = module_impls(load_path(BUGGY / module))
    expected = EXPECTED[module]
    failing, messages = set(), []
    for task in TASKS.values():
        if task.hook not in impls:
            continue
        for seed in SEEDS:
            for _case, verdict in run_task(impls, task, seed):
                if verdict.outcome != PASS:
                    failing.add(task.name)
                    messages.append(verdict.message)
    assert failing == set(expected["fails"]), messages[:5]
    assert any(expected["hint"] in m for m in messages), messages[:5]


# ------------------------------------------------------- non-finite expected


@pytest.mark.parametrize(("got", "outcome"), [
    ([np.inf, -np.inf, np.nan, 1.0], PASS),
    ([1e300, -np.inf, np.nan, 1.0], "fail"),  # a finite value where inf is expected
    ([np.inf, np.inf, np.nan, 1.0], "fail"),  # the wrong infinity
    ([np.inf, -np.inf, 0.0, 1.0], "fail"),  # a number where NaN is expected
    ([np.inf, -np.inf, np.inf, 1.0], "fail"),
])
def test_expected_inf_and_nan_are_matched_exactly(got: list[float], outcome: str) -> None:
    expected = np.array([np.inf, -np.inf, np.nan, 1.0])
    verdict = compare(np.array(got), expected, rtol=1e-7, atol=1e-9)
    assert verdict.outcome == outcome, verdict.message
