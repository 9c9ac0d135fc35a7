"""The vectorizable math of ``reference/_vmath.py`` against the C library.

fdlibm's algorithms are within 1 ulp of the exact value (atan2: 2 ulp), and so
is the C library: the two agree within 2 ulp (atan2: 3 ulp). Special values (0, subnormals, the
overflow and underflow thresholds, infinities, nan) are checked one by one.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest

from reference import _vmath as vm


@numba.njit(error_model="numpy")  # as the kernels: x / 0 is inf, not an exception
def _map(fn_code, x):
    out = np.empty_like(x)
    for i in range(x.size):  # the loop the kernels vectorize
        if fn_code == 0:
            out[i] = vm.exp(x[i])
        elif fn_code == 1:
            out[i] = vm.expm1_neg(x[i])
        else:
            out[i] = vm.log(x[i])
    return out


@numba.njit(error_model="numpy")  # as the kernels: x / 0 is inf, not an exception
def _map2(fn_code, y, x):
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = vm.atan2(y[i], x[i]) if fn_code == 0 else vm.hypot(x[i], y[i])
    return out


def ulps(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """|got - want| in units of the last place of want (0 where both are equal or nan)."""
    with np.errstate(invalid="ignore"):
        d = np.abs(got - want) / np.spacing(np.abs(want))
    d[(got == want) | (np.isnan(got) & np.isnan(want))] = 0.0
    return d


def libm(fn, x: np.ndarray) -> np.ndarray:
    out = []
    for v in x.tolist():
        try:
            out.append(fn(v))
        except OverflowError:
            out.append(math.inf)
        except ValueError:  # log(0), log(x < 0)
            out.append(-math.inf if v == 0.0 else math.nan)
    return np.array(out)


RNG = np.random.default_rng(2026)
CASES = {
    "exp": (0, math.exp, np.concatenate([
        RNG.uniform(-745.0, 709.7, 20_000), RNG.uniform(-1.0, 1.0, 20_000), RNG.uniform(-1e-9, 1e-9, 1000),
        [0.0, -0.0, 5e-324, 1.0, -1.0, 709.78, 709.782712893384, -708.4, -740.0, -745.13, 40.0]])),
    "expm1_neg": (1, math.expm1, -np.concatenate([
        RNG.uniform(0.0, 1.0, 20_000), RNG.uniform(0.0, 60.0, 20_000), np.exp(RNG.uniform(-700.0, 0.0, 5000)),
        [0.0, 0.34657, 0.34658, 1.0397, 1.0398, 39.99, 40.0, 40.01, 745.0]])),
    "log": (2, math.log, np.concatenate([
        np.exp(RNG.uniform(-700.0, 700.0, 20_000)), RNG.uniform(0.5, 2.0, 20_000), 1.0 + RNG.uniform(-1e-7, 1e-7, 2000),
        RNG.uniform(1e-12, 1.0 - 1e-12, 5000), [1.0, 5e-324, 1e-310, 2.2250738585072014e-308, 1.7976931348623157e308]])),
}


@pytest.mark.parametrize("name", list(CASES))
def test_within_2_ulp_of_the_c_library(name: str) -> None:
    code, fn, x = CASES[name]
    got, want = _map(code, x), libm(fn, x)
    worst = int(np.argmax(ulps(got, want)))
    assert ulps(got, want).max() <= 2.0, (name, x[worst], got[worst], want[worst])


@pytest.mark.parametrize(("code", "x", "want"), [
    (0, [np.inf, -np.inf, np.nan, 709.79, 1e308, -745.14, -1e308], [np.inf, 0.0, np.nan, np.inf, np.inf, 0.0, 0.0]),
    (1, [-np.inf, np.nan, -0.0, -1e308], [-1.0, np.nan, -0.0, -1.0]),
    (2, [0.0, -0.0, -1.0, -np.inf, np.inf, np.nan], [-np.inf, -np.inf, np.nan, np.nan, np.inf, np.nan]),
], ids=["exp", "expm1_neg", "log"])
def test_special_values(code: int, x: list[float], want: list[float]) -> None:
    got = _map(code, np.array(x))
    np.testing.assert_array_equal(got, np.array(want))
    numbers = ~np.isnan(want)
    assert np.array_equal(np.signbit(got[numbers]), np.signbit(np.array(want)[numbers]))  # -0.0 stays -0.0


def _points(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Points of every quadrant and scale: near the axes, the diagonals, huge and tiny."""
    mag = np.exp(RNG.uniform(-700.0, 700.0, (2, n)))
    unit = RNG.normal(size=(2, n))
    y, x = np.concatenate([unit, mag * np.sign(unit), unit * [[1e-20], [1.0]], unit * [[1.0], [1e-20]]], axis=1)
    return y, x


#: the C library's function of (y, x), by the code of ``_map2``
LIBM2 = {0: math.atan2, 1: lambda y, x: math.hypot(x, y)}


@pytest.mark.parametrize(("code", "tol"), [(0, 3.0), (1, 2.0)], ids=["atan2", "hypot"])
def test_two_argument_functions_within_a_few_ulp(code: int, tol: float) -> None:
    y, x = _points(20_000)
    got = _map2(code, y, x)
    want = np.array([LIBM2[code](a, b) for a, b in zip(y.tolist(), x.tolist(), strict=True)])
    worst = int(np.argmax(ulps(got, want)))
    assert ulps(got, want).max() <= tol, (y[worst], x[worst], got[worst], want[worst])


SPECIAL_XY = [(0.0, 0.0), (0.0, -0.0), (-0.0, 0.0), (-0.0, -0.0), (1.0, 0.0), (-1.0, 0.0), (1.0, -0.0),
              (0.0, 1.0), (0.0, -1.0), (np.inf, np.inf), (np.inf, -np.inf), (-np.inf, np.inf),
              (-np.inf, -np.inf), (np.inf, 1.0), (1.0, np.inf), (1.0, -np.inf), (-1.0, -np.inf),
              (np.nan, 1.0), (1.0, np.nan), (np.inf, np.nan), (5e-324, 5e-324), (1e308, 1e308),
              (1e-310, -3e-310)]


@pytest.mark.parametrize("code", [0, 1], ids=["atan2", "hypot"])
def test_two_argument_special_values(code: int) -> None:
    y, x = np.array(SPECIAL_XY).T
    got = _map2(code, y, x)
    want = np.array([LIBM2[code](a, b) for a, b in SPECIAL_XY])
    assert ulps(got, want).max() <= 1.0, list(zip(SPECIAL_XY, got, want, strict=True))
    numbers = ~np.isnan(want)
    assert np.array_equal(np.signbit(got[numbers]), np.signbit(want[numbers]))
