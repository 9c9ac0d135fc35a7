"""A plugin of the tiny test course that forwards to the course's reference (not allowed)."""

from harness import hookimpl


@hookimpl
def double(x):
    from tinycourse import reference

    return reference.double(x)
