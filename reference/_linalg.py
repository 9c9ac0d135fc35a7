"""The few matrix products of the regression and MLP kernels, as plain loops.

numba's ``np.dot`` needs SciPy's BLAS, which the harness does not depend on, so
the products are written out. Every loop runs along the sample axis, the
contiguous one of a ``(n, m)`` C array, so it vectorizes. The reductions
(:func:`dot`, :func:`total`) are compiled with ``fastmath={"reassoc"}``: LLVM
may then add in several partial sums, which is faster (about 4x) and no less
accurate than one running sum; nothing else of IEEE arithmetic is relaxed.
"""

from __future__ import annotations

from ._numba_cache import kernel, reduction_kernel


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
def affine_into(W, b, A, Z):
    """Z = W A + b; W (n, p), b (n,), A (p, m), Z (n, m)."""
    n, p = W.shape
    m = A.shape[1]
    for i in range(n):
        bi = b[i]
        for j in range(m):
            Z[i, j] = bi
        for k in range(p):
            w = W[i, k]
            for j in range(m):
                Z[i, j] += w * A[k, j]


@kernel
def linear_into(w, b, X, out):
    """out = w^T X + b; w (n,), b float, X (n, m), out (m,)."""
    n, m = X.shape
    for j in range(m):
        out[j] = b
    for k in range(n):
        wk = w[k]
        for j in range(m):
            out[j] += wk * X[k, j]


@kernel
def matvec_into(X, g, out):
    """out = X g; X (n, m), g (m,), out (n,)."""
    for k in range(X.shape[0]):
        out[k] = dot(X[k], g)


@kernel
def grad_weights_into(dZ, A_prev, dW, db):
    """dW = dZ A_prev^T and db = dZ summed over samples; dZ (n, m), A_prev (p, m)."""
    n = dZ.shape[0]
    p = A_prev.shape[0]
    for i in range(n):
        for k in range(p):
            dW[i, k] = dot(dZ[i], A_prev[k])
        db[i] = total(dZ[i])


@kernel
def transpose_matmul_into(W, dZ, out):
    """out = W^T dZ; W (n, p), dZ (n, m), out (p, m)."""
    n, p = W.shape
    m = dZ.shape[1]
    for k in range(p):
        for j in range(m):
            out[k, j] = 0.0
        for i in range(n):
            w = W[i, k]
            for j in range(m):
                out[k, j] += w * dZ[i, j]
