"""Bug: mlp_train records the cost after each update instead of before it."""

import numpy as np
from _lecture import DG
from _lecture import forward as _forward
from _lecture import loss as _loss
from _lecture import loss_grad as _loss_grad

from harness import hookimpl


@hookimpl
def mlp_train(params, X, Y, activations, loss, lr, epochs):
    params = [(np.array(W, dtype=float), np.array(b, dtype=float)) for W, b in params]
    m = Y.shape[1]
    costs = []
    for _ in range(epochs):
        Zs, As = _forward(params, X, activations)
        dA = _loss_grad(As[-1], Y, loss) / m
        grads = []
        for layer in range(len(params) - 1, -1, -1):
            dZ = dA * DG[activations[layer]](Zs[layer], As[layer + 1])
            grads.append((dZ @ As[layer].T, dZ.sum(axis=1, keepdims=True)))
            dA = params[layer][0].T @ dZ
        params = [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads[::-1], strict=True)]
        costs.append(float(_loss(_forward(params, X, activations)[1][-1], Y, loss).sum() / m))  # BUG: after
    return params, np.array(costs)
