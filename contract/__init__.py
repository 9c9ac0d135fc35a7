"""Lecture 1's contract: one hookspec per hook of SPEC.md, documented once.

The course (:mod:`tasks`) names this module as its ``CONTRACT``; the engine
reaches it through :mod:`harness.course`, and a plugin's worker loads this
file (the only one of the course it may read) as ``harness.hookspecs``.

Conventions (SPEC.md, "Conventions of the contract"):

* arrays are NumPy ``float64``; **samples are columns**: ``X`` is
  ``(n_features, m)``, ``Y`` is ``(n_out, m)``;
* layer ``l``: ``W`` is ``(n_l, n_{l-1})``, ``b`` is ``(n_l, 1)``,
  ``Z = W @ A_prev + b``;
* a scalar is returned as a Python ``float`` (a 0-d or 1-element array is
  accepted); a tuple return is positional (a NamedTuple is fine);
* elementwise hooks take any shape, 0-d and empty included, and return the
  same shape;
* a hook never changes its inputs.

Every docstring below has the same parts, which ``harness new`` (the student
template), ``harness list`` and the README are generated from: a one-line
summary, ``Slide:`` (where the lecture shows it), ``Args:`` and ``Returns:``.
"""

from __future__ import annotations

from harness import hookspec

# ----------------------------------------------------------------- activations


@hookspec(firstresult=True)
def sigmoid(z):
    """Logistic sigmoid, sigma(z) = 1 / (1 + e^-z).

    Slide: Activation Functions - Sigmoid; Continuous Perceptron.

    Args:
        z: array of any shape (0-d and empty included).

    Returns:
        array of z's shape. Must be correct and finite for |z| up to 1e3
        (an overflow RuntimeWarning is reported as a note, not a failure).
    """


@hookspec(firstresult=True)
def sigmoid_grad(z):
    """Derivative of the sigmoid, sigma'(z) = sigma(z) (1 - sigma(z)).

    Slide: Activation Functions - Sigmoid.

    Args:
        z: array of any shape.

    Returns:
        array of z's shape.
    """


@hookspec(firstresult=True)
def tanh(z):
    """Hyperbolic tangent, tanh(z) = (e^z - e^-z) / (e^z + e^-z).

    Slide: Activation Functions - TanH.

    Args:
        z: array of any shape.

    Returns:
        array of z's shape.
    """


@hookspec(firstresult=True)
def tanh_grad(z):
    """Derivative of tanh, tanh'(z) = 1 - tanh^2(z).

    Slide: Activation Functions - TanH.

    Args:
        z: array of any shape.

    Returns:
        array of z's shape.
    """


@hookspec(firstresult=True)
def relu(z):
    """Rectified linear unit, ReLU(z) = max(0, z).

    Slide: Activation Functions - ReLU.

    Args:
        z: array of any shape.

    Returns:
        array of z's shape.
    """


@hookspec(firstresult=True)
def relu_grad(z):
    """Derivative of ReLU: 1 if z > 0 else 0 (so ReLU'(0) = 0, as on the slide).

    Slide: Activation Functions - ReLU.

    Args:
        z: array of any shape.

    Returns:
        array of z's shape, of 0.0 and 1.0.
    """


@hookspec(firstresult=True)
def leaky_relu(z, alpha):
    """Leaky ReLU, lReLU(z) = max(alpha z, z) (the lecture uses alpha = 0.1).

    Slide: Activation Functions - LeakyReLU.

    Args:
        z: array of any shape.
        alpha: float, the slope for z <= 0 (0 < alpha < 1).

    Returns:
        array of z's shape.
    """


@hookspec(firstresult=True)
def leaky_relu_grad(z, alpha):
    """Derivative of leaky ReLU: 1 if z > 0 else alpha (so lReLU'(0) = alpha).

    Slide: Activation Functions - LeakyReLU.

    Args:
        z: array of any shape.
        alpha: float, the slope for z <= 0.

    Returns:
        array of z's shape, of 1.0 and alpha.
    """


@hookspec(firstresult=True)
def step(z, threshold):
    """Step function of the discrete perceptron: 1.0 if z > T else 0.0 (strict).

    Slide: Classification - Linear Classification - Example (step function);
    Perceptron (1958 - Rosenblatt - Discrete Perceptron).

    Args:
        z: array of any shape.
        threshold: float T.

    Returns:
        array of z's shape, of 0.0 and 1.0; step(T, T) = 0.0.
    """


# ---------------------------------------------------------------------- losses


@hookspec(firstresult=True)
def l1_loss(y_hat, y):
    """Absolute error, L(y_hat, y) = |y - y_hat|, elementwise.

    Slide: Loss Functions - Absolute Error - L1 Loss.

    Args:
        y_hat: array of any shape, the prediction.
        y: array of y_hat's shape, the target.

    Returns:
        array of y_hat's shape.
    """


@hookspec(firstresult=True)
def l1_loss_grad(y_hat, y):
    """dL/dy_hat of the L1 loss = sign(y_hat - y), elementwise.

    Slide: Loss Functions - Absolute Error - L1 Loss. Erratum: the slide prints
    -1 for y < y_hat; the true derivative there is +1 (check it by finite
    differences). At y_hat = y any value in [-1, 1] is accepted.

    Args:
        y_hat: array of any shape, the prediction.
        y: array of y_hat's shape, the target.

    Returns:
        array of y_hat's shape.
    """


@hookspec(firstresult=True)
def l2_loss(y_hat, y):
    """Square error, L(y_hat, y) = (y - y_hat)^2, elementwise.

    Slide: Loss Functions - Square Error - L2 Loss.

    Args:
        y_hat: array of any shape, the prediction.
        y: array of y_hat's shape, the target.

    Returns:
        array of y_hat's shape.
    """


@hookspec(firstresult=True)
def l2_loss_grad(y_hat, y):
    """dL/dy_hat of the L2 loss = -2 (y - y_hat), elementwise.

    Slide: Loss Functions - Square Error - L2 Loss.

    Args:
        y_hat: array of any shape, the prediction.
        y: array of y_hat's shape, the target.

    Returns:
        array of y_hat's shape.
    """


@hookspec(firstresult=True)
def huber_loss(y_hat, y, delta):
    """Huber loss: 1/2 (y - y_hat)^2 if |y - y_hat| <= delta, else delta |y - y_hat| - 1/2 delta^2.

    Slide: Loss Functions - Huber Loss.

    Args:
        y_hat: array of any shape, the prediction.
        y: array of y_hat's shape, the target.
        delta: float > 0.

    Returns:
        array of y_hat's shape.
    """


@hookspec(firstresult=True)
def huber_loss_grad(y_hat, y, delta):
    """dL/dy_hat of the Huber loss = clip(y_hat - y, -delta, delta), elementwise.

    Slide: Loss Functions - Huber Loss. Erratum: the slide's two outer branches
    have their signs flipped; the true derivative is -delta where
    (y - y_hat) > delta and +delta where (y - y_hat) < -delta.

    Args:
        y_hat: array of any shape, the prediction.
        y: array of y_hat's shape, the target.
        delta: float > 0.

    Returns:
        array of y_hat's shape.
    """


@hookspec(firstresult=True)
def logistic_loss(y_hat, y):
    """Logistic loss, L(y_hat, y) = -(y log y_hat + (1 - y) log(1 - y_hat)), elementwise.

    Slide: Example - Logistic Regression - Logistic Loss.

    Args:
        y_hat: array of any shape, probabilities in [1e-12, 1 - 1e-12].
        y: array of y_hat's shape, targets in [0, 1].

    Returns:
        array of y_hat's shape.
    """


@hookspec(firstresult=True)
def logistic_loss_grad(y_hat, y):
    """dL/dy_hat of the logistic loss = -y / y_hat + (1 - y) / (1 - y_hat), elementwise.

    Slide: Example - Logistic Regression - Functions and Their Derivatives.

    Args:
        y_hat: array of any shape, probabilities in [1e-12, 1 - 1e-12].
        y: array of y_hat's shape, targets in [0, 1].

    Returns:
        array of y_hat's shape.
    """


@hookspec(firstresult=True)
def cost(y_hat, y, loss, delta):
    """Cost J = (1/m) * sum over all outputs and samples of L(y_hat, y).

    Slide: Loss & Cost (J(Theta) = 1/m sum_i L(h(x_i), y_i)).

    Args:
        y_hat: array (n_out, m), the predictions; a 1-D (m,) is read as (1, m).
        y: array of y_hat's shape, the targets.
        loss: str, one of "l1", "l2", "huber", "logistic".
        delta: float, Huber's delta (ignored by the other losses).

    Returns:
        float J.
    """


# ---------------------------------------------------------------- optimisation


@hookspec(firstresult=True)
def gradient_descent(x0, lr, steps):
    """Gradient descent x := x - lr * grad f(x) on f(p) = sum(p^2), so grad f(p) = 2p.

    Slide: Gradient Descent (alpha = 0.3 converges, x_k = 0.4^k x0;
    alpha = 1.5 diverges, x_k = (-2)^k x0).

    Args:
        x0: array (n,), the starting point.
        lr: float, the learning rate alpha.
        steps: int >= 0, the number of updates.

    Returns:
        array (steps + 1, n): the trajectory, x0 first.
    """


@hookspec(firstresult=True)
def chain_rule_example(x):
    """The computational graph f = x + 1, g = 2f, h = g^2, forward and backward.

    Slide: Computational Graph - Backward Pass (at x = 2: h = 36, dh/dg = 2g = 12,
    dh/dx = 24; h'(x) = 8x + 8).

    Args:
        x: float.

    Returns:
        tuple of six floats (f, g, h, dh_dg, dh_df, dh_dx).
    """


# ------------------------------------------------------------------ regression


@hookspec(firstresult=True)
def linear_forward(w, b, X):
    """Linear model y = w^T X + b for m samples at once.

    Slide: Regression - Linear Regression (y = w^T x + w_0); Vectorized Form.

    Args:
        w: array (n, 1).
        b: float.
        X: array (n, m), samples are columns.

    Returns:
        array (1, m).
    """


@hookspec(firstresult=True)
def linear_regression_fit(X, y, w0, b0, lr, epochs, loss, delta):
    """Full-batch gradient descent on J(w, b) = (1/m) sum L(w^T x + b, y).

    Slide: Loss & Cost - Minimizing Cost (Theta := Theta - alpha grad J(Theta)).

    Args:
        X: array (n, m), samples are columns.
        y: array (1, m), the targets.
        w0: array (n, 1), the initial weights.
        b0: float, the initial bias.
        lr: float, the learning rate.
        epochs: int >= 0, the number of updates.
        loss: str, one of "l1", "l2", "huber", "logistic".
        delta: float, Huber's delta (ignored by the other losses).

    Returns:
        tuple (w, b, costs): w array (n, 1), b float, costs array (epochs,)
        where costs[e] is J before update e.
    """


@hookspec(firstresult=True)
def logistic_regression_step(w, b, X, y, lr):
    """One step of back-propagation for a sigmoid unit with the logistic loss.

    a = sigma(w^T X + b); cost = J = (1/m) sum L(a, y); dz = a - y;
    dw = X dz^T / m; db = sum(dz) / m; w_new = w - lr dw; b_new = b - lr db.

    Slide: Example - Logistic Regression (x = (0.1, 0.7), y = 1, w = (0.8, 0.2),
    b = 0.1, alpha = 0.5 give grad_w = (-0.04207, -0.29447), grad_b = -0.4207).

    Args:
        w: array (n, 1).
        b: float.
        X: array (n, m), samples are columns.
        y: array (1, m) of 0.0 and 1.0.
        lr: float, the learning rate alpha.

    Returns:
        tuple (cost, dw, db, w_new, b_new): cost float (J at w, b), dw array
        (n, 1), db float, w_new array (n, 1), b_new float.
    """


# ------------------------------------------------------------------ perceptron


@hookspec(firstresult=True)
def perceptron_predict(W, b, X, threshold):
    """k parallel discrete perceptrons: Y_hat = step(W X + b, T), strict z > T.

    Slide: Perceptron; Single-Layer Perceptron (multiple parallel perceptrons).

    Args:
        W: array (k, n).
        b: array (k, 1).
        X: array (n, m), samples are columns.
        threshold: float T.

    Returns:
        array (k, m) of 0.0 and 1.0.
    """


@hookspec(firstresult=True)
def perceptron_train(X, Y, W0, b0, lr, epochs, threshold):
    """Rosenblatt's rule, online, samples in column order.

    For each epoch, for each column x of X (in order) with target y:
    y_hat = step(W x + b, T); W += lr (y - y_hat) x^T; b += lr (y - y_hat).

    Slide: Perceptron (1958 - Rosenblatt - classification of linearly
    separable patterns).

    Args:
        X: array (n, m), samples are columns.
        Y: array (k, m) of 0.0 and 1.0.
        W0: array (k, n), the initial weights.
        b0: array (k, 1), the initial biases.
        lr: float, the learning rate.
        epochs: int >= 0.
        threshold: float T.

    Returns:
        tuple (W, b, errors): W array (k, n), b array (k, 1), errors array
        (epochs,) where errors[e] counts the wrong outputs seen in epoch e.
    """


# ------------------------------------------------------------------------- MLP


@hookspec(firstresult=True)
def dense_forward(W, b, A_prev, activation):
    """One fully-connected layer: Z = W A_prev + b, A = g(Z).

    Slide: Vectorized Form - Multiple Samples (Z = W X + b, A = g(Z)).

    Args:
        W: array (n_l, n_{l-1}).
        b: array (n_l, 1).
        A_prev: array (n_{l-1}, m).
        activation: str, one of "sigmoid", "tanh", "relu", "leaky_relu"
            (alpha 0.1), "linear".

    Returns:
        tuple (Z, A), both arrays (n_l, m).
    """


@hookspec(firstresult=True)
def mlp_forward(params, X, activations):
    """Forward pass: A[0] = X; Z[l] = W[l] A[l-1] + b[l]; A[l] = g[l](Z[l]).

    Slide: Forward Pass; Matrix Dimensions. All-"linear" layers collapse to one
    linear layer (slide "g(f(x)) is linear").

    Args:
        params: list of (W, b) pairs, first layer first; W (n_l, n_{l-1}),
            b (n_l, 1).
        X: array (n_0, m), samples are columns.
        activations: list of str, one per layer.

    Returns:
        array A_L (n_L, m).
    """


@hookspec(firstresult=True)
def mlp_backward(params, X, Y, activations, loss):
    """Back-propagation of errors: the cost J and its gradient for every layer.

    J = (1/m) sum over all outputs and samples of L(A_L, Y); the MLP hooks use
    delta = 1.0 for "huber".

    Slide: Training of MLPs (1986 - back-propagation of errors); Chain Rule.

    Args:
        params: list of (W, b) pairs, first layer first.
        X: array (n_0, m).
        Y: array (n_L, m).
        activations: list of str, one per layer.
        loss: str, one of "l1", "l2", "huber", "logistic".

    Returns:
        tuple (cost, grads): cost float; grads a list of (dW, db) pairs shaped
        like params, the gradients of J.
    """


@hookspec(firstresult=True)
def mlp_train(params, X, Y, activations, loss, lr, epochs):
    """Full-batch gradient descent of an MLP: params := params - lr grad J.

    Slide: Loss & Cost - Minimizing Cost; Training of MLPs.

    Args:
        params: list of (W, b) pairs, first layer first (left unchanged).
        X: array (n_0, m).
        Y: array (n_L, m).
        activations: list of str, one per layer.
        loss: str, one of "l1", "l2", "huber", "logistic".
        lr: float, the learning rate.
        epochs: int >= 0.

    Returns:
        tuple (params, costs): the trained params (new arrays) and costs array
        (epochs,) where costs[e] is J before update e.
    """


# -------------------------------------------------------------- representation


@hookspec(firstresult=True)
def to_polar(X):
    """Polar coordinates of 2-D points: r = sqrt(x^2 + y^2), phi = atan2(y, x).

    Slide: Representation Learning - How About Now? (Polar Coordinates
    Representation; concentric circles become linearly separable).

    Args:
        X: array (2, m): row 0 is x, row 1 is y.

    Returns:
        array (2, m): row 0 is r, row 1 is phi in (-pi, pi].
    """


#: Positional outputs of the hooks that return a tuple (their docstrings'
#: ``Returns``). A name ending in ``*`` is a list of ``(W, b)`` pairs. Hooks
#: not listed return one array-like (or one float).
OUTPUTS: dict[str, tuple[str, ...]] = {
    "chain_rule_example": ("f", "g", "h", "dh_dg", "dh_df", "dh_dx"),
    "linear_regression_fit": ("w", "b", "costs"),
    "logistic_regression_step": ("cost", "dw", "db", "w_new", "b_new"),
    "perceptron_train": ("W", "b", "errors"),
    "dense_forward": ("Z", "A"),
    "mlp_backward": ("cost", "grads*"),
    "mlp_train": ("params*", "costs"),
}

