"""Argument checks and conversions shared by the thin wrappers around the kernels.

Every wrapper reads arrays as float64 (``np.asarray``: no copy when the input
already is one) and hands the kernels C-contiguous arrays, so each kernel has a
single compiled signature. The matrix/vector helpers of the composite hooks also
copy a read-only input (numba types a read-only array apart, which would mean
one more compilation); the elementwise hooks pass a 1-D input on as it is (a
read-only or strided one compiles one more signature, once, and is cached like
the others): on a few elements every step of the wrapper counts. Nothing here
writes to an input.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike


def as_float(x: object, name: str = "value") -> float:
    """A Python float from a number, a 0-d or a 1-element array."""
    if isinstance(x, float):
        return float(x)
    a = np.asarray(x, dtype=np.float64)
    if a.size != 1:
        raise ValueError(f"{name} must be a scalar, got an array of shape {a.shape}")
    return float(a.item())


def as_count(x: object, name: str) -> int:
    """A non-negative Python int (an int, or a float/array holding an integer)."""
    if isinstance(x, int | np.integer):
        n = int(x)
    else:
        v = np.asarray(x)
        if v.size != 1 or not float(v.item()).is_integer():
            raise ValueError(f"{name} must be a non-negative integer, got {x!r}")
        n = int(v.item())
    if n < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {x!r}")
    return n


def matrix(x: ArrayLike, name: str) -> np.ndarray:
    """A C-contiguous float64 2-D array (a copy only when the input is not one)."""
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {a.shape}")
    return _c_writeable(a)


def _c_writeable(a: np.ndarray) -> np.ndarray:
    if a.flags.c_contiguous and a.flags.writeable:
        return a
    return np.array(a, order="C", copy=True)


def column(x: ArrayLike, n: int, name: str) -> np.ndarray:
    """A contiguous float64 (n,) read from an (n, 1), (n,) or (1, n) array."""
    a = np.asarray(x, dtype=np.float64)
    if a.size != n or (a.ndim == 2 and 1 not in a.shape) or a.ndim > 2:
        raise ValueError(f"{name} must have shape ({n}, 1), got {a.shape}")
    return _c_writeable(a.reshape(n))


def row(x: ArrayLike, m: int, name: str) -> np.ndarray:
    """A contiguous float64 (m,) read from a (1, m) or (m,) array of targets."""
    a = np.asarray(x, dtype=np.float64)
    if a.size != m or a.ndim > 2 or (a.ndim == 2 and a.shape[0] != 1 and m != 1):
        raise ValueError(f"{name} must have shape (1, {m}), got {a.shape}")
    return _c_writeable(a.reshape(m))


def pair(y_hat: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """Flat float64 views of a prediction and its target, and their common shape.

    The contract gives both the same shape; other shapes are broadcast (NumPy's
    rules) rather than refused.
    """
    y_hat = np.asarray(y_hat, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if y_hat.shape != y.shape:
        try:
            y_hat, y = np.broadcast_arrays(y_hat, y)
        except ValueError:
            raise ValueError(
                f"y_hat and y must have the same shape, got {y_hat.shape} and {y.shape}"
            ) from None
        return y_hat.flatten(), y.flatten(), y_hat.shape  # copies: writeable, contiguous
    if y_hat.ndim == 1:  # as they are (see elementwise)
        return y_hat, y, y_hat.shape
    return y_hat.ravel(), y.ravel(), y_hat.shape


def elementwise(kernel: Callable[..., None], z: ArrayLike, *args: object) -> np.ndarray:
    """A new float64 array of z's shape filled by ``kernel(z_flat, out_flat, *args)``.

    The output is allocated here, not in the kernel: a kernel that returns an
    array pays for boxing it into a NumPy object, the larger part of the cost
    of a call on a few elements. A 1-D ``z`` goes to the kernel as it is (a
    strided one compiles one more signature, once); others are flattened.
    """
    z = np.asarray(z, dtype=np.float64)
    out = np.empty(z.shape)
    if z.ndim == 1:
        kernel(z, out, *args)
    else:
        kernel(z.ravel(), out.ravel(), *args)  # out is C-contiguous: its ravel is a view
    return out


def elementwise2(
    kernel: Callable[..., None], y_hat: ArrayLike, y: ArrayLike, *args: object
) -> np.ndarray:
    """As :func:`elementwise` for a pair of arrays: ``kernel(y_hat_flat, y_flat, out_flat, *args)``."""
    a, b, shape = pair(y_hat, y)
    out = np.empty(shape)
    kernel(a, b, out if len(shape) == 1 else out.ravel(), *args)
    return out
