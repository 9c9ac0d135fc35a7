"""The matrix products of the regression and MLP kernels: BLAS when large, loops when small.

A product of ``n x p`` by ``p x m`` costs ``n p m`` multiply-adds. From
:data:`BLAS_MIN_WORK` of them on, it goes to BLAS (numba's ``np.dot``, which
calls SciPy's BLAS: the ``gemm``/``gemv`` that NumPy's ``@`` uses too, a blocked
kernel several times faster than a plain loop on large matrices). Below that,
the call of BLAS costs more than the product, and a plain loop runs instead.
Every loop runs along the sample axis, the contiguous one of an ``(n, m)`` C
array, so it vectorizes.

The reductions (:func:`dot`, :func:`total`) are compiled with
``fastmath={"reassoc"}``: LLVM may then add in several partial sums, which is
faster (about 4x) and no less accurate than one running sum; nothing else of
IEEE arithmetic is relaxed.
"""

from __future__ import annotations

import numpy as np

from ._numba_cache import kernel, reduction_kernel

#: multiply-adds (n p m) from which a product goes to BLAS (measured crossover, see docs/peers.md)
BLAS_MIN_WORK = 4096


@reduction_kernel
def dot(a, b):
    """sum_j a[j] b[j]; a, b (m,)."""
    s = 0.0
    for j in range(a.size):
        s += a[j] * b[j]
    return s


@reduction_kernel
def total(a):
    """sum_j a[j]; a (m,)."""
    s = 0.0
    for j in range(a.size):
        s += a[j]
    return s


@kernel
def _use_blas(n, p, m):
    return n * p * m >= BLAS_MIN_WORK


@kernel
def _matmul_loops(W, A, Z):
    """Z = W A by loops; W (n, p), A (p, m), Z (n, m); W may be a transposed view."""
    n, p = W.shape
    m = A.shape[1]
    for i in range(n):
        for j in range(m):
            Z[i, j] = 0.0
        for k in range(p):
            w = W[i, k]
            for j in range(m):
                Z[i, j] += w * A[k, j]


@kernel
def matmul_into(W, A, Z):
    """Z = W A; W (n, p), A (p, m), Z (n, m).

    The callers add the bias b row by row in their next pass over Z (with the
    activation, or the step), while each row is still in cache.
    """
    if _use_blas(W.shape[0], W.shape[1], A.shape[1]):
        np.dot(W, A, Z)
    else:
        _matmul_loops(W, A, Z)


@kernel
def linear_into(w, b, X, out):
    """out = w^T X + b; w (n,), b float, X (n, m), out (m,)."""
    n, m = X.shape
    if _use_blas(1, n, m):
        np.dot(w, X, out)
        for j in range(m):
            out[j] += b
        return
    for j in range(m):
        out[j] = b
    for k in range(n):
        wk = w[k]
        for j in range(m):
            out[j] += wk * X[k, j]


@kernel
def matvec_into(X, g, out):
    """out = X g; X (n, m), g (m,), out (n,)."""
    if _use_blas(X.shape[0], X.shape[1], 1):
        np.dot(X, g, out)
        return
    for k in range(X.shape[0]):
        out[k] = dot(X[k], g)


@kernel
def grad_weights_into(dZ, A_prev, dW, db):
    """dW = dZ A_prev^T and db = dZ summed over samples; dZ (n, m), A_prev (p, m)."""
    n, m = dZ.shape
    p = A_prev.shape[0]
    if _use_blas(n, p, m):
        np.dot(dZ, A_prev.T, dW)
    else:
        for i in range(n):
            for k in range(p):
                dW[i, k] = dot(dZ[i], A_prev[k])
    for i in range(n):
        db[i] = total(dZ[i])


@kernel
def transpose_matmul_into(W, dZ, out):
    """out = W^T dZ; W (n, p), dZ (n, m), out (p, m)."""
    n, p = W.shape
    if _use_blas(p, n, dZ.shape[1]):
        np.dot(W.T, dZ, out)
    else:
        _matmul_loops(W.T, dZ, out)
