"""The Numba reference: the truth the harness grades against.

Every hook of the contract (``contract/__init__.py``) is a plain function of the same name and
argument names (``reference.sigmoid(z)``, ...,
``reference.mlp_backward(params, X, Y, activations, loss)``, ...,
``reference.to_polar(X)``). Each is a thin wrapper that checks and converts its
arguments (float64, C-contiguous, shapes) around a ``numba.njit(cache=True)``
kernel, and returns per the contract: arrays as new float64 arrays, scalars as
Python floats, tuples positional. No hook changes its inputs. One exception:
``chain_rule_example`` (six operations on one float) is plain Python, which is
faster than a call through numba's dispatcher.

``__all__`` lists exactly the 30 hooks. Also public, outside ``__all__``:
:func:`warmup` compiles or loads every kernel (call it once to keep compile
time out of a timed region; see ``TIMINGS.md``).

Modules, by lecture topic: ``activations``, ``losses``, ``optimisation``
(gradient descent, chain rule), ``regression`` (linear and logistic),
``perceptron``, ``mlp``, ``representation`` (polar coordinates).
``_numba_cache`` (imported first) chooses where numba keeps the compiled
kernels when the package directory is read-only.
"""

from __future__ import annotations

from . import _numba_cache  # noqa: F401  (first: sets NUMBA_CACHE_DIR before numba loads)
from ._warmup import warmup as warmup
from .activations import (
    leaky_relu,
    leaky_relu_grad,
    relu,
    relu_grad,
    sigmoid,
    sigmoid_grad,
    step,
    tanh,
    tanh_grad,
)
from .losses import (
    cost,
    huber_loss,
    huber_loss_grad,
    l1_loss,
    l1_loss_grad,
    l2_loss,
    l2_loss_grad,
    logistic_loss,
    logistic_loss_grad,
)
from .mlp import dense_forward, mlp_backward, mlp_forward, mlp_train
from .optimisation import chain_rule_example, gradient_descent
from .perceptron import perceptron_predict, perceptron_train
from .regression import linear_forward, linear_regression_fit, logistic_regression_step
from .representation import to_polar

__all__ = [
    # activations
    "sigmoid",
    "sigmoid_grad",
    "tanh",
    "tanh_grad",
    "relu",
    "relu_grad",
    "leaky_relu",
    "leaky_relu_grad",
    "step",
    # losses
    "l1_loss",
    "l1_loss_grad",
    "l2_loss",
    "l2_loss_grad",
    "huber_loss",
    "huber_loss_grad",
    "logistic_loss",
    "logistic_loss_grad",
    "cost",
    # optimisation
    "gradient_descent",
    "chain_rule_example",
    # regression
    "linear_forward",
    "linear_regression_fit",
    "logistic_regression_step",
    # perceptron
    "perceptron_predict",
    "perceptron_train",
    # MLP
    "dense_forward",
    "mlp_forward",
    "mlp_backward",
    "mlp_train",
    # representation
    "to_polar",
]
