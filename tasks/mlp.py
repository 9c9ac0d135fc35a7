"""The multi-layer perceptron: a dense layer, the forward pass, back-propagation, training.

Points: ``dense_forward`` 2, ``mlp_forward`` 3, ``mlp_train`` 4,
``mlp_backward`` 5 (back-propagation of errors is the lecture's centrepiece).
Tolerance: rtol 1e-7, atol 1e-9 for the forward hooks; rtol 1e-6 for
``mlp_backward`` (atol 1e-9) and ``mlp_train`` (atol 1e-8), whose sums may run
in another order than the reference's, over many epochs for training.

Boundary cases: every activation ("sigmoid", "tanh", "relu", "leaky_relu",
"linear") in every MLP hook, every loss for ``mlp_backward`` and both "l2"
and "logistic" for ``mlp_train``, zero epochs. Properties: an all-"linear"
network equals one linear layer (slide "g(f(x)) is linear"); the gradients of
``mlp_backward`` match central differences of the cost it returns, parameter by
parameter; ``mlp_train`` solves XOR from a fixed initialisation.
Layers are never square where a transposed dW could pass unnoticed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from harness.grading.cases import (
    Partial,
    anything,
    claim_case,
    expected_output,
    hidden_cases,
    make_task,
    need,
    param_fd_case,
    template,
    value_case,
)
from harness.grading.compare import compare
from harness.grading.model import FAIL, PASS, Call, Case, Mistake, Task, Verdict
from tasks import ACTIVATIONS, MLP_DELTA
from tasks import mistakes as M
from tasks.elementwise import public_rng

GROUP = "mlp"
DENSE_SLIDE = "Vectorized Form - Multiple Samples (Z = W X + b, A = g(Z))"
FORWARD_SLIDE = "Forward Pass; Matrix Dimensions"
BACKWARD_SLIDE = "Training of MLPs (1986 - back-propagation of errors); Chain Rule"
TRAIN_SLIDE = "Loss & Cost - Minimizing Cost; Training of MLPs"
XOR_X = np.array([[0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 1.0]])
XOR_Y = np.array([[0.0, 1.0, 1.0, 0.0]])
#: An initialisation from which the reference learns XOR (2-3-1, tanh then sigmoid, lr 2).
XOR_PARAMS = [(np.array([[1.2, -0.9], [-1.1, 1.3], [0.7, 0.8]]), np.array([[0.1], [-0.2], [-0.6]])),
              (np.array([[1.0, 1.1, -0.9]]), np.array([[0.05]]))]


def layer_params(rng: np.random.Generator, sizes: Sequence[int], scale: float = 1.0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Random ``(W, b)`` pairs for layer sizes ``[n_0, n_1, ..., n_L]``."""
    return [
        (rng.normal(0.0, scale / np.sqrt(n_in), size=(n_out, n_in)), rng.normal(0.0, 0.5, size=(n_out, 1)))
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)
    ]


def _net(rng: np.random.Generator, sizes: list[int], activations: list[str], m: int, loss: str = "l2") -> dict[str, Any]:
    """Arguments of mlp_backward: random params, inputs and targets that suit the loss."""
    X = rng.uniform(-1.5, 1.5, size=(sizes[0], m))
    if loss == "logistic":
        Y = rng.integers(0, 2, size=(sizes[-1], m)).astype(np.float64)
    else:
        Y = rng.normal(0.0, 1.5, size=(sizes[-1], m))
    return {"params": layer_params(rng, sizes, 1.5), "X": X, "Y": Y, "activations": list(activations), "loss": loss}


def _output_for(loss: str) -> str:
    return "sigmoid" if loss == "logistic" else "linear"


def _forward_kwargs(kw: dict[str, Any]) -> dict[str, Any]:
    return {k: kw[k] for k in ("params", "X", "activations")}


def _train_kwargs(kw: dict[str, Any], lr: float, epochs: int) -> dict[str, Any]:
    return {**kw, "lr": lr, "epochs": epochs}


# ------------------------------------------------------------- dense_forward


def _dense(rng: np.random.Generator, n_out: int, n_in: int, m: int, activation: str) -> dict[str, Any]:
    (W, b), = layer_params(rng, [n_in, n_out], 2.0)
    return {"W": W, "b": b, "A_prev": rng.uniform(-2.0, 2.0, size=(n_in, m)), "activation": activation}


def _dense_cases(task: Task, rng: np.random.Generator) -> list[Case]:
    public = public_rng(task.name)
    cases = [
        value_case(task, "fixed", "matrix-dimensions", _dense(public, 3, 4, 1, "sigmoid"),
                   note="Matrix Dimensions: (3x1) = (3x4)(4x1) + (3x1)", slide="Forward Pass - Matrix Dimensions"),
        value_case(task, "fixed", "single-unit", _dense(public, 1, 2, 3, "sigmoid"),
                   note="one unit: z = w_1 x_1 + w_2 x_2 + b, 3 samples"),
        value_case(task, "boundary", "no-samples", _dense(public, 3, 2, 0, "tanh"), note="m = 0: shapes (3, 0)"),
    ]
    cases += [value_case(task, "boundary", f"activation={a}", _dense(public, 3, 4, 5, a),
                         note=f"activation {a!r}" + (" (alpha 0.1)" if a == "leaky_relu" else ""))
              for a in ACTIVATIONS]

    def hidden(rng: np.random.Generator, shape: tuple[int, int, int]) -> tuple[dict[str, Any], str]:
        (n_out, n_in, m), a = shape, str(rng.choice(ACTIVATIONS))
        return _dense(rng, n_out, n_in, m, a), f"random, W ({n_out}, {n_in}), m = {m}, activation {a!r}"

    return cases + hidden_cases(task, rng, ((2, 3, 4), (4, 2, 6), (3, 5, 2), (100, 100, 100)), hidden)


def _dense_speed(rng: np.random.Generator, size: str) -> dict[str, Any]:
    n_out, n_in, m = {"tiny": (3, 2, 4), "medium": (100, 100, 100), "large": (256, 784, 1024)}[size]
    return _dense(rng, n_out, n_in, m, "relu")


DENSE_MISTAKES = (
    Mistake("forgot_bias", "the bias is missing: Z = W A_prev + b",
            lambda b, **kw: list(expected_output("dense_forward", {**kw, "b": np.zeros_like(b)}))),
    Mistake("swapped_outputs", "return (Z, A) in that order: Z = W A_prev + b first, then A = g(Z)",
            lambda **kw: list(expected_output("dense_forward", kw))[::-1]),
    Mistake("leaky_alpha", "leaky_relu uses the lecture's alpha = 0.1", lambda **kw: _leaky_alpha(**kw)),
)


def _leaky_alpha(**kw: Any) -> list[np.ndarray]:
    if kw["activation"] != "leaky_relu":
        raise ValueError("does not apply")
    Z = expected_output("dense_forward", kw)[0]
    return [Z, np.where(Z > 0, Z, 0.01 * Z)]


# --------------------------------------------------------------- mlp_forward


def _collapse_claim(task: Task, rng: np.random.Generator) -> Case:
    params = layer_params(rng, [2, 4, 3, 2])
    X = rng.uniform(-2.0, 2.0, size=(2, 6))
    W, b = params[0]
    for W_next, b_next in params[1:]:
        W, b = W_next @ W, W_next @ b + b_next
    deep = {"params": params, "X": X, "activations": ["linear"] * 3}
    one = {"params": [(W, b)], "X": X, "activations": ["linear"]}
    shape = template(np.zeros((2, 6)))

    def verify(outputs: list[Any]) -> Verdict:
        got, single = need(outputs[0], shape, "output"), need(outputs[1], shape, "one-layer output")
        return compare(got, single, rtol=1e-9, atol=1e-12,
                       name="3 linear layers vs your one layer (W3 W2 W1, W3 (W2 b1 + b2) + b3)")

    return claim_case(task, "property", "linear-layers-collapse", [Call(task.hook, deep), Call(task.hook, one)],
                      verify, note="g(f(x)) = acx + (cb + d) is linear: linear layers collapse to one",
                      slide="Multi-Layer Perceptron - g(f(x)) is linear")


def _mlp_forward_cases(task: Task, rng: np.random.Generator) -> list[Case]:
    public = public_rng(task.name)
    hand_xor = {"params": [(np.ones((2, 2)), np.array([[0.0], [-1.0]])), (np.array([[1.0, -2.0]]), np.zeros((1, 1)))],
                "X": XOR_X, "activations": ["relu", "linear"]}
    cases = [
        value_case(task, "fixed", "xor-by-hand", hand_xor, note="a ReLU network that computes XOR"),
        value_case(task, "fixed", "four-layers", _forward_kwargs(_net(public, [2, 4, 3, 2], ["tanh", "sigmoid", "linear"], 5)),
                   note="L0..L3 of sizes 2, 4, 3, 2 (W2 is 3x4 as on the slide)", slide="Forward Pass - Matrix Dimensions"),
        value_case(task, "boundary", "one-layer", _forward_kwargs(_net(public, [3, 2], ["sigmoid"], 4)),
                   note="a single layer"),
    ]
    cases += [value_case(task, "boundary", f"activation={a}", _forward_kwargs(_net(public, [3, 4, 2], [a, a], 5)),
                         note=f"activation {a!r} in both layers") for a in ACTIVATIONS]
    cases.append(_collapse_claim(task, rng))

    def hidden(rng: np.random.Generator, net: tuple[list[int], int]) -> tuple[dict[str, Any], str]:
        sizes, m = net
        acts = [str(a) for a in rng.choice(ACTIVATIONS, size=len(sizes) - 1)]
        return _forward_kwargs(_net(rng, sizes, acts, m)), f"random, sizes {sizes}, activations {acts}"

    nets = (([2, 3, 1], 6), ([3, 5, 4, 2], 6), ([4, 2, 3], 6), ([100, 50, 10], 100))
    return cases + hidden_cases(task, rng, nets, hidden)


def _big_net(rng: np.random.Generator, size: str, loss: str = "logistic") -> dict[str, Any]:
    sizes, m = {"tiny": ([2, 4, 1], 4), "medium": ([100, 50, 10], 100), "large": ([784, 256, 10], 1024)}[size]
    return _net(rng, sizes, ["relu", "sigmoid"], m, loss)


MLP_FORWARD_MISTAKES = (
    Mistake("forgot_bias", "the bias is missing: Z[l] = W[l] A[l-1] + b[l]",
            lambda params, **kw: expected_output("mlp_forward", {**kw, "params": [(W, np.zeros_like(b))
                                                                                for W, b in params]})),
    Mistake("last_activation_missing", "apply the last layer's activation too: A_L = g_L(Z_L)",
            lambda activations, **kw: expected_output("mlp_forward", {**kw, "activations": [*activations[:-1],
                                                                                           "linear"]})),
)


# -------------------------------------------------------------- mlp_backward


def _away_from_kinks(rng: np.random.Generator, sizes: list[int], activations: list[str], loss: str) -> dict[str, Any]:
    """A random net whose pre-activations and residuals are far from every kink (for finite differences)."""
    for _ in range(100):
        kw = _net(rng, sizes, activations, 3, loss)
        Zs, A = [], kw["X"]
        for (W, b), activation in zip(kw["params"], activations, strict=True):
            Z, A = expected_output("dense_forward", {"W": W, "b": b, "A_prev": A, "activation": activation})
            Zs.append(Z)
        r = np.abs(A - kw["Y"])
        if min(np.abs(Z).min() for Z in Zs) > 1e-3 and np.abs(r - MLP_DELTA).min() > 1e-3 and r.min() > 1e-3:
            return kw
    raise RuntimeError("no net away from kinks")  # pragma: no cover


def _backward_fd_case(task: Task, label: str, kwargs: dict[str, Any]) -> Case:
    partials = []
    for layer, (W, b) in enumerate(kwargs["params"]):
        partials += [Partial(f"dW of layer {layer + 1} at {ij}", ("params", layer, 0, ij), (1, layer, 0, ij))
                     for ij in np.ndindex(W.shape)]
        partials += [Partial(f"db of layer {layer + 1} at {ij}", ("params", layer, 1, ij), (1, layer, 1, ij))
                     for ij in np.ndindex(b.shape)]
    acts = ", ".join(kwargs["activations"])
    return param_fd_case(task, label, kwargs, partials, (0,),
                         note=f"every dW, db by central differences of the cost you return ({acts}; {kwargs['loss']})")


def _backward_cases(task: Task, rng: np.random.Generator) -> list[Case]:
    public = public_rng(task.name)
    cases = [
        value_case(task, "fixed", "3-4-2-logistic", _net(public, [3, 4, 2], ["sigmoid", "sigmoid"], 5, "logistic"),
                   note="sizes 3, 4, 2; sigmoid layers; logistic loss; 5 samples"),
        value_case(task, "fixed", "2-3-1-l2", _net(public, [2, 3, 1], ["tanh", "linear"], 4, "l2"),
                   note="sizes 2, 3, 1; tanh then linear; l2 loss"),
        value_case(task, "fixed", "three-layers", _net(public, [2, 4, 3, 2], ["relu", "tanh", "linear"], 6, "l2"),
                   note="sizes 2, 4, 3, 2; relu, tanh, linear; l2 loss"),
        value_case(task, "boundary", "one-sample", _net(public, [3, 2, 2], ["tanh", "sigmoid"], 1, "logistic"),
                   note="m = 1"),
    ]
    cases += [value_case(task, "boundary", f"activation={a}", _net(public, [3, 4, 2], [a, "linear"], 5, "l2"),
                         note=f"hidden activation {a!r}, linear output, l2 loss") for a in ACTIVATIONS]
    cases += [value_case(task, "boundary", f"loss={loss}",
                         _net(public, [2, 3, 2], ["tanh", _output_for(loss)], 6, loss),
                         note=f"loss {loss!r}" + (" (delta = 1.0)" if loss == "huber" else ""))
              for loss in ("l1", "huber", "logistic")]
    cases += [
        _backward_fd_case(task, "finite-differences-smooth",
                          _away_from_kinks(rng, [2, 3, 2], ["tanh", "sigmoid"], "logistic")),
        _backward_fd_case(task, "finite-differences-kinked",
                          _away_from_kinks(rng, [2, 3, 2], ["leaky_relu", "linear"], "huber")),
    ]

    def hidden(rng: np.random.Generator, net: tuple[list[int], str, int]) -> tuple[dict[str, Any], str]:
        sizes, loss, m = net
        acts = [str(a) for a in rng.choice(ACTIVATIONS, size=len(sizes) - 2)] + [_output_for(loss)]
        return _net(rng, sizes, acts, m, loss), f"random, sizes {sizes}, activations {acts}, loss {loss!r}"

    nets = (([2, 3, 2], "l2", 6), ([3, 4, 3, 2], "logistic", 6), ([4, 3, 2], "huber", 6), ([100, 50, 10], "logistic", 100))
    return cases + hidden_cases(task, rng, nets, hidden)


def _backward(**switches: Any) -> Any:
    loss_only = switches.pop("loss_only", None)
    cost_times_m = switches.pop("cost_times_m", False)

    def wrong(params: Any, X: Any, Y: Any, activations: Any, loss: str, **_: Any) -> list[Any]:
        if loss_only is not None and loss != loss_only:
            raise ValueError("does not apply")
        J, grads = M.backward(params, X, Y, activations, loss, **switches)
        if switches.get("divide") == "none" or switches.get("sign", 1.0) < 0:
            J = anything()
        elif cost_times_m:
            J = J * np.shape(Y)[1]
        return [J, [list(g) for g in grads]]

    return wrong


BACKWARD_MISTAKES = (
    Mistake("transposed_dW", "dW has W's shape (n_out, n_in): dW = dZ A_prev^T, not its transpose "
            "(shape (n_in, n_out))", _backward(transpose=True)),
    Mistake("missing_1_over_m", "the gradients of J = (1/m) sum L are missing their 1/m (a sum instead of a mean)",
            _backward(divide="none")),
    Mistake("cost_sum_not_mean", "the cost is J = (1/m) sum L (a mean over samples, not a sum)",
            _backward(cost_times_m=True)),
    Mistake("mean_over_outputs", "J = (1/m) sum over all outputs and samples: divide by m, not by n_out m",
            _backward(divide="all")),
    Mistake("l1_slide_erratum", "slide erratum: the L1 derivative is sign(y_hat - y), not the slide's "
            "-1 if y < y_hat", _backward(erratum=True, loss_only="l1")),
    Mistake("huber_slide_erratum", "slide erratum: the Huber derivative is clip(y_hat - y, -delta, delta); "
            "the slide's outer branches have flipped signs", _backward(erratum=True, loss_only="huber")),
    Mistake("flipped_sign", "the sign of the gradients is flipped", _backward(sign=-1.0)),
    Mistake("activation_grad_of_A", "take g'(Z) at Z (for the sigmoid: A (1 - A)), not g'(A)",
            _backward(grad_of_a=True)),
)


# ----------------------------------------------------------------- mlp_train


def _xor_claim(task: Task) -> Case:
    kwargs = {"params": XOR_PARAMS, "X": XOR_X, "Y": XOR_Y, "activations": ["tanh", "sigmoid"], "loss": "logistic",
              "lr": 2.0, "epochs": 300}
    shape = template(expected_output(task.hook, kwargs))

    def verify(outputs: list[Any]) -> Verdict:
        params, costs = need(outputs[0], shape, "output")
        trained = [(W, b) for W, b in params]
        A = expected_output("mlp_forward", {"params": trained, "X": XOR_X, "activations": kwargs["activations"]})
        wrong = int(np.count_nonzero((A > 0.5) != (XOR_Y > 0.5)))
        if wrong == 0 and costs[-1] < 0.1:
            return Verdict(PASS)
        return Verdict(FAIL, f"after {kwargs['epochs']} epochs the network must solve XOR: {wrong} of 4 samples "
                             f"wrong, last cost {costs[-1]:.4g} (it should fall below 0.1)")

    return claim_case(task, "property", "learns-xor", [Call(task.hook, kwargs)], verify,
                      note="a 2-3-1 network learns XOR, which no single perceptron can")


def _train_cases(task: Task, rng: np.random.Generator) -> list[Case]:
    public = public_rng(task.name)
    xor = {"params": XOR_PARAMS, "X": XOR_X, "Y": XOR_Y, "activations": ["tanh", "sigmoid"], "loss": "logistic",
           "lr": 0.5, "epochs": 30}
    cases = [
        value_case(task, "fixed", "xor-30-epochs", xor, note="XOR, 2-3-1, tanh then sigmoid, logistic, 30 epochs"),
        value_case(task, "fixed", "3-4-2-l2", _train_kwargs(_net(public, [3, 4, 2], ["sigmoid", "linear"], 6), 0.1, 10),
                   note="sizes 3, 4, 2; l2; 10 epochs"),
        value_case(task, "boundary", "epochs=0", {**xor, "epochs": 0},
                   note="no epoch: the params unchanged (new arrays) and an empty costs array"),
        value_case(task, "boundary", "loss=logistic", _train_kwargs(_net(public, [2, 3, 2], ["relu", "sigmoid"], 6,
                                                                         "logistic"), 0.5, 8),
                   note="logistic loss, sigmoid output, 8 epochs"),
    ]
    cases += [value_case(task, "boundary", f"activation={a}",
                         _train_kwargs(_net(public, [3, 4, 2], [a, "linear"], 5), 0.05, 6),
                         note=f"hidden activation {a!r}, linear output, l2 loss, 6 epochs") for a in ACTIVATIONS]
    cases.append(_xor_claim(task))

    def hidden(rng: np.random.Generator, net: tuple[list[int], str, int, int]) -> tuple[dict[str, Any], str]:
        sizes, loss, epochs, m = net
        acts = [str(rng.choice(ACTIVATIONS)), _output_for(loss)]
        kwargs = _train_kwargs(_net(rng, sizes, acts, m, loss), float(rng.uniform(0.02, 0.2)), epochs)
        return kwargs, f"random, sizes {sizes}, activations {acts}, loss {loss!r}, {epochs} epochs"

    nets = (([2, 3, 1], "l2", 7, 6), ([3, 4, 2], "logistic", 10, 6), ([100, 50, 10], "logistic", 3, 100))
    return cases + hidden_cases(task, rng, nets, hidden)


def _train_speed(rng: np.random.Generator, size: str) -> dict[str, Any]:
    if size == "tiny":
        return {"params": XOR_PARAMS, "X": XOR_X, "Y": XOR_Y, "activations": ["tanh", "sigmoid"], "loss": "logistic",
                "lr": 2.0, "epochs": 100}
    return _train_kwargs(_big_net(rng, size), 0.1, {"medium": 10, "large": 3}[size])


def _train(**switches: Any) -> Any:
    def wrong(params: Any, X: Any, Y: Any, activations: Any, loss: str, lr: float, epochs: int, **_: Any) -> list[Any]:
        trained, costs = M.train(params, X, Y, activations, loss, lr, epochs, **switches)
        return [[list(p) for p in trained], anything(costs.shape) if switches.get("divide") == "none" else costs]

    return wrong


TRAIN_MISTAKES = (
    Mistake("cost_after_update", "costs[e] is J before update e (record the cost, then update)",
            _train(cost_after=True)),
    Mistake("missing_1_over_m", "the gradients of J = (1/m) sum L are missing their 1/m (a sum instead of a mean)",
            _train(divide="none")),
)


def tasks() -> list[Task]:
    return [
        make_task("dense_forward", GROUP, 2, DENSE_SLIDE, _dense_cases, _dense_speed, mistakes=DENSE_MISTAKES,
                  description="Z = W A_prev + b, A = g(Z)"),
        make_task("mlp_forward", GROUP, 3, FORWARD_SLIDE, _mlp_forward_cases,
                  lambda rng, size: _forward_kwargs(_big_net(rng, size)), mistakes=MLP_FORWARD_MISTAKES,
                  description="A_L of the forward pass"),
        make_task("mlp_backward", GROUP, 5, BACKWARD_SLIDE, _backward_cases, _big_net, rtol=1e-6, atol=1e-9,
                  mistakes=BACKWARD_MISTAKES, description="cost and gradients by back-propagation"),
        make_task("mlp_train", GROUP, 4, TRAIN_SLIDE, _train_cases, _train_speed, rtol=1e-6, atol=1e-8,
                  mistakes=TRAIN_MISTAKES, description="full-batch gradient descent of an MLP", curve=(1, "cost")),
    ]
