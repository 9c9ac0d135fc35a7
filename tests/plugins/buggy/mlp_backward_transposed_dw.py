"""Bug: back-propagation returns every dW transposed, shape (n_in, n_out)."""

import numpy as np
from _lecture import DG, G
from _lecture import loss as _loss
from _lecture import loss_grad as _loss_grad

from harness import hookimpl


@hookimpl
def mlp_backward(params, X, Y, activations, loss):
    Zs, As = [], [np.asarray(X, dtype=float)]
    for (W, b), name in zip(params, activations, strict=True):
        Zs.append(W @ As[-1] + b)
        As.append(G[name](Zs[-1]))
    m = Y.shape[1]
    cost = float(_loss(As[-1], Y, loss).sum() / m)
    dA = _loss_grad(As[-1], Y, loss) / m
    grads = []
    for layer in range(len(params) - 1, -1, -1):
        dZ = dA * DG[activations[layer]](Zs[layer], As[layer + 1])
        grads.append(((dZ @ As[layer].T).T, dZ.sum(axis=1, keepdims=True)))  # BUG: .T on dW
        dA = params[layer][0].T @ dZ
    return cost, grads[::-1]
