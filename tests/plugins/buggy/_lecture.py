"""The correct lecture formulas the buggy plugins share (not a plugin: no hooks).

Each buggy plugin imports what it needs from here and changes one thing.
"""

import numpy as np

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


def loss(y_hat, y, name, delta=1.0):
    r = y - y_hat
    if name == "l1":
        return np.abs(r)
    if name == "l2":
        return r**2
    if name == "huber":
        return np.where(np.abs(r) <= delta, 0.5 * r**2, delta * np.abs(r) - 0.5 * delta**2)
    return -(y * np.log(y_hat) + (1 - y) * np.log1p(-y_hat))


def loss_grad(y_hat, y, name, delta=1.0):
    if name == "l1":
        return np.sign(y_hat - y)
    if name == "l2":
        return -2.0 * (y - y_hat)
    if name == "huber":
        return np.clip(y_hat - y, -delta, delta)
    return -y / y_hat + (1 - y) / (1 - y_hat)


def forward(params, X, activations):
    Zs, As = [], [np.asarray(X, dtype=float)]
    for (W, b), name in zip(params, activations, strict=True):
        Zs.append(W @ As[-1] + b)
        As.append(G[name](Zs[-1]))
    return Zs, As
