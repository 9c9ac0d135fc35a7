"""Bundled plugin ``python``: every hook in plain Python loops, the slow baseline.

This is what a careful first-year student writes: lists, ``for`` loops and the
``math`` module, no NumPy vectorisation. NumPy appears only at the boundary:
inputs are turned into (nested) Python lists with ``tolist()`` and outputs are
built with ``np.array`` at the end. Matrix products are triple loops.

It is slow on purpose (it is the bottom of the speed leaderboard) but it must
be right, so it

* evaluates the sigmoid as ``1 / (1 + e^-z)`` for ``z >= 0`` and
  ``e^z / (1 + e^z)`` for ``z < 0``: ``math.exp`` never sees a large positive
  argument, which would raise ``OverflowError`` in Python;
* writes the derivatives of sigmoid and tanh as ``e / (1 + e)^2`` and
  ``4e / (1 + e)^2`` with ``e = e^-|z|`` resp. ``e^-2|z|`` (the same values as
  ``s (1 - s)`` and ``1 - tanh^2``, without their cancellation in the tails);
* treats elementwise inputs of any shape (0-d and empty included) as a flat
  list and reshapes the result back;
* follows IEEE arithmetic where Python would raise: ``log(0) = -inf``,
  ``log(x < 0) = nan``, ``x / 0 = +-inf`` (NumPy's results).
"""

from __future__ import annotations

import math

import numpy as np

from harness import hookimpl

LEAKY_ALPHA = 0.1  # the MLP hooks' LeakyReLU slope
MLP_DELTA = 1.0  # the MLP hooks' Huber delta
INF = float("inf")
NAN = float("nan")

# --------------------------------------------------- boundary: arrays <-> lists


def _flat(a):
    """(shape, flat list of floats) of an array-like of any shape."""
    arr = np.asarray(a, dtype=float)
    return arr.shape, arr.ravel().tolist()


def _flat2(a, b):
    """(shape, flat list of a, flat list of b) for two array-likes of one shape."""
    arr_a, arr_b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    return arr_a.shape, arr_a.ravel().tolist(), arr_b.ravel().tolist()


def _rows(a):
    """A 2-D array-like as a list of rows (a 1-D or 0-d one is read as one row)."""
    arr = np.asarray(a, dtype=float)
    if arr.ndim < 2:
        arr = arr.reshape(1, -1)
    return arr.tolist()


def _vector(a):
    """An (n, 1), (1, n) or (n,) array-like as a flat list of n floats."""
    return np.asarray(a, dtype=float).ravel().tolist()


def _array(values, shape):
    """Build the output array from a (nested) list."""
    return np.array(values, dtype=float).reshape(shape)


def _number(x):
    """A Python float from a number, a 0-d or a 1-element array."""
    values = np.asarray(x, dtype=float).ravel().tolist()
    if len(values) != 1:
        raise ValueError(f"expected a scalar, got {len(values)} values")
    return values[0]


def _check_loss(loss):
    if loss not in ("l1", "l2", "huber", "logistic"):
        raise ValueError(f"unknown loss {loss!r}; expected one of l1, l2, huber, logistic")


def _check_activation(name):
    if name not in ("sigmoid", "tanh", "relu", "leaky_relu", "linear"):
        raise ValueError(
            f"unknown activation {name!r}; expected one of sigmoid, tanh, relu, leaky_relu, linear"
        )


# ----------------------------------------------------- scalar math, IEEE-style


def _log(x):
    if x > 0:
        return math.log(x)
    if x == 0:
        return -INF
    return NAN  # x < 0 or x is nan


def _log1p(x):
    if x > -1:
        return math.log1p(x)
    if x == -1:
        return -INF
    return NAN


def _div(a, b):
    if b != 0:
        return a / b
    if a == 0 or a != a:
        return NAN
    return math.copysign(INF, a) * math.copysign(1.0, b)


def _sigmoid1(z):
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)  # z < 0: no overflow
    return e / (1.0 + e)


def _sigmoid_grad1(z):
    e = math.exp(-abs(z))
    return e / ((1.0 + e) * (1.0 + e))


def _tanh_grad1(z):
    e = math.exp(-2.0 * abs(z))
    return 4.0 * e / ((1.0 + e) * (1.0 + e))


def _relu1(z):
    return z if z > 0 else 0.0


def _relu_grad1(z):
    return 1.0 if z > 0 else 0.0


def _leaky_relu1(z, alpha):
    return max(alpha * z, z)


def _leaky_relu_grad1(z, alpha):
    return 1.0 if z > 0 else alpha


def _sign(d):
    if d > 0:
        return 1.0
    if d < 0:
        return -1.0
    return d  # 0.0 (or nan)


def _l1_1(y_hat, y):
    return abs(y - y_hat)


def _l1_grad1(y_hat, y):
    return _sign(y_hat - y)  # the true derivative; the slide prints the sign flipped


def _l2_1(y_hat, y):
    r = y - y_hat
    return r * r


def _l2_grad1(y_hat, y):
    return -2.0 * (y - y_hat)


def _huber1(y_hat, y, delta):
    r = y - y_hat
    if abs(r) <= delta:
        return 0.5 * r * r
    return delta * abs(r) - 0.5 * delta * delta


def _huber_grad1(y_hat, y, delta):
    d = y_hat - y  # the true derivative clip(y_hat - y, -delta, delta) (slide erratum)
    if d > delta:
        return delta
    if d < -delta:
        return -delta
    return d


def _logistic1(y_hat, y):
    return -(y * _log(y_hat) + (1.0 - y) * _log1p(-y_hat))


def _logistic_grad1(y_hat, y):
    return _div(-y, y_hat) + _div(1.0 - y, 1.0 - y_hat)


def _logistic_from_z1(z, y):
    """L(sigma(z), y) = log(1 + e^-|z|) + max(z, 0) - y z, finite for every z."""
    return math.log1p(math.exp(-abs(z))) + (max(z, 0.0) - y * z)


def _activation1(name):
    """The scalar function g of an activation name."""
    _check_activation(name)
    if name == "sigmoid":
        return _sigmoid1
    if name == "tanh":
        return math.tanh
    if name == "relu":
        return _relu1
    if name == "leaky_relu":
        return lambda z: _leaky_relu1(z, LEAKY_ALPHA)
    return lambda z: z


def _activation_grad1(name):
    """The scalar derivative g' of an activation name."""
    _check_activation(name)
    if name == "sigmoid":
        return _sigmoid_grad1
    if name == "tanh":
        return _tanh_grad1
    if name == "relu":
        return _relu_grad1
    if name == "leaky_relu":
        return lambda z: _leaky_relu_grad1(z, LEAKY_ALPHA)
    return lambda z: 1.0


def _loss1(loss, delta):
    """(L, dL/dy_hat) as scalar functions of (y_hat, y)."""
    _check_loss(loss)
    if loss == "l1":
        return _l1_1, _l1_grad1
    if loss == "l2":
        return _l2_1, _l2_grad1
    if loss == "huber":
        return (lambda a, b: _huber1(a, b, delta)), (lambda a, b: _huber_grad1(a, b, delta))
    return _logistic1, _logistic_grad1


# ------------------------------------------------------- loops over whole lists


def _map1(func, z):
    shape, values = _flat(z)
    out = []
    for v in values:
        out.append(func(v))
    return _array(out, shape)


def _map2(func, a, b):
    shape, values_a, values_b = _flat2(a, b)
    out = []
    for va, vb in zip(values_a, values_b, strict=True):
        out.append(func(va, vb))
    return _array(out, shape)


def _matmul(A, B, n_cols):
    """A (r x k) times B (k x n_cols), lists of rows, with the classic triple loop."""
    out = []
    for row in A:
        acc = [0.0] * n_cols
        for a_ik, b_row in zip(row, B, strict=True):
            for j in range(n_cols):
                acc[j] += a_ik * b_row[j]
        out.append(acc)
    return out


def _transpose(A, n_cols):
    out = []
    for j in range(n_cols):
        col = []
        for row in A:
            col.append(row[j])
        out.append(col)
    return out


# ---------------------------------------------------------------- activations


@hookimpl
def sigmoid(z):
    return _map1(_sigmoid1, z)


@hookimpl
def sigmoid_grad(z):
    return _map1(_sigmoid_grad1, z)


@hookimpl
def tanh(z):
    return _map1(math.tanh, z)


@hookimpl
def tanh_grad(z):
    return _map1(_tanh_grad1, z)


@hookimpl
def relu(z):
    return _map1(_relu1, z)


@hookimpl
def relu_grad(z):
    return _map1(_relu_grad1, z)


@hookimpl
def leaky_relu(z, alpha):
    alpha = _number(alpha)
    return _map1(lambda v: _leaky_relu1(v, alpha), z)


@hookimpl
def leaky_relu_grad(z, alpha):
    alpha = _number(alpha)
    return _map1(lambda v: _leaky_relu_grad1(v, alpha), z)


@hookimpl
def step(z, threshold):
    T = _number(threshold)
    return _map1(lambda v: 1.0 if v > T else 0.0, z)


# --------------------------------------------------------------------- losses


@hookimpl
def l1_loss(y_hat, y):
    return _map2(_l1_1, y_hat, y)


@hookimpl
def l1_loss_grad(y_hat, y):
    return _map2(_l1_grad1, y_hat, y)


@hookimpl
def l2_loss(y_hat, y):
    return _map2(_l2_1, y_hat, y)


@hookimpl
def l2_loss_grad(y_hat, y):
    return _map2(_l2_grad1, y_hat, y)


@hookimpl
def huber_loss(y_hat, y, delta):
    delta = _number(delta)
    return _map2(lambda a, b: _huber1(a, b, delta), y_hat, y)


@hookimpl
def huber_loss_grad(y_hat, y, delta):
    delta = _number(delta)
    return _map2(lambda a, b: _huber_grad1(a, b, delta), y_hat, y)


@hookimpl
def logistic_loss(y_hat, y):
    return _map2(_logistic1, y_hat, y)


@hookimpl
def logistic_loss_grad(y_hat, y):
    return _map2(_logistic_grad1, y_hat, y)


@hookimpl
def cost(y_hat, y, loss, delta):
    delta = _number(delta) if loss == "huber" else 0.0
    loss_fn, _ = _loss1(loss, delta)
    shape, values_hat, values_y = _flat2(y_hat, y)
    m = shape[-1] if shape else 1  # samples are columns; (m,) is read as (1, m)
    losses = []
    for a, b in zip(values_hat, values_y, strict=True):
        losses.append(loss_fn(a, b))
    if m == 0:
        return NAN
    return math.fsum(losses) / m


# --------------------------------------------------------------- optimisation


@hookimpl
def gradient_descent(x0, lr, steps):
    x = _vector(x0)
    lr = _number(lr)
    trajectory = [x]
    for _ in range(int(steps)):
        new_x = []
        for xi in x:
            grad = 2.0 * xi  # f(p) = sum p^2
            new_x.append(xi - lr * grad)
        x = new_x
        trajectory.append(x)
    return _array(trajectory, (int(steps) + 1, len(x)))


@hookimpl
def chain_rule_example(x):
    x = _number(x)
    # forward pass
    f = x + 1.0
    g = 2.0 * f
    h = g * g
    # backward pass (chain rule)
    dh_dg = 2.0 * g
    dh_df = dh_dg * 2.0
    dh_dx = dh_df * 1.0
    return f, g, h, dh_dg, dh_df, dh_dx


# ----------------------------------------------------------------- regression


def _linear_list(w, b, X, m):
    """y_hat[j] = sum_i w[i] X[i][j] + b for every sample j."""
    out = []
    for j in range(m):
        z = 0.0
        for i in range(len(w)):
            z += w[i] * X[i][j]
        out.append(z + b)
    return out


@hookimpl
def linear_forward(w, b, X):
    X_arr = np.asarray(X, dtype=float)
    m = X_arr.shape[1]
    return _array(_linear_list(_vector(w), _number(b), X_arr.tolist(), m), (1, m))


@hookimpl
def linear_regression_fit(X, y, w0, b0, lr, epochs, loss, delta):
    X_arr = np.asarray(X, dtype=float)
    n, m = X_arr.shape
    X = X_arr.tolist()
    y = _vector(y)
    w = _vector(w0)  # a new list: w0 is left alone
    b = _number(b0)
    lr = _number(lr)
    delta = _number(delta) if loss == "huber" else 0.0
    loss_fn, grad_fn = _loss1(loss, delta)
    costs = []
    for _ in range(int(epochs)):
        if m == 0:  # no samples: J is undefined and the gradient is 0
            costs.append(NAN)
            continue
        y_hat = _linear_list(w, b, X, m)  # for "logistic" fed straight into the loss
        losses = []
        dJ = []  # dJ/dy_hat[j] = (1/m) dL/dy_hat[j]
        for j in range(m):
            losses.append(loss_fn(y_hat[j], y[j]))
            dJ.append(grad_fn(y_hat[j], y[j]) / m)
        costs.append(math.fsum(losses) / m)
        dw = []
        for i in range(n):
            s = 0.0
            for j in range(m):
                s += X[i][j] * dJ[j]
            dw.append(s)
        db = 0.0
        for j in range(m):
            db += dJ[j]
        for i in range(n):
            w[i] = w[i] - lr * dw[i]
        b = b - lr * db
    return _array(w, (n, 1)), b, _array(costs, (len(costs),))


@hookimpl
def logistic_regression_step(w, b, X, y, lr):
    X_arr = np.asarray(X, dtype=float)
    n, m = X_arr.shape
    X = X_arr.tolist()
    w = _vector(w)
    y = _vector(y)
    b = _number(b)
    lr = _number(lr)
    z = _linear_list(w, b, X, m)
    losses = []
    dz = []
    for j in range(m):
        losses.append(_logistic_from_z1(z[j], y[j]))
        a = _sigmoid1(z[j])
        dz.append(a - y[j])  # dL/dz = a - y
    J = math.fsum(losses) / m
    dw = []
    for i in range(n):
        s = 0.0
        for j in range(m):
            s += X[i][j] * dz[j]
        dw.append(s / m)
    db = 0.0
    for j in range(m):
        db += dz[j]
    db = db / m
    w_new = []
    for i in range(n):
        w_new.append(w[i] - lr * dw[i])
    return J, _array(dw, (n, 1)), db, _array(w_new, (n, 1)), b - lr * db


# ----------------------------------------------------------------- perceptron


@hookimpl
def perceptron_predict(W, b, X, threshold):
    W_arr, X_arr = np.asarray(W, dtype=float), np.asarray(X, dtype=float)
    k, n = W_arr.shape
    m = X_arr.shape[1]
    W, X, b = W_arr.tolist(), X_arr.tolist(), _vector(b)
    T = _number(threshold)
    out = []
    for r in range(k):
        row = []
        for j in range(m):
            z = 0.0
            for i in range(n):
                z += W[r][i] * X[i][j]
            z = z + b[r]
            row.append(1.0 if z > T else 0.0)
        out.append(row)
    return _array(out, (k, m))


@hookimpl
def perceptron_train(X, Y, W0, b0, lr, epochs, threshold):
    X_arr = np.asarray(X, dtype=float)
    W_arr = np.asarray(W0, dtype=float)
    k, n = W_arr.shape
    m = X_arr.shape[1]
    X = X_arr.tolist()
    Y = _rows(Y)
    W = W_arr.tolist()  # new lists: W0, b0 are left alone
    b = _vector(b0)
    lr = _number(lr)
    T = _number(threshold)
    errors = []
    for _ in range(int(epochs)):
        wrong = 0
        for j in range(m):  # online, samples in column order
            x = []
            for i in range(n):
                x.append(X[i][j])
            errs = []
            for r in range(k):
                z = 0.0
                for i in range(n):
                    z += W[r][i] * x[i]
                z = z + b[r]
                y_hat = 1.0 if z > T else 0.0
                errs.append(Y[r][j] - y_hat)
            for r in range(k):  # count, then update
                if errs[r] != 0:
                    wrong += 1
                    step_r = lr * errs[r]
                    for i in range(n):
                        W[r][i] = W[r][i] + step_r * x[i]
                    b[r] = b[r] + step_r
        errors.append(float(wrong))
    return _array(W, (k, n)), _array(b, (k, 1)), _array(errors, (len(errors),))


# ------------------------------------------------------------------------ MLP


def _layers(params):
    """params as [(W rows, b list, n_out, n_in)]."""
    out = []
    for W, b in params:
        W_arr = np.asarray(W, dtype=float)
        out.append((W_arr.tolist(), _vector(b), W_arr.shape[0], W_arr.shape[1]))
    return out


def _dense_list(W, b, A_prev, m, name):
    """Z = W A_prev + b and A = g(Z), as lists of rows."""
    Z = _matmul(W, A_prev, m)
    for r in range(len(Z)):
        for j in range(m):
            Z[r][j] = Z[r][j] + b[r]
    g = _activation1(name)
    A = []
    for row in Z:
        new_row = []
        for v in row:
            new_row.append(g(v))
        A.append(new_row)
    return Z, A


def _backward_list(layers, X, Y, m, activations, loss):
    """(J, [(dW rows, db list)]) for the layers of :func:`_layers`."""
    if len(activations) != len(layers):
        raise ValueError(f"{len(layers)} layers but {len(activations)} activations")
    _check_loss(loss)
    Zs, As = [], [X]
    A = X
    for (W, b, _, _), name in zip(layers, activations, strict=True):
        Z, A = _dense_list(W, b, A, m, name)
        Zs.append(Z)
        As.append(A)
    Z_L = Zs[-1]
    total = []
    dZ = []
    if activations[-1] == "sigmoid" and loss == "logistic":
        # dL/dz = a - y (the lecture), and L computed from z so it stays finite
        for r in range(len(A)):
            row = []
            for j in range(m):
                total.append(_logistic_from_z1(Z_L[r][j], Y[r][j]))
                row.append((A[r][j] - Y[r][j]) / m)
            dZ.append(row)
    else:
        loss_fn, grad_fn = _loss1(loss, MLP_DELTA)
        g_prime = _activation_grad1(activations[-1])
        for r in range(len(A)):
            row = []
            for j in range(m):
                total.append(loss_fn(A[r][j], Y[r][j]))
                row.append(grad_fn(A[r][j], Y[r][j]) / m * g_prime(Z_L[r][j]))
            dZ.append(row)
    J = math.fsum(total) / m if m else NAN
    grads = [None] * len(layers)
    for layer in range(len(layers) - 1, -1, -1):
        W, _, _, n_in = layers[layer]
        A_prev = As[layer]
        dW = _matmul(dZ, _transpose(A_prev, m), n_in)  # dZ A_prev^T
        db = []
        for row in dZ:
            s = 0.0
            for v in row:
                s += v
            db.append(s)
        grads[layer] = (dW, db)
        if layer:
            dA = _matmul(_transpose(W, n_in), dZ, m)
            g_prime = _activation_grad1(activations[layer - 1])
            Z_prev = Zs[layer - 1]
            dZ = []
            for r in range(len(dA)):
                row = []
                for j in range(m):
                    row.append(dA[r][j] * g_prime(Z_prev[r][j]))
                dZ.append(row)
    return J, grads


@hookimpl
def dense_forward(W, b, A_prev, activation):
    W_arr, A_arr = np.asarray(W, dtype=float), np.asarray(A_prev, dtype=float)
    n_out, m = W_arr.shape[0], A_arr.shape[1]
    Z, A = _dense_list(W_arr.tolist(), _vector(b), A_arr.tolist(), m, activation)
    return _array(Z, (n_out, m)), _array(A, (n_out, m))


@hookimpl
def mlp_forward(params, X, activations):
    if len(activations) != len(params):
        raise ValueError(f"{len(params)} layers but {len(activations)} activations")
    X_arr = np.asarray(X, dtype=float)
    m = X_arr.shape[1]
    A = X_arr.tolist()
    n_out = X_arr.shape[0]
    for (W, b, rows, _), name in zip(_layers(params), activations, strict=True):
        _, A = _dense_list(W, b, A, m, name)
        n_out = rows
    return _array(A, (n_out, m))


@hookimpl
def mlp_backward(params, X, Y, activations, loss):
    X_arr = np.asarray(X, dtype=float)
    m = X_arr.shape[1]
    layers = _layers(params)
    J, grads = _backward_list(layers, X_arr.tolist(), _rows(Y), m, activations, loss)
    out = []
    for (dW, db), (W, b) in zip(grads, params, strict=True):
        out.append((_array(dW, np.shape(W)), _array(db, np.shape(b))))
    return J, out


@hookimpl
def mlp_train(params, X, Y, activations, loss, lr, epochs):
    X_arr = np.asarray(X, dtype=float)
    m = X_arr.shape[1]
    X, Y = X_arr.tolist(), _rows(Y)
    lr = _number(lr)
    layers = _layers(params)  # new lists: params are left alone
    costs = []
    for _ in range(int(epochs)):
        J, grads = _backward_list(layers, X, Y, m, activations, loss)
        costs.append(J)
        for (W, b, n_out, n_in), (dW, db) in zip(layers, grads, strict=True):
            for r in range(n_out):
                for i in range(n_in):
                    W[r][i] = W[r][i] - lr * dW[r][i]
                b[r] = b[r] - lr * db[r]
    trained = []
    for (W, b, _, _), (W0, b0) in zip(layers, params, strict=True):
        trained.append((_array(W, np.shape(W0)), _array(b, np.shape(b0))))
    return trained, _array(costs, (len(costs),))


# ------------------------------------------------------------- representation


@hookimpl
def to_polar(X):
    X_arr = np.asarray(X, dtype=float)
    xs, ys = X_arr[0].ravel().tolist(), X_arr[1].ravel().tolist()
    r, phi = [], []
    for x, y in zip(xs, ys, strict=True):
        r.append(math.hypot(x, y))
        phi.append(math.atan2(y + 0.0, x))  # + 0.0 turns -0.0 into 0.0: phi in (-pi, pi]
    return _array([r, phi], X_arr.shape)
