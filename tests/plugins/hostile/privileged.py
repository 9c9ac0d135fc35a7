"""Hostile: sigmoid checks what a worker started as root could still do.

It returns the right answer only if the worker holds no capability (none
effective, permitted or in its bounding set), cannot raise a hard resource
limit, and runs under no_new_privs and a seccomp filter. Expect: pass.
"""

from __future__ import annotations

import resource

import numpy as np

from harness import hookimpl


def _status() -> dict[str, str]:
    with open("/proc/self/status") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


def _problems() -> list[str]:
    status = _status()
    out = [f"{k}={status[k]}" for k in ("CapEff", "CapPrm", "CapBnd", "CapInh", "CapAmb")
           if int(status.get(k, "0"), 16)]
    if status.get("NoNewPrivs") != "1":
        out.append("no_new_privs is off")
    if status.get("Seccomp") != "2":
        out.append("no seccomp filter")
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (soft, resource.RLIM_INFINITY))
        out.append("raised the CPU limit")
    except (ValueError, OSError):
        pass
    return out


@hookimpl
def relu(z):
    return np.maximum(z, 0.0)


@hookimpl
def sigmoid(z):
    problems = _problems()
    if problems:
        raise PermissionError("; ".join(problems))
    return 1.0 / (1.0 + np.exp(-z))
