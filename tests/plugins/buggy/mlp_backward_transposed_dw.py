"""Bug: back-propagation returns every dW transposed, shape (n_in, n_out)."""

import numpy as np

from harness import hookimpl

G = {
    "sigmoid": lambda z: np.exp(-np.logaddexp(0.0, -z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.1 * z),
    "linear": lambda z: z.copy(),
}
DG = {  # derivative in terms of (z, a)
    "sigmoid": lambda z, a: a * (1.0 - a),
    "tanh": lambda z, a: 1.0 - a**2,
    "relu": lambda z, a: (z > 0).astype(float),
    "leaky_relu": lambda z, a: np.where(z > 0, 1.0, 0.1),
    "linear": lambda z, a: np.ones_like(z),
}


def _loss(a, y, loss):
    r = y - a
    if loss == "l1":
        return np.abs(r)
    if loss == "l2":
        return r**2
    if loss == "huber":
        return np.where(np.abs(r) <= 1.0, 0.5 * r**2, np.abs(r) - 0.5)
    return -(y * np.log(a) + (1 - y) * np.log1p(-a))


def _loss_grad(a, y, loss):
    if loss == "l1":
        return np.sign(a - y)
    if loss == "l2":
        return -2.0 * (y - a)
    if loss == "huber":
        return np.clip(a - y, -1.0, 1.0)
    return -y / a + (1 - y) / (1 - a)



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
