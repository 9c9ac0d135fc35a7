"""Compile (first process) or load from numba's disk cache (later ones) every kernel.

The wrappers hand the kernels float64 C-contiguous arrays only, so one call of
every hook on tiny inputs covers every signature the package uses. The MLP
kernels take the activation and loss as codes, so one call covers them all.
"""

from __future__ import annotations

import numpy as np


def warmup() -> None:
    """Call every hook once on tiny float64 inputs so all kernels are ready.

    The first process after an install (or a change of the sources) compiles
    and writes the cache; later processes only load it (see TIMINGS.md).
    """
    import reference as r

    z = np.array([-1.0, 0.0, 2.0])
    y = np.array([0.0, 1.0, 1.0])
    p = np.array([0.2, 0.5, 0.9])
    for f in (r.sigmoid, r.sigmoid_grad, r.tanh, r.tanh_grad, r.relu, r.relu_grad):
        f(z)
    for f2 in (r.leaky_relu, r.leaky_relu_grad, r.step):
        f2(z, 0.1)
    for f3 in (r.l1_loss, r.l1_loss_grad, r.l2_loss, r.l2_loss_grad):
        f3(p, y)
    r.huber_loss(p, y, 1.0)
    r.huber_loss_grad(p, y, 1.0)
    r.logistic_loss(p, y)
    r.logistic_loss_grad(p, y)
    r.cost(p, y, "l2", None)
    r.gradient_descent(np.array([1.0, -2.0]), 0.3, 2)
    r.chain_rule_example(2.0)

    X = np.array([[0.1, 0.4, -0.3], [0.7, -0.2, 0.5]])  # (n=2, m=3)
    w = np.array([[0.8], [0.2]])
    r.linear_forward(w, 0.1, X)
    r.linear_regression_fit(X, y.reshape(1, 3), w, 0.1, 0.1, 2, "l2", None)
    r.logistic_regression_step(w, 0.1, X, y.reshape(1, 3), 0.5)
    r.perceptron_predict(w.T, np.zeros((1, 1)), X, 0.0)
    r.perceptron_train(X, y.reshape(1, 3), w.T, np.zeros((1, 1)), 1.0, 2, 0.0)

    params = [(np.full((2, 2), 0.5), np.zeros((2, 1))), (np.full((1, 2), 0.5), np.zeros((1, 1)))]
    acts = ["tanh", "sigmoid"]
    r.dense_forward(params[0][0], params[0][1], X, "relu")
    r.mlp_forward(params, X, acts)
    r.mlp_backward(params, X, y.reshape(1, 3), acts, "logistic")
    r.mlp_train(params, X, y.reshape(1, 3), acts, "logistic", 0.1, 2)
    r.to_polar(X)
