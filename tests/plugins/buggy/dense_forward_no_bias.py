"""Bug: the dense layer forgets its bias."""


from _lecture import G

from harness import hookimpl


@hookimpl
def dense_forward(W, b, A_prev, activation):
    Z = W @ A_prev  # BUG: + b is missing
    return Z, G[activation](Z)
