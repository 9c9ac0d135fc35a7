"""Hostile: return values that lie about themselves.

sigmoid: an ndarray subclass holding zeros whose ==, !=, comparisons,
__array_ufunc__, __float__ and tolist all claim it is right. tanh: an object
whose __array__ gives wrong values (z) and whose __eq__ is always True.
relu_grad: an object whose __array__ raises; sigmoid_grad: a complex array;
tanh_grad: strings. Expect: fail for sigmoid and tanh (judged on their real
float64 values), invalid output for the others; relu passes.
"""

from __future__ import annotations

import numpy as np

from harness import hookimpl


class Liar(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(self), dtype=bool)

    def __ne__(self, other):
        return np.zeros(np.shape(self), dtype=bool)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return np.zeros(np.shape(self))

    def __float__(self):
        return 0.5

    def tolist(self):
        return [0.5] * self.size


class ArrayLike:
    def __init__(self, values):
        self.values = values

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.values, dtype=dtype)

    def __eq__(self, other):
        return True

    def __len__(self):
        return len(self.values)


class Exploding:
    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("boom")


@hookimpl
def relu(z):
    return np.maximum(z, 0.0)


@hookimpl
def sigmoid(z):
    return np.zeros(z.shape).view(Liar)


@hookimpl
def tanh(z):
    return ArrayLike(z.copy())


@hookimpl
def relu_grad(z):
    return Exploding()


@hookimpl
def sigmoid_grad(z):
    return (z + 1j).astype(complex)


@hookimpl
def tanh_grad(z):
    return np.array(["0.5"] * z.size)
