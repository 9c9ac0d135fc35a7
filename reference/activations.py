"""Activation functions and their derivatives (slides "Activation Functions").

Each function sits next to its derivative, as on the slides:

=============  ===============================  ======================================
hook           g(z)                             g'(z)
=============  ===============================  ======================================
sigmoid        1 / (1 + e^-z)                   sigma(z) (1 - sigma(z))
tanh           (e^z - e^-z) / (e^z + e^-z)      1 - tanh^2(z)
relu           max(0, z)                        1 if z > 0 else 0   (ReLU'(0) = 0)
leaky_relu     max(alpha z, z)                  1 if z > 0 else alpha
step           1 if z > T else 0                (the discrete perceptron; no gradient)
=============  ===============================  ======================================

Shapes: every hook is elementwise: ``z`` of any shape (0-d and empty included)
-> an array of ``z``'s shape (0-d in, 0-d array out). The wrapper reads ``z``
as float64, flattens it (a view when it is C-contiguous), allocates the output,
and a fused single-loop kernel fills it (``_validate.elementwise``); the input
is never written. sigmoid and tanh take their exponentials from ``_vmath``, so
their loops vectorize.

The MLP (``mlp.py``) reuses the per-element formulas through
:func:`activation_forward` / :func:`activation_backward` (and
:func:`bias_activation_into`), selected by the codes in
:data:`ACTIVATION_CODES`.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from ._numba_cache import inline_kernel, kernel, math_kernel
from ._validate import as_float, elementwise
from ._vmath import exp, expm1_neg

# codes of the MLP's activation names (numba kernels branch on small ints)
SIGMOID, TANH, RELU, LEAKY_RELU, LINEAR = 0, 1, 2, 3, 4
ACTIVATION_CODES: dict[str, int] = {
    "sigmoid": SIGMOID,
    "tanh": TANH,
    "relu": RELU,
    "leaky_relu": LEAKY_RELU,
    "linear": LINEAR,
}
#: the slope of "leaky_relu" inside the MLP (slide "LeakyReLU": alpha = 0.1)
MLP_LEAKY_ALPHA = 0.1


def activation_code(name: str) -> int:
    """The kernel code of an activation name ("sigmoid", "tanh", "relu", "leaky_relu", "linear")."""
    try:
        return ACTIVATION_CODES[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown activation {name!r}; expected one of {', '.join(ACTIVATION_CODES)}"
        ) from None


# ------------------------------------------------------ per-element formulas


@inline_kernel
def _sigmoid1(z):
    """sigma(z) = 1 / (1 + e^-z), evaluated with e = e^-|z| <= 1 so it never overflows.

    z >= 0: 1 / (1 + e^-z);  z < 0: e^z / (1 + e^z)  (the same function).
    """
    e = exp(-abs(z))
    s = 1.0 / (1.0 + e)
    return s if z >= 0.0 else e * s


@inline_kernel
def _sigmoid_grad1(z):
    """sigma'(z) = sigma(z) (1 - sigma(z)) = e^-|z| / (1 + e^-|z|)^2 (even in z, no cancellation)."""
    e = exp(-abs(z))
    s = 1.0 / (1.0 + e)
    return e * s * s


@inline_kernel
def _tanh1(z):
    """tanh(z) = (e^z - e^-z) / (e^z + e^-z) = -sign(z) em / (2 + em), em = e^-2|z| - 1.

    expm1 gives em without the cancellation of e^-2|z| - 1 near 0, so the
    quotient is within 2 ulp of the exact value everywhere; tanh(+-inf) = +-1.
    """
    em = expm1_neg(-2.0 * abs(z))
    return math.copysign(-em / (2.0 + em), z)  # odd; tanh(-0.0) = -0.0, NaN stays NaN


@inline_kernel
def _relu1(z):
    """max(0, z); NaN stays NaN."""
    return 0.0 if z <= 0.0 else z


@inline_kernel
def _leaky_relu1(z, alpha):
    """max(alpha z, z); NaN stays NaN."""
    az = alpha * z
    return az if az > z else z


# ------------------------------------------------------------- kernels (N,)


@math_kernel
def _sigmoid_kernel(z, out):
    for i in range(z.size):
        out[i] = _sigmoid1(z[i])


@math_kernel
def _sigmoid_grad_kernel(z, out):
    for i in range(z.size):
        out[i] = _sigmoid_grad1(z[i])


@math_kernel
def _tanh_kernel(z, out):
    for i in range(z.size):
        out[i] = _tanh1(z[i])


@math_kernel
def _tanh_grad_kernel(z, out):
    for i in range(z.size):
        t = _tanh1(z[i])
        out[i] = 1.0 - t * t


@kernel
def _relu_kernel(z, out):
    for i in range(z.size):
        out[i] = _relu1(z[i])


@kernel
def _relu_grad_kernel(z, out):
    for i in range(z.size):
        out[i] = 1.0 if z[i] > 0.0 else 0.0


@kernel
def _leaky_relu_kernel(z, out, alpha):
    for i in range(z.size):
        out[i] = _leaky_relu1(z[i], alpha)


@kernel
def _leaky_relu_grad_kernel(z, out, alpha):
    for i in range(z.size):
        out[i] = 1.0 if z[i] > 0.0 else alpha


@kernel
def _step_kernel(z, out, threshold):
    for i in range(z.size):
        out[i] = 1.0 if z[i] > threshold else 0.0


# ------------------------------------------------------------- public hooks


def sigmoid(z: ArrayLike) -> np.ndarray:
    """Logistic sigmoid, sigma(z) = 1 / (1 + e^-z).

    Slide: Activation Functions - Sigmoid; Continuous Perceptron.

    Evaluated as 1 / (1 + e^-|z|) for z >= 0 and e^z / (1 + e^z) for z < 0, so
    it is exact to rounding and finite, without an overflow warning, for any z
    (sigmoid(1e3) = 1.0, sigmoid(-1e3) = 0.0).

    Args:
        z: array of any shape (0-d and empty included).

    Returns:
        float64 array of z's shape.
    """
    return elementwise(_sigmoid_kernel, z)


def sigmoid_grad(z: ArrayLike) -> np.ndarray:
    """Derivative of the sigmoid, sigma'(z) = sigma(z) (1 - sigma(z)).

    Slide: Activation Functions - Sigmoid; Example - Logistic Regression -
    Functions and Their Derivatives (a' = a (1 - a)).

    Evaluated as e / (1 + e)^2 with e = e^-|z| (sigma' is even), which avoids
    the cancellation in 1 - sigma(z) for large z.

    Args:
        z: array of any shape.

    Returns:
        float64 array of z's shape, in [0, 1/4].
    """
    return elementwise(_sigmoid_grad_kernel, z)


def tanh(z: ArrayLike) -> np.ndarray:
    """Hyperbolic tangent, tanh(z) = (e^z - e^-z) / (e^z + e^-z).

    Slide: Activation Functions - TanH.

    Args:
        z: array of any shape.

    Returns:
        float64 array of z's shape, in [-1, 1].
    """
    return elementwise(_tanh_kernel, z)


def tanh_grad(z: ArrayLike) -> np.ndarray:
    """Derivative of tanh, tanh'(z) = 1 - tanh^2(z).

    Slide: Activation Functions - TanH.

    Args:
        z: array of any shape.

    Returns:
        float64 array of z's shape, in [0, 1].
    """
    return elementwise(_tanh_grad_kernel, z)


def relu(z: ArrayLike) -> np.ndarray:
    """Rectified linear unit, ReLU(z) = max(0, z).

    Slide: Activation Functions - ReLU.

    Args:
        z: array of any shape.

    Returns:
        float64 array of z's shape (NaN stays NaN).
    """
    return elementwise(_relu_kernel, z)


def relu_grad(z: ArrayLike) -> np.ndarray:
    """Derivative of ReLU: ReLU'(z) = 1 if z > 0 else 0, so ReLU'(0) = 0 as on the slide.

    Slide: Activation Functions - ReLU.

    Args:
        z: array of any shape.

    Returns:
        float64 array of z's shape, of 0.0 and 1.0.
    """
    return elementwise(_relu_grad_kernel, z)


def leaky_relu(z: ArrayLike, alpha: float) -> np.ndarray:
    """Leaky ReLU, lReLU(z) = max(alpha z, z) (the lecture uses alpha = 0.1).

    Slide: Activation Functions - LeakyReLU.

    Args:
        z: array of any shape.
        alpha: float, the slope for z <= 0 (0 < alpha < 1).

    Returns:
        float64 array of z's shape.
    """
    return elementwise(_leaky_relu_kernel, z, as_float(alpha))


def leaky_relu_grad(z: ArrayLike, alpha: float) -> np.ndarray:
    """Derivative of leaky ReLU: lReLU'(z) = 1 if z > 0 else alpha, so lReLU'(0) = alpha.

    Slide: Activation Functions - LeakyReLU.

    Args:
        z: array of any shape.
        alpha: float, the slope for z <= 0 (the value returned there).

    Returns:
        float64 array of z's shape, of 1.0 and alpha.
    """
    return elementwise(_leaky_relu_grad_kernel, z, as_float(alpha))


def step(z: ArrayLike, threshold: float) -> np.ndarray:
    """Step function of the discrete perceptron: f(h) = 1 if h > T else 0 (strict).

    Slide: Classification - Linear Classification - Example (step function);
    Perceptron (1958 - Rosenblatt - Discrete Perceptron).

    Args:
        z: array of any shape.
        threshold: float T.

    Returns:
        float64 array of z's shape, of 0.0 and 1.0; step(T, T) = 0.0.
    """
    return elementwise(_step_kernel, z, as_float(threshold))


# ------------------------------------------- the MLP's activation by its code


@math_kernel
def activation_forward(code, z, out):
    """out = g(z) for the activation ``code``; z, out (N,); ``out`` may be ``z`` (in place).

    "leaky_relu" uses alpha = MLP_LEAKY_ALPHA (0.1).
    """
    n = z.size
    if code == SIGMOID:
        for i in range(n):
            out[i] = _sigmoid1(z[i])
    elif code == TANH:
        for i in range(n):
            out[i] = _tanh1(z[i])
    elif code == RELU:
        for i in range(n):
            out[i] = _relu1(z[i])
    elif code == LEAKY_RELU:
        for i in range(n):
            out[i] = _leaky_relu1(z[i], MLP_LEAKY_ALPHA)
    else:  # LINEAR
        for i in range(n):
            out[i] = z[i]


@kernel
def bias_activation_into(code, Z, b, A):
    """Z[i] += b[i] and A[i] = g(Z[i]), row by row; Z, A (n, m), b (n,); A may be Z.

    The activation reads each row right after the bias was added to it, while
    the row is in the L1 cache: one pass over memory for both.
    """
    for i in range(Z.shape[0]):
        z = Z[i]
        bi = b[i]
        for j in range(z.size):
            z[j] += bi
        activation_forward(code, z, A[i])


@kernel
def activation_backward(code, z, a, da, out):
    """out = da * g'(z) for the activation ``code``; z, a = g(z), da, out (N,).

    The derivative is read off the forward values where the slide does so:
    sigma' = a (1 - a), tanh' = 1 - a^2; ReLU' and lReLU' from z > 0.
    ``out`` may alias ``da``. Every value is loaded before the choice, so the
    choice compiles to a vector select, not to a branch (which the random
    signs of z would mispredict half of the time).
    """
    n = z.size
    if code == SIGMOID:
        for i in range(n):
            out[i] = da[i] * (a[i] * (1.0 - a[i]))
    elif code == TANH:
        for i in range(n):
            out[i] = da[i] * (1.0 - a[i] * a[i])
    elif code == RELU:
        for i in range(n):
            d = da[i]
            out[i] = d if z[i] > 0.0 else 0.0
    elif code == LEAKY_RELU:
        for i in range(n):
            d = da[i]
            out[i] = d if z[i] > 0.0 else d * MLP_LEAKY_ALPHA
    else:  # LINEAR
        for i in range(n):
            out[i] = da[i]
